// Every route is documented, and every error answer — whatever the route or method, even one Node's HTTP
// parser refuses — has the JSON error shape (issue 11, defect 13).
import { expect } from "chai";
import { request } from "node:http";
import path from "node:path";
import { contextRoutes } from "../src/api/contextRoutes.js";
import { openApiDocument } from "../src/api/openapi.js";
import { readConfig } from "../src/config.js";
import { logRoutes } from "../src/api/routes.js";
import type { RunningServer } from "../src/cli/serve.js";
import { removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

/** Sends a raw request and reads status, headers and the JSON body. */
function send(url: string, method: string, pathname: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; allow: string | undefined; body: any }>((resolve, reject) => {
    const req = request(`${url}${pathname}`, { method, headers }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode!, allow: res.headers.allow, body: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("routes and error answers", () => {
  let server: RunningServer;

  before(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
  });
  after(async () => {
    await server.stop();
    removeTempDirs();
  });

  it("the OpenAPI document lists exactly the router's routes and methods", () => {
    const routed = [...logRoutes({} as never, { detection: readConfig({}).detection } as never).stack, ...contextRoutes({} as never).stack]
      .flatMap((layer) => layer.methods.filter((m) => m !== "HEAD").map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, "{$1}")}`))
      .sort();
    const documented = Object.entries(openApiDocument().paths)
      .flatMap(([p, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(routed.length).to.be.greaterThan(10);
    expect(documented).to.deep.equal(routed);
  });

  const errorShape = (body: any, code: string) => {
    expect(body.success).to.equal(false);
    expect(body.error.code).to.equal(code);
    expect(body.error.message).to.be.a("string").and.not.empty;
    expect(body.error.details).to.be.an("object");
  };

  it("a method the route lacks → 405 method_not_allowed, with Allow", async () => {
    const res = await send(server.url, "DELETE", "/api/logs/summary");
    expect(res.status).to.equal(405);
    expect(res.allow).to.equal("HEAD, GET");
    errorShape(res.body, "method_not_allowed");
    expect(res.body.error.details.allow).to.deep.equal(["HEAD", "GET"]);
  });

  it("a method no route has → 501 not_implemented", async () => {
    const res = await send(server.url, "PROPFIND", "/api/logs/summary");
    expect(res.status).to.equal(501);
    errorShape(res.body, "not_implemented");
  });

  it("OPTIONS → 200 with the allowed methods as JSON", async () => {
    const res = await send(server.url, "OPTIONS", "/api/logs/attempts");
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ success: true, allow: ["POST"] });
  });

  it("an unknown API route, or any method but GET outside /api (the console's pages) → 404 not_found", async () => {
    errorShape((await send(server.url, "GET", "/api/nowhere")).body, "not_found");
    errorShape((await send(server.url, "DELETE", "/nowhere")).body, "not_found");
  });

  it("headers over Node's limit → 431 headers_too_large, as JSON", async () => {
    const res = await send(server.url, "GET", "/health", { "x-big": "a".repeat(20_000) });
    expect(res.status).to.equal(431);
    errorShape(res.body, "headers_too_large");
  });
});
