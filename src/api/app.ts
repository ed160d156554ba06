// The Koa application: metrics, security headers, CORS, error shape, authentication, content-type and size
// checks, JSON body parsing, routes.
import Koa, { type Context, type Next } from "koa";
import cors from "@koa/cors";
import { ScriptlogError } from "../errors.js";
import type { ScriptlogService } from "../service/scriptlogService.js";
import { handleErrors } from "./errors.js";
import { jsonBody } from "./jsonBody.js";
import { logRoutes, type LiveRoutes } from "./routes.js";
import { consoleRoutes } from "../web/routes.js";
import { contextRoutes } from "./contextRoutes.js";
import { readYourWrites } from "./readYourWrites.js";
import type { Authenticator } from "./auth.js";
import type { Metrics } from "./metrics.js";
import { loginRoutes } from "../web/login.js";

export interface AppOptions extends LiveRoutes {
  bodyLimit: number;
  /** True once the server drains for shutdown: new requests are refused and every connection closed. */
  stopping?: () => boolean;
  /** How long a read with ?min_seq= may wait for the read models to reach it. */
  minSeqWaitMs?: number;
  /** Tokens and scopes; without it every route is open (tests of other layers, a loopback server). */
  auth?: Authenticator;
  /** Origins whose pages may call the API (CORS); none when empty. */
  corsOrigins?: string[];
  metrics?: Metrics;
}

/** Headers every answer carries; data is never cached (a page or an asset may say otherwise for itself). */
async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Referrer-Policy", "no-referrer");
  ctx.set("X-Frame-Options", "DENY");
  ctx.set("Cache-Control", "no-store");
  await next();
}

export function createApp(service: ScriptlogService, options: AppOptions): Koa {
  const app = new Koa();
  const metrics = options.metrics;
  if (metrics) app.use(metrics.requests);
  app.use(securityHeaders);
  const origins = new Set(options.corsOrigins ?? []);
  // An origin not on the list gets no CORS headers at all, so its pages cannot read the answers.
  if (origins.size > 0)
    app.use(
      cors({ origin: (ctx) => (origins.has(ctx.get("Origin")) ? ctx.get("Origin") : ""), allowHeaders: ["Authorization", "Content-Type"] }),
    );
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
  if (options.auth) {
    app.use(options.auth.middleware);
    app.use(loginRoutes(options.auth));
  }
  if (metrics) {
    app.use(async (ctx, next) => {
      if (ctx.path !== "/metrics" || ctx.method !== "GET") return next();
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
    });
  }
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
