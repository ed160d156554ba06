// Pieces several pages show: tables of patterns and of attempts, paging links, filter forms.
import type { AttemptRecord } from "../projections/attempts.js";
import type { rankedPatterns } from "../projections/analysis.js";
import { percent, query, shortId, statusBadge, when, number } from "./format.js";
import { html, type Html, type Interpolation } from "./html.js";

export type RankedPattern = ReturnType<typeof rankedPatterns>[number];

export const patternHref = (p: { fingerprints: string[]; pattern: string }) => `/patterns/${encodeURIComponent(p.fingerprints[0] ?? "")}`;
export const sessionHref = (id: string) => `/sessions/${encodeURIComponent(id)}`;
export const logHref = (id: string) => `/log/${encodeURIComponent(id)}`;

export function patternTable(patterns: RankedPattern[], caption: string): Html {
  return html`<div class="scroll">
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">Pattern</th>
          <th scope="col">Category</th>
          <th scope="col" class="num">Failures</th>
          <th scope="col" class="num">Sessions</th>
          <th scope="col" class="num">Fixed</th>
          <th scope="col">Last seen</th>
        </tr>
      </thead>
      <tbody>
        ${patterns.map(
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
        )}
      </tbody>
    </table>
  </div>`;
}

/** Attempts as table rows: when, status, what went wrong, session, model. */
export function attemptTable(records: AttemptRecord[], caption: string): Html {
  return html`<div class="scroll">
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Status</th>
          <th scope="col">Error</th>
          <th scope="col">Session</th>
          <th scope="col">Model</th>
          <th scope="col">Fixed by</th>
        </tr>
      </thead>
      <tbody>
        ${records.map(
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
        )}
      </tbody>
    </table>
  </div>`;
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
