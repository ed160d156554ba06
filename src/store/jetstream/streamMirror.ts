// Copies a stream's messages into daily files, checking each as the next link of the chain first: what the
// JetStream store's follower does live, and what `scriptlog mirror` does once, so audits read one format.
import { mkdir } from "node:fs/promises";
import { ignoreElements, lastValueFrom } from "rxjs";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { ChainVerifier, type ChainHead } from "../../events/chain.js";
import type { Envelope, EventLocation } from "../../events/types.js";
import { LogCorruptError, ScriptlogError } from "../../errors.js";
import { acquireLock } from "../lock.js";
import { readLog } from "../logReader.js";
import { MirrorFiles } from "../mirrorFiles.js";
import { connectNats, type JetStreamSettings } from "./stream.js";

export class StreamMirror {
  private readonly verifier: ChainVerifier;
  private readonly files: MirrorFiles;

  constructor(
    dir: string,
    head: ChainHead,
    private readonly stream: string,
  ) {
    this.verifier = new ChainVerifier(head);
    this.files = new MirrorFiles(dir);
  }

  get head(): ChainHead {
    return this.verifier.current;
  }

  /** Checks the message at stream sequence `seq` as the chain's next event and writes its line. */
  accept(seq: number, data: Buffer): { envelope: Envelope; location: EventLocation } {
    const place = `stream ${this.stream}`;
    const envelope = this.verifier.accept(data.toString("utf8"), place, seq);
    if (envelope.seq !== seq) throw new LogCorruptError(place, seq, envelope.seq, `message ${seq} holds seq ${envelope.seq}`);
    return { envelope, location: this.files.write(envelope, data) };
  }

  close(): void {
    this.files.close();
  }
}

/** The stream's last seq: where a one-off copy stops and where a follower is caught up. */
export function streamEnd(end: number, mirrorHead: number, stream: string, dir: string): number {
  if (end < mirrorHead) {
    throw new LogCorruptError(
      `stream ${stream}`,
      0,
      mirrorHead,
      `the mirror in ${dir} holds seq ${mirrorHead} but the stream ends at seq ${end}: it mirrors another log`,
    );
  }
  return end;
}

/**
 * Brings the daily files in `dir` up to the stream's last message as it is now (checking what is already
 * there first); returns how many events were copied and the head reached.
 */
export async function mirrorStream(
  settings: JetStreamSettings,
  dir: string,
  onEvent: (seq: number, end: number) => void = () => undefined,
): Promise<{ copied: number; head: ChainHead }> {
  await mkdir(dir, { recursive: true });
  const lock = await acquireLock(dir);
  const nc = await connectNats(settings, "scriptlog mirror");
  try {
    let start: ChainHead | null = null;
    await lastValueFrom(readLog(dir, { onEnd: (h) => (start = h) }).pipe(ignoreElements()), { defaultValue: undefined });
    const mirror = new StreamMirror(dir, start!, settings.stream);
    try {
      const end = await retried(async () =>
        streamEnd((await (await jetstreamManager(nc)).streams.info(settings.stream)).state.last_seq, mirror.head.seq, settings.stream, dir),
      );
      await retried(async () => {
        if (mirror.head.seq >= end) return;
        // Each try continues from where the copy has got to.
        const consumer = await jetstream(nc).consumers.get(settings.stream, {
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: mirror.head.seq + 1,
        });
        for await (const message of await consumer.consume()) {
          mirror.accept(message.seq, Buffer.from(message.data));
          onEvent(message.seq, end);
          if (message.seq >= end) break;
        }
      });
      return { copied: mirror.head.seq - start!.seq, head: mirror.head };
    } finally {
      mirror.close();
    }
  } finally {
    await nc.close();
    await lock.release();
  }
}

/**
 * Runs `step` until it succeeds: NATS out of reach, a stream between leaders or a request timed out on a busy
 * cluster is tried again, a little later each time, up to `maxFailures` times; a broken chain is final, and so
 * is anything once `stopped()` says so.
 */
export async function retried<T>(step: () => Promise<T>, maxFailures = 8, stopped: () => boolean = () => false): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await step();
    } catch (err) {
      if (err instanceof LogCorruptError || stopped()) throw err;
      if (failures >= maxFailures) {
        throw new ScriptlogError("log_unavailable", `the stream did not answer: ${(err as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * 2 ** failures)));
    }
  }
}
