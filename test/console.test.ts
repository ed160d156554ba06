// The web console in a real browser: Debian's chromium driven by playwright-core, over the original system's
// real logs imported into a real server. Screenshots of every page go to test-output/console/.
import { expect } from "chai";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import type { RunningServer } from "../src/cli/serve.js";
import { browserUnderTest, screenshot, visit } from "./helpers/browser.js";
import { SEED_LOGS } from "./helpers/corpus.js";
import { get, post, removeTempDirs, runCli, startInProcess, tempDir, until } from "./helpers/server.js";

const IMG_PAYLOAD = "<img src=x onerror=alert(1)>";
const SCRIPT_PAYLOAD = "</script><script>alert(2)</script>";

describe("web console (chromium)", function () {
  this.timeout(60_000);
  let server: RunningServer;
  let emptyServer: RunningServer;
  const ui = browserUnderTest();
  let browser: Browser;
  let page: Page;

  before(async () => {
    const events = path.join(tempDir(), "events");
    const imported = await runCli(["import", "--events-dir", events, "--seed-logs", SEED_LOGS, "--json"]);
    expect(imported.code, imported.stderr).to.equal(0);
    [server, emptyServer] = await Promise.all([startInProcess(events), startInProcess(path.join(tempDir(), "events"))]);
    ({ browser, page } = ui);
  });

  after(async () => {
    await server?.stop();
    await emptyServer?.stop();
    removeTempDirs();
  });

  const shot = (name: string) => screenshot(page, name);

  it("shows the overview of the real logs: totals, the daily rate chart, top patterns, under a strict CSP", async () => {
    const response = await visit(page, `${server.url}/`);
    expect(response!.status()).to.equal(200);
    const csp = response!.headers()["content-security-policy"];
    expect(csp).to.include("script-src 'self'").and.not.include("unsafe-inline");
    expect(await page.locator("h1").textContent()).to.equal("Overview");
    const attempts = page.locator(".stat", { hasText: "Attempts" }).first();
    expect(await attempts.locator("dd").textContent()).to.match(/^77\b/);
    expect(await page.locator("svg.chart path.line").count()).to.equal(1);
    expect(await page.locator("svg.chart polygon.band").count(), "the Wilson band").to.equal(1);
    expect(await page.locator("#top-patterns ~ div table tbody tr").count()).to.be.greaterThan(3);
    expect(await page.evaluate("typeof window.htmx"), "htmx served by the app").to.equal("object");
    // The real logs are a few weeks old: no verdict without enough attempts in the last 7 days.
    expect(await page.locator(".stat.trend dd").textContent()).to.match(/^not enough data a verdict needs \d+ attempts/);
    await shot("overview");
  });

  it("updates the overview live as attempts arrive (SSE), without a reload", async () => {
    await visit(page, `${server.url}/`);
    const attempts = page.locator("#live-region .stat", { hasText: "Attempts" }).first().locator("dd");
    const before = Number((await attempts.textContent())!.split(" ")[0]);
    // Waited for from here: a page-side predicate would need eval, which the CSP forbids.
    await until(() => server.stream.clientCount > 0);
    await page.evaluate("window.notReloaded = true");
    const posted = await post(`${server.url}/api/logs/attempts`, {
      status: "failed",
      log_id: "live-1",
      code: "import numpy\nnumpy.arange(3).reshape(2, 2)\n",
      stderr: "ValueError: cannot reshape array of size 3 into shape (2,2)\n",
      return_code: 1,
    });
    expect(posted.status).to.equal(201);
    await page.locator("#live-region a[href='/log/live-1']").waitFor();
    expect(Number((await attempts.textContent())!.split(" ")[0])).to.equal(before + 1);
    expect(await page.evaluate("window.notReloaded"), "the same page, updated in place").to.equal(true);
  });

  it("opens a pattern, follows an example session and shows the diff lines of its fix", async () => {
    await visit(page, `${server.url}/patterns`);
    await shot("patterns");
    await page.getByRole("link", { name: "NameError: name 'request' is not defined" }).first().click();
    await page.waitForURL(/\/patterns\/[0-9a-f]{16}$/);
    await page.locator("h1", { hasText: "NameError: name 'request' is not defined" }).waitFor();
    expect(await page.locator("#rule ~ p.slip").textContent(), "a slip of the script's own name is no rule").to.match(
      /^\s*No rule of its own/,
    );
    expect(await page.locator("#fixes ~ ul li").first().textContent()).to.match(/^in \d+ of \d+ fixes of this pattern/);
    expect(await page.locator("svg.sparkline rect.bar").count()).to.be.greaterThan(0);
    await shot("pattern");

    await page.locator("#examples ~ div table tbody a").first().click();
    await page.waitForURL(/\/sessions\/[^/]+$/);
    await page.locator("h1", { hasText: /^Session / }).waitFor();
    // The failure names its fixer (inferred: these logs never linked attempts) and the fixer's diff shows what changed.
    const failure = page.locator("article.attempt.failed", { hasText: "name 'request' is not defined" }).first();
    const fixedBy = failure.locator("p.fixed");
    expect(await fixedBy.textContent()).to.match(/^Fixed by attempt \d+ inferred$/);
    const fixer = await fixedBy.locator("a").getAttribute("href");
    await page.click(`a[href="${fixer}"]`);
    await page.waitForURL(new RegExp(`${fixer}$`));
    const fixingAttempt = page.locator(`article${fixer}`);
    expect(await fixingAttempt.locator("p.fixed").textContent()).to.match(/^Fixes attempt \d+ inferred/);
    const added = await fixingAttempt.locator("table.diff tr.ins td code").allTextContents();
    const removed = await fixingAttempt.locator("table.diff tr.del td code").allTextContents();
    expect(added.length + removed.length, "the diff from the attempt before").to.be.greaterThan(0);
    expect(added.join("\n"), "the fix defines what was missing").to.include("request");
    expect(await page.locator("article.attempt.failed .line.failing").count(), "failing lines marked").to.be.greaterThan(0);
    expect(await page.locator(".frame.own details[open]").count(), "the script's own frames open").to.be.greaterThan(0);
    expect(await page.locator(".frame.library details:not([open])").count(), "library frames folded").to.be.greaterThan(0);
    await shot("session");
  });

  it("filters failures by category with htmx, keeps the filter in the URL, and back returns to the unfiltered list", async () => {
    await visit(page, `${server.url}/failures`);
    const all = await page.locator("#results tbody tr").count();
    await page.getByLabel("Category").selectOption("name_error");
    await page.waitForURL(/\/failures\?category=name_error$/);
    const rows = page.locator("#results tbody tr");
    await until(async () => (await rows.count()) < all);
    expect(new Set(await rows.locator("td:nth-child(3) .muted").allTextContents())).to.deep.equal(new Set(["name_error"]));
    const filtered = await rows.count();
    expect(filtered).to.equal(12).and.be.lessThan(all);
    await shot("failures-filtered");
    await page.goBack();
    await page.waitForURL(/\/failures$/);
    await until(async () => (await rows.count()) === all);
    await page.goForward();
    await page.waitForURL(/\/failures\?category=name_error$/);
  });

  it("filters sessions without JavaScript too: the form is a plain GET", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    try {
      const plain = await context.newPage();
      await visit(plain, `${server.url}/sessions`);
      await plain.getByLabel("Outcome").selectOption("false");
      await Promise.all([plain.waitForURL(/resolved=false/), plain.getByRole("button", { name: "Apply" }).click()]);
      const outcomes = await plain.locator("#results tbody tr td:nth-child(4)").allTextContents();
      expect(outcomes.length).to.be.greaterThan(0);
      expect(new Set(outcomes)).to.deep.equal(new Set(["unresolved"]));
    } finally {
      await context.close();
    }
  });

  it("renders hostile stderr, code and prompts as text: no element is injected and no dialog fires", async () => {
    const hostile = {
      status: "failed",
      log_id: "xss-1",
      session_id: "xss-session",
      code: `print("${SCRIPT_PAYLOAD}")\nx = "${IMG_PAYLOAD}"\nraise ValueError(x)\n`,
      user_prompt: `Draw ${IMG_PAYLOAD} ${SCRIPT_PAYLOAD}`,
      image_filename: `${IMG_PAYLOAD}.png`,
      stderr: `Traceback (most recent call last):\n  File "/tmp/main.py", line 3, in <module>\n    raise ValueError(x)\nValueError: ${IMG_PAYLOAD} ${SCRIPT_PAYLOAD}\n`,
      return_code: 1,
    };
    expect((await post(`${server.url}/api/logs/attempts`, hostile)).status).to.equal(201);
    const fixed = {
      status: "success",
      previous_attempt_id: "xss-1",
      log_id: "xss-2",
      code: `print("${SCRIPT_PAYLOAD}")\n`,
      stdout: IMG_PAYLOAD,
    };
    expect((await post(`${server.url}/api/logs/attempts`, fixed)).status).to.equal(201);

    for (const url of ["/log/xss-1", "/log/xss-2", "/sessions/xss-session", "/failures", "/patterns", "/"]) {
      await visit(page, `${server.url}${url}`);
      expect(await page.locator("img").count(), `${url}: no <img> was injected`).to.equal(0);
      const scripts = await page.locator("script").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("src")));
      expect(scripts, `${url}: only htmx and its SSE extension`).to.deep.equal(["/assets/htmx.min.js", "/assets/htmx-ext-sse.min.js"]);
      // Patterns keep the text but number placeholders: `alert(<N>)`.
      expect(await page.locator("main").textContent(), `${url}: shown as text`).to.include("<img src=x onerror=alert(");
    }
    await visit(page, `${server.url}/log/xss-1`);
    expect(await page.locator("main").textContent()).to.include(SCRIPT_PAYLOAD);
    expect(ui.dialogs, "no alert() ran").to.deep.equal([]);
    await shot("log-hostile");
  });

  it("says what to do where there is no data yet", async () => {
    for (const [url, name] of [
      ["/", "empty-overview"],
      ["/sessions", "empty-sessions"],
      ["/failures", "empty-failures"],
      ["/context", "empty-context"],
    ]) {
      await visit(page, `${emptyServer.url}${url}`);
      const text = await page.locator("main").textContent();
      expect(text, url).to.include(`curl -s -X POST ${emptyServer.url}/api/logs/attempts`);
      await shot(name);
    }
  });

  it("renders every page, readable at 390 px without sideways scrolling, with a skip link for the keyboard", async () => {
    const fingerprint = (await get(`${server.url}/api/logs/error-patterns`)).body.error_patterns[0].fingerprints[0];
    const pages: Array<[string, string, number]> = [
      ["/successes", "successes", 200],
      ["/sessions", "sessions", 200],
      [`/patterns/${fingerprint}`, "pattern-first", 200],
      ["/log/xss-1", "log", 200],
      ["/context", "context", 200],
      ["/audit", "audit", 200],
      ["/experiments/e1", "experiment", 404],
      ["/no/such/page", "not-found", 404],
    ];
    for (const [url, name, status] of pages) {
      const response = await visit(page, `${server.url}${url}`);
      expect(response!.status(), url).to.equal(status);
      expect(await page.locator("h1").count(), `${url}: one heading`).to.equal(1);
      await shot(name);
    }
    ui.errors.length = 0; // the 404s above are logged by the browser as failed loads, as they should be

    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const url of ["/", "/patterns", "/sessions/xss-session", "/failures", "/context", "/audit"]) {
        await visit(page, `${server.url}${url}`);
        const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        expect(overflow, `${url} fits 390 px`).to.be.at.most(0);
      }
      await shot("audit-390");
      await visit(page, `${server.url}/`);
      await page.keyboard.press("Tab");
      expect(await page.evaluate("document.activeElement.textContent")).to.equal("Skip to content");
      await page.keyboard.press("Enter");
      expect(await page.evaluate("document.activeElement.id")).to.equal("main");
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});
