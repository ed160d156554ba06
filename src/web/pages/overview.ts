// Overview `/`: totals and rates, the daily success rate with its interval, top patterns, latest failures.
import { wilson } from "../../analysis/stats.js";
import type { LiveRoutes } from "../../api/routes.js";
import type { TrendSettings, TrendVerdict } from "../../projections/trends.js";
import type { LogQueries } from "../../service/queries.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { number, percent, plural, query, shortId } from "../format.js";
import { html, join, type Html } from "../html.js";
import { emptyState, firstAttemptAdvice, page } from "../layout.js";
import { attemptTable, intervalText, logHref, patternTable, pValueText, stat } from "../parts.js";
import { decisionText, experimentBrief, experimentHref } from "./experiments.js";
import { rateChart, type RatePoint } from "../svg.js";
import { dataTable, numeric } from "../table.js";

const CHART_DAYS = 90;

export function overviewPage(service: ScriptlogService, origin: string, live: LiveRoutes): Html {
  const queries = service.queries;
  const now = new Date();
  const settings: TrendSettings = { alpha: live.detection.trendAlpha, minAttempts: live.detection.trendMinAttempts };
  const summary = queries.summary(now, settings);
  if (summary.total_attempts === 0) {
    return page({
      title: "Overview",
      section: "overview",
      body: html`<h1>Overview</h1>
        ${emptyState("Nothing recorded yet", firstAttemptAdvice(origin))}`,
    });
  }
  const points = dailyRates(queries, settings, now.getTime());
  const verdict = queries.trendVerdict(now.getTime(), settings);
  // New attempts and fixes, told by the stream at /live, make htmx fetch this page again and swap in the live region.
  const body = html`<h1>Overview</h1>
    <div hx-ext="sse" sse-connect="/live">
      <div
        id="live-region"
        hx-get="/"
        hx-trigger="sse:attempt throttle:1s, sse:fix throttle:1s"
        hx-select="#live-region"
        hx-swap="outerHTML"
      >
        <section aria-labelledby="totals">
          <h2 id="totals">Totals</h2>
          <dl class="stats">
            ${stat("Attempts", number(summary.total_attempts), `${number(summary.total_failures)} failed · ${number(summary.total_successes)} succeeded`)}
            ${stat("Success rate", percent(summary.success_rate, 1), ciText(summary.total_successes, summary.total_attempts))}
            ${stat("Last 7 days", percent(summary.recent_success_rate_7d, 1))} ${trendStat(verdict, settings)}
            ${stat("Sessions", number(summary.total_sessions), `${number(summary.resolved_sessions)} resolved`)}
            ${stat("First attempt succeeds", percent(summary.first_attempt_success_rate, 1))}
            ${stat("Attempts to success", summary.avg_attempts_to_success === null ? "—" : summary.avg_attempts_to_success.toFixed(2), "on average, resolved sessions")}
            ${stat("Unfixed failures", number(summary.unfixed_failures))}
          </dl>
        </section>
        <section aria-labelledby="latest">
          <h2 id="latest">Latest failures</h2>
          ${attemptTable(queries.latestFailures(8, false), "The latest failed attempts")}
          <p><a href="/failures">All failures →</a> <span class="muted">Updates as attempts arrive.</span></p>
        </section>
      </div>
    </div>
    ${anomaliesSection(queries, live, now.getTime())} ${experimentsSection(service)}
    <section aria-labelledby="daily">
      <h2 id="daily">Daily success rate</h2>
      ${rateChart(points, `Daily success rate over ${points.length} days, with its 95% Wilson interval as a band`)}
      <details>
        <summary>The figures</summary>
        <div class="scroll">
          <table>
            <caption>
              Success rate per UTC day
            </caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" class="num">Attempts</th>
                <th scope="col" class="num">Success rate</th>
                <th scope="col">95% interval</th>
              </tr>
            </thead>
            <tbody>
              ${points
                .filter((p) => p.attempts > 0)
                .reverse()
                .map(
                  (p) =>
                    html`<tr>
                      <td>${p.day}</td>
                      <td class="num">${number(p.attempts)}</td>
                      <td class="num">${percent(p.rate)}</td>
                      <td>${intervalText(p.interval)}</td>
                    </tr>`,
                )}
            </tbody>
          </table>
        </div>
      </details>
    </section>
    <section aria-labelledby="top-patterns">
      <h2 id="top-patterns">Top patterns</h2>
      ${patternTable(queries.patterns({}).slice(0, 8), "The most frequent error patterns")}
      <p><a href="/patterns">All patterns →</a></p>
    </section>`;
  return page({ title: "Overview", section: "overview", body });
}

function ciText(successes: number, attempts: number): string | undefined {
  const interval = wilson(successes, attempts);
  return interval ? `95% CI ${intervalText(interval, 1)}` : undefined;
}

const ANOMALY_WORDS = { spike: "spike", new_pattern: "new pattern", regression: "regression" } as const;

/** Anomalies of the window ending now, as GET /api/logs/anomalies finds them. */
function anomaliesSection(queries: LogQueries, live: LiveRoutes, now: number): Html {
  const anomalies = queries.anomalies(now, live.detection);
  const hours = live.detection.windowMs / 3_600_000;
  const window = hours >= 1 ? plural(Math.round(hours), "hour") : plural(Math.round(live.detection.windowMs / 60_000), "minute");
  return html`<section aria-labelledby="anomalies">
    <h2 id="anomalies">Open anomalies</h2>
    ${
      anomalies.length
        ? dataTable(
            `Spikes, new patterns and regressions (failures despite a rule in the context) in the last ${window}`,
            ["Kind", "Pattern", numeric("Seen"), numeric("Expected"), "p-value", "Latest"],
            anomalies.map(
              (a) =>
                html`<tr>
                  <td>
                    <span class="tag anomaly">${ANOMALY_WORDS[a.kind]}</span>${
                      a.context_version
                        ? html` <span class="muted"
                            >under <a href="/context${query({ to: a.context_version })}#diff">${a.context_version}</a></span
                          >`
                        : ""
                    }
                  </td>
                  <td>${a.fingerprint ? html`<a href="/patterns/${encodeURIComponent(a.fingerprint)}">${a.pattern}</a>` : a.pattern}</td>
                  <td class="num">${number(a.observed)}</td>
                  <td class="num">${a.expected.toFixed(1)}</td>
                  <td>${a.p_value === null ? html`<span class="muted">no baseline</span>` : pValueText(a.p_value)}</td>
                  <td>${join(a.example_log_ids.map((id) => html`<a href="${logHref(id)}">${shortId(id)}</a>`))}</td>
                </tr>`,
            ),
          )
        : html`<p class="muted">No spike, new pattern or regression in the last ${window}.</p>`
    }
    <p><a href="/api/logs/anomalies" hx-boost="false">Anomalies as JSON</a></p>
  </section>`;
}

function experimentsSection(service: ScriptlogService): Html {
  const running = service.queries.runningExperiments();
  return html`<section aria-labelledby="running">
    <h2 id="running">Running experiments</h2>
    ${
      running.length
        ? html`<ul>
            ${running.map((e) => {
              const { variants, decision } = experimentBrief(service, e);
              return html`<li>
                <a href="${experimentHref(e.id)}">${e.id}</a>: ${join(variants.map((v) => `${v.name} ${number(v.sessions)} sessions`))} ·
                ${decisionText(decision, variants, e.min_sessions_per_variant)}
              </li>`;
            })}
          </ul>`
        : html`<p class="muted">No experiment is running.</p>`
    }
    <p><a href="/experiments">All experiments →</a></p>
  </section>`;
}

const STATUS_WORDS = {
  improving: "improving",
  worsening: "worsening",
  no_change: "no change",
  insufficient_data: "not enough data",
} as const;

/** The last 7 days against the 28 before them, with the test that decided it. */
function trendStat(verdict: TrendVerdict, settings: TrendSettings): Html {
  const { recent, prior } = verdict;
  const detail =
    verdict.status === "insufficient_data"
      ? `a verdict needs ${settings.minAttempts} attempts in the last 7 days and in the 28 before (${recent.attempts} and ${prior.attempts})`
      : `${percent(recent.success_rate, 1)} in the last 7 days against ${percent(prior.success_rate, 1)} in the 28 before; ${verdict.test === "fisher" ? "Fisher's exact test" : "two-proportion test"}, p = ${verdict.p_value!.toPrecision(2)}`;
  return stat("Trend", STATUS_WORDS[verdict.status], detail, `trend ${verdict.status}`);
}

/** The daily points of the chart, from the first day with attempts (at most CHART_DAYS before the last). */
function dailyRates(queries: LogQueries, settings: TrendSettings, now: number): RatePoint[] {
  return queries
    .dailySuccessRates(CHART_DAYS, now, settings)
    .map((p) => ({ day: p.start.slice(0, 10), attempts: p.attempts, rate: p.success_rate, interval: p.ci95 }));
}
