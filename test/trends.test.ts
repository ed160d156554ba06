import { expect } from "chai";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { at, dayStart, failure, postAll, success } from "./helpers/history.js";
import { get, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

const DAYS = 42; // today and the 41 days before it

// Successes of model-rising on the day `daysAgo` days back, out of 6: 1 early on, 5 in the last week.
const risingSuccesses = (daysAgo: number) => (daysAgo < 7 ? 5 : daysAgo < 21 ? 2 : 1);

/**
 * model-rising: 6 one-attempt sessions a day, more of them succeeding lately.
 * model-flat: 3 sessions a day, each a failure fixed by a success an hour later: 50% every day.
 * model-rare: 3 attempts in all.
 * model-order: one session whose success was posted before the failure that ran first.
 */
function history(): Array<Record<string, unknown>> {
  const bodies: Array<Record<string, unknown>> = [];
  for (let d = 0; d < DAYS; d++) {
    for (let i = 0; i < 6; i++) {
      const timestamp = at(d, 8 + i);
      const extra = { ai_model: "model-rising", session_id: `rise-${d}-${i}` };
      bodies.push(i < risingSuccesses(d) ? success(timestamp, extra) : failure("KeyError: 'height'", timestamp, extra));
    }
    for (let i = 0; i < 3; i++) {
      const extra = { ai_model: "model-flat", session_id: `flat-${d}-${i}` };
      bodies.push(failure("ValueError: bad width", at(d, 1 + 2 * i), { ...extra, log_id: `flat-${d}-${i}-f` }));
      bodies.push(success(at(d, 2 + 2 * i), { ...extra, previous_attempt_id: `flat-${d}-${i}-f` }));
    }
  }
  for (let d = 0; d < 3; d++) bodies.push(success(at(d * 10, 20), { ai_model: "model-rare" }));
  return bodies;
}

describe("trends: GET /api/logs/trends over 42 days of generated history", () => {
  let server: RunningServer;
  let url: string;

  before(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
    url = server.url;
    // Sessions need their first attempt before the ones that link to it: failures of model-flat first.
    const bodies = history();
    const linked = bodies.filter((b) => "previous_attempt_id" in b);
    await postAll(
      url,
      bodies.filter((b) => !linked.includes(b)),
    );
    await postAll(url, linked);
    await postAll(url, [success(at(3, 12), { ai_model: "model-order", session_id: "order", log_id: "order-s" })], 1);
    await postAll(url, [failure("KeyError: 'height'", at(3, 11), { ai_model: "model-order", session_id: "order" })], 1);
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("a rising success rate is 'improving', a flat one 'no_change', a model with 3 attempts 'insufficient_data'", async () => {
    const res = await get(`${url}/api/logs/trends?by=ai_model`);
    expect(res.status).to.equal(200);
    const { trends } = res.body;
    expect(trends.bucket).to.equal("day");
    const byKey = Object.fromEntries(trends.series.map((s: any) => [s.key, s]));
    expect(Object.keys(byKey)).to.deep.equal(["model-flat", "model-order", "model-rare", "model-rising"]);

    const rising = byKey["model-rising"].verdict;
    expect(rising.status).to.equal("improving");
    expect(rising.recent).to.include({ attempts: 42, successes: 35 });
    expect(rising.prior).to.include({ attempts: 168, successes: 14 * 2 + 14 * 1 });
    expect(rising.test).to.equal("two_proportion");
    expect(rising.p_value).to.be.below(1e-6);
    expect(rising.recent.start).to.equal(new Date(dayStart(6)).toISOString());
    expect(rising.prior.start).to.equal(new Date(dayStart(34)).toISOString());
    expect(rising.prior.end).to.equal(rising.recent.start);

    const flat = byKey["model-flat"].verdict;
    expect(flat.status).to.equal("no_change");
    expect(flat.recent).to.include({ attempts: 42, successes: 21, success_rate: 0.5 });
    expect(flat.p_value).to.equal(1);

    expect(byKey["model-rare"].verdict).to.include({ status: "insufficient_data", p_value: null });
    expect(trends.verdict.status, "all attempts together").to.equal("improving");

    const summary = await get(`${url}/api/logs/summary`);
    expect(summary.body.summary.trend_status).to.equal("improving");
  });

  it("daily points carry Wilson 95% intervals, for all attempts and for first attempts", async () => {
    const { trends } = (await get(`${url}/api/logs/trends?by=ai_model&since=${at(25, 0)}&until=${at(0, 0)}`)).body;
    const rising = trends.series.find((s: any) => s.key === "model-rising");
    expect(rising.points).to.have.length(26);
    expect(rising.points.map((p: any) => p.start)).to.deep.equal(
      Array.from({ length: 26 }, (_, i) => new Date(dayStart(25 - i)).toISOString()),
    );
    // 10 days ago: 2 of 6 succeeded; 3 days ago: 5 of 6. Wilson 95% (as statsmodels' proportion_confint).
    const tenDaysAgo = rising.points[15];
    expect(tenDaysAgo).to.include({ attempts: 6, successes: 2, first_attempts: 6, first_attempt_successes: 2 });
    expect(tenDaysAgo.success_rate).to.be.closeTo(1 / 3, 1e-12);
    expect(tenDaysAgo.ci95[0]).to.be.closeTo(0.0967714, 1e-6);
    expect(tenDaysAgo.ci95[1]).to.be.closeTo(0.7000067, 1e-6);

    const flat = trends.series.find((s: any) => s.key === "model-flat");
    const day = flat.points[20];
    expect(day).to.include({ attempts: 6, successes: 3, first_attempts: 3, first_attempt_successes: 0, first_attempt_success_rate: 0 });
    expect(day.ci95[0]).to.be.closeTo(0.1876163, 1e-6);
    expect(day.ci95[1]).to.be.closeTo(0.8123837, 1e-6);
    expect(day.first_attempt_ci95[0]).to.equal(0);
    expect(day.first_attempt_ci95[1]).to.be.closeTo(0.561497, 1e-6);

    // The session whose failure ran first but arrived last: its first attempt is the failure.
    const order = trends.series.find((s: any) => s.key === "model-order");
    const orderDay = order.points.find((p: any) => p.attempts > 0);
    expect(orderDay).to.include({ attempts: 2, successes: 1, first_attempts: 1, first_attempt_successes: 0 });
    // Empty days have rates and intervals of null, not 0.
    const empty = order.points.find((p: any) => p.attempts === 0);
    expect(empty).to.include({ success_rate: null, ci95: null, first_attempt_success_rate: null, first_attempt_ci95: null });
  });

  it("weekly buckets start on Mondays and add up the days", async () => {
    const weekly = (await get(`${url}/api/logs/trends?bucket=week`)).body.trends;
    const daily = (await get(`${url}/api/logs/trends`)).body.trends;
    expect(weekly.series.map((s: any) => s.key)).to.deep.equal(["all"]);
    const weeks = weekly.series[0].points;
    expect(weeks.length).to.be.within(6, 8);
    for (const week of weeks) {
      const from = Date.parse(week.start);
      expect(new Date(from).getUTCDay(), week.start).to.equal(1);
      const days = daily.series[0].points.filter((p: any) => Date.parse(p.start) >= from && Date.parse(p.start) < from + 7 * 86_400_000);
      const sum = (field: string) => days.reduce((n: number, p: any) => n + p[field], 0);
      expect(week).to.include({ attempts: sum("attempts"), successes: sum("successes"), first_attempts: sum("first_attempts") });
    }
    expect(weeks.reduce((n: number, p: any) => n + p.attempts, 0)).to.equal(DAYS * 12 + 3 + 2);
  });

  it("refuses unknown or inconsistent parameters", async () => {
    expect((await get(`${url}/api/logs/trends?bucket=month`)).body.error.code).to.equal("invalid_query");
    expect((await get(`${url}/api/logs/trends?by=user`)).body.error.code).to.equal("invalid_query");
    const backwards = await get(`${url}/api/logs/trends?since=${at(0, 0)}&until=${at(5, 0)}`);
    expect(backwards.status).to.equal(400);
    const tooLong = await get(`${url}/api/logs/trends?since=1900-01-01&until=2026-01-01`);
    expect(tooLong.body.error.code).to.equal("invalid_query");
  });
});
