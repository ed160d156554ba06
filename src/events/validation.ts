// The ajv instance for every event schema (on append and on replay) and the API's request bodies, compiled
// once. Query strings need type coercion, so src/api/schemas.ts keeps a second instance for them.
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { EVENT_DATA_SCHEMAS, envelopeSchema } from "./schemas.js";
import type { Envelope } from "./types.js";

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

export function isIsoTimestamp(value: string): boolean {
  return ISO_TIMESTAMP.test(value) && !Number.isNaN(timestampMillis(value));
}

/** Milliseconds since the epoch; a time without a zone is read as UTC, as the original system wrote them. */
export function timestampMillis(value: string): number {
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(value) || !/[T ]/.test(value);
  const normalised = value.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1");
  return Date.parse(hasZone ? normalised : normalised + "Z");
}

export const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addFormat("iso-timestamp", { type: "string", validate: isIsoTimestamp });

const validateEnvelopeShape = ajv.compile(envelopeSchema);
const dataValidators = new Map<string, ValidateFunction>();
for (const [type, versions] of Object.entries(EVENT_DATA_SCHEMAS)) {
  for (const [version, schema] of Object.entries(versions)) dataValidators.set(`${type}@${version}`, ajv.compile(schema));
}

export interface SchemaProblem {
  path: string;
  message: string;
}

/** Problems with an envelope and its data against the schema of its type and version; empty when valid. */
export function envelopeProblems(envelope: unknown): SchemaProblem[] {
  if (!validateEnvelopeShape(envelope)) return problems(validateEnvelopeShape.errors);
  const { type, version, data } = envelope as Envelope;
  return dataProblems(type, version, data);
}

/** Problems with an event's data against the schema of its type and version. */
export function dataProblems(type: string, version: number, data: unknown): SchemaProblem[] {
  const validateData = dataValidators.get(`${type}@${version}`);
  if (!validateData) return [{ path: "/version", message: `no schema for ${type} version ${version}` }];
  return validateData(data) ? [] : problems(validateData.errors, "/data");
}

export function problems(errors: ErrorObject[] | null | undefined, prefix = ""): SchemaProblem[] {
  return (errors ?? []).map((e) => ({
    path: prefix + e.instancePath || "/",
    message:
      e.keyword === "additionalProperties"
        ? `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`
        : e.message ?? "invalid",
  }));
}
