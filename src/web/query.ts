// The console's query strings: the API's parser and field schemas, with the blanks an HTML form submits
// for untouched fields left out.
import { limitParam, parseQuery, querySchemas } from "../api/schemas.js";
import { timestampSchema } from "../events/schemas.js";

export const PAGE_SIZE = 50;

/** The context filter's value for sessions whose attempts name no context version. */
export const NO_CONTEXT = "none";

const page = { type: "integer", minimum: 1, maximum: 100000, default: 1 };
const model = { type: "string", minLength: 1, maxLength: 200 };
const library = querySchemas.errorPatterns.library;
const category = querySchemas.errorPatterns.category;
const diff = { enum: ["unified", "split"], default: "unified" };
const contextVersion = { type: "string", pattern: "^ctx-[1-9][0-9]{0,9}$" };

export const webQuerySchemas = {
  patterns: { ...querySchemas.errorPatterns, sort: { enum: ["count", "sessions", "last_seen"], default: "count" } },
  sessions: {
    resolved: { enum: ["true", "false"] },
    model,
    context: { type: "string", pattern: "^(none|ctx-[1-9][0-9]{0,9})$", description: "the context version sessions were generated with" },
    since: { ...timestampSchema, description: "sessions started at or after" },
    until: { ...timestampSchema, description: "sessions started before" },
    page,
  },
  failures: { category, library, model, fixed: { enum: ["fixed", "unfixed"] }, since: timestampSchema, page },
  successes: { library, model, since: timestampSchema, page },
  session: { diff },
  context: { from: contextVersion, to: contextVersion, diff },
  none: querySchemas.none,
  limit: { limit: limitParam },
} as const;

/** Typed query values; blank values are dropped first, so an untouched form field means "any". */
export function webQuery<T>(schema: Record<string, object>, query: Record<string, string | string[] | undefined>): T {
  const given: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(query)) if (v !== "") given[k] = v;
  return parseQuery<T>(schema, given);
}
