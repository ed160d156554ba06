// Routes are thin: validate, ask a read model, shape the response.
import Router from "@koa/router";
import type { Context } from "koa";
import { ScriptlogError } from "../errors.js";
import { learningSummary } from "../analysis/recommendations.js";
import type { RuleFilter } from "../projections/analysis.js";
import { timestampMillis } from "../events/validation.js";
import type { ScriptlogService } from "../service/scriptlogService.js";
import type { EntriesJson } from "../service/queries.js";
import { openApiDocument } from "./openapi.js";
import { tokenName } from "./auth.js";
import { Readable } from "node:stream";

import { parseAttemptBody, parseQuery, querySchemas } from "./schemas.js";
import type { EventStream } from "./stream.js";
import type { DetectionSettings } from "../config.js";
import type { AnomalyWatch } from "../service/anomalyWatch.js";
import type { WebhookAlerter } from "../service/alerter.js";
import { MAX_BUCKETS, type TrendQuery, type TrendSettings } from "../projections/trends.js";

const DEFAULT_MAX_RULES = 10;

/** What the routes answer from beside the read models. */
export interface LiveRoutes {
  stream: EventStream;
  detection: DetectionSettings;
  watch: AnomalyWatch;
  alerter: WebhookAlerter | null;
}

export function logRoutes(service: ScriptlogService, live: LiveRoutes): Router {
  const router = new Router();
  const queries = service.queries;
  const trendSettings: TrendSettings = { alpha: live.detection.trendAlpha, minAttempts: live.detection.trendMinAttempts };

  router.get("/health", (ctx) => {
    const health = service.health();
    ctx.status = health.status === "ok" ? 200 : 503;
    ctx.body = { ...health, seq: queries.seq };
  });

  router.get("/api/openapi.json", (ctx) => {
    ctx.body = openApiDocument();
  });

  router.post("/api/logs/attempts", async (ctx) => {
    const body = parseAttemptBody(ctx.request.body);
    const { result, replayed, seq } = await service.recordAttempt(body, { recordedBy: tokenName(ctx) });
    ctx.state.writtenSeq = seq;
    ctx.status = 201;
    if (replayed) ctx.set("Idempotent-Replay", "true");
    ctx.body = { success: true, ...result };
  });

  router.get("/api/logs/events", async (ctx) => {
    const q = parseQuery<{ after: number; limit: number }>(querySchemas.events, ctx.query);
    ctx.type = "application/x-ndjson";
    ctx.body = Readable.from(take(service.rawEvents(q.after), q.limit));
  });

  router.get("/api/logs/stream", (ctx) => {
    const q = parseQuery<{ after?: number }>(querySchemas.stream, ctx.query);
    const header = ctx.get("Last-Event-ID");
    if (header !== "" && !/^\d{1,15}$/.test(header)) {
      throw new ScriptlogError("invalid_argument", `Last-Event-ID must be a seq (a non-negative integer), not '${header}'`, {
        last_event_id: header,
      });
    }
    live.stream.open(ctx, header !== "" ? Number(header) : (q.after ?? null));
  });

  router.get("/api/logs/checkpoint", async (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, ...(await service.latestCheckpoint()) };
  });

  router.get("/api/logs/summary", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, summary: queries.summary(new Date(), trendSettings) };
  });

  router.get("/api/logs/trends", (ctx) => {
    const q = parseQuery<{ bucket: "day" | "week"; by?: TrendQuery["by"]; since?: string; until?: string }>(querySchemas.trends, ctx.query);
    const since = q.since === undefined ? undefined : timestampMillis(q.since);
    const until = q.until === undefined ? undefined : timestampMillis(q.until);
    if (since !== undefined && until !== undefined && since > until) {
      throw new ScriptlogError("invalid_query", "since must not be after until", { since: q.since, until: q.until });
    }
    const trends = queries.trends({ bucket: q.bucket, by: q.by, since, until }, Date.now(), trendSettings);
    if (!trends) {
      throw new ScriptlogError("invalid_query", `more than ${MAX_BUCKETS} buckets: use bucket=week or a narrower since/until`, {
        max_buckets: MAX_BUCKETS,
      });
    }
    ctx.body = { success: true, trends };
  });

  router.get("/api/logs/anomalies", (ctx) => {
    const q = parseQuery<{ at?: string }>(querySchemas.anomalies, ctx.query);
    const at = q.at === undefined ? Date.now() : timestampMillis(q.at);
    ctx.body = { success: true, at: new Date(at).toISOString(), anomalies: queries.anomalies(at, live.detection) };
  });

  router.get("/api/logs/alerts", (ctx) => {
    const q = parseQuery<{ limit: number }>(querySchemas.alerts, ctx.query);
    const alerter = live.alerter;
    ctx.body = {
      success: true,
      alerts: {
        webhook: alerter !== null,
        ...queries.alerts(q.limit),
        delivery: alerter ? { ...alerter.counters, pending: alerter.pending } : null,
        watch: live.watch.stats,
      },
    };
  });

  router.get("/api/logs/failures", (ctx) => {
    const q = parseQuery<{ limit: number; unfixed_only: boolean }>(querySchemas.failures, ctx.query);
    const failures = queries.failures(q.limit, q.unfixed_only);
    jsonWithEntries(ctx, "failures", failures);
  });

  router.get("/api/logs/successes", (ctx) => {
    const q = parseQuery<{ limit: number }>(querySchemas.successes, ctx.query);
    const successes = queries.successes(q.limit);
    jsonWithEntries(ctx, "successes", successes);
  });

  router.get("/api/logs/session/:session_id", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, ...queries.session(ctx.params.session_id) };
  });

  router.get("/api/logs/log/:log_id", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, log: queries.attempt(ctx.params.log_id) };
  });

  router.get("/api/logs/analysis", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, analysis: queries.analysis() };
  });

  router.get("/api/logs/error-patterns", (ctx) => {
    const q = parseQuery<{ category?: string; library?: string; since?: string }>(querySchemas.errorPatterns, ctx.query);
    ctx.body = { success: true, ...queries.errorPatterns(q) };
  });

  router.get("/api/logs/recommendations", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const recommendations = service.contexts.pool();
    ctx.body = { success: true, recommendations, ai_learning_summary: learningSummary(recommendations) };
  });

  router.get("/api/logs/ai-context", (ctx) => {
    const q = parseQuery<{ max_rules?: number; max_examples?: number; max_chars: number; format: "markdown" | "json" } & RuleFilter>(
      querySchemas.aiContext,
      ctx.query,
    );
    if (q.max_rules !== undefined && q.max_examples !== undefined && q.max_rules !== q.max_examples)
      throw new ScriptlogError("invalid_query", "max_examples is another name for max_rules: give one, or both equal", {
        parameter: "max_examples",
      });
    const filters: RuleFilter = {};
    for (const key of ["library", "category", "ai_model"] as const) if (q[key] !== undefined) filters[key] = q[key];
    const maxRules = q.max_rules ?? q.max_examples ?? DEFAULT_MAX_RULES;
    const { context, rules } = queries.aiContext(filters, maxRules, q.max_chars);
    const shaped = q.format === "json" ? rules.map((r) => ({ id: r.id, rule: r.rule, example: r.example, evidence: r.evidence })) : context;
    ctx.body = {
      success: true,
      format: q.format,
      context: shaped,
      rules,
      filters,
      max_rules: maxRules,
      generated_from_seq: queries.seq,
    };
  });

  return router;
}

/** `{"success":true,"<key>":[…],"count":n}` around entries already serialized: the same bytes as the object form. */
function jsonWithEntries(ctx: Context, key: string, entries: EntriesJson): void {
  ctx.type = "application/json";
  ctx.body = `{"success":true,${JSON.stringify(key)}:${entries.json},"count":${entries.count}}`;
}

async function* take(lines: AsyncGenerator<string>, limit: number): AsyncGenerator<string> {
  let n = 0;
  for await (const line of lines) {
    if (n++ >= limit) return;
    yield line + "\n";
  }
}
