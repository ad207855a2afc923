#!/usr/bin/env node
// run.mjs -- real-browser tests for petitiond (issue 5, "Signers first").
//
// Debian's Chromium (/usr/bin/chromium, never a downloaded browser) driven by
// playwright-core, with axe-core for the WCAG 2.1 A/AA checks. Prints TAP and
// exits non-zero when an assertion fails; prints "1..0 # SKIP <reason>" and
// exits 0 when Chromium or node_modules are missing.
//
// It starts its own petitiond ($PETITIOND_BIN, else build/petitiond or
// build-dev/petitiond) on a free 127.0.0.1 port with a database in a temp
// directory, and stops it with SIGTERM by PID at the end. The browser only
// ever talks to that server. Screenshots go to tests/browser/artifacts/.
//
// Environment: PETITIOND_BIN (server binary), CHROMIUM_BIN (default
// /usr/bin/chromium), BROWSER_TEST_KEEP=1 keeps the temp dir and server logs,
// BROWSER_TEST_LIMIT=<seconds> the watchdog (default 85),
// BROWSER_TEST_ONLY=<regexp> runs only the groups whose names match,
// BROWSER_TEST_ARTIFACTS=<dir> where the screenshots go.
// What it shares with admin.mjs (TAP, the server, axe-core, screenshots, the
// run itself) is in lib.mjs.

import {
  ok, eq, note, skip, group, setGroupOrder, S, runSuite, newContext, newPage, htmlLang, record,
  injectAxe, axeCheck, shoot, overflow, sleep, contexts, KHMER_NAME, MOBILE, DESKTOP,
} from './lib.mjs';

const BUDGET_BYTES = 30_000; // "30 KB compressed": the stricter, decimal reading

// ---------------------------------------------------------------------------
// Helpers of this suite

let server; // S.server, once started
let main, nojs, desk; // the shared JS-on and JS-off pages (a new page costs seconds on a busy machine)
let uniq = 0;
const email = (tag) => `browser-${tag}-${process.pid}-${++uniq}@example.org`;

// A server-rendered 422: turn the browser's own constraint validation off
// (as a browser without it, or a stale page, would) and post the form plainly,
// past app.js. Returns the navigation response.
async function plainSubmit(page) {
  const [resp] = await Promise.all([
    page.waitForNavigation(),
    page.evaluate(() => {
      const f = document.getElementById('sign-form');
      f.noValidate = true;
      HTMLFormElement.prototype.submit.call(f);
    }),
  ]);
  return resp;
}
async function fillBad(page, name) {
  await page.fill('#name', name);
  await page.fill('#email', 'not-an-email');
  await page.selectOption('#country', 'KH');
}
// Loads the server's 422 page (JS on) in language lang.
async function goto422(page, lang) {
  await page.goto(`/?lang=${lang}`);
  await fillBad(page, lang === 'km' ? KHMER_NAME : 'Sok Dara');
  return plainSubmit(page);
}

setGroupOrder(['sign in English', 'sign in Khmer', 'error flow with JS', 'error flow without JS',
  'keyboard-only signing', 'no-JS signing', 'no third-party requests', 'weight budget',
  'desktop: screenshots and axe-core', 'screenshots (mobile) and reflow', 'reduced motion', 'live count']);

// ---------------------------------------------------------------------------
// The tests

async function testSignEnglish() {
  const page = main;
  const before = (await server.stats()).count;
  const rec = record(page), reqs = rec.reqs;
  await page.goto('/');
  eq(await htmlLang(page), 'en', 'sign (en): GET / with an English browser is in English (lang="en")');
  await page.fill('#name', 'Jane Browser');
  await page.fill('#email', email('en'));
  await page.selectOption('#country', 'US');
  await page.check('#public');
  await page.fill('#public_name', 'Jane');
  await Promise.all([page.waitForURL((u) => u.pathname === '/thanks'), page.click('#sign-submit')]);
  const u = new URL(page.url());
  eq(u.pathname + u.search, '/thanks', 'sign (en): lands on /thanks');
  eq(await htmlLang(page), 'en', 'sign (en): thanks page has lang="en"');
  rec.stop();
  const post = reqs.find((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/sign');
  ok(post && post.resourceType() === 'fetch', 'sign (en): with JS, the form is sent by fetch (no page reload)',
    post ? `resourceType ${post.resourceType()}` : 'no POST /sign seen');
  const after = (await server.stats()).count;
  eq(after, before + 1, 'sign (en): /api/stats count went up by one');
  // The server re-renders a cached page at most every 250 ms: allow one reload.
  let shown = Number((await page.textContent('#count')).replace(/\D/g, ''));
  const first = shown;
  if (shown < before + 1) {
    await sleep(300);
    await page.reload();
    shown = Number((await page.textContent('#count')).replace(/\D/g, ''));
  }
  ok(shown >= before + 1, 'sign (en): the thanks page shows the new count',
    `before ${before}, /api/stats ${after}, page shows ${first}, after a reload ${shown}`);
}

async function testSignKhmer() {
  const page = main;
  const before = (await server.stats()).count;
  await page.goto('/?lang=km');
  eq(await htmlLang(page), 'km', 'sign (km): /?lang=km has lang="km"');
  const label = await page.textContent('label[for=name]');
  ok(/[\u1780-\u17ff]/.test(label), 'sign (km): the name label is in Khmer', label);
  const addr = email('km');
  await page.fill('#name', KHMER_NAME);
  await page.fill('#email', addr);
  await page.selectOption('#country', 'KH');
  await Promise.all([page.waitForURL((u) => u.pathname === '/thanks'), page.click('#sign-submit')]);
  const u = new URL(page.url());
  eq(u.pathname + u.search, '/thanks?lang=km', 'sign (km): lands on /thanks?lang=km');
  eq(await htmlLang(page), 'km', 'sign (km): thanks page has lang="km"');
  const h1 = await page.textContent('h1');
  ok(/[\u1780-\u17ff]/.test(h1), 'sign (km): thanks heading is in Khmer', h1);
  eq((await server.stats()).count, before + 1, 'sign (km): /api/stats count went up by one');
  const rows = await server.csv();
  const row = rows.find((r) => r.email === addr);
  ok(row, 'sign (km): the signature is in the CSV export', `${rows.length} rows, none with ${addr}`);
  eq(row && row.name, KHMER_NAME, 'sign (km): the Khmer name is in the CSV export exactly');
  eq(row && row.country, 'KH', 'sign (km): country KH in the CSV export');
}

async function testErrorFlowJs() {
  const page = main;
  await page.goto('/');
  const rec = record(page);
  await fillBad(page, 'Keep Me');
  await page.click('#sign-submit');
  await page.waitForFunction(() => document.getElementById('err-email').textContent.trim() !== '');
  const s = await page.evaluate(() => {
    const f = document.getElementById('email'), e = document.getElementById('err-email');
    return {
      err: e.textContent.trim(),
      invalid: f.getAttribute('aria-invalid'),
      describedby: (f.getAttribute('aria-describedby') || '').split(/\s+/),
      sameField: e.parentElement === f.parentElement,
      errVisible: e.getClientRects().length > 0,
      active: document.activeElement && document.activeElement.id,
      name: document.getElementById('name').value,
      nameInvalid: document.getElementById('name').getAttribute('aria-invalid'),
      summaryRole: document.getElementById('error-summary').getAttribute('role'),
      summaryLinks: [...document.querySelectorAll('#error-summary a')].map((a) => a.getAttribute('href')),
      path: location.pathname,
    };
  });
  ok(s.err, 'errors (JS): an inline error is shown for the bad email', s);
  ok(s.sameField && s.errVisible, 'errors (JS): the error sits next to the email field and is visible', s);
  eq(s.invalid, 'true', 'errors (JS): email has aria-invalid="true"');
  ok(s.describedby.includes('err-email'), 'errors (JS): email aria-describedby names err-email', s.describedby);
  eq(s.active, 'email', 'errors (JS): focus moved to the first invalid field');
  eq(s.name, 'Keep Me', 'errors (JS): the typed name is kept');
  eq(s.nameInvalid, null, 'errors (JS): the valid name is not marked invalid');
  ok(s.summaryRole === 'alert' && s.summaryLinks.includes('#email'),
    'errors (JS): the role=alert summary links to the email field', s);
  rec.stop();
  const posts = rec.reqs.filter((r) => r.method() === 'POST').map((r) => r.url());
  eq(posts.length, 0, 'errors (JS): nothing was sent to the server', posts);
  // Correcting the field clears its error as one types; then it signs.
  await page.fill('#email', email('fixed'));
  const cleared = await page.evaluate(() => ({
    invalid: document.getElementById('email').getAttribute('aria-invalid'),
    err: document.getElementById('err-email').textContent,
  }));
  ok(cleared.invalid === null && cleared.err === '', 'errors (JS): correcting the email clears its error', cleared);
  await Promise.all([page.waitForURL((u) => u.pathname === '/thanks'), page.click('#sign-submit')]);
  eq(new URL(page.url()).pathname, '/thanks', 'errors (JS): the corrected form signs');
}

async function testErrorFlowNoJs() {
  const page = nojs;
  await page.goto('/');
  const jsOff = await page.evaluate(() => !document.documentElement.classList.contains('js'));
  ok(jsOff, 'errors (no JS): app.js did not run (no "js" class)');
  await page.fill('#name', 'Keep Me Too');
  await page.fill('#email', 'not-an-email');
  await page.selectOption('#country', 'KH');
  await page.fill('#comment', 'A comment to keep');
  await page.check('#public');
  await page.fill('#public_name', 'Keep');
  const resp = await plainSubmit(page);
  eq(resp && resp.status(), 422, 'errors (no JS): the server answers 422');
  const s = await page.evaluate(() => {
    const f = document.getElementById('email'), e = document.getElementById('err-email');
    return {
      err: e.textContent.trim(),
      invalid: f.getAttribute('aria-invalid'),
      describedby: (f.getAttribute('aria-describedby') || '').split(/\s+/),
      sameField: e.parentElement === f.parentElement,
      nameErr: document.getElementById('err-name').textContent.trim(),
      name: document.getElementById('name').value,
      email: f.value,
      country: document.getElementById('country').value,
      comment: document.getElementById('comment').value,
      pub: document.getElementById('public').checked,
      summary: [...document.querySelectorAll('#error-summary a')].map((a) => a.getAttribute('href')),
      active: document.activeElement && document.activeElement.id,
      lang: document.documentElement.lang,
    };
  });
  ok(s.err && s.sameField, 'errors (no JS): the 422 page shows the error next to the email field', s);
  eq(s.invalid, 'true', 'errors (no JS): email has aria-invalid="true"');
  ok(s.describedby.includes('err-email'), 'errors (no JS): email aria-describedby names err-email', s.describedby);
  eq(s.nameErr, '', 'errors (no JS): no error on the valid name');
  ok(s.name === 'Keep Me Too' && s.email === 'not-an-email' && s.country === 'KH'
    && s.comment === 'A comment to keep' && s.pub === true, 'errors (no JS): every value is kept', s);
  ok(s.summary.includes('#email'), 'errors (no JS): the error summary links to the email field', s.summary);
  eq(s.active, 'error-summary', 'errors (no JS): focus starts on the error summary (autofocus)');
  // A real Chromium with its own validation on: a name of spaces passes the
  // browser's `required` but not the server's trimmed rule.
  await page.goto('/?lang=km');
  await page.fill('#name', '   ');
  await page.fill('#email', 'kept@example.org');
  await page.selectOption('#country', 'KH');
  const [r2] = await Promise.all([page.waitForNavigation(), page.click('#sign-submit')]);
  const s2 = await page.evaluate(() => ({
    err: document.getElementById('err-name').textContent.trim(),
    invalid: document.getElementById('name').getAttribute('aria-invalid'),
    email: document.getElementById('email').value,
    lang: document.documentElement.lang,
  }));
  ok(r2 && r2.status() === 422 && s2.err && s2.invalid === 'true' && s2.email === 'kept@example.org' && s2.lang === 'km',
    'errors (no JS, km): a blank name gets a Khmer 422 with the error on the name, email kept',
    { status: r2 && r2.status(), ...s2 });
  ok(/[\u1780-\u17ff]/.test(s2.err), 'errors (no JS, km): the error message is in Khmer', s2.err);
}

async function testKeyboard() {
  const page = main;
  const kb = page.keyboard;
  const active = () => page.evaluate(() => {
    const a = document.activeElement;
    return a ? (a.id || a.className || a.tagName) : null;
  });
  const tabUntil = async (id, max, back = false) => {
    for (let i = 0; i < max; i++) {
      await kb.press(back ? 'Shift+Tab' : 'Tab');
      if ((await active()) === id) return true;
    }
    return false;
  };
  await page.goto('/');
  await kb.press('Tab');
  const first = await active();
  eq(first, 'skip', 'keyboard: the first Tab reaches the skip link');
  const skipOutline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  ok(skipOutline !== 'none', 'keyboard: the focused skip link has a visible outline', skipOutline);
  await kb.press('Enter');
  ok(await tabUntil('name', 60), 'keyboard: Tab reaches the name field', await active());
  const ring = await page.evaluate(() => {
    const cs = getComputedStyle(document.activeElement);
    return { style: cs.outlineStyle, width: parseFloat(cs.outlineWidth), color: cs.outlineColor };
  });
  ok(ring.style !== 'none' && ring.width >= 2, 'keyboard: focus is visible on the focused input (outline >= 2px)', ring);
  await kb.type('Keyboard User');
  await kb.press('Tab');
  eq(await active(), 'email', 'keyboard: Tab moves from name to email');
  await kb.press('Shift+Tab');
  eq(await active(), 'name', 'keyboard: Shift+Tab goes back to name');
  await kb.press('Tab');
  const addr = email('kbd');
  await kb.type(addr);
  await kb.press('Tab');
  eq(await active(), 'country', 'keyboard: Tab reaches the country select');
  await kb.press('ArrowDown');
  let country = await page.evaluate(() => document.getElementById('country').value);
  if (country !== 'KH') { // some platforms open the list on ArrowDown: choose and close it
    await kb.press('Enter');
    country = await page.evaluate(() => document.getElementById('country').value);
  }
  eq(country, 'KH', 'keyboard: ArrowDown chooses the first country (Cambodia)');
  await kb.press('Tab');
  eq(await active(), 'comment', 'keyboard: Tab reaches the comment');
  await kb.type('Typed with the keyboard only');
  await kb.press('Tab');
  eq(await active(), 'public', 'keyboard: Tab reaches the public checkbox');
  await kb.press('Space');
  ok(await page.evaluate(() => document.getElementById('public').checked), 'keyboard: Space ticks the checkbox');
  await kb.press('Tab');
  eq(await active(), 'public_name', 'keyboard: Tab reaches the public name field');
  await kb.type('Keyboard');
  ok(await tabUntil('sign-submit', 10), 'keyboard: Tab reaches the submit button (honeypot skipped)', await active());
  const btnRing = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  ok(btnRing !== 'none', 'keyboard: the focused submit button has a visible outline', btnRing);
  await Promise.all([page.waitForURL((u) => u.pathname === '/thanks'), kb.press('Enter')]);
  eq(new URL(page.url()).pathname, '/thanks', 'keyboard: Enter on the button signs and lands on /thanks');
  const row = (await server.csv()).find((r) => r.email === addr);
  ok(row && row.name === 'Keyboard User' && row.country === 'KH' && row.public === '1'
    && row.comment === 'Typed with the keyboard only'
    && (row.public_name === undefined || row.public_name === 'Keyboard'),
    'keyboard: the stored row has what was typed', row);
}

async function testNoJsSign() {
  const page = nojs;
  const before = (await server.stats()).count;
  await page.goto('/');
  await page.fill('#name', 'No Script');
  await page.fill('#email', email('nojs'));
  await page.selectOption('#country', 'FR');
  const [resp] = await Promise.all([page.waitForNavigation(), page.click('#sign-submit')]);
  const prev = resp && resp.request().redirectedFrom();
  const prevResp = prev && await prev.response();
  ok(prev && prev.method() === 'POST' && new URL(prev.url()).pathname === '/sign' && prevResp && prevResp.status() === 303,
    'no JS: POST /sign answered 303', prev ? `${prev.method()} ${prev.url()} -> ${prevResp && prevResp.status()}` : 'no redirect');
  eq(new URL(page.url()).pathname, '/thanks', 'no JS: the browser lands on /thanks');
  eq(resp && resp.status(), 200, 'no JS: /thanks answers 200');
  eq((await server.stats()).count, before + 1, 'no JS: /api/stats count went up by one');
}

async function testNoThirdParty() {
  const page = main;
  const ctx = page.context();
  const rec = record(page);
  const setCookies = [];
  const onResp = async (r) => {
    const h = await r.allHeaders().catch(() => ({}));
    if (h['set-cookie']) setCookies.push(`${r.url()}: ${h['set-cookie']}`);
  };
  page.on('response', onResp);
  await page.goto('/');
  await page.goto('/?lang=km');
  await fillBad(page, 'Third Party');
  await page.click('#sign-submit'); // the JS-side error
  await page.waitForFunction(() => document.getElementById('err-email').textContent !== '');
  await plainSubmit(page); // the server's 422
  for (const p of ['/thanks', '/thanks?lang=km', '/embed', '/embed?lang=km']) await page.goto(p);
  // The embed as other sites use it: in an iframe (here on a blank page).
  await page.setContent(`<iframe src="${server.origin}/embed" title="petition" width="400" height="300"></iframe>`);
  await page.waitForLoadState('load');
  const framed = page.frames().some((f) => f.url().startsWith(server.origin + '/embed'));
  rec.stop();
  page.off('response', onResp);
  const seen = rec.reqs.map((r) => r.url());
  const origin = server.origin;
  const foreign = seen.filter((u) => !(u.startsWith(origin + '/') || u.startsWith('data:') || u === 'about:blank'));
  ok(seen.length >= 10, `no third party: requests were recorded (${seen.length})`, seen);
  ok(framed, 'no third party: /embed loads inside an iframe');
  ok(foreign.length === 0, 'no third party: every request went to the server\'s own origin', foreign);
  eq((await ctx.cookies()).length, 0, 'no third party: no cookies set');
  ok(setCookies.length === 0, 'no third party: no Set-Cookie header on any response', setCookies);
}

// Bytes on the wire as Chromium counts them (Network.loadingFinished
// encodedDataLength: headers + compressed body), with the cache off so that
// each page is measured as a first visit. Each URL counted once.
async function testWeight() {
  const ctx = await newContext('weight');
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let seen = new Map();
  cdp.on('Network.responseReceived', (e) => {
    const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    seen.set(e.requestId, { url: e.response.url, enc: h['content-encoding'] || 'identity', status: e.response.status,
      cached: e.response.fromDiskCache || e.response.fromPrefetchCache || false });
  });
  cdp.on('Network.loadingFinished', (e) => { const r = seen.get(e.requestId); if (r) r.bytes = e.encodedDataLength; });
  cdp.on('Network.loadingFailed', (e) => { const r = seen.get(e.requestId); if (r) r.failed = e.errorText || 'failed'; });
  for (const p of ['/', '/?lang=km']) {
    seen = new Map();
    await page.goto(p);
    const deadline = Date.now() + 3000;
    while ([...seen.values()].some((r) => r.bytes === undefined && !r.failed) && Date.now() < deadline) await sleep(50);
    // One entry per URL (the favicon is both the icon and the header image),
    // the one that finished loading.
    const byUrl = new Map();
    for (const r of seen.values()) {
      const had = byUrl.get(r.url);
      if (!had || (had.bytes === undefined && r.bytes !== undefined)) byUrl.set(r.url, r);
    }
    const all = [...byUrl.values()];
    const total = all.reduce((n, r) => n + (r.bytes || 0), 0);
    const paths = all.map((r) => new URL(r.url).pathname);
    const doc = all.find((r) => new URL(r.url).pathname === '/');
    ok(doc && ['gzip', 'br', 'zstd'].includes(doc.enc), `weight ${p}: the HTML comes compressed (${doc && doc.enc})`);
    ok(['/static/style.css', '/static/app.js'].every((x) => paths.includes(x)) && all.every((r) => !r.cached && r.bytes > 0),
      `weight ${p}: the measure covers HTML, CSS and JS, all from the network`, all);
    ok(total <= BUDGET_BYTES, `weight ${p}: first visit transfers ${total} bytes <= ${BUDGET_BYTES}`);
    note(`weight ${p}: ${all.length} responses, ${total} bytes on the wire (headers + compressed bodies)`);
    for (const r of all) note(`  ${new URL(r.url).pathname.padEnd(20)} ${String(r.bytes).padStart(6)} bytes (${r.enc}, ${r.status})`);
  }
}

async function darkBackground(page, lang, vp) {
  const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const [r, g, b] = (bg.match(/\d+/g) || [255, 255, 255]).map(Number);
  ok(0.2126 * r + 0.7152 * g + 0.0722 * b < 64, `dark mode (${lang}, ${vp}): the page background is dark (${bg})`, bg);
}
// Every page in both languages at one viewport, full page; then dark mode.
// With reflow: each page, once screenshot, is also checked for reflow.
async function screenshots(page, vp, size, reflow) {
  await page.setViewportSize(size);
  const after = async (label) => { if (reflow) await reflowCheck(page, label, size); };
  for (const lang of ['en', 'km']) {
    await page.goto(lang === 'en' ? '/' : '/?lang=km');
    await shoot(page, `index-${lang}-${vp}`);
    await after(`/ (${lang})`);
    await goto422(page, lang);
    await shoot(page, `error422-${lang}-${vp}`);
    await after(`422 (${lang})`);
    await page.goto(lang === 'en' ? '/thanks' : '/thanks?lang=km');
    await shoot(page, `thanks-${lang}-${vp}`);
    await after(`/thanks (${lang})`);
    await page.goto(`/embed?lang=${lang}`);
    await shoot(page, `embed-${lang}-${vp}`);
    await after(`/embed (${lang})`);
    await page.goto(`/no-such-page?lang=${lang}`);
    await shoot(page, `notfound-${lang}-${vp}`);
    await after(`404 (${lang})`);
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const lang of ['en', 'km']) {
    await page.goto(`/?lang=${lang}`);
    await darkBackground(page, lang, vp);
    await shoot(page, `index-${lang}-dark-${vp}`);
  }
  await page.goto('/thanks?lang=km');
  await shoot(page, `thanks-km-dark-${vp}`);
  await page.emulateMedia({ colorScheme: 'light' });
}
async function testScreenshotsMobile() {
  await screenshots(main, 'mobile', MOBILE.viewport, true);
  await main.setViewportSize(DESKTOP.viewport);
  reflowReport();
}
// The desktop pass: every page in both languages is screenshot at 1280×800
// and checked with axe-core (WCAG 2.1 A and AA) on the same load; the 422,
// thanks and embed pages also get the contrast rule again in dark mode (dark
// mode changes colours only; the 422 page holds all of the petition page
// plus the error colours). The page's context has reducedMotion 'reduce' so
// that no colour transition runs while the scheme switches.
async function darkContrast(page, what) {
  await page.emulateMedia({ colorScheme: 'dark' });
  await axeCheck(page, `${what} in dark mode`, ['color-contrast']);
  await page.emulateMedia({ colorScheme: 'light' });
}
async function testDesktop() {
  const page = desk;
  const vp = 'desktop';
  for (const lang of ['en', 'km']) {
    await page.goto(lang === 'en' ? '/' : '/?lang=km');
    await shoot(page, `index-${lang}-${vp}`);
    await injectAxe(page);
    await axeCheck(page, `petition page (${lang})`);
    // The summary and messages app.js builds.
    await fillBad(page, lang === 'km' ? KHMER_NAME : 'Axe Check');
    await page.click('#sign-submit');
    await page.waitForFunction(() => document.getElementById('err-email').textContent !== '');
    await axeCheck(page, `petition page with inline JS errors (${lang})`);

    await goto422(page, lang);
    await shoot(page, `error422-${lang}-${vp}`);
    await injectAxe(page);
    await axeCheck(page, `422 error page (${lang})`);
    await darkContrast(page, `422 error page (${lang})`);

    for (const [p, name, what, dark] of [
      [lang === 'en' ? '/thanks' : '/thanks?lang=km', 'thanks', 'thanks page', true],
      [`/embed?lang=${lang}`, 'embed', 'embed widget', true],
      [`/no-such-page?lang=${lang}`, 'notfound', '404 page', false]]) {
      await page.goto(p);
      await shoot(page, `${name}-${lang}-${vp}`);
      await injectAxe(page);
      await axeCheck(page, `${what} (${lang})`);
      if (dark) await darkContrast(page, `${what} (${lang})`);
    }
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const lang of ['en', 'km']) {
    await page.goto(`/?lang=${lang}`);
    await darkBackground(page, lang, vp);
    await shoot(page, `index-${lang}-dark-${vp}`);
  }
  await page.goto('/thanks?lang=km');
  await shoot(page, `thanks-km-dark-${vp}`);
  await page.emulateMedia({ colorScheme: 'light' });
}

// Reflow (WCAG 1.4.10): on a page already loaded, the viewport is narrowed to
// 320 CSS px (the criterion) and 640 CSS px (1280 px at 200% zoom); no
// horizontal scrolling is allowed at either. Resizing re-lays the same
// document out, so no extra loads are needed.
const reflowBad = { 320: [], 640: [] };
const reflowPages = [];
async function reflowCheck(page, label, size) {
  reflowPages.push(label);
  for (const width of [320, 640]) {
    await page.setViewportSize({ width, height: 600 });
    const r = await overflow(page);
    if (r.sw > r.cw) reflowBad[width].push(`${label}: scrollWidth ${r.sw} > clientWidth ${r.cw}; ${r.wide.join(', ')}`);
  }
  await page.setViewportSize(size);
}

function reflowReport() {
  for (const width of [320, 640]) {
    ok(reflowPages.length >= 10 && reflowBad[width].length === 0,
      `reflow: no horizontal scrolling at ${width} CSS px on ${reflowPages.length} pages`,
      reflowBad[width].join('\n') || reflowPages.join(', '));
  }
}

async function testReducedMotion() {
  const page = main;
  const measure = () => page.evaluate(() => {
    const secs = (v) => Math.max(...v.split(',').map((s) => parseFloat(s) * (s.trim().endsWith('ms') ? 0.001 : 1)));
    const moving = [];
    for (const el of [document.documentElement, ...document.querySelectorAll('body, body *')]) {
      const cs = getComputedStyle(el);
      const t = secs(cs.transitionDuration), a = cs.animationName !== 'none' ? secs(cs.animationDuration) : 0;
      if (t > 0 || a > 0) moving.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} transition ${cs.transitionDuration} animation ${cs.animationName} ${cs.animationDuration}`);
    }
    return { moving, scroll: getComputedStyle(document.documentElement).scrollBehavior };
  });
  await page.emulateMedia({ reducedMotion: 'no-preference' });
  await page.goto('/');
  const base = await measure();
  if (base.moving.length === 0 && base.scroll !== 'smooth') {
    skip('reduced motion: transitions and animations are off', 'the CSS has no transitions or animations');
    return;
  }
  ok(true, `reduced motion: without the preference, ${base.moving.length} elements move (scroll-behavior ${base.scroll})`);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  // One stylesheet serves every page: the form page and the thanks page
  // (share buttons) hold every rule that moves.
  for (const p of ['/', '/thanks?lang=km']) {
    await page.goto(p);
    const r = await measure();
    ok(r.moving.length === 0 && r.scroll !== 'smooth',
      `reduced motion: no transition, animation or smooth scrolling on ${p}`, r);
  }
  await page.emulateMedia({ reducedMotion: null });
}

async function testLiveCount() {
  // app.js refreshes the count every 30 s, and at once when the page becomes
  // visible again (visibilitychange): that event is the quick hook used here.
  const page = main;
  await page.goto('/');
  const shownBefore = Number((await page.textContent('#count')).replace(/\D/g, ''));
  const r = await server.sign({ name: 'Other Tab', email: email('live'), country: 'KH' });
  eq(r.status, 201, 'live count: a signature from another client is accepted (201)');
  const want = (await server.stats()).count;
  ok(want > shownBefore, `live count: the server count (${want}) is now above the page's (${shownBefore})`);
  const [stats] = await Promise.all([
    page.waitForResponse((x) => new URL(x.url()).pathname === '/api/stats', { timeout: 5000 }),
    page.evaluate(() => document.dispatchEvent(new Event('visibilitychange'))),
  ]);
  eq(stats.status(), 200, 'live count: the page fetched /api/stats when it became visible');
  const shown = await page.waitForFunction((n) => {
    const c = document.getElementById('count');
    return Number(c.textContent.replace(/\D/g, '')) === n && c.textContent;
  }, want, { timeout: 5000 }).then((h) => h.jsonValue()).catch(() => null);
  ok(shown, `live count: the page now shows ${want}`, `page shows ${shown}`);
  const bar = await page.evaluate(() => { const b = document.getElementById('progress'); return b && b.value; });
  eq(bar, want, 'live count: the progress bar follows');
}

// ---------------------------------------------------------------------------

runSuite({
  limitS: 85, // the whole run, server start to stop
  shots: /^(?!admin-)/, // every PNG but admin.mjs's
  body: async () => {
    server = S.server;
    main = (await newPage('main', DESKTOP)).page;
    nojs = (await newPage('no-js', { ...DESKTOP, javaScriptEnabled: false })).page;
    desk = (await newPage('desktop', { ...DESKTOP, reducedMotion: 'reduce' })).page;
    // Lane A uses the shared JS-on and JS-off pages, lane B the weight context
    // and the desktop page: on two cores the two lanes overlap. Nothing in
    // lane B signs, so the counts in lane A stay exact.
    const laneA = (async () => {
      await group('sign in English', testSignEnglish);
      await group('sign in Khmer', testSignKhmer);
      await group('error flow with JS', testErrorFlowJs);
      await group('error flow without JS', testErrorFlowNoJs);
      await group('keyboard-only signing', testKeyboard);
      await group('no-JS signing', testNoJsSign);
      await group('no third-party requests', testNoThirdParty);
      await group('screenshots (mobile) and reflow', testScreenshotsMobile);
      await group('reduced motion', testReducedMotion);
      await group('live count', testLiveCount);
    })();
    const laneB = (async () => {
      await group('weight budget', testWeight);
      await group('desktop: screenshots and axe-core', testDesktop);
    })();
    await Promise.all([laneA, laneB]);
  },
  after: async () => {
    const withCookies = [];
    for (const { label, ctx } of contexts) if ((await ctx.cookies()).length) withCookies.push(label);
    ok(withCookies.length === 0, `whole run: no cookies in any of the ${contexts.length} browser contexts`, withCookies);
  },
});
