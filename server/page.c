/* page.c -- pages rendered from the embedded templates, and the page cache.
 *
 * The petition and thanks pages are rendered into a buffer (and its gzip form,
 * with an ETag) when the count changes -- at most every PAGE_MIN_RERENDER_MS --
 * and every GET serves those bytes. Static assets are served from the bytes
 * and gzip forms prepared at build time. */
#include "page.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <utf8proc.h>
#include <zlib.h>

#include "assets.h"
#include "auth.h"
#include "countries.h"
#include "html.h"
#include "http.h"
#include "log.h"
#include "qr.h"
#include "tmpl.h"
#include "writer.h"

#define MAX_KEYS 48

struct kv {
	const char *k;
	const char *v;
	size_t len;
};

struct render_ctx {
	enum lang lang;
	struct kv kv[MAX_KEYS];
	size_t n;
	char count[32], count_raw[24], goal[32], goal_raw[24], percent[24];
};

enum cached_page { CACHED_INDEX, CACHED_THANKS, CACHED_EMBED, CACHED_COUNT };

struct cached {
	pthread_mutex_t lock;
	struct MHD_Response *plain, *gz;
	char etag[40], etag_gz[44];
	int64_t count;
	int64_t rendered_ms;
};

static struct cached cache[CACHED_COUNT][LANG_COUNT];
static struct store *store_;
static char *country_opts[LANG_COUNT]; /* without a selection */
static char css_url[64], js_url[64], icon_url[64], og_url[64];

/* Assets served over HTTP, and the URL each answers. */
static const struct {
	const char *url;
	const char *asset;
} statics[] = {
	{ "/static/style.css", "assets/style.css" },
	{ "/static/app.js", "assets/app.js" },
	{ "/static/favicon.svg", "assets/favicon.svg" },
	{ "/static/og.png", "assets/og.png" },
	{ "/favicon.ico", "assets/favicon.svg" },
	{ "/robots.txt", "assets/robots.txt" },
};
#define NSTATICS (sizeof statics / sizeof statics[0])

/* Prepared responses per static: [plain, gzip] x [short cache, immutable]. */
static struct MHD_Response *static_resp[NSTATICS][2][2];

static void set(struct render_ctx *c, const char *k, const char *v)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->kv[i].k, k) == 0) {
			c->kv[i].v = v ? v : "";
			c->kv[i].len = strlen(c->kv[i].v);
			return;
		}
	}
	if (c->n < MAX_KEYS) {
		c->kv[c->n].k = k;
		c->kv[c->n].v = v ? v : "";
		c->kv[c->n].len = strlen(c->kv[c->n].v);
		c->n++;
	}
}

static int lookup(void *ctx, const char *key, size_t klen, const char **val, size_t *len)
{
	struct render_ctx *c = ctx;
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strlen(c->kv[i].k) == klen && memcmp(c->kv[i].k, key, klen) == 0) {
			*val = c->kv[i].v;
			*len = c->kv[i].len;
			return 0;
		}
	}
	if (klen > 2 && key[0] == 't' && key[1] == '.') {
		const char *s = i18n_get(c->lang, key + 2, klen - 2);

		if (s != NULL) {
			*val = s;
			*len = strlen(s);
			return 0;
		}
	}
	return -1;
}

void page_format_count(char *out, size_t outlen, int64_t n)
{
	char digits[24];
	size_t nd, i, o = 0;

	if (n < 0)
		n = 0;
	snprintf(digits, sizeof digits, "%lld", (long long)n);
	nd = strlen(digits);
	for (i = 0; i < nd && o + 2 < outlen; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

const char *page_message(enum lang lang, const char *key)
{
	const char *s = i18n_get(lang, key, strlen(key));

	return s ? s : key;
}

const char *page_error_message(enum lang lang, enum form_field f, enum form_error e)
{
	const char *generic = form_error_key(e), *s;
	char key[64];

	if (e == FORM_OK || strlen(generic) < 4)
		return "";
	/* "err.email.invalid" when the strings have it, else "err.invalid". */
	snprintf(key, sizeof key, "err.%s.%s", form_field_name(f), generic + 4);
	s = i18n_get(lang, key, strlen(key));
	return s ? s : page_message(lang, generic);
}

/* Fills the keys every page has. */
static void base_ctx(struct render_ctx *c, enum lang lang, const char *path, int64_t count)
{
	const struct config *cfg = http_config();
	long goal = cfg ? cfg->goal : 10000;
	long long pct = goal > 0 ? (long long)count * 100 / goal : 0;

	memset(c, 0, sizeof *c);
	c->lang = lang;
	if (pct > 100)
		pct = 100;
	page_format_count(c->count, sizeof c->count, count);
	snprintf(c->count_raw, sizeof c->count_raw, "%lld", (long long)count);
	page_format_count(c->goal, sizeof c->goal, goal);
	snprintf(c->goal_raw, sizeof c->goal_raw, "%ld", goal);
	snprintf(c->percent, sizeof c->percent, "%lld", pct);
	set(c, "lang", lang_code(lang));
	set(c, "other_lang", lang == LANG_EN ? "km" : "en");
	set(c, "other_lang_name", lang == LANG_EN ? "ខ្មែរ" : "English");
	set(c, "path", path);
	set(c, "css_url", css_url);
	set(c, "js_url", js_url);
	set(c, "icon_url", icon_url);
	set(c, "og_image_url", og_url);
	set(c, "public_url", cfg && cfg->public_url ? cfg->public_url : "");
	set(c, "count", c->count);
	set(c, "count_raw", c->count_raw);
	set(c, "goal", c->goal);
	set(c, "goal_raw", c->goal_raw);
	set(c, "percent", c->percent);
	/* "1 person has signed", "2 people have signed". */
	set(c, "count_after", page_message(lang, count == 1 ? "count.after.one" : "count.after"));
}

/* Renders body template `name` into the layout. Appends to out. */
static int render(struct buf *out, const char *name, const char *title_key, struct render_ctx *c)
{
	const struct asset *body_t = asset_find(name), *layout = asset_find("assets/layout.html");
	struct buf body = BUF_INIT;
	const char *err = NULL;
	int rc = -1;

	if (body_t == NULL || layout == NULL)
		return -1;
	set(c, "title", page_message(c->lang, title_key));
	if (tmpl_render(&body, (const char *)body_t->data, body_t->len, lookup, c, &err) != 0) {
		log_warn("template %s: %s", name, err ? err : "error");
		goto out;
	}
	set(c, "body", buf_cstr(&body));
	if (tmpl_render(out, (const char *)layout->data, layout->len, lookup, c, &err) != 0) {
		log_warn("template layout.html: %s", err ? err : "error");
		goto out;
	}
	rc = out->oom ? -1 : 0;
out:
	buf_free(&body);
	return rc;
}

static void recent_cb(void *ctx, const char *name, const char *country)
{
	struct render_ctx *c = ((void **)ctx)[0];
	struct buf *b = ((void **)ctx)[1];
	const struct country *co = country ? country_find(country, strlen(country)) : NULL;
	size_t first = 0;

	if (name == NULL)
		return;
	/* First name only: the text up to the first space. */
	while (name[first] && name[first] != ' ')
		first++;
	buf_puts(b, "<li><span class=\"n\">");
	html_escape(b, name, first);
	buf_puts(b, "</span> <span class=\"c\">");
	if (co)
		html_escape(b, c->lang == LANG_KM ? co->km : co->en,
			    strlen(c->lang == LANG_KM ? co->km : co->en));
	buf_puts(b, "</span></li>");
}

/* Countries in display order per language: Cambodia first, then by name
 * compared without case or accents ("Åland" sorts with "A"). Start-up only. */
static size_t *country_order[LANG_COUNT];

struct sort_item {
	size_t idx;
	char *key;
};

static int cmp_sort_item(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;

	if (strcmp(countries[x->idx].code, "KH") == 0)
		return -1;
	if (strcmp(countries[y->idx].code, "KH") == 0)
		return 1;
	return strcmp(x->key, y->key);
}

static int sort_countries(enum lang lang)
{
	struct sort_item *items = calloc(countries_count, sizeof *items);
	size_t i;
	int rc = -1;

	country_order[lang] = calloc(countries_count, sizeof(size_t));
	if (items == NULL || country_order[lang] == NULL)
		goto out;
	for (i = 0; i < countries_count; i++) {
		const char *n = lang == LANG_KM ? countries[i].km : countries[i].en;
		utf8proc_uint8_t *folded = NULL;

		items[i].idx = i;
		if (utf8proc_map((const utf8proc_uint8_t *)n, 0, &folded,
				 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
					 UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK) < 0)
			folded = (utf8proc_uint8_t *)strdup(n);
		items[i].key = (char *)folded;
		if (items[i].key == NULL)
			goto out;
	}
	qsort(items, countries_count, sizeof *items, cmp_sort_item);
	for (i = 0; i < countries_count; i++)
		country_order[lang][i] = items[i].idx;
	rc = 0;
out:
	for (i = 0; items && i < countries_count; i++)
		free(items[i].key);
	free(items);
	return rc;
}

static int build_country_options(struct buf *out, enum lang lang, const char *selected)
{
	const char *prompt = page_message(lang, "form.country.prompt");
	size_t i;

	buf_puts(out, "<option value=\"\">");
	html_escape(out, prompt, strlen(prompt));
	buf_puts(out, "</option>");
	for (i = 0; i < countries_count; i++) {
		const struct country *co = &countries[country_order[lang][i]];
		const char *n = lang == LANG_KM ? co->km : co->en;

		buf_printf(out, "<option value=\"%s\"%s>", co->code,
			   selected && strcasecmp(selected, co->code) == 0 ? " selected" : "");
		html_escape(out, n, strlen(n));
		buf_puts(out, "</option>");
	}
	return out->oom ? -1 : 0;
}

/* Fills the keys of the petition page except the form's values and errors. */
static void index_ctx(struct render_ctx *c, enum lang lang, struct buf *recent, char *token)
{
	const struct config *cfg = http_config();
	char pname[48];
	const struct asset *pet;
	void *rc[2];

	snprintf(pname, sizeof pname, "assets/petition.%s.html", lang_code(lang));
	pet = asset_find(pname);
	set(c, "petition", pet ? (const char *)pet->data : "");
	rc[0] = c;
	rc[1] = recent;
	if (store_ != NULL)
		store_recent_public(store_, PAGE_RECENT_SIGNERS, recent_cb, rc);
	set(c, "recent", buf_cstr(recent));
	token[0] = '\0';
	if (cfg && cfg->min_fill_time > 0)
		auth_form_token(token, http_now_ms() / 1000);
	set(c, "token", token);
	set(c, "has_errors", "");
	set(c, "v.name", "");
	set(c, "v.email", "");
	set(c, "v.comment", "");
	set(c, "v.public", "");
	set(c, "v.updates", "");
	set(c, "e.name", "");
	set(c, "e.email", "");
	set(c, "e.country", "");
	set(c, "e.comment", "");
	set(c, "e.public", "");
	set(c, "e.updates", "");
}

static int render_index(struct buf *out, enum lang lang, const struct form_sig *sig)
{
	struct render_ctx c;
	struct buf recent = BUF_INIT, opts = BUF_INIT;
	char token[AUTH_FORM_TOKEN_MAX];
	int rc;

	base_ctx(&c, lang, "/", writer_count());
	index_ctx(&c, lang, &recent, token);
	if (sig != NULL) {
		static const char *const ekeys[FORM_NFIELDS] = {
			[FORM_NAME] = "e.name", [FORM_EMAIL] = "e.email",
			[FORM_COUNTRY] = "e.country", [FORM_COMMENT] = "e.comment",
			[FORM_PUBLIC] = "e.public", [FORM_UPDATES] = "e.updates",
		};
		int f;

		set(&c, "has_errors", sig->nerrors > 0 ? "1" : "");
		set(&c, "v.name", sig->raw[FORM_NAME]);
		set(&c, "v.email", sig->raw[FORM_EMAIL]);
		set(&c, "v.comment", sig->raw[FORM_COMMENT]);
		set(&c, "v.public", sig->is_public ? "1" : "");
		set(&c, "v.updates", sig->updates ? "1" : "");
		for (f = 0; f < FORM_NFIELDS; f++)
			if (sig->err[f] != FORM_OK)
				set(&c, ekeys[f], page_error_message(lang, (enum form_field)f, sig->err[f]));
		build_country_options(&opts, lang, sig->raw[FORM_COUNTRY]);
		set(&c, "country_options", buf_cstr(&opts));
	} else {
		set(&c, "country_options", country_opts[lang]);
	}
	rc = render(out, "assets/index.html", "title.index", &c);
	buf_free(&recent);
	buf_free(&opts);
	return rc;
}

static int render_thanks(struct buf *out, enum lang lang, const char *base_url)
{
	struct render_ctx c;
	struct buf url = BUF_INIT, share_url = BUF_INIT, share_text = BUF_INIT;
	const char *text;
	int rc;

	base_ctx(&c, lang, "/thanks", writer_count());
	buf_puts(&url, base_url);
	buf_puts(&url, "/");
	if (lang != LANG_EN) {
		buf_puts(&url, "?lang=");
		buf_puts(&url, lang_code(lang));
	}
	url_encode(&share_url, url.data, url.len);
	text = page_message(lang, "share.text");
	url_encode(&share_text, text, strlen(text));
	set(&c, "share_url", buf_cstr(&share_url));
	set(&c, "share_text", buf_cstr(&share_text));
	rc = render(out, "assets/thanks.html", "title.thanks", &c);
	buf_free(&url);
	buf_free(&share_url);
	buf_free(&share_text);
	return rc;
}

/* The widget: a whole small document of its own (no layout). */
static int render_embed(struct buf *out, enum lang lang)
{
	const struct asset *t = asset_find("assets/embed.html");
	struct render_ctx c;
	const char *err = NULL;

	if (t == NULL)
		return -1;
	base_ctx(&c, lang, "/embed", writer_count());
	set(&c, "title", page_message(lang, "title.index"));
	if (tmpl_render(out, (const char *)t->data, t->len, lookup, &c, &err) != 0) {
		log_warn("template embed.html: %s", err ? err : "error");
		return -1;
	}
	return out->oom ? -1 : 0;
}

int page_render_form(struct buf *out, enum lang lang, const struct form_sig *sig)
{
	return render_index(out, lang, sig);
}

int page_render_error(struct buf *out, enum lang lang, unsigned status)
{
	struct render_ctx c;
	char hk[32], mk[32], st[8];

	base_ctx(&c, lang, "/", writer_count());
	snprintf(hk, sizeof hk, "error.%u.heading", status);
	snprintf(mk, sizeof mk, "error.%u.message", status);
	if (i18n_get(lang, hk, strlen(hk)) == NULL) {
		snprintf(hk, sizeof hk, "error.%u.heading", status >= 500 ? 500u : 400u);
		snprintf(mk, sizeof mk, "error.%u.message", status >= 500 ? 500u : 400u);
	}
	snprintf(st, sizeof st, "%u", status);
	set(&c, "status", st);
	set(&c, "heading", page_message(lang, hk));
	set(&c, "message", page_message(lang, mk));
	return render(out, "assets/error.html", hk, &c);
}

static void daily_cb(void *ctx, const char *day, int64_t n)
{
	struct buf *b = ctx;
	char num[32];

	page_format_count(num, sizeof num, n);
	buf_puts(b, "<tr><td>");
	html_escape(b, day ? day : "", day ? strlen(day) : 0);
	buf_printf(b, "</td><td>%s</td></tr>", num);
}

int page_render_admin(struct buf *out, enum lang lang, const char *message)
{
	struct render_ctx c;
	struct buf daily = BUF_INIT;
	int64_t npub = 0, nupd = 0;
	char spub[32], supd[32], sbots[32];
	int rc;

	base_ctx(&c, lang, "/admin", writer_count());
	if (store_ != NULL) {
		store_daily(store_, 60, daily_cb, &daily);
		store_flag_counts(store_, &npub, &nupd);
	}
	page_format_count(spub, sizeof spub, npub);
	page_format_count(supd, sizeof supd, nupd);
	set(&c, "admin_daily", buf_cstr(&daily));
	set(&c, "admin_public", spub);
	set(&c, "admin_updates", supd);
	set(&c, "admin_message", message ? message : "");
	page_format_count(sbots, sizeof sbots, (int64_t)sign_bots_refused());
	set(&c, "admin_bots", sbots);
	rc = render(out, "assets/admin.html", "title.admin", &c);
	buf_free(&daily);
	return rc;
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

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct MHD_Response *page_response(struct buf *b, const char *etag, int gz, int frameable)
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
	if (frameable)
		http_add_frameable_headers(resp);
	else
		http_add_security_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding, Accept-Language");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return resp;
}

/* Re-renders a cached page. Caller holds c->lock. */
static int refresh(struct cached *c, enum cached_page which, enum lang lang, int64_t count,
		   int64_t now)
{
	const struct config *cfg = http_config();
	struct buf plain = BUF_INIT, gz = BUF_INIT;
	struct MHD_Response *rp, *rg;
	char etag[40], etag_gz[44];
	uint64_t h;
	int rc;

	if (which == CACHED_INDEX)
		rc = render_index(&plain, lang, NULL);
	else if (which == CACHED_EMBED)
		rc = render_embed(&plain, lang);
	else
		rc = render_thanks(&plain, lang, cfg && cfg->public_url ? cfg->public_url : "");
	if (rc != 0 || gzip_buf(&gz, plain.data, plain.len) != 0)
		goto fail;
	h = fnv1a(plain.data, plain.len);
	snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)h);
	snprintf(etag_gz, sizeof etag_gz, "\"%016llx-gz\"", (unsigned long long)h);
	rp = page_response(&plain, etag, 0, which == CACHED_EMBED);
	rg = page_response(&gz, etag_gz, 1, which == CACHED_EMBED);
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
	return 0;
fail:
	buf_free(&plain);
	buf_free(&gz);
	return -1;
}

static enum MHD_Result not_modified(struct http_req *r, const char *etag)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
								    MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (resp == NULL)
		return MHD_NO;
	http_add_security_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding, Accept-Language");
	ret = MHD_queue_response(r->conn, HTTP_NOT_MODIFIED, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);

	if (inm == NULL)
		return 0;
	if (strcmp(inm, "*") == 0)
		return 1;
	for (const char *p = strstr(inm, etag); p; p = strstr(p + 1, etag)) {
		char after = p[n];

		if (after == '\0' || after == ',' || after == ' ')
			return 1;
	}
	return 0;
}

static enum MHD_Result serve_cached(struct http_req *r, enum cached_page which)
{
	const struct config *cfg = http_config();
	struct cached *c = &cache[which][r->lang];
	int64_t now = http_now_ms(), count = writer_count();
	int gz = http_accepts_gzip(r);
	const char *inm = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
	enum MHD_Result ret;

	pthread_mutex_lock(&c->lock);
	if (c->plain == NULL ||
	    (c->count != count && now - c->rendered_ms >= PAGE_MIN_RERENDER_MS) ||
	    (which == CACHED_INDEX && cfg && cfg->min_fill_time > 0 &&
	     now - c->rendered_ms >= PAGE_TOKEN_MAX_AGE_MS)) {
		if (refresh(c, which, r->lang, count, now) != 0 && c->plain == NULL) {
			pthread_mutex_unlock(&c->lock);
			return http_send_error(r, HTTP_INTERNAL_ERROR);
		}
	}
	if (etag_matches(inm, gz ? c->etag_gz : c->etag)) {
		char etag[44];

		snprintf(etag, sizeof etag, "%s", gz ? c->etag_gz : c->etag);
		pthread_mutex_unlock(&c->lock);
		return not_modified(r, etag);
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
	const struct config *cfg = http_config();
	struct buf b = BUF_INIT, base = BUF_INIT;

	if (cfg && cfg->public_url)
		return serve_cached(r, CACHED_THANKS);
	/* Without --public-url the share links use the Host the signer used,
	 * rendered per request: a shared cache would let one client's Host
	 * header choose everyone's links. */
	http_base_url(r, &base);
	if (render_thanks(&b, r->lang, buf_cstr(&base)) != 0) {
		buf_free(&b);
		buf_free(&base);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	buf_free(&base);
	return http_send_buf(r, HTTP_OK, "text/html; charset=utf-8", &b);
}

enum MHD_Result page_embed(struct http_req *r)
{
	return serve_cached(r, CACHED_EMBED);
}

enum MHD_Result page_qr(struct http_req *r)
{
	struct buf base = BUF_INIT, svg = BUF_INIT;
	struct MHD_Response *resp;
	const char *sz = http_query(r, "size");
	long size = QR_DEFAULT_SIZE;
	enum MHD_Result ret;
	size_t len;
	char *p;

	if (sz != NULL) {
		char *end;

		size = strtol(sz, &end, 10);
		if (*end != '\0' || end == sz || size < QR_MIN_SIZE || size > QR_MAX_SIZE)
			return http_send_error(r, HTTP_BAD_REQUEST);
	}
	http_base_url(r, &base);
	buf_putc(&base, '/');
	if (qr_svg(&svg, buf_cstr(&base), (int)size) != 0) {
		buf_free(&base);
		buf_free(&svg);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	buf_free(&base);
	p = buf_steal(&svg, &len);
	if (p == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(p);
		return MHD_NO;
	}
	http_add_security_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "image/svg+xml");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=3600");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
				"inline; filename=\"petition-qr.svg\"");
	ret = MHD_queue_response(r->conn, HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result page_static(struct http_req *r)
{
	const char *v = http_query(r, "v");
	size_t i;

	for (i = 0; i < NSTATICS; i++) {
		const struct asset *a;
		int gz, imm;

		if (strcmp(r->path, statics[i].url) != 0)
			continue;
		a = asset_find(statics[i].asset);
		gz = a && a->gz != NULL && http_accepts_gzip(r);
		imm = v != NULL && a && strncmp(v, a->hash, 12) == 0 && strlen(v) == 12;
		if (a != NULL) {
			char etag[40];

			snprintf(etag, sizeof etag, "\"%s%s\"", a->hash, gz ? "-gz" : "");
			if (etag_matches(http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH), etag))
				return not_modified(r, etag);
		}
		return MHD_queue_response(r->conn, HTTP_OK, static_resp[i][gz][imm]);
	}
	return http_send_error(r, HTTP_NOT_FOUND);
}

static struct MHD_Response *static_response(const struct asset *a, int gz, int imm)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		gz ? a->gzlen : a->len, (void *)(gz ? a->gz : a->data), MHD_RESPMEM_PERSISTENT);
	char etag[40];

	if (resp == NULL)
		return NULL;
	snprintf(etag, sizeof etag, "\"%s%s\"", a->hash, gz ? "-gz" : "");
	http_add_security_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->mime);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				imm ? "public, max-age=31536000, immutable" : "public, max-age=3600");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return resp;
}

static void versioned_url(char *out, size_t len, const char *url, const char *asset)
{
	const struct asset *a = asset_find(asset);

	snprintf(out, len, "%s?v=%.12s", url, a ? a->hash : "0");
}

int page_init(struct store *st, char *err, size_t errlen)
{
	struct buf test = BUF_INIT;
	struct form_sig sig;
	size_t i;
	int l, p, gz, imm;

	store_ = st;
	for (p = 0; p < CACHED_COUNT; p++)
		for (l = 0; l < LANG_COUNT; l++)
			pthread_mutex_init(&cache[p][l].lock, NULL);
	versioned_url(css_url, sizeof css_url, "/static/style.css", "assets/style.css");
	versioned_url(js_url, sizeof js_url, "/static/app.js", "assets/app.js");
	versioned_url(icon_url, sizeof icon_url, "/static/favicon.svg", "assets/favicon.svg");
	versioned_url(og_url, sizeof og_url, "/static/og.png", "assets/og.png");
	for (i = 0; i < NSTATICS; i++) {
		const struct asset *a = asset_find(statics[i].asset);

		if (a == NULL) {
			snprintf(err, errlen, "%s missing from the binary", statics[i].asset);
			return -1;
		}
		for (gz = 0; gz < 2; gz++)
			for (imm = 0; imm < 2; imm++)
				static_resp[i][gz][imm] =
					static_response(a, gz && a->gz != NULL, imm);
	}
	for (l = 0; l < LANG_COUNT; l++) {
		struct buf o = BUF_INIT;

		if (sort_countries((enum lang)l) != 0 ||
		    build_country_options(&o, (enum lang)l, NULL) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		country_opts[l] = buf_steal(&o, NULL);
	}
	/* Render every page once in every language, so a template error stops
	 * the start rather than a visitor's request. */
	memset(&sig, 0, sizeof sig);
	for (l = 0; l < LANG_COUNT; l++) {
		buf_reset(&test);
		if (render_index(&test, (enum lang)l, NULL) != 0 ||
		    render_index(&test, (enum lang)l, &sig) != 0 ||
		    render_thanks(&test, (enum lang)l, "http://localhost") != 0 ||
		    render_embed(&test, (enum lang)l) != 0 ||
		    page_render_error(&test, (enum lang)l, 404) != 0 ||
		    page_render_admin(&test, (enum lang)l, NULL) != 0) {
			snprintf(err, errlen, "a template does not render in %s (see above)",
				 lang_code((enum lang)l));
			buf_free(&test);
			return -1;
		}
	}
	buf_free(&test);
	return 0;
}

void page_free(void)
{
	size_t i;
	int p, l, gz, imm;

	for (p = 0; p < CACHED_COUNT; p++) {
		for (l = 0; l < LANG_COUNT; l++) {
			if (cache[p][l].plain)
				MHD_destroy_response(cache[p][l].plain);
			if (cache[p][l].gz)
				MHD_destroy_response(cache[p][l].gz);
			cache[p][l].plain = cache[p][l].gz = NULL;
		}
	}
	for (i = 0; i < NSTATICS; i++)
		for (gz = 0; gz < 2; gz++)
			for (imm = 0; imm < 2; imm++)
				if (static_resp[i][gz][imm])
					MHD_destroy_response(static_resp[i][gz][imm]);
	for (l = 0; l < LANG_COUNT; l++) {
		free(country_opts[l]);
		free(country_order[l]);
	}
}
