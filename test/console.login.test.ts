// The web console on a server that needs tokens, in a real browser (Debian's chromium via playwright-core):
// sign in with a read token, browse with the cookie it sets, sign out.
import { expect } from "chai";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import type { RunningServer } from "../src/cli/serve.js";
import { createToken } from "../src/service/tokens.js";
import { removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Submits a form and waits for the page it leads to. */
const submit = (page: Page, button: string) => Promise.all([page.waitForNavigation(), page.click(`button:has-text('${button}')`)]);

describe("web console sign-in (chromium)", function () {
  this.timeout(60_000);
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let readToken: string;
  let metricsToken: string;
  const pageErrors: string[] = [];

  before(async () => {
    const events = path.join(tempDir(), "events");
    readToken = await createToken(`${events}.tokens.json`, "console", "read");
    metricsToken = await createToken(`${events}.tokens.json`, "prometheus", "metrics");
    [server, browser] = await Promise.all([
      startInProcess(events),
      chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] }),
    ]);
    page = await browser.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    removeTempDirs();
  });

  it("sends a visitor without a token to the sign-in form, and back to the page asked for once signed in", async () => {
    await page.goto(`${server.url}/failures`);
    expect(new URL(page.url()).pathname).to.equal("/login");
    expect(await page.locator("h1").textContent()).to.equal("Sign in");

    await page.fill("#token", "slt_wrong");
    await submit(page, "Sign in");
    expect(await page.locator("[role=alert]").textContent()).to.include("not valid");

    await page.fill("#token", metricsToken);
    await submit(page, "Sign in");
    expect(await page.locator("[role=alert]").textContent(), "a token that may not read is refused").to.include("may not read");

    await page.fill("#token", readToken);
    await submit(page, "Sign in");
    expect(new URL(page.url()).pathname).to.equal("/failures");
    expect(await page.locator("h1").textContent()).to.equal("Failures");
    expect(pageErrors).to.deep.equal([]);
  });

  it("keeps the token in an HttpOnly, SameSite=Strict cookie that scripts cannot read, and uses it for every page", async () => {
    const [cookie] = await page.context().cookies();
    expect(cookie).to.deep.include({ name: "scriptlog_session", httpOnly: true, sameSite: "Strict", secure: false });
    expect(await page.evaluate("document.cookie")).to.equal("");
    const overview = await page.goto(`${server.url}/`);
    expect(overview!.status()).to.equal(200);
    expect(await page.locator("h1").textContent()).to.equal("Overview");
  });

  it("signs out from any page's header: the cookie is gone and pages ask for a token again", async () => {
    await page.goto(`${server.url}/patterns`);
    expect(await page.locator("header form.account button").textContent()).to.equal("Sign out");
    await submit(page, "Sign out");
    expect(new URL(page.url()).pathname).to.equal("/login");
    expect(await page.context().cookies()).to.deep.equal([]);
    await page.goto(`${server.url}/sessions`);
    expect(new URL(page.url()).pathname).to.equal("/login");
  });

  it("offers no sign-out to a page read with a bearer token: there is no cookie to clear", async () => {
    const res = await fetch(`${server.url}/patterns`, { headers: { Authorization: `Bearer ${readToken}`, Accept: "text/html" } });
    expect(res.status).to.equal(200);
    const text = await res.text();
    expect(text).to.include("<h1>").and.not.include("Sign out");
  });

  it("never lets the cookie authorise a write (no request forged by another page)", async () => {
    await page.goto(`${server.url}/login`);
    await page.fill("#token", readToken);
    await submit(page, "Sign in");
    const status = await page.evaluate(
      `fetch("/api/logs/attempts", { method: "POST", headers: { "content-type": "application/json" }, body: '{"status":"success","code":"x"}' }).then((r) => r.status)`,
    );
    expect(status).to.equal(401);
  });
});
