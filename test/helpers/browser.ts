// A real headless Chromium for tests (Debian's `chromium`, driven by puppeteer-core): one browser
// per test file, with a fresh profile, stopped with the test and killed with the test process if
// that ends first. No browser is ever downloaded: a missing one fails the test and says how to
// install it, it is never skipped.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Test } from 'tap';
import { root } from './fixtures.js';
import { reapGroup } from './reaper.js';
import { tempDir } from './tmp.js';

// The project compiles without the DOM library; these run inside the page.
declare const document: {
  addEventListener(type: string, fn: (e: { effectiveDirective: string; blockedURI: string }) => void): void;
};

/** Where the browser is: `CCR_CHROMIUM`, or Debian's package. */
export const chromiumPath = process.env['CCR_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why the browser cannot be used, or null when it is there. */
export function browserMissing(): string | null {
  if (existsSync(chromiumPath)) return null;
  return (
    `expected a Chromium at ${chromiumPath}, found none: install Debian's package (apt-get install chromium; ` +
    '.ci/run does it) or point CCR_CHROMIUM at one'
  );
}

// The closed network here refuses connections, and a browser that tries them (updates, field
// trials, safe browsing, sync) is slow to start and noisy: all of that is off.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-dev-shm-usage',
  '--no-default-browser-check',
  '--mute-audio',
  '--hide-scrollbars',
];

/** Start Chromium for this test; it is closed when the test ends. */
export async function launchBrowser(t: Test): Promise<Browser> {
  const missing = browserMissing();
  if (missing) throw new Error(missing);
  const profile = tempDir(t, 'ccr-chromium-');
  const browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    pipe: true,
    args: FLAGS,
    userDataDir: profile,
    // A busy machine can take long to start a browser; these only bound a hang.
    timeout: 120_000,
    protocolTimeout: 120_000,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const pid = browser.process()?.pid;
  // puppeteer starts the browser in a process group of its own (detached).
  const forget = pid !== undefined ? reapGroup(pid) : () => {};
  t.teardown(async () => {
    await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
    forget();
  });
  return browser;
}

/** The folder of this run's artefacts (screenshots), ignored by git: `artifacts/<what>/`. */
export function artifactsDir(what: string): string {
  const dir = join(root, 'artifacts', what);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** What a page did while it was loaded: requests, console errors, policy violations, script errors. */
export interface PageWatch {
  requests: Array<{ url: string; type: string }>;
  consoleErrors: string[];
  pageErrors: string[];
  /** Content-Security-Policy violations the page reported (directive and blocked URL). */
  violations(): Promise<string[]>;
}

/**
 * Watch a new page: every request it makes is recorded and only those to `allowedOrigin` go
 * through (any other is aborted, so nothing leaves the machine even if a page asked for it);
 * console errors, uncaught errors and CSP violations are collected.
 */
export async function watchPage(page: Page, allowedOrigin: string): Promise<PageWatch> {
  const watch = { requests: [] as PageWatch['requests'], consoleErrors: [] as string[], pageErrors: [] as string[] };
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    watch.requests.push({ url: req.url(), type: req.resourceType() });
    if (new URL(req.url()).origin === allowedOrigin) void req.continue();
    else void req.abort('blockedbyclient');
  });
  page.on('console', (m) => {
    if (m.type() === 'error') watch.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => {
    watch.pageErrors.push(String(e));
  });
  // Runs through the DevTools protocol before any of the page does: not subject to its policy.
  await page.evaluateOnNewDocument(() => {
    const seen: string[] = [];
    (globalThis as unknown as { __ccrViolations: string[] }).__ccrViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => {
      seen.push(`${e.effectiveDirective} ${e.blockedURI}`);
    });
  });
  return {
    ...watch,
    violations: () =>
      page.evaluate(() => {
        return (globalThis as unknown as { __ccrViolations?: string[] }).__ccrViolations ?? [];
      }),
  };
}
