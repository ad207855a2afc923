/* admin_admins.c -- /admin/admins (the organizers' accounts, from a
 * browser) and /admin/audit (the audit trail).
 *
 * Who may do what: the account "owner" (the one of --admin-token or of the
 * first start's token: whoever runs the server) adds organizers, revokes
 * them and replaces their tokens; every organizer may replace their own
 * token (a token that leaked can be made useless at once without waiting
 * for anyone) and read the list and the trail. So a token stolen from one
 * organizer's phone cannot lock the others out or make accounts of its
 * own; and the owner cannot be revoked from a browser at all (on the
 * server: `petitiond admin revoke owner`), so no browser can leave the
 * petition without an organizer who manages the rest.
 *
 * Every change goes through the writer as a task, with its audit line in
 * the same transaction, and answers with a redirect to a GET page. A new
 * token is shown once, on that page: it waits in memory (admin_flash_put)
 * under a random handle, never in a URL or a log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "auth.h"
#include "clock.h"
#include "hdr.h"
#include "log.h"

/* The messages a result page may name in its URL (never the input). */
static const char *const done_keys[][2] = {
	{ "added", "admin.admins.done.added" },
	{ "revoked", "admin.admins.done.revoked" },
	{ "rotated", "admin.admins.done.rotated" },
};

static const char *done_key(const char *done)
{
	size_t i;

	for (i = 0; done != NULL && i < sizeof done_keys / sizeof done_keys[0]; i++)
		if (strcmp(done, done_keys[i][0]) == 0)
			return done_keys[i][1];
	return NULL;
}

static enum MHD_Result admins_answer(struct http_req *r, unsigned status,
				     const struct view_admins *v)
{
	struct app *a = r->app;
	struct view_env env;
	struct buf b = BUF_INIT;

	app_env(a, &env, ROUTE_ADMINS);
	if (view_admins(&b, &env, r->lang, v) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, status, "text/html; charset=utf-8", &b);
}

static void view_init_for(struct view_admins *v, struct http_req *r)
{
	memset(v, 0, sizeof *v);
	v->who = r->who;
	v->owner = admin_is_owner(r);
}

enum MHD_Result admin_admins_page(struct http_req *r)
{
	struct app *a = r->app;
	struct view_admins v;
	const char *confirm = http_query(r, "confirm"), *name = http_query(r, "name");
	const char *shown = http_query(r, "shown");
	char tname[STORE_ADMIN_NAME_MAX + 1], token[2 * AUTH_TOKEN_BYTES + 1];
	enum MHD_Result ret;

	view_init_for(&v, r);
	v.message = done_key(http_query(r, "done"));
	if (shown != NULL) {
		if (admin_flash_take(a, shown, r->who, tname, sizeof tname, token, sizeof token)) {
			v.token_name = tname;
			v.token = token;
		} else {
			v.message = NULL;
			v.error = "admin.admins.err.gone";
		}
	}
	/* The confirmation step, for what this organizer may do (the POST
	 * checks again). */
	if (confirm != NULL && store_admin_name_ok(name) &&
	    ((strcmp(confirm, "rotate") == 0 && (v.owner || strcasecmp(name, r->who) == 0)) ||
	     (strcmp(confirm, "revoke") == 0 && v.owner &&
	      strcasecmp(name, STORE_ADMIN_OWNER) != 0))) {
		v.confirm = strcmp(confirm, "revoke") == 0 ? "revoke" : "rotate";
		v.confirm_name = name;
	}
	ret = admins_answer(r, HTTP_OK, &v);
	memset(token, 0, sizeof token);
	return ret;
}

/* POST /admin/admins: action=add|revoke|rotate, name, confirm=1. */
struct admins_state {
	struct http_pending pending; /* first */
	enum store_admin_op op;
	char name[STORE_ADMIN_NAME_MAX + 1];
	char token[2 * AUTH_TOKEN_BYTES + 1];
	char token_hash[AUTH_HASH_HEX + 1];
	char who[64];
	char keep[AUTH_HASH_HEX + 1]; /* one's own token replaced: this session stays */
	int64_t now;
	int result; /* enum store_admin_result */
};

static void admins_free(void *p)
{
	if (p != NULL) {
		memset(p, 0, sizeof(struct admins_state));
		free(p);
	}
}

static int admins_run(struct store *st, void *arg, char *err, size_t errlen)
{
	struct admins_state *s = arg;

	s->result = store_admin_change(st, s->op, s->now, s->name,
				       s->op == STORE_ADMIN_REVOKE ? NULL : s->token_hash,
				       s->keep[0] ? s->keep : NULL, s->who, err, errlen);
	return s->result == STORE_ADMIN_FAILED ? -1 : 0;
}

/* The page again with an error (and the add form's name kept). */
static enum MHD_Result refuse(struct http_req *r, unsigned status, const char *error,
			      const char *add_name)
{
	struct view_admins v;

	view_init_for(&v, r);
	v.error = error;
	v.add_name = add_name;
	return admins_answer(r, status, &v);
}

/* After the writer: the result page (303), or why not. */
static enum MHD_Result admins_done(struct http_req *r, struct admins_state *s)
{
	struct app *a = r->app;
	struct buf loc = BUF_INIT;
	char handle[33], own[AUTH_HASH_HEX + 1];
	const char *done = s->op == STORE_ADMIN_ADD ? "added"
			   : s->op == STORE_ADMIN_REVOKE ? "revoked" : "rotated";
	enum MHD_Result ret;

	if (atomic_load(&s->pending.status) != WRITER_OK)
		return http_send_unavailable(r);
	switch (s->result) {
	case STORE_ADMIN_OK:
		break;
	case STORE_ADMIN_EXISTS:
		return refuse(r, HTTP_UNPROCESSABLE, "admin.admins.err.exists", s->name);
	case STORE_ADMIN_BAD_NAME:
		return refuse(r, HTTP_UNPROCESSABLE, "admin.admins.err.name", NULL);
	default: /* no such account, or revoked already */
		return refuse(r, HTTP_UNPROCESSABLE, "admin.admins.err.nosuch", NULL);
	}
	log_info("admin: %s %s the organizer %s", r->who, done, s->name);
	if (s->op == STORE_ADMIN_REVOKE) {
		buf_printf(&loc, "%s?done=%s", routes_path(ROUTE_ADMINS), done);
	} else {
		admin_session_hash(r, own);
		/* One's own token replaced with a token, not a session: the old
		 * token the browser would send for the next page opens nothing,
		 * so this answer is the only place the new one can be shown. */
		if (strcasecmp(s->name, r->who) == 0 && own[0] == '\0') {
			struct view_admins v;

			view_init_for(&v, r);
			v.message = done_key(done);
			v.token_name = s->name;
			v.token = s->token;
			return admins_answer(r, HTTP_OK, &v);
		}
		if (admin_flash_put(a, r->who, s->name, s->token, handle) != 0)
			return http_send_unavailable(r);
		buf_printf(&loc, "%s?done=%s&shown=%s", routes_path(ROUTE_ADMINS), done, handle);
	}
	if (loc.oom) {
		buf_free(&loc);
		return http_send_unavailable(r);
	}
	ret = http_redirect(r, HTTP_SEE_OTHER, buf_cstr(&loc));
	buf_free(&loc);
	return ret;
}

enum MHD_Result admin_admins_post(struct http_req *r)
{
	struct app *a = r->app;
	struct admins_state *s = r->state;
	struct form_kvs kvs;
	const char *action, *name, *confirm;	/* in kvs: valid until form_kvs_free */
	size_t alen = 0, nlen = 0, clen = 0;
	unsigned char raw[AUTH_TOKEN_BYTES];
	enum store_admin_op op;
	int confirmed;

	if (s != NULL)
		return admins_done(r, s);
	if (!hdr_is_form_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE);
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, &kvs) != 0)
		return http_send_error(r, HTTP_BAD_REQUEST);
	action = form_get(&kvs, "action", &alen);
	name = form_get(&kvs, "name", &nlen);
	confirm = form_get(&kvs, "confirm", &clen);
	confirmed = confirm != NULL && clen == 1 && confirm[0] == '1';
	if (action != NULL && strcmp(action, "add") == 0)
		op = STORE_ADMIN_ADD;
	else if (action != NULL && strcmp(action, "revoke") == 0)
		op = STORE_ADMIN_REVOKE;
	else if (action != NULL && strcmp(action, "rotate") == 0)
		op = STORE_ADMIN_ROTATE;
	else {
		form_kvs_free(&kvs);
		return http_send_error(r, HTTP_BAD_REQUEST);
	}
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		form_kvs_free(&kvs);
		return http_send_unavailable(r);
	}
	r->state = s;
	r->state_free = admins_free;
	s->op = op;
	/* A name is short and plain (store_admin_name_ok); anything else is
	 * refused without being shown again. */
	if (name != NULL && nlen <= STORE_ADMIN_NAME_MAX && strlen(name) == nlen)
		memcpy(s->name, name, nlen);
	form_kvs_free(&kvs);
	if (!store_admin_name_ok(s->name))
		return refuse(r, HTTP_UNPROCESSABLE, "admin.admins.err.name", NULL);
	/* Who may: see the comment at the top. */
	if (!admin_is_owner(r) && !(op == STORE_ADMIN_ROTATE && strcasecmp(s->name, r->who) == 0))
		return refuse(r, HTTP_FORBIDDEN, "admin.admins.err.forbidden", NULL);
	if (op == STORE_ADMIN_REVOKE && strcasecmp(s->name, STORE_ADMIN_OWNER) == 0)
		return refuse(r, HTTP_UNPROCESSABLE, "admin.admins.err.owner", NULL);
	/* Revoking and replacing a token take a second, explicit step. */
	if (op != STORE_ADMIN_ADD && !confirmed) {
		struct buf loc = BUF_INIT;
		enum MHD_Result ret;

		buf_printf(&loc, "%s?confirm=%s&name=%s", routes_path(ROUTE_ADMINS),
			   op == STORE_ADMIN_REVOKE ? "revoke" : "rotate", s->name);
		ret = loc.oom ? http_send_unavailable(r)
			      : http_redirect(r, HTTP_SEE_OTHER, buf_cstr(&loc));
		buf_free(&loc);
		return ret;
	}
	if (op != STORE_ADMIN_REVOKE) {
		if (auth_random(raw, sizeof raw) != 0)
			return http_send_unavailable(r);
		auth_hex(s->token, raw, sizeof raw);
		memset(raw, 0, sizeof raw);
		auth_sha256_hex(s->token_hash, s->token, strlen(s->token));
	}
	snprintf(s->who, sizeof s->who, "%s", r->who);
	/* Replacing one's own token ends one's other sessions, not this one:
	 * the new token is shown on the next page. */
	if (op == STORE_ADMIN_ROTATE && strcasecmp(s->name, r->who) == 0)
		admin_session_hash(r, s->keep);
	s->now = clock_now_ms() / 1000;
	s->pending.item.op = WRITER_TASK;
	s->pending.item.task = admins_run;
	s->pending.item.task_arg = s;
	return http_submit(r, a->writer, &s->pending);
}

/* ---- /admin/audit ------------------------------------------------------- */

enum MHD_Result admin_audit_page(struct http_req *r)
{
	struct app *a = r->app;
	struct view_env env;
	struct buf b = BUF_INIT;
	const char *before = http_query(r, "before");
	long long id = 0;

	if (before != NULL) {
		char *end;

		id = strtoll(before, &end, 10);
		if (*before == '\0' || *end != '\0' || id < 0)
			return http_send_error(r, HTTP_BAD_REQUEST);
	}
	app_env(a, &env, ROUTE_AUDIT);
	if (view_audit(&b, &env, r->lang, r->who, (int64_t)id) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, HTTP_OK, "text/html; charset=utf-8", &b);
}
