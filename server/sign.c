/* sign.c -- POST /sign: decode, check, hand to the writer, answer after commit.
 *
 * The request's connection is suspended while its row waits in the writer's
 * queue; the writer resumes it once the transaction holding the row has
 * committed (or failed), and libmicrohttpd calls sign_post() again to answer.
 * So a success answer is only ever sent for a row that is on disk. */
#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "page.h"
#include "ratelimit.h"
#include "writer.h"

/* Form tokens older than this are refused (the page was left open too long). */
#define SIGN_TOKEN_MAX_AGE_S (7L * 24 * 3600)

struct sign_state {
	struct http_pending pending; /* first */
	struct form_kvs kvs;
	struct form_sig sig;
};

static atomic_int busy;           /* sign_state objects alive */
/* The 303 answers, built once: every signature shares them. */
static struct MHD_Response *see_other[LANG_COUNT];
static atomic_int shutting_down;
static atomic_ullong bots_refused;

int sign_init(void)
{
	int l;

	for (l = 0; l < LANG_COUNT; l++) {
		see_other[l] = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		if (see_other[l] == NULL)
			return -1;
		http_add_security_headers(see_other[l]);
		MHD_add_response_header(see_other[l], MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
		MHD_add_response_header(see_other[l], MHD_HTTP_HEADER_LOCATION,
					l == LANG_EN ? "/thanks" : "/thanks?lang=km");
	}
	return 0;
}

void sign_cleanup(void)
{
	int l;

	for (l = 0; l < LANG_COUNT; l++) {
		if (see_other[l])
			MHD_destroy_response(see_other[l]);
		see_other[l] = NULL;
	}
}

int sign_busy(void)
{
	return atomic_load(&busy);
}

void sign_shutdown(void)
{
	atomic_store(&shutting_down, 1);
}

unsigned long long sign_bots_refused(void)
{
	return atomic_load(&bots_refused);
}

void sign_free(struct sign_state *s)
{
	if (s == NULL)
		return;
	form_kvs_free(&s->kvs);
	form_sig_free(&s->sig);
	free(s);
	atomic_fetch_sub(&busy, 1);
}

static int is_form_type(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	size_t n = sizeof want - 1;

	if (ct == NULL || strncasecmp(ct, want, n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* The success answer: the same for a new signature, a repeated email and a
 * bot caught by the traps, so none of them can be told apart. */
static enum MHD_Result answer_ok(struct http_req *r, int json)
{
	if (json) {
		char body[64];
		int n = snprintf(body, sizeof body, "{\"ok\":true,\"count\":%lld}",
				 (long long)writer_count());

		return http_send(r, HTTP_CREATED, "application/json", body, (size_t)n);
	}
	if (see_other[r->lang] != NULL)
		return MHD_queue_response(r->conn, HTTP_SEE_OTHER, see_other[r->lang]);
	return http_redirect(r, HTTP_SEE_OTHER, r->lang == LANG_EN ? "/thanks" : "/thanks?lang=km");
}

static enum MHD_Result answer_invalid(struct http_req *r, struct form_sig *sig, int json)
{
	struct buf b = BUF_INIT;
	int f;

	if (json) {
		cJSON *root = cJSON_CreateObject(), *errs = cJSON_CreateObject();
		char *text;
		enum MHD_Result ret;

		if (root == NULL || errs == NULL) {
			cJSON_Delete(root);
			cJSON_Delete(errs);
			return MHD_NO;
		}
		cJSON_AddFalseToObject(root, "ok");
		cJSON_AddItemToObject(root, "errors", errs);
		for (f = 0; f < FORM_NFIELDS; f++)
			if (sig->err[f] != FORM_OK)
				cJSON_AddStringToObject(errs, form_field_name((enum form_field)f),
							page_error_message(r->lang, (enum form_field)f,
									   sig->err[f]));
		text = cJSON_PrintUnformatted(root);
		cJSON_Delete(root);
		if (text == NULL)
			return MHD_NO;
		ret = http_send(r, HTTP_UNPROCESSABLE, "application/json", text, strlen(text));
		cJSON_free(text);
		return ret;
	}
	if (page_render_form(&b, r->lang, sig) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, HTTP_UNPROCESSABLE, "text/html; charset=utf-8", &b);
}

/* 1 when the anti-bot traps say a person did not fill this form. */
static int looks_like_bot(const struct form_kvs *kvs)
{
	const struct config *cfg = http_config();
	const char *hp, *tok;
	size_t hplen = 0, toklen = 0;
	int64_t issued, now;

	hp = form_get(kvs, "website", &hplen);
	if (hp != NULL && hplen > 0)
		return 1;
	if (cfg == NULL || cfg->min_fill_time <= 0)
		return 0;
	tok = form_get(kvs, "token", &toklen);
	if (tok == NULL)
		return 1;
	issued = auth_form_token_time(tok, toklen);
	now = http_now_ms() / 1000;
	if (issued < 0 || now - issued < cfg->min_fill_time || now - issued > SIGN_TOKEN_MAX_AGE_S)
		return 1;
	return 0;
}

enum MHD_Result sign_post(struct http_req *r)
{
	struct sign_state *s = r->sign;
	int json = http_wants_json(r);
	enum lang l;
	int n, wait;

	if (s != NULL) {
		/* Called again after the writer resumed us. */
		if (atomic_load(&s->pending.status) == WRITER_OK)
			return answer_ok(r, json);
		return http_send_retry(r, HTTP_SERVICE_UNAVAILABLE, 5);
	}
	/* Another site's page posting here is a forged mass submission (the
	 * embeddable widget links to our page; it never posts). */
	if (http_cross_site(r))
		return http_send_error(r, HTTP_FORBIDDEN);
	if (!is_form_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE);
	if (r->body_too_large)
		return http_send_error(r, HTTP_PAYLOAD_TOO_LARGE);

	s = calloc(1, sizeof *s);
	if (s == NULL)
		return http_send_retry(r, HTTP_SERVICE_UNAVAILABLE, 5);
	atomic_fetch_add(&busy, 1);
	r->sign = s;
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, &s->kvs) != 0)
		return http_send_error(r, HTTP_PAYLOAD_TOO_LARGE);
	/* The form says which language it was shown in. */
	if (lang_parse(form_get(&s->kvs, "lang", NULL), &l))
		r->lang = l;

	n = form_validate(&s->kvs, &s->sig);
	if (n < 0)
		return http_send_retry(r, HTTP_SERVICE_UNAVAILABLE, 5);
	if (n > 0)
		return answer_invalid(r, &s->sig, json);
	if (looks_like_bot(&s->kvs)) {
		/* Indistinguishable from success; nothing is stored. */
		atomic_fetch_add(&bots_refused, 1);
		return answer_ok(r, json);
	}
	{
		const struct config *cfg = http_config();
		unsigned char key[16];
		size_t klen = http_client_key(r, key, sizeof key);

		if (cfg && cfg->rate_limit > 0 && klen > 0 &&
		    (wait = ratelimit_take(key, klen, http_now_ms())) > 0)
			return http_send_retry(r, HTTP_TOO_MANY_REQUESTS, wait);
	}
	if (atomic_load(&shutting_down))
		return http_send_retry(r, HTTP_SERVICE_UNAVAILABLE, 5);

	s->pending.item.sig.signed_at = http_now_ms() / 1000;
	s->pending.item.sig.name = s->sig.name;
	s->pending.item.sig.email = s->sig.email;
	s->pending.item.sig.email_norm = s->sig.email_norm;
	s->pending.item.sig.country = s->sig.country;
	s->pending.item.sig.comment = s->sig.comment ? s->sig.comment : "";
	s->pending.item.sig.is_public = s->sig.is_public;
	s->pending.item.sig.updates = s->sig.updates;
	return http_submit(r, &s->pending);
}
