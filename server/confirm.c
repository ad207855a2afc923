/* confirm.c -- the signer's side of the email area: /confirm and /withdraw.
 *
 * GET never acts: mail scanners and link previewers fetch every link in a
 * message, so a GET only shows a page with a button, and the POST that
 * button sends does the work (a writer task; the answer comes after the
 * commit). A link's token, or a code typed from another device, is looked
 * up by its hash.
 *
 * Asking by address (a new confirmation message, a withdrawal link) is
 * answered with the same page whether or not the address signed, after a
 * commit that writes the same rows either way (store_mail_request): the
 * answer, its length and its time say nothing about the address.
 *
 * Every POST here is rate-limited per client like signing (a code has 50
 * bits: guessing one is out of reach at 20 tries a minute), and refused
 * from other sites' pages. Without --smtp-url the routes answer 404. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "form.h"
#include "outbox.h"

/* What a POST asked for, and what came of it. */
enum act { ACT_CONFIRM, ACT_WITHDRAW, ACT_REQUEST };

struct mail_state {
	struct http_pending pending; /* first */
	struct form_kvs kvs;
	enum act act;
	char hash[65];
	char email[FORM_EMAIL_MAX_BYTES + 1], email_norm[FORM_EMAIL_MAX_BYTES + 1];
	enum store_mail_kind want;
	const char *lang;
	int64_t now, mail_at;
	/* out */
	enum store_token_status status;
	int64_t count;
};

static void state_free(void *p)
{
	struct mail_state *s = p;

	if (s == NULL)
		return;
	form_kvs_free(&s->kvs);
	free(s);
}

static int mail_on(const struct app *a)
{
	return a->cfg->smtp_url != NULL && a->cfg->public_url != NULL;
}

static enum MHD_Result page(struct http_req *r, unsigned status, int withdraw,
			    const struct view_mail *v, int64_t count)
{
	struct app *a = r->app;
	struct buf b = BUF_INIT;
	struct view_env env;

	app_env(a, &env, withdraw ? ROUTE_WITHDRAW : ROUTE_CONFIRM);
	if (count >= 0)
		env.count = count;
	if ((withdraw ? view_withdraw(&b, &env, r->lang, v) : view_confirm(&b, &env, r->lang, v)) !=
	    0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, status, "text/html; charset=utf-8", &b);
}

/* A token as it may appear in a link: base64url, 43 characters. */
static int token_ok(const char *t)
{
	size_t i, n = t ? strlen(t) : 0;

	if (n != 43)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = t[i];

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

enum MHD_Result confirm_page(struct http_req *r)
{
	struct app *a = r->app;
	const char *t = http_query(r, "t");
	struct view_mail v;

	if (!mail_on(a))
		return http_send_error(r, HTTP_NOT_FOUND);
	memset(&v, 0, sizeof v);
	/* Nothing is looked up: a GET shows the button for any link (the POST
	 * says whether it works), so a scanner's fetch learns nothing either. */
	if (token_ok(t)) {
		v.state = VIEW_MAIL_ASK;
		v.token = t;
	} else {
		v.state = t ? VIEW_MAIL_BAD : VIEW_MAIL_CODE;
	}
	return page(r, t && !token_ok(t) ? HTTP_BAD_REQUEST : HTTP_OK, 0, &v, -1);
}

enum MHD_Result withdraw_page(struct http_req *r)
{
	struct app *a = r->app;
	const char *t = http_query(r, "t");
	struct view_mail v;
	struct store_mail_sig sig;
	char h[65];
	enum MHD_Result ret;
	int rc;

	if (!mail_on(a))
		return http_send_error(r, HTTP_NOT_FOUND);
	memset(&v, 0, sizeof v);
	if (t == NULL) {
		v.state = VIEW_MAIL_REQUEST;
		return page(r, HTTP_OK, 1, &v, -1);
	}
	if (!token_ok(t)) {
		v.state = VIEW_MAIL_BAD;
		return page(r, HTTP_BAD_REQUEST, 1, &v, -1);
	}
	/* Shows what would be removed (only the link's addressee has it);
	 * changes nothing. */
	store_mail_hash(h, 'l', t);
	rc = store_mail_withdrawal(a->st, h, clock_now_ms() / 1000, &sig);
	if (rc < 0)
		return http_send_unavailable(r);
	if (rc != STORE_TOKEN_OK) {
		v.state = VIEW_MAIL_BAD;
		return page(r, HTTP_BAD_REQUEST, 1, &v, -1);
	}
	v.state = VIEW_MAIL_ASK;
	v.token = t;
	v.name = sig.name;
	v.country = sig.country;
	v.signed_at = sig.signed_at;
	v.pending = !sig.confirmed;
	ret = page(r, HTTP_OK, 1, &v, -1);
	free(sig.name);
	return ret;
}

static int confirm_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct mail_state *s = arg;

	return store_mail_confirm(st, s->hash, s->now, &s->status, &s->count, err, errlen);
}

static int withdraw_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct mail_state *s = arg;

	return store_mail_withdraw(st, s->hash, s->now, &s->status, &s->count, err, errlen);
}

static int request_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct mail_state *s = arg;

	return store_mail_request(st, s->email, s->email_norm, s->want, s->lang, s->now,
				  s->mail_at, err, errlen);
}

/* The answer once the writer task ran. */
static enum MHD_Result answer(struct http_req *r, struct mail_state *s, int withdraw)
{
	struct app *a = r->app;
	struct view_mail v;

	if (atomic_load(&s->pending.status) != WRITER_OK)
		return http_send_unavailable(r);
	memset(&v, 0, sizeof v);
	if (s->act == ACT_REQUEST) {
		outbox_kick(a->outbox);
		v.state = VIEW_MAIL_SENT;
		return page(r, HTTP_OK, withdraw, &v, -1);
	}
	if (s->status == STORE_TOKEN_BAD) {
		v.state = VIEW_MAIL_BAD;
		return page(r, HTTP_BAD_REQUEST, withdraw, &v, -1);
	}
	/* The count moved: the cached pages show it at their next render
	 * (the writer's count is read again after a task). */
	app_changed(a);
	v.state = s->status == STORE_TOKEN_ALREADY ? VIEW_MAIL_ALREADY : VIEW_MAIL_DONE;
	return page(r, HTTP_OK, withdraw, &v, s->count);
}

static enum MHD_Result post(struct http_req *r, int withdraw)
{
	struct app *a = r->app;
	struct mail_state *s = r->state;
	const char *t, *code, *email;
	size_t tlen = 0, clen = 0, elen = 0;
	enum lang l;
	int64_t now_ms;
	int wait;
	unsigned refusal;

	if (s != NULL)
		return answer(r, s, withdraw);
	if (!mail_on(a))
		return http_send_error(r, HTTP_NOT_FOUND);
	if ((refusal = http_form_post_refusal(r)) != 0)
		return http_send_error(r, refusal);
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return http_send_unavailable(r);
	r->state = s;
	r->state_free = state_free;
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, &s->kvs) != 0)
		return http_send_error(r, HTTP_UNPROCESSABLE);
	if (lang_parse(form_get(&s->kvs, "lang", NULL), &l))
		r->lang = l;
	s->lang = lang_code(r->lang);
	now_ms = clock_now_ms();
	s->now = now_ms / 1000;
	/* Like signing: a client gets so many tries a minute. */
	wait = ratelimit_take(a->ratelimit, http_client_id(r), now_ms);
	if (wait > 0)
		return http_send_retry(r, HTTP_TOO_MANY_REQUESTS, wait);

	t = form_get(&s->kvs, "t", &tlen);
	code = withdraw ? NULL : form_get(&s->kvs, "code", &clen);
	email = form_get(&s->kvs, "email", &elen);
	if (t != NULL && tlen > 0) {
		char tok[STORE_TOKEN_MAX];

		if (tlen >= sizeof tok) {
			struct view_mail v = { .state = VIEW_MAIL_BAD };

			return page(r, HTTP_BAD_REQUEST, withdraw, &v, -1);
		}
		memcpy(tok, t, tlen);
		tok[tlen] = '\0';
		store_mail_hash(s->hash, 'l', tok);
		s->act = withdraw ? ACT_WITHDRAW : ACT_CONFIRM;
	} else if (code != NULL && clen > 0 && clen < 32) {
		char c[32];

		memcpy(c, code, clen);
		c[clen] = '\0';
		store_mail_hash(s->hash, 'c', c);
		s->act = ACT_CONFIRM;
	} else if (email != NULL) {
		struct view_mail v = { .state = withdraw ? VIEW_MAIL_REQUEST : VIEW_MAIL_BAD,
				       .email_error = "mail.bad_email" };

		char norm[FORM_EMAIL_MAX_BYTES + 1];

		if (!form_email_valid(email, elen) || form_email_norm(email, elen, norm, sizeof norm) <= 0)
			return page(r, HTTP_UNPROCESSABLE, withdraw, &v, -1);
		/* The duplicate key: the address, or its keyed hash (sealed). */
		app_email_key(a, norm, s->email_norm, sizeof s->email_norm);
		/* The address as typed, trimmed (the norm is trimmed too). */
		form_email_norm(email, elen, s->email, sizeof s->email);
		{
			/* Keep the signer's case for the mail's To:, trimmed. */
			const char *p = email, *e = email + elen;

			while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
				p++;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
					 e[-1] == '\n'))
				e--;
			if ((size_t)(e - p) < sizeof s->email) {
				memcpy(s->email, p, (size_t)(e - p));
				s->email[e - p] = '\0';
			}
		}
		s->act = ACT_REQUEST;
		s->want = withdraw ? STORE_MAIL_WITHDRAW : STORE_MAIL_CONFIRM;
		s->mail_at = app_mail_at(a, http_client_id(r), now_ms);
	} else {
		struct view_mail v = { .state = withdraw ? VIEW_MAIL_REQUEST : VIEW_MAIL_CODE,
				       .email_error = withdraw ? "mail.bad_email" : NULL };

		return page(r, HTTP_UNPROCESSABLE, withdraw, &v, -1);
	}
	s->pending.item.op = WRITER_TASK;
	s->pending.item.task = s->act == ACT_CONFIRM	  ? confirm_task
			       : s->act == ACT_WITHDRAW ? withdraw_task
							: request_task;
	s->pending.item.task_arg = s;
	return http_submit(r, a->writer, &s->pending);
}

enum MHD_Result confirm_post(struct http_req *r)
{
	return post(r, 0);
}

enum MHD_Result withdraw_post(struct http_req *r)
{
	return post(r, 1);
}
