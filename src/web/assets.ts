// The console's static files, read once at start-up: the hand-written stylesheet, and htmx and its SSE extension
// from node_modules (never a CDN). Served with an ETag so browsers revalidate cheaply.
import { hash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(file: string, type: string): Asset {
  const body = readFileSync(file);
  return { body, type, etag: `"${hash("sha256", body, "hex").slice(0, 16)}"` };
}

// Compiled to dist/src/web/: the stylesheet stays beside the sources.
const stylesheet = fileURLToPath(
  new URL(import.meta.url.includes("/dist/") ? "../../../src/web/console.css" : "./console.css", import.meta.url),
);

const resolve = (specifier: string) => createRequire(import.meta.url).resolve(specifier);

let assets: Map<string, Asset> | null = null;

/** By URL path under /assets/. */
export function consoleAssets(): Map<string, Asset> {
  assets ??= new Map([
    ["/assets/console.css", asset(stylesheet, "text/css; charset=utf-8")],
    ["/assets/htmx.min.js", asset(resolve("htmx.org/dist/htmx.min.js"), "text/javascript; charset=utf-8")],
    // htmx 2's extension for Server-Sent Events, from its own package.
    ["/assets/htmx-ext-sse.min.js", asset(resolve("htmx-ext-sse/dist/sse.min.js"), "text/javascript; charset=utf-8")],
  ]);
  return assets;
}
