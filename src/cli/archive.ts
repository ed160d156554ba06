// `scriptlog archive --before DATE --to DIR`: moves whole daily files older than DATE out of the live log,
// compressed, and records the boundary (seq and hash of the last archived event) the live chain continues
// from. Order matters for crashes: archive copies are durable before the boundary is written, and the
// boundary lists the files before they are deleted (replay skips listed files that a crash left behind).
import { mkdir, unlink } from "node:fs/promises";
import path from "node:path";
import { lastValueFrom, last, takeWhile } from "rxjs";
import type { Config } from "../config.js";
import { EMPTY_HEAD, type ChainHead } from "../events/chain.js";
import { ScriptlogError } from "../errors.js";
import { BOUNDARY_FILE, readBoundary, type ArchiveBoundary } from "../store/archiveBoundary.js";
import { ARCHIVE_MANIFEST, gzipDurably, readManifest } from "../store/archiveFiles.js";
import { writeDurably } from "../store/durableFiles.js";
import { acquireLock } from "../store/lock.js";
import { liveLogFiles } from "../store/logFiles.js";
import { readLog } from "../store/logReader.js";

export interface ArchiveReport {
  files: string[];
  boundary: ChainHead | null;
  to: string;
}

export async function archiveLog(eventsDir: string, before: string, to: string): Promise<ArchiveReport> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(before))
    throw new ScriptlogError("invalid_argument", `--before must be a date (YYYY-MM-DD), not '${before}'`, { before });
  const lock = await acquireLock(eventsDir);
  try {
    const boundary = readBoundary(eventsDir);
    const start: ChainHead = boundary ? { seq: boundary.seq, hash: boundary.hash } : EMPTY_HEAD;
    // Never today's file (UTC): the server appends to it, and a file of an archived name is skipped on replay.
    const until = [before, new Date().toISOString().slice(0, 10)].sort()[0];
    const files = (await liveLogFiles(eventsDir)).filter((f) => f < `${until}.jsonl`);
    if (files.length === 0) return { files: [], boundary: boundary && start, to };
    // Verified on the way: an archive must never hold a broken chain.
    const lastArchived = await lastValueFrom(
      readLog(eventsDir).pipe(
        takeWhile((e) => files.includes(e.location.file)),
        last(),
      ),
    );
    const end: ChainHead = { seq: lastArchived.envelope.seq, hash: lastArchived.envelope.hash };
    await mkdir(to, { recursive: true });
    const manifest = await readManifest(to);
    if (manifest && (manifest.end.seq !== start.seq || manifest.end.hash !== start.hash)) {
      throw new ScriptlogError(
        "invalid_argument",
        `${to} holds an archive that ends at seq ${manifest.end.seq}, where this log's live part does not begin`,
        { to },
      );
    }
    for (const file of files) await gzipDurably(path.join(eventsDir, file), path.join(to, `${file}.gz`));
    await writeDurably(
      path.join(to, ARCHIVE_MANIFEST),
      JSON.stringify(
        { start: manifest?.start ?? start, end, files: [...(manifest?.files ?? []), ...files.map((f) => `${f}.gz`)] },
        null,
        2,
      ) + "\n",
    );
    const next: ArchiveBoundary = {
      seq: end.seq,
      hash: end.hash,
      before,
      to: path.resolve(to),
      files: [...(boundary?.files ?? []), ...files],
    };
    await writeDurably(path.join(eventsDir, BOUNDARY_FILE), JSON.stringify(next, null, 2) + "\n");
    for (const file of files) await unlink(path.join(eventsDir, file));
    return { files, boundary: end, to };
  } finally {
    await lock.release();
  }
}

export async function archiveCommand(config: Config, options: { before: string; to: string; json?: boolean }): Promise<void> {
  if (config.jetstream) {
    throw new ScriptlogError(
      "invalid_argument",
      "archive moves daily files of the file store; a JetStream stream keeps every event (deny-delete)",
      {},
    );
  }
  const report = await archiveLog(config.eventsDir, options.before, options.to);
  if (options.json) console.log(JSON.stringify(report));
  else if (report.files.length === 0) console.log(`nothing to archive: no daily file before ${options.before}`);
  else
    console.log(`archived ${report.files.length} daily files to ${report.to}; the live log now begins after seq ${report.boundary!.seq}`);
}
