#!/usr/bin/env node
// confirm.mjs -- the email confirmation's "Done means" (issue 13) in a real
// browser: with --confirm required and a loopback SMTP sink, a signer signs
// in Chromium, the message arrives, the signer opens its link and presses
// Confirm, and the count on the petition page moves by one; signing again
// with the same address is answered identically and the sink gets at most
// 3 messages for that address that day, in all; the withdrawal link and its
// button remove the signature (the count goes back down). In English and in
// Khmer. Then axe-core (WCAG 2.1 A/AA) on the pending thanks page, /confirm
// (the button, the code form, the confirmed page) and /withdraw (the button,
// the withdrawn page, the spent link), each in both languages; no
// horizontal scrolling at 390 and 320 CSS px; screenshots at phone width
// (390×844) into artifacts/confirm/<page>-<lang>-phone.png.
//
// The sink is the e2e tests' (tests/e2e/smtpsink.py, Debian's
// python3-aiosmtpd, STARTTLS with a test CA the server is given) run as a
// process of its own, smtp_sink_proc.py, which writes each message to its
// directory; it is stopped by PID at the end, and exits by itself when this
// process goes away. As run.mjs (the shared code is in lib.mjs): its own
// petitiond on a free 127.0.0.1 port, TAP on stdout, "1..0 # SKIP" when
// Chromium, node_modules or python3-aiosmtpd are missing.
//
// Environment: as run.mjs (PETITIOND_BIN, CHROMIUM_BIN, BROWSER_TEST_KEEP,
// BROWSER_TEST_ONLY, BROWSER_TEST_ARTIFACTS, BROWSER_TEST_STRICT);
// BROWSER_TEST_LIMIT=<seconds> the watchdog (default 120); PYTHON the
// interpreter for the sink (default python3).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ok, eq, note, group, setGroupOrder, S, runSuite, newContext, htmlLang, injectAxe, axeCheck, shoot,
  overflow, sleep, HERE, REPO, ARTIFACTS, TOKEN, KHMER, KHMER_NAME,
} from './lib.mjs';

const LIMIT_S = Number(process.env.BROWSER_TEST_LIMIT) || 120;
const PYTHON = process.env.PYTHON || 'python3';
const PHONE = { width: 390, height: 844 };
const SHOTS = 'confirm'; // artifacts/confirm/: run.mjs clears every other PNG directly in artifacts/
const PER_DAY = 3; // messages per address per day (the issue; STORE_MAIL_PER_DAY)
const MAIL_WAIT_MS = 20_000; // for a message the outbox sends at once
const QUIET_MS = 1500; // after the last expected message, for any extra one
const CACHE_MS = 300; // the server re-renders a cached page at most every 250 ms
const I18N = Object.fromEntries(['en', 'km'].map((l) =>
  [l, JSON.parse(fs.readFileSync(path.join(REPO, 'assets', 'i18n', `${l}.json`), 'utf8'))]));
const t = (lang, key) => I18N[lang][key];

// ---------------------------------------------------------------------------
// The SMTP sink: a process of ours, started before the server (whose
// --smtp-url names its port).

function skipAll(reason) {
  process.stdout.write(`1..0 # SKIP ${reason}\n`);
  process.exit(0);
}
{
  const probe = spawnSync(PYTHON, ['-c', 'import sys; sys.path.append("/usr/lib/python3/dist-packages"); import aiosmtpd'],
    { timeout: 20_000, encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    skipAll(`${PYTHON} with aiosmtpd not found (apt-get install python3-aiosmtpd): ${
      String(probe.error || probe.stderr).trim().split('\n').pop()}`);
  }
}

function startSink() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'petitiond-sink-'));
  const proc = spawn(PYTHON, [path.join(HERE, 'smtp_sink_proc.py'), '--dir', dir, '--limit', String(LIMIT_S + 60)],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  // However this run ends (runSuite's exit, the watchdog's, an exception),
  // the sink goes with it; its stdin closing would end it as well.
  process.on('exit', () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      try { process.kill(proc.pid, 'SIGTERM'); } catch { /* gone already */ }
    }
    if (!process.env.BROWSER_TEST_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  });
  let out = '', err = '';
  proc.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the SMTP sink did not start within 20 s: ${err}`)), 20_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try { resolve({ ...JSON.parse(out.slice(0, nl)), dir, proc, stderr: () => err }); } catch (e) { reject(e); }
    });
    proc.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`the SMTP sink exited (${code} ${sig}): ${err}`)); });
  });
}

let sink;
try {
  sink = await startSink();
} catch (e) {
  process.stdout.write(`1..1\nnot ok 1 - the SMTP sink (smtp_sink_proc.py) started\n# ${String(e.message).replace(/\n/g, '\n# ')}\n`);
  process.exit(1);
}

// Every message the sink accepted so far, in order: {n, to, subject,
// content_language, content_type, text, html}.
function mails() {
  return fs.readdirSync(sink.dir).map((f) => /^mail-(\d+)\.json$/.exec(f)).filter(Boolean)
    .sort((a, b) => a[1] - b[1]).map((m) => JSON.parse(fs.readFileSync(path.join(sink.dir, m[0]), 'utf8')));
}
const mailsTo = (addr) => mails().filter((m) => m.to.toLowerCase() === addr.toLowerCase());
// Until n messages to addr arrived (or MAIL_WAIT_MS): the list.
async function waitMails(addr, n) {
  const deadline = Date.now() + MAIL_WAIT_MS;
  let got = mailsTo(addr);
  while (got.length < n && Date.now() < deadline) {
    await sleep(50);
    got = mailsTo(addr);
  }
  return got;
}
// The links of a message's text part, as the signer would click them.
function links(m) {
  const origin = S.server.origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const find = (kind) => (m.text.match(new RegExp(`${origin}/${kind}\\?t=[A-Za-z0-9_-]{43}(?:&lang=[a-z]+)?`)) || [null])[0];
  return { confirm: find('confirm'), withdraw: find('withdraw'), code: (m.text.match(/\b[2-9A-Z]{5}-[2-9A-Z]{5}\b/) || [null])[0],
    all: [...`${m.text}\n${m.html}`.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((x) => x[0]) };
}

// /metrics (the organizers' token): the outbox and the skipped messages.
async function mailFigures() {
  const r = await S.server.get('/metrics', { Authorization: `Bearer ${TOKEN}` });
  const text = await r.text();
  const fig = (re) => { const m = text.match(re); return m ? Number(m[1]) : null; };
  return { status: r.status, queued: fig(/^petitiond_outbox_queued (\d+)$/m),
    skipped: fig(/^petitiond_mail_total\{outcome="skipped"\} (\d+)$/m), sent: fig(/^petitiond_mail_total\{outcome="sent"\} (\d+)$/m) };
}

// ---------------------------------------------------------------------------
// The browser side

const KM_DIGITS = '០១២៣៤៥៦៧៨៩';
const num = (s) => Number([...(s || '')].map((c) => (KM_DIGITS.includes(c) ? String(KM_DIGITS.indexOf(c)) : c))
  .join('').replace(/\D/g, ''));
const h1 = (page) => page.textContent('h1').then((x) => (x || '').replace(/\s+/g, ' ').trim());
const pathOf = (page) => { const u = new URL(page.url()); return u.pathname + u.search; };

// The count on the petition page (in lang) as the signer sees it. The
// server re-renders a cached page at most every 250 ms: when want is given,
// reloads for up to 2 s until the page shows it.
async function shownCount(page, lang, want) {
  const deadline = Date.now() + 2000;
  for (;;) {
    await page.goto(`/?lang=${lang}`);
    const n = num(await page.textContent('#count'));
    if (want === undefined || n === want || Date.now() > deadline) return n;
    await sleep(250);
  }
}

// The answers to POST /sign, caught through the DevTools protocol before
// the page sees them: app.js loads /thanks at once, after which the
// browser no longer has the fetch's body.
const signAnswers = new WeakMap(); // page -> [{status, headers, body}]
async function catchSignAnswers(page) {
  const answers = [];
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Fetch.requestPaused', async (e) => {
    try {
      if (e.request.method === 'POST' && e.responseStatusCode) {
        const r = await cdp.send('Fetch.getResponseBody', { requestId: e.requestId });
        const headers = (e.responseHeaders || []).map((h) => [h.name.toLowerCase(), h.value])
          .filter(([k]) => k !== 'date').sort();
        answers.push({ status: e.responseStatusCode, headers: JSON.stringify(headers),
          body: r.base64Encoded ? Buffer.from(r.body, 'base64').toString('utf8') : r.body });
      }
    } catch (err) {
      answers.push({ status: 0, headers: '', body: `not caught: ${err.message}` });
    } finally {
      cdp.send('Fetch.continueRequest', { requestId: e.requestId }).catch(() => {});
    }
  });
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*/sign', requestStage: 'Response' }] });
  signAnswers.set(page, answers);
}

// Signs through the petition page's form (JavaScript on: app.js posts it by
// fetch, then loads /thanks). Returns the answer to POST /sign and the
// thanks page's <main>.
async function signForm(page, lang, name, addr, country) {
  const answers = signAnswers.get(page), had = answers.length;
  await page.goto(`/?lang=${lang}`);
  await page.fill('#name', name);
  await page.fill('#email', addr);
  await page.selectOption('#country', country);
  await Promise.all([page.waitForURL((u) => u.pathname === '/thanks'), page.click('#sign-submit')]);
  await page.waitForLoadState('load');
  const a = answers[had] || { status: 0, headers: '', body: 'no answer to POST /sign caught' };
  return { status: a.status, body: a.body, headers: a.headers,
    main: await page.evaluate(() => document.querySelector('main').innerHTML), path: pathOf(page) };
}
// The same thanks page but for the count line and the progress bar (which
// a confirmation between two signings moves: the number, "person"/"people",
// the bar's value).
const maskCount = (html) => html.replace(/(<p class="count" id="count-line">).*?(<\/p>)/s, '$1#$2')
  .replace(/<progress[^>]*>.*?<\/progress>/s, '<progress>#</progress>');

// Presses the form's submit button (the one posting the link's token) and
// waits for the page it brings.
async function press(page, form) {
  const [resp] = await Promise.all([page.waitForNavigation(),
    page.click(`form[action="${form}"]:has(input[name=t]) button[type=submit]`)]);
  return resp;
}

// On the page already loaded: axe-core, no sideways scrolling at 390 and 320
// CSS px, then the screenshot at 390 px.
async function survey(page, name, lang, what) {
  eq(await htmlLang(page), lang, `${what} (${lang}): lang="${lang}"`);
  await injectAxe(page);
  await axeCheck(page, `${what} (${lang})`);
  const wide = [];
  for (const width of [PHONE.width, 320]) {
    await page.setViewportSize({ width, height: PHONE.height });
    const o = await overflow(page);
    if (o.sw > o.cw) wide.push(`${width} px: scrollWidth ${o.sw} > clientWidth ${o.cw}; ${o.wide.join(', ')}`);
  }
  await page.setViewportSize(PHONE);
  ok(wide.length === 0, `${what} (${lang}): no horizontal scrolling at ${PHONE.width} and 320 CSS px`, wide.join('\n'));
  await shoot(page, `${SHOTS}/${name}-${lang}-phone`);
}

// ---------------------------------------------------------------------------
// The flows. The server defers the mail of a client that asked for more than
// 5 messages in a minute (APP_MAIL_PER_MIN); both signers here are the same
// client (127.0.0.1), so the order is chosen to stay within that: the Khmer
// signer signs once, then the English one four times before confirming
// (5 in all), and once more after.

let en, km; // the signers' pages (phone width)

async function testEnglish() {
  const page = en, lang = 'en';
  const addr = `jane.mailer-${process.pid}@example.org`, name = 'Jane Mailer';
  const before = await shownCount(page, lang);
  const figs0 = await mailFigures();

  // Signing: stored unconfirmed, the thanks page asks to check the inbox.
  const first = await signForm(page, lang, name, addr, 'US');
  eq(first.path, '/thanks', 'en: signing lands on /thanks');
  eq(await h1(page), t(lang, 'thanks.pending.heading'), 'en: the thanks page says to check the inbox');
  await survey(page, 'thanks-pending', lang, 'pending thanks page');
  await sleep(CACHE_MS);
  eq(await shownCount(page, lang), before, 'en: the petition page\'s count does not move for an unconfirmed signature');
  eq((await S.server.stats()).count, before, 'en: nor does /api/stats');
  const msgs1 = await waitMails(addr, 1);
  eq(msgs1.length, 1, 'en: the confirmation message arrives in the sink');
  const m1 = msgs1[0] || { text: '', html: '', subject: '' };
  const l1 = links(m1);
  eq(m1.subject, t(lang, 'mail.subject'), 'en: its subject is the neutral "Confirm your request"');
  ok(l1.confirm && l1.withdraw && l1.code, 'en: it has a confirmation link, a code and a withdrawal link', m1.text);
  ok(l1.all.length && l1.all.every((u) => u.startsWith(S.server.origin + '/')),
    `en: every link in it opens this server (${S.server.origin}, from --public-url)`, l1.all);

  // Signing again (three more times) while unconfirmed: the same answer and
  // the same thanks page; 2 more messages (3 in all), then none.
  const again = [];
  for (let i = 0; i < 3; i++) again.push(await signForm(page, lang, name, addr, 'US'));
  const strip = ({ status, body, headers }) => ({ status, body, headers });
  ok(again.every((a) => JSON.stringify(strip(a)) === JSON.stringify(strip(first))),
    `en: signing again 3 times while unconfirmed: POST /sign answered identically (${first.status}, ${JSON.stringify(first.body)})`,
    again.map(strip).concat([strip(first)]));
  ok(again.every((a) => a.main === first.main && a.path === first.path),
    'en: ... and the thanks page is identical each time', again.find((a) => a.main !== first.main)?.main);
  let got = await waitMails(addr, PER_DAY);
  await sleep(QUIET_MS);
  got = mailsTo(addr);
  const figs1 = await mailFigures();
  eq(got.length, PER_DAY, `en: 4 signings of an unconfirmed address: ${PER_DAY} messages in the sink (the first and 2 re-sends)`,
    got.map((m) => m.subject));
  ok(figs1.queued === 0 && figs1.skipped - figs0.skipped === 1,
    'en: none waits in the outbox; /metrics counts the 4th as skipped', { before: figs0, after: figs1 });
  const confirms = got.map((m) => links(m).confirm);
  eq(new Set(confirms).size, got.length, 'en: each message carries a link of its own');

  // The newest message's link, opened in the browser: the page with the
  // button; the GET confirms nothing (mail scanners fetch every link).
  const last = links(got[got.length - 1] || m1);
  const open = await page.goto(last.confirm);
  eq(open.status(), 200, 'en: the mailed link opens /confirm (200)');
  eq(await h1(page), t(lang, 'confirm.heading'), 'en: the page asks to confirm');
  await survey(page, 'confirm', lang, '/confirm with the link\'s button');
  const confirmUrl = page.url();
  await sleep(CACHE_MS);
  eq(await shownCount(page, lang), before, 'en: opening the link (GET) confirms nothing');
  await page.goto(confirmUrl);
  const done = await press(page, '/confirm');
  ok(done.status() === 200 && new URL(page.url()).pathname === '/confirm', 'en: pressing Confirm posts the token: 200 on /confirm',
    `${done.status()} ${pathOf(page)}`);
  eq(await h1(page), t(lang, 'confirm.done.heading'), 'en: the page says the signature is confirmed');
  eq(num(await page.textContent('.count strong')), before + 1, 'en: the confirmed page shows the new count');
  await survey(page, 'confirmed', lang, 'confirmed page');
  // The share links are on the confirmed page itself (the thanks page of
  // this mode asks to check the inbox), and none leads there.
  ok(await page.isVisible('#share .share-list') && (await page.$$('main a[href^="/thanks"]')).length === 0,
    'en: the confirmed page shows the share links itself, no link to the "check your inbox" page');
  eq(await shownCount(page, lang, before + 1), before + 1, `en: the petition page's count moves by one (${before} → ${before + 1})`);
  eq((await S.server.stats()).count, before + 1, 'en: /api/stats counts it too');

  // Signing again once confirmed: the same answer, the same page but for the
  // count, and no 4th message that day.
  const conf = await signForm(page, lang, name, addr, 'US');
  eq(JSON.stringify(strip(conf)), JSON.stringify(strip(first)), 'en: signing again once confirmed: POST /sign answered identically');
  ok(maskCount(conf.main) === maskCount(first.main) && conf.path === first.path,
    'en: ... and the same thanks page (but for the count)', conf.main);
  await sleep(CACHE_MS);
  eq(await shownCount(page, lang), before + 1, 'en: the count is unchanged by it');
  await sleep(QUIET_MS);
  const figs2 = await mailFigures();
  ok(mailsTo(addr).length <= PER_DAY && figs2.queued === 0,
    `en: at most ${PER_DAY} messages to the address that day in all (sink: ${mailsTo(addr).length}, outbox: ${figs2.queued})`,
    { sink: mailsTo(addr).map((m) => m.subject), figs2 });

  // The withdrawal link, opened in the browser: what would go, a button.
  const wOpen = await page.goto(last.withdraw);
  eq(wOpen.status(), 200, 'en: the mailed withdrawal link opens /withdraw (200)');
  const shown = (await page.textContent('dl.facts')).replace(/\s+/g, ' ');
  ok(shown.includes(name) && !shown.includes(t(lang, 'withdraw.pending')),
    'en: the page shows the signature to be removed (the name; confirmed)', shown);
  await survey(page, 'withdraw', lang, '/withdraw with the link\'s button');
  const wUrl = page.url();
  await sleep(CACHE_MS);
  eq(await shownCount(page, lang), before + 1, 'en: opening the withdrawal link (GET) removes nothing');
  await page.goto(wUrl);
  const wDone = await press(page, '/withdraw');
  eq(wDone.status(), 200, 'en: pressing "Withdraw my signature": 200');
  eq(await h1(page), t(lang, 'withdraw.done.heading'), 'en: the page says it has been withdrawn');
  await survey(page, 'withdrawn', lang, 'withdrawn page');
  eq(await shownCount(page, lang, before), before, `en: the petition page's count goes back down (${before + 1} → ${before})`);
  const spent = await page.goto(last.withdraw);
  ok(spent.status() === 400 && (await h1(page)) === t(lang, 'withdraw.bad.heading'),
    'en: the withdrawal link again: 400, "This link does not work"', `${spent.status()} ${await h1(page)}`);
  await survey(page, 'withdraw-spent', lang, '/withdraw with a spent link');
}

async function testKhmer() {
  const page = km, lang = 'km';
  const addr = `sok.dara-${process.pid}@example.org`;
  const before = await shownCount(page, lang);
  const s = await signForm(page, lang, KHMER_NAME, addr, 'KH');
  eq(s.path, '/thanks?lang=km', 'km: signing on /?lang=km lands on /thanks?lang=km');
  eq(await h1(page), t(lang, 'thanks.pending.heading'), 'km: the thanks page asks, in Khmer, to check the inbox');
  await survey(page, 'thanks-pending', lang, 'pending thanks page');
  const msgs = await waitMails(addr, 1);
  eq(msgs.length, 1, 'km: the confirmation message arrives in the sink');
  const m = msgs[0] || { text: '', html: '', subject: '', content_language: '' };
  const l = links(m);
  ok(m.subject === t(lang, 'mail.subject') && m.content_language === 'km' && KHMER.test(m.text),
    'km: the message is in Khmer (subject, Content-Language: km, body)', { subject: m.subject, lang: m.content_language });
  ok(l.confirm && l.confirm.endsWith('&lang=km') && l.withdraw && l.withdraw.endsWith('&lang=km'),
    'km: its links open the Khmer pages', l);

  const open = await page.goto(l.confirm);
  eq(open.status(), 200, 'km: the mailed link opens /confirm (200)');
  eq(await h1(page), t(lang, 'confirm.heading'), 'km: the page asks, in Khmer, to confirm');
  await survey(page, 'confirm', lang, '/confirm with the link\'s button');
  await page.goto(l.confirm);
  const done = await press(page, '/confirm');
  eq(done.status(), 200, 'km: pressing the Khmer Confirm button: 200');
  eq(await h1(page), t(lang, 'confirm.done.heading'), 'km: the page says, in Khmer, that the signature is confirmed');
  await survey(page, 'confirmed', lang, 'confirmed page');
  eq(await shownCount(page, lang, before + 1), before + 1, `km: the petition page's count moves by one (${before} → ${before + 1})`);

  const wOpen = await page.goto(l.withdraw);
  eq(wOpen.status(), 200, 'km: the mailed withdrawal link opens /withdraw (200)');
  const shown = (await page.textContent('dl.facts')).replace(/\s+/g, ' ');
  ok(shown.includes(KHMER_NAME), 'km: the page shows the Khmer name exactly', shown);
  await survey(page, 'withdraw', lang, '/withdraw with the link\'s button');
  await page.goto(l.withdraw);
  const wDone = await press(page, '/withdraw');
  eq(wDone.status(), 200, 'km: pressing the Khmer withdraw button: 200');
  eq(await h1(page), t(lang, 'withdraw.done.heading'), 'km: the page says, in Khmer, that it has been withdrawn');
  await survey(page, 'withdrawn', lang, 'withdrawn page');
  eq(await shownCount(page, lang, before), before, `km: the count goes back down (${before + 1} → ${before})`);
}

// The pages a signer reaches without a link: the code form and the request
// for a withdrawal link.
async function testForms() {
  for (const [page, lang] of [[en, 'en'], [km, 'km']]) {
    const c = await page.goto(`/confirm?lang=${lang}`);
    ok(c.status() === 200 && (await page.$('#confirm-code')), `/confirm without a link (${lang}): the code form`, c.status());
    await survey(page, 'confirm-code', lang, '/confirm\'s code form');
    const w = await page.goto(`/withdraw?lang=${lang}`);
    ok(w.status() === 200 && (await page.$('#withdraw-email')), `/withdraw without a link (${lang}): the address form`, w.status());
    await survey(page, 'withdraw-request', lang, '/withdraw\'s address form');
  }
}

// ---------------------------------------------------------------------------

setGroupOrder(['signer in English', 'signer in Khmer', 'the forms without a link']);

// lib.mjs's Server picks its free port in start() and only then spreads
// these arguments: the array's iterator adds --public-url at that moment
// (S.server is set before start() is called), so the mailed links open
// this very server.
const fixed = ['--smtp-url', `smtp://127.0.0.1:${sink.port}`, '--smtp-ca-file', sink.ca,
  '--mail-from', 'Petition Team <team@petition.example>', '--confirm', 'required'];
const serverArgs = [...fixed];
serverArgs[Symbol.iterator] = function* args() { yield* fixed; yield '--public-url'; yield S.server.origin; };

runSuite({
  limitS: LIMIT_S,
  serverArgs,
  shots: /^$/, // its PNGs are in artifacts/confirm/, cleared below
  body: async () => {
    const dir = path.join(ARTIFACTS, SHOTS);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const opts = { viewport: PHONE, reducedMotion: 'reduce' };
    en = await (await newContext('signer-en', opts)).newPage();
    km = await (await newContext('signer-km', { ...opts, locale: 'km-KH' })).newPage();
    await catchSignAnswers(en);
    await catchSignAnswers(km);
    // The Khmer signer first: see the note above the flows.
    await group('signer in Khmer', testKhmer);
    await group('signer in English', testEnglish);
    await group('the forms without a link', testForms);
    note(`sink: ${mails().length} messages on 127.0.0.1:${sink.port}`);
  },
  after: async () => {
    ok(sink.proc.exitCode === null, 'the SMTP sink ran to the end', sink.stderr());
    process.kill(sink.proc.pid, 'SIGTERM');
  },
});
