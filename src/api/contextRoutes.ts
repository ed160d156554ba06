// Routes of the learning loop: context versions, experiments, and what a generator should use for a session.
import Router from "@koa/router";
import { ScriptlogError } from "../errors.js";
import type { ScriptlogService } from "../service/scriptlogService.js";
import type { ExperimentBody, PublishBody } from "../service/contexts.js";
import { tokenName } from "./auth.js";
import {
  emptyBodySchema,
  parseBody,
  parseQuery,
  publishContextSchema,
  querySchemas,
  startExperimentSchema,
  stopExperimentSchema,
} from "./schemas.js";

export function contextRoutes(service: ScriptlogService): Router {
  const router = new Router();
  const contexts = service.contexts;
  const queries = service.queries;

  router.post("/api/contexts", async (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const { version, created } = await contexts.publish(parseBody<PublishBody>(publishContextSchema, ctx.request.body), tokenName(ctx));
    ctx.status = created ? 201 : 200;
    ctx.body = { success: true, created, context: contexts.view(version) };
  });

  router.get("/api/contexts", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const versions = queries.contextVersions();
    const { autoContext, autoIntervalMinutes, autoMinEvidenceSessions, experimentMinSessions, contextMaxRules, rulePoolSize } =
      contexts.settings;
    ctx.body = {
      success: true,
      current: queries.currentContextVersion(),
      contexts: versions,
      count: versions.length,
      auto_context: {
        enabled: autoContext,
        interval_minutes: autoIntervalMinutes,
        min_evidence_sessions: autoMinEvidenceSessions,
        experiment_min_sessions: experimentMinSessions,
        context_max_rules: contextMaxRules,
        rule_pool_size: rulePoolSize,
      },
    };
  });

  router.get("/api/contexts/current", (ctx) => {
    const q = parseQuery<{ session_id?: string }>(querySchemas.session, ctx.query);
    // Without a session there is no arm to assign: the current context.
    ctx.body = { success: true, ...contexts.generationFor(q.session_id ?? null) };
  });

  router.get("/api/contexts/:version", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const context = contexts.view(ctx.params.version);
    ctx.body = { success: true, context, stats: queries.contextStats(context.version) };
  });

  router.post("/api/contexts/:version/promote", async (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    parseBody(emptyBodySchema, ctx.request.body);
    const promoted = await contexts.promote(ctx.params.version, tokenName(ctx));
    ctx.body = { success: true, promoted, context: contexts.view(ctx.params.version) };
  });

  router.post("/api/experiments", async (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const body = parseBody<ExperimentBody>(startExperimentSchema, ctx.request.body);
    await contexts.startExperiment(body, tokenName(ctx));
    ctx.status = 201;
    ctx.body = { success: true, experiment: queries.experiment(body.id) };
  });

  router.get("/api/experiments", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const experiments = queries.experimentList();
    ctx.body = { success: true, experiments, count: experiments.length };
  });

  router.get("/api/experiments/:id", (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    ctx.body = { success: true, experiment: queries.experiment(ctx.params.id) };
  });

  router.get("/api/experiments/:id/assignment", (ctx) => {
    const q = parseQuery<{ session_id?: string }>(querySchemas.session, ctx.query);
    if (q.session_id === undefined) throw new ScriptlogError("invalid_query", "session_id is required", { parameter: "session_id" });
    const { experiment: _experiment, ...generation } = contexts.generationFor(q.session_id, ctx.params.id);
    ctx.body = { success: true, session_id: q.session_id, ...generation };
  });

  router.post("/api/experiments/:id/stop", async (ctx) => {
    parseQuery(querySchemas.none, ctx.query);
    const body = parseBody<{ promote_winner?: boolean }>(stopExperimentSchema, ctx.request.body);
    queries.experiment(ctx.params.id);
    await contexts.stopExperiment(ctx.params.id, { promoteWinner: body.promote_winner ?? false, recordedBy: tokenName(ctx) });
    ctx.body = { success: true, experiment: queries.experiment(ctx.params.id) };
  });

  return router;
}
