// Who may do what: the scope each route needs (one table), bearer tokens and the console's session cookie, and
// a limit on failed attempts. With no tokens at all the service is open, which serve.ts allows on loopback only.
import type { Context, Middleware, Next } from "koa";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { ScriptlogError } from "../errors.js";
import { GRANTS, type Scope, type StoredToken, type TokenStore } from "../service/tokens.js";

type Need = Scope | "public";

interface RouteScope {
  method: "GET" | "POST" | "*";
  /** A path, or a prefix when it ends in "/". */
  path: string;
  need: Need;
}

// First match wins, so narrower rows come first. A request no row matches needs admin.
const ROUTE_SCOPES: RouteScope[] = [
  // Liveness for load balancers and supervisors: says nothing about the data.
  { method: "GET", path: "/health", need: "public" },
  // The console's own stylesheet and scripts, and its sign-in and sign-out: no data in them.
  { method: "GET", path: "/assets/", need: "public" },
  { method: "*", path: "/login", need: "public" },
  { method: "POST", path: "/logout", need: "public" },
  // Prometheus scrapes with a token that can read nothing else.
  { method: "GET", path: "/metrics", need: "metrics" },
  // Every line of the log as stored, scripts and outputs of every client included: for auditors and replicas.
  { method: "GET", path: "/api/logs/events", need: "admin" },
  // Recording an attempt: what `scriptlog run` and the clients do.
  { method: "POST", path: "/api/logs/attempts", need: "write" },
  // Publishing and promoting contexts, starting and stopping experiments change what every model is told.
  { method: "POST", path: "/api/contexts", need: "admin" },
  { method: "POST", path: "/api/contexts/", need: "admin" },
  { method: "POST", path: "/api/experiments", need: "admin" },
  { method: "POST", path: "/api/experiments/", need: "admin" },
  // Reading the API and the console pages (a GET changes nothing).
  { method: "GET", path: "/api/", need: "read" },
  { method: "GET", path: "/", need: "read" },
];

/** The scope a request needs, from the table. */
export function requiredScope(method: string, path: string): Need {
  const verb = method === "HEAD" ? "GET" : method;
  const row = ROUTE_SCOPES.find(
    (r) => (r.method === "*" || r.method === verb) && (r.path.endsWith("/") ? path.startsWith(r.path) : path === r.path),
  );
  return row?.need ?? "admin";
}

export const SESSION_COOKIE = "scriptlog_session";

export interface AuthOptions {
  tokens: TokenStore;
  /** With no tokens in the file: serve everyone (loopback, or --insecure-no-auth) or refuse everyone. */
  openWithoutTokens: boolean;
  cookieSecure: "auto" | "on" | "off";
  /** Called on every refused attempt, with the code it was refused with (for metrics). */
  onFailure?: (code: "unauthorized" | "forbidden" | "too_many_failures") => void;
}

// Ten failures a minute per client address and per token name: enough for a typo, not for guessing.
const FAILURES_ALLOWED = 10;
const FAILURE_WINDOW_SECONDS = 60;

export interface Authenticator {
  middleware: Middleware;
  /** The token with this secret if it may read (the console's sign-in), else null; counts a failure. */
  signIn(ctx: Context, secret: string): Promise<StoredToken | null>;
  cookieSecure(ctx: Context): boolean;
}

export function authenticator(options: AuthOptions): Authenticator {
  const failures = new RateLimiterMemory({ points: FAILURES_ALLOWED, duration: FAILURE_WINDOW_SECONDS });

  /** Refuses a client (address or token) that failed too often, with when to try again. */
  async function checkLimit(ctx: Context, key: string): Promise<void> {
    const state = await failures.get(key);
    if (state && state.consumedPoints >= FAILURES_ALLOWED) {
      const seconds = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      ctx.set("Retry-After", String(seconds));
      options.onFailure?.("too_many_failures");
      throw new ScriptlogError("too_many_failures", `too many failed attempts to authenticate; retry in ${seconds} s`, {
        retry_after_seconds: seconds,
      });
    }
  }

  async function fail(key: string, error: ScriptlogError): Promise<never> {
    await failures.penalty(key, 1);
    options.onFailure?.(error.code as "unauthorized" | "forbidden");
    throw error;
  }

  const unauthorized = (ctx: Context, message: string) => {
    ctx.set("WWW-Authenticate", 'Bearer realm="scriptlog"');
    return new ScriptlogError("unauthorized", message, {});
  };

  /** The bearer token, or for a page read the console's cookie (never for a write: no request forged by another site). */
  const presented = (ctx: Context): string | null => {
    const header = ctx.get("Authorization");
    if (header.startsWith("Bearer ")) return header.slice("Bearer ".length).trim();
    if (header !== "") return "";
    if (ctx.method === "GET" || ctx.method === "HEAD") return ctx.cookies.get(SESSION_COOKIE) ?? null;
    return null;
  };

  const middleware = async (ctx: Context, next: Next) => {
    const need = requiredScope(ctx.method, ctx.path);
    if (need === "public") return next();
    if (options.tokens.current().length === 0) {
      if (options.openWithoutTokens) return next();
      throw unauthorized(ctx, "no API token exists yet: create one with `scriptlog token create`");
    }
    const client = `ip:${ctx.ip}`;
    await checkLimit(ctx, client);
    const secret = presented(ctx);
    if (secret === null) {
      // A person opening a console page is shown the sign-in form rather than a JSON error.
      if (ctx.method === "GET" && !ctx.path.startsWith("/api/") && ctx.accepts("html", "json") === "html") {
        return ctx.redirect(`/login?next=${encodeURIComponent(ctx.originalUrl)}`);
      }
      throw unauthorized(ctx, "this route needs an API token: send Authorization: Bearer <token>");
    }
    const token = options.tokens.find(secret);
    if (!token) return fail(client, unauthorized(ctx, "the token is not valid (unknown or revoked)"));
    await checkLimit(ctx, `token:${token.name}`);
    if (!GRANTS[token.scope].includes(need as Scope)) {
      return fail(
        `token:${token.name}`,
        new ScriptlogError("forbidden", `the token '${token.name}' has scope ${token.scope}; ${ctx.method} ${ctx.path} needs ${need}`, {
          token: token.name,
          scope: token.scope,
          needs: need,
        }),
      );
    }
    ctx.state.token = token;
    // Signed in to the console with its cookie (no Authorization header): its pages offer to sign out.
    ctx.state.signedIn = ctx.get("Authorization") === "";
    return next();
  };

  return {
    middleware,
    async signIn(ctx, secret) {
      const client = `ip:${ctx.ip}`;
      await checkLimit(ctx, client);
      const token = options.tokens.find(secret);
      if (token && GRANTS[token.scope].includes("read")) return token;
      await failures.penalty(client, 1);
      options.onFailure?.("unauthorized");
      return null;
    },
    cookieSecure: (ctx) =>
      options.cookieSecure === "on" || (options.cookieSecure === "auto" && (ctx.secure || ctx.get("X-Forwarded-Proto") === "https")),
  };
}

/** The name of the token a request was made with, if tokens are in use. */
export function tokenName(ctx: Context): string | undefined {
  return (ctx.state.token as StoredToken | undefined)?.name;
}
