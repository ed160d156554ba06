// Experiments `/experiments` and `/experiments/:id`: each variant's sessions and first-attempt success rate with
// its Wilson 95% interval, the probability of being best, and the decision with its stated test — no verdict
// before every variant has the sessions the experiment asked for.
import { ALPHA, type Decision } from "../../analysis/experiments.js";
import type { Experiment } from "../../decider/contexts.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { number, percent, query, when } from "../format.js";
import { html, join, type Html } from "../html.js";
import { emptyState, page } from "../layout.js";
import { pValueText, rateWithInterval, stat, TEST_NAMES } from "../parts.js";
import { dataTable, numeric } from "../table.js";

export const experimentHref = (id: string) => `/experiments/${encodeURIComponent(id)}`;

const STATUS_WORDS = { collecting: "collecting data", no_difference: "no difference", winner: "winner" } as const;

/** The decision in words, with the test that made it; "collecting" says what is still missing. */
export function decisionText(decision: Decision, variants: Array<{ name: string; sessions: number }>, minSessions: number): Html {
  const test = decision.test ? `${TEST_NAMES[decision.test]}, p = ${pValueText(decision.p_value)}` : null;
  if (decision.status === "collecting") {
    const short = variants.filter((v) => v.sessions < minSessions).map((v) => `${v.name}: ${number(v.sessions)}`);
    return html`<span class="tag collecting">no verdict yet</span> each variant needs ${number(minSessions)} sessions (still short:
      ${short.join(", ")})${test ? html`; <span class="muted">so far ${test}, not a verdict</span>` : ""}`;
  }
  const threshold = Number((ALPHA / (variants.length - 1)).toPrecision(2));
  if (decision.status === "winner")
    return html`<span class="tag winner">winner: ${decision.winner}</span> better than every other variant by ${test} &lt; ${threshold} (α =
      ${ALPHA}, Bonferroni over ${variants.length - 1})`;
  return html`<span class="tag no_difference">no difference</span> ${test} ≥ ${threshold} with enough sessions in every variant`;
}

/**
 * An experiment's variants with their sessions, and its decision from the counts alone: without the posterior
 * draws of the probability of being best (milliseconds each), so that lists of experiments stay cheap.
 */
export function experimentBrief(service: ScriptlogService, experiment: Experiment) {
  return {
    variants: service.queries.variantSessions(experiment),
    decision: service.contexts.decision(experiment.id),
  };
}

export function experimentsPage(service: ScriptlogService, origin: string): Html {
  const experiments = service.queries.experiments();
  if (experiments.length === 0) {
    return page({
      title: "Experiments",
      section: "experiments",
      body: html`<h1>Experiments</h1>
        ${emptyState(
          "No experiments yet",
          html`<p>
              An experiment gives each session one of its variants (a context version, a prompt version, a model) and compares how often
              their first attempt succeeds. Publish two context versions (<code>POST /api/contexts</code>, see
              <a href="/context">Context</a>), then start one:
            </p>
            <pre
              class="command"
            ><code>curl -s -X POST ${origin}/api/experiments -H 'content-type: application/json' -d '{"id": "ctx-1-vs-ctx-2", "variants": [{"name": "control", "context_version": "ctx-1"}, {"name": "candidate", "context_version": "ctx-2"}]}'</code></pre>
            <p>
              Generators ask <code>GET /api/contexts/current?session_id=…</code> for their session's variant. With
              <code>AUTO_CONTEXT=on</code> the server starts experiments itself.
            </p>`,
        )}`,
    });
  }
  const rows = experiments.map((e) => {
    const { variants, decision } = experimentBrief(service, e);
    return html`<tr>
      <td><a href="${experimentHref(e.id)}">${e.id}</a></td>
      <td>
        <span class="tag ${e.stopped_at === null ? "running" : "stopped"}">${e.stopped_at === null ? "running" : "stopped"}</span>
        <span class="muted">${e.source}</span>
      </td>
      <td>${when(e.started_at)}</td>
      <td>${when(e.stopped_at)}</td>
      <td>${join(variants.map((v) => `${v.name} (${number(v.sessions)})`))}</td>
      <td>${STATUS_WORDS[decision.status]}${decision.winner ? html`: <strong>${decision.winner}</strong>` : ""}</td>
    </tr>`;
  });
  return page({
    title: "Experiments",
    section: "experiments",
    body: html`<h1>Experiments</h1>
      ${dataTable("Experiments, newest first", ["Experiment", "Status", "Started", "Stopped", "Variants (sessions)", "Decision"], rows)}`,
  });
}

export function experimentPage(service: ScriptlogService, id: string): Html {
  const report = service.queries.experiment(id);
  const variantRows = report.variants.map(
    (v) =>
      html`<tr>
        <th scope="row">${v.name}</th>
        <td>
          ${v.context_version ? html`<a href="/context${query({ to: v.context_version })}#diff">${v.context_version}</a>` : "—"}
          ${v.prompt_version ? html`<div class="muted">prompt ${v.prompt_version}</div>` : ""}
          ${v.ai_model ? html`<div class="muted">model ${v.ai_model}</div>` : ""}
        </td>
        <td class="num">${v.weight}</td>
        <td class="num">${number(v.sessions)}</td>
        <td>${rateWithInterval(v.first_attempt_success)}</td>
        <td class="num">${number(v.resolved_sessions)}</td>
        <td class="num">${v.mean_attempts_to_success === null ? "—" : v.mean_attempts_to_success.toFixed(2)}</td>
        <td class="num">${report.variants.some((x) => x.sessions > 0) ? percent(v.probability_best, 1) : "—"}</td>
      </tr>`,
  );
  const columns = [
    "Variant",
    "Generates with",
    numeric("Weight"),
    numeric("Sessions"),
    "First attempt succeeds",
    numeric("Resolved"),
    numeric("Attempts to success"),
    numeric("P(best)"),
  ];
  const strata = report.by_ai_model?.filter((s) => s.ai_model !== null) ?? [];
  const body = html`<p class="crumbs"><a href="/experiments">Experiments</a> ›</p>
    <h1>Experiment <code>${report.id}</code></h1>
    <dl class="stats">
      ${stat("Status", html`<span class="tag ${report.status}">${report.status}</span>`, report.source)}
      ${stat("Started", when(report.started_at))}
      ${report.stopped_at ? stat("Stopped", when(report.stopped_at), report.stop_reason ?? undefined) : ""}
      ${stat("Sessions needed", number(report.min_sessions_per_variant), "per variant before a verdict")}
    </dl>
    <section aria-labelledby="verdict">
      <h2 id="verdict">Verdict</h2>
      <p class="verdict">${decisionText(report.decision, report.variants, report.min_sessions_per_variant)}</p>
    </section>
    <section aria-labelledby="variants">
      <h2 id="variants">Variants</h2>
      ${dataTable(
        "First-attempt success per variant, with its Wilson 95% interval; P(best): the posterior probability of the highest rate (Beta(1, 1) priors)",
        columns,
        variantRows,
      )}
    </section>
    ${
      strata.length
        ? html`<section aria-labelledby="by-model">
            <h2 id="by-model">By model</h2>
            ${dataTable(
              "The same per ai_model of each session's first attempt",
              ["Model", "Variant", numeric("Sessions"), "First attempt succeeds", "Decision"],
              strata.flatMap((s) =>
                s.variants.map(
                  (v, i) =>
                    html`<tr>
                      <td>${i === 0 ? s.ai_model : ""}</td>
                      <td>${v.name}</td>
                      <td class="num">${number(v.sessions)}</td>
                      <td>${rateWithInterval(v.first_attempt_success)}</td>
                      <td>${i === 0 ? STATUS_WORDS[s.decision.status] : ""}</td>
                    </tr>`,
                ),
              ),
            )}
          </section>`
        : ""
    }
    <p><a href="/api/experiments/${encodeURIComponent(report.id)}" hx-boost="false">This experiment as JSON</a></p>`;
  return page({ title: `Experiment ${report.id}`, section: "experiments", body });
}
