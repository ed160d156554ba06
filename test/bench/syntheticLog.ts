// Writes a valid, hash-chained log of generated attempts straight to disk, for benchmarks.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { GENESIS_HASH, sealEnvelope } from "../../src/events/envelope.js";
import { CURRENT_VERSION } from "../../src/events/schemas.js";
import type { Envelope, EventDraft } from "../../src/events/types.js";

const ERRORS = [
  ["AttributeError", "module 'os' has no attribute 'makedir'", "os.makedir(out_dir)"],
  ["NameError", "name 'np' is not defined", "arr = np.zeros((4, 4))"],
  ["KeyError", "'height'", "h = cfg['height']"],
  ["ValueError", "invalid literal for int() with base 10: '12px'", "w = int(width)"],
  ["ModuleNotFoundError", "No module named 'skimagex'", "import skimagex"],
  ["TypeError", 'can only concatenate str (not "int") to str', "label = 'n=' + n"],
] as const;

// Real-looking script lines (a generated map-tile script), repeated to the size asked for.
const BODY_LINES = [
  "def load_tile(path, size=256):",
  "    with open(path, 'rb') as handle:",
  "        data = handle.read()",
  "    return {'path': path, 'bytes': len(data), 'size': size}",
  "",
  "tiles = [load_tile(os.path.join(src_dir, name)) for name in sorted(os.listdir(src_dir))]",
  "total = sum(tile['bytes'] for tile in tiles)",
  "print(f'loaded {len(tiles)} tiles, {total} bytes')",
];

/** Lines of script code adding up to about `bytes`. */
function scriptPadding(bytes: number): string {
  let out = "";
  for (let i = 0; out.length < bytes; i++) out += BODY_LINES[i % BODY_LINES.length] + "\n";
  return out;
}

const scriptHead = (i: number) => `import os\nimport numpy as np\n# attempt ${i}\nsrc_dir = 'tiles'\nout_dir = 'out'\n`;

/** A realistic pair of request bodies: ~2 KB of code, stderr and stdout. */
export function failedBody(i: number, padding = 1200) {
  const [type, message, line] = ERRORS[i % ERRORS.length];
  const code = scriptHead(i) + scriptPadding(padding) + `${line}\n`;
  return {
    status: "failed" as const,
    code,
    stderr: `Traceback (most recent call last):\n  File "/srv/runner/job_runner.py", line 9, in main\n    exec(src)\n  File "/tmp/job-${i}/main.py", line ${code.split("\n").length - 1}, in <module>\n    ${line}\n${type}: ${message}\n`,
    stdout: "[DEBUG] job_runner starting\n",
    return_code: 1,
    ai_model: i % 2 ? "model-a" : "model-b",
    image_filename: `tile-${i % 50}.png`,
  };
}

export function successBody(i: number, padding = 1200) {
  return {
    status: "success" as const,
    code: scriptHead(i) + scriptPadding(padding) + "os.makedirs(out_dir, exist_ok=True)\n",
    stdout: "[DEBUG] job_runner starting\nsaved 3 files\n",
    output_files: ["out/a.png"],
    execution_time_seconds: 1.25,
    ai_model: i % 2 ? "model-a" : "model-b",
    image_filename: `tile-${i % 50}.png`,
  };
}

/** Sessions of failure, failure, success (+ the FixRecorded events the service would write), `stepMs` apart from 2026-01-01. */
export function* sessionDrafts(attempts: number, padding: number, stepMs = 1000): Generator<EventDraft> {
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < attempts; i++) {
    const session = `s${Math.floor(i / 3)}`;
    const common = { log_id: `a${i}`, session_id: session, timestamp: new Date(start + i * stepMs).toISOString(), session_assigned: false };
    if (i % 3 < 2) {
      const { status: _s, ...facts } = failedBody(i, padding);
      yield { type: "AttemptFailed", data: { ...common, ...facts } };
    } else {
      const { status: _s, ...facts } = successBody(i, padding);
      yield { type: "AttemptSucceeded", data: { ...common, ...facts } };
      for (const f of [i - 2, i - 1])
        yield { type: "FixRecorded", data: { failure_log_id: `a${f}`, success_log_id: `a${i}`, session_id: session } };
    }
  }
}

/** Writes the drafts as one daily file; returns the number of events. */
export async function writeSyntheticLog(dir: string, drafts: Iterable<EventDraft>): Promise<number> {
  await mkdir(dir, { recursive: true });
  const out = createWriteStream(path.join(dir, "2026-01-01.jsonl"));
  let prev = GENESIS_HASH;
  let seq = 0;
  const recorded_at = "2026-01-01T00:00:00.000Z";
  for (const draft of drafts) {
    seq++;
    const unhashed = {
      seq,
      id: randomUUID(),
      type: draft.type,
      version: CURRENT_VERSION[draft.type],
      recorded_at,
      data: draft.data,
      prev_hash: prev,
    } as Omit<Envelope, "hash">;
    const sealed = sealEnvelope(unhashed);
    prev = sealed.envelope.hash;
    if (!out.write(sealed.line + "\n")) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return seq;
}

/** One session of `failures` failed attempts, each changing a line of the one before, then the success that fixes them all. */
export function* longSessionDrafts(session: string, failures: number, padding: number): Generator<EventDraft> {
  const start = Date.UTC(2026, 0, 2);
  const common = (i: number) => ({
    log_id: `${session}-${i}`,
    session_id: session,
    timestamp: new Date(start + i * 60_000).toISOString(),
    session_assigned: false,
  });
  for (let i = 0; i < failures; i++) {
    const { status: _s, ...facts } = failedBody(i, padding);
    yield { type: "AttemptFailed", data: { ...common(i), ...facts, code: facts.code.replace("# attempt", `# try ${i}: attempt`) } };
    if (i > 0)
      yield { type: "AttemptLinked", data: { log_id: `${session}-${i}`, previous_attempt_id: `${session}-${i - 1}`, session_id: session } };
  }
  const { status: _s, ...facts } = successBody(failures, padding);
  yield { type: "AttemptSucceeded", data: { ...common(failures), ...facts } };
  yield {
    type: "AttemptLinked",
    data: { log_id: `${session}-${failures}`, previous_attempt_id: `${session}-${failures - 1}`, session_id: session },
  };
  for (let i = 0; i < failures; i++)
    yield {
      type: "FixRecorded",
      data: { failure_log_id: `${session}-${i}`, success_log_id: `${session}-${failures}`, session_id: session },
    };
}
