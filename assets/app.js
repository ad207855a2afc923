/* app.js -- progressive enhancement only; every page works without it. */
'use strict';
(() => {
const d = document, $ = (id) => d.getElementById(id), nav = navigator;
d.documentElement.classList.add('js');

/* Live count: every 30 s while visible, 40 times at most, not in data-saver mode. */
const count = $('count'), bar = $('progress');
if (count && window.fetch && !(nav.connection && nav.connection.saveData)) {
  let timer = 0, polls = 0;
  const stop = () => clearInterval(timer);
  const refresh = async () => {
    if (++polls > 40) return stop();
    try {
      const r = await fetch('/api/stats', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      const s = r.ok ? await r.json() : {};
      if (typeof s.count !== 'number') return;
      count.textContent = s.count.toLocaleString('en-US');
      if (bar) {
        if (s.goal > 0) bar.max = s.goal;
        bar.value = s.count;
        bar.textContent = Math.min(100, Math.floor(s.count * 100 / bar.max)) + '%';
      }
    } catch (e) { /* offline: keep the last figure */ }
  };
  const start = () => { stop(); if (!d.hidden) timer = setInterval(refresh, 30000); };
  d.addEventListener('visibilitychange', () => { if (!d.hidden) refresh(); start(); });
  start();
}

/* Signature form: the server's rules checked early; the server stays the judge. */
const form = $('sign-form');
if (form) {
  const m = form.dataset, box = $('error-summary'), btn = $('sign-submit'), label = btn && btn.textContent;
  const FIELDS = ['name', 'email', 'country', 'comment', 'public', 'public_name', 'updates'];
  const EMAIL = /^[\w.!#$%&'*+\/=?^`{|}~-]+@[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*$/i;
  const CTRL = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/, CTRL1 = /[\0-\x1f\x7f-\x9f\u2028\u2029]/;
  /* Invisible characters that could change how text is shown (the server's list, roughly). */
  let HIDDEN = null;
  try { HIDDEN = new RegExp('(?![\\u200b-\\u200d])[\\p{Cf}\\u115f\\u1160\\u3164\\uffa0\\ufdd0-\\ufdef]', 'u'); } catch (e) { /* the server checks */ }
  const seg = window.Intl && Intl.Segmenter && new Intl.Segmenter();
  const chars = (s) => Array.from(seg ? seg.segment(s) : s, (x) => x.segment || x); /* graphemes */
  const len = (s) => chars(s).length;
  const el = (n) => form.elements.namedItem(n);
  /* The first refused character, worded as the server does: "U+202E (position 5)". */
  const bad = (v, ctrl) => {
    const cs = chars(v);
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i], hit = ctrl.exec(c) || (HIDDEN && c.codePointAt(0) !== 0x1f3f4 && HIDDEN.exec(c));
      if (hit) {
        return (ctrl.test(c) ? m.msgControl : m.msgChar)
          .replace('{char}', 'U+' + hit[0].codePointAt(0).toString(16).toUpperCase().padStart(4, '0'))
          .replace('{pos}', i + 1);
      }
    }
    return '';
  };
  let busy = false;
  form.noValidate = true;

  const check = (n) => {
    const f = el(n), v = f && f.type !== 'checkbox' ? f.value.trim() : '';
    if (n === 'name') return !v ? m.msgRequired : bad(v, CTRL1) || (len(v) > 100 ? m.msgTooLong : '');
    if (n === 'public_name') return !el('public').checked ? '' : !v ? m.msgPnRequired : bad(v, CTRL1) || (len(v) > 40 ? m.msgPnTooLong : '');
    if (n === 'email') return !v ? m.msgRequired : v.length > 254 || !EMAIL.test(v) ? m.msgEmail : '';
    if (n === 'country') return v ? '' : m.msgCountry;
    if (n === 'comment') return bad(v, CTRL) || (len(v) > 1000 ? m.msgTooLong : '');
    return '';
  };
  const mark = (n, text) => {
    const f = el(n), out = $('err-' + n);
    if (out) out.textContent = text || '';
    if (f && f.setAttribute) text ? f.setAttribute('aria-invalid', 'true') : f.removeAttribute('aria-invalid');
  };
  /* Marks the fields, fills the summary (a role=alert region always in the page,
   * so it is announced) and focuses the first field in error. */
  const show = (errs) => {
    const ul = d.createElement('ul');
    let first = null;
    for (const n of FIELDS) {
      const text = errs[n] ? String(errs[n]) : '', f = el(n);
      mark(n, text);
      if (!text) continue;
      first = first || f;
      const li = ul.appendChild(d.createElement('li')).appendChild(d.createElement('a'));
      li.href = '#' + n;
      li.textContent = (f && f.labels && f.labels[0] ? f.labels[0].textContent.trim() + ': ' : '') + text;
    }
    if (box) box.textContent = '';
    if (!first) return false;
    if (box) {
      const h = box.appendChild(d.createElement('h3'));
      h.textContent = m.msgSummary;
      box.append(ul);
    }
    first.focus();
    return true;
  };
  const wait = (on) => {
    busy = on;
    if (btn) { btn.disabled = on; btn.textContent = on ? m.msgSending : label; }
  };
  const plain = () => { wait(false); HTMLFormElement.prototype.submit.call(form); };

  form.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('#error-summary a'), f = a && el(a.hash.slice(1));
    if (f) { ev.preventDefault(); f.focus(); }
  });
  /* A field marked wrong is checked again while it is being corrected. The public
   * name is required while the public box is ticked. */
  const pub = el('public'), pn = el('public_name');
  const sync = () => { if (pub && pn) pn.required = pub.checked; };
  sync();
  form.addEventListener('input', (ev) => {
    const f = ev.target;
    if (f === pub) sync();
    if (f.getAttribute('aria-invalid') === 'true' && FIELDS.includes(f.name)) mark(f.name, check(f.name));
    if (f === pub && pn && pn.getAttribute('aria-invalid') === 'true') mark('public_name', check('public_name'));
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) return;
    const errs = {};
    for (const n of FIELDS) errs[n] = check(n);
    if (show(errs)) return;
    let body, r;
    try { body = new URLSearchParams(new FormData(form)).toString(); } catch (e) { return plain(); }
    wait(true);
    try {
      r = await fetch(form.getAttribute('action'), { method: 'POST', body,
        headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' } });
    } catch (e) { return plain(); }
    if (r.status === 201) return location.assign('/thanks' + (m.lang === 'km' ? '?lang=km' : ''));
    if (r.status === 422) {
      const j = await r.json().catch(() => null);
      if (j && j.errors && show(j.errors)) return wait(false);
      /* Errors only on hidden fields (expired token?): let the server redraw the form. */
    }
    if (r.ok && r.redirected) return location.assign(r.url);
    plain();
  });
  addEventListener('pageshow', () => wait(false));
  if (box && box.firstElementChild) box.focus();
}

/* Thanks page: copy the link; the system share sheet. */
const share = $('share');
if (share) {
  const dec = (s) => { try { return decodeURIComponent(s); } catch (e) { return s; } };
  const url = share.dataset.url ? dec(share.dataset.url) : location.origin + '/';
  const text = share.dataset.text ? dec(share.dataset.text) : d.title;
  const status = $('share-status'), copy = $('share-copy'), sys = $('share-native');
  const say = (t) => { status.textContent = ''; setTimeout(() => { status.textContent = t; }, 60); };
  if (copy) {
    if (nav.clipboard && window.isSecureContext) {
      copy.addEventListener('click', () => nav.clipboard.writeText(url).then(
        () => say(copy.dataset.msgDone), () => say(copy.dataset.msgFail + ' ' + url)));
    } else copy.hidden = true;
  }
  if (sys) {
    if (nav.share) sys.addEventListener('click', () => nav.share({ title: d.title, text, url }).catch(() => {}));
    else sys.hidden = true;
  }
}
})();
