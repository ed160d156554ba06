// Tokens with scopes, the refusal to serve the network without them, security headers, CORS and /metrics,
// against a real server on an ephemeral port and the real CLI.
import { expect } from "chai";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { readConfig } from "../src/config.js";
import lockfile from "proper-lockfile";
import { createToken } from "../src/service/tokens.js";
import { post, removeTempDirs, runCli, spawnServer, startInProcess, tempDir } from "./helpers/server.js";

const attempt = {
  status: "failed",
  code: "import os\nos.makedir('out')\n",
  stderr: "AttributeError: module 'os' has no attribute 'makedir'\n",
};

/** The seq of the last write through each server: a read of the API waits (?min_seq) until its read models hold it. */
const written = new Map<string, number>();

async function call(url: string, token: string | null, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set("Authorization", `Bearer ${token}`);
  const target = new URL(url);
  const seq = written.get(target.origin);
  if (seq !== undefined && (init.method ?? "GET") === "GET" && target.pathname.startsWith("/api/"))
    target.searchParams.set("min_seq", String(seq));
  const res = await fetch(target, { ...init, headers });
  if (init.method === "POST" && res.ok) written.set(target.origin, Number(res.headers.get("x-scriptlog-seq")));
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: res.headers.get("content-type")?.startsWith("application/json") ? JSON.parse(text) : null,
  };
}

const postJson = (url: string, token: string | null, body: unknown) =>
  call(url, token, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("security: API tokens with scopes", function () {
  this.timeout(30_000);
  let server: RunningServer;
  let tokens: Record<"read" | "write" | "admin" | "metrics", string>;

  before(async () => {
    const events = path.join(tempDir(), "events");
    const tokensFile = `${events}.tokens.json`;
    tokens = {
      read: await createToken(tokensFile, "reader", "read"),
      write: await createToken(tokensFile, "ci-runner", "write"),
      admin: await createToken(tokensFile, "ops", "admin"),
      metrics: await createToken(tokensFile, "prometheus", "metrics"),
    };
    const security = { ...readConfig({}, { eventsDir: events }).security, corsOrigins: ["https://app.example.com"] };
    server = await startInProcess(events, undefined, { security });
  });
  after(async () => {
    await server?.stop();
    removeTempDirs();
  });

  it("keeps /health open to anyone, and refuses everything else without a token: 401, WWW-Authenticate, the JSON error shape", async () => {
    expect((await call(`${server.url}/health`, null)).status).to.equal(200);
    const refused = await call(`${server.url}/api/logs/summary`, null);
    expect(refused.status).to.equal(401);
    expect(refused.headers.get("www-authenticate")).to.equal('Bearer realm="scriptlog"');
    expect(refused.body).to.deep.include({ success: false });
    expect(refused.body.error.code).to.equal("unauthorized");
    const forged = await call(`${server.url}/api/logs/summary`, "slt_not-a-token");
    expect([forged.status, forged.body.error.code]).to.deep.equal([401, "unauthorized"]);
  });

  it("answers 403 with the scope needed when the token's scope does not cover the route", async () => {
    const write = await postJson(`${server.url}/api/logs/attempts`, tokens.read, attempt);
    expect(write.status).to.equal(403);
    expect(write.body.error).to.deep.include({ code: "forbidden", details: { token: "reader", scope: "read", needs: "write" } });
    const raw = await call(`${server.url}/api/logs/events`, tokens.write);
    expect([raw.status, raw.body.error.details.needs]).to.deep.equal([403, "admin"]);
    const context = await postJson(`${server.url}/api/contexts`, tokens.write, { text: "be careful" });
    expect([context.status, context.body.error.details.needs]).to.deep.equal([403, "admin"]);
    const metricsReadsNothingElse = await call(`${server.url}/api/logs/summary`, tokens.metrics);
    expect(metricsReadsNothingElse.status).to.equal(403);
  });

  it("records which token appended an attempt (recorded_by), in the event and in the entry auditors read", async () => {
    const posted = await postJson(`${server.url}/api/logs/attempts`, tokens.write, { ...attempt, log_id: "by-runner" });
    expect(posted.status, posted.text).to.equal(201);
    const entry = await call(`${server.url}/api/logs/log/by-runner`, tokens.read);
    expect(entry.body.log.recorded_by).to.equal("ci-runner");
    const raw = await call(`${server.url}/api/logs/events`, tokens.admin);
    expect(raw.status).to.equal(200);
    const event = raw.text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .find((e) => e.data.log_id === "by-runner" && e.type === "AttemptFailed");
    expect(event.data.recorded_by).to.equal("ci-runner");
  });

  it("records which admin token published a context (recorded_by on the ContextPublished event)", async () => {
    const published = await postJson(`${server.url}/api/contexts`, tokens.admin, { text: "Check a key exists before reading it." });
    expect(published.status, published.text).to.equal(201);
    const raw = await call(`${server.url}/api/logs/events`, tokens.admin);
    const event = raw.text
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .find((e) => e.type === "ContextPublished");
    expect(event.data.recorded_by).to.equal("ops");
  });

  it("serves /metrics in Prometheus text to a metrics or admin token, with what an operator alerts on", async () => {
    await postJson(`${server.url}/api/logs/attempts`, tokens.write, { ...attempt, code: "password = 'hunter2'\n" });
    // Counted as the read models apply the event: a read that waits for them first.
    expect((await call(`${server.url}/api/logs/summary`, tokens.read)).status).to.equal(200);
    const scraped = await call(`${server.url}/metrics`, tokens.metrics);
    expect(scraped.status).to.equal(200);
    expect(scraped.headers.get("content-type")).to.include("text/plain");
    for (const name of [
      "scriptlog_events_appended_total",
      "scriptlog_append_batch_events_bucket",
      "scriptlog_fsync_seconds_bucket",
      "scriptlog_http_request_seconds_bucket",
      "scriptlog_http_rejected_total",
      "scriptlog_projection_lag_events",
      "scriptlog_derivation_seconds_bucket",
      "scriptlog_redactions_total",
      "scriptlog_auth_failures_total",
    ]) {
      expect(scraped.text, name).to.include(name);
    }
    expect(scraped.text).to.match(/scriptlog_redactions_total\{rule="credential"\} [1-9]/);
    expect(scraped.text).to.match(/scriptlog_http_rejected_total\{code="forbidden"\} [1-9]/);
    expect(scraped.text).to.include('route="/api/logs/attempts",status="201"');
    expect((await call(`${server.url}/metrics`, tokens.admin)).status).to.equal(200);
    expect((await call(`${server.url}/metrics`, tokens.read)).status).to.equal(403);
  });

  it("sends security headers on every answer, and CORS headers only to an allowed origin", async () => {
    for (const res of [
      await call(`${server.url}/health`, null),
      await call(`${server.url}/api/logs/summary`, tokens.read),
      await call(`${server.url}/api/logs/summary`, null),
    ]) {
      expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
      expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
      expect(res.headers.get("cache-control")).to.equal("no-store");
    }
    const allowed = await call(`${server.url}/api/logs/summary`, tokens.read, { headers: { Origin: "https://app.example.com" } });
    expect(allowed.headers.get("access-control-allow-origin")).to.equal("https://app.example.com");
    const other = await call(`${server.url}/api/logs/summary`, tokens.read, { headers: { Origin: "https://evil.example.com" } });
    expect(other.headers.get("access-control-allow-origin")).to.equal(null);
  });

  it("limits failed attempts per client: after ten, 429 with Retry-After, even for a valid token", async () => {
    // A client of its own (X-Forwarded-For is not trusted, so every request here is the same client): a fresh server.
    const events = path.join(tempDir(), "events");
    const valid = await createToken(`${events}.tokens.json`, "reader", "read");
    const own = await startInProcess(events);
    try {
      for (let i = 0; i < 10; i++) expect((await call(`${own.url}/api/logs/summary`, `slt_guess${i}`)).status).to.equal(401);
      const limited = await call(`${own.url}/api/logs/summary`, valid);
      expect(limited.status).to.equal(429);
      expect(limited.body.error.code).to.equal("too_many_failures");
      expect(Number(limited.headers.get("retry-after"))).to.be.within(1, 60);
    } finally {
      await own.stop();
    }
  });
});

describe("security: tokens from the CLI, and who may serve without them", function () {
  this.timeout(30_000);
  after(() => removeTempDirs());

  it("token create prints the token once and keeps only its sha256, in a file of mode 0600; list and revoke", async () => {
    const events = path.join(tempDir(), "events");
    const created = await runCli(["token", "create", "--scope", "write", "--name", "laptop", "--events-dir", events]);
    expect(created.code, created.stderr).to.equal(0);
    const secret = created.stdout.trim();
    expect(secret).to.match(/^slt_[A-Za-z0-9_-]{43}$/);
    const file = readConfig({}, { eventsDir: events }).security.tokensFile;
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const stored = readFileSync(file, "utf8");
    expect(stored).to.include('"name": "laptop"');
    expect(stored).to.not.include(secret);
    const listed = await runCli(["token", "list", "--events-dir", events, "--json"]);
    expect(JSON.parse(listed.stdout).tokens).to.have.length(1);
    expect(listed.stdout).to.not.include(secret);
    const twice = await runCli(["token", "create", "--scope", "read", "--name", "laptop", "--events-dir", events]);
    expect([twice.code, twice.stderr]).to.deep.equal([
      2,
      "scriptlog: a token named 'laptop' exists: revoke it first, or choose another name\n",
    ]);
    const badScope = await runCli(["token", "create", "--scope", "root", "--name", "x", "--events-dir", events]);
    expect(badScope.code).to.equal(2);
    const revoked = await runCli(["token", "revoke", "laptop", "--events-dir", events]);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(JSON.parse((await runCli(["token", "list", "--events-dir", events, "--json"])).stdout).tokens).to.deep.equal([]);
  });

  it("token create refuses with a clear error, leaving the file as it was, while another command holds the lock", async () => {
    const events = path.join(tempDir(), "events");
    const file = `${events}.tokens.json`;
    await createToken(file, "first", "read");
    const before = readFileSync(file, "utf8");
    const release = await lockfile.lock(file, { realpath: false });
    try {
      const refused = await runCli(["token", "create", "--scope", "read", "--name", "second", "--events-dir", events]);
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.include("is being changed by another command");
      expect(readFileSync(file, "utf8")).to.equal(before);
    } finally {
      await release();
    }
    expect((await runCli(["token", "create", "--scope", "read", "--name", "second", "--events-dir", events])).code).to.equal(0);
    expect(JSON.parse((await runCli(["token", "list", "--events-dir", events, "--json"])).stdout).tokens).to.have.length(2);
  });

  it("a revoked token is refused by a running server at once", async () => {
    const events = path.join(tempDir(), "events");
    const file = `${events}.tokens.json`;
    const keep = await createToken(file, "keep", "read");
    const gone = await createToken(file, "gone", "read");
    const server = await startInProcess(events);
    try {
      expect((await call(`${server.url}/api/logs/summary`, gone)).status).to.equal(200);
      expect((await runCli(["token", "revoke", "gone", "--events-dir", events])).code).to.equal(0);
      expect((await call(`${server.url}/api/logs/summary`, gone)).status).to.equal(401);
      expect((await call(`${server.url}/api/logs/summary`, keep)).status).to.equal(200);
    } finally {
      await server.stop();
    }
  });

  it("refuses to serve a non-loopback address with no token, unless --insecure-no-auth", async () => {
    const events = path.join(tempDir(), "events");
    const refused = await runCli(["serve", "--host", "0.0.0.0", "--port", "0", "--events-dir", events]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include("refusing to serve 0.0.0.0 with no API token").and.include("--insecure-no-auth");
    const open = await spawnServer(events, { HOST: "0.0.0.0", INSECURE_NO_AUTH: "on" });
    try {
      const res = await post(`${open.url.replace("0.0.0.0", "127.0.0.1")}/api/logs/attempts`, attempt);
      expect(res.status).to.equal(201);
    } finally {
      open.child.kill("SIGTERM");
      await open.exited;
    }
  });

  it("serves loopback without tokens, open, as before (what the other tests rely on)", async () => {
    const server = await startInProcess(path.join(tempDir(), "events"));
    try {
      expect((await post(`${server.url}/api/logs/attempts`, attempt)).status).to.equal(201);
    } finally {
      await server.stop();
    }
  });
});
