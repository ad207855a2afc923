/* admin.c -- the organizers' area: authentication (a token, as Bearer or
 * Basic, or a session from the sign-in form; with a throttle on wrong
 * tokens that never holds back a right one), sign-in and sign-out, the
 * dashboard (deleting a signature on request is admin_moderation.c's).
 *
 * admin_gate runs before every ROUTE_F_ADMIN route (the HTTP layer calls it
 * from the route table's flag), so no admin handler can forget it. Every
 * organizer has an account (store_admins.c): a token is hashed and the hash
 * looked up among the accounts' on every request, and so is a session, so
 * an account added, revoked or rotated from the command line counts at
 * once, without a restart. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "seal.h"

/* --wal-checkpoint external: the WAL size the dashboard warns about. */
#define ADMIN_WAL_WARN_BYTES (512LL * 1024 * 1024)
#include "auth.h"
#include "clock.h"
#include "form.h"
#include "hdr.h"
#include "log.h"

#define ADMIN_MAX_AUTH_BYTES 1024  /* an Authorization header's secret longer than this is refused */
#define ADMIN_FREE_FAILURES 5      /* wrong tokens per client and window answered at once */
#define ADMIN_FAIL_WINDOW_MS 900000 /* the per-client window: 15 minutes */
#define ADMIN_GLOBAL_FREE 20       /* wrong tokens per global window, all clients together,
				    * answered at once */
#define ADMIN_GLOBAL_WINDOW_MS 60000 /* the global window: 1 minute */
#define ADMIN_SLOW_MIN_MS 1000     /* a slowed wrong answer waits at least this long */
#define ADMIN_SLOW_GAP_MS 100      /* and slowed wrong answers leave at most one per
				    * this: 10 per second, all clients together */
#define ADMIN_MAX_SLOWED 512       /* slowed answers waiting at once (each holds a
				    * connection) */
#define ADMIN_STR2(x) #x
#define ADMIN_STR(x) ADMIN_STR2(x)
#define ADMIN_FAIL_SLOTS 1024      /* clients with recent failures tracked at once */
#define ADMIN_COOKIE "petitiond_admin" /* the session cookie: the organizers' pages only */
#define ADMIN_SESSION_TOUCH_S 60   /* a session's last use is written at most this often */
#define ADMIN_MAX_TOKEN_FIELD 512  /* bytes of the sign-in form's token field */
#define ADMIN_NEXT_MAX 128         /* bytes of the page to go to after signing in */
#define ADMIN_FLASH_SLOTS 16       /* new tokens waiting to be shown once */
#define ADMIN_FLASH_TTL_MS 600000  /* ... for at most 10 minutes */

/* Guessing the token.
 *
 * The token is checked first, on every request that carries one: a right
 * token always passes at once, so nobody who shares the organizer's client
 * key (Tor, carrier-grade NAT, a proxy that is not trusted) can keep the
 * organizer out. What stops guessing is the token's entropy (generated:
 * 192 bits; --admin-token: at least 20 characters), helped by a throttle
 * that never touches a right token: the first wrong tokens of a client
 * (ADMIN_FREE_FAILURES per window) and of everyone (ADMIN_GLOBAL_FREE per
 * minute) get their 401 at once; every later wrong token gets it no sooner
 * than ADMIN_SLOW_MIN_MS after it came and ADMIN_SLOW_GAP_MS after the
 * previous slowed answer, its connection suspended meanwhile and resumed
 * by the guard's timer thread. A connection carries one request at a time,
 * and a client that walks away still holds its connection until the timer
 * resumes it, so wrong guesses are answered at most 1000 / ADMIN_SLOW_GAP_MS
 * per second beyond the free ones; more connections only make each wait
 * longer. The throttle holds at most ADMIN_MAX_SLOWED connections, so it
 * can never take the server's connections from everyone else; a guesser
 * who keeps that many waiting gets further wrong answers at once, and only
 * the token's entropy stands in the way. (The README works out what both
 * mean for guessing.) */
struct slow_answer {
	struct slow_answer *next;
	struct MHD_Connection *conn;
	int64_t due_ms; /* monotonic */
};

struct admin_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;  /* a slowed answer was queued, or stop */
	pthread_t thread;
	int started, stopping;
	/* Slowed answers, due times ascending (each is scheduled after the
	 * previous one, so the queue is FIFO). */
	struct slow_answer *head, *tail;
	int64_t last_due_ms;
	int nslow; /* on the queue */
	int64_t full_logged_ms; /* when "throttle full" was last logged */
	/* Wrong tokens from all clients in the current global window. */
	int64_t global_start_ms;
	int global_fails;
	/* Failed authentications per client (keyed id), in memory only. */
	struct fail_slot {
		uint64_t id;
		int fails;           /* in the window that began at start_ms */
		int64_t start_ms;
	} slot[ADMIN_FAIL_SLOTS];
	/* New tokens (an account added or rotated from the browser) between
	 * the POST that made them and the one GET that shows them: in memory
	 * only, never in a URL or a log. Under lock. */
	struct flash {
		char handle[33];     /* random, in the result page's URL; "" free */
		char who[64];        /* only this organizer may see it */
		char name[STORE_ADMIN_NAME_MAX + 1];
		char token[2 * AUTH_TOKEN_BYTES + 1];
		int64_t expires_ms;  /* monotonic */
	} flash[ADMIN_FLASH_SLOTS];
};

/* Milliseconds on a clock that never steps: the throttle must not be
 * undone (or stretched) by a correction of the wall clock. */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The guard's timer thread: resumes each slowed connection when it is due
 * (its 401 is already queued and goes out then); once stopping, resumes
 * them all at once. */
static void *slow_main(void *arg)
{
	struct admin_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	for (;;) {
		struct slow_answer *s;
		int64_t now;

		while (g->head == NULL && !g->stopping)
			pthread_cond_wait(&g->wake, &g->lock);
		if (g->head == NULL)
			break;
		now = mono_ms();
		if (!g->stopping && g->head->due_ms > now) {
			struct timespec until;
			int64_t due = g->head->due_ms;

			until.tv_sec = (time_t)(due / 1000);
			until.tv_nsec = (long)(due % 1000) * 1000000L;
			pthread_cond_timedwait(&g->wake, &g->lock, &until);
			continue;
		}
		s = g->head;
		g->head = s->next;
		if (g->head == NULL)
			g->tail = NULL;
		g->nslow--;
		pthread_mutex_unlock(&g->lock);
		MHD_resume_connection(s->conn);
		free(s);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int admin_init(struct app *a)
{
	struct admin_guard *g = calloc(1, sizeof *g);
	pthread_condattr_t ca;

	if (g == NULL)
		return -1;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->thread, NULL, slow_main, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return -1;
	}
	g->started = 1;
	a->guard = g;
	return 0;
}

void admin_stop(struct app *a)
{
	struct admin_guard *g = a->guard;

	if (g == NULL || !g->started)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = 1;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	g->started = 0;
}

void admin_free(struct app *a)
{
	if (a->guard == NULL)
		return;
	admin_stop(a);
	memset(a->guard->flash, 0, sizeof a->guard->flash);
	pthread_cond_destroy(&a->guard->wake);
	pthread_mutex_destroy(&a->guard->lock);
	free(a->guard);
	a->guard = NULL;
}

/* The account whose token the request carries, as Bearer or Basic
 * password: 1 with its name, 0 when there is none (or no valid token), -1
 * when the accounts cannot be read. The secret is hashed first and the hash
 * looked up (an index, not a comparison of the secret): the time taken
 * tells nothing about how much of a guess was right. */
static int token_check(struct http_req *r, char *name, size_t namelen)
{
	unsigned char secret[ADMIN_MAX_AUTH_BYTES];
	char hash[AUTH_HASH_HEX + 1];
	size_t len = 0;
	enum hdr_auth kind = hdr_auth_secret(http_header(r, MHD_HTTP_HEADER_AUTHORIZATION), secret,
					     sizeof secret, &len);
	int rc = 0;

	if ((kind == HDR_AUTH_BEARER || kind == HDR_AUTH_BASIC) && len > 0) {
		auth_sha256_hex(hash, secret, len);
		rc = store_admin_by_token(((struct app *)r->app)->st, hash, name, namelen);
	}
	memset(secret, 0, sizeof secret);
	return rc;
}

/* ---- Sessions ----------------------------------------------------------- */

/* The session id the browser sent in its cookie: 64 lower-case hex digits,
 * else NULL. */
static const char *session_cookie(struct http_req *r)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, ADMIN_COOKIE);

	if (v == NULL || strlen(v) != 2 * AUTH_SESSION_BYTES ||
	    strspn(v, "0123456789abcdef") != 2 * AUTH_SESSION_BYTES)
		return NULL;
	return v;
}

/* A session's last use, written by the writer without anyone waiting. */
struct touch_task {
	struct writer_item item; /* first: freed as one */
	char sid_hash[AUTH_HASH_HEX + 1];
	int64_t now;
};

static int touch_run(struct store *st, void *arg, char *err, size_t errlen)
{
	struct touch_task *t = arg;

	return store_admin_session_touch(st, t->now, t->sid_hash, err, errlen);
}

static void touch_done(struct writer_item *item, enum writer_status status)
{
	(void)status;
	free(item);
}

/* The account of the request's session cookie: 1 with its name (and the
 * session's last use written when ADMIN_SESSION_TOUCH_S or a quarter of
 * the idle time has passed), 0 when there is no valid session, -1 when the
 * sessions cannot be read. */
static int session_check(struct http_req *r, char *name, size_t namelen)
{
	struct app *a = r->app;
	const char *sid = session_cookie(r);
	char hash[AUTH_HASH_HEX + 1];
	int64_t now = clock_now_ms() / 1000, idle = a->cfg->admin_session_idle, seen = 0, every;
	int rc;

	if (sid == NULL)
		return 0;
	auth_sha256_hex(hash, sid, strlen(sid));
	rc = store_admin_by_session(a->st, hash, now, idle, name, namelen, &seen);
	if (rc != 1)
		return rc;
	every = idle / 4 < ADMIN_SESSION_TOUCH_S ? idle / 4 : ADMIN_SESSION_TOUCH_S;
	if (now - seen >= every) {
		struct touch_task *t = calloc(1, sizeof *t);

		if (t != NULL) {
			memcpy(t->sid_hash, hash, sizeof t->sid_hash);
			t->now = now;
			t->item.op = WRITER_TASK;
			t->item.task = touch_run;
			t->item.task_arg = t;
			t->item.done = touch_done;
			/* Refused (stopping, full): the next request tries again. */
			if (writer_submit(a->writer, &t->item) != 0)
				free(t);
		}
	}
	return 1;
}

/* 1 when the site is served over HTTPS here: TLS, a trusted proxy's
 * X-Forwarded-Proto, or an https --public-url (http_base_url decides). */
static int over_https(struct http_req *r)
{
	struct buf b = BUF_INIT;
	int https = http_base_url(r, &b) == 0 && strncmp(buf_cstr(&b), "https://", 8) == 0;

	buf_free(&b);
	return https;
}

/* Adds the session cookie to resp: sid, or an expired empty one when sid is
 * NULL (the browser drops it). HttpOnly (no script reads it), SameSite=Strict
 * (no other site's link or form carries it), Path the organizers' pages,
 * Secure whenever the site is served over HTTPS; no Max-Age: the browser
 * forgets it when it closes, the server after the idle time. */
static void add_cookie(struct http_req *r, struct MHD_Response *resp, const char *sid)
{
	char v[256];

	snprintf(v, sizeof v, "%s=%s; Path=%s;%s HttpOnly; SameSite=Strict%s", ADMIN_COOKIE,
		 sid ? sid : "", routes_path(ROUTE_ADMIN), sid ? "" : " Max-Age=0;",
		 over_https(r) ? "; Secure" : "");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, v);
}

/* 303 to location, setting (sid), clearing (NULL) or leaving (set = 0)
 * the session cookie. */
static enum MHD_Result see_other(struct http_req *r, const char *location, int set,
				 const char *sid)
{
	struct MHD_Response *resp = http_response(r, NULL, "", 0);

	if (resp != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
		if (set)
			add_cookie(r, resp, sid);
	}
	return http_queue(r, HTTP_SEE_OTHER, resp);
}

/* The page to go to after signing in: an organizers' page path (no query,
 * no "//", nothing but [A-Za-z0-9/._-]), else the dashboard. Never another
 * site: no open redirect. */
static const char *next_page(const char *next)
{
	const char *admin = routes_path(ROUTE_ADMIN);
	size_t n = next ? strlen(next) : 0, k = strlen(admin);

	if (n == 0 || n > ADMIN_NEXT_MAX || strncmp(next, admin, k) != 0 ||
	    (next[k] != '\0' && next[k] != '/') || strstr(next, "//") != NULL ||
	    strstr(next, "/.") != NULL || strcmp(next, routes_path(ROUTE_LOGIN)) == 0 ||
	    strspn(next, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-") != n)
		return admin;
	return next;
}

/* The sign-in page, with a result or an error (message keys, NULL for
 * none). Its language switch leads to the page asked for: the sign-in
 * page, or the organizers' page whose 401 this is. */
static struct MHD_Response *login_response(struct http_req *r, const char *next,
					   const char *notice, const char *error)
{
	struct app *a = r->app;
	struct view_env env;
	struct view_login l;
	struct buf b = BUF_INIT;

	app_env(a, &env,
		r->route != NULL && !r->is_post ? app_route_of(r) : ROUTE_LOGIN);
	memset(&l, 0, sizeof l);
	l.next = next_page(next);
	l.notice = notice;
	l.error = error;
	l.idle_s = a->cfg->admin_session_idle;
	if (view_login(&b, &env, r->lang, &l) != 0) {
		buf_reset(&b);
		buf_puts(&b, "Sign-in required\n");
	}
	return http_response_buf(r, "text/html; charset=utf-8", &b);
}

/* Records a wrong token from client id and decides when its answer (a 401,
 * or the sign-in form's 422, already queued on conn) may leave. Returns 0 when at once; else the monotonic due
 * time: conn has been suspended and s (allocated by the caller, NULL when
 * that failed: then at once) queued, owned by the guard from then on.
 * Suspending and queueing under the lock keeps the queue in due order and
 * the timer from resuming a connection not yet suspended. *fails: the
 * client's wrong tokens in its window; *all: everyone's in the global
 * window. Worker thread (inside the access
 * handler, as MHD_suspend_connection requires). *full: 1 when the answer
 * should have been slowed but ADMIN_MAX_SLOWED are already waiting, 2 the
 * same and it is time to say so in the log (once a minute at most). */
static int64_t record_failure(struct admin_guard *g, uint64_t id, struct MHD_Connection *conn,
			      struct slow_answer *s, int *fails, int *all, int *full)
{
	struct fail_slot *f = &g->slot[id % ADMIN_FAIL_SLOTS];
	int64_t now = mono_ms(), due = 0;

	pthread_mutex_lock(&g->lock);
	/* One slot per bucket; a new client takes it over. Evicting another
	 * client's record only hands it back its free failures, which the
	 * global budget bounds anyway. */
	if (f->id != id || now - f->start_ms >= ADMIN_FAIL_WINDOW_MS) {
		f->id = id;
		f->fails = 0;
		f->start_ms = now;
	}
	if (now - g->global_start_ms >= ADMIN_GLOBAL_WINDOW_MS) {
		g->global_start_ms = now;
		g->global_fails = 0;
	}
	if (f->fails < INT_MAX)
		f->fails++;
	if (g->global_fails < INT_MAX)
		g->global_fails++;
	*fails = f->fails;
	*all = g->global_fails;
	*full = 0;
	if (g->nslow >= ADMIN_MAX_SLOWED) {
		*full = 1;
		if (g->full_logged_ms == 0 || now - g->full_logged_ms >= ADMIN_GLOBAL_WINDOW_MS) {
			g->full_logged_ms = now;
			*full = 2;
		}
	}
	if ((f->fails > ADMIN_FREE_FAILURES || g->global_fails > ADMIN_GLOBAL_FREE) && s != NULL &&
	    !g->stopping && !*full) {
		due = now + ADMIN_SLOW_MIN_MS;
		if (due < g->last_due_ms + ADMIN_SLOW_GAP_MS)
			due = g->last_due_ms + ADMIN_SLOW_GAP_MS;
		g->last_due_ms = due;
		s->conn = conn;
		s->due_ms = due;
		s->next = NULL;
		MHD_suspend_connection(conn);
		if (g->tail)
			g->tail->next = s;
		else
			g->head = s;
		g->tail = s;
		g->nslow++;
		pthread_cond_signal(&g->wake);
	}
	pthread_mutex_unlock(&g->lock);
	return due;
}

static int power_of_two(int n)
{
	return n > 0 && (n & (n - 1)) == 0;
}

/* 1 for the failures worth a log line, so that guessing, even from many
 * addresses, cannot flood the log: while everyone's wrong tokens stay
 * within the global budget, a client's first ones and then its powers of
 * two; past it, only at powers of two of everyone's count in the window. */
static int worth_logging(int fails, int all)
{
	if (all > ADMIN_GLOBAL_FREE + 1)
		return power_of_two(all);
	return fails <= ADMIN_FREE_FAILURES + 1 || power_of_two(fails);
}

/* 401 with WWW-Authenticate: Basic (scripts and the contract rely on it;
 * a browser shows its password dialog), and as the body the sign-in form,
 * so a browser user who closes the dialog can sign in with the form. A
 * session cookie that no longer opens anything is dropped. */
static enum MHD_Result unauthorized(struct http_req *r)
{
	int stale = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, ADMIN_COOKIE) != NULL;
	struct MHD_Response *resp =
		login_response(r, r->is_post ? NULL : r->path,
			       stale ? "admin.login.expired" : "admin.login.required", NULL);

	if (resp != NULL) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"petitiond\", charset=\"UTF-8\"");
		if (stale)
			add_cookie(r, resp, NULL);
	}
	return http_queue(r, HTTP_UNAUTHORIZED, resp);
}

/* A wrong token, whose answer (a 401, or the sign-in form again) ret has
 * queued already: sent at once or slowed (see the comment on struct
 * slow_answer). libmicrohttpd sends the queued answer of a suspended
 * connection once it is resumed, and does not call the handler again. */
static enum MHD_Result slow_down(struct http_req *r, enum MHD_Result ret)
{
	struct app *a = r->app;
	uint64_t id = http_client_id(r);
	struct slow_answer *s;
	int64_t due;
	int fails = 0, all = 0, full = 0;

	s = ret == MHD_YES ? malloc(sizeof *s) : NULL;
	due = record_failure(a->guard, id, r->conn, s, &fails, &all, &full);
	if (due == 0)
		free(s);
	/* The client is named by its keyed hash, never by its address. */
	if (worth_logging(fails, all) || full == 2)
		log_warn("admin: wrong token (%d in 15 minutes from client %016llx, %d from "
			 "everyone this minute)%s",
			 fails, (unsigned long long)id, all,
			 due ? "; answer slowed"
			     : full ? "; NOT slowed: " ADMIN_STR(ADMIN_MAX_SLOWED) " slowed answers "
				      "already waiting (a guessing attack?)"
				    : "");
	return ret;
}

static enum MHD_Result wrong_token(struct http_req *r)
{
	return slow_down(r, unauthorized(r));
}

int admin_gate(struct http_req *r, enum MHD_Result *ret)
{
	char name[sizeof r->who];
	int rc;

	if (http_cross_site(r)) {
		*ret = http_send_error(r, HTTP_FORBIDDEN);
		return 0;
	}
	/* A browser signed in with the form. (An invalid or expired cookie is
	 * no wrong token: it is one the server made, and 256 random bits.) */
	rc = session_check(r, name, sizeof name);
	if (rc == 0 && http_header(r, MHD_HTTP_HEADER_AUTHORIZATION) != NULL)
		/* The token first: a right one is never held back by what
		 * others did. */
		switch (token_check(r, name, sizeof name)) {
		case 1:
			rc = 1;
			break;
		case 0:
			rc = -2;
			break;
		default:
			rc = -1;
		}
	else if (rc == 0) {
		/* A browser's first visit: ask for credentials, count nothing. */
		*ret = unauthorized(r);
		return 0;
	}
	if (rc == 1) {
		snprintf(r->who, sizeof r->who, "%s", name);
		return 1;
	}
	*ret = rc == -2 ? wrong_token(r) : http_send_unavailable(r);
	return 0;
}

/* --retention-days: when the signers' names, emails and comments are
 * erased (or were), for the dashboard's notice. */
static void retention_note(struct app *a, enum lang lang, struct buf *out)
{
	const struct lifecycle *l = app_life(a);
	int64_t closed = l ? life_closed_time(&l->set) : 0, done_at = 0, due;
	struct buf when = BUF_INIT;
	char days[24];
	const char *msg, *p;

	snprintf(days, sizeof days, "%ld", a->cfg->retention_days);
	due = closed + (int64_t)a->cfg->retention_days * 86400;
	if (due < a->retention_not_before)
		due = a->retention_not_before;
	if (closed > 0 && store_retention_done(a->st, &done_at) == 1 && done_at >= due) {
		msg = view_message(lang, "admin.retention.done");
		life_format_when(&when, l ? l->tz : NULL, lang, done_at);
	} else if (closed > 0) {
		msg = view_message(lang, "admin.retention.due");
		life_format_when(&when, l ? l->tz : NULL, lang, due);
	} else {
		msg = view_message(lang, "admin.retention.open");
	}
	/* {when} and {days} in the sentence. */
	for (p = msg; *p; p++) {
		if (strncmp(p, "{when}", 6) == 0) {
			buf_append(out, when.data ? when.data : "", when.len);
			p += 5;
		} else if (strncmp(p, "{days}", 6) == 0) {
			buf_puts(out, days);
			p += 5;
		} else {
			buf_putc(out, *p);
		}
	}
	buf_free(&when);
}

static enum MHD_Result dashboard(struct http_req *r, unsigned status, const char *message)
{
	struct app *a = r->app;
	struct view_admin adm = { atomic_load(&a->bots_refused), message, r->who,
				  a->seal ? a->seal->fp : NULL, NULL };
	struct view_env env;
	struct buf b = BUF_INIT, note = BUF_INIT;
	char walmsg[320];
	enum MHD_Result ret;

	if (a->cfg->retention_days >= 0) {
		retention_note(a, r->lang, &note);
		adm.retention = buf_cstr(&note);
	}
	/* --wal-checkpoint external: nothing of petitiond's keeps the WAL
	 * bounded; past ADMIN_WAL_WARN_BYTES the other program (Litestream)
	 * has likely stopped. */
	if (a->cfg->wal_external) {
		char p[4096];
		struct stat sb;

		if ((size_t)snprintf(p, sizeof p, "%s-wal", a->cfg->db) < sizeof p &&
		    stat(p, &sb) == 0 && sb.st_size > ADMIN_WAL_WARN_BYTES) {
			const char *m = view_message(r->lang, "admin.wal.growing");
			const char *at = strstr(m, "{mb}");

			/* The sentence with its {mb}, not a format string. */
			if (at != NULL)
				snprintf(walmsg, sizeof walmsg, "%.*s%lld%s", (int)(at - m), m,
					 (long long)(sb.st_size >> 20), at + 4);
			else
				snprintf(walmsg, sizeof walmsg, "%s", m);
			adm.message = adm.message ? adm.message : walmsg;
		}
	}
	app_env(a, &env, ROUTE_ADMIN);
	if (view_admin(&b, &env, r->lang, &adm) != 0) {
		buf_free(&b);
		buf_free(&note);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	ret = http_send_buf(r, status, "text/html; charset=utf-8", &b);
	buf_free(&note);
	return ret;
}

enum MHD_Result admin_page(struct http_req *r)
{
	return dashboard(r, HTTP_OK, NULL);
}

/* POST /admin/delete (delete by email address) is admin_moderation.c's
 * moderation_delete_email: a confirmation page, then POST/redirect/GET,
 * through the same deletion as /admin/signatures. */

/* ---- Sign-in and sign-out ----------------------------------------------- */

enum MHD_Result admin_login_page(struct http_req *r)
{
	char name[sizeof r->who];
	int rc = session_check(r, name, sizeof name);

	if (rc < 0)
		return http_send_unavailable(r);
	/* Signed in already: on to the page asked for. */
	if (rc == 1)
		return see_other(r, next_page(http_query(r, "next")), 0, NULL);
	return http_queue(r, HTTP_OK,
			  login_response(r, http_query(r, "next"),
					 http_query(r, "out") ? "admin.login.signedout" : NULL, NULL));
}

/* POST /admin/login: a token in, a session out. */
struct login_state {
	struct http_pending pending; /* first */
	char token_hash[AUTH_HASH_HEX + 1];
	char sid[2 * AUTH_SESSION_BYTES + 1];      /* the new session id, for the cookie */
	char sid_hash[AUTH_HASH_HEX + 1];
	char old_hash[AUTH_HASH_HEX + 1];          /* the browser's previous session, or "" */
	char next[ADMIN_NEXT_MAX + 1];
	char name[STORE_ADMIN_NAME_MAX + 1];
	int64_t now, idle;
	int result;                                /* enum store_admin_result */
};

static void login_free(void *p)
{
	if (p != NULL) {
		memset(p, 0, sizeof(struct login_state));
		free(p);
	}
}

static int login_run(struct store *st, void *arg, char *err, size_t errlen)
{
	struct login_state *l = arg;

	l->result = store_admin_session_start(st, l->now, l->idle, l->token_hash, l->sid_hash,
					      l->old_hash[0] ? l->old_hash : NULL, l->name,
					      sizeof l->name, err, errlen);
	return l->result == STORE_ADMIN_FAILED ? -1 : 0;
}

/* The sign-in form again, 422, with why; a wrong token is slowed like one
 * sent as Bearer or Basic (the same throttle, the same budget). */
static enum MHD_Result login_again(struct http_req *r, const char *next, const char *error,
				   int wrong)
{
	enum MHD_Result ret =
		http_queue(r, HTTP_UNPROCESSABLE, login_response(r, next, NULL, error));

	return wrong ? slow_down(r, ret) : ret;
}

enum MHD_Result admin_login_post(struct http_req *r)
{
	struct app *a = r->app;
	struct login_state *l = r->state;
	struct form_kvs kvs;
	const char *token, *next, *old;
	char name[sizeof r->who];
	size_t len = 0, nlen = 0;
	unsigned char raw[AUTH_SESSION_BYTES];
	int rc;

	if (l != NULL) {
		if (atomic_load(&l->pending.status) != WRITER_OK)
			return http_send_unavailable(r);
		if (l->result != STORE_ADMIN_OK) /* rotated or revoked meanwhile */
			return login_again(r, l->next, "admin.login.wrong", 1);
		log_info("admin: %s signed in", l->name);
		return see_other(r, next_page(l->next), 1, l->sid);
	}
	/* The same-site rule of every admin route (this one has no gate: it is
	 * how one gets past it). */
	if (http_cross_site(r))
		return http_send_error(r, HTTP_FORBIDDEN);
	if (!hdr_is_form_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE);
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, &kvs) != 0)
		return http_send_error(r, HTTP_BAD_REQUEST);
	l = calloc(1, sizeof *l);
	if (l == NULL) {
		form_kvs_free(&kvs);
		return http_send_unavailable(r);
	}
	r->state = l;
	r->state_free = login_free;
	next = form_get(&kvs, "next", &nlen);
	if (next != NULL && nlen <= ADMIN_NEXT_MAX && memchr(next, '\0', nlen) == NULL)
		memcpy(l->next, next, nlen);
	token = form_get(&kvs, "token", &len);
	/* Spaces and line breaks around a pasted token are not part of it. */
	while (token != NULL && len > 0 && strchr(" \t\r\n", token[0]) != NULL)
		token++, len--;
	while (token != NULL && len > 0 && strchr(" \t\r\n", token[len - 1]) != NULL)
		len--;
	if (token == NULL || len == 0) {
		form_kvs_free(&kvs);
		return login_again(r, l->next, "admin.login.empty", 0);
	}
	if (len > ADMIN_MAX_TOKEN_FIELD) {
		form_kvs_free(&kvs);
		return login_again(r, l->next, "admin.login.wrong", 1);
	}
	auth_sha256_hex(l->token_hash, token, len);
	form_kvs_free(&kvs);
	rc = store_admin_by_token(a->st, l->token_hash, name, sizeof name);
	if (rc < 0)
		return http_send_unavailable(r);
	if (rc == 0)
		return login_again(r, l->next, "admin.login.wrong", 1);
	if (auth_random(raw, sizeof raw) != 0)
		return http_send_unavailable(r);
	auth_hex(l->sid, raw, sizeof raw);
	memset(raw, 0, sizeof raw);
	auth_sha256_hex(l->sid_hash, l->sid, strlen(l->sid));
	if ((old = session_cookie(r)) != NULL)
		auth_sha256_hex(l->old_hash, old, strlen(old));
	l->now = clock_now_ms() / 1000;
	l->idle = a->cfg->admin_session_idle;
	l->pending.item.op = WRITER_TASK;
	l->pending.item.task = login_run;
	l->pending.item.task_arg = l;
	return http_submit(r, a->writer, &l->pending);
}

/* POST /admin/logout: the session ends (in the database, so a copy of the
 * cookie opens nothing either), the cookie is dropped, on to the sign-in
 * page. No gate: an expired session can sign out too; the same-site rule
 * still holds. */
struct logout_state {
	struct http_pending pending; /* first */
	char sid_hash[AUTH_HASH_HEX + 1];
	char name[STORE_ADMIN_NAME_MAX + 1];
	int64_t now;
};

static int logout_run(struct store *st, void *arg, char *err, size_t errlen)
{
	struct logout_state *o = arg;

	return store_admin_session_end(st, o->now, o->sid_hash, o->name, sizeof o->name, err,
				       errlen) == STORE_ADMIN_FAILED ? -1 : 0;
}

enum MHD_Result admin_logout(struct http_req *r)
{
	struct app *a = r->app;
	struct logout_state *o = r->state;
	const char *sid;
	char where[ADMIN_NEXT_MAX + 16];

	snprintf(where, sizeof where, "%s?out=1", routes_path(ROUTE_LOGIN));
	if (o != NULL) {
		if (atomic_load(&o->pending.status) != WRITER_OK)
			return http_send_unavailable(r);
		if (o->name[0] != '\0')
			log_info("admin: %s signed out", o->name);
		return see_other(r, where, 1, NULL);
	}
	if (http_cross_site(r))
		return http_send_error(r, HTTP_FORBIDDEN);
	if ((sid = session_cookie(r)) == NULL)
		return see_other(r, where, 1, NULL);
	o = calloc(1, sizeof *o);
	if (o == NULL)
		return http_send_unavailable(r);
	r->state = o;
	r->state_free = free;
	auth_sha256_hex(o->sid_hash, sid, strlen(sid));
	o->now = clock_now_ms() / 1000;
	o->pending.item.op = WRITER_TASK;
	o->pending.item.task = logout_run;
	o->pending.item.task_arg = o;
	return http_submit(r, a->writer, &o->pending);
}

/* ---- For the other organizers' pages ------------------------------------ */

int admin_is_owner(const struct http_req *r)
{
	return strcasecmp(r->who, STORE_ADMIN_OWNER) == 0;
}

void admin_session_hash(struct http_req *r, char out[AUTH_HASH_HEX + 1])
{
	const char *sid = session_cookie(r);

	out[0] = '\0';
	if (sid != NULL)
		auth_sha256_hex(out, sid, strlen(sid));
}

int admin_flash_put(struct app *a, const char *who, const char *name, const char *token,
		    char handle[33])
{
	struct admin_guard *g = a->guard;
	unsigned char raw[16];
	int64_t now = mono_ms();
	int i, pick = 0;

	if (auth_random(raw, sizeof raw) != 0)
		return -1;
	auth_hex(handle, raw, sizeof raw);
	pthread_mutex_lock(&g->lock);
	/* A free or expired slot, else the one that expires first. */
	for (i = 0; i < ADMIN_FLASH_SLOTS; i++) {
		if (g->flash[i].handle[0] == '\0' || g->flash[i].expires_ms <= now) {
			pick = i;
			break;
		}
		if (g->flash[i].expires_ms < g->flash[pick].expires_ms)
			pick = i;
	}
	memset(&g->flash[pick], 0, sizeof g->flash[pick]);
	snprintf(g->flash[pick].handle, sizeof g->flash[pick].handle, "%s", handle);
	snprintf(g->flash[pick].who, sizeof g->flash[pick].who, "%s", who);
	snprintf(g->flash[pick].name, sizeof g->flash[pick].name, "%s", name);
	snprintf(g->flash[pick].token, sizeof g->flash[pick].token, "%s", token);
	g->flash[pick].expires_ms = now + ADMIN_FLASH_TTL_MS;
	pthread_mutex_unlock(&g->lock);
	return 0;
}

int admin_flash_take(struct app *a, const char *handle, const char *who, char *name,
		     size_t namelen, char *token, size_t tokenlen)
{
	struct admin_guard *g = a->guard;
	int64_t now = mono_ms();
	int i, found = 0;

	if (handle == NULL || strlen(handle) != 32)
		return 0;
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < ADMIN_FLASH_SLOTS; i++) {
		struct flash *f = &g->flash[i];

		if (f->handle[0] == '\0' || !auth_equal(f->handle, handle, 32))
			continue;
		if (strcmp(f->who, who) != 0)
			break; /* someone else's: not shown, not spent */
		if (f->expires_ms > now) {
			snprintf(name, namelen, "%s", f->name);
			snprintf(token, tokenlen, "%s", f->token);
			found = 1;
		}
		/* Shown once. */
		memset(f, 0, sizeof *f);
		break;
	}
	pthread_mutex_unlock(&g->lock);
	return found;
}

static int audit_run(struct store *st, void *arg, char *err, size_t errlen)
{
	struct admin_audit_pending *p = arg;

	return store_audit_add(st, p->at, p->who, p->action, p->detail, err, errlen);
}

enum MHD_Result admin_audit_submit(struct http_req *r, struct admin_audit_pending *p,
				   const char *action, const char *detail)
{
	p->at = clock_now_ms() / 1000;
	snprintf(p->who, sizeof p->who, "%s", r->who);
	snprintf(p->action, sizeof p->action, "%s", action);
	snprintf(p->detail, sizeof p->detail, "%s", detail ? detail : "");
	p->pending.item.op = WRITER_TASK;
	p->pending.item.task = audit_run;
	p->pending.item.task_arg = p;
	return http_submit(r, ((struct app *)r->app)->writer, &p->pending);
}
