/* admin_paper.c (paper) -- signatures collected on paper or at events.
 *
 * GET /admin/import: the form (a CSV file, or the rows pasted). POST
 * /admin/import, step "check": every row read and checked (import.c), then
 * compared with the database in a writer task that rolls back (duplicates),
 * and the per-line report shown with the buttons that add the rows; the
 * text travels in the confirm form, so nothing is kept on the server between
 * the two steps. Step "add": the rows are added in one transaction (a writer
 * task, with the audit line) only when every row is valid; step "add_valid":
 * the valid ones. Then 303 to GET /admin/import with the numbers.
 *
 * GET /admin/print?lang=: the A4 signature sheet. */
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "clock.h"
#include "hdr.h"
#include "import.h"
#include "log.h"
#include "qr.h"
#include "routes.h"
#include "store.h"
#include "view.h"
#include "writer.h"

#define PAPER_PP_BUFFER_BYTES 16384 /* libmicrohttpd's post processor's buffer */
#define PAPER_QR_SIZE 320           /* pixels: the sheet's QR code (scaled by CSS) */

enum paper_step { STEP_CHECK, STEP_ADD, STEP_ADD_VALID };

/* The form's fields, as the post processor hands them over. */
struct paper_form {
	struct buf file; /* the uploaded file's bytes */
	struct buf csv;  /* the pasted (or carried) rows */
	char source[8];
	char step[16];
	int oom;
};

struct paper_task {
	struct http_pending pending; /* first: the writer's item */
	struct app *a;
	char who[64];
	char source[8];
	enum paper_step step;
	int commit;
	int64_t now;
	struct buf text;           /* the CSV checked */
	struct import_set set;
	struct store_sig *sigs;    /* the valid rows */
	size_t *idx;               /* sigs[i] is set.rows[idx[i]] */
	size_t nvalid;
	unsigned char *added;
	struct store_import_totals tot;
	struct app_sealed sealed;  /* sealed mode: what sigs point to */
};

static void task_free(void *p)
{
	struct paper_task *t = p;

	if (t == NULL)
		return;
	import_set_free(&t->set);
	app_sealed_free(&t->sealed);
	free(t->sigs);
	free(t->idx);
	free(t->added);
	buf_free(&t->text);
	free(t);
}

static int task_run(struct store *st, void *arg, char *err, size_t errlen)
{
	struct paper_task *t = arg;

	return store_import(st, t->sigs, t->nvalid, t->source, t->commit, t->who, t->now,
			    t->added, &t->tot, err, errlen);
}

static enum MHD_Result field(void *cls, enum MHD_ValueKind kind, const char *key,
			     const char *filename, const char *content_type,
			     const char *transfer_encoding, const char *data, uint64_t off,
			     size_t size)
{
	struct paper_form *f = cls;

	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	if (key == NULL)
		return MHD_YES;
	if (strcmp(key, "file") == 0 || strcmp(key, "csv") == 0) {
		struct buf *b = key[0] == 'f' ? &f->file : &f->csv;

		if (size > 0 && buf_append(b, data, size) != 0)
			f->oom = 1;
		return f->oom ? MHD_NO : MHD_YES;
	}
	if (strcmp(key, "source") == 0 && off + size < sizeof f->source) {
		memcpy(f->source + off, data, size);
		f->source[off + size] = '\0';
	} else if (strcmp(key, "step") == 0 && off + size < sizeof f->step) {
		memcpy(f->step + off, data, size);
		f->step[off + size] = '\0';
	}
	return MHD_YES;
}

static int is_multipart(const char *ct)
{
	static const char mp[] = "multipart/form-data";

	return ct != NULL && strncasecmp(ct, mp, sizeof mp - 1) == 0 &&
	       (ct[sizeof mp - 1] == ';' || ct[sizeof mp - 1] == ' ' || ct[sizeof mp - 1] == '\0');
}

static enum MHD_Result render(struct http_req *r, unsigned status, const struct view_import *v)
{
	struct view_env env;
	struct buf b = BUF_INIT;

	app_env(r->app, &env, ROUTE_IMPORT);
	if (view_import(&b, &env, r->lang, v) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, status, "text/html; charset=utf-8", &b);
}

/* A non-negative number from the query, or 0. */
static long long query_num(struct http_req *r, const char *key)
{
	const char *v = http_query(r, key);
	char *end;
	long long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtoll(v, &end, 10);
	return *end == '\0' && n >= 0 ? n : 0;
}

enum MHD_Result admin_import_page(struct http_req *r)
{
	struct view_import v;

	memset(&v, 0, sizeof v);
	v.who = r->who;
	v.source = "paper";
	if (http_query(r, "done") != NULL) {
		v.done = 1;
		v.done_added = query_num(r, "added");
		v.done_duplicates = query_num(r, "duplicates");
		v.done_skipped = query_num(r, "skipped");
	}
	return render(r, HTTP_OK, &v);
}

/* Called again once the writer is done: the report, or 303 after adding. */
static enum MHD_Result answer(struct http_req *r, struct paper_task *t)
{
	struct view_import v;
	struct buf loc = BUF_INIT;
	enum MHD_Result ret;
	size_t i;

	if (atomic_load(&t->pending.status) != WRITER_OK)
		return http_send_unavailable(r);
	for (i = 0; i < t->nvalid; i++)
		t->set.rows[t->idx[i]].result = t->added[i] ? IMPORT_ADDED : IMPORT_DUPLICATE;
	if (t->commit) {
		if (t->tot.added > 0)
			app_changed(t->a);
		buf_printf(&loc, "%s?done=1&added=%lld&duplicates=%lld&skipped=%zu",
			   routes_path(ROUTE_IMPORT), (long long)t->tot.added,
			   (long long)t->tot.duplicates, t->set.ninvalid);
		if (loc.oom)
			return http_send_unavailable(r);
		ret = http_redirect(r, HTTP_SEE_OTHER, buf_cstr(&loc));
		buf_free(&loc);
		return ret;
	}
	memset(&v, 0, sizeof v);
	v.who = r->who;
	v.set = &t->set;
	v.csv = buf_cstr(&t->text);
	v.source = t->source;
	v.would_add = t->tot.added;
	v.duplicates = t->tot.duplicates;
	v.no_email = t->tot.no_email;
	v.refused = t->step == STEP_ADD && t->set.ninvalid > 0;
	return render(r, v.refused ? HTTP_UNPROCESSABLE : HTTP_OK, &v);
}

enum MHD_Result admin_import_post(struct http_req *r)
{
	struct paper_task *t = r->state;
	struct paper_form f;
	struct MHD_PostProcessor *pp;
	struct view_import v;
	const char *ct;
	char err[512];
	size_t i;
	int ok, rc;

	if (t != NULL)
		return answer(r, t);
	ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!is_multipart(ct) && !hdr_is_form_type(ct))
		return http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE);
	memset(&f, 0, sizeof f);
	pp = MHD_create_post_processor(r->conn, PAPER_PP_BUFFER_BYTES, field, &f);
	if (pp == NULL)
		return http_send_error(r, HTTP_BAD_REQUEST);
	ok = MHD_post_process(pp, r->body.data ? r->body.data : "", r->body.len) == MHD_YES;
	ok &= MHD_destroy_post_processor(pp) == MHD_YES;
	if (!ok || f.oom) {
		int oom = f.oom;

		buf_free(&f.file);
		buf_free(&f.csv);
		return oom ? http_send_unavailable(r) : http_send_error(r, HTTP_BAD_REQUEST);
	}
	t = calloc(1, sizeof *t);
	if (t == NULL) {
		buf_free(&f.file);
		buf_free(&f.csv);
		return http_send_unavailable(r);
	}
	r->state = t;
	r->state_free = task_free;
	t->a = r->app;
	snprintf(t->who, sizeof t->who, "%s", r->who[0] ? r->who : "owner");
	snprintf(t->source, sizeof t->source, "%s",
		 strcmp(f.source, "event") == 0 ? "event" : "paper");
	t->step = strcmp(f.step, "add") == 0 ? STEP_ADD
		  : strcmp(f.step, "add_valid") == 0 ? STEP_ADD_VALID : STEP_CHECK;
	t->now = clock_now_ms() / 1000;
	/* The file when one was chosen, else the pasted rows. */
	t->text = f.file.len > 0 ? f.file : f.csv;
	if (f.file.len > 0)
		buf_free(&f.csv);
	else
		buf_free(&f.file);
	memset(&v, 0, sizeof v);
	v.who = r->who;
	v.source = t->source;
	if (t->text.len == 0) {
		v.error_key = "paper.import.err.empty";
		return render(r, HTTP_UNPROCESSABLE, &v);
	}
	rc = import_parse(t->text.data, t->text.len, 1, t->now, &t->set, err, sizeof err);
	if (rc == -2)
		return http_send_unavailable(r);
	v.csv = buf_cstr(&t->text);
	if (rc != 0) {
		v.error = err;
		return render(r, HTTP_UNPROCESSABLE, &v);
	}
	t->sigs = calloc(t->set.n ? t->set.n : 1, sizeof *t->sigs);
	t->idx = calloc(t->set.n ? t->set.n : 1, sizeof *t->idx);
	t->added = calloc(t->set.n ? t->set.n : 1, 1);
	if (t->sigs == NULL || t->idx == NULL || t->added == NULL)
		return http_send_unavailable(r);
	for (i = 0; i < t->set.n; i++) {
		const struct import_row *row = &t->set.rows[i];

		if (row->result != IMPORT_VALID)
			continue;
		t->sigs[t->nvalid] = (struct store_sig){
			.signed_at = row->signed_at,
			.name = row->sig.name,
			.email = row->sig.email,
			.email_norm = row->sig.email_norm,
			.country = row->sig.country,
			.comment = row->sig.comment,
			.public_name = row->sig.public_name,
			.is_public = row->sig.is_public,
			.updates = row->sig.updates,
			.source = t->source,
		};
		t->idx[t->nvalid++] = i;
	}
	t->commit = (t->step == STEP_ADD && t->set.ninvalid == 0) || t->step == STEP_ADD_VALID;
	if (t->nvalid == 0) {
		/* Nothing to compare with the database: the report as it is. */
		t->commit = 0;
		v.set = &t->set;
		v.refused = t->step == STEP_ADD && t->set.ninvalid > 0;
		return render(r, t->set.ninvalid > 0 ? HTTP_UNPROCESSABLE : HTTP_OK, &v);
	}
	/* sealed area: the rows are stored sealed like signatures from the form. */
	if (t->a->seal != NULL &&
	    app_seal_sigs(t->a->seal, t->a->seal_hash_key, t->sigs, t->nvalid, &t->sealed) != 0)
		return http_send_unavailable(r);
	t->pending.item.op = WRITER_TASK;
	t->pending.item.task = task_run;
	t->pending.item.task_arg = t;
	return http_submit(r, t->a->writer, &t->pending);
}

enum MHD_Result admin_print(struct http_req *r)
{
	struct view_env env;
	struct buf url = BUF_INIT, svg = BUF_INIT, b = BUF_INIT;
	const char *inline_svg;
	enum MHD_Result ret;

	http_base_url(r, &url);
	buf_puts(&url, routes_path(ROUTE_INDEX));
	if (r->lang != LANG_EN)
		buf_printf(&url, "?lang=%s", lang_code(r->lang));
	if (url.oom || qr_svg(&svg, buf_cstr(&url), PAPER_QR_SIZE) != 0) {
		buf_free(&url);
		buf_free(&svg);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	/* Inline: without the XML declaration. */
	inline_svg = strstr(buf_cstr(&svg), "<svg");
	app_env(r->app, &env, ROUTE_PRINT);
	if (view_print(&b, &env, r->lang, inline_svg ? inline_svg : "", buf_cstr(&url)) != 0) {
		buf_free(&url);
		buf_free(&svg);
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	buf_free(&url);
	buf_free(&svg);
	ret = http_send_buf(r, HTTP_OK, "text/html; charset=utf-8", &b);
	return ret;
}
