/* view_content.c -- the organizers' pages of the campaign's texts: the
 * editor of one language (fields, history, share image), one version, the
 * confirmation before withdrawing a translation, and the form in a
 * preview's banner. Every value is escaped here; nothing an organizer
 * typed is ever inserted as HTML (the page shows their Markdown rendered
 * by markdown.c, which is another matter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "lifecycle.h"
#include "view_int.h"

/* Rows of the history shown on the editor. */
#define VIEW_CONTENT_HISTORY 50
/* Rows of the textarea of each multi-line field. */
#define VIEW_CONTENT_BODY_ROWS 24
#define VIEW_CONTENT_BLOCK_ROWS 5

static void esc(struct buf *b, const char *s)
{
	html_escape(b, s ? s : "", s ? strlen(s) : 0);
}

/* "2026-12-02 14:05 UTC+07:00": in the organizer's time zone when there is
 * one (lifecycle.h), else UTC. */
static void when(char *out, size_t len, const struct view_env *env, int64_t t)
{
	if (env->life != NULL && env->life->tz != NULL) {
		tz_format(env->life->tz, t, out, len);
	} else {
		tz_format_utc(t, out, len);
	}
}

/* Appends tmpl with "{max}" and "{n}" replaced by the numbers (escaped). */
static void fill(struct buf *b, const char *tmpl, size_t max, size_t n)
{
	const char *p = tmpl;

	while (*p) {
		if (strncmp(p, "{max}", 5) == 0) {
			char num[32];

			view_format_count(num, sizeof num, (int64_t)max);
			buf_puts(b, num);
			p += 5;
		} else if (strncmp(p, "{n}", 3) == 0) {
			char num[32];

			view_format_count(num, sizeof num, (int64_t)n);
			buf_puts(b, num);
			p += 3;
		} else {
			size_t k = strcspn(p + 1, "{") + 1;

			html_escape(b, p, k);
			p += k;
		}
	}
}

static const char *field_key(char *out, size_t len, int f, const char *what)
{
	snprintf(out, len, "content.field.%s.%s", content_fields[f].name, what);
	return out;
}

/* The size of field f as its limit counts it. */
static size_t field_size(const struct content_text *t, int f)
{
	const char *s = content_get(t, (enum content_field)f);

	return content_fields[f].max_bytes ? strlen(s) : utf8_graphemes(s, strlen(s));
}

/* The message of field f's error into b (escaped). */
static void field_error(struct buf *b, enum lang lang, const struct view_content *v, int f)
{
	if (v->err == NULL || v->err[f] == CONTENT_OK)
		return;
	fill(b, view_message(lang, content_error_key(v->err[f])), content_fields[f].max,
	     field_size(v->text, f));
}

/* Every field of the form, with its label, hint, limit and error. */
static void fields_html(struct buf *b, enum lang lang, const struct view_content *v)
{
	const char *text_lang = lang_code(v->lang);
	int f;

	for (f = 0; f < CONTENT_NFIELDS; f++) {
		const struct content_field_def *d = &content_fields[f];
		const char *name = d->name;
		int bad = v->err != NULL && v->err[f] != CONTENT_OK;
		int multi = d->kind == CONTENT_KIND_MARKDOWN || d->kind == CONTENT_KIND_ADDRESS;
		char key[64];

		buf_printf(b, "<div class=\"field\" id=\"f-%s\">\n<label for=\"c-%s\">", name, name);
		esc(b, view_message(lang, field_key(key, sizeof key, f, "label")));
		buf_printf(b, "</label>\n<p class=\"hint\" id=\"hint-c-%s\">", name);
		esc(b, view_message(lang, field_key(key, sizeof key, f, "hint")));
		buf_putc(b, ' ');
		fill(b, view_message(lang, d->max_bytes ? "content.limit.bytes" : "content.limit.chars"),
		     d->max, 0);
		buf_printf(b, "</p>\n<p class=\"error-msg\" id=\"err-c-%s\">", name);
		field_error(b, lang, v, f);
		buf_puts(b, "</p>\n");
		if (multi)
			buf_printf(b, "<textarea id=\"c-%s\" name=\"%s\" rows=\"%d\" lang=\"%s\"", name,
				   name,
				   f == CONTENT_BODY ? VIEW_CONTENT_BODY_ROWS : VIEW_CONTENT_BLOCK_ROWS,
				   text_lang);
		else
			buf_printf(b, "<input type=\"%s\" id=\"c-%s\" name=\"%s\" lang=\"%s\" value=\"",
				   d->kind == CONTENT_KIND_EMAIL ? "email" : "text", name, name,
				   d->kind == CONTENT_KIND_EMAIL ? "en" : text_lang);
		if (!multi) {
			esc(b, content_get(v->text, (enum content_field)f));
			buf_putc(b, '"');
		}
		if (d->kind == CONTENT_KIND_EMAIL)
			buf_puts(b, " autocomplete=\"off\" spellcheck=\"false\"");
		if (d->required)
			buf_puts(b, " required");
		buf_printf(b, " aria-describedby=\"hint-c-%s err-c-%s\"%s>", name, name,
			   bad ? " aria-invalid=\"true\"" : "");
		if (multi) {
			/* A newline first: the browser drops one after <textarea>,
			 * so a value that starts with one keeps it. */
			buf_putc(b, '\n');
			esc(b, content_get(v->text, (enum content_field)f));
			buf_puts(b, "</textarea>");
		}
		buf_puts(b, "\n</div>\n");
	}
}

/* The list of errors above the form, each a link to its field. */
static void errors_html(struct buf *b, enum lang lang, const struct view_content *v)
{
	int f, any = 0;

	for (f = 0; v->err != NULL && f < CONTENT_NFIELDS; f++)
		any |= v->err[f] != CONTENT_OK;
	if (!any)
		return;
	buf_puts(b, "<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\" autofocus>\n<h2>");
	esc(b, view_message(lang, v->too_large ? "content.errors.too_large"
					       : "content.errors.summary"));
	buf_puts(b, "</h2>\n<ul>\n");
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		char key[64];

		if (v->err[f] == CONTENT_OK)
			continue;
		buf_printf(b, "<li><a href=\"#c-%s\">", content_fields[f].name);
		esc(b, view_message(lang, field_key(key, sizeof key, f, "label")));
		buf_puts(b, ": ");
		field_error(b, lang, v, f);
		buf_puts(b, "</a></li>\n");
	}
	buf_puts(b, "</ul>\n</div>\n");
}

/* Links to the editor of each language, the current one marked. */
static void tabs_html(struct buf *b, enum lang lang, const struct view_content *v)
{
	int l;

	buf_puts(b, "<ul class=\"content-langs\">");
	for (l = 0; l < LANG_COUNT; l++) {
		char key[32];

		snprintf(key, sizeof key, "content.lang.%s", lang_code((enum lang)l));
		buf_puts(b, "<li><a href=\"");
		esc(b, v->paths->page);
		buf_printf(b, "?text=%s\" hreflang=\"%s\"%s>", lang_code((enum lang)l),
			   lang_code((enum lang)l), l == (int)v->lang ? " aria-current=\"page\"" : "");
		esc(b, view_message(lang, key));
		buf_puts(b, "</a></li>");
	}
	buf_puts(b, "</ul>");
}

struct history_ctx {
	struct buf *b;
	enum lang lang;
	const struct view_env *env;
	const struct view_content_paths *paths;
	int64_t current; /* the version on the page, 0: none */
};

static void history_row(void *ctx, const struct store_content_meta *m)
{
	struct history_ctx *h = ctx;
	struct buf *b = h->b;
	char at[64];

	when(at, sizeof at, h->env, m->at);
	buf_printf(b, "<tr><td>#%lld", (long long)m->id);
	if (m->id == h->current) {
		buf_puts(b, " <span class=\"badge\">");
		esc(b, view_message(h->lang, "content.history.current"));
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</td><td>");
	esc(b, at);
	buf_puts(b, "</td><td>");
	esc(b, m->admin);
	buf_puts(b, "</td><td>");
	if (m->withdrawn) {
		esc(b, view_message(h->lang, "content.history.withdrawn"));
		if (m->note[0])
			buf_puts(b, "; ");
	}
	esc(b, m->note);
	buf_puts(b, "</td><td><a href=\"");
	esc(b, h->paths->version);
	buf_printf(b, "?id=%lld\">", (long long)m->id);
	esc(b, view_message(h->lang, "content.history.view"));
	buf_puts(b, "</a></td></tr>\n");
}

int view_content(struct buf *out, const struct view_env *env, enum lang lang,
		 const struct view_content *v)
{
	const struct content_snap *s = env->content;
	const struct content_lang *cur = s != NULL ? &s->lang[v->lang] : NULL;
	struct buf nav = BUF_INIT, fields = BUF_INIT, errors = BUF_INIT, tabs = BUF_INIT,
		   hist = BUF_INIT, status = BUF_INIT;
	struct history_ctx h = { &hist, lang, env, v->paths, 0 };
	struct view_ctx c;
	char key[32], size[32];
	int rc = -1;

	view_base(&c, env, lang);
	if (cur != NULL && cur->has) {
		char at[64];

		h.current = cur->version;
		when(at, sizeof at, env, cur->at);
		buf_printf(&status, "%s #%lld, ", view_message(lang, "content.status.published"),
			   (long long)cur->version);
		buf_printf(&status, "%s, %s %s.", at, view_message(lang, "content.status.by"),
			   cur->who);
	} else {
		buf_puts(&status, view_message(lang, "content.status.none"));
	}
	if (env->st != NULL)
		store_content_history(env->st, lang_code(v->lang), VIEW_CONTENT_HISTORY,
				      history_row, &h);
	fields_html(&fields, lang, v);
	errors_html(&errors, lang, v);
	tabs_html(&tabs, lang, v);
	snprintf(key, sizeof key, "content.lang.%s", lang_code(v->lang));
	if (s != NULL && s->og_path[0] != '\0')
		snprintf(size, sizeof size, "%u×%u", s->og_width, s->og_height);
	else
		snprintf(size, sizeof size, "%s×%s", s && s->og_w[0] ? s->og_w : "1200",
			 s && s->og_h[0] ? s->og_h : "630");
	if (fields.oom || errors.oom || tabs.oom || hist.oom || status.oom)
		goto out;
	view_set(&c, "c.message", v->message ? v->message : "");
	view_set(&c, "c.lang", lang_code(v->lang));
	view_set(&c, "c.lang_name", view_message(lang, key));
	view_set(&c, "c.tabs", buf_cstr(&tabs));
	view_set(&c, "c.status", buf_cstr(&status));
	view_set(&c, "c.errors", buf_cstr(&errors));
	view_set(&c, "c.fields", buf_cstr(&fields));
	view_set(&c, "c.history", buf_cstr(&hist));
	view_set(&c, "c.can_withdraw", v->lang != LANG_EN && cur != NULL && cur->has ? "1" : "");
	view_set(&c, "c.image_builtin", s == NULL || s->og_path[0] == '\0' ? "1" : "");
	view_set(&c, "c.image_size", size);
	view_set(&c, "c.image_error", v->image_error ? v->image_error : "");
	view_set(&c, "c.path.page", v->paths->page);
	view_set(&c, "c.path.publish", v->paths->publish);
	view_set(&c, "c.path.preview", v->paths->preview);
	view_set(&c, "c.path.withdraw", v->paths->withdraw);
	view_set(&c, "c.path.image", v->paths->image);
	view_set(&c, "c.path.image_reset", v->paths->image_reset);
	if (view_admin_nav(&c, &nav, "content", v->who) != 0)
		goto out;
	rc = view_render(out, "assets/admin_content.html", "title.admin.content", &c);
out:
	buf_free(&nav);
	buf_free(&fields);
	buf_free(&errors);
	buf_free(&tabs);
	buf_free(&hist);
	buf_free(&status);
	return rc;
}

int view_content_version(struct buf *out, const struct view_env *env, enum lang lang,
			 const char *who, const struct view_content_paths *paths,
			 const struct store_content_meta *m, const struct content_text *t,
			 int current)
{
	struct buf nav = BUF_INIT, fields = BUF_INIT, meta = BUF_INIT;
	struct view_ctx c;
	char id[32], key[32];
	enum lang text_lang = LANG_EN;
	int f, rc = -1;

	view_base(&c, env, lang);
	id[0] = '\0';
	if (m != NULL) {
		char at[64];

		lang_parse(m->lang, &text_lang);
		snprintf(id, sizeof id, "%lld", (long long)m->id);
		when(at, sizeof at, env, m->at);
		esc(&meta, at);
		buf_puts(&meta, ", ");
		esc(&meta, view_message(lang, "content.status.by"));
		buf_putc(&meta, ' ');
		esc(&meta, m->admin);
		if (m->note[0]) {
			buf_puts(&meta, " (");
			esc(&meta, m->note);
			buf_putc(&meta, ')');
		}
		buf_putc(&meta, '.');
		/* The fields as they were written: short ones as text, the
		 * Markdown ones as their source. */
		for (f = 0; t != NULL && !m->withdrawn && f < CONTENT_NFIELDS; f++) {
			enum content_kind k = content_fields[f].kind;
			char fk[64];

			buf_puts(&fields, "<dt>");
			esc(&fields, view_message(lang, field_key(fk, sizeof fk, f, "label")));
			buf_printf(&fields, "</dt>\n<dd lang=\"%s\">", lang_code(text_lang));
			if (k == CONTENT_KIND_MARKDOWN || k == CONTENT_KIND_ADDRESS) {
				buf_puts(&fields, "<pre class=\"source\">");
				esc(&fields, content_get(t, (enum content_field)f));
				buf_puts(&fields, "</pre>");
			} else {
				esc(&fields, content_get(t, (enum content_field)f));
			}
			buf_puts(&fields, "</dd>\n");
		}
	}
	snprintf(key, sizeof key, "content.lang.%s", lang_code(text_lang));
	if (fields.oom || meta.oom)
		goto out;
	view_set(&c, "c.found", m != NULL ? "1" : "");
	view_set(&c, "c.id", id);
	view_set(&c, "c.lang", lang_code(text_lang));
	view_set(&c, "c.lang_name", view_message(lang, key));
	view_set(&c, "c.meta", buf_cstr(&meta));
	view_set(&c, "c.withdrawn", m != NULL && m->withdrawn ? "1" : "");
	view_set(&c, "c.current", current ? "1" : "");
	view_set(&c, "c.fields", buf_cstr(&fields));
	view_set(&c, "c.path.page", paths->page);
	view_set(&c, "c.path.revert", paths->revert);
	if (view_admin_nav(&c, &nav, "content", who) != 0)
		goto out;
	rc = view_render(out, "assets/admin_content_version.html", "title.admin.content.version",
			 &c);
out:
	buf_free(&nav);
	buf_free(&fields);
	buf_free(&meta);
	return rc;
}

int view_content_withdraw(struct buf *out, const struct view_env *env, enum lang lang,
			  const char *who, const struct view_content_paths *paths,
			  enum lang text_lang)
{
	struct buf nav = BUF_INIT;
	struct view_ctx c;
	char key[32];
	int rc;

	view_base(&c, env, lang);
	snprintf(key, sizeof key, "content.lang.%s", lang_code(text_lang));
	view_set(&c, "c.lang", lang_code(text_lang));
	view_set(&c, "c.lang_name", view_message(lang, key));
	view_set(&c, "c.english", text_lang == LANG_EN ? "1" : "");
	view_set(&c, "c.path.page", paths->page);
	view_set(&c, "c.path.withdraw_post", paths->withdraw_post);
	rc = view_admin_nav(&c, &nav, "content", who);
	if (rc == 0)
		rc = view_render(out, "assets/admin_content_withdraw.html",
				 "title.admin.content.withdraw", &c);
	buf_free(&nav);
	return rc;
}

char *view_content_preview_form(enum lang lang, const struct view_content_paths *paths,
				enum lang text_lang, const struct content_text *t)
{
	struct buf b = BUF_INIT;
	int f;

	buf_puts(&b, "<form method=\"post\" action=\"");
	esc(&b, paths->publish);
	buf_printf(&b, "\" accept-charset=\"utf-8\" class=\"preview-actions\">\n"
		       "<input type=\"hidden\" name=\"text_lang\" value=\"%s\">\n",
		   lang_code(text_lang));
	/* Hidden textareas: a hidden input would keep line breaks too, but a
	 * textarea says plainly that it does. */
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		buf_printf(&b, "<textarea name=\"%s\" hidden>\n", content_fields[f].name);
		esc(&b, content_get(t, (enum content_field)f));
		buf_puts(&b, "</textarea>\n");
	}
	buf_puts(&b, "<button type=\"submit\" class=\"btn btn-primary\">");
	esc(&b, view_message(lang, "content.preview.publish"));
	buf_puts(&b, "</button>\n<button type=\"submit\" class=\"btn\" name=\"edit\" value=\"1\" "
		     "formaction=\"");
	esc(&b, paths->preview);
	buf_puts(&b, "\">");
	esc(&b, view_message(lang, "content.preview.back"));
	buf_puts(&b, "</button>\n</form>\n");
	return buf_steal(&b, NULL);
}
