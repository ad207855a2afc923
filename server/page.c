/* page.c -- the petition, thanks and widget pages, served from a cache; and
 * the error pages every route shares.
 *
 * A cached page is rendered into a buffer (and its gzip form, with an ETag)
 * when the count changes -- at most every PAGE_MIN_RERENDER_MS -- and every
 * GET serves those bytes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "app.h"
#include "auth.h"
#include "clock.h"
#include "hdr.h"
#include "log.h"

/* Shortest time between two renders of a cached page when the count changes. */
#define PAGE_MIN_RERENDER_MS 250
/* Longest a cached page lives when the anti-bot token is on: tokens carry
 * their issue time in milliseconds, and a page served this long after it was
 * rendered lets a submission pass the minimum fill time this much early. */
#define PAGE_TOKEN_MAX_AGE_MS 250
#define PAGE_VARY "Accept-Encoding, Accept-Language"

enum cached_page { CACHED_INDEX, CACHED_THANKS, CACHED_EMBED, CACHED_COUNT };

static const enum route_id cached_route[CACHED_COUNT] = {
	[CACHED_INDEX] = ROUTE_INDEX,
	[CACHED_THANKS] = ROUTE_THANKS,
	[CACHED_EMBED] = ROUTE_EMBED,
};

struct page_cache {
	struct cached {
		pthread_mutex_t lock;
		struct MHD_Response *plain, *gz;
		char etag[40], etag_gz[44];
		int64_t count;
		int64_t rendered_ms;
		uint64_t generation; /* app->generation it was rendered at */
		int life_status;     /* the lifecycle status it was rendered in: a
				      * deadline passing re-renders it at once */
	} page[CACHED_COUNT][LANG_COUNT];
};

int page_render_error(void *app, struct buf *out, enum lang lang, unsigned status)
{
	struct view_env env;

	app_env(app, &env, ROUTE_INDEX);
	return view_error(out, &env, lang, status);
}

/* The petition page's form token ("" when the minimum fill time is off). */
static void form_token(const struct app *a, char token[AUTH_FORM_TOKEN_MAX])
{
	token[0] = '\0';
	if (a->cfg->min_fill_time > 0)
		auth_form_token(token, clock_now_ms());
}

static int render(struct app *a, struct buf *out, enum cached_page which, enum lang lang)
{
	struct view_env env;
	char token[AUTH_FORM_TOKEN_MAX];

	app_env(a, &env, cached_route[which]);
	switch (which) {
	case CACHED_INDEX:
		form_token(a, token);
		env.countries = api_countries_shown(a);
		return view_index(out, &env, lang, NULL, token, NULL);
	case CACHED_THANKS: {
		struct buf url = BUF_INIT;
		int rc;

		buf_printf(&url, "%s%s", a->cfg->public_url ? a->cfg->public_url : "",
			   routes_path(ROUTE_INDEX));
		rc = url.oom ? -1 : view_thanks(out, &env, lang, buf_cstr(&url));
		buf_free(&url);
		return rc;
	}
	case CACHED_EMBED:
	case CACHED_COUNT:
		break;
	}
	return view_embed(out, &env, lang);
}

/* gzip of in[0..len) into out (replacing its contents). Returns 0 or -1. */
static int gzip_buf(struct buf *out, const char *in, size_t len)
{
	z_stream z;
	uLong bound;
	int rc;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&z, (uLong)len) + 32;
	buf_reset(out);
	if (buf_reserve(out, bound) != 0) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = (unsigned char *)out->data;
	z.avail_out = (uInt)bound;
	rc = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -1;
}

static struct MHD_Response *cached_response(const struct app *a, struct buf *b,
					    const char *etag, int gz, int frameable)
{
	size_t len;
	char *p = buf_steal(b, &len);
	struct MHD_Response *resp;

	if (p == NULL)
		return NULL;
	resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(p);
		return NULL;
	}
	http_add_security_headers(a->cfg, resp, frameable);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, PAGE_VARY);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return resp;
}

/* Re-renders a cached page. Caller holds c->lock. */
static int refresh(struct app *a, struct cached *c, enum cached_page which, enum lang lang,
		   int64_t count, int64_t now)
{
	/* Read before rendering: a change during the render re-renders again. */
	uint64_t gen = atomic_load(&a->generation);
	int frameable = (routes_flags(cached_route[which]) & ROUTE_F_FRAMEABLE) != 0;
	struct buf plain = BUF_INIT, gz = BUF_INIT;
	struct MHD_Response *rp, *rg;
	char etag[40], etag_gz[44];
	uint64_t h;

	if (render(a, &plain, which, lang) != 0 || gzip_buf(&gz, plain.data, plain.len) != 0)
		goto fail;
	h = buf_fnv1a(plain.data, plain.len);
	snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)h);
	snprintf(etag_gz, sizeof etag_gz, "\"%016llx-gz\"", (unsigned long long)h);
	rp = cached_response(a, &plain, etag, 0, frameable);
	rg = cached_response(a, &gz, etag_gz, 1, frameable);
	if (rp == NULL || rg == NULL) {
		if (rp)
			MHD_destroy_response(rp);
		if (rg)
			MHD_destroy_response(rg);
		goto fail;
	}
	if (c->plain)
		MHD_destroy_response(c->plain);
	if (c->gz)
		MHD_destroy_response(c->gz);
	c->plain = rp;
	c->gz = rg;
	memcpy(c->etag, etag, sizeof etag);
	memcpy(c->etag_gz, etag_gz, sizeof etag_gz);
	c->count = count;
	c->rendered_ms = now;
	c->generation = gen;
	return 0;
fail:
	buf_free(&plain);
	buf_free(&gz);
	return -1;
}

static enum MHD_Result serve_cached(struct http_req *r, enum cached_page which)
{
	struct app *a = r->app;
	struct cached *c = &a->pages->page[which][r->lang];
	int64_t now = clock_now_ms(), count = writer_count(a->writer);
	int gz = http_accepts_gzip(r);
	const char *inm = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
	int life = (int)life_status_at(app_life(a), now / 1000);
	enum MHD_Result ret;

	pthread_mutex_lock(&c->lock);
	if (c->plain == NULL || c->generation != atomic_load(&a->generation) ||
	    c->life_status != life ||
	    (c->count != count && now - c->rendered_ms >= PAGE_MIN_RERENDER_MS) ||
	    (which == CACHED_INDEX && a->cfg->min_fill_time > 0 &&
	     now - c->rendered_ms >= PAGE_TOKEN_MAX_AGE_MS)) {
		if (refresh(a, c, which, r->lang, count, now) == 0)
			c->life_status = life;
		else if (c->plain == NULL) {
			pthread_mutex_unlock(&c->lock);
			return http_send_error(r, HTTP_INTERNAL_ERROR);
		}
	}
	if (hdr_etag_matches(inm, gz ? c->etag_gz : c->etag)) {
		char etag[44];

		snprintf(etag, sizeof etag, "%s", gz ? c->etag_gz : c->etag);
		pthread_mutex_unlock(&c->lock);
		return http_not_modified(r, etag, PAGE_VARY);
	}
	ret = MHD_queue_response(r->conn, HTTP_OK, gz ? c->gz : c->plain);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

enum MHD_Result page_index(struct http_req *r)
{
	return serve_cached(r, CACHED_INDEX);
}

enum MHD_Result page_thanks(struct http_req *r)
{
	struct app *a = r->app;
	struct buf b = BUF_INIT, base = BUF_INIT;
	struct view_env env;
	int rc;

	if (a->cfg->public_url)
		return serve_cached(r, CACHED_THANKS);
	/* Without --public-url the share links use the Host the signer used,
	 * rendered per request: a shared cache would let one client's Host
	 * header choose everyone's links. */
	http_base_url(r, &base);
	buf_puts(&base, routes_path(ROUTE_INDEX));
	app_env(a, &env, ROUTE_THANKS);
	rc = view_thanks(&b, &env, r->lang, buf_cstr(&base));
	buf_free(&base);
	if (rc != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, HTTP_OK, "text/html; charset=utf-8", &b);
}

enum MHD_Result page_embed(struct http_req *r)
{
	return serve_cached(r, CACHED_EMBED);
}

int page_init(struct app *a, char *err, size_t errlen)
{
	struct buf test = BUF_INIT;
	struct form_sig sig;
	struct view_env env;
	struct view_admin adm = { 0, NULL, NULL, NULL, NULL };
	int p, l;

	a->pages = calloc(1, sizeof *a->pages);
	if (a->pages == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (p = 0; p < CACHED_COUNT; p++)
		for (l = 0; l < LANG_COUNT; l++)
			pthread_mutex_init(&a->pages->page[p][l].lock, NULL);
	/* Render every page once in every language, so a template error stops
	 * the start rather than a visitor's request. */
	memset(&sig, 0, sizeof sig);
	for (l = 0; l < LANG_COUNT; l++) {
		enum lang lang = (enum lang)l;
		int bad = 0;

		for (p = 0; p < CACHED_COUNT; p++) {
			buf_reset(&test);
			bad |= render(a, &test, (enum cached_page)p, lang) != 0;
		}
		app_env(a, &env, ROUTE_INDEX);
		bad |= view_index(&test, &env, lang, &sig, "", NULL) != 0;
		bad |= view_index(&test, &env, lang, &sig, "", VIEW_NOTICE_RESUBMIT) != 0;
		bad |= view_thanks(&test, &env, lang, "http://localhost") != 0;
		bad |= view_error(&test, &env, lang, HTTP_NOT_FOUND) != 0;
		app_env(a, &env, ROUTE_ADMIN);
		bad |= view_admin(&test, &env, lang, &adm) != 0;
		{
			/* lifecycle: the settings page, with its confirmation step. */
			struct view_settings vs;
			char vbufs[3][40];

			memset(&vs, 0, sizeof vs);
			vs.confirm_close = 1;
			view_settings_current(&vs, &env, vbufs);
			bad |= view_settings(&test, &env, lang, &vs) != 0;
		}
		if (bad) {
			snprintf(err, errlen, "a template does not render in %s (see above)",
				 lang_code(lang));
			buf_free(&test);
			return -1;
		}
	}
	buf_free(&test);
	return 0;
}

void page_free(struct app *a)
{
	int p, l;

	if (a->pages == NULL)
		return;
	for (p = 0; p < CACHED_COUNT; p++) {
		for (l = 0; l < LANG_COUNT; l++) {
			struct cached *c = &a->pages->page[p][l];

			if (c->plain)
				MHD_destroy_response(c->plain);
			if (c->gz)
				MHD_destroy_response(c->gz);
			pthread_mutex_destroy(&c->lock);
		}
	}
	free(a->pages);
	a->pages = NULL;
}
