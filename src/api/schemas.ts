// Request schemas of the API, built from the same field schemas the events are checked with.
import { Ajv2020 } from "ajv/dist/2020.js";
import {
  attemptFieldSchemas,
  failureFieldSchemas,
  failureFieldSchemasV2,
  generationFieldSchemas,
  idSchema,
  successFieldSchemas,
  timestampSchema,
  variantNameSchema,
} from "../events/schemas.js";
import { ajv, isIsoTimestamp, problems } from "../events/validation.js";
import { ERROR_CATEGORIES } from "../analysis/categorise.js";
import { ScriptlogError } from "../errors.js";
import type { AttemptBody } from "../decider/attempts.js";

const requestFields = {
  log_id: idSchema,
  session_id: idSchema,
  previous_attempt_id: idSchema,
  timestamp: timestampSchema,
  ...attemptFieldSchemas,
  ...generationFieldSchemas,
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

/** The body with each array over its schema's maxItems cut to maxItems + 1 items (still too many). */
function withArraysCut(body: Record<string, unknown>, properties: Record<string, unknown>): Record<string, unknown> {
  const cut: Record<string, unknown> = { ...body };
  for (const [key, value] of Object.entries(body)) {
    const maxItems = (properties[key] as { maxItems?: number } | undefined)?.maxItems;
    if (Array.isArray(value) && maxItems !== undefined && value.length > maxItems + 1) cut[key] = value.slice(0, maxItems + 1);
  }
  return cut;
}

/** At most this many schema problems are listed in an error (the total is given beside them). */
const MAX_PROBLEMS = 20;

const CALENDAR_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/i;
const ZONE = /([+-])(\d{2}):?(\d{2})$/;

/** Whether an ISO-8601 timestamp names a day that exists and a time of day that does (no 24:00, no Feb 30). */
export function isCalendarTime(value: string): boolean {
  const m = CALENDAR_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1).map((n) => (n === undefined ? 0 : Number(n)));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return false;
  const zone = m[4] === undefined ? null : ZONE.exec(value);
  return zone === null || (Number(zone[2]) <= 23 && Number(zone[3]) <= 59);
}

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
  // Listing every problem of an array far over its maxItems would cost time in proportion to the excess
  // (250,000 bad tags took 0.6 s): its items past maxItems + 1 are not checked one by one. The verdict is the
  // same, as maxItems + 1 items are still too many.
  const schema = status === "failed" ? failedAttemptSchema : successAttemptSchema;
  if (!validate(withArraysCut(body as Record<string, unknown>, schema.properties))) {
    const errors = validate.errors ?? [];
    const list = problems(errors.slice(0, MAX_PROBLEMS));
    throw new ScriptlogError("validation_failed", `invalid ${status} attempt: ${list.map((p) => `${p.path} ${p.message}`).join("; ")}`, {
      problems: list,
      ...(errors.length > MAX_PROBLEMS ? { problems_total: errors.length } : {}),
    });
  }
  // The stored events accept any timestamp Date.parse reads (the log keeps what it once accepted); new ones
  // must name a real day and time: 2026-02-30 is refused, not rolled over into March.
  const timestamp = (body as { timestamp?: string }).timestamp;
  if (timestamp !== undefined && !isCalendarTime(timestamp)) {
    throw new ScriptlogError("validation_failed", `invalid ${status} attempt: /timestamp is not a real calendar date and time`, {
      problems: [{ path: "/timestamp", message: "must be a real calendar date and time" }],
    });
  }
  return body as unknown as AttemptBody;
}

const DECIMAL_INTEGER = /^\d{1,15}$/;

const contextVersionParam = { type: "string", pattern: "^ctx-[1-9][0-9]{0,9}$", description: "a published context version" };

export const publishContextSchema = {
  $id: "PublishContext",
  type: "object",
  additionalProperties: false,
  properties: {
    text: { type: "string", maxLength: 100000, description: "the context; without it, the currently generated AI context" },
    max_rules: { type: "integer", minimum: 1, maximum: 100, description: "rules in a generated context" },
    note: { type: "string", maxLength: 2000 },
    make_current: { type: "boolean", description: "hand it out from now on (default true)" },
  },
};

export const startExperimentSchema = {
  $id: "StartExperiment",
  type: "object",
  additionalProperties: false,
  required: ["id", "variants"],
  properties: {
    id: idSchema,
    variants: {
      type: "array",
      minItems: 2,
      maxItems: 20,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name"],
        properties: {
          name: variantNameSchema,
          context_version: contextVersionParam,
          prompt_version: generationFieldSchemas.prompt_version,
          ai_model: { type: "string", maxLength: 200 },
          weight: { type: "number", exclusiveMinimum: 0, maximum: 1000, description: "share of sessions (default 1)" },
        },
      },
    },
    min_sessions_per_variant: { type: "integer", minimum: 1, maximum: 1000000 },
  },
};

export const stopExperimentSchema = {
  $id: "StopExperiment",
  type: "object",
  additionalProperties: false,
  properties: { promote_winner: { type: "boolean", description: "make a declared winner's context current" } },
};

export const emptyBodySchema = { $id: "EmptyBody", type: "object", additionalProperties: false, properties: {} };

const bodyValidators = new Map<object, ReturnType<typeof ajv.compile>>();

/** A JSON object body checked against its schema; a body-less request counts as {}. */
export function parseBody<T>(schema: { $id: string }, body: unknown): T {
  let validate = bodyValidators.get(schema);
  if (!validate) bodyValidators.set(schema, (validate = ajv.compile(schema)));
  const value = body ?? {};
  if (!validate(value)) {
    const list = problems(validate.errors);
    throw new ScriptlogError("validation_failed", `invalid ${schema.$id} body: ${list.map((p) => `${p.path} ${p.message}`).join("; ")}`, {
      problems: list,
    });
  }
  return value as T;
}

// Query strings are text: this instance turns "10" into 10 and "true" into true while it validates.
const queryAjv = new Ajv2020({ allErrors: true, strict: true, coerceTypes: true, useDefaults: true });
queryAjv.addFormat("iso-timestamp", { type: "string", validate: (v: string) => isIsoTimestamp(v) && isCalendarTime(v) });

export const limitParam = { type: "integer", minimum: 1, maximum: 1000, default: 50 };
export const booleanParam = { type: "boolean", default: false };

export const querySchemas = {
  failures: { limit: limitParam, unfixed_only: booleanParam },
  successes: { limit: limitParam },
  aiContext: {
    max_rules: { type: "integer", minimum: 1, maximum: 100, description: "at most this many rules (default 10)" },
    max_examples: { type: "integer", minimum: 1, maximum: 100, description: "the seed's name for max_rules" },
    library: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "only failures attributed to this top-level module" },
    category: { enum: ERROR_CATEGORIES, description: "only failures of this error category" },
    ai_model: { type: "string", minLength: 1, maxLength: 200, description: "only sessions whose failures this model wrote" },
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
  anomalies: {
    at: {
      ...timestampSchema,
      description: "judge the window ending at this time (default: now); the same time always gives the same answer",
    },
  },
  alerts: { limit: limitParam },
  stream: {
    after: { type: "integer", minimum: 0, description: "start after this seq (a Last-Event-ID header wins); default: from now" },
  },
  session: { session_id: { ...idSchema, description: "the session the script is generated for" } },
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
    // Booleans are exactly "true" or "false", not ajv's looser "1"/"0" coercions; numbers are plain decimal
    // integers, not what Number() also reads (1e2, +5, 0x10, " 10 ").
    const type = (schema[k] as { type?: string }).type;
    if (type === "boolean" && v !== "true" && v !== "false") {
      throw new ScriptlogError("invalid_query", `query parameter '${k}' must be true or false`, { parameter: k, value: v });
    }
    if (type === "integer" && !DECIMAL_INTEGER.test(v ?? "")) {
      throw new ScriptlogError("invalid_query", `query parameter '${k}' must be a decimal integer`, { parameter: k, value: v });
    }
    value[k] = v;
  }
  if (!validate(value)) {
    const list = problems(validate.errors);
    throw new ScriptlogError("invalid_query", `invalid query: ${list.map((p) => `${p.path} ${p.message}`).join("; ")}`, { problems: list });
  }
  return value as T;
}
