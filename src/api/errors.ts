// The one place error codes become HTTP statuses and the error body every client sees.
import type { Context, Next } from "koa";
import { ScriptlogError, type ErrorCode } from "../errors.js";

const STATUS: Record<ErrorCode, number> = {
  invalid_json: 400,
  invalid_query: 400,
  invalid_argument: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  validation_failed: 422,
  unknown_previous_attempt: 422,
  conflicting_log_id: 409,
  not_found: 404,
  not_ready: 503,
  log_unavailable: 503,
  log_locked: 503,
  log_corrupt: 500,
  internal_error: 500,
};

/** The HTTP status of an error code: the console's HTML error pages use the same mapping. */
export function httpStatus(code: ErrorCode): number {
  return STATUS[code];
}

export function errorBody(err: ScriptlogError) {
  return { success: false as const, error: { code: err.code, message: err.message, details: err.details } };
}

/** Turns anything thrown below into the error shape; body-parser errors keep their meaning. */
export async function handleErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new ScriptlogError("not_found", `no route for ${ctx.method} ${ctx.path}`);
    }
  } catch (err) {
    const error = asScriptlogError(err);
    ctx.status = STATUS[error.code];
    ctx.body = errorBody(error);
    if (error.code === "internal_error") ctx.app.emit("error", err, ctx);
  }
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
