/* sign.c -- POST /sign: decode, check, hand to the writer, answer after commit.
 *
 * The request's connection is suspended while its row waits in the writer's
 * queue; the writer resumes it once the transaction holding the row has
 * committed (or failed), and libmicrohttpd calls sign_post() again to answer.
 * So a success answer is only ever sent for a row that is on disk.
 *
 * Every submission answered as a success takes that same path and waits for
 * a commit that writes and syncs: a new signature, a repeated email and a
 * post the honeypot caught (counted, nothing of it kept). Their answers are
 * the same bytes, and take the same time, so none can be told from another.
 *
 * The checks, in order: field errors (422, the form again), the form token
 * (422, the form again asking to press Sign again: a person never loses a
 * signature to it), the rate limit (429), the honeypot (a silent fake
 * success, the only one), then the signature. */
#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth.h"
#include "clock.h"
#include "form.h"
#include "outbox.h"
#include "seal.h"
#include "tz.h"

/* Form tokens older than this are not taken as they are: the signer is
 * asked to press Sign again (the page was left open too long). */
#define SIGN_TOKEN_MAX_AGE_MS (7LL * 24 * 3600 * 1000)
/* The one success answer for JSON: nothing in it differs between a new
 * signature, a repeated email and a post the honeypot caught. */
#define SIGN_JSON_OK "{\"ok\":true}"
/* The JSON answer asking to submit again with a fresh form (GET / has one). */
#define SIGN_JSON_RESUBMIT "{\"ok\":false,\"errors\":{\"form\":\"resubmit\"}}"

/* The 303 answers, built once: every signature shares them. */
struct sign_answers {
	struct MHD_Response *see_other[LANG_COUNT];
};

struct sign_state {
	struct http_pending pending; /* first */
	struct form_kvs kvs;
	struct form_sig sig;
	/* sealed area: what is stored in sealed mode */
	struct buf name_box, email_box, comment_box;
	char key[FORM_EMAIL_MAX_BYTES + 1];
};

/* What the form token says about a submission (only with a minimum fill
 * time: without one the page carries no token). */
enum token_check {
	TOKEN_OK,       /* genuine, old enough, not stale */
	TOKEN_TOO_FAST, /* genuine, but sent within the minimum fill time */
	TOKEN_BAD       /* missing, forged, older than SIGN_TOKEN_MAX_AGE_MS, or
			 * issued in the future (the clock was stepped back) */
};

/* Keeps the dashboard's figure (app.bots_refused) at least at the writer's
 * committed count, which survives restarts. Any thread. */
static void bots_refused_sync(struct app *a)
{
	int64_t committed = writer_bots_refused(a->writer);
	uint64_t want = committed > 0 ? (uint64_t)committed : 0;
	uint64_t have = atomic_load(&a->bots_refused);

	while (have < want && !atomic_compare_exchange_weak(&a->bots_refused, &have, want))
		;
}

int sign_init(struct app *a)
{
	int l;

	a->sign = calloc(1, sizeof *a->sign);
	if (a->sign == NULL)
		return -1;
	for (l = 0; l < LANG_COUNT; l++) {
		struct MHD_Response *resp =
			MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		char loc[64];

		if (resp == NULL)
			return -1;
		snprintf(loc, sizeof loc, "%s%s%s", routes_path(ROUTE_THANKS),
			 l == LANG_EN ? "" : "?lang=", l == LANG_EN ? "" : lang_code((enum lang)l));
		http_add_security_headers(a->cfg, resp, 0);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, loc);
		a->sign->see_other[l] = resp;
	}
	bots_refused_sync(a);
	return 0;
}

void sign_free(struct app *a)
{
	int l;

	if (a->sign == NULL)
		return;
	for (l = 0; l < LANG_COUNT; l++)
		if (a->sign->see_other[l])
			MHD_destroy_response(a->sign->see_other[l]);
	free(a->sign);
	a->sign = NULL;
}

static void state_free(void *p)
{
	struct sign_state *s = p;

	if (s == NULL)
		return;
	form_kvs_free(&s->kvs);
	form_sig_free(&s->sig);
	buf_free(&s->name_box);
	buf_free(&s->email_box);
	buf_free(&s->comment_box);
	free(s);
}

static enum token_check check_token(const struct config *cfg, const struct form_kvs *kvs,
				    int64_t now_ms)
{
	const char *tok;
	size_t len = 0;
	int64_t issued;

	if (cfg->min_fill_time <= 0)
		return TOKEN_OK;
	tok = form_get(kvs, "token", &len);
	issued = tok ? auth_form_token_time(tok, len) : -1;
	if (issued < 0 || issued > now_ms || now_ms - issued > SIGN_TOKEN_MAX_AGE_MS)
		return TOKEN_BAD;
	if (now_ms - issued < (int64_t)cfg->min_fill_time * 1000)
		return TOKEN_TOO_FAST;
	return TOKEN_OK;
}

/* The token for a form shown again: the one sent when it is genuine and
 * current (the fill time keeps counting from the first page load), else a
 * fresh one; "" when the minimum fill time is off. */
static void page_token(const struct config *cfg, const struct form_kvs *kvs,
		       enum token_check tc, int64_t now_ms, char out[AUTH_FORM_TOKEN_MAX])
{
	const char *tok;
	size_t len = 0;

	out[0] = '\0';
	if (cfg->min_fill_time <= 0)
		return;
	tok = form_get(kvs, "token", &len);
	/* A genuine token is digits, a dot and hex: safe to show as it is. */
	if (tc != TOKEN_BAD && tok != NULL && len < AUTH_FORM_TOKEN_MAX) {
		memcpy(out, tok, len);
		out[len] = '\0';
		return;
	}
	auth_form_token(out, now_ms);
}

/* The success answer: the same for a new signature, a repeated email and a
 * post the honeypot caught, so none of them can be told apart. */
static enum MHD_Result answer_ok(struct http_req *r, int json)
{
	struct app *a = r->app;

	if (json)
		return http_send(r, HTTP_CREATED, "application/json", SIGN_JSON_OK,
				 sizeof SIGN_JSON_OK - 1);
	return MHD_queue_response(r->conn, HTTP_SEE_OTHER, a->sign->see_other[r->lang]);
}

/* The form shown again (422) with the values kept: errors by field, or the
 * sentence of the i18n key notice at the top. */
static enum MHD_Result answer_form(struct http_req *r, const struct form_sig *sig,
				   const char *token, const char *notice)
{
	struct app *a = r->app;
	struct buf b = BUF_INIT;
	struct view_env env;

	app_env(a, &env, ROUTE_INDEX);
	if (view_index(&b, &env, r->lang, sig, token, notice) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, HTTP_UNPROCESSABLE, "text/html; charset=utf-8", &b);
}

/* The form token was stale, from the future, too fast or missing: nothing
 * is stored, and the signer is asked to press Sign again (a signature must
 * never be thanked and dropped). JSON clients fetch a fresh form. */
static enum MHD_Result answer_resubmit(struct http_req *r, const struct form_sig *sig,
				       const char *token, int json)
{
	if (json)
		return http_send(r, HTTP_UNPROCESSABLE, "application/json", SIGN_JSON_RESUBMIT,
				 sizeof SIGN_JSON_RESUBMIT - 1);
	return answer_form(r, sig, token, VIEW_NOTICE_RESUBMIT);
}

/* The signing time as kept: only as precise as --time-precision (an hour
 * by default: a leaked database with exact times could be matched against
 * a provider's connection records), rounded down in the petition's time
 * zone, so that the per-hour chart in that zone (a quarter-hour offset
 * such as Kathmandu's too) puts each signature in the right hour. */
static int64_t sign_time(struct app *a, int64_t t)
{
	const struct lifecycle *life = app_life(a);
	int64_t p = a->cfg->time_precision > 0 ? a->cfg->time_precision : 1, off = 0;

	if (p > 1 && life != NULL && life->tz != NULL) {
		struct tzif_tm tm;

		tz_local(life->tz, t, &tm);
		off = tm.utoff;
	}
	return t - (((t + off) % p) + p) % p;
}

static int64_t now_s(void)
{
	return clock_now_ms() / 1000;
}

/* Signing is paused or closed (st): 403 with {"ok":false,"error":"paused"}
 * (or "closed"), or the petition page, which says why and has no form. Nothing
 * is stored. */
static enum MHD_Result answer_not_open(struct http_req *r, enum life_status st, int json)
{
	struct app *a = r->app;
	struct buf b = BUF_INIT;
	struct view_env env;

	if (json) {
		buf_printf(&b, "{\"ok\":false,\"error\":\"%s\"}",
			   life_status_name(st == LIFE_PAUSED ? LIFE_PAUSED : LIFE_CLOSED));
		return http_send_buf(r, HTTP_FORBIDDEN, "application/json", &b);
	}
	app_env(a, &env, ROUTE_INDEX);
	if (view_index(&b, &env, r->lang, NULL, "", NULL) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_FORBIDDEN);
	}
	return http_send_buf(r, HTTP_FORBIDDEN, "text/html; charset=utf-8", &b);
}

/* Field errors: the form again with every message by its field (JSON: the
 * messages by field name), the refused character and its position named. */
static enum MHD_Result answer_invalid(struct http_req *r, const struct form_sig *sig,
				      const char *token, int json)
{
	cJSON *root, *errs;
	char *text;
	enum MHD_Result ret;
	int f;

	if (!json)
		return answer_form(r, sig, token, NULL);
	root = cJSON_CreateObject();
	errs = cJSON_CreateObject();
	if (root == NULL || errs == NULL) {
		cJSON_Delete(root);
		cJSON_Delete(errs);
		return http_send_unavailable(r);
	}
	cJSON_AddFalseToObject(root, "ok");
	cJSON_AddItemToObject(root, "errors", errs);
	for (f = 0; f < FORM_NFIELDS; f++) {
		struct buf msg = BUF_INIT;
		int bad;

		if (sig->err[f] == FORM_OK)
			continue;
		bad = view_field_error(&msg, r->lang, sig, (enum form_field)f) != 0 ||
		      cJSON_AddStringToObject(errs, form_field_name((enum form_field)f),
					      buf_cstr(&msg)) == NULL;
		buf_free(&msg);
		if (bad) {
			cJSON_Delete(root);
			return http_send_unavailable(r);
		}
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL)
		return http_send_unavailable(r);
	ret = http_send(r, HTTP_UNPROCESSABLE, "application/json", text, strlen(text));
	cJSON_free(text);
	return ret;
}

/* 1 when the honeypot, a field people never see and so never fill, holds
 * something. */
static int honeypot_filled(const struct form_kvs *kvs)
{
	size_t len = 0;
	const char *hp = form_get(kvs, "website", &len);

	return hp != NULL && len > 0;
}

enum MHD_Result sign_post(struct http_req *r)
{
	struct app *a = r->app;
	struct sign_state *s = r->state;
	int json = http_wants_json(r);
	char token[AUTH_FORM_TOKEN_MAX];
	enum token_check tc;
	enum life_status life;
	int64_t now_ms;
	enum lang l;
	int n, wait;
	unsigned refusal;

	if (s != NULL) {
		/* Called again after the writer resumed us. */
		if (atomic_load(&s->pending.status) != WRITER_OK)
			return http_send_unavailable(r);
		if (s->pending.item.op == WRITER_BOT)
			bots_refused_sync(a);
		else if (s->pending.item.sig.mail)
			outbox_kick(a->outbox);
		return answer_ok(r, json);
	}
	/* Another site's page posting here is a forged mass submission (the
	 * embeddable widget links to our page; it never posts). */
	if ((refusal = http_form_post_refusal(r)) != 0)
		return http_send_error(r, refusal);

	s = calloc(1, sizeof *s);
	if (s == NULL)
		return http_send_unavailable(r);
	r->state = s;
	r->state_free = state_free;
	switch (form_decode(r->body.data ? r->body.data : "", r->body.len, &s->kvs)) {
	case 0:
		break;
	case FORM_DECODE_TOO_MANY:
		/* Our form has a dozen fields: this one was not made by it. */
		return http_send_error(r, HTTP_UNPROCESSABLE);
	default:
		return http_send_unavailable(r);
	}
	/* The form says which language it was shown in. */
	if (lang_parse(form_get(&s->kvs, "lang", NULL), &l))
		r->lang = l;
	/* Paused or closed -- by the organizer or by the deadline, checked
	 * against the clock now: refused before anything is checked or
	 * stored (lifecycle). */
	life = life_status_at(app_life(a), now_s());
	if (life != LIFE_OPEN)
		return answer_not_open(r, life, json);

	n = form_validate(&s->kvs, &s->sig);
	if (n < 0)
		return http_send_unavailable(r);
	now_ms = clock_now_ms();
	tc = check_token(a->cfg, &s->kvs, now_ms);
	if (n > 0 || tc != TOKEN_OK)
		page_token(a->cfg, &s->kvs, tc, now_ms, token);
	if (n > 0)
		return answer_invalid(r, &s->sig, token, json);
	if (tc != TOKEN_OK)
		return answer_resubmit(r, &s->sig, token, json);
	/* Before the honeypot: a caught bot is limited exactly like a person,
	 * so a 303 where a person would get 429 cannot give the trap away. */
	wait = ratelimit_take(a->ratelimit, http_client_id(r), now_ms);
	if (wait > 0)
		return http_send_retry(r, HTTP_TOO_MANY_REQUESTS, wait);

	if (honeypot_filled(&s->kvs)) {
		/* Answered like a success after a commit like a signature's;
		 * only the count of such posts is stored. */
		s->pending.item.op = WRITER_BOT;
		return http_submit(r, a->writer, &s->pending);
	}
	s->pending.item.op = WRITER_SIGN;
	s->pending.item.sig.signed_at = sign_time(a, now_ms / 1000);
	s->pending.item.sig.name = s->sig.name;
	s->pending.item.sig.email = s->sig.email;
	s->pending.item.sig.email_norm = s->sig.email_norm;
	s->pending.item.sig.country = s->sig.country;
	s->pending.item.sig.comment = s->sig.comment ? s->sig.comment : "";
	s->pending.item.sig.public_name = s->sig.is_public ? s->sig.public_name : NULL;
	s->pending.item.sig.is_public = s->sig.is_public;
	s->pending.item.sig.updates = s->sig.updates;
	/* email area: stored unconfirmed with a confirmation mail queued
	 * (a repeated address: a new one, or a "signed already"), the same
	 * answer either way. */
	if (a->cfg->confirm) {
		s->pending.item.sig.mail = 1;
		s->pending.item.sig.lang = lang_code(r->lang);
		s->pending.item.sig.mail_at = app_mail_at(a, http_client_id(r), now_ms);
	}
	/* sealed area: the name, the address and the comment leave this
	 * thread only as sealed boxes the server cannot open; duplicates are
	 * found by the keyed hash of the address. The clear address goes to
	 * the outbox only, for the confirmation mail. */
	if (a->seal != NULL) {
		const char *c = s->sig.comment ? s->sig.comment : "";

		if (seal_box(a->seal, s->sig.name, strlen(s->sig.name), &s->name_box) != 0 ||
		    seal_box(a->seal, s->sig.email, strlen(s->sig.email), &s->email_box) != 0 ||
		    (c[0] && seal_box(a->seal, c, strlen(c), &s->comment_box) != 0))
			return http_send_unavailable(r);
		app_email_key(a, s->sig.email_norm, s->key, sizeof s->key);
		s->pending.item.sig.name = buf_cstr(&s->name_box);
		s->pending.item.sig.email = buf_cstr(&s->email_box);
		s->pending.item.sig.comment = c[0] ? buf_cstr(&s->comment_box) : "";
		s->pending.item.sig.email_norm = s->key;
		s->pending.item.sig.mail_to = s->sig.email;
	}
	return http_submit(r, a->writer, &s->pending);
}
