// Debian's chromium driven by playwright-core for the console's tests: launched, never downloaded, never skipped
// (a console that cannot be tested in a browser is a failed test).
import { expect } from "chai";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { REPO_ROOT } from "./corpus.js";
import { readModelsCaughtUp } from "./server.js";

export const SCREENSHOTS = path.join(REPO_ROOT, "test-output/console");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

/** A 1280 px page whose dialogs (dismissed) and script errors, CSP violations and failed loads are recorded. */
export async function watchedPage(browser: Browser, dialogs: string[], errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  return page;
}

/** Opens a page of the console once its read models hold what the test wrote (writes are answered first). */
export async function visit(page: Page, url: string) {
  await readModelsCaughtUp(url);
  return page.goto(url);
}

/** The viewport only (a long page costs seconds in full); caret "initial": hiding it would inject a style, which the CSP refuses. */
export function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), caret: "initial" });
}

export interface BrowserUnderTest {
  browser: Browser;
  page: Page;
  /** Messages of the dialogs that opened: an XSS would show here. */
  dialogs: string[];
  /** Script errors, CSP violations and failed loads; a test that expects a failed load (a 404) clears them. */
  errors: string[];
}

/**
 * Registers a describe block's browser hooks: chromium and a watched page before its tests, closed after them,
 * and after each test, no script error, CSP violation or failed load, and no dialog.
 */
export function browserUnderTest(): BrowserUnderTest {
  const ui = { dialogs: [], errors: [] } as unknown as BrowserUnderTest;
  before(async () => {
    ui.browser = await launchChromium();
    ui.page = await watchedPage(ui.browser, ui.dialogs, ui.errors);
  });
  after(async () => {
    await ui.browser?.close();
  });
  afterEach(() => {
    expect(ui.errors, "no script error, no CSP violation, no failed load").to.deep.equal([]);
    expect(ui.dialogs, "no dialog opened").to.deep.equal([]);
  });
  return ui;
}
