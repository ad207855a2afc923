/* admin.c -- the organizers' area: authentication, dashboard, CSV export.
 *
 * The export streams: a callback response pulls rows from a cursor with its
 * own read transaction, so a CSV of ten million rows needs the memory of one
 * block, sees one consistent snapshot, and never blocks the writer. */
#include <nettle/base64.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <stdatomic.h>

#include "auth.h"
#include "csv.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "page.h"
#include "writer.h"

#define ADMIN_MAX_AUTH_BYTES 1024 /* an Authorization header longer than this is refused */
#define ADMIN_FREE_FAILURES 3     /* wrong tokens allowed before the back-off starts */
#define ADMIN_MAX_BACKOFF_S 900   /* the back-off doubles per failure up to this */
#define ADMIN_FAIL_SLOTS 1024     /* clients with recent failures tracked at once */

/* Failed authentications per client, in memory only. */
static struct fail_slot {
	uint64_t key;
	int fails;
	int64_t until_ms; /* refused until then */
	int64_t last_ms;
} fail_slots[ADMIN_FAIL_SLOTS];
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t client_hash(struct http_req *r)
{
	unsigned char key[16];
	size_t n = http_client_key(r, key, sizeof key), i;
	uint64_t h = 1469598103934665603ULL;

	for (i = 0; i < n; i++) {
		h ^= key[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1;
}

static struct fail_slot *fail_find(uint64_t key, int create)
{
	struct fail_slot *s = &fail_slots[key % ADMIN_FAIL_SLOTS];

	if (s->key == key)
		return s;
	if (!create)
		return NULL;
	/* One slot per bucket; a new client takes it over. An attacker can
	 * evict another's record but never unlock the token by doing so. */
	memset(s, 0, sizeof *s);
	s->key = key;
	return s;
}

/* Seconds this client must still wait before trying again, or 0. */
static int throttled(uint64_t key, int64_t now)
{
	struct fail_slot *s;
	int wait = 0;

	pthread_mutex_lock(&fail_lock);
	s = fail_find(key, 0);
	if (s != NULL && s->until_ms > now)
		wait = (int)((s->until_ms - now + 999) / 1000);
	pthread_mutex_unlock(&fail_lock);
	return wait;
}

static void record_result(uint64_t key, int ok, int64_t now)
{
	struct fail_slot *s;
	int fails = 0;
	long backoff = 0;

	pthread_mutex_lock(&fail_lock);
	s = fail_find(key, !ok);
	if (s != NULL) {
		if (ok) {
			memset(s, 0, sizeof *s);
		} else {
			s->fails++;
			s->last_ms = now;
			fails = s->fails;
			if (fails > ADMIN_FREE_FAILURES) {
				int shift = fails - ADMIN_FREE_FAILURES - 1;

				backoff = shift >= 10 ? ADMIN_MAX_BACKOFF_S : 1L << shift;
				if (backoff > ADMIN_MAX_BACKOFF_S)
					backoff = ADMIN_MAX_BACKOFF_S;
				s->until_ms = now + backoff * 1000;
			}
		}
	}
	pthread_mutex_unlock(&fail_lock);
	if (!ok)
		/* The client is named by a salted hash, never by its address. */
		log_warn("admin: wrong token (%d in a row from client %016llx)%s", fails,
			 (unsigned long long)key, backoff ? "; backing off" : "");
}

static struct store *store_;

void admin_set_store(struct store *st)
{
	store_ = st;
}

struct export_state {
	struct store_cursor *cur;
	struct buf pending; /* formatted bytes not yet handed to libmicrohttpd */
	size_t off;
	int done;
};

/* 1 when the request carries the admin token, as Bearer or Basic password. */
static int token_ok(struct http_req *r)
{
	const char *h = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);

	if (h == NULL || strlen(h) > ADMIN_MAX_AUTH_BYTES)
		return 0;
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		return auth_admin_ok(h, strlen(h));
	}
	if (strncasecmp(h, "Basic ", 6) == 0) {
		struct base64_decode_ctx ctx;
		uint8_t dec[ADMIN_MAX_AUTH_BYTES];
		size_t declen = sizeof dec;
		const char *colon;
		int ok;

		h += 6;
		while (*h == ' ')
			h++;
		base64_decode_init(&ctx);
		if (!base64_decode_update(&ctx, &declen, dec, strlen(h), h) ||
		    !base64_decode_final(&ctx))
			return 0;
		colon = memchr(dec, ':', declen);
		if (colon == NULL)
			return 0;
		colon++;
		ok = auth_admin_ok(colon, declen - (size_t)(colon - (const char *)dec));
		memset(dec, 0, sizeof dec);
		return ok;
	}
	return 0;
}

/* Checks the credentials and answers when they fail: 403 for a cross-site
 * request, 429 while this client is backing off, 401 otherwise. Returns 1
 * when the request may go on, 0 when an answer was queued (*ret set). */
static enum MHD_Result unauthorized(struct http_req *r);

static int authorized(struct http_req *r, enum MHD_Result *ret)
{
	int64_t now = http_now_ms();
	uint64_t key;
	int wait;

	if (http_cross_site(r)) {
		*ret = http_send_error(r, HTTP_FORBIDDEN);
		return 0;
	}
	if (http_header(r, MHD_HTTP_HEADER_AUTHORIZATION) == NULL) {
		/* A browser's first visit: ask for credentials, count nothing. */
		*ret = unauthorized(r);
		return 0;
	}
	key = client_hash(r);
	wait = throttled(key, now);
	if (wait > 0) {
		*ret = http_send_retry(r, HTTP_TOO_MANY_REQUESTS, wait);
		return 0;
	}
	if (token_ok(r)) {
		record_result(key, 1, now);
		return 1;
	}
	record_result(key, 0, now);
	*ret = unauthorized(r);
	return 0;
}

static enum MHD_Result unauthorized(struct http_req *r)
{
	struct buf b = BUF_INIT;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;
	char *p;

	if (page_render_error(&b, r->lang, HTTP_UNAUTHORIZED) != 0)
		buf_puts(&b, "Unauthorized\n");
	p = buf_steal(&b, &len);
	if (p == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(p);
		return MHD_NO;
	}
	http_add_security_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
				"Basic realm=\"petitiond\", charset=\"UTF-8\"");
	ret = MHD_queue_response(r->conn, HTTP_UNAUTHORIZED, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result admin_page(struct http_req *r)
{
	struct buf b = BUF_INIT;
	enum MHD_Result ret;

	if (!authorized(r, &ret))
		return ret;
	if (page_render_admin(&b, r->lang, NULL) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, HTTP_OK, "text/html; charset=utf-8", &b);
}

/* Appends one CSV row for a signature. */
static void format_row(struct buf *b, const struct store_sig *s)
{
	char ts[32];
	time_t t = (time_t)s->signed_at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	csv_cell_int(b, s->id, 1);
	csv_cell(b, ts, strlen(ts), 0);
	csv_cell(b, s->name, strlen(s->name), 0);
	csv_cell(b, s->email, strlen(s->email), 0);
	csv_cell(b, s->country, strlen(s->country), 0);
	csv_cell(b, s->comment, strlen(s->comment), 0);
	csv_cell_int(b, s->is_public ? 1 : 0, 0);
	csv_cell_int(b, s->updates ? 1 : 0, 0);
	buf_puts(b, CSV_EOL);
}

/* libmicrohttpd pulls the next block of the CSV. Connection thread. */
static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct export_state *e = cls;
	size_t n = 0;

	(void)pos;
	while (n < max) {
		struct store_sig row;
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
		while (e->pending.len < HTTP_EXPORT_BLOCK_BYTES) {
			rc = store_cursor_next(e->cur, &row);
			if (rc < 0) {
				log_warn("export: reading the database failed");
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
			if (rc == 0) {
				e->done = 1;
				break;
			}
			format_row(&e->pending, &row);
		}
		if (e->pending.oom)
			return MHD_CONTENT_READER_END_WITH_ERROR;
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
	store_cursor_close(e->cur);
	buf_free(&e->pending);
	free(e);
}

enum MHD_Result admin_export(struct http_req *r)
{
	static const char header[] = CSV_BOM "id,signed_at,name,email,country,comment,public,updates" CSV_EOL;
	struct export_state *e;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char disp[96], day[16];
	time_t now = time(NULL);
	struct tm tm;

	if (!authorized(r, &ret))
		return ret;
	e = calloc(1, sizeof *e);
	if (e == NULL || store_ == NULL || (e->cur = store_cursor_open(store_)) == NULL) {
		free(e);
		return http_send_retry(r, HTTP_SERVICE_UNAVAILABLE, 5);
	}
	/* ?bom=0 leaves out the byte order mark (for tools that dislike it). */
	{
		const char *bom = http_query(r, "bom");
		const char *h = header;

		if (bom && strcmp(bom, "0") == 0)
			h += sizeof CSV_BOM - 1;
		buf_puts(&e->pending, h);
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_EXPORT_BLOCK_BYTES,
						 export_read, e, export_free);
	if (resp == NULL) {
		export_free(e);
		return MHD_NO;
	}
	gmtime_r(&now, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	snprintf(disp, sizeof disp, "attachment; filename=\"signatures-%s.csv\"", day);
	http_add_security_headers(resp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/csv; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(r->conn, HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* POST /admin/delete: erase one signature by email, through the writer. */
struct delete_state {
	struct http_pending pending; /* first */
	char *email_norm;
};

static void delete_free(void *p)
{
	struct delete_state *d = p;

	if (d == NULL)
		return;
	free(d->email_norm);
	free(d);
}

static enum MHD_Result admin_result(struct http_req *r, unsigned status, const char *key)
{
	struct buf b = BUF_INIT;

	if (page_render_admin(&b, r->lang, page_message(r->lang, key)) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, status, "text/html; charset=utf-8", &b);
}

enum MHD_Result admin_delete(struct http_req *r)
{
	struct delete_state *d = r->state;
	enum MHD_Result ret;
	struct form_kvs kvs;
	const char *email;
	size_t len, a, b, i;

	if (d != NULL) {
		if (atomic_load(&d->pending.status) != WRITER_OK)
			return http_send_retry(r, HTTP_SERVICE_UNAVAILABLE, 5);
		return admin_result(r, HTTP_OK,
				    d->pending.item.deleted ? "admin.delete.done" : "admin.delete.none");
	}
	if (!authorized(r, &ret))
		return ret;
	{
		const char *ct = http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);

		if (ct == NULL || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
			return http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE);
	}
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, &kvs) != 0)
		return http_send_error(r, HTTP_BAD_REQUEST);
	email = form_get(&kvs, "email", &len);
	/* Trim and lower-case like the signature form's duplicate key. */
	for (a = 0; email && a < len && (email[a] == ' ' || email[a] == '\t'); a++)
		;
	for (b = len; email && b > a && (email[b - 1] == ' ' || email[b - 1] == '\t'); b--)
		;
	if (email == NULL || b == a || b - a > 254 || memchr(email + a, '\0', b - a)) {
		form_kvs_free(&kvs);
		return admin_result(r, HTTP_UNPROCESSABLE, "admin.delete.bad");
	}
	d = calloc(1, sizeof *d);
	if (d == NULL || (d->email_norm = strndup(email + a, b - a)) == NULL) {
		free(d);
		form_kvs_free(&kvs);
		return http_send_retry(r, HTTP_SERVICE_UNAVAILABLE, 5);
	}
	form_kvs_free(&kvs);
	for (i = 0; d->email_norm[i]; i++)
		if (d->email_norm[i] >= 'A' && d->email_norm[i] <= 'Z')
			d->email_norm[i] = (char)(d->email_norm[i] + 32);
	r->state = d;
	r->state_free = delete_free;
	d->pending.item.op = WRITER_DELETE;
	d->pending.item.sig.email_norm = d->email_norm;
	return http_submit(r, &d->pending);
}
