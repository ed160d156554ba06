// Pieces several pages show: tables of patterns and of attempts, paging links, filter forms.
import type { AttemptRecord } from "../projections/attempts.js";
import type { rankedPatterns } from "../projections/analysis.js";
import type { sessionSummary } from "../projections/sessions.js";
import { percent, query, shortId, statusBadge, when, number } from "./format.js";
import type { DiffLayout } from "./code.js";
import { html, type Html, type Interpolation } from "./html.js";
import { page, type Section } from "./layout.js";
import { dataTable, numeric, type Column } from "./table.js";

export type RankedPattern = ReturnType<typeof rankedPatterns>[number];

export const patternHref = (p: { fingerprints: string[]; pattern: string }) => `/patterns/${encodeURIComponent(p.fingerprints[0] ?? "")}`;
export const sessionHref = (id: string) => `/sessions/${encodeURIComponent(id)}`;
export const logHref = (id: string) => `/log/${encodeURIComponent(id)}`;

/** One figure of a <dl class="stats">: a label, a value, and a detail in muted text. */
export function stat(label: string, value: Interpolation, detail?: Interpolation, className?: string): Html {
  return html`<div class="stat${className ? ` ${className}` : ""}">
    <dt>${label}</dt>
    <dd>${value}${detail ? html` <span class="muted">${detail}</span>` : ""}</dd>
  </div>`;
}

export function outcomeBadge(resolved: boolean): Html {
  return resolved ? html`<span class="badge ok">resolved</span>` : html`<span class="badge bad">unresolved</span>`;
}

/** A 95% interval of a rate as text; an em dash where there is none (no data). */
export function intervalText(interval: readonly [number, number] | null | undefined, digits = 0): string {
  return interval ? `${percent(interval[0], digits)}–${percent(interval[1], digits)}` : "—";
}

/** A rate with its Wilson 95% interval and the counts behind it: "40% (12–70%) · 4 of 10". */
export function rateWithInterval(p: { successes: number; n: number; rate: number | null; ci95: readonly [number, number] | null }): Html {
  return p.n === 0
    ? html`<span class="muted">no data</span>`
    : html`${percent(p.rate)} <span class="muted">(95% CI ${intervalText(p.ci95)}) · ${number(p.successes)} of ${number(p.n)}</span>`;
}

/** A p-value as people read it: two significant digits, and "< 0.0001" below that. */
export function pValueText(p: number | null): string {
  if (p === null) return "—";
  return p < 0.0001 ? "< 0.0001" : p.toPrecision(2);
}

export const TEST_NAMES = { fisher: "Fisher's exact test", two_proportion: "two-proportion z-test" } as const;

/** Sessions as table rows: link, start, attempts, outcome, and whatever columns a page adds. */
export function sessionTable<S extends ReturnType<typeof sessionSummary>>(
  sessions: readonly S[],
  caption: Interpolation,
  extra: { columns: readonly Column[]; cells: (s: S) => Interpolation } = { columns: [], cells: () => "" },
): Html {
  return dataTable(
    caption,
    ["Session", "Started", numeric("Attempts"), "Outcome", ...extra.columns],
    sessions.map(
      (s) =>
        html`<tr>
          <td>
            <a href="${sessionHref(s.session_id)}">${shortId(s.session_id)}</a
            >${s.inferred ? html` <span class="tag inferred">inferred</span>` : ""}
          </td>
          <td>${when(s.started_at)}</td>
          <td class="num">${s.attempt_count}</td>
          <td>${outcomeBadge(s.resolved)}</td>
          ${extra.cells(s)}
        </tr>`,
    ),
  );
}

export function patternTable(patterns: RankedPattern[], caption: string): Html {
  return dataTable(
    caption,
    ["Pattern", "Category", numeric("Failures"), numeric("Sessions"), numeric("Fixed"), "Last seen"],
    patterns.map(
      (p) =>
        html`<tr>
          <td>
            <a href="${patternHref(p)}">${p.pattern}</a
            >${p.libraries.length ? html`<div class="muted">${p.libraries.map((l) => l.library).join(", ")}</div>` : ""}
          </td>
          <td>${p.error_category ?? "—"}</td>
          <td class="num">${number(p.count)}</td>
          <td class="num">${number(p.sessions)}</td>
          <td class="num">${number(p.fixed)} <span class="muted">(${percent(p.fix_rate)})</span></td>
          <td>${when(p.last_seen)}</td>
        </tr>`,
    ),
  );
}

/** Attempts as table rows: when, status, what went wrong, session, model. */
export function attemptTable(records: AttemptRecord[], caption: string): Html {
  return dataTable(
    caption,
    ["When", "Status", "Error", "Session", "Model", "Fixed by"],
    records.map(
      (r) =>
        html`<tr>
          <td><a href="${logHref(r.log_id)}">${when(r.timestamp)}</a></td>
          <td>${statusBadge(r.status)}</td>
          <td>
            ${r.status === "failed" ? html`${r.pattern ?? r.error_type ?? "—"}${r.error_category ? html` <span class="muted">${r.error_category}</span>` : ""}` : html`<span class="muted">—</span>`}
          </td>
          <td><a href="${sessionHref(r.session_id)}">${shortId(r.session_id)}</a></td>
          <td>${r.ai_model ?? html`<span class="muted">—</span>`}</td>
          <td>${fixedByCell(r)}</td>
        </tr>`,
    ),
  );
}

function fixedByCell(r: AttemptRecord): Interpolation {
  if (r.status !== "failed") return "";
  if (r.fixed_by) return html`<a href="${logHref(r.fixed_by)}">${shortId(r.fixed_by)}</a>`;
  if (r.inferred_fixed_by)
    return html`<a href="${logHref(r.inferred_fixed_by)}">${shortId(r.inferred_fixed_by)}</a> <span class="tag inferred">inferred</span>`;
  return html`<span class="muted">unfixed</span>`;
}

/** "Showing 1–50 of 120" with previous/next links that keep the filters. */
export function pager(
  path: string,
  params: Record<string, string | number | undefined>,
  page: number,
  pageSize: number,
  total: number,
): Html {
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  const link = (p: number, label: string, rel: string) =>
    html`<a href="${path}${query({ ...params, page: p === 1 ? undefined : p })}" rel="${rel}">${label}</a>`;
  return html`<nav class="pager" aria-label="Pages">
    <span>Showing ${number(from)}–${number(to)} of ${number(total)}</span> ${page > 1 ? link(page - 1, "← Newer", "prev") : ""}
    ${to < total ? link(page + 1, "Older →", "next") : ""}
  </nav>`;
}

export interface SelectOption {
  value: string;
  label: string;
}

/** A labelled <select>; the empty choice means "any". */
export function select(name: string, label: string, options: SelectOption[], current: string | undefined, anyLabel = "any"): Html {
  return html`<label
    >${label}
    <select name="${name}">
      <option value="">${anyLabel}</option>
      ${options.map((o) => html`<option value="${o.value}" ${o.value === current ? html` selected` : ""}>${o.label}</option>`)}
    </select></label
  >`;
}

/** A GET form of filters: submits without script; with htmx, any change reloads only the results and keeps the URL. */
export function filterForm(action: string, fields: Interpolation): Html {
  return html`<form
    class="filters"
    method="get"
    action="${action}"
    role="search"
    hx-get="${action}"
    hx-target="#results"
    hx-select="#results"
    hx-swap="outerHTML"
    hx-push-url="true"
    hx-trigger="change, submit"
  >
    ${fields}
    <button type="submit">Apply</button> <a href="${action}">Reset</a>
  </form>`;
}

/** Links between the two diff layouts: plain links, so the choice is in the URL and works without script. */
export function diffLayoutSwitch(path: string, params: Record<string, string | undefined>, layout: DiffLayout, anchor = ""): Html {
  const link = (value: DiffLayout, label: string) =>
    html`<a
      href="${path}${query({ ...params, diff: value === "unified" ? undefined : value })}${anchor}"
      ${value === layout ? html` aria-current="true"` : ""}
      >${label}</a
    >`;
  return html`<p class="layout-switch">Diffs: ${link("unified", "unified")} · ${link("split", "side by side")}</p>`;
}

/** A filtered list: the heading, the filter form, and the results that the form's htmx requests swap. */
export function filteredPage(title: string, section: Section, form: Html, results: Interpolation): Html {
  return page({
    title,
    section,
    body: html`<h1>${title}</h1>
      ${form}
      <div id="results">${results}</div>`,
  });
}
