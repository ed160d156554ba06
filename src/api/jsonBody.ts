// Reads a JSON request body strictly. Only UTF-8 is accepted: a charset label naming anything else is refused
// (415), and so are a byte-order mark and any invalid byte sequence (400 invalid_json) — a lenient decoder
// would store them as U+FFFD, changing what the client sent. The top level must be an object or an array.
import type { Context, Next } from "koa";
import getRawBody from "raw-body";
import { ScriptlogError } from "../errors.js";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

export function jsonBody(limit: number) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!BODY_METHODS.has(ctx.method)) return next();
    const charset = ctx.request.charset;
    if (charset && charset.toLowerCase() !== "utf-8" && charset.toLowerCase() !== "utf8") {
      throw new ScriptlogError("unsupported_media_type", `send the body as UTF-8 JSON, not charset=${charset.slice(0, 40)}`, {
        charset: charset.slice(0, 40),
      });
    }
    const encoding = ctx.get("Content-Encoding");
    if (encoding && encoding.toLowerCase() !== "identity") {
      throw new ScriptlogError("unsupported_media_type", `send the body uncompressed, not Content-Encoding: ${encoding.slice(0, 40)}`, {});
    }
    const bytes = await readBody(ctx, limit);
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      throw new ScriptlogError("invalid_json", "the request body starts with a byte-order mark: send UTF-8 JSON without one", {});
    }
    let text: string;
    try {
      text = UTF8.decode(bytes);
    } catch {
      throw new ScriptlogError("invalid_json", "the request body is not valid UTF-8", {});
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new ScriptlogError("invalid_json", "the request body is not valid JSON", { reason: (err as Error).message.slice(0, 200) });
    }
    if (typeof body !== "object" || body === null) {
      throw new ScriptlogError("invalid_json", "the request body must be a JSON object or array", {});
    }
    (ctx.request as { body?: unknown }).body = body;
    await next();
  };
}

async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { length: ctx.get("Content-Length") || undefined, limit });
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === "entity.too.large") {
      throw new ScriptlogError("payload_too_large", `the request body is larger than ${limit} bytes`, { limit });
    }
    throw new ScriptlogError("invalid_json", "the request body could not be read", { reason: (err as Error).message.slice(0, 200) });
  }
}
