// `scriptlog mirror --to DIR`: copies the JetStream stream into daily JSONL files byte-identical to what the
// file store would hold, checking the chain as it goes; run again, it continues where DIR ends.
import type { Config } from "../config.js";
import { ScriptlogError } from "../errors.js";
import { mirrorStream } from "../store/jetstream/streamMirror.js";
import { progressBar, type Progress } from "./progress.js";

export async function mirrorCommand(config: Config, options: { to: string; json?: boolean }): Promise<void> {
  if (!config.jetstream) {
    throw new ScriptlogError(
      "invalid_argument",
      "mirror copies a JetStream stream: set EVENT_STORE=jetstream (and NATS_URL, NATS_STREAM)",
      {},
    );
  }
  let bar: Progress | null = null;
  const { copied, head } = await mirrorStream(config.jetstream, options.to, (seq, end) => {
    bar ??= progressBar("mirror", end);
    bar.update(seq);
  });
  (bar as Progress | null)?.stop();
  const report = { stream: config.jetstream.stream, dir: options.to, copied, head_seq: head.seq, head_hash: head.hash };
  if (options.json) console.log(JSON.stringify(report));
  else console.log(`mirrored ${copied} events from stream ${report.stream} into ${options.to}; head seq ${head.seq}`);
}
