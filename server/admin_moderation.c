/* admin_moderation.c -- the organizers' list of signatures: browse newest
 * first, search by name, email address or country, hide a signer from the
 * public list (and show them again), decide about old public rows without a
 * public name, delete a signature after a confirmation page -- by id from
 * the list, or by email address (POST /admin/delete, the dashboard's form).
 *
 * Every change is a writer task that writes its audit line in the same
 * transaction (the row's id, never the person), and every POST answers 303
 * to a GET page whose message is named by a key and the row's id: no
 * personal data travels in a URL, and a reload does nothing.
 *
 * The search index is brought up to date lazily: a search first indexes
 * what was signed since the last one (up to MOD_SEARCH_CHUNK_ROWS, as a
 * writer task, the connection suspended meanwhile); anything beyond that is
 * indexed by a chain of background tasks, one chunk at a time, in the
 * writer's gaps, while the page says how many rows are not searchable yet. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "countries.h"
#include "form.h"
#include "hdr.h"
#include "log.h"
#include "search.h"

/* Rows a search indexes itself before it runs (about 15 ms of the writer's
 * time on this machine); the rest waits for the background chain. */
#define MOD_SEARCH_CHUNK_ROWS 20000
/* Rows each background task indexes (one transaction; signatures queued
 * meanwhile wait at most that long). */
#define MOD_BACKGROUND_CHUNK_ROWS 5000
/* The page's counts (rows not yet searchable, rows awaiting a decision)
 * are counted up to this, never further: each costs at most a walk of this
 * many index entries (a few milliseconds). */
#define MOD_COUNT_LIMIT 10000
/* Digits of an id or keyset bound ("before", "after"). */
#define MOD_ID_MAX_DIGITS 18

struct moderation {
	struct writer_item item; /* first: the background indexer's task, reused */
	struct writer *writer;
	pthread_mutex_t lock;
	int running; /* the chain is queued or running */
	int left;    /* its last chunk left rows behind (writer thread) */
};

static int background_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct moderation *m = arg;

	if (store_search_catch_up(st, MOD_BACKGROUND_CHUNK_ROWS, &m->left, err, errlen) != 0)
		return -1;
	/* A chunk writes a few MB to the WAL: copy it back now, a chunk at a
	 * time, rather than in one long checkpoint after the next batch of
	 * signatures (which would then wait for it). */
	store_checkpoint(st, 1);
	return 0;
}

/* Writer thread: the next chunk, or the end of the chain. */
static void background_done(struct writer_item *item, enum writer_status status)
{
	struct moderation *m = (struct moderation *)item;

	if (status == WRITER_OK && m->left && writer_submit(m->writer, &m->item) == 0)
		return;
	pthread_mutex_lock(&m->lock);
	m->running = 0;
	pthread_mutex_unlock(&m->lock);
}

/* Starts the background indexer unless it runs. Any thread. */
static void background_kick(struct app *a)
{
	struct moderation *m = a->moderation;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	if (!m->running) {
		m->left = 0;
		m->running = writer_submit(m->writer, &m->item) == 0;
	}
	pthread_mutex_unlock(&m->lock);
}

int moderation_init(struct app *a)
{
	struct moderation *m = calloc(1, sizeof *m);

	if (m == NULL)
		return -1;
	pthread_mutex_init(&m->lock, NULL);
	m->writer = a->writer;
	m->item.op = WRITER_TASK;
	m->item.task = background_task;
	m->item.task_arg = m;
	m->item.done = background_done;
	a->moderation = m;
	return 0;
}

void moderation_free(struct app *a)
{
	struct moderation *m = a->moderation;

	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
	a->moderation = NULL;
}

/* A positive id of at most MOD_ID_MAX_DIGITS decimal digits, nothing else.
 * Returns it, 0 when s is NULL or empty, -1 when malformed. */
static int64_t parse_id(const char *s, size_t len)
{
	int64_t v = 0;
	size_t i;

	if (s == NULL || len == 0)
		return 0;
	if (len > MOD_ID_MAX_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v > 0 ? v : -1;
}

/* The list's state as the organizer left it: what every page and action
 * carries, so they come back to the same search and page. */
struct list_args {
	char q[SEARCH_MAX_QUERY_BYTES + 1];
	int q_bad; /* the search text was too long or held a NUL byte: refused */
	char country[3];
	enum store_sig_view view;
	int64_t before, after;
};

/* Reads one argument of the state (value v[0..len), NULL when absent) into
 * la. Returns 0, or -1 when it is malformed (the state keeps its default). */
static int list_arg(struct list_args *la, const char *key, const char *v, size_t len)
{
	if (v == NULL)
		return 0;
	if (strcmp(key, "q") == 0) {
		/* Refused with a message of its own (422), not as a bad page. */
		if (len > SEARCH_MAX_QUERY_BYTES || memchr(v, '\0', len) != NULL) {
			la->q_bad = 1;
			return 0;
		}
		memcpy(la->q, v, len);
		la->q[len] = '\0';
	} else if (strcmp(key, "country") == 0) {
		const struct country *c = len == 2 ? country_find(v, 2) : NULL;

		if (len != 0 && c == NULL)
			return -1;
		snprintf(la->country, sizeof la->country, "%s", c ? c->code : "");
	} else if (strcmp(key, "view") == 0) {
		if (len == 0 || (len == 3 && memcmp(v, "all", 3) == 0))
			la->view = STORE_VIEW_ALL;
		else if (len == 6 && memcmp(v, "hidden", 6) == 0)
			la->view = STORE_VIEW_HIDDEN;
		else if (len == 7 && memcmp(v, "pending", 7) == 0)
			la->view = STORE_VIEW_PENDING;
		else if (len == 9 && memcmp(v, "undecided", 9) == 0)
			la->view = STORE_VIEW_UNDECIDED;
		else
			return -1;
	} else {
		int64_t id = parse_id(v, len);

		if (id < 0)
			return -1;
		if (strcmp(key, "before") == 0)
			la->before = id;
		else
			la->after = id;
	}
	return 0;
}

static const char *const list_keys[] = { "q", "country", "view", "before", "after" };
#define NLIST_KEYS (sizeof list_keys / sizeof list_keys[0])

/* From the query string of a GET. Returns 0, or -1 when an argument is
 * malformed. */
static int list_args_query(struct http_req *r, struct list_args *la)
{
	size_t i;
	int bad = 0;

	memset(la, 0, sizeof *la);
	for (i = 0; i < NLIST_KEYS; i++) {
		const char *v = http_query(r, list_keys[i]);

		bad |= list_arg(la, list_keys[i], v, v ? strlen(v) : 0) != 0;
	}
	if (la->before > 0 && la->after > 0)
		bad = 1;
	return bad ? -1 : 0;
}

/* From a form posted by the list's actions: a malformed value is dropped
 * (it only chooses the page to go back to). */
static void list_args_form(const struct form_kvs *kvs, struct list_args *la)
{
	size_t i, len = 0;

	memset(la, 0, sizeof *la);
	for (i = 0; i < NLIST_KEYS; i++) {
		const char *v = form_get(kvs, list_keys[i], &len);

		list_arg(la, list_keys[i], v, len);
	}
	if (la->before > 0 && la->after > 0)
		la->after = 0;
}

/* list_path?state&done=DONE&id=ID#sig-ID: where an action answers 303. */
static enum MHD_Result back_to_list(struct http_req *r, const struct list_args *la,
				    const char *done, int64_t id, int anchor)
{
	struct buf loc = BUF_INIT, st = BUF_INIT;
	enum MHD_Result ret;

	view_sigs_state(&st, la->q, la->country, la->view, la->before, la->after);
	buf_puts(&loc, routes_path(ROUTE_SIGNATURES));
	buf_putc(&loc, '?');
	if (st.len > 0) {
		buf_append(&loc, st.data, st.len);
		buf_putc(&loc, '&');
	}
	buf_printf(&loc, "done=%s", done);
	if (id > 0)
		buf_printf(&loc, "&id=%lld", (long long)id);
	if (anchor && id > 0)
		buf_printf(&loc, "#sig-%lld", (long long)id);
	if (loc.oom || st.oom) {
		buf_free(&loc);
		buf_free(&st);
		return http_send_unavailable(r);
	}
	ret = http_redirect(r, HTTP_SEE_OTHER, buf_cstr(&loc));
	buf_free(&loc);
	buf_free(&st);
	return ret;
}

/* GET /admin/signatures */

struct list_state {
	struct http_pending pending; /* first */
	struct list_args la;
	struct search_query sq;
	int bad;      /* a malformed argument: 400 */
	int indexing; /* the search's catch-up task was submitted */
	int left;     /* it left rows behind (writer thread, then read after) */
};

static void list_state_free(void *p)
{
	struct list_state *s = p;

	if (s == NULL)
		return;
	search_query_free(&s->sq);
	free(s);
}

static int list_index_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct list_state *s = arg;

	return store_search_catch_up(st, MOD_SEARCH_CHUNK_ROWS, &s->left, err, errlen);
}

/* The result message named by ?done=&id= (a key and a number: nothing
 * else is echoed), or NULL. */
static const char *done_message(struct http_req *r, struct buf *out)
{
	static const char *const keys[][2] = {
		{ "hidden", "admin.sigs.done.hidden" },   { "shown", "admin.sigs.done.shown" },
		{ "kept", "admin.sigs.done.kept" },       { "unchanged", "admin.sigs.done.unchanged" },
		{ "deleted", "admin.sigs.done.deleted" }, { "missing", "admin.sigs.done.missing" },
		{ "notfound", "admin.delete.none" },
	};
	const char *done = http_query(r, "done"), *idarg = http_query(r, "id"), *tmpl, *p;
	int64_t id = parse_id(idarg, idarg ? strlen(idarg) : 0);
	size_t i;

	if (done == NULL)
		return NULL;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (strcmp(done, keys[i][0]) != 0)
			continue;
		tmpl = view_message(r->lang, keys[i][1]);
		p = strstr(tmpl, "{id}");
		if (p != NULL && id <= 0)
			return NULL;
		if (p == NULL)
			return tmpl;
		buf_append(out, tmpl, (size_t)(p - tmpl));
		buf_printf(out, "%lld", (long long)id);
		buf_puts(out, p + 4);
		return out->oom ? NULL : buf_cstr(out);
	}
	return NULL;
}

static enum MHD_Result list_render(struct http_req *r, struct list_state *s)
{
	struct app *a = r->app;
	struct view_env env;
	struct view_sigs v;
	struct store_sig_filter f;
	struct buf b = BUF_INIT, msg = BUF_INIT;
	char err[256];
	unsigned status = HTTP_OK;
	enum MHD_Result ret;

	memset(&v, 0, sizeof v);
	memset(&f, 0, sizeof f);
	app_env(a, &env, ROUTE_SIGNATURES);
	v.who = r->who;
	v.q = s->la.q;
	v.country = s->la.country;
	v.view = s->la.view;
	v.before = s->la.before;
	v.after = s->la.after;
	v.list_path = routes_path(ROUTE_SIGNATURES);
	v.hide_path = routes_path(ROUTE_SIG_HIDE);
	v.show_path = routes_path(ROUTE_SIG_SHOW);
	v.keep_path = routes_path(ROUTE_SIG_KEEP);
	v.delete_path = routes_path(ROUTE_SIG_DELETE);
	v.message = done_message(r, &msg);
	v.searching = s->sq.kind != SEARCH_NONE;
	if (s->bad) {
		status = HTTP_BAD_REQUEST;
		v.error = view_message(r->lang, "admin.sigs.err.page");
	} else if (s->sq.kind == SEARCH_INVALID) {
		status = HTTP_UNPROCESSABLE;
		v.error = view_message(r->lang, "admin.sigs.err.query");
	} else {
		f.view = s->la.view;
		f.before = s->la.before;
		f.after = s->la.after;
		f.limit = VIEW_SIGS_PAGE + 1;
		if (s->sq.kind == SEARCH_NAME) {
			f.match = buf_cstr(&s->sq.match);
		} else if (s->sq.kind == SEARCH_EMAIL) {
			f.email_lo = s->sq.lo;
			f.email_hi = s->sq.hi;
			f.country = s->la.country[0] ? s->la.country : NULL;
		}
		v.filter = &f;
	}
	if (store_sig_status(a->st, MOD_COUNT_LIMIT, s->sq.kind == SEARCH_NAME, &v.unindexed,
			     &v.undecided, err, sizeof err) != 0)
		log_warn("moderation: %s", err);
	v.count_limit = MOD_COUNT_LIMIT;
	if (v.unindexed > 0)
		background_kick(a);
	if (view_sigs(&b, &env, r->lang, &v) != 0) {
		buf_free(&b);
		buf_free(&msg);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	buf_free(&msg);
	ret = http_send_buf(r, status, "text/html; charset=utf-8", &b);
	return ret;
}

enum MHD_Result moderation_list(struct http_req *r)
{
	struct app *a = r->app;
	struct list_state *s = r->state;
	int64_t unindexed = 0, undecided = 0;
	char err[256];

	if (s != NULL) /* back from the search's catch-up (done or not) */
		return list_render(r, s);
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return http_send_unavailable(r);
	r->state = s;
	r->state_free = list_state_free;
	s->bad = list_args_query(r, &s->la) != 0;
	if (search_parse(s->la.q, strlen(s->la.q), s->la.country[0] ? s->la.country : NULL,
			 &s->sq) != 0)
		return http_send_unavailable(r);
	if (s->la.q_bad)
		s->sq.kind = SEARCH_INVALID;
	/* sealed area: addresses are kept as keyed hashes, so only a whole
	 * address is found (its hash); a beginning of one matches nothing. */
	if (a->seal != NULL && s->sq.kind == SEARCH_EMAIL) {
		char key[FORM_EMAIL_MAX_BYTES + 1] = "";
		size_t n;

		if (form_email_valid(s->sq.lo, strlen(s->sq.lo)))
			app_email_key(a, s->sq.lo, key, sizeof key);
		snprintf(s->sq.lo, sizeof s->sq.lo, "%s", key);
		snprintf(s->sq.hi, sizeof s->sq.hi, "%s", key);
		n = strlen(s->sq.hi);
		if (n > 0)
			s->sq.hi[n - 1]++; /* the range [key, key+1): the key alone */
	}
	/* A full-text search sees the rows signed since the last one. */
	if (!s->bad && s->sq.kind == SEARCH_NAME &&
	    store_sig_status(a->st, 1, 1, &unindexed, &undecided, err, sizeof err) == 0 &&
	    unindexed > 0) {
		s->indexing = 1;
		s->pending.item.op = WRITER_TASK;
		s->pending.item.task = list_index_task;
		s->pending.item.task_arg = s;
		return http_submit(r, a->writer, &s->pending);
	}
	return list_render(r, s);
}

/* GET /admin/signatures/delete?id=N: the confirmation page. */

struct row_copy {
	struct store_sig_row row;
	char *strs[6];
	int found;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void row_copy_cb(void *ctx, const struct store_sig_row *row)
{
	struct row_copy *c = ctx;

	c->row = *row;
	c->strs[0] = dup_or_null(row->name);
	c->strs[1] = dup_or_null(row->email);
	c->strs[2] = dup_or_null(row->country);
	c->strs[3] = dup_or_null(row->comment);
	c->strs[4] = dup_or_null(row->public_name);
	c->row.name = c->strs[0] ? c->strs[0] : "";
	c->row.email = c->strs[1] ? c->strs[1] : "";
	c->row.country = c->strs[2] ? c->strs[2] : "";
	c->row.comment = c->strs[3] ? c->strs[3] : "";
	c->row.public_name = c->strs[4];
	c->found = 1;
}

static void row_copy_free(struct row_copy *c)
{
	size_t i;

	for (i = 0; i < sizeof c->strs / sizeof c->strs[0]; i++)
		free(c->strs[i]);
}

static enum MHD_Result delete_confirm_page(struct http_req *r, unsigned status,
				    const struct store_sig_row *row, const char *missing_key,
				    const struct list_args *la)
{
	struct app *a = r->app;
	struct view_env env;
	struct view_sig_delete v;
	struct buf b = BUF_INIT;

	memset(&v, 0, sizeof v);
	app_env(a, &env, ROUTE_SIG_DELETE);
	v.who = r->who;
	v.row = row;
	v.missing = missing_key ? view_message(r->lang, missing_key) : NULL;
	v.q = la->q;
	v.country = la->country;
	v.view = la->view;
	v.before = la->before;
	v.after = la->after;
	v.list_path = routes_path(ROUTE_SIGNATURES);
	v.delete_path = routes_path(ROUTE_SIG_DELETE_POST);
	if (view_sig_delete(&b, &env, r->lang, &v) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, status, "text/html; charset=utf-8", &b);
}

enum MHD_Result moderation_delete_confirm(struct http_req *r)
{
	struct app *a = r->app;
	struct list_args la;
	struct row_copy c;
	const char *idarg = http_query(r, "id");
	int64_t id = parse_id(idarg, idarg ? strlen(idarg) : 0);
	enum MHD_Result ret;
	char err[256];
	int found;

	memset(&c, 0, sizeof c);
	if (list_args_query(r, &la) != 0)
		memset(&la, 0, sizeof la);
	if (id <= 0)
		return delete_confirm_page(r, HTTP_BAD_REQUEST, NULL, "admin.sigs.err.page", &la);
	found = store_sig_get(a->st, id, NULL, row_copy_cb, &c, err, sizeof err);
	if (found < 0) {
		log_warn("moderation: %s", err);
		row_copy_free(&c);
		return http_send_unavailable(r);
	}
	ret = found ? delete_confirm_page(r, HTTP_OK, &c.row, NULL, &la)
		    : delete_confirm_page(r, HTTP_NOT_FOUND, NULL, "admin.sigdel.missing", &la);
	row_copy_free(&c);
	return ret;
}

/* The POST actions: hide, show, keep, delete by id, delete by email. */

struct act_state {
	struct http_pending pending; /* first */
	struct list_args la;
	enum store_mod_action action;
	int is_delete;
	int64_t id;
	int found, changed;
	char who[64];
	struct store_deletion del;
	char email_norm[FORM_EMAIL_MAX_BYTES + 1];
};

static int act_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct act_state *s = arg;

	if (s->is_delete)
		return store_delete_sig(st, &s->del, err, errlen);
	return store_sig_moderate(st, s->id, s->action, s->who, clock_now_ms() / 1000, &s->found,
				  &s->changed, err, errlen);
}

/* Decodes a form POST into kvs. Returns 0, or answers (415, 400) and
 * returns -1 with *ret set. */
static int read_form(struct http_req *r, struct form_kvs *kvs, enum MHD_Result *ret)
{
	if (!hdr_is_form_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		*ret = http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE);
		return -1;
	}
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, kvs) != 0) {
		*ret = http_send_error(r, HTTP_BAD_REQUEST);
		return -1;
	}
	return 0;
}

/* Back from the writer: the 303 to the list, saying what happened. */
static enum MHD_Result act_answer(struct http_req *r, struct act_state *s)
{
	static const char *const done[] = { [STORE_MOD_HIDE] = "hidden",
					    [STORE_MOD_SHOW] = "shown",
					    [STORE_MOD_KEEP] = "kept" };
	struct app *a = r->app;

	if (atomic_load(&s->pending.status) != WRITER_OK)
		return http_send_unavailable(r);
	if (s->is_delete) {
		if (s->del.deleted_id <= 0)
			return back_to_list(r, &s->la, s->del.id > 0 ? "missing" : "notfound",
					    s->del.id, 0);
		app_changed(a);
		return back_to_list(r, &s->la, "deleted", s->del.deleted_id, 0);
	}
	if (!s->found)
		return back_to_list(r, &s->la, "missing", s->id, 0);
	if (!s->changed)
		return back_to_list(r, &s->la, "unchanged", s->id, 1);
	app_changed(a);
	return back_to_list(r, &s->la, done[s->action], s->id, 1);
}

static struct act_state *act_new(struct http_req *r)
{
	struct act_state *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	r->state = s;
	r->state_free = free;
	snprintf(s->who, sizeof s->who, "%s", r->who);
	s->pending.item.op = WRITER_TASK;
	s->pending.item.task = act_task;
	s->pending.item.task_arg = s;
	return s;
}

/* The first call of a moderation POST: reads the form (id=N and the list's
 * state) into a new act_state, set as r's. Returns it with *id set, or NULL
 * with the answer already queued in *ret (bad form 4xx, bad id 400, out of
 * memory 503). */
static struct act_state *act_begin(struct http_req *r, int64_t *id, enum MHD_Result *ret)
{
	struct form_kvs kvs;
	struct act_state *s;
	const char *idarg;
	size_t len = 0;

	if (read_form(r, &kvs, ret) != 0)
		return NULL;
	idarg = form_get(&kvs, "id", &len);
	*id = parse_id(idarg, len);
	if (*id <= 0) {
		form_kvs_free(&kvs);
		*ret = http_send_error(r, HTTP_BAD_REQUEST);
		return NULL;
	}
	if ((s = act_new(r)) == NULL) {
		form_kvs_free(&kvs);
		*ret = http_send_unavailable(r);
		return NULL;
	}
	list_args_form(&kvs, &s->la);
	form_kvs_free(&kvs);
	return s;
}

/* POST /admin/signatures/hide, /show, /keep (id=N and the list's state). */
enum MHD_Result moderation_act(struct http_req *r)
{
	struct app *a = r->app;
	struct act_state *s = r->state;
	enum route_id route = app_route_of(r);
	enum MHD_Result ret;
	int64_t id;

	if (s != NULL)
		return act_answer(r, s);
	if ((s = act_begin(r, &id, &ret)) == NULL)
		return ret;
	s->id = id;
	s->action = route == ROUTE_SIG_SHOW ? STORE_MOD_SHOW
		    : route == ROUTE_SIG_KEEP ? STORE_MOD_KEEP
					      : STORE_MOD_HIDE;
	return http_submit(r, a->writer, &s->pending);
}

/* POST /admin/signatures/delete (id=N and the list's state): the deletion
 * confirmed on the page above. */
enum MHD_Result moderation_delete(struct http_req *r)
{
	struct app *a = r->app;
	struct act_state *s = r->state;
	enum MHD_Result ret;
	int64_t id;

	if (s != NULL)
		return act_answer(r, s);
	if ((s = act_begin(r, &id, &ret)) == NULL)
		return ret;
	s->is_delete = 1;
	s->del.id = id;
	s->del.admin = s->who;
	s->del.at = clock_now_ms() / 1000;
	return http_submit(r, a->writer, &s->pending);
}

/* POST /admin/delete: the dashboard's "delete by email address" (a signer
 * asked to be erased). email=ADDR alone finds the signature and answers 303
 * to its confirmation page (by id: the address never goes into a URL), or
 * to the list saying none was found. With confirm=1 (scripts: the
 * confirmation is theirs) it deletes at once, through the same code path as
 * a deletion by id, and answers 303 to the list. */
enum MHD_Result moderation_delete_email(struct http_req *r)
{
	struct app *a = r->app;
	struct act_state *s = r->state;
	struct list_args none;
	struct form_kvs kvs;
	struct row_copy c;
	enum MHD_Result ret;
	const char *email, *confirm;
	size_t len = 0, clen = 0;
	char norm[FORM_EMAIL_MAX_BYTES + 1], key[FORM_EMAIL_MAX_BYTES + 1], err[256], loc[64];
	int n, found;

	if (s != NULL)
		return act_answer(r, s);
	memset(&none, 0, sizeof none);
	if (read_form(r, &kvs, &ret) != 0)
		return ret;
	email = form_get(&kvs, "email", &len);
	confirm = form_get(&kvs, "confirm", &clen);
	n = form_email_norm(email, len, norm, sizeof norm);
	if (n <= 0 || strchr(norm, '@') == NULL) {
		form_kvs_free(&kvs);
		return delete_confirm_page(r, HTTP_UNPROCESSABLE, NULL, "admin.delete.bad", &none);
	}
	/* The duplicate key: the address, or its keyed hash in sealed mode. */
	app_email_key(a, norm, key, sizeof key);
	if (confirm != NULL && clen == 1 && confirm[0] == '1') {
		form_kvs_free(&kvs);
		if ((s = act_new(r)) == NULL)
			return http_send_unavailable(r);
		snprintf(s->email_norm, sizeof s->email_norm, "%s", key);
		s->is_delete = 1;
		s->del.email_norm = s->email_norm;
		s->del.admin = s->who;
		s->del.at = clock_now_ms() / 1000;
		return http_submit(r, a->writer, &s->pending);
	}
	form_kvs_free(&kvs);
	memset(&c, 0, sizeof c);
	found = store_sig_get(a->st, 0, key, row_copy_cb, &c, err, sizeof err);
	if (found < 0) {
		log_warn("moderation: %s", err);
		row_copy_free(&c);
		return http_send_unavailable(r);
	}
	if (!found) {
		row_copy_free(&c);
		return back_to_list(r, &none, "notfound", 0, 0);
	}
	snprintf(loc, sizeof loc, "%s?id=%lld", routes_path(ROUTE_SIG_DELETE), (long long)c.row.id);
	row_copy_free(&c);
	return http_redirect(r, HTTP_SEE_OTHER, loc);
}
