// Attempts: `/failures` and `/successes` with filters and paging, and `/log/:id`, one whole entry.
import { ERROR_CATEGORIES } from "../../analysis/categorise.js";
import { timestampMillis } from "../../events/validation.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { codeListing, failingLineOf, tracebackView } from "../code.js";
import { plural, shortId, statusBadge, when } from "../format.js";
import { html, join, type Html, type Interpolation } from "../html.js";
import { emptyState, firstAttemptAdvice, page } from "../layout.js";
import { attemptTable, filterForm, filteredPage, logHref, pager, select, sessionHref } from "../parts.js";
import { PAGE_SIZE, webQuery, webQuerySchemas } from "../query.js";
import type { EntryView } from "./sessions.js";
import { fieldsTable } from "../table.js";

interface AttemptsQuery {
  category?: string;
  library?: string;
  model?: string;
  fixed?: "fixed" | "unfixed";
  since?: string;
  page: number;
}

type RawQuery = Record<string, string | string[] | undefined>;

export function failuresPage(service: ScriptlogService, rawQuery: RawQuery, origin: string): Html {
  return attemptsPage(service, "failed", webQuery<AttemptsQuery>(webQuerySchemas.failures, rawQuery), origin);
}

export function successesPage(service: ScriptlogService, rawQuery: RawQuery, origin: string): Html {
  return attemptsPage(service, "success", webQuery<AttemptsQuery>(webQuerySchemas.successes, rawQuery), origin);
}

function attemptsPage(service: ScriptlogService, status: "failed" | "success", q: AttemptsQuery, origin: string): Html {
  const queries = service.queries;
  const failed = status === "failed";
  const [path, title, section] = failed
    ? (["/failures", "Failures", "failures"] as const)
    : (["/successes", "Successes", "successes"] as const);
  if (queries.attemptCount(status) === 0) {
    return page({
      title,
      section,
      body: html`<h1>${title}</h1>
        ${emptyState(`No ${title.toLowerCase()} yet`, firstAttemptAdvice(origin))}`,
    });
  }
  const filter = {
    category: q.category,
    library: q.library,
    ai_model: q.model,
    fixed: q.fixed === undefined ? undefined : q.fixed === "fixed",
    since: q.since === undefined ? undefined : timestampMillis(q.since),
  };
  const { items, total } = queries.filteredAttempts(status, filter, (q.page - 1) * PAGE_SIZE, PAGE_SIZE);
  const models = queries.aiModels();
  const libraries = queries.libraries();
  const form = filterForm(
    path,
    html`${
        failed
          ? select(
              "category",
              "Category",
              ERROR_CATEGORIES.map((c) => ({ value: c, label: c })),
              q.category,
            )
          : ""
      }
      ${
        failed
          ? select(
              "fixed",
              "Fixed",
              [
                { value: "fixed", label: "fixed" },
                { value: "unfixed", label: "unfixed" },
              ],
              q.fixed,
            )
          : ""
      }
      ${select(
        "library",
        "Library",
        libraries.map((l) => ({ value: l, label: l })),
        q.library,
      )}
      ${select(
        "model",
        "Model",
        models.map((m) => ({ value: m, label: m })),
        q.model,
      )} <label>Since <input type="date" name="since" value="${q.since?.slice(0, 10) ?? ""}" /></label>`,
  );
  const params = { category: q.category, fixed: q.fixed, library: q.library, model: q.model, since: q.since };
  const results = items.length
    ? html`${attemptTable(items, `${title}, newest first`)}${pager(path, params, q.page, PAGE_SIZE, total)}`
    : html`<p class="empty">Nothing matches these filters. <a href="${path}">Show all ${title.toLowerCase()}</a>.</p>`;
  return filteredPage(title, section, form, results);
}

export function logPage(service: ScriptlogService, logId: string): Html {
  const record = service.record(logId);
  const e = service.queries.entry(record) as unknown as EntryView & { code_hash: string; tags: string[] };
  const frames = e.frames ?? [];
  const failing = e.status === "failed" ? failingLineOf(frames, e.code) : null;
  const row = (label: string, value: Interpolation) => [label, value] as const;
  const body = html`<p class="crumbs">
      <a href="${e.status === "failed" ? "/failures" : "/successes"}">${e.status === "failed" ? "Failures" : "Successes"}</a> ›
    </p>
    <h1>Attempt <code>${shortId(e.log_id)}</code> ${statusBadge(e.status)}</h1>
    ${fieldsTable("The entry", [
      row("log_id", html`<code>${e.log_id}</code>`),
      row(
        "session",
        html`<a href="${sessionHref(e.session_id)}">${e.session_id}</a
          >${e.inferred?.session_id ? html` → <a href="${sessionHref(e.inferred.session_id)}">${e.inferred.session_id}</a> <span class="tag inferred">inferred</span>` : ""}`,
      ),
      row("timestamp", when(e.timestamp)),
      row("ai_model", e.ai_model),
      row("image_filename", e.image_filename),
      row(
        "previous attempt",
        e.previous_attempt_id
          ? html`<a href="${logHref(e.previous_attempt_id)}">${e.previous_attempt_id}</a>`
          : e.inferred?.previous_attempt_id
            ? html`<a href="${logHref(e.inferred.previous_attempt_id)}">${e.inferred.previous_attempt_id}</a>
                <span class="tag inferred">inferred</span>`
            : null,
      ),
      row(
        "error",
        e.error_type ? html`<strong>${e.error_type}</strong>${e.error_message ? html`: ${e.error_message}` : ""}` : e.error_message,
      ),
      row("category", e.error_category),
      row("pattern", e.pattern && e.fingerprint ? html`<a href="/patterns/${encodeURIComponent(e.fingerprint)}">${e.pattern}</a>` : null),
      row("return code", e.return_code === null || e.return_code === undefined ? null : String(e.return_code)),
      row(
        "fixed by",
        e.fixed_by
          ? html`<a href="${logHref(e.fixed_by)}">${e.fixed_by}</a> <span class="tag recorded">recorded</span>`
          : e.inferred?.fixed_by
            ? html`<a href="${logHref(e.inferred.fixed_by)}">${e.inferred.fixed_by}</a> <span class="tag inferred">inferred</span>`
            : null,
      ),
      row(
        "execution time",
        e.execution_time_seconds === null || e.execution_time_seconds === undefined ? null : `${e.execution_time_seconds} s`,
      ),
      row("output files", e.output_files?.length ? join(e.output_files.map((f) => html`<code>${f}</code>`)) : null),
      row("libraries", e.libraries.length ? e.libraries.join(", ") : null),
      row(
        "tags",
        e.tags.length
          ? join(
              e.tags.map((t) => html`<code>${t}</code>`),
              " ",
            )
          : null,
      ),
      row("code_hash", html`<code>${e.code_hash}</code>`),
    ])}
    ${
      e.user_prompt
        ? html`<h2>Prompt</h2>
            <blockquote class="prompt">${e.user_prompt}</blockquote>`
        : ""
    }
    ${
      e.status === "failed"
        ? html`<h2>Traceback</h2>
            ${tracebackView(frames, e.code, { type: e.error_type ?? null, message: e.error_message ?? null })}`
        : ""
    }
    <h2>Code</h2>
    ${codeListing(e.code, failing, "log")}
    ${
      e.stderr
        ? html`<h2>stderr</h2>
            <pre class="output"><code>${e.stderr}</code></pre>`
        : ""
    }
    ${
      e.stdout
        ? html`<h2>stdout</h2>
            <pre class="output"><code>${e.stdout}</code></pre>`
        : ""
    }
    <p>
      <a href="/api/logs/log/${encodeURIComponent(e.log_id)}" hx-boost="false">This entry as JSON</a> ·
      ${plural(e.code.split("\n").length, "line")} of code
    </p>`;
  return page({ title: `Attempt ${e.log_id}`, section: e.status === "failed" ? "failures" : "successes", body });
}
