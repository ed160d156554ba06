// The Koa application: error shape, content-type and size checks, JSON body parsing, routes.
import Koa from "koa";
import { ScriptlogError } from "../errors.js";
import type { ScriptlogService } from "../service/scriptlogService.js";
import { handleErrors } from "./errors.js";
import { jsonBody } from "./jsonBody.js";
import { logRoutes, type LiveRoutes } from "./routes.js";
import { consoleRoutes } from "../web/routes.js";

export interface AppOptions extends LiveRoutes {
  bodyLimit: number;
}

export function createApp(service: ScriptlogService, options: AppOptions): Koa {
  const app = new Koa();
  app.use(handleErrors);
  // The web console answers GETs outside /api itself (HTML pages, HTML errors); everything else goes on.
  app.use(consoleRoutes(service));
  app.use(async (ctx, next) => {
    if (ctx.method === "POST" || ctx.method === "PUT" || ctx.method === "PATCH") {
      if (!ctx.is("application/json")) {
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
  app.on("error", (err) => {
    if (!(err instanceof ScriptlogError)) console.error("scriptlog: unexpected error:", err);
  });
  return app;
}
