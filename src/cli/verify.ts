// `scriptlog verify`: re-checks every line of the log (JSON, schema, seq continuity, hash chain) and every
// signed checkpoint (its signature, and that the log still extends it). Exits non-zero at the first problem.
import { readFile } from "node:fs/promises";
import { lastValueFrom, tap } from "rxjs";
import { parseCheckpoint, parseVerifierKey, signatureValid } from "../events/checkpoint.js";
import type { StoredEvent } from "../events/types.js";
import { LogCorruptError } from "../errors.js";
import { readCheckpointFiles } from "../store/checkpointFiles.js";
import { readBoundary } from "../store/archiveBoundary.js";
import { ARCHIVE_MANIFEST, gzipLines, readManifest, type ArchiveManifest } from "../store/archiveFiles.js";
import { ChainVerifier } from "../events/chain.js";
import path from "node:path";
import { readLog, type KnownHead, type TornTail } from "../store/logReader.js";
import { snapshotMadeAt } from "../service/snapshots.js";
import { logProgress } from "./logProgress.js";

export interface VerifyReport {
  ok: boolean;
  events: number;
  head: { seq: number; hash: string } | null;
  checkpoints: number;
  signatures_checked: boolean;
  /** The first problem found. */
  problem: { file: string; line: number | null; seq: number | null; reason: string } | null;
  torn_tail: TornTail | null;
  /** Where the live chain starts, after `scriptlog archive`: the last archived event. */
  archive_boundary?: { seq: number; hash: string } | null;
}

/** An archive made by `scriptlog archive`: its files' chain runs from the manifest's start to its end. */
export async function verifyArchive(dir: string, manifest: ArchiveManifest): Promise<VerifyReport> {
  const chain = new ChainVerifier(manifest.start);
  const report: VerifyReport = {
    ok: true,
    events: 0,
    head: null,
    checkpoints: 0,
    signatures_checked: false,
    problem: null,
    torn_tail: null,
  };
  try {
    for (const file of manifest.files) {
      let lineNumber = 0;
      for await (const line of gzipLines(path.join(dir, file))) {
        const envelope = chain.accept(line, file, ++lineNumber);
        report.events++;
        report.head = { seq: envelope.seq, hash: envelope.hash };
      }
    }
  } catch (err) {
    // A corrupt line names its place; a damaged gzip stream only says what broke.
    report.ok = false;
    report.problem =
      err instanceof LogCorruptError
        ? { file: err.file, line: err.line, seq: err.seq, reason: err.reason }
        : { file: "archive", line: null, seq: null, reason: (err as Error).message };
    return report;
  }
  if (chain.current.seq !== manifest.end.seq || chain.current.hash !== manifest.end.hash) {
    report.ok = false;
    report.problem = {
      file: ARCHIVE_MANIFEST,
      line: null,
      seq: manifest.end.seq,
      reason: `the archive ends at seq ${chain.current.seq}, not at the seq ${manifest.end.seq} and hash its manifest records`,
    };
  }
  return report;
}

export async function verifyLog(
  eventsDir: string,
  options: { pubkey?: string; onEvent?: (e: StoredEvent) => void; mustReach?: KnownHead[] } = {},
): Promise<VerifyReport> {
  const key = options.pubkey ? parseVerifierKey(await readFile(options.pubkey, "utf8")) : null;
  // Only the hashes at checkpointed seqs are kept, so memory does not grow with the log.
  const notes = (await readCheckpointFiles(eventsDir)).map(({ file, text }) => {
    try {
      return { file, note: parseCheckpoint(text) };
    } catch (err) {
      return { file, error: (err as Error).message };
    }
  });
  const wanted = new Set(notes.flatMap((n) => ("note" in n && n.note ? [n.note.checkpoint.seq] : [])));
  const hashes = new Map<number, string>();
  // Checkpoints at or before an archive boundary: the boundary's own hash, else only their signatures.
  const boundary = readBoundary(eventsDir);
  if (boundary) hashes.set(boundary.seq, boundary.hash);
  const report: VerifyReport = {
    ok: true,
    events: 0,
    // The live chain continues from the archive boundary, whether or not any event follows it yet.
    head: boundary ? { seq: boundary.seq, hash: boundary.hash } : null,
    archive_boundary: boundary ? { seq: boundary.seq, hash: boundary.hash } : null,
    checkpoints: notes.length,
    signatures_checked: key !== null,
    problem: null,
    torn_tail: null,
  };
  try {
    await lastValueFrom(
      readLog(eventsDir, { onTornTail: (t) => (report.torn_tail = t), mustReach: options.mustReach }).pipe(
        tap((e) => {
          report.events++;
          report.head = { seq: e.envelope.seq, hash: e.envelope.hash };
          if (wanted.has(e.envelope.seq)) hashes.set(e.envelope.seq, e.envelope.hash);
          options.onEvent?.(e);
        }),
      ),
      { defaultValue: null },
    );
  } catch (err) {
    if (!(err instanceof LogCorruptError)) throw err;
    report.ok = false;
    report.problem = { file: err.file, line: err.line, seq: err.seq, reason: err.reason };
    return report;
  }
  for (const n of notes) {
    const fail = (reason: string, seq: number | null = null) => {
      report.ok = false;
      report.problem = { file: n.file, line: null, seq, reason };
    };
    if (!("note" in n) || !n.note) {
      fail(`not a valid checkpoint: ${n.error}`);
      break;
    }
    const { checkpoint } = n.note;
    if (key && !signatureValid(n.note, key)) {
      fail(`checkpoint at seq ${checkpoint.seq} has no valid signature by ${key.name}`, checkpoint.seq);
      break;
    }
    const hash = hashes.get(checkpoint.seq);
    if (hash === undefined && boundary && checkpoint.seq < boundary.seq) continue; // its events are archived
    if (hash === undefined) {
      fail(
        `checkpoint at seq ${checkpoint.seq} is beyond the end of the log (seq ${report.head?.seq ?? 0}): events were removed`,
        checkpoint.seq,
      );
      break;
    }
    if (hash !== checkpoint.hash) {
      fail(`the log no longer extends the checkpoint at seq ${checkpoint.seq}: history before it was rewritten`, checkpoint.seq);
      break;
    }
  }
  return report;
}

/** `projectionsDir`: the snapshot beside this log, whose seq the log must still reach. */
export async function verifyCommand(
  eventsDir: string,
  options: { pubkey?: string; json?: boolean; projectionsDir?: string },
): Promise<void> {
  const manifest = await readManifest(eventsDir);
  const progress = await logProgress("verify", eventsDir);
  const report = manifest
    ? await verifyArchive(eventsDir, manifest)
    : await verifyLog(eventsDir, {
        pubkey: options.pubkey,
        onEvent: progress.onEvent,
        mustReach: [options.projectionsDir ? await snapshotMadeAt(options.projectionsDir) : null].filter((k) => k !== null),
      });
  progress.stop();
  if (options.json) console.log(JSON.stringify(report));
  else if (report.ok) {
    console.log(
      `ok: ${report.events} events` +
        (report.archive_boundary ? ` after the archive boundary at seq ${report.archive_boundary.seq}` : "") +
        `, head seq ${report.head?.seq ?? 0}` +
        (report.head ? ` hash ${report.head.hash}` : "") +
        `; ${report.checkpoints} checkpoint${report.checkpoints === 1 ? "" : "s"}` +
        (report.checkpoints ? (report.signatures_checked ? ", signatures valid" : " (signatures not checked: no --pubkey)") : ""),
    );
    if (report.torn_tail)
      console.log(
        `note: ${report.torn_tail.file} ends in an unfinished line (${report.torn_tail.bytes} bytes), an append in progress or cut by a crash`,
      );
  } else {
    const p = report.problem!;
    console.error(`FAILED: ${p.file}${p.line !== null ? `:${p.line}` : ""}${p.seq !== null ? ` (seq ${p.seq})` : ""}: ${p.reason}`);
  }
  if (!report.ok) process.exitCode = 3;
}
