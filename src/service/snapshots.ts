// Read-model snapshots on disk: one JSON file per read model, then meta.json (written last) naming the seq
// and head they reflect, the version of each projection and of the analyzer, the analyzer settings, and each
// file's sha256 digest (a snapshot edited by hand is never served as truth).
// Every file is written durably (temp file + fsync + rename). Here in the service layer: it joins the read
// models with file storage.
import { createHash, hash, type Hash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { ANALYZER_VERSION } from "../analysis/version.js";
import { AttemptsWriteState } from "../decider/attempts.js";
import { ReadModels, type ReadModelOptions, type ReadModelsHead } from "../projections/readModels.js";
import { writeDurably, writeDurablyChunks } from "../store/durableFiles.js";
import type { KnownHead } from "../store/logReader.js";
import { logAnchor } from "../store/rawEvents.js";

export interface SnapshotMeta {
  seq: number;
  head: ReadModelsHead | null;
  /** The first event of the log the snapshot was made from (see logAnchor). */
  anchor?: { seq: number; hash: string } | null;
  analyzer_version: number;
  settings: unknown;
  projections: Record<string, number>;
  /** sha256 of each read model's file, checked at load: a changed file is never served as truth. */
  digests: Record<string, string>;
}

const META = "meta.json";
/** The write side's state, snapshotted beside the read models (it is not one: nothing is served from it). */
const DECIDER = "decider";
const DECIDER_VERSION = 1;

const CHUNK = 10_000;

/**
 * The bytes of JSON.stringify({projection, version, seq, state}) + "\n", in pieces: a state that is a long
 * array (a million attempt records) would not fit in one string.
 */
function* snapshotChunks(name: string, snapshot: { version: number; seq: number; state: unknown }): Generator<string> {
  const { state, ...rest } = snapshot;
  yield JSON.stringify({ projection: name, ...rest }).slice(0, -1) + ',"state":';
  if (!Array.isArray(state)) {
    yield JSON.stringify(state);
  } else {
    for (let i = 0; i < state.length; i += CHUNK)
      yield (
        (i === 0 ? "[" : ",") +
        state
          .slice(i, i + CHUNK)
          .map((item) => JSON.stringify(item))
          .join(",")
      );
    if (state.length === 0) yield "[";
    yield "]";
  }
  yield "}\n";
}

/** Passes the chunks on, feeding each to the digest. */
function* digesting(chunks: Iterable<string>, digest: Hash): Generator<string> {
  for (const chunk of chunks) {
    digest.update(chunk);
    yield chunk;
  }
}

/**
 * Writes every read model's snapshot and the write side's state, then the meta that makes them a set; returns
 * the files written.
 */
export async function writeSnapshots(
  models: ReadModels,
  writeState: AttemptsWriteState,
  dir: string,
  eventsDir: string,
): Promise<string[]> {
  if (writeState.seq !== models.seq) throw new Error(`the write state is at seq ${writeState.seq}, the read models at ${models.seq}`);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const versions: Record<string, number> = {};
  const digests: Record<string, string> = {};
  const sets = { ...models.toJSON(), [DECIDER]: { version: DECIDER_VERSION, seq: writeState.seq, state: writeState.toJSON() } };
  for (const [name, snapshot] of Object.entries(sets)) {
    const file = path.join(dir, `${name}.json`);
    const digest = createHash("sha256");
    await writeDurablyChunks(file, digesting(snapshotChunks(name, snapshot), digest));
    digests[name] = digest.digest("hex");
    versions[name] = snapshot.version;
    written.push(file);
  }
  const meta: SnapshotMeta = {
    seq: models.seq,
    head: models.head,
    anchor: await logAnchor(eventsDir),
    analyzer_version: ANALYZER_VERSION,
    settings: models.settings,
    projections: versions,
    digests,
  };
  await writeDurably(path.join(dir, META), JSON.stringify(meta, null, 2) + "\n");
  return [...written, path.join(dir, META)];
}

/**
 * The read models and write state a snapshot set holds, or why it cannot be used (another version, other
 * settings, damage).
 */
export async function loadSnapshots(
  dir: string,
  options: ReadModelOptions,
): Promise<{ models: ReadModels; writeState: AttemptsWriteState } | { reason: string }> {
  let meta: SnapshotMeta;
  try {
    meta = JSON.parse(await readFile(path.join(dir, META), "utf8")) as SnapshotMeta;
  } catch (err) {
    return {
      reason: (err as NodeJS.ErrnoException).code === "ENOENT" ? "no snapshot" : `${META} is unreadable (${(err as Error).message})`,
    };
  }
  if (meta.analyzer_version !== ANALYZER_VERSION)
    return { reason: `made by analyzer version ${meta.analyzer_version}, not ${ANALYZER_VERSION}` };
  const models = new ReadModels(options);
  if (JSON.stringify(meta.settings) !== JSON.stringify(models.settings)) return { reason: "made with other analyzer settings" };
  if (meta.projections?.[DECIDER] !== DECIDER_VERSION) return { reason: `it holds no write-side state of version ${DECIDER_VERSION}` };
  try {
    const json: Record<string, { version: number; seq: number; state: unknown }> = {};
    for (const name of Object.keys(meta.projections)) {
      const bytes = await readFile(path.join(dir, `${name}.json`));
      const digest = meta.digests?.[name];
      if (digest === undefined) return { reason: `${META} records no digest of ${name}.json (made by an older version)` };
      if (hash("sha256", bytes, "hex") !== digest)
        return { reason: `${name}.json was changed after it was written (its digest does not match)` };
      json[name] = JSON.parse(bytes.toString("utf8"));
    }
    const { [DECIDER]: decider, ...readModels } = json;
    if (decider.seq !== meta.seq) return { reason: `the write-side state is at seq ${decider.seq}, not ${meta.seq}` };
    const writeState = AttemptsWriteState.fromJSON(decider.state as ReturnType<AttemptsWriteState["toJSON"]>);
    return { models: ReadModels.fromJSON(readModels, meta.head, options), writeState };
  } catch (err) {
    return { reason: `damaged or out of step (${(err as Error).message})` };
  }
}

/**
 * The seq a snapshot set was made at, whether or not it can be loaded: the log it was made from held that
 * many events, so a log that now ends before it has lost some.
 */
export async function snapshotMadeAt(dir: string): Promise<KnownHead | null> {
  try {
    const meta = JSON.parse(await readFile(path.join(dir, META), "utf8")) as Partial<SnapshotMeta>;
    const seq = meta.head?.seq;
    if (typeof seq !== "number" || seq <= 0) return null;
    return { seq, by: `the snapshot ${path.join(dir, META)}`, ...(meta.anchor ? { anchor: meta.anchor } : {}) };
  } catch {
    return null;
  }
}
