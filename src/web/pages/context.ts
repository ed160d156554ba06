// Context `/context`: the AI context as the code-generating model receives it, and the evidence of each rule.
import { aiContext } from "../../analysis/recommendations.js";
import { rankedRecommendations } from "../../projections/analysis.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { inlineCode } from "../code.js";
import { number, percent, when } from "../format.js";
import { html, type Html } from "../html.js";
import { emptyState, firstAttemptAdvice, page } from "../layout.js";

// The API's defaults: what a generator that asks without options receives.
const MAX_EXAMPLES = 10;
const MAX_CHARS = 4000;

export function contextPage(service: ScriptlogService, origin: string): Html {
  const recommendations = rankedRecommendations(service.models.states.analysis);
  if (recommendations.length === 0) {
    const advice =
      service.models.states.failures.items.length === 0
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
  const { context, rules } = aiContext(recommendations, MAX_EXAMPLES, MAX_CHARS);
  const body = html`<h1>AI context</h1>
    <p>
      What <code>GET /api/logs/ai-context</code> gives the model now (at seq ${number(service.models.seq)}): ${rules.length} rules within
      ${number(MAX_CHARS)} characters.
    </p>
    <section aria-labelledby="as-seen">
      <h2 id="as-seen">As the model sees it</h2>
      <pre class="context"><code>${context}</code></pre>
    </section>
    <section aria-labelledby="rules">
      <h2 id="rules">Rules and their evidence</h2>
      <div class="scroll">
        <table>
          <caption>
            Every rule, most important first; those in the context above are marked
          </caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Kind</th>
              <th scope="col" class="num">Failures</th>
              <th scope="col" class="num">Sessions</th>
              <th scope="col" class="num">Fixed</th>
              <th scope="col">Last seen</th>
              <th scope="col">In context</th>
            </tr>
          </thead>
          <tbody>
            ${recommendations.map((r) => {
              const included = rules.some((x) => x.id === r.id);
              return html`<tr>
                <td>
                  ${inlineCode(r.rule)}
                  <div class="muted">${r.pattern}</div>
                </td>
                <td>${r.kind === "verified_fix" ? "verified fix" : "warning"}</td>
                <td class="num">${number(r.evidence.failures)}</td>
                <td class="num">${number(r.evidence.sessions)}</td>
                <td class="num">${number(r.evidence.fixed)} <span class="muted">${percent(r.evidence.fix_rate)}</span></td>
                <td>${when(r.evidence.last_seen)}</td>
                <td>${included ? "yes" : html`<span class="muted">no</span>`}</td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>
    </section>
    <section aria-labelledby="versions">
      <h2 id="versions">Versions and experiments</h2>
      <p class="muted">
        This build serves the context as derived from the log now; versions of the context and experiments between them are not available in
        this version of scriptlog.
      </p>
    </section>`;
  return page({ title: "Context", section: "context", body });
}
