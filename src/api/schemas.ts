// Request schemas of the API, built from the same field schemas the events are checked with.
import { Ajv2020 } from "ajv/dist/2020.js";
import {
  attemptFieldSchemas,
  failureFieldSchemas,
  failureFieldSchemasV2,
  idSchema,
  successFieldSchemas,
  timestampSchema,
} from "../events/schemas.js";
import { ajv, isIsoTimestamp, problems } from "../events/validation.js";
import { ERROR_CATEGORIES } from "../analysis/categorise.js";
import { ScriptlogError } from "../errors.js";
import type { AttemptBody } from "../service/scriptlogService.js";

const requestFields = {
  log_id: idSchema,
  session_id: idSchema,
  previous_attempt_id: idSchema,
  timestamp: timestampSchema,
  ...attemptFieldSchemas,
};

export const failedAttemptSchema = {
  $id: "FailedAttempt",
  type: "object",
  additionalProperties: false,
  required: ["status", "code"],
  properties: { status: { const: "failed" }, ...requestFields, ...failureFieldSchemas, ...failureFieldSchemasV2 },
};

export const successAttemptSchema = {
  $id: "SuccessfulAttempt",
  type: "object",
  additionalProperties: false,
  required: ["status", "code"],
  properties: { status: { const: "success" }, ...requestFields, ...successFieldSchemas },
};

const validateFailed = ajv.compile(failedAttemptSchema);
const validateSuccess = ajv.compile(successAttemptSchema);

export function parseAttemptBody(body: unknown): AttemptBody {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ScriptlogError("validation_failed", "the body must be a JSON object", {
      problems: [{ path: "/", message: "must be object" }],
    });
  }
  const status = (body as { status?: unknown }).status;
  if (status !== "failed" && status !== "success") {
    throw new ScriptlogError("validation_failed", 'status must be "failed" or "success"', {
      problems: [{ path: "/status", message: 'must be "failed" or "success"' }],
    });
  }
  const validate = status === "failed" ? validateFailed : validateSuccess;
  if (!validate(body)) {
    const list = problems(validate.errors);
    throw new ScriptlogError("validation_failed", `invalid ${status} attempt: ${list.map((p) => `${p.path} ${p.message}`).join("; ")}`, {
      problems: list,
    });
  }
  return body as unknown as AttemptBody;
}

// Query strings are text: this instance turns "10" into 10 and "true" into true while it validates.
const queryAjv = new Ajv2020({ allErrors: true, strict: true, coerceTypes: true, useDefaults: true });
queryAjv.addFormat("iso-timestamp", { type: "string", validate: isIsoTimestamp });

export const limitParam = { type: "integer", minimum: 1, maximum: 1000, default: 50 };
export const booleanParam = { type: "boolean", default: false };

export const querySchemas = {
  failures: { limit: limitParam, unfixed_only: booleanParam },
  successes: { limit: limitParam },
  aiContext: {
    max_examples: { type: "integer", minimum: 1, maximum: 100, default: 10 },
    max_chars: { type: "integer", minimum: 200, maximum: 100000, default: 4000 },
    format: { enum: ["markdown", "json"], default: "markdown" },
  },
  events: {
    after: { type: "integer", minimum: 0, default: 0, description: "return events with a greater seq" },
    limit: { type: "integer", minimum: 1, maximum: 10000, default: 1000 },
  },
  errorPatterns: {
    category: { enum: ERROR_CATEGORIES },
    library: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "top-level module name" },
    since: { ...timestampSchema, description: "only failures at or after this ISO-8601 time" },
  },
  trends: {
    bucket: { enum: ["day", "week"], default: "day" },
    by: { enum: ["ai_model", "context_version", "prompt_version"], description: "one series per value; default: one series, 'all'" },
    since: { ...timestampSchema, description: "first UTC day to show (whole days)" },
    until: { ...timestampSchema, description: "last UTC day to show; the verdict's 7 days end with it (default: today)" },
  },
  stream: {
    after: { type: "integer", minimum: 0, description: "start after this seq (a Last-Event-ID header wins); default: from now" },
  },
  none: {},
} as const;

type QuerySchema = Record<string, object>;
const queryValidators = new Map<QuerySchema, ReturnType<typeof queryAjv.compile>>();

/** The query as typed values with defaults; unknown or invalid parameters are a 400. */
export function parseQuery<T>(schema: QuerySchema, query: Record<string, string | string[] | undefined>): T {
  let validate = queryValidators.get(schema);
  if (!validate) {
    validate = queryAjv.compile({ type: "object", additionalProperties: false, properties: schema });
    queryValidators.set(schema, validate);
  }
  const value: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query)) {
    if (Array.isArray(v)) throw new ScriptlogError("invalid_query", `query parameter '${k}' is given more than once`, { parameter: k });
    if (!(k in schema))
      throw new ScriptlogError("invalid_query", `unknown query parameter '${k}'`, { parameter: k, allowed: Object.keys(schema) });
    // Booleans are exactly "true" or "false", not ajv's looser "1"/"0" coercions.
    const type = (schema[k] as { type?: string }).type;
    if (type === "boolean" && v !== "true" && v !== "false") {
      throw new ScriptlogError("invalid_query", `query parameter '${k}' must be true or false`, { parameter: k, value: v });
    }
    value[k] = v;
  }
  if (!validate(value)) {
    const list = problems(validate.errors);
    throw new ScriptlogError("invalid_query", `invalid query: ${list.map((p) => `${p.path} ${p.message}`).join("; ")}`, { problems: list });
  }
  return value as T;
}
