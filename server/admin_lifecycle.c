/* admin_lifecycle.c -- the petition's lifecycle: the snapshot every page
 * reads (loaded at start, replaced by each change), and /admin/settings,
 * where organizers open, pause and close signing, write the messages shown
 * meanwhile, set the deadline, the goal with its next milestone, and the
 * time zone.
 *
 * Every change goes through the writer as one task: the settings and the
 * audit line commit together, then the task publishes the new snapshot and
 * bumps app->generation, so the cached pages re-render at once. Tasks run
 * one at a time in the writer thread, each on top of the snapshot the
 * previous one published, so two organizers' changes never undo each
 * other. Answers follow POST/redirect/GET: 303 to /admin/settings?done=...;
 * a form with errors is shown again (422) with nothing saved. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "form.h"
#include "hdr.h"
#include "log.h"

/* Longest accepted values, in bytes (the body itself is capped by the HTTP
 * layer at HTTP_MAX_BODY_BYTES: 413 beyond). */
#define SETTINGS_MAX_ACTION   32
#define SETTINGS_MAX_NUMBER   16
#define SETTINGS_MAX_DATETIME 32

/* The message boxes' form names. */
static const char *const msg_fields[LIFE_NMSG][LANG_COUNT] = {
    [LIFE_MSG_PAUSED] = {[LANG_EN] = "msg_paused_en", [LANG_KM] = "msg_paused_km"},
    [LIFE_MSG_CLOSED] = {[LANG_EN] = "msg_closed_en", [LANG_KM] = "msg_closed_km"},
};

/* The results a redirect may name (?done=...), and their sentences: a
 * query parameter never carries text of its own. */
static const struct {
	const char *done;
	const char *key;
} results[] = {
    {"pause", "admin.settings.done.pause"},
    {"close", "admin.settings.done.close"},
    {"open", "admin.settings.done.open"},
    {"messages", "admin.settings.done.messages"},
    {"deadline", "admin.settings.done.deadline"},
    {"deadline_clear", "admin.settings.done.deadline_clear"},
    {"goal", "admin.settings.done.goal"},
    {"timezone", "admin.settings.done.timezone"},
};

int admin_life_reload(struct app *a, char *err, size_t errlen)
{
	struct life_settings s;
	struct lifecycle *l;
	struct tz *tz;
	char why[256];

	memset(&s, 0, sizeof s);
	s.state = LIFE_OPEN;
	s.goal = a->cfg->goal;
	snprintf(s.tzname, sizeof s.tzname, "%s", TZ_DEFAULT);
	if (store_life_load(a->st, &s, err, errlen) != 0) {
		life_settings_free(&s);
		return -1;
	}
	tz = tz_load(s.tzname, why, sizeof why);
	if (tz == NULL) {
		/* The zone vanished (tzdata removed or changed): dates are shown in
		 * the default zone until an organizer chooses again. */
		log_warn("time zone %s: %s; showing dates in %s", s.tzname, why, TZ_DEFAULT);
		tz = tz_load(TZ_DEFAULT, why, sizeof why);
	}
	if (a->life == NULL && s.goal_stored && s.goal != a->cfg->goal &&
	    a->cfg->goal != CONFIG_DEFAULT_GOAL)
		log_info("goal: %ld, as saved on the settings page (it overrides --goal %ld)",
			 s.goal, a->cfg->goal);
	l = life_build(&s, tz, err, errlen);
	life_settings_free(&s);
	if (l == NULL)
		return -1;
	if (a->life != NULL) {
		life_slot_publish(a->life, l);
		return 0;
	}
	if ((a->life = life_slot_new(l)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int admin_life_init(struct app *a, char *err, size_t errlen)
{
	a->life = NULL;
	return admin_life_reload(a, err, errlen);
}

void admin_life_free(struct app *a)
{
	life_slot_free(a->life);
	a->life = NULL;
}

/* ---- The page -------------------------------------------------------------- */

static enum MHD_Result settings_page(struct http_req *r, unsigned status,
				     const struct view_settings *vs)
{
	struct app *a = r->app;
	struct view_env env;
	struct buf b = BUF_INIT;

	app_env(a, &env, ROUTE_SETTINGS);
	if (view_settings(&b, &env, r->lang, vs) != 0) {
		buf_free(&b);
		return http_send_error(r, HTTP_INTERNAL_ERROR);
	}
	return http_send_buf(r, status, "text/html; charset=utf-8", &b);
}

enum MHD_Result admin_settings(struct http_req *r)
{
	struct app *a = r->app;
	struct view_settings vs;
	struct view_env env;
	char bufs[3][40];
	const char *done = http_query(r, "done"), *confirm = http_query(r, "confirm");
	size_t i;

	memset(&vs, 0, sizeof vs);
	vs.who = r->who;
	for (i = 0; done != NULL && i < sizeof results / sizeof results[0]; i++)
		if (strcmp(done, results[i].done) == 0)
			vs.done_key = results[i].key;
	vs.confirm_close = confirm != NULL && strcmp(confirm, "close") == 0;
	app_env(a, &env, ROUTE_SETTINGS);
	view_settings_current(&vs, &env, bufs);
	return settings_page(r, HTTP_OK, &vs);
}

/* ---- Changes ------------------------------------------------------------ */

/* One change, from the POST to the writer task and back. */
struct settings_state {
	struct http_pending pending; /* first */
	struct app *app;
	char who[64];
	int64_t now;        /* Unix seconds */
	const char *action; /* the audit line's action */
	const char *done;   /* the redirect's ?done= (NULL: ?confirm=close) */
	char detail[160];   /* the audit line's detail: never a signer's data */
	unsigned fields;    /* STORE_LIFE_* */
	enum life_status state;
	unsigned msgs; /* which messages (1 << LIFE_MSG_x) */
	char *msg[LIFE_NMSG][LANG_COUNT];
	int64_t closes_at;
	long goal, milestone;
	struct tz *tz; /* the new zone (STORE_LIFE_TIMEZONE) */
};

static void state_free(void *p)
{
	struct settings_state *s = p;
	int m, g;

	if (s == NULL)
		return;
	for (m = 0; m < LIFE_NMSG; m++)
		for (g = 0; g < LANG_COUNT; g++)
			free(s->msg[m][g]);
	tz_free(s->tz);
	free(s);
}

/* The writer task: the new settings on top of the current snapshot, stored
 * with the audit line in one transaction, then published. Writer thread. */
static int settings_task(struct store *st, void *arg, char *err, size_t errlen)
{
	struct settings_state *s = arg;
	struct app *a = s->app;
	const struct lifecycle *cur = app_life(a);
	struct life_settings ns;
	struct lifecycle *next;
	struct tz *tz;
	int m, g;

	if (life_settings_copy(&ns, &cur->set) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (s->fields & STORE_LIFE_STATE) {
		if (ns.state != s->state)
			ns.changed_at = s->now;
		ns.state = s->state;
	}
	for (m = 0; m < LIFE_NMSG; m++) {
		if (!(s->msgs & (1u << m)))
			continue;
		for (g = 0; g < LANG_COUNT; g++) {
			if (life_settings_set_msg(&ns, (enum life_msg)m, (enum lang)g,
						  s->msg[m][g]) != 0) {
				life_settings_free(&ns);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	if (s->fields & STORE_LIFE_DEADLINE)
		ns.closes_at = s->closes_at;
	if (s->fields & STORE_LIFE_GOAL) {
		ns.goal = s->goal;
		ns.milestone = s->milestone;
		ns.goal_stored = 1;
	}
	if (s->fields & STORE_LIFE_TIMEZONE)
		snprintf(ns.tzname, sizeof ns.tzname, "%s", tz_name(s->tz));
	tz = tz_clone(s->fields & STORE_LIFE_TIMEZONE ? s->tz : cur->tz);
	next = life_build(&ns, tz, err, errlen);
	if (next == NULL) {
		life_settings_free(&ns);
		return -1;
	}
	if (store_life_save(st, &ns, s->fields, s->now, s->who, s->action, s->detail, err,
			    errlen) != 0) {
		life_settings_free(&ns);
		life_free(next);
		return -1;
	}
	life_settings_free(&ns);
	life_slot_publish(a->life, next);
	app_changed(a);
	return 0;
}

/* The value of key, or NULL when absent; *len its length. A value with a
 * NUL byte in it counts as malformed: *bad set. */
static const char *field(const struct form_kvs *kvs, const char *key, size_t *len, int *bad)
{
	size_t n = 0;
	const char *v = form_get(kvs, key, &n);

	if (v != NULL && memchr(v, '\0', n) != NULL)
		*bad = 1;
	*len = n;
	return v;
}

/* A whole number in [lo, hi] written in decimal digits. Returns 0 or -1. */
static int parse_count(const char *v, size_t len, long lo, long hi, long *out)
{
	long n = 0;
	size_t i;

	if (v == NULL || len == 0 || len > SETTINGS_MAX_NUMBER)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (n > (hi - (v[i] - '0')) / 10)
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	if (n < lo)
		return -1;
	*out = n;
	return 0;
}

/* "YYYY-MM-DDTHH:MM[:SS]" (an HTML datetime-local value; a space may stand
 * for the T), read in the zone tz. Returns 0 or -1. */
static int parse_local(const struct tz *tz, const char *v, size_t len, int64_t *out)
{
	int y, mo, d, h, mi, s = 0, n = 0;
	char text[SETTINGS_MAX_DATETIME + 1], sep;

	if (v == NULL || len < 16 || len > SETTINGS_MAX_DATETIME)
		return -1;
	memcpy(text, v, len);
	text[len] = '\0';
	if (sscanf(text, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &n) != 6 ||
	    n != 16 || (sep != 'T' && sep != ' '))
		return -1;
	if (text[16] == ':') {
		int m2 = 0;

		if (sscanf(text + 16, ":%2d%n", &s, &m2) != 1 || m2 != 3)
			return -1;
		n += m2;
		/* Browsers may add fractions of a second: ignore them. */
		if (text[n] == '.') {
			n++;
			while (text[n] >= '0' && text[n] <= '9')
				n++;
		}
	}
	if ((size_t)n != len)
		return -1;
	return tz_from_local(tz, y, mo, d, h, mi, s, out);
}

/* The form again (422), values as posted, errors marked; nothing saved. */
static enum MHD_Result refuse(struct http_req *r, struct view_settings *vs)
{
	return settings_page(r, HTTP_UNPROCESSABLE, vs);
}

/* Reads the two boxes of message m into s (taken as a change when either
 * is present). Marks errors in vs. Returns 0, 1 (an error), -1 (memory). */
static int read_msgs(const struct form_kvs *kvs, enum life_msg m, struct settings_state *s,
		     struct view_settings *vs)
{
	int g, bad = 0, err = 0, any = 0;

	for (g = 0; g < LANG_COUNT; g++) {
		size_t len = 0;
		const char *v = field(kvs, msg_fields[m][g], &len, &bad);

		if (v == NULL)
			continue;
		any = 1;
		vs->msg[m][g] = v;
		if (bad || life_msg_ok(v, len) != 0) {
			vs->e_msg[m][g] = "admin.settings.err.message";
			err = 1;
			bad = 0;
			continue;
		}
		if (len > 0 && (s->msg[m][g] = strdup(v)) == NULL)
			return -1;
	}
	if (any) {
		s->msgs |= 1u << m;
		s->fields |= STORE_LIFE_MSGS;
	}
	return err;
}

/* 1 when the posted messages of m differ from those of the snapshot. */
static int msgs_changed(const struct settings_state *s, const struct lifecycle *l, enum life_msg m)
{
	int g;

	if (!(s->msgs & (1u << m)))
		return 0;
	for (g = 0; g < LANG_COUNT; g++) {
		const char *a = s->msg[m][g] ? s->msg[m][g] : "";
		const char *b = l->set.msg[m][g] ? l->set.msg[m][g] : "";

		if (strcmp(a, b) != 0)
			return 1;
	}
	return 0;
}

static enum MHD_Result redirect(struct http_req *r, const char *done)
{
	char loc[128];

	if (done != NULL)
		snprintf(loc, sizeof loc, "%s?done=%s", routes_path(ROUTE_SETTINGS), done);
	else
		snprintf(loc, sizeof loc, "%s?confirm=close", routes_path(ROUTE_SETTINGS));
	return http_redirect(r, HTTP_SEE_OTHER, loc);
}

enum MHD_Result admin_settings_post(struct http_req *r)
{
	struct app *a = r->app;
	struct settings_state *s = r->state;
	const struct lifecycle *l = app_life(a);
	struct view_settings vs;
	struct view_env env;
	struct form_kvs kvs;
	char bufs[3][40];
	const char *action, *v;
	size_t len = 0;
	int bad = 0, rc;
	enum MHD_Result ret;

	if (s != NULL) {
		/* Called again once the writer committed (or failed). */
		if (atomic_load(&s->pending.status) != WRITER_OK)
			return http_send_unavailable(r);
		return redirect(r, s->done);
	}
	if (!hdr_is_form_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return http_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE);
	if (r->body_too_large)
		return http_send_error(r, HTTP_PAYLOAD_TOO_LARGE);
	if (l == NULL)
		return http_send_unavailable(r);
	if (form_decode(r->body.data ? r->body.data : "", r->body.len, &kvs) != 0)
		return http_send_error(r, HTTP_PAYLOAD_TOO_LARGE);
	s = calloc(1, sizeof *s);
	if (s == NULL) {
		form_kvs_free(&kvs);
		return http_send_unavailable(r);
	}
	r->state = s;
	r->state_free = state_free;
	s->app = a;
	s->now = clock_now_ms() / 1000;
	snprintf(s->who, sizeof s->who, "%s", r->who);
	memset(&vs, 0, sizeof vs);
	vs.who = r->who;
	app_env(a, &env, ROUTE_SETTINGS);
	view_settings_current(&vs, &env, bufs);

	action = field(&kvs, "action", &len, &bad);
	if (action == NULL || bad || len > SETTINGS_MAX_ACTION) {
		ret = http_send_error(r, HTTP_BAD_REQUEST);
		goto out;
	}
	if (strcmp(action, "pause") == 0 || strcmp(action, "msg_paused") == 0) {
		int pause = action[0] == 'p';

		if ((rc = read_msgs(&kvs, LIFE_MSG_PAUSED, s, &vs)) != 0) {
			ret = rc < 0 ? http_send_unavailable(r) : refuse(r, &vs);
			goto out;
		}
		if (pause) {
			s->fields |= STORE_LIFE_STATE;
			s->state = LIFE_PAUSED;
			s->action = "pause";
			s->done = "pause";
		} else {
			if (!(s->fields & STORE_LIFE_MSGS)) {
				ret = http_send_error(r, HTTP_BAD_REQUEST);
				goto out;
			}
			s->action = "messages";
			s->done = "messages";
			snprintf(s->detail, sizeof s->detail, "paused message");
		}
	} else if (strcmp(action, "close") == 0 || strcmp(action, "msg_closed") == 0) {
		int close = action[0] == 'c';
		const char *confirm = field(&kvs, "confirm", &len, &bad);

		if ((rc = read_msgs(&kvs, LIFE_MSG_CLOSED, s, &vs)) != 0) {
			ret = rc < 0 ? http_send_unavailable(r) : refuse(r, &vs);
			goto out;
		}
		if (close && confirm != NULL && strcmp(confirm, "1") == 0) {
			s->fields |= STORE_LIFE_STATE;
			s->state = LIFE_CLOSED;
			s->action = "close";
			s->done = "close";
		} else if (close) {
			/* The confirmation step comes first; the messages typed
			 * with the request are kept meanwhile (a change of its
			 * own, audited as such). */
			s->done = NULL;
			if (!msgs_changed(s, l, LIFE_MSG_CLOSED)) {
				ret = redirect(r, NULL);
				goto out;
			}
			s->action = "messages";
			snprintf(s->detail, sizeof s->detail, "closed message");
		} else {
			if (!(s->fields & STORE_LIFE_MSGS)) {
				ret = http_send_error(r, HTTP_BAD_REQUEST);
				goto out;
			}
			s->action = "messages";
			s->done = "messages";
			snprintf(s->detail, sizeof s->detail, "closed message");
		}
	} else if (strcmp(action, "open") == 0) {
		s->fields |= STORE_LIFE_STATE;
		s->state = LIFE_OPEN;
		s->action = "open";
		s->done = "open";
		/* A deadline that has passed would keep it closed: reopening
		 * removes it (the page says so). */
		if (l->set.closes_at > 0 && l->set.closes_at <= s->now) {
			s->fields |= STORE_LIFE_DEADLINE;
			s->closes_at = 0;
			snprintf(s->detail, sizeof s->detail, "passed deadline removed");
		}
	} else if (strcmp(action, "deadline") == 0) {
		v = field(&kvs, "closes_at", &len, &bad);
		vs.closes_at = v && !bad && len <= SETTINGS_MAX_DATETIME ? v : "";
		if (v == NULL || bad || parse_local(l->tz, v, len, &s->closes_at) != 0) {
			vs.e_closes_at = "admin.settings.err.closes_at";
			ret = refuse(r, &vs);
			goto out;
		}
		if (s->closes_at <= s->now) {
			vs.e_closes_at = "admin.settings.err.closes_at_past";
			ret = refuse(r, &vs);
			goto out;
		}
		s->fields |= STORE_LIFE_DEADLINE;
		s->action = "deadline";
		s->done = "deadline";
		tz_format_utc(s->closes_at, s->detail, sizeof s->detail);
	} else if (strcmp(action, "deadline_clear") == 0) {
		s->fields |= STORE_LIFE_DEADLINE;
		s->closes_at = 0;
		s->action = "deadline";
		s->done = "deadline_clear";
		snprintf(s->detail, sizeof s->detail, "removed");
	} else if (strcmp(action, "goal") == 0) {
		const char *m;
		size_t mlen = 0;

		v = field(&kvs, "goal", &len, &bad);
		m = field(&kvs, "milestone", &mlen, &bad);
		vs.goal = v && !bad && len <= SETTINGS_MAX_NUMBER ? v : "";
		vs.milestone = m && !bad && mlen <= SETTINGS_MAX_NUMBER ? m : "";
		if (bad || parse_count(v, len, 1, LIFE_GOAL_MAX, &s->goal) != 0)
			vs.e_goal = "admin.settings.err.goal";
		s->milestone = 0;
		if (m != NULL && mlen > 0 &&
		    (bad || parse_count(m, mlen, 1, LIFE_GOAL_MAX, &s->milestone) != 0 ||
		     (vs.e_goal == NULL && s->milestone <= s->goal)))
			vs.e_milestone = "admin.settings.err.milestone";
		if (vs.e_goal || vs.e_milestone) {
			ret = refuse(r, &vs);
			goto out;
		}
		s->fields |= STORE_LIFE_GOAL;
		s->action = "goal";
		s->done = "goal";
		if (s->milestone > 0)
			snprintf(s->detail, sizeof s->detail, "goal %ld, next milestone %ld",
				 s->goal, s->milestone);
		else
			snprintf(s->detail, sizeof s->detail, "goal %ld", s->goal);
	} else if (strcmp(action, "timezone") == 0) {
		char why[256], name[TZ_NAME_MAX + 1];

		v = field(&kvs, "timezone", &len, &bad);
		vs.timezone = v && !bad && len <= TZ_NAME_MAX ? v : "";
		if (v != NULL && !bad && len <= TZ_NAME_MAX) {
			memcpy(name, v, len);
			name[len] = '\0';
			s->tz = tz_load(name, why, sizeof why);
		}
		if (s->tz == NULL) {
			vs.e_timezone = "admin.settings.err.timezone";
			ret = refuse(r, &vs);
			goto out;
		}
		s->fields |= STORE_LIFE_TIMEZONE;
		s->action = "timezone";
		s->done = "timezone";
		snprintf(s->detail, sizeof s->detail, "%s", tz_name(s->tz));
	} else {
		ret = http_send_error(r, HTTP_BAD_REQUEST);
		goto out;
	}
	form_kvs_free(&kvs);
	s->pending.item.op = WRITER_TASK;
	s->pending.item.task = settings_task;
	s->pending.item.task_arg = s;
	return http_submit(r, a->writer, &s->pending);
out:
	form_kvs_free(&kvs);
	return ret;
}
