/* view_pages.c -- the signer's pages: the petition with its form, the thanks
 * page, the widget; and the country lists they share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "countries.h"
#include "html.h"
#include "view_int.h"

/* Countries in display order per language: Cambodia first, then by name
 * compared without case or accents ("Åland" sorts with "A"); and the
 * <option> list without a selection. Built at start-up, read-only after. */
static size_t *country_order[LANG_COUNT];
static char *country_opts[LANG_COUNT];

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

static int country_options(struct buf *out, enum lang lang, const char *selected)
{
	const char *prompt = view_message(lang, "form.country.prompt");
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

struct recent_ctx {
	enum lang lang;
	struct buf *b;
};

/* One entry of the list of recent signers: the name the signer chose to
 * publish and the country; a row from before public names existed (public,
 * but no public name) shows as "a signer from COUNTRY", never any part of
 * the signer's name. */
static void recent_cb(void *ctx, const char *public_name, const char *country)
{
	struct recent_ctx *rc = ctx;
	const struct country *co = country ? country_find(country, strlen(country)) : NULL;
	const char *cn = co ? (rc->lang == LANG_KM ? co->km : co->en) : (country ? country : "");

	if (public_name != NULL && public_name[0] != '\0') {
		buf_puts(rc->b, "<li><span class=\"n\">");
		html_escape(rc->b, public_name, strlen(public_name));
		buf_puts(rc->b, "</span> <span class=\"c\">");
		html_escape(rc->b, cn, strlen(cn));
		buf_puts(rc->b, "</span></li>");
	} else {
		const char *tmpl = view_message(rc->lang, "recent.anonymous");
		const char *at = strstr(tmpl, "{country}");

		buf_puts(rc->b, "<li><span class=\"a\">");
		if (at != NULL) {
			html_escape(rc->b, tmpl, (size_t)(at - tmpl));
			buf_puts(rc->b, "<span class=\"c\">");
			html_escape(rc->b, cn, strlen(cn));
			buf_puts(rc->b, "</span>");
			html_escape(rc->b, at + 9, strlen(at + 9));
		} else {
			html_escape(rc->b, tmpl, strlen(tmpl));
		}
		buf_puts(rc->b, "</span></li>");
	}
}

int view_field_error(struct buf *out, enum lang lang, const struct form_sig *sig,
		     enum form_field f)
{
	if (sig == NULL || (unsigned)f >= FORM_NFIELDS || sig->err[f] == FORM_OK)
		return 0;
	return form_error_text(out, view_error_message(lang, f, sig->err[f]), sig, f);
}

/* Renders body template name into the layout, titled title (a text, not
 * a string key: the petition's title is the organizers'). */
static int render_titled(struct buf *out, const char *name, const char *title,
			 struct view_ctx *c)
{
	struct buf body = BUF_INIT;
	int rc;

	view_set(c, "title", title);
	if (view_render_alone(&body, name, c) != 0) {
		buf_free(&body);
		return -1;
	}
	view_set(c, "body", buf_cstr(&body));
	rc = view_render_alone(out, "assets/layout.html", c);
	buf_free(&body);
	return rc;
}

/* The petition (assets/petition.html) in lang, from the published texts
 * (content.h): the title, who petitions whom, the body, the closing, the
 * contact block, and on a translation the note that English is
 * authoritative. Appended to out. *text_lang: "en" when lang has no
 * translation of its own and the English text is shown, else "". Returns
 * 0 or -1. */
static int petition_html(struct buf *out, const struct view_env *env, enum lang lang,
			 const char **text_lang)
{
	int fallback = 0;
	const struct content_lang *t = content_for(env->content, lang, &fallback);
	const struct content_text *tx = t ? &t->text : NULL;
	struct view_ctx c;

	*text_lang = fallback ? lang_code(LANG_EN) : "";
	memset(&c, 0, sizeof c);
	c.lang = lang;
	view_set(&c, "p.title", content_get(tx, CONTENT_TITLE));
	view_set(&c, "p.petitioners", content_get(tx, CONTENT_PETITIONERS));
	view_set(&c, "p.recipients", content_get(tx, CONTENT_RECIPIENTS));
	view_set(&c, "p.parties", content_get(tx, CONTENT_PETITIONERS)[0] ||
				  content_get(tx, CONTENT_RECIPIENTS)[0] ? "1" : "");
	view_set(&c, "p.body", t && t->html[CONTENT_BODY] ? t->html[CONTENT_BODY] : "");
	view_set(&c, "p.closing", t && t->html[CONTENT_CLOSING] ? t->html[CONTENT_CLOSING] : "");
	view_set(&c, "p.contact", t && t->html[CONTENT_CONTACT] ? t->html[CONTENT_CONTACT] : "");
	view_set(&c, "p.translation", t != NULL && !fallback && lang != LANG_EN ? "1" : "");
	return view_render_alone(out, "assets/petition.html", &c);
}

int view_index(struct buf *out, const struct view_env *env, enum lang lang,
	       const struct form_sig *sig, const char *token, const char *notice)
{
	static const char *const ekeys[FORM_NFIELDS] = {
		[FORM_NAME] = "e.name",       [FORM_EMAIL] = "e.email",
		[FORM_COUNTRY] = "e.country", [FORM_COMMENT] = "e.comment",
		[FORM_PUBLIC] = "e.public",   [FORM_UPDATES] = "e.updates",
		[FORM_PUBLIC_NAME] = "e.public_name",
	};
	struct view_ctx c;
	struct buf recent = BUF_INIT, opts = BUF_INIT, pet = BUF_INIT, emsg[FORM_NFIELDS];
	struct buf from_n = BUF_INIT;
	struct recent_ctx rc = { lang, &recent };
	const struct content_lang *text = content_for(env->content, lang, NULL);
	const char *text_lang = "";
	int f, ret = -1;

	for (f = 0; f < FORM_NFIELDS; f++)
		buf_init(&emsg[f]);
	view_base(&c, env, lang);
	view_life_keys(&c, env, lang); /* open, paused, closed; goal reached */
	if (petition_html(&pet, env, lang, &text_lang) != 0)
		goto out;
	view_set(&c, "petition", buf_cstr(&pet));
	view_set(&c, "petition_lang", text_lang);
	if (env->st != NULL)
		store_recent_public(env->st, VIEW_RECENT_SIGNERS, recent_cb, &rc);
	view_set(&c, "recent", buf_cstr(&recent));
	/* "from 12 countries": only countries with 5 signatures or more count
	 * (api_countries_shown), so no one country's lone signer stands out. */
	if (env->countries > 0) {
		const char *tmpl = view_message(lang, env->countries == 1 ? "page.countries.one"
									 : "page.countries");
		const char *n = strstr(tmpl, "{n}");
		char num[32];

		view_format_count(num, sizeof num, env->countries);
		if (n != NULL)
			buf_printf(&from_n, "%.*s%s%s", (int)(n - tmpl), tmpl, num, n + 3);
		else
			buf_puts(&from_n, tmpl);
	}
	view_set(&c, "countries_line", buf_cstr(&from_n));
	view_set(&c, "token", token ? token : "");
	view_set(&c, "has_errors", "");
	view_set(&c, "e.form", notice ? view_message(lang, notice) : "");
	view_set(&c, "v.name", "");
	view_set(&c, "v.email", "");
	view_set(&c, "v.comment", "");
	view_set(&c, "v.public", "");
	view_set(&c, "v.public_name", "");
	view_set(&c, "v.updates", "");
	for (f = 0; f < FORM_NFIELDS; f++)
		if (ekeys[f] != NULL)
			view_set(&c, ekeys[f], "");
	if (sig != NULL) {
		view_set(&c, "has_errors", sig->nerrors > 0 ? "1" : "");
		view_set(&c, "v.name", sig->raw[FORM_NAME]);
		view_set(&c, "v.email", sig->raw[FORM_EMAIL]);
		view_set(&c, "v.comment", sig->raw[FORM_COMMENT]);
		view_set(&c, "v.public", sig->is_public ? "1" : "");
		view_set(&c, "v.public_name", sig->raw[FORM_PUBLIC_NAME]);
		view_set(&c, "v.updates", sig->updates ? "1" : "");
		for (f = 0; f < FORM_NFIELDS; f++) {
			if (sig->err[f] == FORM_OK || ekeys[f] == NULL)
				continue;
			if (view_field_error(&emsg[f], lang, sig, (enum form_field)f) != 0)
				goto out;
			view_set(&c, ekeys[f], buf_cstr(&emsg[f]));
		}
		if (country_options(&opts, lang, sig->raw[FORM_COUNTRY]) != 0)
			goto out;
		view_set(&c, "country_options", buf_cstr(&opts));
	} else {
		view_set(&c, "country_options", country_opts[lang]);
	}
	ret = render_titled(out, "assets/index.html",
			    content_get(text ? &text->text : NULL, CONTENT_TITLE), &c);
out:
	buf_free(&from_n);
	buf_free(&recent);
	buf_free(&opts);
	buf_free(&pet);
	for (f = 0; f < FORM_NFIELDS; f++)
		buf_free(&emsg[f]);
	return ret;
}

int view_share(struct view_share *sh, struct view_ctx *c, const struct view_env *env,
	       enum lang lang, const char *page_url)
{
	const struct content_lang *t = content_for(env->content, lang, NULL);
	const char *text;

	buf_puts(&sh->url, page_url);
	if (lang != LANG_EN) {
		buf_puts(&sh->url, "?lang=");
		buf_puts(&sh->url, lang_code(lang));
	}
	url_encode(&sh->share_url, sh->url.data, sh->url.len);
	/* What a shared link says: the organizers' share text. */
	text = content_get(t ? &t->text : NULL, CONTENT_SHARE);
	url_encode(&sh->share_text, text, strlen(text));
	view_set(c, "share_url", buf_cstr(&sh->share_url));
	view_set(c, "share_text", buf_cstr(&sh->share_text));
	if (view_render_alone(&sh->block, "assets/share.html", c) != 0)
		return -1;
	view_set(c, "share_block", buf_cstr(&sh->block));
	return 0;
}

void view_share_free(struct view_share *sh)
{
	buf_free(&sh->url);
	buf_free(&sh->share_url);
	buf_free(&sh->share_text);
	buf_free(&sh->block);
}

int view_thanks(struct buf *out, const struct view_env *env, enum lang lang,
		const char *page_url)
{
	struct view_ctx c;
	struct view_share share = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT };
	const struct content_lang *t = content_for(env->content, lang, NULL);
	int rc;

	view_base(&c, env, lang);
	view_life_keys(&c, env, lang); /* open, paused, closed; goal reached */
	if (view_share(&share, &c, env, lang, page_url) != 0) {
		view_share_free(&share);
		return -1;
	}
	view_set(&c, "thanks_text", content_get(t ? &t->text : NULL, CONTENT_THANKS));
	/* email area: with confirmation the page asks to confirm (the same
	 * page for every signer: it cannot say whether the address had
	 * signed); with a relay, it offers a withdrawal link by mail. */
	view_set(&c, "pending", env->cfg && env->cfg->confirm ? "1" : "");
	view_set(&c, "mail", env->cfg && env->cfg->smtp_url && env->cfg->public_url ? "1" : "");
	rc = view_render(out, "assets/thanks.html",
			 env->cfg && env->cfg->confirm ? "thanks.pending.title" : "title.thanks", &c);
	view_share_free(&share);
	return rc;
}

int view_embed(struct buf *out, const struct view_env *env, enum lang lang)
{
	const struct content_lang *t = content_for(env->content, lang, NULL);
	struct view_ctx c;

	view_base(&c, env, lang);
	view_life_keys(&c, env, lang); /* open, paused, closed; goal reached */
	view_set(&c, "title", content_get(t ? &t->text : NULL, CONTENT_TITLE));
	return view_render_alone(out, "assets/embed.html", &c);
}

const size_t *view_country_order(enum lang lang)
{
	return (unsigned)lang < LANG_COUNT ? country_order[lang] : NULL;
}

int view_init(char *err, size_t errlen)
{
	int l;

	view_urls_init();
	for (l = 0; l < LANG_COUNT; l++) {
		struct buf o = BUF_INIT;

		if (sort_countries((enum lang)l) != 0 ||
		    country_options(&o, (enum lang)l, NULL) != 0) {
			buf_free(&o);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		country_opts[l] = buf_steal(&o, NULL);
	}
	return 0;
}

void view_free(void)
{
	int l;

	for (l = 0; l < LANG_COUNT; l++) {
		free(country_opts[l]);
		free(country_order[l]);
		country_opts[l] = NULL;
		country_order[l] = NULL;
	}
}
