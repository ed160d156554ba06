// `scriptlog simulate`: the whole learning loop against a real server, in seconds. A deterministic synthetic
// generator writes scripts for sessions; each script may make one of a few known mistakes (real CPython
// tracebacks, src/cli/simulateMistakes.ts), far less often when the context it was handed contains the rule
// for that mistake. Sessions with the empty starting context fail and get fixed, so rules appear; automatic
// context updates publish a candidate and experiment on it; the winner becomes current; first-attempt
// success per context version rises. Without --server it starts its own server on a temporary directory with
// AUTO_CONTEXT on; against a server without AUTO_CONTEXT it plays that part itself through the same API.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEFAULT_LOOP_SETTINGS, readConfig, type LoopSettings } from "../config.js";
import { ScriptlogError } from "../errors.js";
import { progressBar } from "./progress.js";
import { startServer, type RunningServer } from "./serve.js";
import { CLEAN_SCRIPTS, MISTAKES, type Mistake } from "./simulateMistakes.js";

export interface SimulateOptions {
  sessions: number;
  seed: number;
  server?: string;
}

/** The loop of the server simulate starts: a candidate as soon as it is warranted, small experiments. */
export const SIMULATION_LOOP: LoopSettings = {
  ...DEFAULT_LOOP_SETTINGS,
  autoContext: true,
  autoIntervalMinutes: 0,
  autoMinEvidenceSessions: 3,
  experimentMinSessions: 30,
};

/** How much less often a mistake is made when the context carries its rule. */
const AVOIDANCE = 0.1;
const MODEL = "simulated-model";
/** Against a server without AUTO_CONTEXT: sessions before simulate proposes a candidate itself. */
const DRIVER_LEARNING_SHARE = 0.2;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers of our own API

export interface SimulationReport {
  server: string;
  own_server: boolean;
  auto_context: boolean;
  seed: number;
  sessions: number;
  attempts: number;
  current: string | null;
  versions: Array<{
    version: string;
    source: string;
    status: string;
    rules: number;
    sessions: number;
    first_attempt_success: { successes: number; n: number; rate: number | null; ci95: [number, number] | null };
    mean_attempts_to_success: number | null;
  }>;
  experiments: Json[];
  rules: Array<{ id: string; with_rule: Json; without_rule: Json; verdict: string; p_value: number | null }>;
}

/** mulberry32: a tiny seeded generator, so the same seed writes the same scripts. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Api {
  constructor(readonly url: string) {}

  async call(method: "GET" | "POST", route: string, body?: unknown, ok: number[] = [200, 201]): Promise<Json> {
    let res: Response;
    try {
      res = await fetch(this.url + route, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ScriptlogError("invalid_argument", `cannot reach ${this.url}: ${(err as Error).message}`, { url: this.url });
    }
    const answer = (await res.json().catch(() => ({}))) as Json;
    if (!ok.includes(res.status)) {
      throw new ScriptlogError("invalid_argument", `${method} ${route} answered ${res.status}: ${answer.error?.message ?? "no JSON"}`, {
        status: res.status,
      });
    }
    return answer;
  }
}

export async function simulate(options: SimulateOptions): Promise<SimulationReport> {
  let own: { server: RunningServer; dir: string } | null = null;
  if (options.server === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), "scriptlog-simulate-"));
    const config = readConfig(
      {},
      {
        eventsDir: path.join(dir, "events"),
        projectionsDir: path.join(dir, "projections"),
        port: 0,
        host: "127.0.0.1",
        loop: SIMULATION_LOOP,
      },
    );
    own = { server: await startServer(config, () => undefined), dir };
  }
  try {
    return await run(new Api(own?.server.url ?? withoutTrailingSlashes(options.server!)), options, own !== null);
  } finally {
    if (own) {
      await own.server.stop();
      rmSync(own.dir, { recursive: true, force: true });
    }
  }
}

function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === "/") end--;
  return url.slice(0, end);
}

async function run(api: Api, options: SimulateOptions, ownServer: boolean): Promise<SimulationReport> {
  const random = seeded(options.seed);
  // Ids are deterministic on a fresh server of our own; on someone else's, a run must not repeat an earlier one's.
  const runId = ownServer ? `sim${options.seed}` : `sim${options.seed}-${Date.now().toString(36)}`;
  const listing = await api.call("GET", "/api/contexts");
  const auto: boolean = listing.auto_context?.enabled ?? false;
  if (listing.current === null) await api.call("POST", "/api/contexts", { note: "simulate: the starting context" });

  const ruleIds = new Map<string, Set<string>>();
  const rulesOf = async (version: string) => {
    let rules = ruleIds.get(version);
    if (!rules) ruleIds.set(version, (rules = new Set((await api.call("GET", `/api/contexts/${version}`)).context.rule_ids)));
    return rules;
  };
  /** The pattern (rule id) of each mistake, as the server files it: learnt from its first occurrence. */
  const patternOf = new Map<Mistake, string>();
  const versionsSeen = new Set<string>();
  const experimentsSeen = new Set<string>();
  const driver = auto ? null : new LoopDriver(api, runId, Math.round(options.sessions * DRIVER_LEARNING_SHARE));
  let attempts = 0;
  const bar = progressBar("simulate", options.sessions);

  for (let i = 0; i < options.sessions; i++) {
    const session = `${runId}-s${i}`;
    const generation = await api.call("GET", `/api/contexts/current?session_id=${session}`);
    const version: string | null = generation.context?.version ?? null;
    const rules = version === null ? new Set<string>() : await rulesOf(version);
    if (version !== null) versionsSeen.add(version);
    if (generation.experiment) experimentsSeen.add(generation.experiment);
    const tag = {
      session_id: session,
      ai_model: MODEL,
      user_prompt: `simulated task ${i % 7}`,
      ...(version === null ? {} : { context_version: version }),
      ...(generation.experiment ? { experiment: generation.experiment, variant: generation.variant } : {}),
    };
    // One random number per mistake, in a fixed order, whatever the context: the same seed, the same draws.
    const draws = MISTAKES.map(() => random());
    const task = CLEAN_SCRIPTS[Math.floor(random() * CLEAN_SCRIPTS.length)];
    const mistake = MISTAKES.find((m, k) => {
      const warned = patternOf.has(m) && rules.has(patternOf.get(m)!);
      return draws[k] < m.rate * (warned ? AVOIDANCE : 1);
    });
    if (mistake) {
      const failed = `${session}-1`;
      await api.call("POST", "/api/logs/attempts", {
        ...tag,
        status: "failed",
        log_id: failed,
        code: mistake.wrong,
        stderr: mistake.stderr,
        return_code: 1,
      });
      if (!patternOf.has(mistake)) patternOf.set(mistake, (await api.call("GET", `/api/logs/log/${failed}`)).log.pattern);
      await api.call("POST", "/api/logs/attempts", {
        ...tag,
        status: "success",
        log_id: `${session}-2`,
        code: mistake.right,
        stdout: "ok\n",
      });
      attempts += 2;
    } else {
      await api.call("POST", "/api/logs/attempts", { ...tag, status: "success", log_id: `${session}-1`, code: task, stdout: "ok\n" });
      attempts += 1;
    }
    const started = await driver?.step(i);
    if (started) experimentsSeen.add(started);
    bar.update(i + 1);
  }
  bar.stop();
  return report(api, options, ownServer, auto, attempts, versionsSeen, experimentsSeen);
}

/** The automatic updates' part, played through the API against a server without AUTO_CONTEXT. */
class LoopDriver {
  private experiment: string | null = null;

  constructor(
    private readonly api: Api,
    private readonly runId: string,
    private readonly learningSessions: number,
  ) {}

  /** After session i: propose the generated context once, then stop the experiment when it has decided. */
  async step(i: number): Promise<string | null> {
    if (i + 1 === this.learningSessions && this.experiment === null) {
      const current: string | null = (await this.api.call("GET", "/api/contexts")).current;
      const candidate = await this.api.call("POST", "/api/contexts", { note: "simulate: candidate", make_current: false });
      if (!candidate.created || candidate.context.version === current) return null;
      this.experiment = `${this.runId}-candidate`;
      await this.api.call("POST", "/api/experiments", {
        id: this.experiment,
        variants: [
          { name: "current", ...(current === null ? {} : { context_version: current }) },
          { name: "candidate", context_version: candidate.context.version },
        ],
        min_sessions_per_variant: SIMULATION_LOOP.experimentMinSessions,
      });
      return this.experiment;
    }
    if (this.experiment !== null) {
      const report = (await this.api.call("GET", `/api/experiments/${this.experiment}`)).experiment;
      if (report.status === "running" && report.decision.status !== "collecting") {
        await this.api.call("POST", `/api/experiments/${this.experiment}/stop`, { promote_winner: true });
      }
    }
    return null;
  }
}

async function report(
  api: Api,
  options: SimulateOptions,
  ownServer: boolean,
  auto: boolean,
  attempts: number,
  versionsSeen: Set<string>,
  experimentsSeen: Set<string>,
): Promise<SimulationReport> {
  const listing = await api.call("GET", "/api/contexts");
  const versions = [];
  for (const context of [...listing.contexts].reverse()) {
    if (!versionsSeen.has(context.version)) continue;
    const { stats } = await api.call("GET", `/api/contexts/${context.version}`);
    versions.push({
      version: context.version,
      source: context.source,
      status: context.status,
      rules: context.rule_ids.length,
      sessions: stats.sessions,
      first_attempt_success: stats.first_attempt_success,
      mean_attempts_to_success: stats.mean_attempts_to_success,
    });
  }
  const experiments = [];
  for (const id of experimentsSeen) experiments.push((await api.call("GET", `/api/experiments/${id}`)).experiment);
  const current = listing.current === null ? null : await api.call("GET", `/api/contexts/${listing.current}`);
  const rules = (current?.stats.rules ?? []).map((r: Json) => ({
    id: r.id,
    with_rule: r.effect.with_rule,
    without_rule: r.effect.without_rule,
    verdict: r.effect.verdict,
    p_value: r.effect.p_value,
  }));
  return {
    server: api.url,
    own_server: ownServer,
    auto_context: auto,
    seed: options.seed,
    sessions: options.sessions,
    attempts,
    current: listing.current,
    versions,
    experiments,
    rules,
  };
}

const pct = (x: number | null) => (x === null ? "-" : x.toFixed(3));
const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

/** The report as a table for people. */
export function formatSimulation(r: SimulationReport): string {
  const lines = [
    `scriptlog simulate: ${r.sessions} sessions (${r.attempts} attempts), seed ${r.seed}, against ${r.server}` +
      (r.own_server
        ? " (its own server, AUTO_CONTEXT on)"
        : r.auto_context
          ? " (AUTO_CONTEXT on)"
          : " (AUTO_CONTEXT off: simulate ran the loop)"),
    "",
    "First-attempt success per context version (sessions whose first script ran without an error):",
    `${pad("version", 9)}${pad("source", 11)}${pad("status", 11)}${lpad("rules", 5)}${lpad("sessions", 10)}  ${pad("rate", 7)}${pad("95% CI", 18)}attempts to success`,
  ];
  for (const v of r.versions) {
    const ci = v.first_attempt_success.ci95;
    lines.push(
      `${pad(v.version, 9)}${pad(v.source, 11)}${pad(v.status, 11)}${lpad(v.rules, 5)}${lpad(v.sessions, 10)}  ${pad(pct(v.first_attempt_success.rate), 7)}` +
        `${pad(ci ? `[${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : "-", 18)}${v.mean_attempts_to_success === null ? "-" : v.mean_attempts_to_success.toFixed(2)}`,
    );
  }
  if (r.experiments.length) {
    lines.push("", "Experiments:");
    for (const e of r.experiments) {
      const arms = e.variants
        .map(
          (v: Json) =>
            `${v.name} (${v.context_version ?? "no context"}) ${pct(v.first_attempt_success.rate)} of ${v.sessions}, P(best) ${v.probability_best.toFixed(3)}`,
        )
        .join(" vs ");
      const d = e.decision;
      const verdict = d.status === "winner" ? `winner: ${d.winner}` : d.status;
      lines.push(
        `${e.id}: ${e.status}, ${verdict}${d.p_value === null ? "" : ` (p = ${d.p_value.toExponential(2)}, ${d.test})`}`,
        `  ${arms}`,
      );
    }
  }
  if (r.rules.length) {
    lines.push(
      "",
      `Rules of the current context (${r.current}): how often each one's mistake was made, with the rule in the context vs without:`,
    );
    for (const rule of r.rules) {
      lines.push(
        `  ${rule.verdict.padEnd(17)} with ${pct(rule.with_rule.rate)} (${rule.with_rule.failures}/${rule.with_rule.attempts})  ` +
          `without ${pct(rule.without_rule.rate)} (${rule.without_rule.failures}/${rule.without_rule.attempts})  ${rule.id}`,
      );
    }
  }
  return lines.join("\n");
}

export async function simulateCommand(options: { sessions: string; seed: string; server?: string; json?: boolean }): Promise<void> {
  const sessions = Number(options.sessions);
  const seed = Number(options.seed);
  if (!Number.isInteger(sessions) || sessions < 1 || sessions > 100_000) {
    throw new ScriptlogError("invalid_argument", `--sessions must be an integer from 1 to 100000, not '${options.sessions}'`);
  }
  if (!Number.isInteger(seed) || seed < 0)
    throw new ScriptlogError("invalid_argument", `--seed must be a non-negative integer, not '${options.seed}'`);
  const result = await simulate({ sessions, seed, server: options.server });
  console.log(options.json ? JSON.stringify(result, null, 2) : formatSimulation(result));
}
