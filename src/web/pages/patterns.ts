// Patterns `/patterns` (filters, sort) and `/patterns/:fingerprint`, an issue-tracker page for one pattern.
import { ERROR_CATEGORIES } from "../../analysis/categorise.js";
import { MIN_SLIP_SESSIONS } from "../../analysis/recommendations.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { number, percent, plural, shortId, when } from "../format.js";
import { html, type Html } from "../html.js";
import { emptyState, firstAttemptAdvice, page } from "../layout.js";
import { filterForm, filteredPage, logHref, patternTable, select, sessionTable, stat } from "../parts.js";
import { webQuery, webQuerySchemas } from "../query.js";
import { sparkline } from "../svg.js";
import { codeLines, inlineCode } from "../code.js";
import { dataTable, numeric } from "../table.js";

interface PatternsQuery {
  category?: string;
  library?: string;
  since?: string;
  sort: "count" | "sessions" | "last_seen";
}

const SORTS = { count: "failures", sessions: "sessions", last_seen: "last seen" } as const;

export function patternsPage(service: ScriptlogService, rawQuery: Record<string, string | string[] | undefined>, origin: string): Html {
  const q = webQuery<PatternsQuery>(webQuerySchemas.patterns, rawQuery);
  const queries = service.queries;
  if (!queries.hasPatterns()) {
    return page({
      title: "Patterns",
      section: "patterns",
      body: html`<h1>Patterns</h1>
        ${emptyState("No failures yet", firstAttemptAdvice(origin))}`,
    });
  }
  const patterns = queries.patterns(q);
  if (q.sort === "sessions") patterns.sort((a, b) => b.sessions - a.sessions || b.count - a.count);
  if (q.sort === "last_seen") patterns.sort((a, b) => (a.last_seen < b.last_seen ? 1 : a.last_seen > b.last_seen ? -1 : 0));
  const libraries = queries.failingLibraries();
  const form = filterForm(
    "/patterns",
    html`${select(
        "category",
        "Category",
        ERROR_CATEGORIES.map((c) => ({ value: c, label: c })),
        q.category,
      )}
      ${select(
        "library",
        "Library",
        libraries.map((l) => ({ value: l, label: l })),
        q.library,
      )}
      <label>Since <input type="date" name="since" value="${q.since?.slice(0, 10) ?? ""}" /></label>
      ${select(
        "sort",
        "Sort by",
        Object.entries(SORTS).map(([value, label]) => ({ value, label })),
        q.sort,
        "failures",
      )}`,
  );
  const results = patterns.length
    ? patternTable(patterns, `${plural(patterns.length, "pattern")}, by ${SORTS[q.sort]}`)
    : html`<p class="empty">No pattern matches these filters. <a href="/patterns">Show all patterns</a>.</p>`;
  return filteredPage("Patterns", "patterns", form, results);
}

const EXAMPLE_SESSIONS = 10;

export function patternPage(service: ScriptlogService, fingerprint: string): Html {
  const { group, ranked, rule, days, byFingerprint, sessions } = service.queries.patternDetail(fingerprint, EXAMPLE_SESSIONS);

  const body = html`<p class="crumbs"><a href="/patterns">Patterns</a> ›</p>
    <h1 class="pattern-title">${group.pattern}</h1>
    <dl class="stats">
      ${stat("Failures", number(ranked.count))} ${stat("Sessions", number(ranked.sessions))}
      ${stat("Fixed", number(ranked.fixed), percent(ranked.fix_rate))} ${stat("First seen", when(ranked.first_seen))}
      ${stat("Last seen", when(ranked.last_seen))} ${stat("Category", ranked.error_category ?? "—")}
    </dl>
    <section aria-labelledby="per-day">
      <h2 id="per-day">Failures per day</h2>
      ${sparkline(days, `Failures of this pattern per day, ${days[0]?.day ?? ""} to ${days[days.length - 1]?.day ?? ""}`)}
      <p class="muted">${days.map((d) => `${d.day}: ${d.count}`).join(" · ")}</p>
    </section>
    ${ranked.suggestion ? html`<p>CPython suggests: <code>${ranked.suggestion}</code></p>` : ""}
    <section aria-labelledby="libraries">
      <h2 id="libraries">Libraries</h2>
      ${
        ranked.libraries.length
          ? html`<ul class="inline">
              ${ranked.libraries.map((l) => html`<li><a href="/patterns?library=${encodeURIComponent(l.library)}">${l.library}</a> <span class="muted">${l.count}</span></li>`)}
            </ul>`
          : html`<p class="muted">None detected.</p>`
      }
    </section>
    <section aria-labelledby="rule">
      <h2 id="rule">Rule derived</h2>
      ${
        rule
          ? html`<blockquote class="rule">${inlineCode(rule.rule)}</blockquote>
              <p>${inlineCode(rule.rationale)}</p>
              <p class="muted">
                Evidence: ${plural(rule.evidence.failures, "failure")} in ${plural(rule.evidence.sessions, "session")},
                ${number(rule.evidence.fixed)} fixed (${percent(rule.evidence.fix_rate)}), last seen ${when(rule.evidence.last_seen)} ·
                ${rule.kind === "verified_fix" ? "verified by fixes" : "a warning: never fixed yet"}
              </p>`
          : group.slips * 2 > group.count
            ? html`<p class="muted slip">
                No rule of its own: a slip about the script's own names (misspelt, or never defined) teaches a new script nothing. Slips
                make one rule together once seen in ${number(MIN_SLIP_SESSIONS)} sessions.
              </p>`
            : html`<p class="muted">No rule yet: a rule needs a verified fix or a pattern seen more than once.</p>`
      }
    </section>
    <section aria-labelledby="fixes">
      <h2 id="fixes">Fix strategies</h2>
      ${
        ranked.fixes.length
          ? html`<ul>
              ${ranked.fixes.map((f) => html`<li>${inlineCode(f.description)}</li>`)}
            </ul>`
          : html`<p class="muted">No fix of this pattern recorded or inferred yet.</p>`
      }
      ${
        group.example
          ? html`<div class="wrong-right">
                <figure>
                  <figcaption>Wrong</figcaption>
                  ${codeLines(group.example.wrong, "del")}
                </figure>
                <figure>
                  <figcaption>Right</figcaption>
                  ${codeLines(group.example.right, "ins")}
                </figure>
              </div>
              <p class="muted">From the fix of <a href="${logHref(group.example.log_id)}">${shortId(group.example.log_id)}</a>.</p>`
          : ""
      }
    </section>
    <section aria-labelledby="where">
      <h2 id="where">Where in the scripts</h2>
      ${dataTable(
        "Fingerprints: the same error raised from different code lines",
        ["Fingerprint", numeric("Failures"), "Latest"],
        [...byFingerprint].map(
          ([fp, f]) =>
            html`<tr${fp === fingerprint ? html` class="current"` : ""}><td><code>${fp}</code>${fp === fingerprint ? html` <span class="tag">this page</span>` : ""}</td><td class="num">${number(f.count)}</td><td><a href="${logHref(f.latest)}">${shortId(f.latest)}</a></td></tr>`,
        ),
      )}
    </section>
    <section aria-labelledby="examples">
      <h2 id="examples">Example sessions</h2>
      ${sessionTable(sessions, "The latest sessions with this pattern")}
    </section>`;
  return page({ title: group.pattern, section: "patterns", body });
}
