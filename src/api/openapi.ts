// The OpenAPI 3.1 document, built from the JSON Schemas ajv checks requests with.
import {
  emptyBodySchema,
  failedAttemptSchema,
  publishContextSchema,
  querySchemas,
  startExperimentSchema,
  stopExperimentSchema,
  successAttemptSchema,
} from "./schemas.js";

const errorSchema = {
  type: "object",
  required: ["success", "error"],
  properties: {
    success: { const: false },
    error: {
      type: "object",
      required: ["code", "message", "details"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: { type: "object" } },
    },
  },
};

const ok = (description: string, properties: Record<string, unknown> = {}, required: string[] = []) => ({
  description,
  content: {
    "application/json": {
      schema: { type: "object", required: ["success", ...required], properties: { success: { const: true }, ...properties } },
    },
  },
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: "error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
    ]),
  );
const queryParams = (schema: Record<string, object>) =>
  Object.entries(schema).map(([name, s]) => ({ name, in: "query", required: false, schema: s }));
const pathParam = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });

const get = (summary: string, response: object, parameters: unknown[] = [], extra: number[] = []) => ({
  get: { summary, parameters, responses: { "200": response, ...errors(400, ...extra) } },
});

const contextSchema = {
  type: "object",
  properties: {
    version: { type: "string" },
    sha256: { type: "string" },
    text: { type: "string" },
    rule_ids: { type: "array", items: { type: "string" } },
    parent_version: { type: ["string", "null"] },
    source: { enum: ["manual", "generated", "auto"] },
    note: { type: ["string", "null"] },
    published_at: { type: "string" },
    status: { enum: ["current", "candidate", "retired", "published"] },
  },
};
const contextList = {
  current: { type: ["string", "null"] },
  contexts: { type: "array", items: contextSchema },
  count: { type: "integer" },
};
const generation = {
  context: { anyOf: [{ type: "null" }, { type: "object", properties: { version: { type: "string" }, text: { type: "string" } } }] },
  experiment: { type: ["string", "null"] },
  variant: { type: ["string", "null"] },
  prompt_version: { type: ["string", "null"] },
  ai_model: { type: ["string", "null"] },
};

/** A POST with a JSON body checked against `schema`. */
function action(summary: string, schema: { $id: string }, responses: Record<string, unknown>) {
  const { $id: _id, ...body } = schema;
  return {
    summary,
    requestBody: { required: false, content: { "application/json": { schema: body } } },
    responses: { ...responses, ...errors(400, 404, 409, 415, 422, 503) },
  };
}

export function openApiDocument() {
  const { $id: _f, ...failed } = failedAttemptSchema;
  const { $id: _s, ...succeeded } = successAttemptSchema;
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: { title: "scriptlog", version: "1", description: "Event-sourced log of AI-generated script executions." },
    components: {
      schemas: {
        FailedAttempt: failed,
        SuccessfulAttempt: succeeded,
        AttemptRequest: {
          oneOf: [{ $ref: "#/components/schemas/FailedAttempt" }, { $ref: "#/components/schemas/SuccessfulAttempt" }],
          discriminator: {
            propertyName: "status",
            mapping: { failed: "#/components/schemas/FailedAttempt", success: "#/components/schemas/SuccessfulAttempt" },
          },
        },
        Error: errorSchema,
      },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "An API token from `scriptlog token create`; needed once any token exists (scopes: read, write, admin, metrics)",
        },
      },
    },
    // Open (no token) only while the server has none, on loopback.
    security: [{ bearer: [] }, {}],
    paths: {
      "/health": {
        get: {
          summary: "Readiness: 200 once the log is replayed",
          security: [],
          responses: { "200": { description: "ready" }, "503": { description: "replaying" } },
        },
      },
      "/api/openapi.json": get("This document", { description: "OpenAPI 3.1" }),
      "/api/logs/attempts": {
        post: {
          summary: "Record an execution attempt",
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/AttemptRequest" } } } },
          responses: {
            "201": ok(
              "Recorded (or an idempotent repeat of the same log_id and body)",
              {
                log_id: { type: "string" },
                session_id: { type: "string" },
                status: { enum: ["failed", "success"] },
                error_type: { type: ["string", "null"] },
                error_category: { type: ["string", "null"] },
                fixed: { type: "array", items: { type: "string" } },
              },
              ["log_id", "session_id", "status", "error_type", "error_category", "fixed"],
            ),
            ...errors(400, 409, 413, 415, 422, 503),
          },
        },
      },
      "/api/logs/events": {
        get: {
          summary: "The stored event lines after a seq, byte for byte as in the log (NDJSON), oldest first",
          parameters: queryParams(querySchemas.events),
          responses: {
            "200": { description: "one canonical JSON envelope per line", content: { "application/x-ndjson": {} } },
            ...errors(400, 503),
          },
        },
      },
      "/api/logs/checkpoint": get(
        "The latest signed checkpoint of the chain head (a C2SP signed note)",
        ok("checkpoint", {
          checkpoint: {
            type: "object",
            properties: { origin: { type: "string" }, seq: { type: "integer" }, hash: { type: "string" }, time: { type: "string" } },
          },
          note: { type: "string" },
        }),
        [],
        [404],
      ),
      "/api/logs/trends": get(
        "Success rates per day or week (Wilson 95% intervals), overall or per ai_model / context_version / prompt_version, and whether the last 7 days differ from the 28 before",
        ok("trends", { trends: { type: "object" } }),
        queryParams(querySchemas.trends),
      ),
      "/api/logs/anomalies": get(
        "Spikes, new error patterns and regressions (a fixed pattern failing despite its rule in the context) in the window ending at `at` (default now): deterministic for a given `at`",
        ok("anomalies", { at: { type: "string" }, anomalies: { type: "array" } }),
        queryParams(querySchemas.anomalies),
      ),
      "/api/logs/alerts": get(
        "Alerts the webhook acknowledged (AlertSent events), delivery counters and the anomaly watch's progress",
        ok("alerts", { alerts: { type: "object" } }),
        queryParams(querySchemas.alerts),
      ),
      "/api/logs/stream": {
        get: {
          summary: "Server-Sent Events of attempts, fixes and anomalies as they are projected; resumable with Last-Event-ID (a seq)",
          parameters: [
            ...queryParams(querySchemas.stream),
            { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string", pattern: "^[0-9]+$" } },
          ],
          responses: {
            "200": { description: "an event stream: `attempt`, `fix` and `anomaly` messages", content: { "text/event-stream": {} } },
            ...errors(400, 503),
          },
        },
      },
      "/api/logs/summary": get("Totals and rates", ok("summary", { summary: { type: "object" } })),
      "/api/logs/failures": get(
        "Failures, newest first",
        ok("failures", { failures: { type: "array" }, count: { type: "integer" } }),
        queryParams(querySchemas.failures),
      ),
      "/api/logs/successes": get(
        "Successes, newest first",
        ok("successes", { successes: { type: "array" }, count: { type: "integer" } }),
        queryParams(querySchemas.successes),
      ),
      "/api/logs/session/{session_id}": get(
        "A session and its attempts, oldest first",
        ok("session", { session: { type: "object" }, attempts: { type: "array" } }),
        [pathParam("session_id")],
        [404],
      ),
      "/api/logs/log/{log_id}": get("One attempt", ok("entry", { log: { type: "object" } }), [pathParam("log_id")], [404]),
      "/api/logs/analysis": get(
        "Counts and fix rates per error type, category and pattern",
        ok("analysis", { analysis: { type: "object" } }),
      ),
      "/api/logs/error-patterns": get(
        "Error patterns, most frequent first, with common errors and library issues",
        ok("patterns", { error_patterns: { type: "array" }, common_errors: { type: "array" }, library_issues: { type: "array" } }),
        queryParams(querySchemas.errorPatterns),
      ),
      "/api/logs/recommendations": get(
        "Rules backed by evidence, most important first",
        ok("rules", { recommendations: { type: "array" }, ai_learning_summary: { type: "string" } }),
      ),
      "/api/logs/ai-context": get(
        "Markdown for a system prompt (or the same rules as JSON)",
        ok("context", {
          format: { enum: ["markdown", "json"] },
          context: { anyOf: [{ type: "string" }, { type: "array" }] },
          rules: { type: "array" },
          filters: { type: "object", description: "the library, category and ai_model filters applied" },
          max_rules: { type: "integer" },
          generated_from_seq: { type: "integer" },
        }),
        queryParams(querySchemas.aiContext),
      ),
      "/api/contexts": {
        ...get("Context versions, newest first, the current one, and the automatic updates' settings", ok("contexts", contextList)),
        post: action("Publish a context version (the generated AI context without `text`)", publishContextSchema, {
          "201": ok("published", { created: { const: true }, context: contextSchema }),
          "200": ok("that text already had a version", { created: { const: false }, context: contextSchema }),
        }),
      },
      "/api/contexts/current": get(
        "What a generator should use for a session: its arm of a running experiment, or the current context",
        ok("generation", generation),
        queryParams(querySchemas.session),
      ),
      "/api/contexts/{version}": get(
        "A context version and what happened under it: sessions, first-attempt success (Wilson 95%), patterns, rule effects",
        ok("context", { context: contextSchema, stats: { type: "object" } }),
        [pathParam("version")],
        [404],
      ),
      "/api/contexts/{version}/promote": {
        post: {
          ...action("Make a version current", emptyBodySchema, {
            "200": ok("promoted", { promoted: { type: "boolean" }, context: contextSchema }),
          }),
          parameters: [pathParam("version")],
        },
      },
      "/api/experiments": {
        ...get(
          "Experiments, newest first, with their status and decision",
          ok("experiments", { experiments: { type: "array" }, count: { type: "integer" } }),
        ),
        post: action("Start an experiment", startExperimentSchema, { "201": ok("started", { experiment: { type: "object" } }) }),
      },
      "/api/experiments/{id}": get(
        "Per variant: sessions, first-attempt success (Wilson 95%), attempts to success, probability of being best; the decision",
        ok("experiment", { experiment: { type: "object" } }),
        [pathParam("id")],
        [404],
      ),
      "/api/experiments/{id}/assignment": get(
        "The variant a session is assigned (a hash of experiment and session id against the weights) and what it uses",
        ok("assignment", generation),
        [pathParam("id"), ...queryParams(querySchemas.session)],
        [404],
      ),
      "/api/experiments/{id}/stop": {
        post: {
          ...action("Stop an experiment (optionally promoting a declared winner)", stopExperimentSchema, {
            "200": ok("stopped", { experiment: { type: "object" } }),
          }),
          parameters: [pathParam("id")],
        },
      },
    },
  };
}
