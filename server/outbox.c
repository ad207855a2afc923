/* outbox.c -- the sender thread (see outbox.h for what it promises). */
#include "outbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "html.h"
#include "i18n.h"
#include "log.h"

/* Recipient domains whose sends of the current minute are remembered. */
#define OUTBOX_DOMAINS 256

struct domain_slot {
	char name[64];   /* the domain, cut ("" free) */
	int64_t minute;  /* the minute (Unix seconds / 60) of n */
	int n;
};

struct outbox {
	struct outbox_config cfg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping, kicked;
	/* The writer task being waited for. */
	int task_done;
	enum writer_status task_status;
	struct domain_slot domains[OUTBOX_DOMAINS];
	int64_t now; /* of the current claim, for domain_ok */
	int64_t next_retention; /* when to look at --retention-days again */
};

/* ---- composing ---- */

static const char *msg(enum lang l, const char *key)
{
	const char *s = i18n_get(l, key, strlen(key));

	return s ? s : "";
}

/* Appends s with every {name} replaced by its value (names[i] -> vals[i]). */
static void fill(struct buf *b, const char *s, const char *const *names, const char *const *vals,
		 size_t n)
{
	while (*s) {
		size_t i;

		if (*s == '{') {
			for (i = 0; i < n; i++) {
				size_t k = strlen(names[i]);

				if (strncmp(s + 1, names[i], k) == 0 && s[1 + k] == '}') {
					buf_puts(b, vals[i]);
					s += k + 2;
					break;
				}
			}
			if (i < n)
				continue;
		}
		buf_putc(b, *s++);
	}
}

/* Plain text as HTML: escaped, line ends as <br>. */
static void html_text(struct buf *b, const char *s)
{
	const char *nl;

	while ((nl = strchr(s, '\n')) != NULL) {
		html_escape(b, s, (size_t)(nl - s));
		buf_puts(b, "<br>\n");
		s = nl + 1;
	}
	html_escape(b, s, strlen(s));
}

static void html_para(struct buf *b, const char *s)
{
	buf_puts(b, "<p>");
	html_text(b, s);
	buf_puts(b, "</p>\n");
}

/* A link as a button (bulletproof: a styled link, no image). */
static void html_button(struct buf *b, const char *url, const char *label)
{
	buf_puts(b, "<p><a href=\"");
	html_escape(b, url, strlen(url));
	buf_puts(b, "\" style=\"display:inline-block;padding:12px 20px;background:#1d4ed8;"
		    "color:#ffffff;text-decoration:none;border-radius:6px;font-weight:bold\">");
	html_escape(b, label, strlen(label));
	buf_puts(b, "</a></p>\n<p style=\"font-size:14px;word-break:break-all\">");
	html_escape(b, url, strlen(url));
	buf_puts(b, "</p>\n");
}

int outbox_compose(struct buf *out, const struct mail_config *mc,
		   const struct content_snap *texts, const char *public_url,
		   const struct store_outbox_row *row, int64_t now, char *err, size_t errlen)
{
	enum lang l = LANG_EN;
	const struct content_lang *t;
	struct buf text = BUF_INIT, html = BUF_INIT, link = BUF_INIT, wlink = BUF_INIT;
	struct buf code_url = BUF_INIT, line = BUF_INIT;
	const char *subject, *intro, *host, *hend;
	const char *names[2] = { "url", "host" }, *vals[2];
	char hostbuf[256];
	struct mail_msg m;
	int rc;

	lang_parse(row->lang, &l);
	t = content_for(texts, l, NULL);
	/* The organizers' texts in this language; when a translation is not
	 * there (English shown instead), the built-in sentences of the
	 * signer's language are better than another language's. */
	if (t != NULL && strcmp(lang_code(l), row->lang) != 0)
		t = NULL;
	host = strstr(public_url, "://");
	host = host ? host + 3 : public_url;
	hend = strchr(host, '/');
	snprintf(hostbuf, sizeof hostbuf, "%.*s", (int)(hend ? (size_t)(hend - host) : strlen(host)),
		 host);
	subject = content_get(t ? &t->text : NULL, CONTENT_MAIL_SUBJECT);
	if (subject[0] == '\0')
		subject = msg(l, "mail.subject");
	intro = content_get(t ? &t->text : NULL, row->kind == STORE_MAIL_CONFIRM
							? CONTENT_MAIL_CONFIRM
							: CONTENT_MAIL_WITHDRAW);
	if (intro[0] == '\0')
		intro = msg(l, row->kind == STORE_MAIL_CONFIRM	  ? "mail.confirm.text"
			       : row->kind == STORE_MAIL_ALREADY ? "mail.already.text"
								 : "mail.withdraw.text");
	else if (row->kind == STORE_MAIL_ALREADY)
		/* The organizers' withdrawal text, after the sentence that says
		 * why this message came. */
		intro = msg(l, "mail.already.text");
	buf_printf(&link, "%s/%s?t=%s%s%s", public_url,
		   row->kind == STORE_MAIL_CONFIRM ? "confirm" : "withdraw", row->token,
		   l == LANG_EN ? "" : "&lang=", l == LANG_EN ? "" : lang_code(l));
	if (row->wtoken[0])
		buf_printf(&wlink, "%s/withdraw?t=%s%s%s", public_url, row->wtoken,
			   l == LANG_EN ? "" : "&lang=", l == LANG_EN ? "" : lang_code(l));
	buf_printf(&code_url, "%s/confirm", public_url);
	vals[0] = buf_cstr(&code_url);
	vals[1] = hostbuf;

	/* The plain text. */
	buf_puts(&text, intro);
	buf_puts(&text, "\n\n");
	buf_puts(&text, buf_cstr(&link));
	buf_puts(&text, "\n\n");
	buf_printf(&html, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
			  "<meta name=\"viewport\" content=\"width=device-width\">\n<title>",
		   lang_code(l));
	html_escape(&html, subject, strlen(subject));
	buf_puts(&html, "</title>\n</head>\n<body style=\"font-family:sans-serif;font-size:16px;"
			"line-height:1.5;color:#111111;max-width:40em\">\n");
	html_para(&html, intro);
	html_button(&html, buf_cstr(&link),
		    msg(l, row->kind == STORE_MAIL_CONFIRM ? "confirm.button" : "withdraw.button"));
	if (row->kind == STORE_MAIL_CONFIRM) {
		fill(&line, msg(l, "mail.code"), names, vals, 2);
		buf_printf(&text, "%s\n\n    %s\n\n", buf_cstr(&line), row->code);
		html_para(&html, buf_cstr(&line));
		buf_puts(&html, "<p style=\"font-size:22px;font-weight:bold;letter-spacing:2px;"
				"font-family:monospace\">");
		html_escape(&html, row->code, strlen(row->code));
		buf_puts(&html, "</p>\n");
		buf_printf(&text, "%s\n%s\n\n", msg(l, "mail.expiry"), msg(l, "mail.ignore"));
		html_para(&html, msg(l, "mail.expiry"));
		html_para(&html, msg(l, "mail.ignore"));
	} else if (row->kind == STORE_MAIL_WITHDRAW) {
		buf_printf(&text, "%s\n\n", msg(l, "mail.withdraw.ignore"));
		html_para(&html, msg(l, "mail.withdraw.ignore"));
	}
	if (wlink.len > 0) {
		buf_printf(&text, "%s\n%s\n\n", msg(l, "mail.withdraw_later"), buf_cstr(&wlink));
		buf_puts(&html, "<p>");
		html_text(&html, msg(l, "mail.withdraw_later"));
		buf_puts(&html, "<br>\n<a href=\"");
		html_escape(&html, wlink.data, wlink.len);
		buf_puts(&html, "\">");
		html_escape(&html, wlink.data, wlink.len);
		buf_puts(&html, "</a></p>\n");
	}
	buf_reset(&line);
	fill(&line, msg(l, "mail.footer"), names, vals, 2);
	buf_printf(&text, "-- \n%s\n", buf_cstr(&line));
	buf_puts(&html, "<hr>\n<p style=\"font-size:13px;color:#555555\">");
	html_text(&html, buf_cstr(&line));
	buf_puts(&html, "</p>\n</body>\n</html>\n");

	memset(&m, 0, sizeof m);
	m.to = row->rcpt;
	m.subject = subject;
	m.text = buf_cstr(&text);
	m.html = buf_cstr(&html);
	m.lang = lang_code(l);
	rc = mail_compose(out, mc, &m, now, err, errlen);
	buf_free(&text);
	buf_free(&html);
	buf_free(&link);
	buf_free(&wlink);
	buf_free(&code_url);
	buf_free(&line);
	return rc;
}

/* Replaces every occurrence of addr (any case) in s by "<recipient>". */
static void scrub(char *s, const char *addr)
{
	static const char mark[] = "<recipient>";
	size_t n = strlen(addr), m = sizeof mark - 1;
	char *p;

	if (n == 0)
		return;
	for (p = s; *p; p++) {
		if (strncasecmp(p, addr, n) != 0)
			continue;
		if (n >= m) {
			memcpy(p, mark, m);
			memmove(p + m, p + n, strlen(p + n) + 1);
			p += m - 1;
		} else {
			memmove(p + 1, p + n, strlen(p + n) + 1);
			*p = '?';
		}
	}
}

/* ---- writer tasks, waited for ---- */

struct claim_arg {
	struct outbox *o;
	struct store_outbox_row row;
	int64_t next_due;
	int got;
};

struct done_arg {
	int64_t id, retry_at;
	int result;
	const char *why;
};

struct purge_arg {
	int64_t now, before, purged;
};

struct erase_arg {
	int64_t now, erased;
	int left;
};

static int erase_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct erase_arg *e = arg;

	return store_retention_erase(st, e->now, 1000, &e->erased, &e->left, err, errlen);
}

struct task {
	struct writer_item item; /* first */
	struct outbox *o;
};

static void task_done(struct writer_item *item, enum writer_status status)
{
	struct task *t = (struct task *)item;
	struct outbox *o = t->o;

	pthread_mutex_lock(&o->lock);
	o->task_done = 1;
	o->task_status = status;
	pthread_cond_broadcast(&o->wake);
	pthread_mutex_unlock(&o->lock);
}

/* Runs fn(st, arg) in the writer thread and waits for it: 0 done, -1 it
 * failed or the writer is stopping. */
static int run_task(struct outbox *o, int (*fn)(struct store *, void *, char *, size_t),
		    void *arg)
{
	struct task t;
	int ok;

	memset(&t, 0, sizeof t);
	t.item.op = WRITER_TASK;
	t.item.task = fn;
	t.item.task_arg = arg;
	t.item.done = task_done;
	t.o = o;
	pthread_mutex_lock(&o->lock);
	o->task_done = 0;
	pthread_mutex_unlock(&o->lock);
	if (writer_submit(o->cfg.writer, &t.item) != 0)
		return -1;
	pthread_mutex_lock(&o->lock);
	while (!o->task_done)
		pthread_cond_wait(&o->wake, &o->lock);
	ok = o->task_status == WRITER_OK;
	pthread_mutex_unlock(&o->lock);
	return ok ? 0 : -1;
}

/* Whether domain d had fewer than OUTBOX_DOMAIN_PER_MIN messages this
 * minute (writer thread, during a claim; the slots are the sender's,
 * which waits for the claim). */
static int domain_ok(void *ctx, const char *d)
{
	struct outbox *o = ctx;
	int64_t minute = o->now / 60;
	size_t i;

	for (i = 0; i < OUTBOX_DOMAINS; i++) {
		struct domain_slot *s = &o->domains[i];

		if (s->name[0] && strncmp(s->name, d, sizeof s->name - 1) == 0)
			return s->minute != minute || s->n < OUTBOX_DOMAIN_PER_MIN;
	}
	return 1;
}

static void domain_count(struct outbox *o, const char *d)
{
	int64_t minute = o->now / 60;
	struct domain_slot *free_slot = NULL;
	size_t i;

	for (i = 0; i < OUTBOX_DOMAINS; i++) {
		struct domain_slot *s = &o->domains[i];

		if (s->name[0] && strncmp(s->name, d, sizeof s->name - 1) == 0) {
			if (s->minute != minute) {
				s->minute = minute;
				s->n = 0;
			}
			s->n++;
			return;
		}
		if (free_slot == NULL && (s->name[0] == '\0' || s->minute != minute))
			free_slot = s;
	}
	if (free_slot == NULL)
		return; /* 256 domains this minute: the pacing is moot */
	{
		size_t n = strnlen(d, sizeof free_slot->name - 1);

		memcpy(free_slot->name, d, n);
		free_slot->name[n] = '\0';
	}
	free_slot->minute = minute;
	free_slot->n = 1;
}

static int claim_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct claim_arg *c = arg;
	int rc = store_outbox_claim(st, c->o->now, domain_ok, c->o, &c->row, &c->next_due, err,
				    errlen);

	c->got = rc == 1;
	return rc < 0 ? -1 : 0;
}

static int done_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct done_arg *d = arg;

	return store_outbox_done(st, d->id, d->result, d->retry_at, d->why, err, errlen);
}

static int purge_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct purge_arg *p = arg;
	int64_t stale = 0;

	/* Several nodes (PostgreSQL): a message another node was sending when
	 * it stopped is counted unsure here too, not only at a start. */
	if (store_outbox_sweep(st, &stale, err, errlen) != 0)
		return -1;
	if (stale > 0)
		log_warn("outbox: %lld message(s) a stopped node was sending are not sent again",
			 (long long)stale);
	return store_mail_purge(st, p->now, p->before, 200, &p->purged, err, errlen);
}

/* Sleeps up to ms, or until kicked or stopping. */
static void nap(struct outbox *o, int64_t ms)
{
	struct timespec until;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&o->lock);
	while (!o->stopping && !o->kicked)
		if (pthread_cond_timedwait(&o->wake, &o->lock, &until) == ETIMEDOUT)
			break;
	o->kicked = 0;
	pthread_mutex_unlock(&o->lock);
}

static int stopping(struct outbox *o)
{
	int s;

	pthread_mutex_lock(&o->lock);
	s = o->stopping;
	pthread_mutex_unlock(&o->lock);
	return s;
}

/* --retention-days: once the petition has been closed that long, erase the
 * personal fields, batch by batch (each a short writer task). */
static void retention(struct outbox *o, int64_t now)
{
	int64_t closed, due, done_at = 0, total = 0;
	struct erase_arg e;

	if (o->cfg.retention_days < 0 || o->cfg.closed_at == NULL)
		return;
	if (now < o->next_retention)
		return;
	o->next_retention = now + 60;
	closed = o->cfg.closed_at(o->cfg.closed_ctx);
	if (closed <= 0)
		return;
	due = closed + (int64_t)o->cfg.retention_days * 86400;
	if (due < o->cfg.retention_not_before)
		due = o->cfg.retention_not_before;
	if (now < due || (store_retention_done(o->cfg.st, &done_at) == 1 && done_at >= due))
		return;
	do {
		memset(&e, 0, sizeof e);
		e.now = now;
		if (run_task(o, erase_task, &e) != 0) {
			log_warn("retention: the erasure could not be saved; trying again in a minute");
			return;
		}
		total += e.erased;
	} while (e.left && !stopping(o));
	if (!e.left)
		log_info("retention: names, emails and comments erased (%lld signature(s)), %ld "
			 "day(s) after the petition closed; the counts stay", (long long)total,
			 o->cfg.retention_days);
}

static void *sender_main(void *arg)
{
	struct outbox *o = arg;
	struct mail_conn *conn = NULL;
	struct buf message = BUF_INIT;
	int64_t next_purge = 0, pause_ms = 0;
	char err[MAIL_ERR_BYTES];

	if (o->cfg.mail != NULL && o->cfg.public_url != NULL)
		conn = mail_conn_new(o->cfg.mail);
	while (!stopping(o)) {
		struct claim_arg c;
		struct done_arg d;
		enum mail_result res;
		int64_t now = clock_now_ms() / 1000;

		if (now >= next_purge) {
			struct purge_arg p = { now, now - o->cfg.pending_days * 86400, 0 };

			if (run_task(o, purge_task, &p) == 0) {
				next_purge = now + (p.purged >= 200 ? 1 : OUTBOX_PURGE_EVERY_S);
				if (p.purged > 0)
					log_info("erased %lld unconfirmed signature(s) older than %ld "
						 "days", (long long)p.purged, o->cfg.pending_days);
			} else {
				next_purge = now + 60;
			}
		}
		retention(o, now);
		if (conn == NULL) {
			nap(o, 5000);
			continue;
		}
		memset(&c, 0, sizeof c);
		c.o = o;
		o->now = now;
		if (run_task(o, claim_task, &c) != 0) {
			nap(o, 1000);
			continue;
		}
		if (!c.got) {
			int64_t wait_ms = 5000;

			if (c.next_due > 0 && c.next_due <= now)
				wait_ms = 1000; /* due, but its domain had its share */
			else if (c.next_due > 0 && (c.next_due - now) * 1000 < wait_ms)
				wait_ms = (c.next_due - now) * 1000;
			nap(o, wait_ms);
			continue;
		}
		buf_reset(&message);
		err[0] = '\0';
		if (outbox_compose(&message, o->cfg.mail, content_slot_get(o->cfg.texts),
				   o->cfg.public_url, &c.row, now, err, sizeof err) != 0) {
			/* A message that cannot be composed never will be. */
			res = MAIL_REJECTED;
		} else {
			res = mail_send(conn, c.row.rcpt, message.data, message.len, err, sizeof err);
		}
		domain_count(o, c.row.domain);
		/* The relay's answer may quote the address ("550 <a@b>: no such
		 * user"): it goes to the log and the dashboard without it. */
		scrub(err, c.row.rcpt);
		memset(&d, 0, sizeof d);
		d.id = c.row.id;
		d.why = err;
		now = clock_now_ms() / 1000;
		if (res == MAIL_SENT) {
			d.result = 0;
			pause_ms = 0;
		} else if (res == MAIL_RETRY && now - c.row.created_at < OUTBOX_GIVE_UP_S) {
			int64_t back = OUTBOX_RETRY_FIRST_S;
			int i;

			for (i = 1; i < c.row.attempts && back < OUTBOX_RETRY_MAX_S; i++)
				back *= 2;
			if (back > OUTBOX_RETRY_MAX_S)
				back = OUTBOX_RETRY_MAX_S;
			d.result = 1;
			d.retry_at = now + back;
			log_warn("mail: could not send message #%lld (attempt %d), trying again in "
				 "%llds: %s", (long long)c.row.id, c.row.attempts, (long long)back,
				 err);
			/* The relay is likely down for every message: pause. */
			pause_ms = pause_ms ? pause_ms * 2 : 1000;
			if (pause_ms > OUTBOX_PAUSE_MAX_MS)
				pause_ms = OUTBOX_PAUSE_MAX_MS;
		} else {
			d.result = 2;
			log_warn("mail: gave up message #%lld after %d attempt(s): %s",
				 (long long)c.row.id, c.row.attempts, err);
		}
		/* The address and the tokens leave memory with the row. */
		memset(&c.row, 0, sizeof c.row);
		if (message.data)
			memset(message.data, 0, message.len);
		while (run_task(o, done_task, &d) != 0) {
			/* Not recorded (disk failing, or the writer stopping): the
			 * row stays 'being sent', counted unsure at the next start,
			 * never sent twice. */
			if (stopping(o))
				break;
			nap(o, 1000);
		}
		if (pause_ms > 0)
			nap(o, pause_ms);
	}
	buf_free(&message);
	mail_conn_free(conn);
	return NULL;
}

struct outbox *outbox_start(const struct outbox_config *oc, char *err, size_t errlen)
{
	struct outbox *o = calloc(1, sizeof *o);
	pthread_condattr_t ca;

	if (o == NULL) {
		snprintf(err, errlen, "outbox: out of memory");
		return NULL;
	}
	o->cfg = *oc;
	pthread_mutex_init(&o->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&o->thread, NULL, sender_main, o) != 0) {
		snprintf(err, errlen, "outbox: cannot start the sender thread");
		pthread_cond_destroy(&o->wake);
		pthread_mutex_destroy(&o->lock);
		free(o);
		return NULL;
	}
	return o;
}

void outbox_kick(struct outbox *o)
{
	if (o == NULL)
		return;
	pthread_mutex_lock(&o->lock);
	o->kicked = 1;
	pthread_cond_broadcast(&o->wake);
	pthread_mutex_unlock(&o->lock);
}

void outbox_stop(struct outbox *o)
{
	if (o == NULL)
		return;
	pthread_mutex_lock(&o->lock);
	o->stopping = 1;
	pthread_cond_broadcast(&o->wake);
	pthread_mutex_unlock(&o->lock);
	pthread_join(o->thread, NULL);
}

void outbox_free(struct outbox *o)
{
	if (o == NULL)
		return;
	pthread_cond_destroy(&o->wake);
	pthread_mutex_destroy(&o->lock);
	free(o);
}
