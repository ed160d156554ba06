// Sessions `/sessions` (filters, paging) and `/sessions/:id`: the story of one script from failure to fix.
import type { TracebackFrame } from "../../analysis/traceback.js";
import type { FixStrategy } from "../../analysis/fixStrategy.js";
import { timestampMillis } from "../../events/validation.js";
import { sessionSummary } from "../../projections/sessions.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { codeDiff, codeListing, failingLineOf, tracebackView, type DiffLayout } from "../code.js";
import { plural, shortId, statusBadge, when } from "../format.js";
import { html, join, type Html, type Interpolation } from "../html.js";
import { emptyState, firstAttemptAdvice, page } from "../layout.js";
import {
  diffLayoutSwitch,
  filterForm,
  filteredPage,
  logHref,
  outcomeBadge,
  pager,
  select,
  sessionHref,
  sessionTable,
  stat,
} from "../parts.js";
import { NO_CONTEXT, PAGE_SIZE, webQuery, webQuerySchemas } from "../query.js";

interface SessionsQuery {
  resolved?: "true" | "false";
  model?: string;
  context?: string;
  since?: string;
  until?: string;
  page: number;
}

export function sessionsPage(service: ScriptlogService, rawQuery: Record<string, string | string[] | undefined>, origin: string): Html {
  const q = webQuery<SessionsQuery>(webQuerySchemas.sessions, rawQuery);
  const queries = service.queries;
  if (!queries.hasSessions()) {
    return page({
      title: "Sessions",
      section: "sessions",
      body: html`<h1>Sessions</h1>
        ${emptyState("No sessions yet", firstAttemptAdvice(origin))}`,
    });
  }
  const filter = {
    resolved: q.resolved === undefined ? undefined : q.resolved === "true",
    ai_model: q.model,
    since: q.since === undefined ? undefined : timestampMillis(q.since),
    until: q.until === undefined ? undefined : timestampMillis(q.until),
  };
  const context = q.context === NO_CONTEXT ? null : q.context;
  const { sessions, total } = queries.sessions(filter, context, (q.page - 1) * PAGE_SIZE, PAGE_SIZE);
  const models = queries.aiModels();
  const versions = queries.contextVersions();
  const form = filterForm(
    "/sessions",
    html`${select(
        "resolved",
        "Outcome",
        [
          { value: "true", label: "resolved" },
          { value: "false", label: "unresolved" },
        ],
        q.resolved,
      )}
      ${select(
        "model",
        "Model",
        models.map((m) => ({ value: m, label: m })),
        q.model,
      )}
      ${select(
        "context",
        "Context version",
        [{ value: NO_CONTEXT, label: "none named" }, ...versions.map((v) => ({ value: v.version, label: `${v.version} (${v.status})` }))],
        q.context,
      )}
      <label>Started from <input type="date" name="since" value="${q.since?.slice(0, 10) ?? ""}" /></label>
      <label>Started before <input type="date" name="until" value="${q.until?.slice(0, 10) ?? ""}" /></label>`,
  );
  const params = { resolved: q.resolved, model: q.model, context: q.context, since: q.since, until: q.until };
  const rows = sessions.map((view) => ({ ...sessionSummary(view), view, context: queries.sessionContext(view) }));
  const results = sessions.length
    ? html`${sessionTable(rows, "Sessions, latest started first", {
        columns: ["First error", "Model", "Context"],
        cells: ({ view, context }) =>
          html`<td>${view.attempts.find((a) => a.status === "failed")?.pattern ?? html`<span class="muted">—</span>`}</td>
            <td>${view.attempts[0].ai_model ?? html`<span class="muted">—</span>`}</td>
            <td>
              ${context ? html`<a href="/context?to=${encodeURIComponent(context)}">${context}</a>` : html`<span class="muted">—</span>`}
            </td>`,
      })}
      ${pager("/sessions", params, q.page, PAGE_SIZE, total)}`
    : html`<p class="empty">No session matches these filters. <a href="/sessions">Show all sessions</a>.</p>`;
  return filteredPage("Sessions", "sessions", form, results);
}

/** The fields of an attempt's entry the session page shows. */
export interface EntryView {
  log_id: string;
  session_id: string;
  timestamp: string;
  status: "failed" | "success";
  code: string;
  user_prompt: string | null;
  ai_model: string | null;
  image_filename: string | null;
  previous_attempt_id: string | null;
  stdout: string | null;
  inferred: { session_id: string | null; previous_attempt_id: string | null; fixed_by: string | null } | null;
  error_type?: string | null;
  error_message?: string | null;
  error_category?: string | null;
  pattern?: string | null;
  fingerprint?: string | null;
  suggestion?: string | null;
  stderr?: string | null;
  return_code?: number | null;
  timed_out?: boolean;
  fixed_by?: string | null;
  frames?: TracebackFrame[];
  fix_strategy?: FixStrategy | null;
  output_files?: string[];
  execution_time_seconds?: number | null;
  libraries: string[];
}

export function sessionPage(service: ScriptlogService, id: string, layout: DiffLayout): Html {
  const view = service.queries.sessionView(id);
  const summary = sessionSummary(view);
  const entries = view.attempts.map((r) => service.queries.entry(r) as unknown as EntryView);
  const number_ = new Map(entries.map((e, i) => [e.log_id, i + 1]));
  const attemptLink = (logId: string) =>
    number_.has(logId)
      ? html`<a href="#attempt-${number_.get(logId)}">attempt ${number_.get(logId)}</a>`
      : html`<a href="${logHref(logId)}">${shortId(logId)}</a>`;
  const first = entries[0];
  const context = service.queries.sessionContext(view);
  const body = html`<p class="crumbs"><a href="/sessions">Sessions</a> ›</p>
    <h1>Session <code>${shortId(view.session_id)}</code></h1>
    ${view.session_id !== id ? html`<p class="note">Reached through <code>${id}</code>, an attempt's own session that inference joined to this one.</p>` : ""}
    <dl class="stats">
      ${stat("Outcome", outcomeBadge(summary.resolved))}
      ${stat("Attempts", String(summary.attempt_count), `${summary.failure_count} failed · ${summary.success_count} succeeded`)}
      ${stat("Started", when(summary.started_at))} ${stat("Ended", when(summary.ended_at))} ${stat("Model", first.ai_model ?? "—")}
      ${context ? stat("Context", html`<a href="/context?to=${encodeURIComponent(context)}">${context}</a>`) : ""}
      ${first.image_filename ? stat("Image", first.image_filename) : ""}
    </dl>
    ${view.inferred ? html`<p class="note"><span class="tag inferred">inferred</span> Some attempts were joined to this session by inference (same prompt or image, similar code, close in time): their links are marked <em>inferred</em>.</p>` : ""}
    ${
      first.user_prompt
        ? html`<section aria-labelledby="prompt">
            <h2 id="prompt">Prompt</h2>
            <blockquote class="prompt">${first.user_prompt}</blockquote>
          </section>`
        : ""
    }
    <section aria-labelledby="timeline">
      <h2 id="timeline">Timeline</h2>
      ${entries.length > 1 ? diffLayoutSwitch(sessionHref(id), {}, layout, "#timeline") : ""}
      <ol class="timeline">
        ${entries.map((e, i) => attemptArticle(e, i, entries[i - 1], attemptLink, entries, layout))}
      </ol>
    </section>`;
  return page({ title: `Session ${view.session_id}`, section: "sessions", body });
}

function attemptArticle(
  e: EntryView,
  index: number,
  previous: EntryView | undefined,
  attemptLink: (logId: string) => Html,
  all: EntryView[],
  layout: DiffLayout,
): Html {
  const n = index + 1;
  const links: Interpolation[] = [];
  if (e.previous_attempt_id) links.push(html`follows ${attemptLink(e.previous_attempt_id)}`);
  if (e.inferred?.previous_attempt_id)
    links.push(html`follows ${attemptLink(e.inferred.previous_attempt_id)} <span class="tag inferred">inferred</span>`);
  const fixes = all.filter((a) => a.fixed_by === e.log_id || a.inferred?.fixed_by === e.log_id);
  const diff = previous ? codeDiff(previous.code, e.code, [`attempt ${n - 1}`, `attempt ${n}`], layout) : null;
  return html`<li>
    <article class="attempt ${e.status}" id="attempt-${n}" aria-labelledby="attempt-${n}-title">
      <h3 id="attempt-${n}-title">Attempt ${n} ${statusBadge(e.status)} <span class="muted">${when(e.timestamp)}</span></h3>
      <p class="meta">
        <a href="${logHref(e.log_id)}">entry <code>${shortId(e.log_id)}</code></a
        >${links.length ? html` · ${join(links, " · ")}` : ""}${e.ai_model ? html` · ${e.ai_model}` : ""}
      </p>
      ${e.status === "failed" ? failureBody(e, n, attemptLink) : successBody(e, fixes, attemptLink)}
      ${
        previous
          ? html`<details class="diff-block" open>
              <summary>Changes from attempt ${n - 1}</summary>
              ${diff ?? html`<p class="muted">Same code as attempt ${n - 1}.</p>`}
            </details>`
          : e.status === "success" // a failure shows its code above, with the failing line marked
            ? html`<details>
                <summary>Code (${plural(e.code.split("\n").length, "line")})</summary>
                ${codeListing(e.code, null, `a${n}`)}
              </details>`
            : ""
      }
      ${
        e.stdout
          ? html`<details>
              <summary>stdout</summary>
              <pre class="output"><code>${e.stdout}</code></pre>
            </details>`
          : ""
      }
    </article>
  </li>`;
}

function failureBody(e: EntryView, n: number, attemptLink: (logId: string) => Html): Html {
  const frames = e.frames ?? [];
  const failing = failingLineOf(frames, e.code);
  const fixedBy = e.fixed_by
    ? html`<p class="fixed">Fixed by ${attemptLink(e.fixed_by)} <span class="tag recorded">recorded</span></p>`
    : e.inferred?.fixed_by
      ? html`<p class="fixed">Fixed by ${attemptLink(e.inferred.fixed_by)} <span class="tag inferred">inferred</span></p>`
      : html`<p class="muted">Not fixed.</p>`;
  const strategy = e.fix_strategy;
  const changed: Interpolation[] = strategy
    ? [
        ...strategy.replaced.map((r) => html`<code>${r.from}</code> → <code>${r.to}</code>`),
        ...strategy.imports_added.map((m) => html`import <code>${m}</code> added`),
        ...strategy.imports_removed.map((m) => html`import <code>${m}</code> removed`),
        ...strategy.defined_added.map((m) => html`<code>${m}</code> defined`),
      ]
    : [];
  return html`<p class="error"><strong>${e.error_type ?? "(no exception)"}</strong>${e.error_message ? html`: ${e.error_message}` : ""}</p>
${e.suggestion ? html`<p>CPython suggests: <code>${e.suggestion}</code></p>` : ""}
<p class="meta">${e.pattern && e.fingerprint ? html`pattern <a href="/patterns/${encodeURIComponent(e.fingerprint)}">${e.pattern}</a>` : ""}${e.error_category ? html` · ${e.error_category}` : ""}${e.return_code !== null && e.return_code !== undefined ? html` · exit ${e.return_code}` : ""}${e.timed_out ? html` · timed out` : ""}</p>
${fixedBy}
${changed.length ? html`<p>What the fix changed: ${join(changed, "; ")}.</p>` : ""}
<details open><summary>Traceback</summary>${tracebackView(frames, e.code, { type: e.error_type ?? null, message: e.error_message ?? null })}</details>
<details${n === 1 ? html` open` : ""}><summary>Code${failing ? ` (failing line ${failing} marked)` : ""}</summary>${codeListing(e.code, failing, `a${n}`)}</details>
${
  e.stderr
    ? html`<details>
        <summary>stderr</summary>
        <pre class="output"><code>${e.stderr}</code></pre>
      </details>`
    : ""
}`;
}

function successBody(e: EntryView, fixes: EntryView[], attemptLink: (logId: string) => Html): Html {
  const fixed = fixes.map((f) =>
    f.fixed_by === e.log_id
      ? html`${attemptLink(f.log_id)} <span class="tag recorded">recorded</span>`
      : html`${attemptLink(f.log_id)} <span class="tag inferred">inferred</span>`,
  );
  return html`${fixed.length ? html`<p class="fixed">Fixes ${join(fixed, ", ")}</p>` : ""}
    <p class="meta">
      ${e.execution_time_seconds !== null && e.execution_time_seconds !== undefined ? `ran in ${e.execution_time_seconds.toFixed(2)} s` : ""}${e.output_files?.length ? html` · ${plural(e.output_files.length, "output file")}: ${join(e.output_files.map((f) => html`<code>${f}</code>`))}` : ""}
    </p>`;
}
