/* view_moderation.c -- the organizers' list of signatures (/admin/signatures)
 * and the confirmation before a deletion.
 *
 * Everything a signer wrote (name, email, comment, public name) is escaped
 * and put in its own <bdi>, so right-to-left text or a stray bidi control
 * in one cell cannot reorder the rest of the row or the page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "countries.h"
#include "html.h"
#include "log.h"
#include "tz.h"
#include "view_int.h"

static const char *country_name(enum lang lang, const char *code)
{
	const struct country *c = code ? country_find(code, strlen(code)) : NULL;

	if (c == NULL)
		return code ? code : "";
	return lang == LANG_KM ? c->km : c->en;
}

/* The <option>s of the country filter, "any country" first. */
static void country_options(struct buf *out, enum lang lang, const char *selected)
{
	const char *any = view_message(lang, "admin.sigs.country.any");
	const size_t *order = view_country_order(lang);
	size_t i;

	buf_puts(out, "<option value=\"\">");
	html_escape(out, any, strlen(any));
	buf_puts(out, "</option>");
	for (i = 0; i < countries_count; i++) {
		const struct country *c = &countries[order ? order[i] : i];
		const char *n = lang == LANG_KM ? c->km : c->en;

		buf_printf(out, "<option value=\"%s\"%s>", c->code,
			   selected && strcasecmp(selected, c->code) == 0 ? " selected" : "");
		html_escape(out, n, strlen(n));
		buf_printf(out, " (%s)</option>", c->code);
	}
}

/* A time as organizers read it: in their zone, labeled with its offset
 * ("2027-01-15 18:00 UTC+07:00"), or in UTC labeled so when no zone is
 * known. iso: the same moment in ISO 8601 UTC, for <time datetime>. */
static void when(const struct view_env *env, int64_t t, char *out, size_t len, char *iso,
		 size_t isolen)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (env->life != NULL && env->life->tz != NULL) {
		tz_format(env->life->tz, t, out, len);
	} else if (gmtime_r(&tt, &tm) != NULL) {
		strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
	} else {
		snprintf(out, len, "?");
	}
	if (gmtime_r(&tt, &tm) != NULL)
		strftime(iso, isolen, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(iso, isolen, "1970-01-01T00:00:00Z");
}

/* Plain text: tmpl with the first "{ph}" replaced by val. */
static void subst(struct buf *out, const char *tmpl, const char *ph, const char *val)
{
	const char *p = strstr(tmpl, ph);

	if (p == NULL) {
		buf_puts(out, tmpl);
		return;
	}
	buf_append(out, tmpl, (size_t)(p - tmpl));
	buf_puts(out, val);
	buf_puts(out, p + strlen(ph));
}

static void esc(struct buf *out, const char *s)
{
	html_escape(out, s ? s : "", s ? strlen(s) : 0);
}

/* Escaped text in its own bidi isolate. */
static void bdi(struct buf *out, const char *s)
{
	buf_puts(out, "<bdi>");
	esc(out, s);
	buf_puts(out, "</bdi>");
}

/* An email address, escaped, with a line-break opportunity after its '@'
 * (a narrow column then breaks it there rather than anywhere). */
/* 1 when a stored cell is a sealed box (sealed mode): the organizers'
 * pages say "sealed" instead of showing base64 nobody can read here. */
static int sealed(const char *s)
{
	return s != NULL && strncmp(s, "sealed:", 7) == 0;
}

static void email_html(struct buf *out, const char *email)
{
	const char *at = strchr(email, '@');

	if (at == NULL) {
		esc(out, email);
		return;
	}
	html_escape(out, email, (size_t)(at - email) + 1);
	buf_puts(out, "<wbr>");
	esc(out, at + 1);
}

static void esc_msg(struct buf *out, enum lang lang, const char *key)
{
	esc(out, view_message(lang, key));
}

static void put_state(struct buf *out, const char *key, const char *val, int *first)
{
	if (val == NULL || val[0] == '\0')
		return;
	buf_puts(out, *first ? "" : "&");
	buf_puts(out, key);
	buf_putc(out, '=');
	url_encode(out, val, strlen(val));
	*first = 0;
}

static const char *view_name(enum store_sig_view v)
{
	return v == STORE_VIEW_HIDDEN	   ? "hidden"
	       : v == STORE_VIEW_UNDECIDED ? "undecided"
	       : v == STORE_VIEW_PENDING   ? "pending"
					   : "";
}

int view_sigs_state(struct buf *out, const char *q, const char *country, enum store_sig_view view,
		    int64_t before, int64_t after)
{
	char num[24];
	int first = 1;

	put_state(out, "q", q, &first);
	put_state(out, "country", country, &first);
	put_state(out, "view", view_name(view), &first);
	if (after > 0) {
		snprintf(num, sizeof num, "%lld", (long long)after);
		put_state(out, "after", num, &first);
	} else if (before > 0) {
		snprintf(num, sizeof num, "%lld", (long long)before);
		put_state(out, "before", num, &first);
	}
	return out->oom ? -1 : 0;
}

/* The hidden fields that carry the list's state through a form. */
static void state_fields(struct buf *out, const char *q, const char *country,
			 enum store_sig_view view, int64_t before, int64_t after)
{
	const char *vn = view_name(view);

	if (q && q[0]) {
		buf_puts(out, "<input type=\"hidden\" name=\"q\" value=\"");
		esc(out, q);
		buf_puts(out, "\">");
	}
	if (country && country[0])
		buf_printf(out, "<input type=\"hidden\" name=\"country\" value=\"%.2s\">", country);
	if (vn[0])
		buf_printf(out, "<input type=\"hidden\" name=\"view\" value=\"%s\">", vn);
	if (after > 0)
		buf_printf(out, "<input type=\"hidden\" name=\"after\" value=\"%lld\">",
			   (long long)after);
	else if (before > 0)
		buf_printf(out, "<input type=\"hidden\" name=\"before\" value=\"%lld\">",
			   (long long)before);
}

/* "Shown as ...", "Hidden by organizers", ...: where the public list stands
 * for a row, as plain text plus the public name (escaped, isolated). */
static void public_status(struct buf *out, enum lang lang, const struct store_sig_row *row)
{
	struct buf t = BUF_INIT;
	const char *cn = country_name(lang, row->country);

	if (!row->is_public) {
		esc_msg(out, lang, "admin.sigs.public.no");
	} else if (row->hidden) {
		buf_puts(out, "<strong>");
		esc_msg(out, lang, "admin.sigs.public.hidden");
		buf_puts(out, "</strong>");
		if (row->public_name != NULL) {
			buf_puts(out, "<br>");
			esc_msg(out, lang, "admin.sigs.public.their_name");
			buf_putc(out, ' ');
			bdi(out, row->public_name);
		}
	} else if (row->public_name != NULL) {
		esc_msg(out, lang, "admin.sigs.public.named");
		buf_putc(out, ' ');
		bdi(out, row->public_name);
	} else {
		subst(&t, view_message(lang, row->anon_kept ? "admin.sigs.public.kept"
							    : "admin.sigs.public.anon"),
		      "{country}", cn);
		if (!row->anon_kept)
			buf_puts(out, "<strong>");
		esc(out, buf_cstr(&t));
		if (!row->anon_kept)
			buf_puts(out, "</strong>");
	}
	buf_free(&t);
}

struct list_ctx {
	const struct view_env *env;
	enum lang lang;
	const struct view_sigs *v;
	struct buf rows[VIEW_SIGS_PAGE + 1];
	int64_t ids[VIEW_SIGS_PAGE + 1];
	int n;
	const char *state; /* this page's state query string */
};

static void button(struct buf *out, enum lang lang, const char *path, int64_t id,
		   const char *key, const char *cls)
{
	buf_printf(out,
		   "<button class=\"btn btn-small%s\" type=\"submit\" form=\"sig-actions\""
		   " formaction=\"",
		   cls);
	esc(out, path);
	buf_printf(out, "\" name=\"id\" value=\"%lld\" aria-describedby=\"sig-%lld-n\">",
		   (long long)id, (long long)id);
	esc_msg(out, lang, key);
	buf_puts(out, "</button>");
}

static void row_cb(void *ctx, const struct store_sig_row *row)
{
	struct list_ctx *lc = ctx;
	const struct view_sigs *v = lc->v;
	enum lang lang = lc->lang;
	struct buf *b;
	char t[64], iso[32];
	long long id = (long long)row->id;

	if (lc->n > VIEW_SIGS_PAGE)
		return;
	b = &lc->rows[lc->n];
	lc->ids[lc->n++] = row->id;
	when(lc->env, row->signed_at, t, sizeof t, iso, sizeof iso);
	buf_printf(b, "<tr id=\"sig-%lld\">\n<td class=\"sig-when\"><time datetime=\"%s\">", id, iso);
	esc(b, t);
	buf_printf(b, "</time> <span class=\"sig-id\">#%lld</span>", id);
	/* Where it was collected, when not online (paper import). */
	if (strcmp(row->source, "paper") == 0 || strcmp(row->source, "event") == 0) {
		buf_puts(b, " <span class=\"sig-source\">");
		esc_msg(b, lang, strcmp(row->source, "paper") == 0 ? "paper.import.source.paper"
								   : "paper.import.source.event");
		buf_puts(b, "</span>");
	}
	/* email area: not counted until its signer confirms it. */
	if (!row->confirmed) {
		buf_puts(b, " <span class=\"sig-source sig-pending\">");
		esc_msg(b, lang, "admin.sigs.pending");
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</td>\n");
	buf_printf(b, "<td><bdi id=\"sig-%lld-n\">", id);
	if (sealed(row->name))
		esc_msg(b, lang, "admin.sigs.sealed");
	else
		esc(b, row->name);
	buf_puts(b, "</bdi></td>\n<td class=\"sig-email\"><bdi>");
	if (sealed(row->email))
		esc_msg(b, lang, "admin.sigs.sealed");
	else
		email_html(b, row->email);
	buf_puts(b, "</bdi></td>\n<td>");
	bdi(b, country_name(lang, row->country));
	buf_puts(b, " <span class=\"sig-id\">");
	esc(b, row->country);
	buf_puts(b, "</span></td>\n<td class=\"sig-comment\">");
	if (sealed(row->comment))
		esc_msg(b, lang, "admin.sigs.sealed");
	else if (row->comment[0])
		bdi(b, row->comment);
	buf_puts(b, "</td>\n<td class=\"sig-public\">");
	public_status(b, lang, row);
	buf_puts(b, "</td>\n<td>");
	esc_msg(b, lang, row->updates ? "admin.sigs.yes" : "admin.sigs.no");
	buf_puts(b, "</td>\n<td class=\"sig-actions\">");
	if (row->hidden)
		button(b, lang, v->show_path, row->id, "admin.sigs.show", "");
	else if (row->is_public)
		button(b, lang, v->hide_path, row->id, "admin.sigs.hide", "");
	if (row->is_public && row->public_name == NULL && !row->anon_kept && !row->hidden)
		button(b, lang, v->keep_path, row->id, "admin.sigs.keep", "");
	buf_puts(b, "<a class=\"btn btn-small btn-danger\" href=\"");
	esc(b, v->delete_path);
	buf_printf(b, "?id=%lld%s", id, lc->state[0] ? "&amp;" : "");
	esc(b, lc->state);
	buf_printf(b, "\" aria-describedby=\"sig-%lld-n\">", id);
	esc_msg(b, lang, "admin.sigs.delete");
	buf_puts(b, "</a></td>\n</tr>\n");
}

/* "1,234", or "10,000+" for a count that reached the limit it was
 * counted to. */
static void count_upto(char *out, size_t len, int64_t n, int64_t limit)
{
	size_t k;

	view_format_count(out, len, n);
	k = strlen(out);
	if (limit > 0 && n >= limit && k + 1 < len) {
		out[k] = '+';
		out[k + 1] = '\0';
	}
}

/* list_path?state, escaped for an attribute, into out (a buf kept alive
 * for the render). */
static const char *page_url(struct buf *out, const struct view_sigs *v, int64_t before,
			    int64_t after)
{
	struct buf q = BUF_INIT;

	view_sigs_state(&q, v->q, v->country, v->view, before, after);
	buf_puts(out, v->list_path);
	if (q.len > 0) {
		buf_putc(out, '?');
		buf_append(out, q.data, q.len);
	}
	buf_free(&q);
	return buf_cstr(out);
}

int view_sigs(struct buf *out, const struct view_env *env, enum lang lang,
	      const struct view_sigs *v)
{
	struct view_ctx c;
	struct list_ctx *lc = calloc(1, sizeof *lc);
	struct buf nav = BUF_INIT, opts = BUF_INIT, rows = BUF_INIT, fields = BUF_INIT,
		   state = BUF_INIT, summary = BUF_INIT, idxnote = BUF_INIT, undnote = BUF_INIT,
		   undlabel = BUF_INIT, err = BUF_INIT, newest = BUF_INIT, newer = BUF_INIT,
		   older = BUF_INIT, undurl = BUF_INIT;
	char num[32], serr[256];
	int rc = -1, got = 0, i, more = 0;

	if (lc == NULL)
		return -1;
	lc->env = env;
	lc->lang = lang;
	lc->v = v;
	view_sigs_state(&state, v->q, v->country, v->view, v->before, v->after);
	lc->state = buf_cstr(&state);
	view_base(&c, env, lang);
	if (v->error != NULL)
		buf_puts(&err, v->error);
	if (v->filter != NULL && env->st != NULL) {
		serr[0] = '\0';
		got = store_sig_list(env->st, v->filter, row_cb, lc, serr, sizeof serr);
		if (got < 0) {
			log_warn("moderation: listing signatures: %s", serr);
			buf_reset(&err);
			buf_puts(&err, view_message(lang, v->searching ? "admin.sigs.err.search"
								       : "admin.sigs.err.list"));
			lc->n = 0;
		}
	}
	more = lc->n > VIEW_SIGS_PAGE;
	if (more)
		lc->n = VIEW_SIGS_PAGE;
	/* Newest first on the page; a page fetched towards newer rows came
	 * oldest first. */
	for (i = 0; i < lc->n; i++) {
		int k = v->after > 0 ? lc->n - 1 - i : i;

		buf_append(&rows, lc->rows[k].data ? lc->rows[k].data : "", lc->rows[k].len);
	}
	if (lc->n > 0) {
		int64_t newest_id = v->after > 0 ? lc->ids[lc->n - 1] : lc->ids[0];
		int64_t oldest_id = v->after > 0 ? lc->ids[0] : lc->ids[lc->n - 1];
		int has_older = v->after > 0 ? 1 : more;
		int has_newer = v->after > 0 ? more : v->before > 0;

		if (has_older)
			page_url(&older, v, oldest_id, 0);
		if (has_newer)
			page_url(&newer, v, 0, newest_id);
		if (has_newer)
			page_url(&newest, v, 0, 0);
	} else if (v->before > 0 || v->after > 0) {
		page_url(&newest, v, 0, 0);
	}
	country_options(&opts, lang, v->country);
	state_fields(&fields, v->q, v->country, v->view, v->before, v->after);
	if (!v->searching && v->view == STORE_VIEW_ALL) {
		view_format_count(num, sizeof num, env->count);
		subst(&summary, view_message(lang, "admin.sigs.summary.all"), "{count}", num);
	} else {
		buf_puts(&summary, view_message(lang, "admin.sigs.summary.search"));
	}
	if (v->searching && v->unindexed > 0) {
		count_upto(num, sizeof num, v->unindexed, v->count_limit);
		subst(&idxnote, view_message(lang, "admin.sigs.index.note"), "{n}", num);
	}
	count_upto(num, sizeof num, v->undecided, v->count_limit);
	subst(&undlabel, view_message(lang, "admin.sigs.view.undecided"), "{n}", num);
	if (v->undecided > 0 && v->view != STORE_VIEW_UNDECIDED) {
		subst(&undnote, view_message(lang, "admin.sigs.undecided.note"), "{n}", num);
		buf_puts(&undurl, v->list_path);
		buf_puts(&undurl, "?view=undecided");
	}
	view_set(&c, "sigs_message", v->message ? v->message : "");
	view_set(&c, "sigs_error", buf_cstr(&err));
	view_set(&c, "sigs_list_url", v->list_path);
	view_set(&c, "sigs_q", v->q ? v->q : "");
	view_set(&c, "sigs_country_options", buf_cstr(&opts));
	view_set(&c, "sigs_view_all", v->view == STORE_VIEW_ALL ? "1" : "");
	view_set(&c, "sigs_view_hidden", v->view == STORE_VIEW_HIDDEN ? "1" : "");
	view_set(&c, "sigs_view_undecided", v->view == STORE_VIEW_UNDECIDED ? "1" : "");
	view_set(&c, "sigs_view_pending", v->view == STORE_VIEW_PENDING ? "1" : "");
	view_set(&c, "sigs_undecided_label", buf_cstr(&undlabel));
	view_set(&c, "sigs_filtered",
		 v->searching || v->view != STORE_VIEW_ALL || v->before || v->after ? "1" : "");
	view_set(&c, "sigs_summary", buf_cstr(&summary));
	view_set(&c, "sigs_index_note", buf_cstr(&idxnote));
	view_set(&c, "sigs_undecided_note", buf_cstr(&undnote));
	view_set(&c, "sigs_undecided_url", buf_cstr(&undurl));
	view_set(&c, "sigs_state_fields", buf_cstr(&fields));
	view_set(&c, "sigs_rows", buf_cstr(&rows));
	view_set(&c, "sigs_newest_url", buf_cstr(&newest));
	view_set(&c, "sigs_newer_url", buf_cstr(&newer));
	view_set(&c, "sigs_older_url", buf_cstr(&older));
	view_set(&c, "sigs_zone",
		 env->life != NULL && env->life->tz != NULL ? "" : view_message(lang,
										 "admin.sigs.utc"));
	if (opts.oom || rows.oom || fields.oom || state.oom || summary.oom)
		goto out;
	rc = view_admin_nav(&c, &nav, "signatures", v->who);
	if (rc == 0)
		rc = view_render(out, "assets/admin_signatures.html", "title.admin.signatures", &c);
out:
	for (i = 0; i <= VIEW_SIGS_PAGE; i++)
		buf_free(&lc->rows[i]);
	free(lc);
	buf_free(&nav);
	buf_free(&opts);
	buf_free(&rows);
	buf_free(&fields);
	buf_free(&state);
	buf_free(&summary);
	buf_free(&idxnote);
	buf_free(&undnote);
	buf_free(&undlabel);
	buf_free(&err);
	buf_free(&newest);
	buf_free(&newer);
	buf_free(&older);
	buf_free(&undurl);
	return rc;
}

int view_sig_delete(struct buf *out, const struct view_env *env, enum lang lang,
		    const struct view_sig_delete *v)
{
	struct view_ctx c;
	struct buf nav = BUF_INIT, cancel = BUF_INIT, pub = BUF_INIT, fields = BUF_INIT,
		   text = BUF_INIT, state = BUF_INIT, email = BUF_INIT;
	const struct store_sig_row *row = v->row;
	char t[64], iso[32], id[24], after[32];
	int rc;

	view_base(&c, env, lang);
	view_sigs_state(&state, v->q, v->country, v->view, v->before, v->after);
	buf_puts(&cancel, v->list_path);
	if (state.len > 0) {
		buf_putc(&cancel, '?');
		buf_append(&cancel, state.data, state.len);
	}
	state_fields(&fields, v->q, v->country, v->view, v->before, v->after);
	t[0] = iso[0] = id[0] = '\0';
	if (row != NULL) {
		when(env, row->signed_at, t, sizeof t, iso, sizeof iso);
		snprintf(id, sizeof id, "%lld", (long long)row->id);
		public_status(&pub, lang, row);
		if (sealed(row->email))
			esc(&email, view_message(lang, "admin.sigs.sealed"));
		else
			email_html(&email, row->email);
		view_format_count(after, sizeof after, env->count > 0 ? env->count - 1 : 0);
		subst(&text, view_message(lang, "admin.sigdel.text"), "{count}", after);
		buf_printf(&cancel, "#sig-%s", id);
	}
	view_set(&c, "del_found", row ? "1" : "");
	view_set(&c, "del_id", id);
	view_set(&c, "del_when", t);
	view_set(&c, "del_iso", iso);
	view_set(&c, "del_name", !row ? "" : sealed(row->name) ? view_message(lang, "admin.sigs.sealed")
								 : row->name);
	view_set(&c, "del_email", buf_cstr(&email)); /* escaped, with a break after '@' */
	view_set(&c, "del_country", row ? country_name(lang, row->country) : "");
	view_set(&c, "del_country_code", row ? row->country : "");
	view_set(&c, "del_comment", !row			    ? ""
				    : sealed(row->comment) ? view_message(lang, "admin.sigs.sealed")
							   : row->comment);
	view_set(&c, "del_public", buf_cstr(&pub));
	view_set(&c, "del_updates",
		 row ? view_message(lang, row->updates ? "admin.sigs.yes" : "admin.sigs.no") : "");
	view_set(&c, "del_text", buf_cstr(&text));
	view_set(&c, "del_missing", row ? "" : v->missing ? v->missing : "");
	view_set(&c, "del_action", v->delete_path);
	view_set(&c, "del_state_fields", buf_cstr(&fields));
	view_set(&c, "del_cancel_url", buf_cstr(&cancel));
	rc = cancel.oom || pub.oom || fields.oom || text.oom || state.oom || email.oom ? -1 : 0;
	if (rc == 0)
		rc = view_admin_nav(&c, &nav, "signatures", v->who);
	if (rc == 0)
		rc = view_render(out, "assets/admin_signature_delete.html", "title.admin.sigdel", &c);
	buf_free(&nav);
	buf_free(&cancel);
	buf_free(&pub);
	buf_free(&fields);
	buf_free(&text);
	buf_free(&state);
	buf_free(&email);
	return rc;
}
