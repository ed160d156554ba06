// The web console: server-rendered pages at `/` beside the API under `/api`. Pages ask the service's query
// façade (src/service/queries.ts), as the API routes do, and only format; errors become HTML pages with the
// status the API would give; every response carries a strict Content-Security-Policy.
import Router from "@koa/router";
import type { Context, Middleware, Next } from "koa";
import { asScriptlogError, httpStatus } from "../api/errors.js";
import type { LiveRoutes } from "../api/routes.js";
import { ScriptlogError } from "../errors.js";
import type { ScriptlogService } from "../service/scriptlogService.js";
import { consoleAssets } from "./assets.js";
import type { DiffLayout } from "./code.js";
import { html, type Html } from "./html.js";
import { page, withSignOut } from "./layout.js";
import { failuresPage, logPage, successesPage } from "./pages/attempts.js";
import { auditPage } from "./pages/audit.js";
import { contextPage } from "./pages/context.js";
import { experimentPage, experimentsPage } from "./pages/experiments.js";
import { overviewPage } from "./pages/overview.js";
import { patternPage, patternsPage } from "./pages/patterns.js";
import { sessionPage, sessionsPage } from "./pages/sessions.js";
import { webQuery, webQuerySchemas } from "./query.js";

// Scripts and styles only from this origin (htmx and the stylesheet): an injected <script> or inline
// handler never runs, whatever a stderr contains.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

function securityHeaders(ctx: Context): void {
  ctx.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  ctx.set("X-Content-Type-Options", "nosniff");
  ctx.set("Referrer-Policy", "same-origin");
}

function send(ctx: Context, body: Html, status = 200): void {
  securityHeaders(ctx);
  if (ctx.state.signedIn === true) body = withSignOut(body);
  ctx.status = status;
  ctx.type = "text/html; charset=utf-8";
  ctx.set("Vary", "HX-Request");
  // A form submitted by htmx sends its blank fields too; the address bar gets the URL without them.
  if (ctx.get("HX-Request") === "true" && status === 200) ctx.set("HX-Push-Url", canonicalUrl(ctx));
  ctx.body = body.text;
}

function canonicalUrl(ctx: Context): string {
  const params = new URLSearchParams();
  for (const [k, v] of new URLSearchParams(ctx.querystring)) if (v !== "") params.append(k, v);
  const search = params.toString();
  return search ? `${ctx.path}?${search}` : ctx.path;
}

function errorPage(error: ScriptlogError): Html {
  const title = error.code === "not_found" ? "Not found" : error.code === "not_ready" ? "Starting" : "Something went wrong";
  return page({
    title,
    section: "none",
    body: html`<h1>${title}</h1>
      <p>${error.message}</p>
      <p class="muted">Error code <code>${error.code}</code>. <a href="/">Back to the overview</a>.</p>`,
  });
}

/** Query parameters a page does not take are refused, like the API does. */
const noQuery = (ctx: Context) => webQuery(webQuerySchemas.none, ctx.query);

export function consoleRoutes(service: ScriptlogService, live: LiveRoutes): Middleware {
  const router = new Router();
  // Where this server is reached, for the curl examples of empty states (Koa 3's ctx.origin is the header).
  const origin = (ctx: Context) => `${ctx.protocol}://${ctx.host}`;

  router.get("/assets/:file", (ctx) => {
    const asset = consoleAssets().get(ctx.path);
    if (!asset) throw new ScriptlogError("not_found", `no asset ${ctx.path}`);
    ctx.set("ETag", asset.etag);
    ctx.set("Cache-Control", "no-cache");
    ctx.set("X-Content-Type-Options", "nosniff");
    if (ctx.get("If-None-Match") === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = asset.type;
    ctx.body = asset.body;
  });

  router.get("/", (ctx) => {
    noQuery(ctx);
    send(ctx, overviewPage(service, origin(ctx), live));
  });
  // The API's live stream from now on, for the overview's live region: under the console's own path, so it
  // needs what the console's pages need and nothing more.
  router.get("/live", (ctx) => {
    noQuery(ctx);
    live.stream.open(ctx, null);
  });
  router.get("/patterns", (ctx) => send(ctx, patternsPage(service, ctx.query, origin(ctx))));
  router.get("/patterns/:fingerprint", (ctx) => {
    noQuery(ctx);
    send(ctx, patternPage(service, ctx.params.fingerprint));
  });
  router.get("/sessions", (ctx) => send(ctx, sessionsPage(service, ctx.query, origin(ctx))));
  router.get("/sessions/:id", (ctx) => {
    const q = webQuery<{ diff: DiffLayout }>(webQuerySchemas.session, ctx.query);
    send(ctx, sessionPage(service, ctx.params.id, q.diff));
  });
  router.get("/failures", (ctx) => send(ctx, failuresPage(service, ctx.query, origin(ctx))));
  router.get("/successes", (ctx) => send(ctx, successesPage(service, ctx.query, origin(ctx))));
  router.get("/log/:id", (ctx) => {
    noQuery(ctx);
    send(ctx, logPage(service, ctx.params.id));
  });
  router.get("/context", (ctx) => send(ctx, contextPage(service, ctx.query, origin(ctx))));
  router.get("/experiments", (ctx) => {
    noQuery(ctx);
    send(ctx, experimentsPage(service, origin(ctx)));
  });
  router.get("/experiments/:id", (ctx) => {
    noQuery(ctx);
    send(ctx, experimentPage(service, ctx.params.id));
  });
  router.get("/audit", async (ctx) => {
    noQuery(ctx);
    send(ctx, await auditPage(service));
  });

  const routes = router.routes();
  return async (ctx: Context, next: Next) => {
    if (ctx.path.startsWith("/api/") || ctx.path === "/api" || ctx.path === "/health") return next();
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    try {
      if (!service.ready && !ctx.path.startsWith("/assets/")) {
        ctx.set("Retry-After", "1");
        throw new ScriptlogError("not_ready", "the log is still being replayed; this page appears once it is");
      }
      await routes(ctx as Parameters<typeof routes>[0], async () => {
        throw new ScriptlogError("not_found", `no page at ${ctx.path}`);
      });
    } catch (err) {
      const error = asScriptlogError(err);
      if (error.code === "internal_error") ctx.app.emit("error", err, ctx);
      send(ctx, errorPage(error), httpStatus(error.code));
    }
  };
}
