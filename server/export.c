/* export.c -- GET /admin/export.csv and /admin/export.json: the signatures,
 * filtered, streamed; and the formats `petitiond export` shares (export.h).
 *
 * A callback response pulls rows from a cursor with its own read
 * transaction, so an export of ten million rows needs the memory of one
 * block, sees one consistent snapshot, and never blocks the writer. */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "csv.h"
#include "log.h"

#define EXPORT_BLOCK_BYTES 65536 /* formatted rows handed to libmicrohttpd at a time */
#define EXPORT_DETAIL_BYTES 160  /* the audit line's detail: format and filters */

void export_json_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	buf_putc(b, '"');
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)*p);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\u%04x", *p);
		} else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			/* U+2028, U+2029: valid JSON, but line ends to JavaScript. */
			buf_puts(b, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
			p += 2;
		} else {
			buf_putc(b, (char)*p);
		}
	}
	buf_putc(b, '"');
}

void export_begin(struct buf *b, enum export_format fmt, int bom)
{
	if (fmt == EXPORT_JSON) {
		buf_puts(b, "[");
		return;
	}
	if (bom)
		buf_puts(b, CSV_BOM);
	buf_puts(b, EXPORT_CSV_HEADER CSV_EOL);
}

void export_row(struct buf *b, enum export_format fmt, const struct store_export_row *row,
		int64_t nth)
{
	const struct store_sig *s = &row->sig;
	char ts[32];
	time_t t = (time_t)s->signed_at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (fmt == EXPORT_JSON) {
		buf_puts(b, nth > 0 ? ",\n{\"id\":" : "\n{\"id\":");
		buf_printf(b, "%lld,\"signed_at\":\"%s\",\"name\":", (long long)s->id, ts);
		export_json_string(b, s->name);
		buf_puts(b, ",\"email\":");
		export_json_string(b, s->email);
		buf_puts(b, ",\"country\":");
		export_json_string(b, s->country);
		buf_puts(b, ",\"comment\":");
		export_json_string(b, s->comment);
		buf_printf(b, ",\"public\":%s,\"updates\":%s,\"public_name\":",
			   s->is_public ? "true" : "false", s->updates ? "true" : "false");
		if (s->public_name[0] != '\0')
			export_json_string(b, s->public_name);
		else
			buf_puts(b, "null");
		buf_puts(b, ",\"source\":");
		export_json_string(b, row->source);
		buf_printf(b, ",\"confirmed\":%s}", s->confirmed ? "true" : "false");
		return;
	}
	csv_cell_int(b, s->id, 1);
	csv_cell(b, ts, strlen(ts), 0);
	csv_cell(b, s->name, strlen(s->name), 0);
	csv_cell(b, s->email, strlen(s->email), 0);
	csv_cell(b, s->country, strlen(s->country), 0);
	csv_cell(b, s->comment, strlen(s->comment), 0);
	csv_cell_int(b, s->is_public ? 1 : 0, 0);
	csv_cell_int(b, s->updates ? 1 : 0, 0);
	/* Later columns are appended, never inserted (DESIGN.md). */
	csv_cell(b, s->public_name, strlen(s->public_name), 0);
	csv_cell(b, row->source, strlen(row->source), 0);
	csv_cell_int(b, s->confirmed ? 1 : 0, 0);
	buf_puts(b, CSV_EOL);
}

void export_end(struct buf *b, enum export_format fmt, int64_t nrows)
{
	if (fmt == EXPORT_JSON)
		buf_puts(b, nrows > 0 ? "\n]\n" : "]\n");
}

struct export_state {
	struct store_export *cur;
	enum export_format fmt;
	struct buf pending; /* formatted bytes not yet handed to libmicrohttpd */
	size_t off;
	int64_t rows; /* formatted so far */
	int done;
};

/* libmicrohttpd pulls the next block. Worker thread. */
static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct export_state *e = cls;
	size_t n = 0;

	(void)pos;
	while (n < max) {
		struct store_export_row row;
		size_t avail = e->pending.len - e->off, take;
		int rc;

		if (avail > 0) {
			take = avail < max - n ? avail : max - n;
			memcpy(out + n, e->pending.data + e->off, take);
			e->off += take;
			n += take;
			continue;
		}
		if (e->done)
			break;
		buf_reset(&e->pending);
		e->off = 0;
		/* Format a few hundred rows at a time to keep calls cheap. */
		while (e->pending.len < EXPORT_BLOCK_BYTES) {
			rc = store_export_next(e->cur, &row);
			if (rc < 0) {
				/* Abort the stream: libmicrohttpd closes the
				 * connection without the last (empty) chunk, so
				 * the client sees a cut download, never a
				 * complete-looking file. */
				log_warn("export: reading the database failed after %lld rows, "
					 "download cut off: %s",
					 (long long)e->rows, store_export_error(e->cur));
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
			if (rc == 0) {
				export_end(&e->pending, e->fmt, e->rows);
				e->done = 1;
				break;
			}
			export_row(&e->pending, e->fmt, &row, e->rows);
			e->rows++;
		}
		if (e->pending.oom) {
			log_warn("export: out of memory");
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	if (n == 0 && e->done)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n;
}

static void export_free(void *cls)
{
	struct export_state *e = cls;

	if (e == NULL)
		return;
	store_export_close(e->cur);
	buf_free(&e->pending);
	free(e);
}

/* The filters from the query (since, until, country, updates, source,
 * confirmed) into
 * f, and a short description of them for the audit line (codes and dates
 * only, nothing of a signer). Returns 0 or -1 (a bad value). */
static int read_filters(struct http_req *r, struct store_export_filter *f, char *detail,
			size_t len)
{
	static const char *const keys[] = { "since", "until", "country", "updates", "source",
					    "confirmed" };
	char err[128];
	size_t i, used = strlen(detail);

	memset(f, 0, sizeof *f);
	f->confirmed = -1;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = http_query(r, keys[i]);

		if (v == NULL)
			continue;
		if (store_export_filter_set(f, keys[i], v, err, sizeof err) != 0)
			return -1;
		if ((i == 3 && !f->updates) || (i == 5 && f->confirmed < 0))
			continue;
		/* The value was checked: a date, a code or a word. */
		if (used < len)
			used += (size_t)snprintf(detail + used, len - used, " %s=%s", keys[i],
						 i == 2 ? f->country : v);
	}
	return 0;
}

static enum MHD_Result serve(struct http_req *r, enum export_format fmt)
{
	struct app *a = r->app;
	const char *bom = http_query(r, "bom");
	struct store_export_filter f;
	struct export_state *e;
	struct MHD_Response *resp;
	char disp[96], day[16], err[256], detail[EXPORT_DETAIL_BYTES];
	time_t now = time(NULL);
	struct tm tm;

	snprintf(detail, sizeof detail, "%s", fmt == EXPORT_JSON ? "json" : "csv");
	if (read_filters(r, &f, detail, sizeof detail) != 0)
		return http_send_error(r, HTTP_BAD_REQUEST);
	/* The audit line first (a small writer task; this handler is called
	 * again once it is stored): no export leaves without its line in the
	 * trail. A HEAD exports nothing. */
	if (!r->is_head) {
		struct admin_audit_pending *p = r->state;

		if (p == NULL) {
			if ((p = calloc(1, sizeof *p)) == NULL)
				return http_send_unavailable(r);
			r->state = p;
			r->state_free = free;
			return admin_audit_submit(r, p, "export", detail);
		}
		if (atomic_load(&p->pending.status) != WRITER_OK)
			return http_send_unavailable(r);
	}
	e = calloc(1, sizeof *e);
	if (e == NULL)
		return http_send_unavailable(r);
	e->fmt = fmt;
	e->cur = store_export_open(a->st, NULL, &f, err, sizeof err);
	if (e->cur == NULL) {
		log_warn("export: %s", err);
		free(e);
		return http_send_unavailable(r);
	}
	/* ?bom=0 leaves out the byte order mark (for tools that dislike it). */
	export_begin(&e->pending, fmt, !(bom && strcmp(bom, "0") == 0));
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EXPORT_BLOCK_BYTES,
						 export_read, e, export_free);
	if (resp == NULL) {
		export_free(e);
		return MHD_NO;
	}
	gmtime_r(&now, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	snprintf(disp, sizeof disp, "attachment; filename=\"signatures-%s.%s\"", day,
		 fmt == EXPORT_JSON ? "json" : "csv");
	http_add_security_headers(a->cfg, resp, 0);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				fmt == EXPORT_JSON ? "application/json; charset=utf-8"
						   : "text/csv; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	return http_queue(r, HTTP_OK, resp);
}

enum MHD_Result admin_export(struct http_req *r)
{
	return serve(r, EXPORT_CSV);
}

enum MHD_Result admin_export_json(struct http_req *r)
{
	return serve(r, EXPORT_JSON);
}
