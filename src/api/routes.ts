// Routes are thin: validate, ask a read model, shape the response.
import Router from "@koa/router";
import { ScriptlogError } from "../errors.js";
import { aiContext } from "../analysis/recommendations.js";
import { rankedGroups, rankedPatterns, rankedRecommendations } from "../projections/analysis.js";
import { recentFailures } from "../projections/failures.js";
import { sessionSummary } from "../projections/sessions.js";
import { recentSuccesses } from "../projections/successes.js";
import { summaryReport } from "../projections/summary.js";
import type { ScriptlogService } from "../service/scriptlogService.js";
import { openApiDocument } from "./openapi.js";
import { parseAttemptBody, parseQuery, querySchemas } from "./schemas.js";

export function logRoutes(service: ScriptlogService): Router {
  const router = new Router();
  const states = () => service.models.states;

  router.get("/health", (ctx) => {
    ctx.status = service.ready ? 200 : 503;
    ctx.body = { status: service.ready ? "ok" : "starting", seq: service.models.seq };
  });

  router.get("/api/openapi.json", (ctx) => {
    ctx.body = openApiDocument();
  });

  router.post("/api/logs/attempts", async (ctx) => {
    const body = parseAttemptBody(ctx.request.body);
    const { result, replayed } = await service.recordAttempt(body);
    ctx.status = 201;
    if (replayed) ctx.set("Idempotent-Replay", "true");
    ctx.body = { success: true, ...result };
  });

  router.get("/api/logs/summary", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, summary: summaryReport(states().summary, states().sessions.totals, new Date()) };
  });

  router.get("/api/logs/failures", (ctx) => {
    const q = parseQuery<{ limit: number; unfixed_only: boolean }>(querySchemas.failures, ctx.query);
    const failures = recentFailures(states().failures, q.limit, q.unfixed_only).map((r) => service.entry(r));
    ctx.body = { success: true, failures, count: failures.length };
  });

  router.get("/api/logs/successes", (ctx) => {
    const q = parseQuery<{ limit: number }>(querySchemas.successes, ctx.query);
    const successes = recentSuccesses(states().successes, q.limit).map((r) => service.entry(r));
    ctx.body = { success: true, successes, count: successes.length };
  });

  router.get("/api/logs/session/:session_id", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const session = states().sessions.byId.get(ctx.params.session_id);
    if (!session) throw new ScriptlogError("not_found", `no session '${ctx.params.session_id}'`, { session_id: ctx.params.session_id });
    ctx.body = { success: true, session: sessionSummary(session), attempts: session.attempts.map((r) => service.entry(r)) };
  });

  router.get("/api/logs/log/:log_id", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, log: service.entry(service.record(ctx.params.log_id)) };
  });

  router.get("/api/logs/analysis", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const { analysis } = states();
    ctx.body = {
      success: true,
      analysis: {
        generated_from_seq: service.models.seq,
        by_error_type: rankedGroups(analysis.byType).map(({ key, ...g }) => ({ error_type: key, ...g })),
        by_error_category: rankedGroups(analysis.byCategory).map(({ key, ...g }) => ({ error_category: key, ...g })),
        error_patterns: rankedPatterns(analysis).slice(0, 20),
      },
    };
  });

  router.get("/api/logs/error-patterns", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, error_patterns: rankedPatterns(states().analysis) };
  });

  router.get("/api/logs/recommendations", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, recommendations: rankedRecommendations(states().analysis) };
  });

  router.get("/api/logs/ai-context", (ctx) => {
    const q = parseQuery<{ max_examples: number; max_chars: number }>(querySchemas.aiContext, ctx.query);
    const { context, rules } = aiContext(rankedRecommendations(states().analysis), q.max_examples, q.max_chars);
    ctx.body = { success: true, context, rules, generated_from_seq: service.models.seq };
  });

  return router;
}
