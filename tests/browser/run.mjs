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
// BROWSER_TEST_ONLY=<regexp> runs only the groups whose names match.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { AsyncLocalStorage } from 'node:async_hooks';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const ARTIFACTS = path.join(HERE, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const TOKEN = 'browser-test-admin-token-0123456789abcdefghij';
const SUITE_LIMIT_MS = 1000 * (Number(process.env.BROWSER_TEST_LIMIT) || 85); // the whole run, server start to stop
const BUDGET_BYTES = 30_000; // "30 KB compressed": the stricter, decimal reading
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
const KHMER_NAME = 'សុខ ដារ៉ា';
const MOBILE = { viewport: { width: 360, height: 740 } }; // with width=device-width, the same layout as a phone
const DESKTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };

// ---------------------------------------------------------------------------
// TAP: results are buffered so that the plan comes first.

// Groups run in two concurrent lanes; each group's results go to its own
// buffer (found through AsyncLocalStorage) and are printed in group order.
let results = []; // {ok, desc, diag: [lines], skip}
const headerNotes = [];
const lane = new AsyncLocalStorage();
const sink = () => lane.getStore() || results;
function diagLines(d) {
  if (d === undefined || d === null) return [];
  const text = typeof d === 'string' ? d : JSON.stringify(d, null, 1);
  const lines = text.split('\n');
  const out = lines.slice(0, 80).map((l) => (l.length > 400 ? l.slice(0, 400) + '...' : l));
  if (lines.length > 80) out.push(`... (${lines.length - 80} more lines)`);
  return out;
}
function ok(cond, desc, diag) {
  sink().push({ ok: !!cond, desc, diag: cond ? [] : diagLines(typeof diag === 'function' ? diag() : diag) });
  return !!cond;
}
function eq(got, want, desc, extra) {
  return ok(got === want, desc, `expected: ${JSON.stringify(want)}\ngot:      ${JSON.stringify(got)}`
    + (extra === undefined ? '' : '\n' + (typeof extra === 'string' ? extra : JSON.stringify(extra))));
}
function note(text) {
  const lines = diagLines(text), r = sink();
  if (r.length) r[r.length - 1].diag.push(...lines);
  else headerNotes.push(...lines);
}
function skip(desc, reason) { sink().push({ ok: true, desc, diag: [], skip: reason }); }
let printed = false;
function printTap() {
  if (printed) return;
  printed = true;
  const own = results;
  results = [];
  collect();
  results.push(...own);
  const out = [`1..${results.length}`];
  for (const l of headerNotes) out.push(`# ${l}`);
  results.forEach((r, i) => {
    const desc = r.desc.replace(/\n/g, ' ').replace(/#/g, '\\#');
    out.push(`${r.ok ? 'ok' : 'not ok'} ${i + 1} - ${desc}${r.skip ? ` # SKIP ${r.skip}` : ''}`);
    for (const l of r.diag) out.push(`# ${l}`);
  });
  const failed = results.filter((r) => !r.ok).length;
  out.push(`# ${results.length - failed} passed, ${failed} failed`);
  process.stdout.write(out.join('\n') + '\n');
}
const failedCount = () => results.filter((r) => !r.ok).length;

// ---------------------------------------------------------------------------
// Preconditions: skip (exit 0) when the browser or the npm packages are absent.

function skipAll(reason) {
  process.stdout.write(`1..0 # SKIP ${reason}\n`);
  process.exit(0);
}
if (Number(process.versions.node.split('.')[0]) < 20) skipAll(`Node.js ${process.versions.node} is too old for playwright-core (needs 20 or later)`);
if (!fs.existsSync(CHROMIUM)) skipAll(`${CHROMIUM} not found (apt-get install chromium fonts-khmeros)`);
const require = createRequire(import.meta.url);
let chromium, AXE_PATH, AXE_SOURCE;
try {
  ({ chromium } = require('playwright-core'));
  AXE_PATH = require.resolve('axe-core/axe.min.js');
  AXE_SOURCE = fs.readFileSync(AXE_PATH, 'utf8');
} catch (e) {
  skipAll(`node_modules missing in tests/browser (run: npm ci --prefix tests/browser): ${e.message.split('\n')[0]}`);
}

function serverBin() {
  if (process.env.PETITIOND_BIN) return process.env.PETITIOND_BIN;
  for (const b of ['build/petitiond', 'build-dev/petitiond']) {
    const p = path.join(REPO, b);
    if (fs.existsSync(p)) return p;
  }
  return path.join(REPO, 'build/petitiond');
}

// ---------------------------------------------------------------------------
// The server: own temp dir, free loopback port, SIGTERM by PID at the end.

const HOST = '127.0.0.1';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, HOST, () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

class Server {
  constructor() {
    this.bin = serverBin();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petitiond-browser-'));
    this.proc = null;
    this.exited = null;
  }
  get origin() { return `http://${HOST}:${this.port}`; }
  async start() {
    if (!fs.existsSync(this.bin)) throw new Error(`petitiond binary not found: ${this.bin} (set PETITIOND_BIN)`);
    this.port = await freePort();
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PETITIOND_')) env[k] = v;
    const out = fs.openSync(path.join(this.dir, 'stdout.log'), 'w');
    const err = fs.openSync(path.join(this.dir, 'stderr.log'), 'w');
    this.proc = spawn(this.bin, ['--bind', HOST, '--port', String(this.port), '--db', path.join(this.dir, 'sig.db'),
      '--admin-token', TOKEN, '--rate-limit', '0', '--min-fill-time', '0'],
    { cwd: this.dir, env, stdio: ['ignore', out, err] });
    fs.closeSync(out); fs.closeSync(err);
    this.exited = new Promise((r) => this.proc.on('exit', (code, sig) => r({ code, sig })));
    const deadline = Date.now() + 10_000;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`petitiond exited during start-up: ${this.stderr()}`);
      try {
        const r = await fetch(this.origin + '/healthz', { signal: AbortSignal.timeout(1000) });
        if (r.status === 200) return;
        last = `status ${r.status}`;
      } catch (e) { last = String(e); }
      await sleep(50);
    }
    throw new Error(`GET /healthz did not answer 200 within 10 s (${last}); stderr: ${this.stderr()}`);
  }
  stderr() {
    try { return fs.readFileSync(path.join(this.dir, 'stderr.log'), 'utf8').slice(-2000); } catch { return ''; }
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited && this.exited;
    process.kill(this.proc.pid, 'SIGTERM');
    const r = await Promise.race([this.exited, sleep(10_000).then(() => null)]);
    if (r) return r;
    process.kill(this.proc.pid, 'SIGKILL');
    return this.exited;
  }
  cleanup() {
    if (process.env.BROWSER_TEST_KEEP) return;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
  // -- plain HTTP from Node (not the browser) --
  async get(p, headers = {}) {
    return fetch(this.origin + p, { headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  }
  async stats() {
    const r = await this.get('/api/stats', { Accept: 'application/json' });
    return r.json();
  }
  async csv() {
    const r = await this.get('/admin/export.csv', { Authorization: `Bearer ${TOKEN}` });
    if (r.status !== 200) throw new Error(`GET /admin/export.csv: status ${r.status}`);
    return parseCsv(await r.text());
  }
  // Signs like a plain form client: every hidden field the page gives, plus the fields.
  async sign(fields) {
    const html = await (await this.get('/?lang=en')).text();
    const body = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) body.set(m[1], m[2]);
    body.set('website', '');
    for (const [k, v] of Object.entries(fields)) body.set(k, v);
    return fetch(this.origin + '/sign', { method: 'POST', body, redirect: 'manual',
      headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
  }
}

function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', i = 0, q = false;
  while (i < text.length) {
    const c = text[i];
    if (q) {
      if (c === '"') { if (text[i + 1] === '"') { cell += '"'; i += 2; continue; } q = false; i++; continue; }
      cell += c; i++; continue;
    }
    if (c === '"') { q = true; i++; continue; }
    if (c === ',') { row.push(cell); cell = ''; i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i += 2; continue; }
    cell += c; i++;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  const [head, ...body] = rows;
  return body.map((r) => Object.fromEntries(head.map((h, j) => [h, r[j]])));
}

// ---------------------------------------------------------------------------
// Browser helpers

let server, browser;
let main, nojs, desk; // the shared JS-on and JS-off pages (a new page costs seconds on a busy machine)
const contexts = [];
const allRequests = []; // every request of every context: {url, context}
let uniq = 0;
const email = (tag) => `browser-${tag}-${process.pid}-${++uniq}@example.org`;

async function newContext(label, opts = {}) {
  const ctx = await browser.newContext({ baseURL: server.origin, locale: 'en-US', serviceWorkers: 'block', ...opts });
  ctx.setDefaultTimeout(10_000);
  ctx.setDefaultNavigationTimeout(15_000);
  ctx.on('request', (r) => allRequests.push({ url: r.url(), context: label }));
  contexts.push({ label, ctx });
  return ctx;
}
async function newPage(label, opts) {
  const ctx = await newContext(label, opts);
  return { ctx, page: await ctx.newPage() };
}
const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);

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

const groups = []; // [name, buffer] in the order they were started
const ONLY = process.env.BROWSER_TEST_ONLY ? new RegExp(process.env.BROWSER_TEST_ONLY, 'i') : null;
async function group(name, fn) {
  if (ONLY && !ONLY.test(name)) return;
  const t0 = Date.now();
  const buf = [];
  groups.push([name, buf]);
  await lane.run(buf, async () => {
    try {
      await fn();
    } catch (e) {
      ok(false, `${name}: ran to completion`, String(e && e.stack || e));
    }
  });
  headerNotes.push(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
const ORDER = ['sign in English', 'sign in Khmer', 'error flow with JS', 'error flow without JS',
  'keyboard-only signing', 'no-JS signing', 'no third-party requests', 'weight budget',
  'desktop: screenshots and axe-core', 'screenshots (mobile) and reflow', 'reduced motion', 'live count'];
function collect() { // the groups' results, in a fixed order, after what is already there
  const rank = (n) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
  for (const [, buf] of groups.splice(0).sort((a, b) => rank(a[0]) - rank(b[0]))) results.push(...buf);
}

// ---------------------------------------------------------------------------
// The tests

// Records the page's requests until the returned function is called.
function record(page) {
  const reqs = [];
  const on = (r) => reqs.push(r);
  page.on('request', on);
  return { reqs, stop: () => page.off('request', on) };
}

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
  ok(await tabUntil('sign-submit', 10), 'keyboard: Tab reaches the submit button (honeypot skipped)', await active());
  const btnRing = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  ok(btnRing !== 'none', 'keyboard: the focused submit button has a visible outline', btnRing);
  await Promise.all([page.waitForURL((u) => u.pathname === '/thanks'), kb.press('Enter')]);
  eq(new URL(page.url()).pathname, '/thanks', 'keyboard: Enter on the button signs and lands on /thanks');
  const row = (await server.csv()).find((r) => r.email === addr);
  ok(row && row.name === 'Keyboard User' && row.country === 'KH' && row.public === '1'
    && row.comment === 'Typed with the keyboard only', 'keyboard: the stored row has what was typed', row);
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

// axe goes in through the DevTools protocol (page.evaluate), which the page's
// CSP (script-src 'self') does not govern: no bypassCSP, the pages are tested
// under their real policy.
async function injectAxe(page) {
  await page.evaluate(AXE_SOURCE);
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) throw new Error('axe-core did not load');
}
async function axeCheck(page, what, rules) {
  const r = await page.evaluate(async ([tags, rules]) => {
    const runOnly = rules ? { type: 'rule', values: rules } : { type: 'tag', values: tags };
    const res = await window.axe.run(document, { runOnly, resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      targets: v.nodes.slice(0, 8).map((n) => `${n.target.join(' ')}${n.failureSummary ? ' :: ' + n.failureSummary.replace(/\s+/g, ' ') : ''}`) }));
  }, [AXE_TAGS, rules || null]);
  const lines = [];
  for (const v of r) {
    lines.push(`${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>`);
    for (const t of v.targets) lines.push(`    ${t}`);
  }
  const scope = rules ? rules.join(', ') : AXE_TAGS.join(', ');
  ok(r.length === 0, `axe (${scope}): ${what} has no violations`, lines.join('\n'));
}
// A full-page PNG through the DevTools protocol directly: the same picture as
// page.screenshot({fullPage: true}), with zlib's fast setting
// (optimizeForSpeed), which halves the time of the tall Khmer pages.
const cdpSessions = new WeakMap();
async function shoot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  let cdp = cdpSessions.get(page);
  if (!cdp) { cdp = await page.context().newCDPSession(page); cdpSessions.set(page, cdp); }
  await page.evaluate(() => document.fonts.ready.then(() => true));
  const { cssContentSize: c } = await cdp.send('Page.getLayoutMetrics');
  const { data } = await cdp.send('Page.captureScreenshot', { format: 'png', optimizeForSpeed: true,
    captureBeyondViewport: true, clip: { x: 0, y: 0, width: Math.ceil(c.width), height: Math.ceil(c.height), scale: 1 } });
  const buf = Buffer.from(data, 'base64');
  fs.writeFileSync(file, buf);
  const w = buf.readUInt32BE(16), h = buf.readUInt32BE(20);
  ok(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && buf.length > 2000,
    `screenshot ${name}.png written (${w}×${h}, ${buf.length} bytes)`);
  return `${name}.png`;
}

const shotFiles = [];
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
    shotFiles.push(await shoot(page, `index-${lang}-${vp}`));
    await after(`/ (${lang})`);
    await goto422(page, lang);
    shotFiles.push(await shoot(page, `error422-${lang}-${vp}`));
    await after(`422 (${lang})`);
    await page.goto(lang === 'en' ? '/thanks' : '/thanks?lang=km');
    shotFiles.push(await shoot(page, `thanks-${lang}-${vp}`));
    await after(`/thanks (${lang})`);
    await page.goto(`/embed?lang=${lang}`);
    shotFiles.push(await shoot(page, `embed-${lang}-${vp}`));
    await after(`/embed (${lang})`);
    await page.goto(`/no-such-page?lang=${lang}`);
    shotFiles.push(await shoot(page, `notfound-${lang}-${vp}`));
    await after(`404 (${lang})`);
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const lang of ['en', 'km']) {
    await page.goto(`/?lang=${lang}`);
    await darkBackground(page, lang, vp);
    shotFiles.push(await shoot(page, `index-${lang}-dark-${vp}`));
  }
  await page.goto('/thanks?lang=km');
  shotFiles.push(await shoot(page, `thanks-km-dark-${vp}`));
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
    shotFiles.push(await shoot(page, `index-${lang}-${vp}`));
    await injectAxe(page);
    await axeCheck(page, `petition page (${lang})`);
    // The summary and messages app.js builds.
    await fillBad(page, lang === 'km' ? KHMER_NAME : 'Axe Check');
    await page.click('#sign-submit');
    await page.waitForFunction(() => document.getElementById('err-email').textContent !== '');
    await axeCheck(page, `petition page with inline JS errors (${lang})`);

    await goto422(page, lang);
    shotFiles.push(await shoot(page, `error422-${lang}-${vp}`));
    await injectAxe(page);
    await axeCheck(page, `422 error page (${lang})`);
    await darkContrast(page, `422 error page (${lang})`);

    for (const [p, name, what, dark] of [
      [lang === 'en' ? '/thanks' : '/thanks?lang=km', 'thanks', 'thanks page', true],
      [`/embed?lang=${lang}`, 'embed', 'embed widget', true],
      [`/no-such-page?lang=${lang}`, 'notfound', '404 page', false]]) {
      await page.goto(p);
      shotFiles.push(await shoot(page, `${name}-${lang}-${vp}`));
      await injectAxe(page);
      await axeCheck(page, `${what} (${lang})`);
      if (dark) await darkContrast(page, `${what} (${lang})`);
    }
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const lang of ['en', 'km']) {
    await page.goto(`/?lang=${lang}`);
    await darkBackground(page, lang, vp);
    shotFiles.push(await shoot(page, `index-${lang}-dark-${vp}`));
  }
  await page.goto('/thanks?lang=km');
  shotFiles.push(await shoot(page, `thanks-km-dark-${vp}`));
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
    const r = await page.evaluate(() => {
      const de = document.documentElement, cw = de.clientWidth;
      const wide = [];
      if (de.scrollWidth > cw) for (const el of document.body.querySelectorAll('*')) {
        const b = el.getBoundingClientRect();
        if (b.width && b.right > cw + 0.5 && getComputedStyle(el).position !== 'absolute') {
          wide.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''} right=${Math.round(b.right)}`);
        }
      }
      return { sw: de.scrollWidth, cw, wide: wide.slice(0, 10) };
    });
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

async function cleanup() {
  for (const { ctx } of contexts) await ctx.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  if (server) {
    const r = await server.stop().catch((e) => ({ error: String(e) }));
    if (r && !(r.code === 0 && r.sig === null)) headerNotes.push(`server exit: ${JSON.stringify(r)}`);
    server.cleanup();
  }
}

async function runSuite() {
  const t0 = Date.now();
  const watchdog = setTimeout(async () => {
    ok(false, `the suite finished within ${SUITE_LIMIT_MS / 1000} s`,
      `load average now: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; BROWSER_TEST_LIMIT=<seconds> raises the limit`);
    if (server) { // the server first: SIGTERM, then SIGKILL after 5 s
      const r = await Promise.race([server.stop().catch(() => null), sleep(5000).then(() => 'late')]);
      if (r === 'late' && server.proc.exitCode === null && server.proc.signalCode === null) process.kill(server.proc.pid, 'SIGKILL');
      server.cleanup();
    }
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(3000)]);
    printTap();
    process.exit(1);
  }, SUITE_LIMIT_MS);
  try {
    server = new Server();
    await server.start();
    headerNotes.push(`server ${server.bin} on ${server.origin}`);
    headerNotes.push(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false,
      args: CHROMIUM_ARGS, timeout: 30_000 });
    headerNotes.push(`browser: Chromium ${browser.version()} (${CHROMIUM}), playwright-core ${require('playwright-core/package.json').version}, axe-core ${require('axe-core/package.json').version}`);
    main = (await newPage('main', DESKTOP)).page;
    nojs = (await newPage('no-js', { ...DESKTOP, javaScriptEnabled: false })).page;
    desk = (await newPage('desktop', { ...DESKTOP, reducedMotion: 'reduce' })).page;
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    for (const f of fs.readdirSync(ARTIFACTS)) if (f.endsWith('.png')) fs.rmSync(path.join(ARTIFACTS, f));
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
    headerNotes.push(`screenshots (${shotFiles.length}) in ${path.relative(REPO, ARTIFACTS)}/: ${shotFiles.sort().join(' ')}`);
    // Over the whole run, every context, every page.
    const foreign = allRequests.filter((r) => !(r.url.startsWith(server.origin + '/') || r.url.startsWith('data:') || r.url === 'about:blank'));
    ok(foreign.length === 0, `whole run: all ${allRequests.length} browser requests stayed on ${server.origin}`,
      foreign.slice(0, 20).map((r) => `${r.context}: ${r.url}`).join('\n'));
    const withCookies = [];
    for (const { label, ctx } of contexts) if ((await ctx.cookies()).length) withCookies.push(label);
    ok(withCookies.length === 0, `whole run: no cookies in any of the ${contexts.length} browser contexts`, withCookies);
  } catch (e) {
    ok(false, 'the suite ran to completion', String(e && e.stack || e));
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
  if (server && server.proc) {
    const code = server.proc.exitCode;
    ok(code === 0, 'the server exited 0 on SIGTERM', `exit ${code} signal ${server.proc.signalCode}; ${server.stderr()}`);
  }
  headerNotes.push(`total: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  printTap();
  process.exit(failedCount() || results.length === 0 ? 1 : 0);
}

runSuite();
