// Signing in to the console when the API needs tokens: a form takes a token that may read, and the browser keeps
// it in an HttpOnly, SameSite=Strict cookie that page reads send (writes never accept it). Signing out clears it.
import type { Context, Middleware, Next } from "koa";
import getRawBody from "raw-body";
import { SESSION_COOKIE, type Authenticator } from "../api/auth.js";
import { ScriptlogError } from "../errors.js";
import { html, type Html } from "./html.js";
import { page } from "./layout.js";
import { CONTENT_SECURITY_POLICY } from "./routes.js";

const FORM_LIMIT = 4096;

function loginPage(next: string, problem: string | null): Html {
  return page({
    title: "Sign in",
    section: "none",
    body: html`<h1>Sign in</h1>
      <p>
        This server needs an API token. Paste one with scope <code>read</code> (or more); the browser keeps it in a cookie this console
        alone can use.
      </p>
      ${problem ? html`<p class="badge bad" role="alert">${problem}</p>` : ""}
      <form method="post" action="/login" hx-boost="false">
        <input type="hidden" name="next" value="${next}" />
        <p>
          <label for="token">Token</label>
          <input id="token" name="token" type="password" autocomplete="off" required />
        </p>
        <p><button type="submit">Sign in</button></p>
      </form>
      <form method="post" action="/logout" hx-boost="false">
        <p><button type="submit">Sign out</button></p>
      </form>`,
  });
}

/** Only a path on this server: never an absolute or protocol-relative URL another site could be. */
const safeNext = (next: string | null | undefined) =>
  next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";

function sendPage(ctx: Context, body: Html, status: number): void {
  ctx.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  ctx.status = status;
  ctx.type = "text/html; charset=utf-8";
  ctx.body = body.text;
}

async function formFields(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is("application/x-www-form-urlencoded")) {
    throw new ScriptlogError("unsupported_media_type", "sign in with the form (application/x-www-form-urlencoded)");
  }
  const text = await getRawBody(ctx.req, { limit: FORM_LIMIT, encoding: "utf8" });
  return new URLSearchParams(text);
}

function setCookie(ctx: Context, auth: Authenticator, value: string, maxAgeSeconds: number): void {
  const secure = auth.cookieSecure(ctx) ? "; Secure" : "";
  ctx.append("Set-Cookie", `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`);
}

// A signed-in console stays signed in for a working day at most.
const SESSION_SECONDS = 12 * 3600;

export function loginRoutes(auth: Authenticator): Middleware {
  return async (ctx: Context, next: Next) => {
    if (ctx.path === "/login" && ctx.method === "GET") {
      return sendPage(ctx, loginPage(safeNext(ctx.query.next as string | undefined), null), 200);
    }
    if (ctx.path === "/login" && ctx.method === "POST") {
      const fields = await formFields(ctx);
      const target = safeNext(fields.get("next"));
      const token = await auth.signIn(ctx, fields.get("token")?.trim() ?? "");
      if (!token) return sendPage(ctx, loginPage(target, "That token is not valid, or may not read."), 401);
      // The token itself is the session: revoking it signs every browser that used it out.
      setCookie(ctx, auth, fields.get("token")!.trim(), SESSION_SECONDS);
      ctx.status = 303;
      return ctx.redirect(target);
    }
    if (ctx.path === "/logout" && ctx.method === "POST") {
      setCookie(ctx, auth, "", 0);
      ctx.status = 303;
      return ctx.redirect("/login");
    }
    return next();
  };
}
