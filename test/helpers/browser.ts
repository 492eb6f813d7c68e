import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Screenshots that browser tests take, for people to look at. Not tracked (test-output/ is
 * ignored), so a test run leaves the tree clean; the ones worth keeping are copied to
 * docs/screenshots/, which README shows.
 */
export const SCREENSHOT_DIR = resolve(__dirname, '../../test-output/screenshots');

/**
 * Skips the calling suite, saying why, where Chromium is not installed. Under CI (`.ci/run`
 * installs it and sets CI) a missing Chromium is a failure: a skipped browser suite proves nothing.
 */
export function skipWithoutChromium(suite: Mocha.Context): void {
  if (existsSync(CHROMIUM_PATH)) return;
  if (process.env.CI) throw new Error(`Chromium (Debian chromium) is not installed at ${CHROMIUM_PATH}: the browser suites cannot run`);
  console.log('      (skipped: Chromium is not installed; apt-get install chromium, or run .ci/run)');
  suite.skip();
}

/**
 * A headless Chromium for browser tests. The machine has no network beyond localhost: the
 * background-networking flags stop Chromium from trying (and failing) to reach Google at start.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Path for a screenshot named after what it shows, e.g. `chat-after-reload`. */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}

/**
 * What went wrong on a page that a user would not see but a test must: a script dialog (an
 * injected `alert`), console errors (a CSP violation, a failed request), uncaught exceptions.
 */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return problems;
}

/** Registers in the calling `describe` one Chromium for all its tests (skipped, or failed under CI, where there is none). */
export function chromiumForSuite(): () => Browser {
  let browser: Browser | undefined;
  before(async function () {
    skipWithoutChromium(this);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium was not started');
    return browser;
  };
}
