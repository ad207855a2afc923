// lib.mjs -- what the browser suites share (run.mjs: the signers' pages,
// admin.mjs: the organizers' pages): TAP output with concurrent lanes, the
// preconditions (skip when Chromium or node_modules are missing), a
// petitiond of its own on a free loopback port, browser contexts that record
// every request, axe-core, full-page screenshots, the reflow measure, and
// the run itself (watchdog, start, stop, clean-up).
//
// Each script is its own process: the state here (results, server, browser)
// belongs to that one run.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { AsyncLocalStorage } from 'node:async_hooks';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const ARTIFACTS = process.env.BROWSER_TEST_ARTIFACTS ? path.resolve(process.env.BROWSER_TEST_ARTIFACTS) : path.join(HERE, 'artifacts');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const TOKEN = 'browser-test-admin-token-0123456789abcdefghij';
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
export const KHMER_NAME = 'សុខ ដារ៉ា';
export const MOBILE = { viewport: { width: 360, height: 740 } }; // with width=device-width, the same layout as a phone
export const DESKTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
export const HOST = '127.0.0.1';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const KHMER = /[\u1780-\u17ff]/;

// ---------------------------------------------------------------------------
// TAP: results are buffered so that the plan comes first.

// Groups may run in concurrent lanes; each group's results go to its own
// buffer (found through AsyncLocalStorage) and are printed in group order.
let results = []; // {ok, desc, diag: [lines], skip}
export const headerNotes = [];
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
export function ok(cond, desc, diag) {
  sink().push({ ok: !!cond, desc, diag: cond ? [] : diagLines(typeof diag === 'function' ? diag() : diag) });
  return !!cond;
}
export function eq(got, want, desc, extra) {
  return ok(got === want, desc, `expected: ${JSON.stringify(want)}\ngot:      ${JSON.stringify(got)}`
    + (extra === undefined ? '' : '\n' + (typeof extra === 'string' ? extra : JSON.stringify(extra))));
}
export function note(text) {
  const lines = diagLines(text), r = sink();
  if (r.length) r[r.length - 1].diag.push(...lines);
  else headerNotes.push(...lines);
}
export function skip(desc, reason) { sink().push({ ok: true, desc, diag: [], skip: reason }); }

// Known problems, reported to the owners of the files that hold the fix:
// okKnown(cond, desc, diag, reason) prints a failure as
// "not ok ... # TODO <reason: where the fix goes>" (TAP: an expected
// failure, which fails neither the run nor meson) and a success as a plain
// "ok", so nothing needs to change here once the fix is in. The caller
// decides that a failure is the known one (a known axe rule on a known
// element, say): anything else stays a plain failure.
// BROWSER_TEST_STRICT=1 makes known problems plain failures too.
const STRICT = !!process.env.BROWSER_TEST_STRICT;
export function okKnown(cond, desc, diag, reason) {
  sink().push({ ok: !!cond, desc, diag: cond ? [] : diagLines(typeof diag === 'function' ? diag() : diag),
    todo: cond || STRICT ? null : reason });
  return !!cond;
}
const todoOf = (r) => (r.ok ? null : r.todo || null);

const groups = []; // [name, buffer] in the order they were started
let groupOrder = [];
const ONLY = process.env.BROWSER_TEST_ONLY ? new RegExp(process.env.BROWSER_TEST_ONLY, 'i') : null;
// The order the groups' results are printed in (groups not named come last,
// in the order they started).
export function setGroupOrder(names) { groupOrder = names; }
export async function group(name, fn) {
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
function collect() { // the groups' results, in a fixed order, after what is already there
  const rank = (n) => (groupOrder.includes(n) ? groupOrder.indexOf(n) : groupOrder.length);
  for (const [, buf] of groups.splice(0).sort((a, b) => rank(a[0]) - rank(b[0]))) results.push(...buf);
}
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
    const todo = todoOf(r);
    out.push(`${r.ok ? 'ok' : 'not ok'} ${i + 1} - ${desc}${r.skip ? ` # SKIP ${r.skip}` : ''}${todo ? ` # TODO ${todo.replace(/#/g, '\\#')}` : ''}`);
    for (const l of r.diag) out.push(`# ${l}`);
  });
  const failed = failedCount(), todo = results.filter(todoOf).length;
  out.push(`# ${results.length - failed - todo} passed, ${failed} failed${todo ? `, ${todo} known problems (TODO)` : ''}`);
  process.stdout.write(out.join('\n') + '\n');
}
const failedCount = () => results.filter((r) => !r.ok && !todoOf(r)).length;

// ---------------------------------------------------------------------------
// Preconditions: skip (exit 0) when the browser or the npm packages are absent.

function skipAll(reason) {
  process.stdout.write(`1..0 # SKIP ${reason}\n`);
  process.exit(0);
}
if (Number(process.versions.node.split('.')[0]) < 20) skipAll(`Node.js ${process.versions.node} is too old for playwright-core (needs 20 or later)`);
if (!fs.existsSync(CHROMIUM)) skipAll(`${CHROMIUM} not found (apt-get install chromium fonts-khmeros)`);
const require = createRequire(import.meta.url);
let chromium, AXE_SOURCE;
try {
  ({ chromium } = require('playwright-core'));
  AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
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

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, HOST, () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

export class Server {
  constructor(extraArgs = []) {
    this.bin = serverBin();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petitiond-browser-'));
    this.extraArgs = extraArgs;
    this.proc = null;
    this.exited = null;
  }
  get origin() { return `http://${HOST}:${this.port}`; }
  async start() {
    if (!fs.existsSync(this.bin)) throw new Error(`petitiond binary not found: ${this.bin} (set PETITIOND_BIN)`);
    this.port = await freePort();
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PETITIOND_')) env[k] = v;
    env.PETITIOND_ALLOW_ROOT = '1'; // the tests run as root in CI; petitiond refuses that otherwise
    const out = fs.openSync(path.join(this.dir, 'stdout.log'), 'w');
    const err = fs.openSync(path.join(this.dir, 'stderr.log'), 'w');
    this.proc = spawn(this.bin, ['--bind', HOST, '--port', String(this.port), '--db', path.join(this.dir, 'sig.db'),
      '--admin-token', TOKEN, '--rate-limit', '0', '--min-fill-time', '0', ...this.extraArgs],
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

export function parseCsv(text) {
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

// The run's server and browser (set by runSuite before the body runs).
export const S = { server: null, browser: null };
export const contexts = [];
export const allRequests = []; // every request of every context: {url, context}

export async function newContext(label, opts = {}) {
  const ctx = await S.browser.newContext({ baseURL: S.server.origin, locale: 'en-US', serviceWorkers: 'block', ...opts });
  ctx.setDefaultTimeout(10_000);
  ctx.setDefaultNavigationTimeout(15_000);
  ctx.on('request', (r) => allRequests.push({ url: r.url(), context: label }));
  contexts.push({ label, ctx });
  return ctx;
}
export async function newPage(label, opts) {
  const ctx = await newContext(label, opts);
  return { ctx, page: await ctx.newPage() };
}
export const htmlLang = (page) => page.evaluate(() => document.documentElement.lang);

// Records the page's requests until the returned function is called.
export function record(page) {
  const reqs = [];
  const on = (r) => reqs.push(r);
  page.on('request', on);
  return { reqs, stop: () => page.off('request', on) };
}

// axe goes in through the DevTools protocol (page.evaluate), which the page's
// CSP (script-src 'self') does not govern: no bypassCSP, the pages are tested
// under their real policy.
export async function injectAxe(page) {
  await page.evaluate(AXE_SOURCE);
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) throw new Error('axe-core did not load');
}
// Known axe-core violations (a rule on elements whose selector matches
// targetRe, on the pages whose description matches whatRe), each reported
// separately as a known problem (see okKnown); any other violation fails
// the page's check.
const knownAxe = []; // [rule id, RegExp on the node's selector, reason, RegExp on what]
export function knownAxeViolation(rule, targetRe, reason, whatRe = /(?:)/) { knownAxe.push([rule, targetRe, reason, whatRe]); }
export async function axeCheck(page, what, rules) {
  const r = await page.evaluate(async ([tags, rules]) => {
    const runOnly = rules ? { type: 'rule', values: rules } : { type: 'tag', values: tags };
    const res = await window.axe.run(document, { runOnly, resultTypes: ['violations'] });
    return res.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: (n.failureSummary || '').replace(/\s+/g, ' ') })) }));
  }, [AXE_TAGS, rules || null]);
  const lines = [], known = new Map(); // reason -> lines
  for (const v of r) {
    const head = `${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>`;
    const rest = [];
    for (const n of v.nodes) {
      const k = knownAxe.find(([id, re, , page]) => id === v.id && re.test(n.target) && page.test(what));
      if (k) {
        if (!known.has(k[2])) known.set(k[2], [head]);
        known.get(k[2]).push(`    ${n.target}`);
      } else rest.push(n);
    }
    if (rest.length) {
      lines.push(head);
      for (const n of rest.slice(0, 8)) lines.push(`    ${n.target}${n.summary ? ' :: ' + n.summary : ''}`);
      if (rest.length > 8) lines.push(`    ... (${rest.length - 8} more)`);
    }
  }
  const scope = rules ? rules.join(', ') : AXE_TAGS.join(', ');
  const good = ok(lines.length === 0, `axe (${scope}): ${what} has no violations${known.size ? ' but the known ones' : ''}`, lines.join('\n'));
  for (const [reason, l] of known) okKnown(false, `axe (${scope}): ${what}: known problem ${l[0].split(' ')[0]}`, l.join('\n'), reason);
  return good;
}

// A full-page PNG through the DevTools protocol directly: the same picture as
// page.screenshot({fullPage: true}), with zlib's fast setting
// (optimizeForSpeed), which halves the time of the tall Khmer pages.
export const shotFiles = [];
const cdpSessions = new WeakMap();
export async function shoot(page, name) {
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
  shotFiles.push(`${name}.png`);
  return `${name}.png`;
}

// Horizontal overflow of the page at its current viewport: the document's
// scrollWidth against its width, and the first elements that stick out on
// the right (an absolutely positioned one marked "(absolute)": it is not
// clipped by an overflow box that is not its containing block).
export function overflow(page) {
  return page.evaluate(() => {
    const de = document.documentElement, cw = de.clientWidth;
    const wide = [], abs = [];
    if (de.scrollWidth > cw) for (const el of document.body.querySelectorAll('*')) {
      const b = el.getBoundingClientRect();
      if (b.width && b.right > cw + 0.5) {
        const a = getComputedStyle(el).position === 'absolute';
        (a ? abs : wide).push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''} right=${Math.round(b.right)}${a ? ' (absolute)' : ''}`);
      }
    }
    return { sw: de.scrollWidth, cw, wide: [...abs, ...wide].slice(0, 10) };
  });
}

// ---------------------------------------------------------------------------
// The run: watchdog, server, browser, the body, whole-run checks, clean-up.

async function cleanup() {
  for (const { ctx } of contexts) await ctx.close().catch(() => {});
  if (S.browser) await S.browser.close().catch(() => {});
  if (S.server) {
    const r = await S.server.stop().catch((e) => ({ error: String(e) }));
    if (r && !(r.code === 0 && r.sig === null)) headerNotes.push(`server exit: ${JSON.stringify(r)}`);
    S.server.cleanup();
  }
}

// opts: limitS (the watchdog's default, BROWSER_TEST_LIMIT overrides it),
// serverArgs (more petitiond flags), shots (a RegExp: the PNGs in
// artifacts/ this script owns and removes at its start), body (async, the
// tests), after (async, whole-run checks while the browser is still up).
export async function runSuite({ limitS, serverArgs = [], shots, body, after }) {
  const limitMs = 1000 * (Number(process.env.BROWSER_TEST_LIMIT) || limitS);
  const t0 = Date.now();
  const watchdog = setTimeout(async () => {
    ok(false, `the suite finished within ${limitMs / 1000} s`,
      `load average now: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; BROWSER_TEST_LIMIT=<seconds> raises the limit`);
    const server = S.server;
    if (server) { // the server first: SIGTERM, then SIGKILL after 5 s
      const r = await Promise.race([server.stop().catch(() => null), sleep(5000).then(() => 'late')]);
      if (r === 'late' && server.proc.exitCode === null && server.proc.signalCode === null) process.kill(server.proc.pid, 'SIGKILL');
      server.cleanup();
    }
    if (S.browser) await Promise.race([S.browser.close().catch(() => {}), sleep(3000)]);
    printTap();
    process.exit(1);
  }, limitMs);
  try {
    S.server = new Server(serverArgs);
    await S.server.start();
    headerNotes.push(`server ${S.server.bin} on ${S.server.origin}`);
    headerNotes.push(`load average at start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
    S.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: false,
      args: CHROMIUM_ARGS, timeout: 30_000 });
    headerNotes.push(`browser: Chromium ${S.browser.version()} (${CHROMIUM}), playwright-core ${require('playwright-core/package.json').version}, axe-core ${require('axe-core/package.json').version}`);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    for (const f of fs.readdirSync(ARTIFACTS)) if (f.endsWith('.png') && shots.test(f)) fs.rmSync(path.join(ARTIFACTS, f));
    await body();
    headerNotes.push(`screenshots (${shotFiles.length}) in ${path.relative(REPO, ARTIFACTS)}/: ${shotFiles.sort().join(' ')}`);
    // Over the whole run, every context, every page.
    const origin = S.server.origin;
    const foreign = allRequests.filter((r) => !(r.url.startsWith(origin + '/') || r.url.startsWith('data:') || r.url === 'about:blank'));
    ok(foreign.length === 0, `whole run: all ${allRequests.length} browser requests stayed on ${origin}`,
      foreign.slice(0, 20).map((r) => `${r.context}: ${r.url}`).join('\n'));
    if (after) await after();
  } catch (e) {
    ok(false, 'the suite ran to completion', String(e && e.stack || e));
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
  const server = S.server;
  if (server && server.proc) {
    const code = server.proc.exitCode;
    ok(code === 0, 'the server exited 0 on SIGTERM', `exit ${code} signal ${server.proc.signalCode}; ${server.stderr()}`);
  }
  headerNotes.push(`total: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  printTap();
  process.exit(failedCount() || results.length === 0 ? 1 : 0);
}
