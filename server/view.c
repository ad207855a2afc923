/* view.c -- rendering the embedded templates: the key/value context, the
 * keys every page has, the layout, error pages and localized messages. */
#include <stdio.h>
#include <string.h>

#include "assets.h"
#include "log.h"
#include "tmpl.h"
#include "view_int.h"

void view_set(struct view_ctx *c, const char *k, const char *v)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->kv[i].k, k) == 0) {
			c->kv[i].v = v ? v : "";
			c->kv[i].len = strlen(c->kv[i].v);
			return;
		}
	}
	if (c->n < VIEW_MAX_KEYS) {
		c->kv[c->n].k = k;
		c->kv[c->n].v = v ? v : "";
		c->kv[c->n].len = strlen(c->kv[c->n].v);
		c->n++;
	} else {
		log_warn("view: more than %d template keys; '%s' dropped", VIEW_MAX_KEYS, k);
	}
}

/* tmpl's lookup: the context's keys, then "t.<key>" from the strings. */
static int lookup(void *ctx, const char *key, size_t klen, const char **val, size_t *len)
{
	struct view_ctx *c = ctx;
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

void view_format_count(char *out, size_t outlen, int64_t n)
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

const char *view_message(enum lang lang, const char *key)
{
	const char *s = i18n_get(lang, key, strlen(key));

	return s ? s : key;
}

const char *view_error_message(enum lang lang, enum form_field f, enum form_error e)
{
	const char *generic = form_error_key(e), *s;
	char key[64];

	if (e == FORM_OK || strlen(generic) < 4)
		return "";
	/* "err.email.invalid" when the strings have it, else "err.invalid". */
	snprintf(key, sizeof key, "err.%s.%s", form_field_name(f), generic + 4);
	s = i18n_get(lang, key, strlen(key));
	return s ? s : view_message(lang, generic);
}

/* Asset URLs with their content hash, for immutable caching. */
static char css_url[64], js_url[64], icon_url[64], og_url[64];

static void versioned_url(char *out, size_t len, const char *url, const char *asset)
{
	const struct asset *a = asset_find(asset);

	snprintf(out, len, "%s?v=%.12s", url, a ? a->hash : "0");
}

void view_urls_init(void)
{
	versioned_url(css_url, sizeof css_url, "/static/style.css", "assets/style.css");
	versioned_url(js_url, sizeof js_url, "/static/app.js", "assets/app.js");
	versioned_url(icon_url, sizeof icon_url, "/static/favicon.svg", "assets/favicon.svg");
	versioned_url(og_url, sizeof og_url, "/static/og.png", "assets/og.png");
}

void view_base(struct view_ctx *c, const struct view_env *env, enum lang lang)
{
	/* The goal set on the settings page, else --goal (lifecycle.h). */
	long goal = env->life ? env->life->set.goal : env->cfg ? env->cfg->goal : CONFIG_DEFAULT_GOAL;
	long long pct = goal > 0 ? (long long)env->count * 100 / goal : 0;

	memset(c, 0, sizeof *c);
	c->lang = lang;
	if (pct > 100)
		pct = 100;
	view_format_count(c->count, sizeof c->count, env->count);
	snprintf(c->count_raw, sizeof c->count_raw, "%lld", (long long)env->count);
	view_format_count(c->goal, sizeof c->goal, goal);
	snprintf(c->goal_raw, sizeof c->goal_raw, "%ld", goal);
	snprintf(c->percent, sizeof c->percent, "%lld", pct);
	view_set(c, "lang", lang_code(lang));
	view_set(c, "other_lang", lang == LANG_EN ? "km" : "en");
	view_set(c, "other_lang_name", lang == LANG_EN ? "ខ្មែរ" : "English");
	view_set(c, "path", env->path ? env->path : "");
	view_set(c, "css_url", css_url);
	view_set(c, "js_url", js_url);
	view_set(c, "icon_url", icon_url);
	view_set(c, "og_image_url", og_url);
	view_set(c, "public_url", env->cfg && env->cfg->public_url ? env->cfg->public_url : "");
	view_set(c, "count", c->count);
	view_set(c, "count_raw", c->count_raw);
	view_set(c, "goal", c->goal);
	view_set(c, "goal_raw", c->goal_raw);
	view_set(c, "percent", c->percent);
	/* "1 person has signed", "2 people have signed". */
	view_set(c, "count_after",
		 view_message(lang, env->count == 1 ? "count.after.one" : "count.after"));
	/* The published texts (content.h): who runs the campaign, how to reach
	 * them, what a shared link says, the share image; whether lang has no
	 * translation of its own (the language switch says so); a preview. */
	{
		const struct content_snap *s = env->content;
		int fallback = 0;
		const struct content_lang *t = content_for(s, lang, &fallback);
		const struct content_text *tx = t ? &t->text : NULL;

		view_set(c, "org_name", content_get(tx, CONTENT_ORG));
		view_set(c, "contact_email", content_get(tx, CONTENT_EMAIL));
		view_set(c, "description", content_get(tx, CONTENT_SHARE));
		view_set(c, "lang_fallback", fallback ? "1" : "");
		if (s != NULL && s->og_path[0] != '\0')
			view_set(c, "og_image_url", s->og_path);
		view_set(c, "og_image_w", s != NULL && s->og_w[0] ? s->og_w : "1200");
		view_set(c, "og_image_h", s != NULL && s->og_h[0] ? s->og_h : "630");
		view_set(c, "preview", s != NULL && s->preview ? "1" : "");
		view_set(c, "preview_form", s != NULL && s->preview_form ? s->preview_form : "");
	}
}

int view_render_alone(struct buf *out, const char *name, struct view_ctx *c)
{
	const struct asset *t = asset_find(name);
	const char *err = NULL;

	if (t == NULL) {
		log_warn("template %s missing from the binary", name);
		return -1;
	}
	if (tmpl_render(out, (const char *)t->data, t->len, lookup, c, &err) != 0) {
		log_warn("template %s: %s", name, err ? err : "error");
		return -1;
	}
	return out->oom ? -1 : 0;
}

int view_render(struct buf *out, const char *name, const char *title_key, struct view_ctx *c)
{
	struct buf body = BUF_INIT;
	int rc;

	view_set(c, "title", view_message(c->lang, title_key));
	if (view_render_alone(&body, name, c) != 0) {
		buf_free(&body);
		return -1;
	}
	view_set(c, "body", buf_cstr(&body));
	rc = view_render_alone(out, "assets/layout.html", c);
	buf_free(&body);
	return rc;
}

int view_error(struct buf *out, const struct view_env *env, enum lang lang, unsigned status)
{
	struct view_ctx c;
	char hk[32], mk[32], st[8];

	view_base(&c, env, lang);
	snprintf(hk, sizeof hk, "error.%u.heading", status);
	snprintf(mk, sizeof mk, "error.%u.message", status);
	if (i18n_get(lang, hk, strlen(hk)) == NULL) {
		snprintf(hk, sizeof hk, "error.%u.heading", status >= 500 ? 500u : 400u);
		snprintf(mk, sizeof mk, "error.%u.message", status >= 500 ? 500u : 400u);
	}
	snprintf(st, sizeof st, "%u", status);
	view_set(&c, "status", st);
	view_set(&c, "heading", view_message(lang, hk));
	view_set(&c, "message", view_message(lang, mk));
	return view_render(out, "assets/error.html", hk, &c);
}
