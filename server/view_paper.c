/* view_paper.c (paper) -- /admin/import (the upload form and the per-line
 * report of a check) and /admin/print (the A4 signature sheet). */
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "i18n.h"
#include "view_int.h"

static void esc(struct buf *b, const char *s)
{
	html_escape(b, s ? s : "", s ? strlen(s) : 0);
}

/* The report's table rows: one per data row, the line number, the result,
 * and for an invalid row why (field and reason, never the row's values). */
static void report_rows(struct buf *b, enum lang lang, const struct import_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct import_row *r = &set->rows[i];
		const char *key;

		switch (r->result) {
		case IMPORT_ADDED:
			key = r->sig.email_norm ? "paper.import.res.new" : "paper.import.res.noemail";
			break;
		case IMPORT_DUPLICATE: key = "paper.import.res.dup"; break;
		default: key = "paper.import.res.invalid"; break;
		}
		buf_printf(b, "<tr%s><td>%zu</td><td>", r->result == IMPORT_INVALID ?
			   " class=\"import-invalid\"" : "", r->line);
		esc(b, view_message(lang, key));
		buf_puts(b, "</td><td>");
		if (r->result == IMPORT_INVALID)
			esc(b, r->why);
		buf_puts(b, "</td></tr>\n");
	}
}

int view_import(struct buf *out, const struct view_env *env, enum lang lang,
		const struct view_import *v)
{
	struct view_ctx c;
	struct buf nav = BUF_INIT, rows = BUF_INIT;
	char n_rows[24], n_new[24], n_dup[24], n_inv[24], n_noemail[24];
	char d_added[24], d_dup[24], d_skipped[24];
	const struct import_set *set = v->set;
	int rc;

	view_base(&c, env, lang);
	snprintf(n_rows, sizeof n_rows, "%zu", set ? set->n : 0);
	snprintf(n_new, sizeof n_new, "%lld", (long long)v->would_add);
	snprintf(n_dup, sizeof n_dup, "%lld", (long long)v->duplicates);
	snprintf(n_inv, sizeof n_inv, "%zu", set ? set->ninvalid : 0);
	snprintf(n_noemail, sizeof n_noemail, "%lld", (long long)v->no_email);
	snprintf(d_added, sizeof d_added, "%lld", v->done_added);
	snprintf(d_dup, sizeof d_dup, "%lld", v->done_duplicates);
	snprintf(d_skipped, sizeof d_skipped, "%lld", v->done_skipped);
	if (set != NULL && v->error == NULL)
		report_rows(&rows, lang, set);
	view_set(&c, "imp_done", v->done ? "1" : "");
	view_set(&c, "imp_done_added", d_added);
	view_set(&c, "imp_done_dup", d_dup);
	view_set(&c, "imp_done_skipped", d_skipped);
	view_set(&c, "imp_error", v->error ? v->error : "");
	view_set(&c, "imp_error_key", v->error_key ? view_message(lang, v->error_key) : "");
	view_set(&c, "imp_report", set != NULL && v->error == NULL ? "1" : "");
	view_set(&c, "imp_refused", v->refused ? "1" : "");
	view_set(&c, "imp_rows", buf_cstr(&rows));
	view_set(&c, "imp_n_rows", n_rows);
	view_set(&c, "imp_n_new", n_new);
	view_set(&c, "imp_n_dup", n_dup);
	view_set(&c, "imp_n_invalid", n_inv);
	view_set(&c, "imp_n_noemail", n_noemail);
	view_set(&c, "imp_can_add", set && v->error == NULL && set->ninvalid == 0 && v->would_add > 0
					   ? "1" : "");
	view_set(&c, "imp_can_add_valid",
		 set && v->error == NULL && set->ninvalid > 0 && v->would_add > 0 ? "1" : "");
	view_set(&c, "imp_nothing", set && v->error == NULL && v->would_add == 0 ? "1" : "");
	view_set(&c, "imp_csv", v->csv ? v->csv : "");
	view_set(&c, "imp_src_paper", v->source && strcmp(v->source, "event") == 0 ? "" : "1");
	view_set(&c, "imp_src_event", v->source && strcmp(v->source, "event") == 0 ? "1" : "");
	view_set(&c, "imp_source", v->source && strcmp(v->source, "event") == 0 ? "event" : "paper");
	rc = view_admin_nav(&c, &nav, "paper", v->who);
	if (rc == 0)
		rc = view_render(out, "assets/admin_import.html", "paper.import.heading", &c);
	buf_free(&nav);
	buf_free(&rows);
	return rc;
}

int view_print(struct buf *out, const struct view_env *env, enum lang lang, const char *qr_svg,
	       const char *url)
{
	static const char *const nums[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
					    "11", "12", "13", "14", "15", "16", "17", "18", "19",
					    "20" };
	const struct content_lang *t = content_for(env->content, lang, NULL);
	const struct content_text *tx = t ? &t->text : NULL;
	struct view_ctx c;
	struct buf lines = BUF_INIT;
	size_t i;
	int rc;

	view_base(&c, env, lang);
	/* VIEW_PRINT_LINES numbered lines, the columns of the import. */
	for (i = 0; i < VIEW_PRINT_LINES && i < sizeof nums / sizeof nums[0]; i++)
		buf_printf(&lines, "<tr><th scope=\"row\">%s</th><td></td><td></td><td></td>"
			   "<td></td><td></td><td></td></tr>\n", nums[i]);
	view_set(&c, "pr_title", content_get(tx, CONTENT_TITLE));
	view_set(&c, "pr_summary", content_get(tx, CONTENT_SHARE));
	view_set(&c, "pr_petitioners", content_get(tx, CONTENT_PETITIONERS));
	view_set(&c, "pr_recipients", content_get(tx, CONTENT_RECIPIENTS));
	view_set(&c, "pr_qr", qr_svg ? qr_svg : "");
	view_set(&c, "pr_url", url ? url : "");
	view_set(&c, "pr_lines", buf_cstr(&lines));
	view_set(&c, "pr_other", lang == LANG_EN ? "km" : "en");
	rc = lines.oom ? -1 : view_render_alone(out, "assets/admin_print.html", &c);
	buf_free(&lines);
	return rc;
}
