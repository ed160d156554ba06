// Overview `/`: totals and rates, the daily success rate with its interval, top patterns, latest failures.
import { wilson } from "../../analysis/stats.js";
import { rankedPatterns } from "../../projections/analysis.js";
import { recentFailures } from "../../projections/failures.js";
import { summaryReport } from "../../projections/summary.js";
import type { ScriptlogService } from "../../service/scriptlogService.js";
import { number, percent } from "../format.js";
import { html, type Html } from "../html.js";
import { emptyState, firstAttemptAdvice, page } from "../layout.js";
import { attemptTable, patternTable } from "../parts.js";
import { dayRange, rateChart, type RatePoint } from "../svg.js";

const CHART_DAYS = 90;

export function overviewPage(service: ScriptlogService, origin: string): Html {
  const { summary: counts, sessions, analysis, failures } = service.models.states;
  const summary = summaryReport(counts, sessions.totals, new Date());
  if (summary.total_attempts === 0) {
    return page({
      title: "Overview",
      section: "overview",
      body: html`<h1>Overview</h1>
        ${emptyState("Nothing recorded yet", firstAttemptAdvice(origin))}`,
    });
  }
  const points = dailyRates(counts.days);
  const stat = (label: string, value: string, detail?: string) =>
    html`<div class="stat">
      <dt>${label}</dt>
      <dd>${value}${detail ? html` <span class="muted">${detail}</span>` : ""}</dd>
    </div>`;
  const body = html`<h1>Overview</h1>
    <section aria-labelledby="totals">
      <h2 id="totals">Totals</h2>
      <dl class="stats">
        ${stat("Attempts", number(summary.total_attempts), `${number(summary.total_failures)} failed · ${number(summary.total_successes)} succeeded`)}
        ${stat("Success rate", percent(summary.success_rate, 1), intervalText(summary.total_successes, summary.total_attempts))}
        ${stat("Last 7 days", percent(summary.recent_success_rate_7d, 1))}
        ${stat("Sessions", number(summary.total_sessions), `${number(summary.resolved_sessions)} resolved`)}
        ${stat("First attempt succeeds", percent(summary.first_attempt_success_rate, 1))}
        ${stat("Attempts to success", summary.avg_attempts_to_success === null ? "—" : summary.avg_attempts_to_success.toFixed(2), "on average, resolved sessions")}
        ${stat("Unfixed failures", number(summary.unfixed_failures))}
      </dl>
    </section>
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
                      <td>${p.interval ? `${percent(p.interval[0])}–${percent(p.interval[1])}` : "—"}</td>
                    </tr>`,
                )}
            </tbody>
          </table>
        </div>
      </details>
    </section>
    <section aria-labelledby="top-patterns">
      <h2 id="top-patterns">Top patterns</h2>
      ${patternTable(rankedPatterns(analysis).slice(0, 8), "The most frequent error patterns")}
      <p><a href="/patterns">All patterns →</a></p>
    </section>
    <section aria-labelledby="latest">
      <h2 id="latest">Latest failures</h2>
      ${attemptTable(recentFailures(failures, 8, false), "The latest failed attempts")}
      <p><a href="/failures">All failures →</a></p>
    </section>`;
  return page({ title: "Overview", section: "overview", body });
}

function intervalText(successes: number, attempts: number): string | undefined {
  const interval = wilson(successes, attempts);
  return interval ? `95% CI ${percent(interval[0], 1)}–${percent(interval[1], 1)}` : undefined;
}

/** Every day from the first recorded to the last (at most CHART_DAYS), days without attempts left blank. */
function dailyRates(days: Map<string, [number, number]>): RatePoint[] {
  const keys = [...days.keys()].sort();
  if (keys.length === 0) return [];
  return dayRange(keys[0], keys[keys.length - 1], CHART_DAYS).map((day) => {
    const [attempts, successes] = days.get(day) ?? [0, 0];
    return { day, attempts, rate: attempts ? successes / attempts : null, interval: wilson(successes, attempts) };
  });
}
