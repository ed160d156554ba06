// The one place error codes become HTTP statuses and the error body every client sees.
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Context, Next } from "koa";
import { ScriptlogError, type ErrorCode } from "../errors.js";

const STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  invalid_request: 400,
  method_not_allowed: 405,
  not_implemented: 501,
  headers_too_large: 431,
  invalid_query: 400,
  invalid_argument: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  validation_failed: 422,
  unknown_previous_attempt: 422,
  unknown_context_version: 422,
  unknown_experiment: 422,
  experiment_exists: 409,
  experiment_stopped: 409,
  conflicting_log_id: 409,
  unauthorized: 401,
  forbidden: 403,
  too_many_failures: 429,
  not_found: 404,
  not_ready: 503,
  log_unavailable: 503,
  shutting_down: 503,
  append_conflict: 503,
  log_locked: 503,
  tokens_locked: 503,
  log_corrupt: 500,
  internal_error: 500,
};

/** The HTTP status of an error code: the console's HTML error pages use the same mapping. */
export function httpStatus(code: ErrorCode): number {
  return STATUS[code];
}

// An error answer stays small whatever provoked it: a megabyte of bad input must not come back amplified.
const MAX_MESSAGE = 1000;
const MAX_VALUE = 200;
const MAX_LIST = 20;

/** A string cut to `max` characters, saying how long it was. */
const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`);

/** Details with every string cut and every list shortened, to a fixed depth. */
function bounded(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return cut(value, MAX_VALUE);
  if (typeof value !== "object" || value === null) return value;
  if (depth >= 3) return "…";
  if (Array.isArray(value)) return value.slice(0, MAX_LIST).map((v) => bounded(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value)
      .slice(0, MAX_LIST)
      .map(([k, v]) => [cut(k, MAX_VALUE), bounded(v, depth + 1)]),
  );
}

export function errorBody(err: ScriptlogError) {
  return { success: false as const, error: { code: err.code, message: cut(err.message, MAX_MESSAGE), details: bounded(err.details) } };
}

/** Turns anything thrown below into the error shape; body-parser errors keep their meaning. */
export async function handleErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    // What the router answers without a body (no route, a method the route lacks, one no route has, OPTIONS)
    // gets the same JSON as every other answer.
    if (ctx.body === undefined || ctx.body === "") {
      const allow = ctx.response.get("Allow");
      if (ctx.status === 404) throw new ScriptlogError("not_found", `no route for ${ctx.method} ${ctx.path}`);
      if (ctx.status === 405)
        throw new ScriptlogError("method_not_allowed", `${ctx.method} is not allowed on ${ctx.path}; use ${allow}`, {
          allow: allow.split(", "),
        });
      if (ctx.status === 501) throw new ScriptlogError("not_implemented", `the method ${ctx.method} is not implemented`, {});
      if (ctx.method === "OPTIONS" && ctx.status === 200) ctx.body = { success: true, allow: allow.split(", ") };
    }
  } catch (err) {
    const error = asScriptlogError(err);
    ctx.status = STATUS[error.code];
    ctx.body = errorBody(error);
    if (error.code === "internal_error") ctx.app.emit("error", err, ctx);
  }
}

const REASONS: Record<number, string> = { 400: "Bad Request", 431: "Request Header Fields Too Large" };

/**
 * Requests Node's HTTP parser refuses before Koa sees them (headers over the size limit, malformed requests)
 * are answered in the same JSON shape, then the connection is closed.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
    const error =
      err.code === "HPE_HEADER_OVERFLOW"
        ? new ScriptlogError("headers_too_large", "the request headers are larger than the server accepts", {})
        : new ScriptlogError("invalid_request", "the request is not valid HTTP", { reason: err.code ?? "unknown" });
    const status = STATUS[error.code];
    const body = JSON.stringify(errorBody(error));
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

export function asScriptlogError(err: unknown): ScriptlogError {
  if (err instanceof ScriptlogError) return err;
  const status = (err as { status?: number }).status;
  const message = (err as Error).message ?? String(err);
  if (status === 413) return new ScriptlogError("payload_too_large", "the request body is larger than the limit", { reason: message });
  if (status === 415) return new ScriptlogError("unsupported_media_type", message);
  if (status === 400) return new ScriptlogError("invalid_json", "the request body is not valid JSON", { reason: message });
  return new ScriptlogError("internal_error", "internal error", {});
}
