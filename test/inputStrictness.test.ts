// Input strictness (issue 11, defects 9 and 10): what is not exactly UTF-8 JSON, a real calendar time or a
// plain decimal number is refused with a clear error and the log unchanged; error answers stay small.
import { expect } from "chai";
import path from "node:path";
import type { RunningServer } from "../src/cli/serve.js";
import { get, logBytes, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

async function postBytes(url: string, bytes: Buffer | string, contentType = "application/json") {
  const res = await fetch(`${url}/api/logs/attempts`, { method: "POST", headers: { "content-type": contentType }, body: bytes });
  const text = await res.text();
  return { status: res.status, size: Buffer.byteLength(text), body: JSON.parse(text) };
}

describe("input strictness: refused with a clear error, the log unchanged", () => {
  let server: RunningServer;
  let events: string;

  before(async () => {
    events = path.join(tempDir(), "events");
    server = await startInProcess(events);
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  const refused = async (bytes: Buffer | string, contentType: string, status: number, code: string) => {
    const before = logBytes(events);
    const res = await postBytes(server.url, bytes, contentType);
    expect(res.status, JSON.stringify(res.body)).to.equal(status);
    expect(res.body.error.code).to.equal(code);
    expect(logBytes(events)).to.equal(before);
    return res;
  };
  const attempt = (fields: object = {}) => JSON.stringify({ status: "failed", code: "x", ...fields });

  it("invalid UTF-8 inside a JSON string → 400 invalid_json (not stored as U+FFFD)", async () => {
    const bytes = Buffer.concat([Buffer.from('{"status":"failed","code":"a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const res = await refused(bytes, "application/json", 400, "invalid_json");
    expect(res.body.error.message).to.equal("the request body is not valid UTF-8");
  });

  it("a lone surrogate's UTF-8 encoding (CESU) → 400 invalid_json", async () => {
    await refused(
      Buffer.concat([Buffer.from('{"status":"failed","code":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      "application/json",
      400,
      "invalid_json",
    );
  });

  it("a UTF-8 byte-order mark → 400 invalid_json", async () => {
    const res = await refused(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(attempt())]),
      "application/json",
      400,
      "invalid_json",
    );
    expect(res.body.error.message).to.match(/byte-order mark/);
  });

  for (const charset of ["utf-16", "latin1", "iso-8859-1", "us-ascii"]) {
    it(`charset=${charset} → 415 unsupported_media_type`, async () => {
      await refused(attempt(), `application/json; charset=${charset}`, 415, "unsupported_media_type");
    });
  }

  it("charset=UTF-8 (any case) and no charset are accepted", async () => {
    expect((await postBytes(server.url, attempt(), "application/json; charset=UTF-8")).status).to.equal(201);
    expect((await postBytes(server.url, attempt({ code: "y" }), "application/json; charset=utf8")).status).to.equal(201);
    expect((await postBytes(server.url, attempt({ code: "é" }))).status).to.equal(201);
  });

  for (const timestamp of [
    "2026-02-30T00:00:00Z",
    "2026-02-29T10:00:00Z",
    "2026-04-31",
    "2026-01-01T24:00:00Z",
    "2026-01-01T10:60:00Z",
    "2026-01-01T10:00:00+25:00",
  ]) {
    it(`an impossible time ${timestamp} → 422 validation_failed`, async () => {
      const res = await refused(attempt({ timestamp }), "application/json", 422, "validation_failed");
      expect(res.body.error.details.problems.map((p: { path: string }) => p.path)).to.deep.equal(["/timestamp"]);
    });
  }

  it("2026-02-30 is refused though Date.parse reads it (as 2 March)", async () => {
    const res = await refused(attempt({ timestamp: "2026-02-30T00:00:00Z" }), "application/json", 422, "validation_failed");
    expect(res.body.error.details.problems).to.deep.equal([{ path: "/timestamp", message: "must be a real calendar date and time" }]);
  });

  it("a real leap day is accepted", async () => {
    expect((await postBytes(server.url, attempt({ timestamp: "2028-02-29T23:59:59Z", code: "leap" }))).status).to.equal(201);
  });

  for (const limit of ["1e2", "+5", "0x10", " 10 ", "10.0", "-1", "", "1_0"]) {
    it(`query number limit=${JSON.stringify(limit)} → 400 invalid_query`, async () => {
      const res = await get(`${server.url}/api/logs/failures?limit=${encodeURIComponent(limit)}`);
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal("invalid_query");
    });
  }

  it("plain decimal numbers are accepted, and an impossible since= date is refused", async () => {
    expect((await get(`${server.url}/api/logs/failures?limit=10`)).status).to.equal(200);
    expect((await fetch(`${server.url}/api/logs/events?after=0&limit=5`)).status).to.equal(200);
    expect((await get(`${server.url}/api/logs/error-patterns?since=2026-02-30`)).body.error.code).to.equal("invalid_query");
  });

  it("1 MB of invalid tags gets a small error: at most 20 problems, with the total", async () => {
    const res = await refused(attempt({ tags: new Array(250_000).fill(1) }), "application/json", 422, "validation_failed");
    expect(res.size).to.be.below(8_000);
    expect(res.body.error.details.problems).to.have.length(20);
    expect(res.body.error.details.problems_total).to.equal(102); // maxItems, then each of the first 101 items
    expect(res.body.error.details.problems[0]).to.deep.equal({ path: "/tags", message: "must NOT have more than 100 items" });
  });

  it("a huge unknown field name is cut in the error, not echoed whole", async () => {
    const res = await refused(
      JSON.stringify({ status: "failed", code: "x", ["f".repeat(100_000)]: 1 }),
      "application/json",
      422,
      "validation_failed",
    );
    expect(res.size).to.be.below(4_000);
    expect(res.body.error.details.problems[0].message).to.match(/^unknown field 'f+… \(\d+ characters\)$/);
  });
});
