// JSON Schemas (2020-12) of every event type and version — the one place they are defined. The API's
// request schemas and the OpenAPI document are built from the same field schemas.
import type { EventType } from "./types.js";

export const ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$";
const HEX64 = "^[0-9a-f]{64}$";

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: "null" }] });

export const idSchema = { type: "string", pattern: ID_PATTERN, description: "1-128 characters: letters, digits, . _ : -" };
export const timestampSchema = { type: "string", format: "iso-timestamp", description: "ISO-8601 date-time" };

/** Fields every attempt may carry, as a client sends them. */
export const attemptFieldSchemas = {
  code: { type: "string", description: "The script that ran" },
  user_prompt: nullable({ type: "string" }),
  ai_model: nullable({ type: "string", maxLength: 200 }),
  image_filename: nullable({ type: "string", maxLength: 1000 }),
  tags: { type: "array", items: { type: "string", minLength: 1, maxLength: 200 }, maxItems: 100 },
  stdout: nullable({ type: "string" }),
} as const;

/** What an attempt was generated with (version 2 on): the loop that measures contexts and experiments reads them. */
export const generationFieldSchemas = {
  context_version: { ...idSchema, description: "the published AI context version the script was generated with" },
  prompt_version: { type: "string", minLength: 1, maxLength: 200, description: "the client's name for its prompt template" },
  experiment: { ...idSchema, description: "the experiment the session runs in" },
  variant: { type: "string", minLength: 1, maxLength: 100, description: "its variant (assigned from the session when omitted)" },
} as const;

export const failureFieldSchemas = {
  error_message: nullable({ type: "string" }),
  error_type: nullable({ type: "string", maxLength: 200 }),
  stderr: nullable({ type: "string" }),
  return_code: nullable({ type: "integer", minimum: -255, maximum: 65535 }),
  timed_out: nullable({ type: "boolean" }),
} as const;

const nullableInteger = nullable({ type: "integer" });
const text = (maxLength: number) => ({ type: "string", maxLength });
const exceptionIndex = nullable({ type: "integer", minimum: 0, maximum: 31 });

/** A frame as the bootstrap reports it (Python 3.11 on adds the column range of the failing expression). */
const exceptionFrameSchema = {
  type: "object",
  additionalProperties: false,
  required: ["file", "line", "function"],
  properties: {
    file: text(1000),
    line: nullableInteger,
    end_line: nullableInteger,
    column: nullableInteger,
    end_column: nullableInteger,
    function: text(1000),
    source: nullable(text(1000)),
    in_app: { type: "boolean", description: "the script's own files: not the standard library, site-/dist-packages or the bootstrap" },
  },
};

const exceptionInfoSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type", "message", "frames"],
  properties: {
    type: { ...text(200), description: "the name CPython prints: ValueError, json.decoder.JSONDecodeError" },
    module: text(200),
    message: { ...text(10000), description: "str(exception); a SyntaxError's msg" },
    notes: { type: "array", items: text(2000), maxItems: 20 },
    frames: { type: "array", items: exceptionFrameSchema, maxItems: 200, description: "outermost first" },
    frames_omitted: { type: "integer", minimum: 0, description: "frames left out of the middle of a longer traceback" },
    cause: { ...exceptionIndex, description: "index of __cause__ in exceptions" },
    context: { ...exceptionIndex, description: "index of __context__ in exceptions" },
    suppress_context: { type: "boolean" },
    members: { type: "array", items: { type: "integer", minimum: 0, maximum: 31 }, maxItems: 32, description: "an ExceptionGroup's members" },
    syntax: {
      type: "object",
      additionalProperties: false,
      properties: {
        file: nullable(text(1000)),
        line: nullableInteger,
        end_line: nullableInteger,
        column: nullableInteger,
        end_column: nullableInteger,
        text: nullable(text(1000)),
      },
    },
  },
};

/**
 * The uncaught exception as the bootstrap captured it at the source: a flat list, exceptions[0] the one that
 * ended the script, linked to the others by index (so neither checking nor reading it recurses with its depth).
 */
export const exceptionReportSchema = {
  type: "object",
  additionalProperties: false,
  required: ["exceptions"],
  properties: {
    python: { ...text(50), description: "the interpreter's version" },
    exceptions: { type: "array", items: exceptionInfoSchema, minItems: 1, maxItems: 32 },
  },
  description: "The uncaught exception chain as scriptlog's Python bootstrap writes it; preferred over parsing stderr",
};

/** Failure fields added in version 2 (optional, so version 2 lines written before them stay valid). */
export const failureFieldSchemasV2 = {
  exception: exceptionReportSchema,
  execution_time_seconds: nullable({ type: "number", minimum: 0 }),
} as const;

export const successFieldSchemas = {
  output_files: nullable({ type: "array", items: { type: "string", maxLength: 1000 }, maxItems: 10000 }),
  execution_time_seconds: nullable({ type: "number", minimum: 0 }),
} as const;

const originSchema = {
  type: "object",
  additionalProperties: false,
  required: ["system", "path"],
  properties: { system: { type: "string" }, path: { type: "string" }, derived: { type: "object" } },
};

const attemptFactSchemas = {
  log_id: idSchema,
  session_id: idSchema,
  timestamp: timestampSchema,
  ...attemptFieldSchemas,
  request_hash: { type: "string", pattern: HEX64 },
  origin: originSchema,
};
const attemptRequired = ["log_id", "session_id", "timestamp", "code"];

const attemptFailedV1 = {
  type: "object",
  additionalProperties: false,
  required: attemptRequired,
  properties: { ...attemptFactSchemas, ...failureFieldSchemas },
};

const attemptSucceededV1 = {
  type: "object",
  additionalProperties: false,
  required: attemptRequired,
  properties: { ...attemptFactSchemas, ...successFieldSchemas },
};

/** The API token a request came with (optional: absent when the server needs none, and on older lines). */
const recordedBy = {
  recorded_by: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description: "the name of the API token that recorded it" },
};

// Version 2 records whether the service assigned the session (the client sent neither session_id nor
// previous_attempt_id): only such attempts may be joined to an inferred session.
// Optional generation fields were added to version 2 later, without a bump: every older line stays valid.
// recorded_by and redactions were added the same way: the token a request came with, and the secrets cut out of it.
const sessionAssigned = {
  session_assigned: { type: "boolean" },
  ...generationFieldSchemas,
  ...recordedBy,
  redactions: {
    type: "object",
    additionalProperties: { type: "integer", minimum: 1 },
    propertyNames: { pattern: "^[a-z0-9_-]{1,60}$" },
    description: "secrets replaced by [REDACTED:<rule>] before append, counted by rule",
  },
};
const v2 = (v1: { required: string[]; properties: object }, added: object = {}) => ({
  ...v1,
  required: [...v1.required, "session_assigned"],
  properties: { ...v1.properties, ...sessionAssigned, ...added },
});

const attemptLinkedV1 = {
  type: "object",
  additionalProperties: false,
  required: ["log_id", "previous_attempt_id", "session_id"],
  properties: { log_id: idSchema, previous_attempt_id: idSchema, session_id: idSchema },
};

const fixRecordedV1 = {
  type: "object",
  additionalProperties: false,
  required: ["failure_log_id", "success_log_id", "session_id"],
  properties: { failure_log_id: idSchema, success_log_id: idSchema, session_id: idSchema },
};

const contextVersionSchema = { type: "string", pattern: "^ctx-[1-9][0-9]{0,9}$" };
const nullableContextVersion = nullable(contextVersionSchema);

const contextPublishedV1 = {
  type: "object",
  additionalProperties: false,
  required: ["version", "sha256", "text", "rule_ids", "parent_version", "source", "note", "current"],
  properties: {
    version: contextVersionSchema,
    sha256: { type: "string", pattern: HEX64 },
    text: { type: "string" },
    rule_ids: { type: "array", items: { type: "string", minLength: 1 }, uniqueItems: true },
    parent_version: nullableContextVersion,
    source: { enum: ["manual", "generated", "auto"] },
    note: nullable({ type: "string", maxLength: 2000 }),
    current: { type: "boolean" },
    ...recordedBy,
  },
};

export const variantNameSchema = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" };

const experimentStartedV1 = {
  type: "object",
  additionalProperties: false,
  required: ["experiment_id", "variants", "min_sessions_per_variant", "source"],
  properties: {
    experiment_id: idSchema,
    variants: {
      type: "array",
      minItems: 2,
      maxItems: 20,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "context_version", "prompt_version", "ai_model", "weight"],
        properties: {
          name: variantNameSchema,
          context_version: nullableContextVersion,
          prompt_version: nullable(generationFieldSchemas.prompt_version),
          ai_model: attemptFieldSchemas.ai_model,
          weight: { type: "number", exclusiveMinimum: 0, maximum: 1000 },
        },
      },
    },
    min_sessions_per_variant: { type: "integer", minimum: 1, maximum: 1000000 },
    source: { enum: ["manual", "auto"] },
    ...recordedBy,
  },
};

const experimentStoppedV1 = {
  type: "object",
  additionalProperties: false,
  required: ["experiment_id", "reason", "winner"],
  properties: {
    experiment_id: idSchema,
    reason: { enum: ["manual", "winner", "no_difference"] },
    winner: nullable(variantNameSchema),
    ...recordedBy,
  },
};

const contextChangeV1 = {
  type: "object",
  additionalProperties: false,
  required: ["version", "experiment_id"],
  properties: { version: contextVersionSchema, experiment_id: nullable(idSchema), ...recordedBy },
};

const alertSentV1 = {
  type: "object",
  additionalProperties: false,
  required: ["alert_id", "kind", "pattern", "context_version", "window", "tries", "status_code"],
  properties: {
    alert_id: idSchema,
    kind: { enum: ["spike", "new_pattern", "regression"] },
    pattern: { type: "string" },
    context_version: nullable({ type: "string" }),
    window: {
      type: "object",
      additionalProperties: false,
      required: ["start", "end"],
      properties: { start: timestampSchema, end: timestampSchema },
    },
    tries: { type: "integer", minimum: 1 },
    status_code: { type: "integer", minimum: 100, maximum: 599 },
  },
};

/** Data schema of each event type, by schema version. */
export const EVENT_DATA_SCHEMAS: Record<EventType, Record<number, object>> = {
  AttemptFailed: { 1: attemptFailedV1, 2: v2(attemptFailedV1, failureFieldSchemasV2) },
  AttemptSucceeded: { 1: attemptSucceededV1, 2: v2(attemptSucceededV1) },
  AttemptLinked: { 1: attemptLinkedV1 },
  FixRecorded: { 1: fixRecordedV1 },
  ContextPublished: { 1: contextPublishedV1 },
  ExperimentStarted: { 1: experimentStartedV1 },
  ExperimentStopped: { 1: experimentStoppedV1 },
  ContextPromoted: { 1: contextChangeV1 },
  ContextRetired: { 1: contextChangeV1 },
  AlertSent: { 1: alertSentV1 },
};

/** The version new events of each type are written with. */
export const CURRENT_VERSION: Record<EventType, number> = {
  AttemptFailed: 2,
  AttemptSucceeded: 2,
  AttemptLinked: 1,
  FixRecorded: 1,
  ContextPublished: 1,
  ExperimentStarted: 1,
  ExperimentStopped: 1,
  ContextPromoted: 1,
  ContextRetired: 1,
  AlertSent: 1,
};

export const EVENT_TYPES = Object.keys(EVENT_DATA_SCHEMAS) as EventType[];

export const envelopeSchema = {
  type: "object",
  additionalProperties: false,
  required: ["seq", "id", "type", "version", "recorded_at", "data", "prev_hash", "hash"],
  properties: {
    seq: { type: "integer", minimum: 1 },
    id: { type: "string", pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" },
    type: { enum: EVENT_TYPES },
    version: { type: "integer", minimum: 1 },
    recorded_at: timestampSchema,
    data: { type: "object" },
    prev_hash: { type: "string", pattern: HEX64 },
    hash: { type: "string", pattern: HEX64 },
  },
};
