// Session inference measured on a labelled set: retry chains whose true sessions are known, recorded as a
// client that links nothing would send them. Pairwise precision and recall of the inferred sessions (the
// README reports them); and the same set imported with its links keeps every true session.
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { EventDraft } from "../src/events/types.js";
import { effectiveSession } from "../src/projections/sessions.js";
import { replayReadModels } from "../src/service/replay.js";
import { writeSyntheticLog } from "./bench/syntheticLog.js";
import { removeTempDirs, runCli, tempDir } from "./helpers/server.js";

/** mulberry32: a small seeded generator, so the labelled set is the same on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Labelled {
  log_id: string;
  truth: string;
  timestamp: string;
  code: string;
  user_prompt: string;
  image_filename: string;
  status: "failed" | "success";
  previous: string | null;
}

const VERBS = ["load", "scale", "blur", "mask", "crop", "save", "count", "label", "merge", "split", "plot", "stack"];
const NOUNS = ["tile", "channel", "image", "layer", "mask", "grid", "region", "band", "histogram", "contour"];

/** A generated tile-processing script: `lines` statements drawn from a vocabulary, so different scripts share few lines. */
function script(next: () => number, lines: number): string[] {
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  const out = ["import os", "import numpy as np", "import MapsBridge", "request = MapsBridge.ScriptTileSetRequest.FromStdIn()"];
  for (let i = 0; i < lines; i++) {
    const [verb, noun] = [pick(VERBS), pick(NOUNS)];
    out.push(`${noun}_${i} = ${verb}_${noun}(${pick(NOUNS)}_${Math.floor(next() * (i + 1))}, ${Math.floor(next() * 100)})`);
  }
  return out;
}

/**
 * 250 sessions over an afternoon: a prompt from 40 (users re-run prompts, and a rerun writes a script two
 * thirds like the prompt's earlier ones), an image from 4, one to five attempts a few minutes apart, each retry
 * editing 1–3 lines (one in seven rewrites half the script, one in ten comes after a pause of 35–60 minutes);
 * every session but a fifth ends in a success.
 */
function labelledSet(): Labelled[] {
  const next = random(13);
  const prompts = Array.from({ length: 40 }, (_, i) => ({
    prompt: `prompt ${i}: ${VERBS[i % VERBS.length]} every ${NOUNS[i % NOUNS.length]}`,
    base: script(next, 18),
  }));
  const images = ["image.jpg", "image.tif", "image.png", "scan.tif"];
  const start = Date.UTC(2026, 10, 20, 12);
  const attempts: Labelled[] = [];
  for (let s = 0; s < 250; s++) {
    const { prompt, base } = prompts[Math.floor(next() * prompts.length)];
    const image = images[Math.floor(next() * images.length)];
    // A rerun of a prompt writes a script like the prompt's (a third of its lines different), then retries edit it.
    let code = base.map((l) => (next() < 0.67 ? l : script(next, 1)[4]));
    let time = start + Math.floor(next() * 8 * 3600_000);
    const count = 1 + Math.min(4, Math.floor(-Math.log(1 - next()) * 1.2));
    const succeeds = next() < 0.8;
    let previous: string | null = null;
    for (let a = 0; a < count; a++) {
      if (a > 0) {
        code = [...code];
        // Most retries edit a few lines; some rewrite half the script; some come after a long pause.
        const edits = next() < 0.15 ? Math.floor(code.length / 2) : 1 + Math.floor(next() * 3);
        for (let e = edits; e > 0; e--) code[4 + Math.floor(next() * (code.length - 4))] = script(next, 1)[4];
        time += next() < 0.1 ? 35 * 60_000 + Math.floor(next() * 25 * 60_000) : 30_000 + Math.floor(next() * 5 * 60_000);
      }
      const log_id = `s${s}-a${a}`;
      attempts.push({
        log_id,
        truth: `s${s}`,
        timestamp: new Date(time).toISOString(),
        code: code.join("\n") + "\n",
        user_prompt: prompt,
        image_filename: image,
        status: a === count - 1 && succeeds ? "success" : "failed",
        previous,
      });
      previous = log_id;
    }
  }
  return attempts.sort((x, y) => x.timestamp.localeCompare(y.timestamp));
}

const STDERR =
  "Traceback (most recent call last):\n  File \"/code/main.py\", line 5, in <module>\n    x = f()\nNameError: name 'f' is not defined\n";
const pairs = (n: number) => (n * (n - 1)) / 2;

/** Pairwise precision and recall of predicted groups against true ones. */
function pairwise(items: Array<{ truth: string; predicted: string }>) {
  const cells = new Map<string, number>();
  const truths = new Map<string, number>();
  const predictions = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const { truth, predicted } of items) {
    bump(cells, `${truth}\n${predicted}`);
    bump(truths, truth);
    bump(predictions, predicted);
  }
  const sum = (map: Map<string, number>) => [...map.values()].reduce((n, c) => n + pairs(c), 0);
  const together = sum(cells);
  return { precision: together / sum(predictions), recall: together / sum(truths), sessions: predictions.size, true_sessions: truths.size };
}

describe("session inference on a labelled set", function () {
  this.timeout(60_000);
  after(() => removeTempDirs());
  const set = labelledSet();

  it("joins retries of one session and keeps other sessions apart: pairwise precision and recall", async () => {
    const events = path.join(tempDir(), "events");
    // As a client that links nothing sends them: every attempt gets a session of its own from the service.
    const drafts: EventDraft[] = set.map((a) => {
      const common = {
        log_id: a.log_id,
        session_id: `assigned-${a.log_id}`,
        timestamp: a.timestamp,
        code: a.code,
        user_prompt: a.user_prompt,
        image_filename: a.image_filename,
        session_assigned: true,
      };
      return a.status === "failed"
        ? { type: "AttemptFailed", data: { ...common, stderr: STDERR, return_code: 1 } }
        : { type: "AttemptSucceeded", data: { ...common, output_files: [] } };
    });
    await writeSyntheticLog(events, drafts);
    const models = await replayReadModels(events, { derivationWorkers: 0 });
    const sessions = models.states.sessions;
    const scores = pairwise(set.map((a) => ({ truth: a.truth, predicted: effectiveSession(sessions, `assigned-${a.log_id}`) })));
    // Measured (README, "Sessions the client did not link"): precision 0.75 — reruns of one prompt within the
    // window write code as alike as retries, and are joined — and recall 0.84 — rewrites and long pauses split.
    expect(scores.true_sessions).to.equal(250);
    expect(scores.precision, JSON.stringify(scores)).to.be.within(0.7, 0.8);
    expect(scores.recall, JSON.stringify(scores)).to.be.within(0.8, 0.9);
    expect(scores.sessions).to.equal(240);
  });

  it("keeps a client's linked sessions when their log is imported: inference joins nothing", async () => {
    const root = tempDir();
    for (const a of set) {
      const folder = path.join(root, a.status === "failed" ? "failures" : "successes", a.timestamp.slice(0, 10));
      mkdirSync(folder, { recursive: true });
      const doc = {
        log_id: a.log_id,
        session_id: a.truth,
        timestamp: a.timestamp,
        status: a.status,
        code: a.code,
        user_prompt: a.user_prompt,
        image_filename: a.image_filename,
        previous_attempt_id: a.previous,
        ...(a.status === "failed" ? { stderr: STDERR, return_code: 1 } : {}),
      };
      writeFileSync(path.join(folder, `${a.log_id}.json`), JSON.stringify(doc));
    }
    const events = path.join(root, "events");
    const imported = await runCli(["import", "--seed-logs", root, "--events-dir", events, "--json"]);
    expect(imported.code, imported.stderr).to.equal(0);
    const models = await replayReadModels(events, { derivationWorkers: 0 });
    expect(models.states.sessions.totals.sessions).to.equal(250);
    expect(models.states.sessions.aliases.size, "no session joined to another").to.equal(0);
  });
});
