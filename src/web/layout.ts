// The page shell every console page shares: head (one stylesheet, htmx from node_modules), navigation, main.
import { html, trustedHtml, type Html, type Interpolation } from "./html.js";

export interface PageOptions {
  title: string;
  /** Which navigation entry is the current page. */
  section: Section;
  body: Interpolation;
}

export type Section = "overview" | "patterns" | "sessions" | "failures" | "successes" | "context" | "experiments" | "audit" | "none";

const NAV: Array<[Section, string, string]> = [
  ["overview", "/", "Overview"],
  ["patterns", "/patterns", "Patterns"],
  ["sessions", "/sessions", "Sessions"],
  ["failures", "/failures", "Failures"],
  ["successes", "/successes", "Successes"],
  ["context", "/context", "Context"],
  ["experiments", "/experiments", "Experiments"],
  ["audit", "/audit", "Audit"],
];

// htmx without the features a strict Content-Security-Policy forbids: no inline <style> for indicators,
// no eval (hx-on, js: values), no <script> tags inside swapped content, no style attributes carried over
// when settling a swap.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 20,
  defaultSettleDelay: 0,
  attributesToSettle: ["class", "width", "height"],
});

export function page({ title, section, body }: PageOptions): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content="${HTMX_CONFIG}" />
        <title>${title} · scriptlog</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/assets/console.css" />
        <script src="/assets/htmx.min.js" defer></script>
        <script src="/assets/htmx-ext-sse.min.js" defer></script>
      </head>
      <body hx-boost="true">
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">scriptlog</a>
          <nav aria-label="Sections">
            <ul>
              ${NAV.map(([key, href, label]) => html`<li><a href="${href}" ${key === section ? html` aria-current="page"` : ""}>${label}</a></li>`)}
            </ul>
          </nav>
        </header>
        <main id="main" tabindex="-1">${body}</main>
        <footer class="foot">
          <p>API under <a href="/api/openapi.json" hx-boost="false">/api</a> · every figure is derived from the event log</p>
        </footer>
      </body>
    </html> `;
}

const SIGN_OUT = html`<form class="account" method="post" action="/logout" hx-boost="false">
  <button type="submit">Sign out</button>
</form>`;

/** A page with a sign-out button in its header: for a visitor signed in with the console's cookie. */
export function withSignOut(shell: Html): Html {
  // The shell's header closes before anything interpolated, and interpolations are escaped: the first
  // `</header>` is the shell's own.
  const at = shell.text.indexOf("</header>");
  return at < 0 ? shell : trustedHtml(shell.text.slice(0, at) + SIGN_OUT.text + shell.text.slice(at));
}

/** What to do when there is nothing to show yet. */
export function emptyState(heading: string, advice: Interpolation): Html {
  return html`<section class="empty" aria-label="${heading}">
    <h2>${heading}</h2>
    ${advice}
  </section>`;
}

/** The curl command that records a first attempt: the empty state of every page that lists attempts. */
export function firstAttemptAdvice(origin: string): Html {
  const command = `curl -s -X POST ${origin}/api/logs/attempts -H 'content-type: application/json' \\
  -d '{"status": "failed", "code": "import os\\nos.makedir(\\"out\\")\\n", "return_code": 1,
       "stderr": "AttributeError: module '\\''os'\\'' has no attribute '\\''makedir'\\''"}'`;
  return html`<p>No attempts are recorded yet. Post the first one from your runner, for example:</p>
    <pre class="command"><code>${command}</code></pre>
    <p>or import existing logs with <code>scriptlog import --seed-logs DIR</code> (the server must be stopped while it runs).</p>`;
}
