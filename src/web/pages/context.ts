// Context `/context`: the AI context as the code-generating model receives it, its published versions with a
// diff between any two, and each rule's evidence and effect (its pattern's failure rate with the rule in the
// context and without it, and the failures that happened despite it).
import type { LogQueries } from "../../service/queries.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { codeDiff, inlineCode, type DiffLayout } from "../code.js";
import { number, percent, plural, query, shortId, when } from "../format.js";
import { html, join, type Html, type Interpolation } from "../html.js";
import { emptyState, firstAttemptAdvice, page } from "../layout.js";
import { diffLayoutSwitch, logHref, pValueText, rateWithInterval, select, stat, TEST_NAMES } from "../parts.js";
import { webQuery, webQuerySchemas } from "../query.js";
import { dataTable, numeric } from "../table.js";

// The API's defaults: what a generator that asks without options receives.
const MAX_EXAMPLES = 10;
const MAX_CHARS = 4000;

interface ContextQuery {
  from?: string;
  to?: string;
  diff: DiffLayout;
}

type Version = ReturnType<LogQueries["contextVersions"]>[number];
type Recommendation = ReturnType<LogQueries["recommendations"]>[number];

const EFFECT_WORDS = { helps: "helps", no_effect: "no effect", insufficient_data: "not enough data" } as const;

export function contextPage(service: ScriptlogService, rawQuery: Record<string, string | string[] | undefined>, origin: string): Html {
  const q = webQuery<ContextQuery>(webQuerySchemas.context, rawQuery);
  const queries = service.queries;
  const recommendations = queries.recommendations();
  const versions = queries.contextVersions();
  if (recommendations.length === 0 && versions.length === 0) {
    const advice =
      queries.attemptCount("failed") === 0
        ? firstAttemptAdvice(origin)
        : html`<p>
            Rules come from patterns with a verified fix or seen more than once; none has enough evidence yet. Post the attempt that
            succeeded after a failure (with <code>previous_attempt_id</code>) so its fix counts.
          </p>`;
    return page({
      title: "Context",
      section: "context",
      body: html`<h1>AI context</h1>
        ${emptyState("No rules yet", advice)}`,
    });
  }
  const { context, rules } = queries.aiContext({}, MAX_EXAMPLES, MAX_CHARS);
  const body = html`<h1>AI context</h1>
    ${currentSection(queries, versions, origin)}
    <section aria-labelledby="as-derived">
      <h2 id="as-derived">As derived from the log now</h2>
      <p>
        What <code>GET /api/logs/ai-context</code> gives the model now (at seq ${number(service.queries.seq)}):
        ${plural(rules.length, "rule")} within ${number(MAX_CHARS)} characters.
      </p>
      <pre class="context"><code>${context}</code></pre>
    </section>
    ${versionsSection(queries, versions, q)}
    <section aria-labelledby="rules">
      <h2 id="rules">Rules: evidence and effect</h2>
      <p class="muted">
        Effect: how often the rule's own pattern failed per attempt generated with a context containing the rule, against attempts without
        it, since the rule was first published (Wilson 95% intervals; the verdict is a stated test at α = 0.05, and "no effect" only once
        both sides had enough attempts to see the rate halve).
      </p>
      ${
        recommendations.length
          ? dataTable(
              html`Every rule, most important first; <strong>in the derived context</strong> marks those above`,
              ["Rule", "Evidence", "In versions", "Failure rate with it", "Without it", "Effect", "Failed despite it"],
              recommendations.map((r) =>
                ruleRow(
                  queries,
                  versions,
                  r,
                  rules.some((x) => x.id === r.id),
                ),
              ),
              "rules",
            )
          : html`<p class="muted">No rule has enough evidence yet.</p>`
      }
    </section>`;
  return page({ title: "Context", section: "context", body });
}

function currentSection(queries: LogQueries, versions: Version[], origin: string): Html {
  const current = versions.find((v) => v.status === "current");
  if (!current) {
    return html`<section aria-labelledby="current">
      <h2 id="current">Current version</h2>
      ${emptyState(
        "No version published yet",
        html`<p>
            Generators get the context derived from the log (below) until a version is published. Publish it as <code>ctx-1</code>, so that
            attempts can name the version they were generated with and its effect can be measured:
          </p>
          <pre
            class="command"
          ><code>curl -s -X POST ${origin}/api/contexts -H 'content-type: application/json' -d '{"note": "first version"}'</code></pre>`,
      )}
    </section>`;
  }
  const stats = queries.contextStats(current.version);
  return html`<section aria-labelledby="current">
    <h2 id="current">Current version <code>${current.version}</code></h2>
    <dl class="stats">
      ${stat("Published", when(current.published_at), current.source)} ${stat("Rules", number(current.rule_ids.length))}
      ${stat("Sessions", number(stats.sessions), `${number(stats.resolved_sessions)} resolved`)}
      ${stat("First attempt succeeds", rateWithInterval(stats.first_attempt_success))}
    </dl>
    ${current.note ? html`<p>Note: ${current.note}</p>` : ""}
    <p>What <code>GET /api/contexts/current</code> gives a generator outside an experiment:</p>
    <pre class="context"><code>${current.text}</code></pre>
  </section>`;
}

function versionsSection(queries: LogQueries, versions: Version[], q: ContextQuery): Interpolation {
  if (versions.length === 0) return "";
  // By default: the newest version against the one it was derived from (or the one before it).
  const to = versions.find((v) => v.version === q.to) ?? versions[0];
  const from =
    versions.find((v) => v.version === q.from) ??
    versions.find((v) => v.version === to.parent_version) ??
    versions[versions.indexOf(to) + 1] ??
    to;
  const options = versions.map((v) => ({ value: v.version, label: `${v.version} (${v.status})` }));
  const rows = versions.map((v) => {
    const stats = queries.contextStats(v.version);
    const compare = v.parent_version
      ? html`<a href="/context${query({ from: v.parent_version, to: v.version })}#diff">diff from ${v.parent_version}</a>`
      : "";
    return html`<tr id="version-${v.version}">
      <th scope="row"><code>${v.version}</code></th>
      <td><span class="tag ${v.status}">${v.status}</span></td>
      <td>${when(v.published_at)} <span class="muted">${v.source}</span></td>
      <td class="num">${number(v.rule_ids.length)}</td>
      <td class="num"><a href="/sessions${query({ context: v.version })}">${number(stats.sessions)}</a></td>
      <td>${rateWithInterval(stats.first_attempt_success)}</td>
      <td class="num">${stats.mean_attempts_to_success === null ? "—" : stats.mean_attempts_to_success.toFixed(2)}</td>
      <td>${v.note ?? ""} ${compare}</td>
    </tr>`;
  });
  const diff =
    from.version === to.version
      ? html`<p class="muted">Pick two different versions to see what changed.</p>`
      : (codeDiff(from.text, to.text, [from.version, to.version], q.diff) ??
        html`<p class="muted">The two versions have the same text.</p>`);
  return html`<section aria-labelledby="versions">
      <h2 id="versions">Versions</h2>
      ${dataTable(
        "Published versions, newest first: the sessions generated with each and how often their first attempt succeeded",
        [
          "Version",
          "Status",
          "Published",
          numeric("Rules"),
          numeric("Sessions"),
          "First attempt succeeds",
          numeric("Attempts to success"),
          "Note",
        ],
        rows,
      )}
    </section>
    <section aria-labelledby="diff">
      <h2 id="diff">Compare two versions</h2>
      ${
        versions.length < 2
          ? html`<p class="muted">Only one version is published: publish another (<code>POST /api/contexts</code>) to compare them.</p>`
          : html`<form class="filters" method="get" action="/context">
                ${select("from", "From", options, from.version, "choose")} ${select("to", "To", options, to.version, "choose")}
                ${q.diff === "split" ? html`<input type="hidden" name="diff" value="split" />` : ""}
                <button type="submit">Compare</button>
              </form>
              ${diffLayoutSwitch("/context", { from: from.version, to: to.version }, q.diff, "#diff")} ${diff}`
      }
    </section>`;
}

function ruleRow(queries: LogQueries, versions: Version[], r: Recommendation, inDerived: boolean): Html {
  const effect = queries.ruleEffect(r.id);
  const containing = versions.filter((v) => v.rule_ids.includes(r.id)).map((v) => html`<a href="#version-${v.version}">${v.version}</a>`);
  const side = (s: typeof effect.with_rule) => rateWithInterval({ successes: s.failures, n: s.attempts, rate: s.rate, ci95: s.ci95 });
  const verdict: Interpolation = html`<span class="tag effect-${effect.verdict}">${EFFECT_WORDS[effect.verdict]}</span>${
      effect.test ? html` <span class="muted">${TEST_NAMES[effect.test]}, p = ${pValueText(effect.p_value)}</span>` : ""
    }${
      effect.verdict === "insufficient_data" && effect.needed_per_side !== null
        ? html` <span class="muted">needs ${number(effect.needed_per_side)} attempts a side</span>`
        : ""
    }`;
  const latest = effect.despite.recent[effect.despite.recent.length - 1];
  return html`<tr>
    <td>
      ${inlineCode(r.rule)}${inDerived ? html` <strong class="tag">in the derived context</strong>` : ""}
      <div class="muted">${r.pattern}</div>
    </td>
    <td>
      ${r.kind === "verified_fix" ? "verified fix" : "warning"}: ${plural(r.evidence.failures, "failure")} in
      ${plural(r.evidence.sessions, "session")}, ${number(r.evidence.fixed)} fixed (${percent(r.evidence.fix_rate)}); last seen
      ${when(r.evidence.last_seen)}
    </td>
    <td>${containing.length ? join(containing) : html`<span class="muted">none yet</span>`}</td>
    ${
      containing.length
        ? html`<td>${side(effect.with_rule)}</td>
            <td>${side(effect.without_rule)}</td>
            <td>${verdict}</td>`
        : html`<td colspan="3" class="muted">not measured: no published version contains it</td>`
    }
    <td>
      ${
        effect.despite.failures
          ? html`${plural(effect.despite.failures, "failure")} in ${plural(effect.despite.sessions, "session")}; latest
              <a href="${logHref(latest.log_id)}">${shortId(latest.log_id)}</a> under ${latest.context_version}`
          : html`<span class="muted">none</span>`
      }
    </td>
  </tr>`;
}
