import { expect } from "chai";
import { createServer, type Server } from "node:http";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { readConfig, type Config } from "../src/config.js";
import { signature } from "../src/service/alerter.js";
import { at, dayStart, failure, postAll, success, waitFor } from "./helpers/history.js";
import { get, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";
import { openStream } from "./helpers/sse.js";

const STEADY_LOW = "KeyError: 'height'"; // 2 a day
const STEADY_HIGH = "ValueError: bad width"; // 6 a day
const BURSTING = "ZeroDivisionError: division by zero"; // 1 a day, 15 on the last day
const NEW = "IndexError: list index out of range"; // first seen on the last day, 3 times
const NEW_BUT_RARE = "TypeError: unsupported operand"; // first seen on the last day, twice

/** 40 days before today of steady failures and 4 successes a day; today, the burst and the new patterns. */
function history(): Array<Record<string, unknown>> {
  const bodies: Array<Record<string, unknown>> = [];
  for (let d = 40; d >= 0; d--) {
    const hour = (i: number) => at(d, 1 + (i % 20), i);
    for (let i = 0; i < 2; i++) bodies.push(failure(STEADY_LOW, hour(i)));
    for (let i = 0; i < 6; i++) bodies.push(failure(STEADY_HIGH, hour(2 + i)));
    for (let i = 0; i < (d === 0 ? 15 : 1); i++) bodies.push(failure(BURSTING, at(d, 12, i), { log_id: `burst-${d}-${i}` }));
    for (let i = 0; i < 4; i++) bodies.push(success(hour(i)));
  }
  for (let i = 0; i < 3; i++) bodies.push(failure(NEW, at(0, 5, i), { log_id: `new-${i}` }));
  for (let i = 0; i < 2; i++) bodies.push(failure(NEW_BUT_RARE, at(0, 6, i)));
  return bodies;
}

// A failure's pattern is its error type and message template: these messages have nothing to parameterise.
const pattern = (error: string) => error;

describe("anomalies: GET /api/logs/anomalies over 41 days of generated history", () => {
  let server: RunningServer;
  let url: string;
  let events: string;
  const endOfToday = new Date(dayStart(-1)).toISOString();

  before(async () => {
    events = path.join(tempDir(), "events");
    server = await startInProcess(events);
    url = server.url;
    await postAll(url, history());
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("a burst of one pattern on the last day is a spike; a pattern first seen that day 3 times is new", async () => {
    const res = await get(`${url}/api/logs/anomalies?at=${endOfToday}`);
    expect(res.status).to.equal(200);
    const { anomalies } = res.body;
    expect(anomalies.map((a: any) => [a.kind, a.pattern])).to.deep.equal([
      ["spike", pattern(BURSTING)],
      ["new_pattern", pattern(NEW)],
    ]);
    const [spike, fresh] = anomalies;
    expect(spike.window).to.deep.equal({ start: new Date(dayStart(0)).toISOString(), end: endOfToday });
    expect(spike.observed).to.equal(15);
    // Its share over the 7 days before: 7 of 7 × 13 attempts; applied to today's 32 attempts.
    expect(spike.expected).to.be.closeTo((32 * 7) / 91, 1e-9);
    expect(spike.p_value).to.be.below(1e-6);
    expect(spike.error_type).to.equal("ZeroDivisionError");
    expect(spike.fingerprint).to.match(/^[0-9a-f]+$/);
    expect(spike.first_seen).to.equal(at(40, 12, 0));
    expect(spike.example_log_ids).to.deep.equal(["burst-0-14", "burst-0-13", "burst-0-12"]);
    expect(fresh).to.include({ observed: 3, expected: 0, p_value: null, first_seen: at(0, 5, 0) });
    expect(fresh.example_log_ids).to.deep.equal(["new-2", "new-1", "new-0"]);
  });

  it("steady patterns at their usual rate are never flagged, on any of the 30 days before", async () => {
    for (let d = 1; d <= 30; d++) {
      const { anomalies } = (await get(`${url}/api/logs/anomalies?at=${new Date(dayStart(d - 1)).toISOString()}`)).body;
      expect(anomalies, `the day ${d} days ago`).to.deep.equal([]);
    }
  });

  it("answers the same for the same time, and after a restart from the snapshot", async () => {
    const first = (await get(`${url}/api/logs/anomalies?at=${endOfToday}`)).body;
    expect((await get(`${url}/api/logs/anomalies?at=${endOfToday}`)).body).to.deep.equal(first);
    await server.stop();
    server = await startInProcess(events);
    url = server.url;
    expect((await get(`${url}/api/logs/anomalies?at=${endOfToday}`)).body).to.deep.equal(first);
    expect((await get(`${url}/api/logs/anomalies?at=yesterday`)).body.error.code).to.equal("invalid_query");
  });
});

/** A webhook receiver: answers the first delivery with 500, later ones with 200, and checks signatures. */
async function startReceiver(secret: string) {
  const requests: Array<{ id: string; body: any; signed: boolean; status: number }> = [];
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const status = requests.length === 0 ? 500 : 200;
      requests.push({
        id: String(req.headers["x-scriptlog-alert-id"]),
        body: JSON.parse(raw),
        signed: req.headers["x-scriptlog-signature"] === signature(secret, raw),
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, requests, close: () => new Promise((r) => server.close(r)) };
}

/** Waits until the anomaly watch has examined every attempt recorded so far. */
async function watched(server: RunningServer): Promise<void> {
  await server.service.untilProjected(server.service.log.chainHead.seq); // writes are answered before this
  const attempts = [...server.service.models.states.attempts.byId.values()];
  const last = Math.max(...attempts.map((a) => a.seq));
  await waitFor(() => server.watch.stats.evaluated_seq >= last, `the watch to examine seq ${last}`);
}

describe("alerts: each new anomaly POSTed to the webhook once, across a restart", () => {
  let server: RunningServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  afterEach(async () => {
    await server?.stop();
    await receiver?.close();
    removeTempDirs();
  });

  it("signs, retries after a failure, records AlertSent, and does not send it again after a restart", async () => {
    receiver = await startReceiver("s3cret");
    const overrides: Partial<Config> = {
      alerts: {
        ...readConfig({}).alerts,
        webhookUrl: receiver.url,
        webhookSecret: "s3cret",
        retries: 3,
        retryBaseMs: 20,
        sweepMs: 3_600_000,
      },
    };
    const events = path.join(tempDir(), "events");
    server = await startInProcess(events, undefined, overrides);
    // A week of baseline, all before the last 24 hours: one ZeroDivisionError a day among 13 attempts.
    const baseline: Array<Record<string, unknown>> = [];
    for (let d = 2; d <= 8; d++) {
      baseline.push(failure(BURSTING, at(d, 3)));
      for (let i = 0; i < 2; i++) baseline.push(failure(STEADY_LOW, at(d, 4 + i)));
      for (let i = 0; i < 10; i++) baseline.push(success(at(d, 6 + i)));
    }
    await postAll(server.url, baseline);
    const stream = await openStream(`${server.url}/api/logs/stream`);

    // The burst, in the last hour: a spike from the fifth occurrence on.
    const now = Date.now();
    for (let i = 8; i >= 1; i--) await post(`${server.url}/api/logs/attempts`, failure(BURSTING, new Date(now - i * 60_000).toISOString()));
    await waitFor(async () => (await get(`${server.url}/api/logs/alerts`)).body.alerts.sent === 1, "the AlertSent event");
    await watched(server);
    await stream.until((c) => c.messages.some((m) => m.event === "anomaly"), "the anomaly on the stream");
    expect(stream.messages.filter((m) => m.event === "anomaly")).to.have.length(1);

    expect(
      receiver.requests.map((r) => r.status),
      "a failed delivery, then the retry",
    ).to.deep.equal([500, 200]);
    expect(
      receiver.requests.every((r) => r.signed),
      "HMAC-SHA256 of the body with the secret",
    ).to.equal(true);
    expect(receiver.requests[1].id).to.equal(receiver.requests[0].id);
    const alert = receiver.requests[1].body;
    expect(alert).to.include({ alert_id: receiver.requests[1].id, kind: "spike", pattern: pattern(BURSTING), observed: 5 });
    expect(alert.p_value).to.be.below(0.001);
    const status = (await get(`${server.url}/api/logs/alerts`)).body.alerts;
    expect(status.delivery).to.include({ delivered: 1, failed_attempts: 1, gave_up: 0, pending: 0 });
    expect(status.recent[0]).to.include({ alert_id: alert.alert_id, kind: "spike", tries: 2, status_code: 200 });

    // Restart: the spike is still there, and its alert is not sent again.
    await server.stop(); // (which ends the stream)
    await stream.ended;
    server = await startInProcess(events, undefined, overrides);
    await post(`${server.url}/api/logs/attempts`, failure(BURSTING, new Date(Date.now() - 1000).toISOString()));
    await watched(server);
    const anomalies = (await get(`${server.url}/api/logs/anomalies`)).body.anomalies;
    expect(anomalies.map((a: any) => a.kind)).to.deep.equal(["spike"]);
    expect(anomalies[0].observed).to.equal(9);
    expect(receiver.requests).to.have.length(2);
    expect((await get(`${server.url}/api/logs/alerts`)).body.alerts).to.include({ sent: 1 });
  });
});

describe("anomalies: a regression is a fixed pattern coming back in attempts generated with its rule", () => {
  const FIXED_IN_CONTEXT = STEADY_LOW; // fixed, then in ctx-1's rules
  const FIXED_PATTERN = "KeyError: <STR>"; // (the key is a parameter of the message)
  const FIXED_LATER = NEW; // fixed only after ctx-1 was published, so not among its rules
  const UNFIXED = STEADY_HIGH; // 2 a day, never fixed: a warning rule in ctx-1
  let server: RunningServer;
  let events: string;

  before(async () => {
    events = path.join(tempDir(), "events");
    server = await startInProcess(events, undefined, { alerts: { ...readConfig({}).alerts, sweepMs: 3_600_000 } });
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  /** A failure, and the success that fixes it (linked by previous_attempt_id), in a session of its own. */
  async function fixed(error: string, daysAgo: number, session: string) {
    const f = await post(`${server.url}/api/logs/attempts`, failure(error, at(daysAgo, 3), { session_id: session }));
    const s = await post(
      `${server.url}/api/logs/attempts`,
      success(at(daysAgo, 4), { session_id: session, previous_attempt_id: f.body.log_id }),
    );
    expect(s.status).to.equal(201);
  }

  it("given a fix, a context holding its rule, and failures of the pattern under that context: a regression, streamed once", async () => {
    const steady: Array<Record<string, unknown>> = [];
    for (let d = 10; d >= 1; d--)
      for (let i = 0; i < 2; i++) steady.push(failure(UNFIXED, at(d, 6 + i), { session_id: `steady-${d}-${i}` }));
    await postAll(server.url, steady);
    await post(`${server.url}/api/logs/attempts`, failure(FIXED_IN_CONTEXT, at(10, 2), { session_id: "first-height" }));
    await fixed(FIXED_IN_CONTEXT, 10, "fix-height");
    const published = await post(`${server.url}/api/contexts`, {});
    expect(published.body.context.rule_ids).to.have.members([FIXED_PATTERN, pattern(UNFIXED)]);
    const version = published.body.context.version;
    await fixed(FIXED_LATER, 8, "fix-index");
    await fixed(FIXED_LATER, 7, "fix-index-2");

    const stream = await openStream(`${server.url}/api/logs/stream`);
    // In the last hour, each under ctx-1: the fixed pattern with its rule 3 times, the one fixed later 3 times,
    // the unfixed one at its usual 2.
    const now = Date.now();
    const recent: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 3; i++) {
      const when = (minutes: number) => new Date(now - (50 - 10 * i - minutes) * 60_000).toISOString();
      const generated = { context_version: version, session_id: `ctx-session-${i}` };
      recent.push(failure(FIXED_IN_CONTEXT, when(0), { ...generated, log_id: `again-${i}` }));
      recent.push(failure(FIXED_LATER, when(1), generated));
      if (i < 2) recent.push(failure(UNFIXED, when(2), generated));
    }
    for (const body of recent) expect((await post(`${server.url}/api/logs/attempts`, body)).status).to.equal(201);
    await watched(server);
    await stream.until((c) => c.messages.some((m) => m.event === "anomaly"), "the regression on the stream");

    const { anomalies } = (await get(`${server.url}/api/logs/anomalies?at=${new Date(now).toISOString()}`)).body;
    expect(anomalies.map((a: any) => [a.kind, a.pattern])).to.deep.equal([["regression", FIXED_PATTERN]]);
    const [regression] = anomalies;
    expect(regression).to.include({ observed: 3, expected: 0, p_value: null, context_version: version, error_type: "KeyError" });
    expect(regression.first_seen).to.equal(at(10, 2));
    expect(regression.example_log_ids).to.deep.equal(["again-2", "again-1", "again-0"]);
    expect(regression.window).to.deep.equal({ start: new Date(now - 86_400_000).toISOString(), end: new Date(now).toISOString() });
    const streamed = stream.messages.filter((m) => m.event === "anomaly").map((m) => m.data);
    expect(streamed.map((a) => [a.kind, a.pattern, a.context_version])).to.deep.equal([["regression", FIXED_PATTERN, version]]);
  });

  it("is re-derived on a restart from the snapshot; no window before the recurrence has it", async () => {
    const now = (await get(`${server.url}/api/logs/anomalies`)).body;
    await server.stop();
    server = await startInProcess(events, undefined, { alerts: { ...readConfig({}).alerts, sweepMs: 3_600_000 } });
    expect((await get(`${server.url}/api/logs/anomalies?at=${now.at}`)).body).to.deep.equal(now);
    for (let d = 1; d <= 9; d++) {
      const { anomalies } = (await get(`${server.url}/api/logs/anomalies?at=${new Date(dayStart(d - 1) - 3_600_000).toISOString()}`)).body;
      expect(
        anomalies.filter((a: any) => a.kind === "regression"),
        `the day ${d} days ago`,
      ).to.deep.equal([]);
    }
  });
});
