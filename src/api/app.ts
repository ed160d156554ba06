// The Koa application: error shape, content-type and size checks, JSON body parsing, routes.
import Koa from "koa";
import { ScriptlogError } from "../errors.js";
import type { ScriptlogService } from "../service/scriptlogService.js";
import { handleErrors } from "./errors.js";
import { jsonBody } from "./jsonBody.js";
import { logRoutes, type LiveRoutes } from "./routes.js";
import { consoleRoutes } from "../web/routes.js";
import { contextRoutes } from "./contextRoutes.js";
import { readYourWrites } from "./readYourWrites.js";

export interface AppOptions extends LiveRoutes {
  bodyLimit: number;
  /** True once the server drains for shutdown: new requests are refused and every connection closed. */
  stopping?: () => boolean;
  /** How long a read with ?min_seq= may wait for the read models to reach it. */
  minSeqWaitMs?: number;
}

export function createApp(service: ScriptlogService, options: AppOptions): Koa {
  const app = new Koa();
  app.use(handleErrors);
  app.use(async (ctx, next) => {
    // During shutdown: a request that arrives on a kept-alive connection is refused, and every answer,
    // in-flight ones included, closes its connection, so no client keeps writing after the signal.
    if (options.stopping?.()) {
      ctx.set("Connection", "close");
      throw new ScriptlogError("shutting_down", "the server is shutting down; retry against its successor");
    }
    try {
      await next();
    } finally {
      if (options.stopping?.()) ctx.set("Connection", "close");
    }
  });
  app.use(readYourWrites(service, options.minSeqWaitMs ?? 5_000));
  // The web console answers GETs outside /api itself (HTML pages, HTML errors); everything else goes on.
  app.use(consoleRoutes(service, options));
  app.use(async (ctx, next) => {
    if (ctx.method === "POST" || ctx.method === "PUT" || ctx.method === "PATCH") {
      // A body must be JSON; an action without one (POST …/stop) needs no type.
      const bodyless = ctx.get("Content-Length") === "0" || ctx.is("application/json") === null;
      if (!bodyless && !ctx.is("application/json")) {
        throw new ScriptlogError(
          "unsupported_media_type",
          `send the body as application/json, not ${ctx.get("Content-Type") || "nothing"}`,
        );
      }
      if (Number(ctx.get("Content-Length")) > options.bodyLimit) {
        throw new ScriptlogError("payload_too_large", `the request body is larger than ${options.bodyLimit} bytes`, {
          limit: options.bodyLimit,
        });
      }
    }
    await next();
  });
  app.use(jsonBody(options.bodyLimit));
  const router = logRoutes(service, options);
  app.use(router.routes());
  app.use(router.allowedMethods());
  const loop = contextRoutes(service);
  app.use(loop.routes());
  app.use(loop.allowedMethods());
  app.on("error", (err) => {
    if (!(err instanceof ScriptlogError)) console.error("scriptlog: unexpected error:", err);
  });
  return app;
}
