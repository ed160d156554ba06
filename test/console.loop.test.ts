// The console's learning-loop pages in a real browser (Debian's chromium via playwright-core): context versions
// and their diff, each rule's effect, experiments with their verdicts, the overview's anomalies and running
// experiments, sessions filtered by context version, and the side-by-side diff of a session. The data are made
// through the REST API of a real server: published contexts, experiments, and attempts tagged with them.
// Screenshots go to test-output/console/.
import { expect } from "chai";
import path from "node:path";
import type { Browser, Locator, Page } from "playwright-core";
import type { RunningServer } from "../src/cli/serve.js";
import { browserUnderTest, screenshot, visit } from "./helpers/browser.js";
import { MAKEDIR_RULE, makedirFailure as failure, makedirFix as fix } from "./helpers/makedir.js";
import { get, post, removeTempDirs, startInProcess, tempDir } from "./helpers/server.js";

const IMG_PAYLOAD = "<img src=x onerror=alert(1)>";
const SCRIPT_PAYLOAD = "</script><script>alert(2)</script>";

// These tests name their attempts.
const makedirFailure = (log_id: string, session_id: string, extra: object = {}) => failure(session_id, { log_id, ...extra });
const makedirFix = (log_id: string, session_id: string, extra: object = {}) => fix(session_id, { log_id, ...extra });
/** A failure whose error message is hostile markup: the rule derived from its pattern quotes it. */
const hostileFailure = (log_id: string, session_id: string) => ({
  status: "failed",
  log_id,
  session_id,
  code: `import json\njson.loads("${IMG_PAYLOAD}")\n`,
  stderr: `Traceback (most recent call last):\n  File "/tmp/job/main.py", line 2, in <module>\nValueError: bad ${IMG_PAYLOAD} ${SCRIPT_PAYLOAD}\n`,
  return_code: 1,
});

/** An element's text as a reader sees it: white space collapsed, trimmed. */
const text = async (locator: Locator) => ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
const texts = async (locator: Locator) => (await locator.allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());

describe("web console: contexts, experiments, anomalies (chromium)", function () {
  this.timeout(60_000);
  let server: RunningServer;
  const ui = browserUnderTest();
  let browser: Browser;
  let page: Page;
  const controlSessions = ["c1", "c2", "c3", "c4"];
  const candidateSessions = ["k1", "k2", "k3", "k4"];

  const attempt = async (body: object) => expect((await post(`${server.url}/api/logs/attempts`, body)).status).to.equal(201);

  before(async () => {
    server = await startInProcess(path.join(tempDir(), "events"));
    // Given two failure → fix sessions (the makedir rule is a verified fix) and two of a hostile error message,
    for (const s of ["s1", "s2"]) {
      await attempt(makedirFailure(`${s}-f`, s));
      await attempt(makedirFix(`${s}-ok`, s));
      await attempt(hostileFailure(`${s}-x`, `${s}-hostile`));
    }
    // ctx-1, the generated context, is current; ctx-2 adds a hostile line by hand and is a candidate,
    const first = await post(`${server.url}/api/contexts`, { note: "generated" });
    expect(first.body.context.rule_ids).to.include(MAKEDIR_RULE);
    const second = await post(`${server.url}/api/contexts`, {
      text: `${first.body.context.text.replace(/\n$/, "")}\n- Never write ${IMG_PAYLOAD} ${SCRIPT_PAYLOAD}\n`,
      make_current: false,
      note: `hand-written ${IMG_PAYLOAD}`,
    });
    expect(second.body.context).to.include({ version: "ctx-2", parent_version: "ctx-1" });
    // an experiment between them with 4 sessions a variant (control: 1 of 4 first attempts succeed, candidate: 4 of 4),
    const experiment = (id: string) => ({
      id,
      variants: [
        { name: "control", context_version: "ctx-1" },
        { name: "candidate", context_version: "ctx-2" },
      ],
      min_sessions_per_variant: 3,
    });
    expect((await post(`${server.url}/api/experiments`, experiment("exp-1"))).status).to.equal(201);
    for (const [i, s] of controlSessions.entries()) {
      const tag = { context_version: "ctx-1", experiment: "exp-1", variant: "control" };
      if (i > 0) await attempt(makedirFailure(`${s}-f`, s, tag));
      await attempt(makedirFix(`${s}-ok`, s, { ...tag, previous_attempt_id: i > 0 ? `${s}-f` : undefined }));
    }
    for (const s of candidateSessions)
      await attempt(makedirFix(`${s}-ok`, s, { context_version: "ctx-2", experiment: "exp-1", variant: "candidate" }));
    // and a second experiment that has no session yet.
    expect((await post(`${server.url}/api/experiments`, experiment("exp-2"))).status).to.equal(201);

    ({ browser, page } = ui);
  });

  after(async () => {
    await server?.stop();
    removeTempDirs();
  });

  const shot = (name: string) => screenshot(page, name);

  /** Nothing hostile became markup: no <img>, and only the console's own scripts. */
  async function expectNoInjection(where: string) {
    expect(await page.locator("img").count(), `${where}: no <img> was injected`).to.equal(0);
    const scripts = await page.locator("script").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("src")));
    expect(scripts, `${where}: only htmx and its SSE extension`).to.deep.equal(["/assets/htmx.min.js", "/assets/htmx-ext-sse.min.js"]);
  }

  it("shows the current context version, every version with its figures, and the diff of the newest from its parent", async () => {
    await visit(page, `${server.url}/context`);
    expect(await text(page.locator("#current"))).to.include("ctx-1");
    expect(await text(page.locator("#current ~ pre.context"))).to.include("makedir");
    const rows = page.locator("#versions ~ div table tbody tr");
    expect(await rows.count()).to.equal(2);
    // ctx-1: 4 control sessions (and none other), 1 of 4 first attempts succeeded
    const ctx1 = page.locator("tr#version-ctx-1");
    expect(await text(ctx1.locator("td").nth(0))).to.equal("current");
    expect(await text(ctx1.locator("td").nth(3))).to.equal("4");
    expect(await text(ctx1.locator("td").nth(4))).to.match(/^25% \(95% CI \d+%–\d+%\) · 1 of 4$/);
    expect(await text(page.locator("tr#version-ctx-2 td").nth(0))).to.equal("candidate");

    // By default the newest version against its parent: the hand-written line is added, as text.
    const added = await texts(page.locator("#diff ~ div table.diff tr.ins td code"));
    expect(added).to.deep.equal([`- Never write ${IMG_PAYLOAD} ${SCRIPT_PAYLOAD}`]);
    await expectNoInjection("/context");
    expect(await text(page.locator("main"))).to.include(`hand-written ${IMG_PAYLOAD}`);
    await shot("context-versions");
  });

  it("compares any two versions side by side, the choice kept in the URL", async () => {
    await visit(page, `${server.url}/context`);
    await page.getByRole("combobox", { name: /^From/ }).selectOption("ctx-2");
    await page.getByRole("combobox", { name: /^To/ }).selectOption("ctx-1");
    await Promise.all([page.waitForURL(/\/context\?from=ctx-2&to=ctx-1/), page.getByRole("button", { name: "Compare" }).click()]);
    expect(await texts(page.locator("#diff ~ div table.diff tr.del td code"))).to.deep.equal([
      `- Never write ${IMG_PAYLOAD} ${SCRIPT_PAYLOAD}`,
    ]);
    await Promise.all([page.waitForURL(/diff=split/), page.getByRole("link", { name: "side by side" }).click()]);
    expect(new URL(page.url()).searchParams.get("from")).to.equal("ctx-2");
    const split = page.locator(".diff-split table.diff.split");
    expect(await split.isVisible()).to.equal(true);
    expect(await texts(split.locator("thead th"))).to.deep.equal(["ctx-2, line", "ctx-2", "ctx-1, line", "ctx-1"]);
    expect(await texts(split.locator("td.del code"))).to.deep.equal([`- Never write ${IMG_PAYLOAD} ${SCRIPT_PAYLOAD}`]);
    await expectNoInjection("/context?diff=split");
    await shot("context-diff-split");
  });

  it("shows each rule's evidence and effect: failure rates with and without it, and the failures despite it", async () => {
    await visit(page, `${server.url}/context`);
    const rule = page.locator("table.rules tbody tr", { hasText: "makedir" }).first();
    const cells = rule.locator("td");
    expect(await text(cells.nth(1))).to.match(/^verified fix: \d+ failures in \d+ sessions/);
    expect(await text(cells.nth(2))).to.equal("ctx-2, ctx-1");
    // Its pattern failed in 3 of the 8 attempts made with a context containing it (with the rule); none without.
    expect(await text(cells.nth(3))).to.match(/^27% \(95% CI \d+%–\d+%\) · 3 of 11$/);
    expect(await text(cells.nth(4))).to.equal("no data");
    expect(await text(cells.nth(5))).to.include("not enough data");
    expect(await text(cells.nth(6))).to.match(/^3 failures in 3 sessions; latest c\d-f under ctx-1$/);
    // The hostile pattern's rule renders as text.
    expect(await text(page.locator("table.rules"))).to.include("<img src=x onerror=alert(");
    await expectNoInjection("/context rules");
    await page.locator("#rules").scrollIntoViewIfNeeded();
    await shot("context-rules");
  });

  it("lists experiments and shows one's variants with Wilson intervals, the stated test and the verdict", async () => {
    await visit(page, `${server.url}/experiments`);
    const list = page.locator("main table tbody tr");
    expect(await list.count()).to.equal(2);
    expect(await text(list.first().locator("td").last())).to.equal("collecting data");
    await shot("experiments");
    await page.getByRole("link", { name: "exp-1" }).click();
    await page.waitForURL(/\/experiments\/exp-1$/);
    const variants = page.locator("#variants ~ div table tbody tr");
    expect(await texts(variants.locator("th"))).to.deep.equal(["control", "candidate"]);
    const control = variants.nth(0).locator("td");
    expect(await text(control.nth(2))).to.equal("4");
    expect(await text(control.nth(3))).to.match(/^25% \(95% CI \d+%–\d+%\) · 1 of 4$/);
    expect(await text(control.nth(5))).to.equal("1.75");
    const candidate = variants.nth(1).locator("td");
    expect(await text(candidate.nth(3))).to.match(/^100% \(95% CI \d+%–100%\) · 4 of 4$/);
    expect(Number.parseFloat(await text(candidate.nth(6)))).to.be.above(90);
    // 1 of 4 against 4 of 4: Fisher's exact test, p = 0.14, not below 0.05 with enough sessions in both.
    expect(await text(page.locator("p.verdict"))).to.match(/^no difference Fisher's exact test, p = 0\.14 ≥ 0\.05/);
    await shot("experiment");

    await visit(page, `${server.url}/experiments/exp-2`);
    expect(await text(page.locator("p.verdict"))).to.match(
      /^no verdict yet each variant needs 3 sessions \(still short:\s+control: 0, candidate: 0\)/,
    );
    const missing = await visit(page, `${server.url}/experiments/nope`);
    expect(missing!.status()).to.equal(404);
    ui.errors.length = 0; // the browser logs the 404 as a failed load, as it should
  });

  it("shows open anomalies and running experiments on the overview, with links", async () => {
    await visit(page, `${server.url}/`);
    const anomalies = page.locator("#anomalies ~ div table tbody tr");
    const api = (await get(`${server.url}/api/logs/anomalies`)).body.anomalies as Array<{ pattern: string }>;
    expect(api.length, "the new patterns just posted").to.be.greaterThan(0);
    expect(await anomalies.count()).to.equal(api.length);
    expect(await texts(anomalies.locator("td:nth-child(2)"))).to.deep.equal(api.map((a) => a.pattern));
    const running = page.locator("#running ~ ul li");
    expect(await texts(running.locator("a"))).to.deep.equal(["exp-2", "exp-1"]);
    await expectNoInjection("/");
    await page.locator("#anomalies").scrollIntoViewIfNeeded();
    await shot("overview-anomalies");
    await running.getByRole("link", { name: "exp-1" }).click();
    await page.waitForURL(/\/experiments\/exp-1$/);
    await page.goBack();
    await page.waitForURL(new RegExp(`${server.url}/$`));
    await anomalies.first().locator("td:nth-child(2) a").click();
    await page.waitForURL(/\/patterns\/[0-9a-f]{16}$/);
  });

  it("filters sessions by context version, without JavaScript too", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    try {
      const plain = await context.newPage();
      await visit(plain, `${server.url}/sessions`);
      await plain.getByLabel("Context version").selectOption("ctx-2");
      await Promise.all([plain.waitForURL(/[?&]context=ctx-2(&|$)/), plain.getByRole("button", { name: "Apply" }).click()]);
      const ids = await texts(plain.locator("#results tbody tr td:first-child a"));
      expect(ids.sort()).to.deep.equal(candidateSessions);
      expect(new Set(await texts(plain.locator("#results tbody tr td:last-child")))).to.deep.equal(new Set(["ctx-2"]));
      await visit(plain, `${server.url}/sessions?context=none`);
      const untagged = await texts(plain.locator("#results tbody tr td:first-child a"));
      expect(untagged.sort()).to.deep.equal(["s1", "s1-hostile", "s2", "s2-hostile"]);
      expect((await visit(plain, `${server.url}/sessions?context=<b>`))!.status(), "a malformed version is refused").to.equal(400);
    } finally {
      await context.close();
    }
  });

  it("shows a session's diffs side by side on request, as unified below 760 px, and switches without JavaScript", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    try {
      const plain = await context.newPage();
      await visit(plain, `${server.url}/sessions/c2`);
      expect(await plain.locator("table.diff.split").count(), "unified by default").to.equal(0);
      await plain.getByRole("link", { name: "side by side" }).click();
      await plain.waitForURL(/\/sessions\/c2\?diff=split#timeline$/);
      const split = plain.locator("#attempt-2 table.diff.split");
      expect(await split.isVisible()).to.equal(true);
      expect(await text(split.locator("caption"))).to.match(/attempt 1 → attempt 2: 1 added, 1 removed/);
      const change = split.locator("tbody tr.change");
      expect(await text(change.locator("td.del code"))).to.equal("os.makedir('out')");
      expect(await text(change.locator("td.ins code"))).to.equal("os.makedirs('out', exist_ok=True)");
      await split.scrollIntoViewIfNeeded();
      await screenshot(plain, "session-split");

      await plain.setViewportSize({ width: 390, height: 844 });
      expect(await split.isVisible(), "no room side by side").to.equal(false);
      expect(await plain.locator("#attempt-2 .diff-narrow table.diff").isVisible()).to.equal(true);
      const overflow = await plain.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
      expect(overflow, "fits 390 px").to.be.at.most(0);
      await screenshot(plain, "session-split-390");
      await plain.getByRole("link", { name: "unified" }).click();
      await plain.waitForURL(/\/sessions\/c2#timeline$/);
      expect(await plain.locator("table.diff.split").count()).to.equal(0);
    } finally {
      await context.close();
    }
  });

  it("the new pages fit 390 px", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      for (const url of ["/context", "/context?diff=split", "/experiments", "/experiments/exp-1", "/"]) {
        await visit(page, `${server.url}${url}`);
        const overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        expect(overflow, `${url} fits 390 px`).to.be.at.most(0);
      }
      await shot("experiment-390");
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it("says what to do where there are no versions or experiments yet", async () => {
    const empty = await startInProcess(path.join(tempDir(), "events"));
    try {
      await visit(page, `${empty.url}/experiments`);
      expect(await text(page.locator("main .empty h2"))).to.equal("No experiments yet");
      expect(await text(page.locator("main"))).to.include(`curl -s -X POST ${empty.url}/api/experiments`);
      await shot("empty-experiments");
      // With a rule but no version published, the context page shows how to publish one.
      await post(`${empty.url}/api/logs/attempts`, makedirFailure("e-f", "e"));
      await post(`${empty.url}/api/logs/attempts`, makedirFix("e-ok", "e", { previous_attempt_id: "e-f" }));
      await visit(page, `${empty.url}/context`);
      expect(await text(page.locator("#current ~ .empty h2"))).to.equal("No version published yet");
      expect(await text(page.locator("main"))).to.include(`curl -s -X POST ${empty.url}/api/contexts`);
      await shot("empty-context-versions");
    } finally {
      await empty.stop();
    }
  });
});
