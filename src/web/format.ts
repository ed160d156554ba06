// Small renderers shared by the pages: rates, times, ids, counts.
import { html, type Html } from "./html.js";

/** A rate 0..1 as a percentage; an em dash where it is undefined. */
export function percent(rate: number | null | undefined, digits = 0): string {
  return rate === null || rate === undefined || Number.isNaN(rate) ? "—" : `${(rate * 100).toFixed(digits)}%`;
}

/** A timestamp as a <time> element: the machine-readable value, a short UTC reading. */
export function when(timestamp: string | null | undefined): Html {
  if (!timestamp) return html`—`;
  return html`<time datetime="${timestamp}" title="${timestamp}">${shortTime(timestamp)}</time>`;
}

export function shortTime(timestamp: string): string {
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return timestamp;
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** Long ids (uuids) shortened for tables; the whole id stays in the title. */
export function shortId(id: string): Html {
  return id.length > 14 ? html`<span title="${id}">${id.slice(0, 8)}…</span>` : html`${id}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

export function number(n: number): string {
  return n.toLocaleString("en");
}

/** A status badge: failed or success (words, not only colour). */
export function statusBadge(status: string): Html {
  return html`<span class="badge ${status === "success" ? "ok" : "bad"}">${status}</span>`;
}

/** A query string from the given parameters, leaving out empty ones. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "" && v !== false) search.set(k, String(v));
  const text = search.toString();
  return text ? `?${text}` : "";
}
