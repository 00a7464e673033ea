// The web view in a real headless Chromium, served by the real server: a record is made there
// (API, a clone, the library, a git push) and its pages are read through GET /records/<id> as a
// browser does, signing in when the server asks (Basic). Only bodies no validator lets onto main
// (and a control page that breaks the policy on purpose) are rendered by server/web/ and served,
// with the same headers, by a small server in this test. One browser for the file; every request a
// page makes is watched and only those to the page's own origin go through. Screenshots are kept
// in artifacts/web/ (docs/web-thread.png is one of them, kept in the repository).

import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import t, { type Test } from 'tap';
import {
  formatTimestamp,
  type MessageId,
  type ParticipantId,
  type RecordId,
  type ThreadId,
  type Timestamp,
} from '../../core/ids.js';
import type { Ledger } from '../../core/ledger.js';
import type { Message } from '../../core/messages/grammar.js';
import {
  pageHeaders,
  parseWebPath,
  renderErrorPage,
  renderThreadPage,
  webPaths,
  type RecordSummary,
  type ThreadView,
} from '../../server/web/index.js';
import { CoordinationService } from '../../service/CoordinationService.js';
import { artifactsDir, browserMissing, chromiumPath, launchBrowser, watchPage } from '../helpers/browser.js';
import { gitOk } from '../helpers/git.js';
import { as, committer, jane, john, place, tom } from '../helpers/people.js';
import { castPrincipals, testServer, type Creds } from '../helpers/server.js';
import { tempDir } from '../helpers/tmp.js';

// The project compiles without the DOM library; these run inside the page.
declare const document: any;
declare const window: any;
declare function getComputedStyle(el: unknown, pseudo?: string): any;

/** Loopback, but another origin than the pages: what hostile bodies point at. Never reached. */
const ELSEWHERE = 'http://127.0.0.2:9';

/** What john, a patient, typed: markup, script, tracking, links that run code (written by the library). */
const typedByPatient = [
  `Thank you. <script>window.pwned = 1</script> <img src="${ELSEWHERE}/pixel.gif" onerror="window.pwned = 2">`,
  '',
  `[Click for results](javascript:window.pwned=3) and ![tracking pixel](${ELSEWHERE}/t.gif) and ` +
    '[a chart](data:text/html;base64,PHNjcmlwdD53aW5kb3cucHduZWQ9NDwvc2NyaXB0Pg==)',
  '',
  '&lt;b&gt;not bold&lt;/b&gt; <svg onload="window.pwned = 4"></svg> ' +
    `<form action="${ELSEWHERE}/"><input name="nhs"></form>`,
].join('\n');

/** Bodies no validator lets onto main (raw HTML, hidden characters), rendered anyway: the last line of defence. */
const unchecked = [
  '<script>window.pwned = 5</script>\n\n<img src=x onerror="window.pwned = 6">',
  `<meta http-equiv="refresh" content="0;url=${ELSEWHERE}/"><base href="${ELSEWHERE}/">` +
    `<link rel="stylesheet" href="${ELSEWHERE}/x.css">`,
  `<style>@import url(${ELSEWHERE}/x.css); body{background:url(${ELSEWHERE}/bg.png)}</style>`,
  `<a href="javascript:window.pwned=7">click</a> <iframe src="${ELSEWHERE}/"></iframe> ` +
    `<object data="${ELSEWHERE}/x.swf"></object>`,
  '<svg><a href="javascript:window.pwned=8"><text>svg link</text></a></svg> ' +
    '[proto](//127.0.0.2:9/x) [rel](/api/principals)',
  'Hidden\u200Btext and a reversed \u202Eelbisiv\u202C word; ' + 'averyveryverylongwordwithoutanybreak'.repeat(6),
  `A long address: https://results.example.org/${'segment/'.repeat(20)}end and \`${'code'.repeat(40)}\``,
];

const missing = browserMissing();
t.test('a Chromium to test in is installed (never skipped)', async (t) => {
  t.equal(missing, null, missing ?? `Chromium at ${chromiumPath}`);
});
if (!missing) t.test('the web view in a real Chromium', browserTests);

/** What the record server holds and who reads it. */
interface Made {
  origin: string;
  admin: Creds;
  john: Creds;
  summary: RecordSummary;
  threads: ThreadView[];
  open: ThreadId;
  closed: ThreadId;
  archived: ThreadId;
}

/**
 * The record on a real server: three threads (open with a correction and hostile text, john's;
 * closed, restricted and clinician-only; archived).
 */
async function makeRecord(t: Test): Promise<Made> {
  const s = await testServer(t);
  const { john: johnCreds } = await castPrincipals(s);
  const rec = await s.record({
    participants: [jane, tom, john],
    message: {
      author_id: jane.participant_id,
      body:
        'Patient reports increasing **shortness of breath**.\n\nPlease review the chest X-ray ' +
        'on [the imaging portal](https://imaging.example.org/study/123) and advise.',
    },
  });
  const id = rec.id as RecordId;
  const open = rec.thread as ThreadId;
  const work = tempDir(t);
  await gitOk(work, ['clone', '-q', s.gitUrl(id, s.admin), 'c']);
  const svc = await CoordinationService.at(`${work}/c`);
  const first = (await svc.readThread(open)).messages[0]!;
  const reviewed = 'Reviewed. Suggest:\n\n1. repeat spirometry\n2. follow-up in *two weeks*';
  await svc.addMessage(committer, place, open, { author: as(tom), body: reviewed });
  const correction = 'Correction: the X-ray is from 10 January, not 11 January.';
  await svc.addMessage(committer, place, open, { author: as(jane), corrects: first.id, body: correction });
  await svc.addMessage(committer, place, open, { author: as(john), body: typedByPatient });
  const concern = { author: as(jane), body: 'Safeguarding concern, details by phone.' };
  const closed = await svc.createThread(committer, place, [jane, tom], concern);
  const confidential = { sensitivity: 'confidential', restricted: true } as const;
  await svc.updateThreadLedger(committer, place, closed, { by: as(jane), visibility: confidential });
  await svc.updateThreadLedger(committer, place, closed, { by: as(jane), status: 'closed' });
  const old = { author: as(jane), body: 'Old referral, superseded.' };
  const archived = await svc.createThread(committer, place, [jane], old);
  await svc.updateThreadLedger(committer, place, archived, { by: as(jane), status: 'archived' });
  await gitOk(`${work}/c`, ['push', '-q', 'origin', 'main']);
  const answer = await s.api('GET', `/api/records/${id}`, s.admin);
  t.equal(answer.status, 200, 'the record summary comes from the JSON API');
  const summary = answer.body as RecordSummary;
  const threads = await Promise.all(
    summary.threads.map(async (x) => {
      const { ledger, messages } = await svc.readThread(x.thread_id);
      return { record: id, ledger, messages };
    }),
  );
  return { origin: s.url, admin: s.admin, john: johnCreds, summary, threads, open, closed, archived };
}

/** A thread of another record, with bodies that bypassed every rule. */
function uncheckedThread(): ThreadView {
  const record = '0d15ea5e-0000-4000-8000-000000000000' as RecordId;
  const evil = {
    participant_id: 'e0000000-0000-4000-8000-000000000001' as ParticipantId,
    role: 'clinician' as const,
    display_name: 'Dr \u202Eevil\u202C <b>Mallory</b>',
  };
  const ledger: Ledger = {
    thread_id: '20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000' as ThreadId,
    status: 'open',
    created_at: '2026-01-11T14:35:22.045Z' as Timestamp,
    last_updated_at: '2026-01-11T15:10:04.912Z' as Timestamp,
    participants: [evil],
    visibility: { sensitivity: 'standard', restricted: false },
    policies: { allow_patient_participation: true, allow_external_organisations: true },
  };
  const messages: Message[] = unchecked.map((body, i) => ({
    id: `a0000000-0000-4000-8000-00000000000${i}` as MessageId,
    type: 'clinician',
    timestamp: `2026-01-11T14:4${i}:00.000Z` as Timestamp,
    authorId: evil.participant_id,
    author: evil.display_name,
    body,
  }));
  return { record, ledger, messages };
}

/**
 * Pages no record server would serve (bodies that bypassed the rules), with the real headers,
 * and one deliberately broken page.
 */
async function pageServer(t: Test, threads: ThreadView[]): Promise<string> {
  const context = () => ({ viewer: 'admin', at: formatTimestamp(Date.now()) });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const page = parseWebPath(path);
    const thread =
      page?.page === 'thread' && threads.find((x) => x.record === page.record && x.ledger.thread_id === page.thread);
    let html: string | undefined;
    if (thread) html = renderThreadPage(thread, context());
    else if (path === '/control') {
      // A page that breaks the policy on purpose: the watch must see it, or its silence means nothing.
      const injected = `<script>window.ran = 1</script><img src="${ELSEWHERE}/x.png"></main>`;
      html = renderErrorPage('Control', 'x').replace('</main>', injected);
    }
    res.writeHead(html ? 200 : 404, pageHeaders());
    res.end(html ?? renderErrorPage('Not found', 'There is no such page.'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the page server has no port');
  return `http://127.0.0.1:${address.port}`;
}

/**
 * A new page in a browser context of its own (a browser remembers who signed in to a site: each
 * reader starts afresh), signing in as `creds` when the server asks; closed with the test,
 * patient with a busy machine.
 */
async function newPage(t: Test, browser: Browser, creds: Creds | null = null): Promise<Page> {
  const context = await browser.createBrowserContext();
  t.teardown(() => context.close().catch(() => undefined));
  const page = await context.newPage();
  if (creds) await page.authenticate({ username: creds.name, password: creds.token });
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(60_000);
  await page.setViewport({ width: 900, height: 900 });
  return page;
}

/** Click a link and wait for the page it leads to. */
async function follow(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

/** WCAG contrast of every element holding text, in the page's current scheme: the worst ones. */
function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: any): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3]! > 0)) return c;
      }
      return rgb(getComputedStyle(document.documentElement).backgroundColor || 'rgb(255,255,255)');
    };
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, 4);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.nodeValue.trim() || seen.has(el)) continue;
      seen.add(el);
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const what = `${el.tagName.toLowerCase()}.${el.className}`;
      if (ratio < 4.5) out.push(`${what}: ${ratio.toFixed(2)} "${n.nodeValue.trim().slice(0, 30)}"`);
    }
    return out;
  });
}

async function browserTests(t: Test): Promise<void> {
  const { origin, admin, john: johnCreds, summary, threads, open, closed, archived } = await makeRecord(t);
  const hostile = uncheckedThread();
  const elsewhere = await pageServer(t, [hostile]);
  const browser = await launchBrowser(t);
  const shots = artifactsDir('web');
  const record = summary.coordination_id;
  /** Where a page is: the record server, or (the unchecked thread, the control page) the test's own. */
  const originOf = (path: string) => (path.startsWith(webPaths.record(record)) ? origin : elsewhere);
  const url = (path: string) => `${originOf(path)}${path}`;
  const csp = pageHeaders()['Content-Security-Policy'];

  t.test('the record page lists the open and closed threads, the archived one only behind a link', async (t) => {
    const page = await newPage(t, browser, admin);
    const watch = await watchPage(page, origin);
    const response = await page.goto(url(webPaths.record(record)), { waitUntil: 'load' });
    t.equal(response?.status(), 200);
    t.match(response?.headers(), { 'content-security-policy': csp, 'cache-control': 'no-store' });
    const listed = await page.$$eval('main ol.list h3 a', (as: any[]) => as.map((a) => a.getAttribute('href')));
    const current = summary.threads.filter((x) => x.status !== 'archived');
    t.same(listed.sort(), current.map((x) => webPaths.thread(record, x.thread_id)).sort());
    t.notMatch(await page.content(), archived, 'the archived thread is not on the record page');
    await page.screenshot({ path: join(shots, 'record.png'), fullPage: true });
    await follow(page, `a[href="${webPaths.archived(record)}"]`);
    t.equal(await page.$eval('h1', (h: any) => h.textContent), 'Archived threads (1)');
    await follow(page, `a[href="${webPaths.thread(record, archived)}"]`);
    t.match(
      await page.$eval('main', (m: any) => m.innerText),
      /This thread is archived: it no longer changes\.[^]*Old referral, superseded\./,
    );
    t.same(await watch.violations(), []);
    t.same([watch.consoleErrors, watch.pageErrors], [[], []]);
  });

  t.test('the thread page shows the messages in order with their authors, corrections beside them', async (t) => {
    const page = await newPage(t, browser, admin);
    await page.goto(url(webPaths.thread(record, open)), { waitUntil: 'load' });
    const shown = await page.$$eval('ol.messages > li > article', (articles: any[]) =>
      articles.map((a) => ({
        author: a.querySelector('h3').textContent,
        meta: a.querySelector('.meta').textContent.replace(/\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC/g, 'TIME'),
        body: a.querySelector('.body').innerText.replace(/\s+/g, ' ').trim(),
        corrections: [...a.querySelectorAll(':scope > ol.corrections > li > article')].map(
          (c: any) => c.querySelector('.body').innerText,
        ),
      })),
    );
    t.same(
      shown.map((m) => [m.author, m.meta]),
      [
        ['Dr Jane Smith', 'Clinician · TIME · corrected below'],
        ['Dr Tom Patel', 'Clinician · TIME'],
        ['John Doe', 'Patient · TIME'],
      ],
      'top-level messages in order; the correction is not repeated in its own place',
    );
    t.equal(
      shown[0]!.body,
      'Patient reports increasing shortness of breath. Please review the chest X-ray on the ' +
        'imaging portal (imaging.example.org) and advise.',
    );
    t.same(
      shown[0]!.corrections,
      ['Correction: the X-ray is from 10 January, not 11 January.'],
      'the correction sits in its target',
    );
    t.equal(shown[1]!.body, 'Reviewed. Suggest: repeat spirometry follow-up in two weeks');
    t.same(
      await page.$$eval('ol.messages > li:nth-child(2) ol li', (li: any[]) => li.map((x) => x.textContent)),
      ['repeat spirometry', 'follow-up in two weeks'],
      'markdown is rendered, not shown as source',
    );
    const correctionMeta = await page.$eval('ol.corrections .meta', (m: any) => m.textContent);
    t.match(correctionMeta, /^Correction · .* · corrects Dr Jane Smith's message of /);
    t.same(await page.$$eval('section[aria-labelledby=participants] li', (li: any[]) => li.map((x) => x.textContent)), [
      'Dr Jane Smith — Clinician',
      'Dr Tom Patel — Clinician',
      'John Doe — Patient',
    ]);
    await page.screenshot({ path: join(shots, 'thread.png'), fullPage: true });
    await page.screenshot({ path: join(shots, 'docs-web-thread.png'), clip: { x: 0, y: 0, width: 900, height: 900 } });
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await page.screenshot({ path: join(shots, 'thread-dark.png'), fullPage: true });
  });

  const library = threads.find((x) => x.ledger.thread_id === open)!;
  for (const [name, view] of [
    ['written by the library', library],
    ['that bypassed the rules', hostile],
  ] as const) {
    t.test(`hostile markdown ${name} shows as text: no script runs, nothing is loaded, links are safe`, async (t) => {
      const page = await newPage(t, browser, admin);
      const address = url(webPaths.thread(view.record, view.ledger.thread_id));
      const own = new URL(address).origin;
      const watch = await watchPage(page, own);
      await page.goto(address, { waitUntil: 'load' });
      const found = await page.evaluate(() => ({
        pwned: window.pwned ?? null,
        scripts: document.scripts.length,
        loaders: [
          ...document.querySelectorAll(
            'img, svg, form, input, iframe, object, embed, link, base, meta[http-equiv], style:not(head > style)',
          ),
        ].map((e: any) => e.tagName),
        links: [...document.querySelectorAll('a[href]')].map((a: any) => ({
          href: a.href,
          rel: a.rel,
          inBody: !!a.closest('.body'),
        })),
        text: document.querySelector('main').innerText,
      }));
      t.same(
        { pwned: found.pwned, scripts: found.scripts, loaders: found.loaders },
        { pwned: null, scripts: 0, loaders: [] },
      );
      for (const link of found.links) {
        if (link.inBody) {
          t.match(link.href, /^(https?|mailto):/, `a body link goes to http(s) or mailto only: ${link.href}`);
          t.equal(link.rel, 'noopener noreferrer nofollow', `and is marked so: ${link.href}`);
        } else t.equal(new URL(link.href).origin, own, `a page link stays on the site: ${link.href}`);
      }
      t.same(watch.requests, [{ url: address, type: 'document' }], 'the document is the only request');
      t.same(await watch.violations(), [], 'nothing broke the policy');
      t.same([watch.consoleErrors, watch.pageErrors], [[], []], 'no console or script error');
      if (view === hostile) {
        t.match(found.text, '<script>window.pwned = 5</script>', 'raw HTML reads as what it is');
        t.match(found.text, `<meta http-equiv="refresh" content="0;url=${ELSEWHERE}/">`);
        t.match(found.text, 'HiddenU+200Btext', 'an invisible character is shown as a mark');
        t.notMatch(found.text, /[\u200B\u202E]/);
        await page.screenshot({ path: join(shots, 'hostile-unchecked.png'), fullPage: true });
      } else {
        t.match(found.text, 'Thank you. <script>window.pwned = 1</script>', 'what the patient typed, as text');
        t.match(found.text, 'Click for results and image: tracking pixel (127.0.0.2:9) and a chart');
        t.match(found.text, '<b>not bold</b> <svg onload="window.pwned = 4"></svg> <form action=');
      }
    });
  }

  t.test('a patient sees its thread and nothing of the clinician-only one, not even at a guessed URL', async (t) => {
    const page = await newPage(t, browser, johnCreds);
    const watch = await watchPage(page, origin);
    const listing = await page.goto(url(webPaths.record(record)), { waitUntil: 'load' });
    t.equal(listing?.status(), 200);
    const listed = await page.$$eval('main ol.list h3 a', (as: any[]) => as.map((a) => a.getAttribute('href')));
    t.same(listed, [webPaths.thread(record, open)], "the record page lists the patient's thread only");
    t.notMatch(await page.content(), closed, 'the clinician-only thread is not named');
    t.match(await page.$eval('footer', (f: any) => f.innerText), 'Shown to john', 'the page says whom it is shown to');
    await page.screenshot({ path: join(shots, 'record-patient.png'), fullPage: true });
    await follow(page, `a[href="${webPaths.thread(record, open)}"]`);
    t.match(await page.$eval('main', (m: any) => m.innerText), 'Patient reports increasing shortness of breath');
    const guessed = await page.goto(url(webPaths.thread(record, closed)), { waitUntil: 'load' });
    t.equal(guessed?.status(), 404, 'the guessed thread is not found');
    t.match(guessed?.headers(), { 'content-security-policy': csp, 'cache-control': 'no-store' });
    const text = await page.$eval('body', (b: any) => b.innerText);
    t.match(text, 'Not found');
    for (const leak of ['Safeguarding', 'Thread started', 'Dr Tom Patel', 'Confidential', closed]) {
      t.notMatch(text, leak, `no "${leak}"`);
    }
    await page.screenshot({ path: join(shots, 'guessed-thread-404.png'), fullPage: true });
    t.same(await watch.violations(), []);
    const errors = [watch.consoleErrors.filter((e) => !/404/.test(e)), watch.pageErrors];
    t.same(errors, [[], []], 'no error but the 404 itself');
  });

  t.test('the browser is asked to sign in; a wrong token, cancelled, shows no clinical content', async (t) => {
    // Headless Chromium has no dialog: a page with no credentials to give fails to load at all, so
    // this one gives a wrong token once and then cancels, as a person at the dialog would.
    const page = await newPage(t, browser, { name: 'john', token: `${johnCreds.token}-wrong` });
    const asked: Array<string | undefined> = [];
    page.on('response', (r) => {
      if (r.status() === 401) asked.push(r.headers()['www-authenticate']);
    });
    const answer = await page.goto(url(webPaths.thread(record, open)), { waitUntil: 'load' });
    t.ok(asked.length >= 1, `the server asked for credentials (${asked.length} times)`);
    t.equal(answer?.status(), 401);
    t.match(answer?.headers(), {
      'www-authenticate': 'Basic realm="CCR", charset="UTF-8"',
      'content-security-policy': csp,
    });
    const text = await page.$eval('body', (b: any) => b.innerText);
    t.match(text, 'Sign-in required');
    t.notMatch(text, 'shortness of breath');
  });

  t.test('the watch is not blind: a page that breaks the policy is blocked and seen', async (t) => {
    const page = await newPage(t, browser);
    const watch = await watchPage(page, elsewhere);
    await page.goto(url('/control'), { waitUntil: 'load' });
    t.equal(await page.evaluate(() => window.ran ?? null), null, 'the injected script did not run');
    const violations = await watch.violations();
    t.ok(
      violations.some((v) => v.startsWith('script-src')),
      `the script was refused: ${violations.join(', ')}`,
    );
    t.ok(
      violations.some((v) => v.startsWith('img-src')),
      'the remote image was refused',
    );
    const away = watch.requests.filter((r) => new URL(r.url).origin !== elsewhere);
    t.same(away, [], 'the policy stopped it before any request');
  });

  t.test('the pages read on a phone and in print, and are accessible', async (t) => {
    const page = await newPage(t, browser, admin);
    await page.setViewport({ width: 360, height: 740 });
    const paths = [
      webPaths.record(record),
      webPaths.thread(record, open),
      webPaths.thread(hostile.record, hostile.ledger.thread_id),
    ];
    for (const path of paths) {
      await page.goto(url(path), { waitUntil: 'load' });
      const [scroll, width] = await page.evaluate(() => {
        const root = document.documentElement;
        return [root.scrollWidth, root.clientWidth];
      });
      t.ok(scroll! <= width!, `${path}: nothing wider than a phone (${scroll} ≤ ${width})`);
      const outline = await page.evaluate(() => ({
        lang: document.documentElement.lang,
        landmarks: ['header', 'nav', 'main', 'footer'].map((s) => document.querySelectorAll(s).length),
        h1: document.querySelectorAll('h1').length,
        levels: [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h: any) => Number(h.tagName[1])),
        labelled: [...document.querySelectorAll('[aria-labelledby]')].every((e: any) =>
          document.getElementById(e.getAttribute('aria-labelledby')),
        ),
      }));
      t.same(
        { lang: outline.lang, landmarks: outline.landmarks, h1: outline.h1, labelled: outline.labelled },
        { lang: 'en', landmarks: [1, 1, 1, 1], h1: 1, labelled: true },
        `${path}: language, landmarks, one h1`,
      );
      const jumps = outline.levels.filter((l: number, i: number) => i > 0 && l > outline.levels[i - 1]! + 1);
      t.same(jumps, [], `${path}: no heading level skipped (${outline.levels.join(' ')})`);
      for (const scheme of ['light', 'dark']) {
        await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
        t.same(await lowContrast(page), [], `${path}: every text has contrast ≥ 4.5:1 (${scheme})`);
      }
      await page.emulateMediaFeatures([]);
    }
    await page.goto(url(webPaths.thread(record, open)), { waitUntil: 'load' });
    await page.setViewport({ width: 375, height: 740, deviceScaleFactor: 2 });
    await page.screenshot({ path: join(shots, 'thread-phone.png'), fullPage: true });
    await page.emulateMediaType('print');
    const print = await page.evaluate(() => ({
      nav: getComputedStyle(document.querySelector('nav')).display,
      after: getComputedStyle(document.querySelector('.body a[href^="https:"]'), '::after').content,
    }));
    t.same(
      print,
      { nav: 'none', after: '" <https://imaging.example.org/study/123>"' },
      'print: no navigation, links written out',
    );
    await page.pdf({ path: join(shots, 'thread.pdf'), format: 'A4', printBackground: false });
  });
}
