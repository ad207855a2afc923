#!/usr/bin/env node
// admin.mjs -- real-browser tests of the organizers' pages (issue 11,
// "Organizers run the campaign themselves").
//
// Debian's Chromium driven by playwright-core, as run.mjs (the shared code is
// in lib.mjs): its own petitiond on a free 127.0.0.1 port with a database in
// a temp directory, stopped with SIGTERM by PID; TAP on stdout; "1..0 # SKIP"
// when Chromium or node_modules are missing.
//
// The organizers' flows, each in a real browser and through the pages' own
// forms: sign in and out; edit the Khmer text, preview it (a new tab),
// publish it, see it on the public page, publish the earlier version again
// (with JavaScript, and again without it, including a refused publication);
// pause with a message (the public page shows it and has no form), close
// (through the confirmation page), reopen, change the goal; add a second
// organizer, whose token is shown once, and sign in with it; find a signer,
// hide one, delete one (confirmation page). Then every organizers' page in
// English and Khmer: axe-core (WCAG 2.1 A/AA), no horizontal scrolling on a
// phone (360 and 320 CSS px), screenshots at 360×740 and 1280×800 into
// artifacts/admin-<page>-<lang>-<size>.png.
//
// Environment: as run.mjs (PETITIOND_BIN, CHROMIUM_BIN, BROWSER_TEST_KEEP,
// BROWSER_TEST_ONLY, BROWSER_TEST_ARTIFACTS); BROWSER_TEST_LIMIT=<seconds> the
// watchdog (default 170); BROWSER_TEST_STRICT=1 fails the known problems too.

import {
  ok, eq, skip, okKnown, knownAxeViolation, group, setGroupOrder, S, runSuite, newContext, htmlLang,
  injectAxe, axeCheck, shoot, overflow, contexts, TOKEN, KHMER, KHMER_NAME, MOBILE, DESKTOP,
} from './lib.mjs';

let server;
let en, km, nojs, pub; // pages: organizer (English), organizer (Khmer), organizer without JavaScript (Khmer), visitor
const state = {}; // what the survey needs: {sigKeepId, firstKm}

// ---------------------------------------------------------------------------
// Known problems, reported to the owners of the files that hold the fix
// (printed as "not ok ... # TODO <reason>", which fails nothing; a plain
// "ok" once fixed). Anything else on the same pages still fails.

// [what the offending element looks like in overflow()'s list, reason]; and
// knownAxeViolation(rule, target, reason, pages) for axe. None open now: the
// four found while writing these tests (the history table widening phone
// pages, the token links' accessible names, the charts' and the audit
// table's unfocusable scroll boxes) are fixed.
const KNOWN_OVERFLOW = [];

// ---------------------------------------------------------------------------
// Helpers

// Clicks sel (a submit button) on page and waits for the navigation it
// causes. Returns {resp, status, post}: the final response, its status and,
// when the POST was answered with a redirect, the POST's status.
async function submit(page, sel) {
  const [resp] = await Promise.all([page.waitForNavigation(), page.click(sel)]);
  const prev = resp && resp.request().redirectedFrom();
  const prevResp = prev && await prev.response();
  return { resp, status: resp && resp.status(), post: prevResp ? prevResp.status() : null };
}
const pathOf = (page) => { const u = new URL(page.url()); return u.pathname + u.search; };
const text = (page, sel) => page.textContent(sel).then((t) => (t || '').replace(/\s+/g, ' ').trim(), () => null);
const has = (page, sel) => page.$(sel).then((h) => !!h);

// A 401 of an organizers' page carries WWW-Authenticate: Basic (the
// contract), so a browser first shows its password dialog; the sign-in form
// is the page behind it. Headless Chromium has no dialog and fails the load
// (ERR_INVALID_AUTH_CREDENTIALS) unless the challenge is answered: here it is
// cancelled, as a person closing the dialog would, for the /admin pages.
async function cancelPasswordDialogs(page) {
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Fetch.requestPaused', (e) => cdp.send('Fetch.continueRequest', { requestId: e.requestId }).catch(() => {}));
  cdp.on('Fetch.authRequired', (e) => cdp.send('Fetch.continueWithAuth',
    { requestId: e.requestId, authChallengeResponse: { response: 'CancelAuth' } }).catch(() => {}));
  await cdp.send('Fetch.enable', { handleAuthRequests: true, patterns: [{ urlPattern: '*/admin*', requestStage: 'Request' }] });
}

// Signs in through /admin/login's form; returns the page it lands on.
async function signIn(page, token, lang) {
  await page.goto('/admin/login');
  eq(await htmlLang(page), lang, `sign-in page (${lang}) has lang="${lang}"`);
  await page.fill('#login-token', token);
  return submit(page, 'form[action="/admin/login"] button[type=submit]');
}

// The organizers' navigation: (at least) the six sections' links, the
// current one marked.
const SECTIONS = ['/admin', '/admin/content', '/admin/signatures', '/admin/settings', '/admin/admins', '/admin/audit'];
let navLinks = [];
async function navCheck(page, what, section) {
  const n = await page.evaluate(() => {
    const nav = document.querySelector('nav.admin-nav');
    if (!nav) return null;
    return { links: [...nav.querySelectorAll('a')].map((a) => a.getAttribute('href')),
      current: [...nav.querySelectorAll('a[aria-current=page]')].map((a) => a.getAttribute('href')),
      label: nav.getAttribute('aria-label'), signout: !!nav.querySelector('form[action="/admin/logout"] button') };
  });
  if (n) navLinks = n.links;
  ok(n && SECTIONS.every((l) => n.links.includes(l)) && n.label && n.signout
    && (section === null ? n.current.length === 0 : n.current.length === 1 && n.current[0] === section),
  `${what}: the organizers' navigation (the six sections, labelled, a sign-out button) marks ${section || 'no section'}`, n);
}

// Axe-core, then screenshots at 1280×800 and 360×740 of the page already
// loaded; at 360 and 320 CSS px the page must not scroll sideways (a wide
// table may scroll inside its own box, which must then be focusable).
async function survey(page, name, lang, what) {
  await injectAxe(page);
  await axeCheck(page, `${what} (${lang})`);
  await shoot(page, `admin-${name}-${lang}-desktop`);
  await page.setViewportSize(MOBILE.viewport);
  const wide = [], reasons = new Set();
  let unknown = false;
  for (const width of [360, 320]) {
    if (width !== 360) await page.setViewportSize({ width, height: 740 });
    const o = await overflow(page);
    if (o.sw <= o.cw) continue;
    wide.push(`${width} px: scrollWidth ${o.sw} > clientWidth ${o.cw}; ${o.wide.join(', ')}`);
    const k = KNOWN_OVERFLOW.find(([re]) => re.test(o.wide[0] || ''));
    if (k) reasons.add(k[1]); else unknown = true;
  }
  okKnown(wide.length === 0, `${what} (${lang}): no horizontal scrolling of the page at 360 and 320 CSS px`,
    wide.join('\n'), unknown ? null : [...reasons].join('; '));
  await page.setViewportSize(MOBILE.viewport);
  await axeCheck(page, `${what} (${lang}) on a phone`, ['scrollable-region-focusable', 'target-size']);
  await shoot(page, `admin-${name}-${lang}-mobile`);
  await page.setViewportSize(DESKTOP.viewport);
}

// The public petition page, as a visitor sees it.
async function publicPage(lang) {
  const resp = await pub.goto(`/?lang=${lang}`);
  return pub.evaluate(() => ({
    form: !!document.getElementById('sign-form'),
    status: (document.querySelector('section.status') || {}).className || null,
    message: ((document.querySelector('section.status') || {}).textContent || '').replace(/\s+/g, ' ').trim(),
    article: (document.querySelector('article.petition') || {}).textContent || '',
    goal: ((document.getElementById('goal-line') || {}).textContent || '').replace(/\s+/g, ' ').trim(),
    lang: document.documentElement.lang,
  })).then((r) => ({ ...r, code: resp.status() }));
}

// ---------------------------------------------------------------------------
// Flows

async function testSignInOut() {
  const ctx = await newContext('sign-in', { ...DESKTOP, reducedMotion: 'reduce' });
  const page = await ctx.newPage();
  await cancelPasswordDialogs(page);
  const resp = await page.goto('/admin/settings');
  eq(resp.status(), 401, 'sign in: /admin/settings without a session answers 401');
  ok(await has(page, 'form[action="/admin/login"] #login-token'), 'sign in: the 401 page is the sign-in form');
  eq(await page.inputValue('input[name=next]'), '/admin/settings', 'sign in: the form returns to the page asked for');
  await injectAxe(page);
  await axeCheck(page, 'sign-in form on the 401 page (en)');
  await page.fill('#login-token', 'not-the-token-0123456789abcdefghijklmnop');
  const bad = await submit(page, 'form[action="/admin/login"] button[type=submit]');
  const badState = await page.evaluate(() => ({
    err: (document.getElementById('login-token-error') || {}).textContent || '',
    invalid: document.getElementById('login-token').getAttribute('aria-invalid'),
    described: document.getElementById('login-token').getAttribute('aria-describedby'),
  }));
  ok(bad.status >= 400 && bad.status < 500 && badState.err && badState.invalid === 'true'
    && badState.described === 'login-token-error',
  'sign in: a wrong token gets the form again with the error tied to the field', { status: bad.status, ...badState });
  eq((await ctx.cookies()).length, 0, 'sign in: a wrong token sets no cookie');
  await injectAxe(page);
  await axeCheck(page, 'sign-in form with its error (en)');
  await page.fill('#login-token', TOKEN);
  const good = await submit(page, 'form[action="/admin/login"] button[type=submit]');
  ok(good.post === 303 && pathOf(page) === '/admin/settings' && good.status === 200,
    'sign in: the right token → 303 → the page asked for', { post: good.post, status: good.status, url: pathOf(page) });
  await navCheck(page, 'settings after signing in', '/admin/settings');
  eq(await text(page, '.admin-who strong'), 'owner', 'sign in: the page says who is signed in (owner)');
  const cookies = await ctx.cookies();
  const c = cookies[0] || {};
  ok(cookies.length === 1 && c.path === '/admin' && c.httpOnly && c.sameSite === 'Strict' && c.expires === -1,
    'sign in: one cookie, Path=/admin, HttpOnly, SameSite=Strict, gone when the browser closes', cookies.map((x) => ({ ...x, value: '…' })));
  // The petition's pages never see it.
  const pubResp = await page.goto('/');
  const sent = await pubResp.request().allHeaders();
  const got = await pubResp.allHeaders();
  ok(!sent.cookie && !got['set-cookie'], 'sign in: the petition page is requested without the cookie and sets none',
    { cookie: sent.cookie, setCookie: got['set-cookie'] });
  await page.goto('/admin');
  const out = await submit(page, 'form[action="/admin/logout"] button[type=submit]');
  ok(out.post === 303 && pathOf(page).startsWith('/admin/login') && (await has(page, '#login-token')),
    'sign out: 303 to the sign-in page', { post: out.post, url: pathOf(page) });
  ok(await has(page, '[role=status]'), 'sign out: the sign-in page says so', await text(page, 'main'));
  eq((await ctx.cookies()).length, 0, 'sign out: the cookie is gone');
  eq((await page.goto('/admin')).status(), 401, 'sign out: /admin answers 401 again');
}

// The Khmer body's phrase the e2e test also edits: "more than three decades later".
const PHRASE = 'ជាងបីទសវត្សរ៍ក្រោយមក';

// The editor of the Khmer text: change the body, preview it in a new tab,
// publish, check the public page, publish the earlier version again.
// js: with JavaScript (publish from the preview's banner) or without
// (publish from the editor, after a refused attempt with a blank title).
async function editorFlow(page, tag, js) {
  const ctx = page.context();
  const marker = `${PHRASE} (កែ ${tag})`;
  const r0 = await page.goto('/admin/content?text=km');
  eq(r0.status(), 200, `editor (${tag}): /admin/content?text=km answers 200`);
  if (!js) ok(await page.evaluate(() => !document.documentElement.classList.contains('js')), `editor (${tag}): JavaScript is off`);
  await navCheck(page, `editor (${tag})`, '/admin/content');
  const body0 = await page.inputValue('#c-body');
  ok(body0.includes(PHRASE), `editor (${tag}): the Khmer body is in the textarea`, body0.slice(0, 200));
  const title0 = await page.inputValue('#c-title');
  ok(KHMER.test(title0), `editor (${tag}): the Khmer title is in its field`, title0);
  await page.fill('#c-body', body0.replace(PHRASE, marker));

  // Preview: a new tab (formtarget=_blank, no script needed).
  const [tab] = await Promise.all([ctx.waitForEvent('page'), page.click('form.content-editor button[formaction]')]);
  await tab.waitForLoadState('load');
  const pv = await tab.evaluate(() => ({
    path: location.pathname,
    banner: !!document.querySelector('.preview-banner'),
    robots: (document.querySelector('meta[name=robots]') || {}).content || '',
    article: (document.querySelector('article.petition') || {}).textContent || '',
    lang: document.documentElement.lang,
  }));
  ok(pv.banner && /noindex/.test(pv.robots) && pv.article.includes(marker) && pv.lang === 'km',
    `preview (${tag}): a new tab shows the page with the change, marked as a preview, noindex, in Khmer`,
    { ...pv, article: pv.article.slice(0, 120) });
  const before = await publicPage('km');
  ok(!before.article.includes(marker) && before.article.includes(PHRASE),
    `preview (${tag}): the public Khmer page is unchanged`);

  if (js) {
    // Publish from the preview's banner.
    const p = await submit(tab, '.preview-banner form button.btn-primary');
    ok(p.post === 303 && pathOf(tab).startsWith('/admin/content?text=km&msg=published'),
      `publish (${tag}): the preview's Publish button → 303 → the editor`, { post: p.post, url: pathOf(tab) });
    ok(/publish/i.test(await text(tab, '[role=status]') || ''), `publish (${tag}): the editor says it was published`,
      await text(tab, '[role=status]'));
    await tab.close();
  } else {
    await tab.close();
    // A blank title (spaces pass the browser's `required`): refused, the
    // draft kept, the field marked.
    await page.fill('#c-title', '   ');
    const bad = await submit(page, 'form.content-editor button.btn-primary');
    const s = await page.evaluate(() => ({
      summary: !!document.querySelector('.error-summary[role=alert] a[href="#c-title"]'),
      invalid: document.getElementById('c-title').getAttribute('aria-invalid'),
      err: document.getElementById('err-c-title').textContent.trim(),
      body: document.getElementById('c-body').value,
      lang: document.documentElement.lang,
    }));
    ok(bad.status === 422 && s.summary && s.invalid === 'true' && s.err && s.body.includes(marker),
      `publish (${tag}): a blank title → 422, the summary links to the marked title, the draft kept`,
      { status: bad.status, ...s, body: s.body.slice(0, 80) });
    ok(KHMER.test(s.err), `publish (${tag}): the error is in Khmer`, s.err);
    await page.fill('#c-title', title0);
    const p = await submit(page, 'form.content-editor button.btn-primary');
    ok(p.post === 303 && pathOf(page).startsWith('/admin/content?text=km&msg=published'),
      `publish (${tag}): the editor's Publish button → 303 → the editor`, { post: p.post, url: pathOf(page) });
    ok(KHMER.test(await text(page, '[role=status]') || ''), `publish (${tag}): the result is said in Khmer`,
      await text(page, '[role=status]'));
  }
  const after = await publicPage('km');
  ok(after.article.includes(marker), `publish (${tag}): the public Khmer page shows the change at once`);
  ok(!(await publicPage('en')).article.includes(marker), `publish (${tag}): the English page is not touched`);

  // History → the earlier version → publish it again.
  await page.goto('/admin/content?text=km');
  const rows = await page.$$eval('table.content-history tbody tr', (trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, ' ').trim()));
  ok(rows.length >= 2, `history (${tag}): the new version and the earlier ones are listed`, rows);
  await Promise.all([page.waitForURL(/\/admin\/content\/version\?id=\d+/), page.click('table.content-history tbody tr:nth-child(2) a')]);
  ok(await has(page, 'form[action="/admin/content/revert"] button[type=submit]'),
    `revert (${tag}): the earlier version's page offers to publish it again`);
  const rv = await submit(page, 'form[action="/admin/content/revert"] button[type=submit]');
  ok(rv.post === 303 && /msg=reverted/.test(pathOf(page)), `revert (${tag}): 303 → the editor, which says so`,
    { post: rv.post, url: pathOf(page) });
  const back = await publicPage('km');
  ok(!back.article.includes(marker) && back.article.includes(PHRASE),
    `revert (${tag}): the public Khmer page shows the earlier text again`);
}

async function testEditorJs() { await editorFlow(en, 'JS', true); }
async function testEditorNoJs() { await editorFlow(nojs, 'no JS', false); }

const PAUSED = { en: 'Paused for the delivery: back on Monday.', km: 'ផ្អាកសិនសម្រាប់ការប្រគល់ ត្រឡប់មកវិញថ្ងៃច័ន្ទ។' };
const CLOSED = { en: 'Delivered to the signatories on 1 December.', km: 'បានប្រគល់ជូនភាគីហត្ថលេខីនៅថ្ងៃទី១ ខែធ្នូ។' };

async function testLifecycle() {
  const page = en;
  // Pause with a message.
  await page.goto('/admin/settings');
  await navCheck(page, 'settings', '/admin/settings');
  await page.fill('#msg_paused_en', PAUSED.en);
  await page.fill('#msg_paused_km', PAUSED.km);
  const p = await submit(page, 'button[name=action][value=pause]');
  ok(p.post === 303 && /done=pause/.test(pathOf(page)) && (await has(page, '[role=status]')),
    'pause: 303 → the settings page, which says so', { post: p.post, url: pathOf(page) });
  eq((await server.stats()).status, 'paused', 'pause: /api/stats says "paused"');
  for (const lang of ['en', 'km']) {
    const s = await publicPage(lang);
    ok(s.code === 200 && !s.form && /status-paused/.test(s.status) && s.message.includes(PAUSED[lang]),
      `pause: the public page (${lang}) shows the message and no form`, s.message);
    await survey(pub, 'public-paused', lang, 'public page, paused');
  }
  const signed = await server.sign({ name: 'Too Early', email: 'paused@example.org', country: 'KH' });
  const sj = await signed.json().catch(() => null);
  ok(signed.status === 403 && sj && sj.ok === false && sj.error === 'paused',
    'pause: POST /sign answers 403 {"ok":false,"error":"paused"}', { status: signed.status, body: sj });

  // Close: the confirmation page first.
  await page.goto('/admin/settings');
  await page.fill('#msg_closed_en', CLOSED.en);
  await page.fill('#msg_closed_km', CLOSED.km);
  const c1 = await submit(page, 'button[name=action][value=close]');
  ok(c1.post === 303 && /confirm=close/.test(pathOf(page)) && (await has(page, 'section.confirm input[name=confirm]')),
    'close: 303 → a confirmation page', { post: c1.post, url: pathOf(page) });
  eq((await server.stats()).status, 'paused', 'close: nothing closed before the confirmation');
  const c2 = await submit(page, 'section.confirm button[name=action][value=close]');
  ok(c2.post === 303 && /done=close/.test(pathOf(page)), 'close: confirmed → 303 → the settings page',
    { post: c2.post, url: pathOf(page) });
  eq((await server.stats()).status, 'closed', 'close: /api/stats says "closed"');
  for (const lang of ['en', 'km']) {
    const s = await publicPage(lang);
    ok(s.code === 200 && !s.form && /status-closed/.test(s.status) && s.message.includes(CLOSED[lang]),
      `close: the public page (${lang}) shows the closing message and no form`, s.message);
    await survey(pub, 'public-closed', lang, 'public page, closed');
  }

  // Reopen.
  await page.goto('/admin/settings');
  const o = await submit(page, 'button[name=action][value=open]');
  ok(o.post === 303 && /done=open/.test(pathOf(page)), 'reopen: 303 → the settings page', { post: o.post, url: pathOf(page) });
  eq((await server.stats()).status, 'open', 'reopen: /api/stats says "open"');
  for (const lang of ['en', 'km']) {
    const s = await publicPage(lang);
    ok(s.form && !s.status, `reopen: the public page (${lang}) has its form again`, s);
  }

  // Raise the goal; then a goal already reached, with a next milestone.
  const count = (await server.stats()).count;
  await page.goto('/admin/settings');
  await page.fill('#goal', '25000');
  const g = await submit(page, 'button[name=action][value=goal]');
  ok(g.post === 303 && /done=goal/.test(pathOf(page)), 'goal: 303 → the settings page', { post: g.post, url: pathOf(page) });
  eq((await server.stats()).goal, 25000, 'goal: /api/stats has the new goal');
  const s1 = await publicPage('en');
  ok(s1.goal.replace(/\D/g, '').includes('25000'), 'goal: the public page shows the new goal', s1.goal);
  await page.fill('#goal', String(Math.max(1, count)));
  await page.fill('#milestone', '500');
  await submit(page, 'button[name=action][value=goal]');
  const s2 = await publicPage('en');
  ok(s2.goal.includes('500') && s2.goal !== s1.goal, 'goal: past the goal the page says so and names the next milestone', s2.goal);
  await page.fill('#goal', '25000');
  await page.fill('#milestone', '');
  await submit(page, 'button[name=action][value=goal]');
}

// Adds organizer name from page (signed in as owner): the token is shown
// once. Returns the token.
async function addAdmin(page, name, lang) {
  await page.goto('/admin/admins');
  await navCheck(page, `organizers (${lang})`, '/admin/admins');
  await page.fill('#add-name', name);
  const r = await submit(page, 'form[action="/admin/admins"] button[type=submit]');
  const token = await text(page, 'code.token');
  ok(r.post === 303 && /shown=/.test(pathOf(page)) && token && token.length >= 32,
    `add organizer (${lang}): 303 → the page that shows the new token`, { post: r.post, url: pathOf(page), len: token && token.length });
  ok((await text(page, '#token-h + p strong')) === name, `add organizer (${lang}): the token is named for ${name}`);
  await survey(page, 'admins-token', lang, 'new organizer\'s token, shown once');
  await page.reload();
  ok(!(await has(page, 'code.token')) && (await has(page, '.error-summary[role=alert]')),
    `add organizer (${lang}): reloading shows the token no more, and says why`);
  const listed = await page.$$eval('table tbody tr', (trs) => trs.map((tr) => tr.textContent));
  ok(listed.some((t) => t.includes(name)), `add organizer (${lang}): ${name} is in the list`, listed);
  return token;
}

async function testAdmins() {
  const token = await addAdmin(en, 'second', 'en');
  const ctx = await newContext('second', DESKTOP);
  const page = await ctx.newPage();
  const s = await signIn(page, token, 'en');
  ok(s.post === 303 && pathOf(page) === '/admin' && (await text(page, '.admin-who strong')) === 'second',
    'second organizer: signs in with the token shown once and is named on the pages', { post: s.post, url: pathOf(page) });
  await navCheck(page, 'dashboard of the second organizer', '/admin');
  await addAdmin(km, 'third', 'km');
}

async function testModeration() {
  const page = en;
  const r = await page.goto('/admin/signatures');
  if (r.status() === 404) {
    skip('moderation: find, hide and delete a signer', '/admin/signatures answers 404 (the moderation pages have not landed)');
    return;
  }
  await navCheck(page, 'signatures', '/admin/signatures');
  const count0 = (await server.stats()).count;
  await page.fill('#sig-q', 'Remove');
  await submit(page, 'form.sig-search button[type=submit]');
  const found = await page.$$eval('table.sigs tbody tr', (trs) => trs.map((tr) => tr.textContent.replace(/\s+/g, ' ').trim()));
  ok(found.length === 1 && found[0].includes('Remove Me'), 'moderation: a search by name finds the one signer', found);
  await page.fill('#sig-q', 'ដារ៉ា');
  await submit(page, 'form.sig-search button[type=submit]');
  const kfound = await page.$$eval('table.sigs tbody tr', (trs) => trs.map((tr) => tr.textContent));
  ok(kfound.length === 1 && kfound[0].includes(KHMER_NAME), 'moderation: a search by a Khmer name finds the signer', kfound);
  // Hide the Khmer signer from the public list.
  const h = await submit(page, 'table.sigs tbody tr button[formaction$="/hide"]');
  ok(h.post === 303 && (await has(page, '[role=status]')) && (await has(page, 'table.sigs tbody tr button[formaction$="/show"]')),
    'moderation: hide → 303 → the list says so and offers to show the signer again', { post: h.post, url: pathOf(page) });
  eq((await server.stats()).count, count0, 'moderation: a hidden signature still counts');
  await pub.goto('/?lang=en');
  const recent = await text(pub, 'section.recent') || '';
  ok(recent.includes('Sok D.') && !recent.includes('ដារ៉ា'),
    'moderation: the public page\'s recent signers no longer show the hidden one\'s public name (the others stay)', recent);
  // Delete: the confirmation page, then POST, then the list.
  await page.goto('/admin/signatures?q=Remove');
  await Promise.all([page.waitForURL(/\/admin\/signatures\/delete\?id=\d+/), page.click('table.sigs tbody tr a.btn-danger')]);
  ok((await text(page, 'dl.sig-detail')).includes('Remove Me'), 'moderation: the confirmation page shows the signature');
  eq((await server.stats()).count, count0, 'moderation: nothing deleted before the confirmation');
  const d = await submit(page, 'form[action="/admin/signatures/delete"] button.btn-danger');
  const msg = await text(page, '[role=status]');
  ok(d.post === 303 && new URL(page.url()).pathname === '/admin/signatures' && /#?\d/.test(msg || ''),
    'moderation: delete → 303 → the list, which says which signature was deleted', { post: d.post, url: pathOf(page), msg });
  eq((await server.stats()).count, count0 - 1, 'moderation: the count went down by one');
  await page.reload();
  eq((await server.stats()).count, count0 - 1, 'moderation: reloading the result deletes nothing more');
}

// ---------------------------------------------------------------------------
// Every page, both languages: axe-core, phone reflow, screenshots.

async function surveyLang(page, lang) {
  const pages = [
    ['dashboard', '/admin', '/admin', 'dashboard'],
    ['content-en', '/admin/content?text=en', '/admin/content', 'editor of the English text'],
    ['content-km', '/admin/content?text=km', '/admin/content', 'editor of the Khmer text'],
    ['content-version', `/admin/content/version?id=${state.firstKm}`, '/admin/content', 'an earlier version of the Khmer text'],
    ['content-withdraw', '/admin/content/withdraw?text=km', '/admin/content', 'withdraw-the-translation confirmation'],
    ['settings', '/admin/settings', '/admin/settings', 'settings'],
    ['settings-close', '/admin/settings?confirm=close', '/admin/settings', 'close confirmation'],
    ['signatures', '/admin/signatures', '/admin/signatures', 'signatures'],
    ['signatures-search', '/admin/signatures?q=Sok', '/admin/signatures', 'signatures found by a search'],
    ['signature-delete', `/admin/signatures/delete?id=${state.sigKeepId}`, '/admin/signatures', 'delete confirmation'],
    ['admins', '/admin/admins', '/admin/admins', 'organizers'],
    ['audit', '/admin/audit', '/admin/audit', 'audit trail'],
  ];
  // Pages other work adds to the navigation are checked too.
  for (const l of navLinks) if (!SECTIONS.includes(l)) pages.push([l.replace(/^\/admin\//, '').replace(/\W+/g, '-'), l, l, `${l} (linked from the navigation)`]);
  for (const [name, url, section, what] of pages) {
    const r = await page.goto(url);
    if (section === '/admin/signatures' && r.status() === 404) {
      skip(`${what} (${lang}): axe-core and screenshots`, `${url} answers 404 (the moderation pages have not landed)`);
      continue;
    }
    const st = r.status();
    eq(st, 200, `${what} (${lang}): ${url} answers 200`);
    const l = await htmlLang(page);
    const h1 = await text(page, 'h1');
    ok(l === lang && h1 && (lang === 'en' || KHMER.test(h1)), `${what} (${lang}): lang="${lang}", a heading in that language`, { lang: l, h1 });
    await navCheck(page, `${what} (${lang})`, section);
    if (name === 'settings-close') ok(await has(page, 'section.confirm'), `${what} (${lang}): the confirmation is on the page`);
    if (name === 'audit') {
      const rows = await page.$$eval('table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
      const who = new Set(rows.map((r) => r[1]));
      ok(rows.length >= 20 && who.has('owner') && who.has('second') && rows.some((r) => r[3] === 'third'),
        `${what} (${lang}): the flows' actions are listed, with who did them (${rows.length} rows)`, rows.slice(0, 30));
    }
    await survey(page, name, lang, what);
  }
  // Two pages that only a POST shows: the preview (a new tab) and the
  // editor refusing a blank title. (axe-core needs JavaScript: these are
  // checked here, in the contexts that have it.)
  await page.goto('/admin/content?text=km');
  const [tab] = await Promise.all([page.context().waitForEvent('page'), page.click('form.content-editor button[formaction]')]);
  await tab.waitForLoadState('load');
  ok(await has(tab, '.preview-banner form button.btn-primary') && await has(tab, '.preview-banner form button[name=edit]'),
    `preview (${lang}): the banner offers Publish and Back to the editor`);
  await survey(tab, 'content-preview', lang, 'preview of the Khmer text');
  await tab.close();
  await page.fill('#c-title', '   ');
  const bad = await submit(page, 'form.content-editor button.btn-primary');
  eq(bad.status, 422, `editor with a blank title (${lang}): 422`);
  await survey(page, 'content-refused', lang, 'editor refusing a blank title');
}
async function testLogin() {
  for (const lang of ['en', 'km']) {
    const r = await pub.goto(`/admin/login?lang=${lang}`);
    eq(r.status(), 200, `sign-in page (${lang}): 200`);
    const label = await text(pub, 'label[for=login-token]');
    ok((await htmlLang(pub)) === lang && (lang === 'en' || KHMER.test(label)), `sign-in page (${lang}): in that language`, label);
    await survey(pub, 'login', lang, 'sign-in page');
  }
}

// ---------------------------------------------------------------------------

async function seed() {
  const rows = [
    { name: 'Sok Dara', email: 'sok.dara@example.org', country: 'KH', comment: 'For my grandparents.', public: '1', public_name: 'Sok D.' },
    { name: KHMER_NAME, email: 'dara.km@example.org', country: 'KH', comment: 'សូមអរគុណ', public: '1', public_name: 'ដារ៉ា' },
    { name: 'Remove Me', email: 'remove.me@example.org', country: 'FR' },
    { name: 'Maximilian Alexander Montgomery-Richardson the Third of Somewhere',
      email: 'a.very.long.address.for.testing.the.table.on.phones@subdomain.example-organisation.org',
      country: 'US', comment: 'A long comment that goes on and on, so that the table has something wide to hold: '
        + 'supercalifragilisticexpialidocious-and-then-some-more-text-without-spaces-0123456789.', updates: '1' },
  ];
  for (const f of rows) {
    const r = await server.sign(f);
    if (r.status !== 201) throw new Error(`seeding: POST /sign answered ${r.status} for ${f.name}`);
  }
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const list = await server.get('/admin/signatures?q=sok.dara%40example.org', auth);
  state.sigKeepId = Number(((await list.text()).match(/<tr id="sig-(\d+)"/) || [])[1]) || 1;
  // The first Khmer version (the seed): its page offers to publish it again.
  const h = await server.get('/admin/content?text=km', auth);
  const ids = [...(await h.text()).matchAll(/\/admin\/content\/version\?id=(\d+)/g)].map((m) => Number(m[1]));
  state.firstKm = ids.length ? Math.min(...ids) : 1;
}

setGroupOrder(['sign in and out', 'content editor with JS', 'content editor without JS', 'lifecycle',
  'organizers', 'moderation', 'pages (en)', 'pages (km)', 'sign-in page']);

runSuite({
  limitS: 170,
  shots: /^admin-/,
  body: async () => {
    server = S.server;
    await seed();
    const opts = { ...DESKTOP, reducedMotion: 'reduce' };
    en = await (await newContext('organizer-en', opts)).newPage();
    km = await (await newContext('organizer-km', { ...opts, locale: 'km-KH' })).newPage();
    nojs = await (await newContext('organizer-no-js', { ...opts, locale: 'km-KH', javaScriptEnabled: false })).newPage();
    pub = await (await newContext('visitor', opts)).newPage();
    for (const [page, lang] of [[en, 'en'], [km, 'km'], [nojs, 'km']]) {
      const s = await signIn(page, TOKEN, lang);
      if (!(s.post === 303 && pathOf(page) === '/admin')) throw new Error(`signing in (${lang}) failed: ${s.post} ${pathOf(page)}`);
    }
    await group('sign in and out', testSignInOut);
    await group('content editor with JS', testEditorJs);
    await group('content editor without JS', testEditorNoJs);
    await group('lifecycle', testLifecycle);
    await group('organizers', testAdmins);
    await group('moderation', testModeration);
    await group('pages (en)', () => surveyLang(en, 'en'));
    await group('pages (km)', () => surveyLang(km, 'km'));
    await group('sign-in page', testLogin);
  },
  after: async () => {
    // Signers get no cookie; organizers one, for /admin only.
    const bad = [];
    for (const { label, ctx } of contexts) {
      for (const c of await ctx.cookies()) {
        if (label === 'visitor' || c.path !== '/admin' || !c.httpOnly || c.sameSite !== 'Strict') bad.push(`${label}: ${c.name} path ${c.path}`);
      }
    }
    ok(bad.length === 0, 'whole run: no cookie for the visitor; the organizers\' cookie is HttpOnly, SameSite=Strict, Path=/admin', bad);
  },
});
