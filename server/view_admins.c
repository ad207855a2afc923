/* view_admins.c -- the admins area's pages: the sign-in form, the
 * organizers' accounts, the audit trail.
 *
 * Everything that comes from the database (names, actions, details) is
 * escaped here; the templates get it as trusted HTML only after that. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "html.h"
#include "tz.h"
#include "view_int.h"

/* "2026-12-02 14:30 UTC+07:00": t in the organizers' time zone (the
 * lifecycle's), labeled; "2026-12-02 07:30 UTC" without one. */
static void fmt_time(const struct view_env *env, char *out, size_t len, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0) {
		snprintf(out, len, "-");
		return;
	}
	if (env->life != NULL && env->life->tz != NULL) {
		tz_format(env->life->tz, t, out, len);
		return;
	}
	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(out, len, "-");
	else
		strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm);
}

static void esc(struct buf *b, const char *s)
{
	html_escape(b, s ? s : "", s ? strlen(s) : 0);
}

/* "12 hours", "30 minutes", "45 seconds": how long a session lasts unused. */
static void fmt_duration(char *out, size_t len, enum lang lang, long s)
{
	if (s >= 3600 && s % 3600 == 0)
		snprintf(out, len, "%ld %s", s / 3600, view_message(lang, "admin.unit.hours"));
	else if (s >= 60 && s % 60 == 0)
		snprintf(out, len, "%ld %s", s / 60, view_message(lang, "admin.unit.minutes"));
	else
		snprintf(out, len, "%ld %s", s, view_message(lang, "admin.unit.seconds"));
}

int view_login(struct buf *out, const struct view_env *env, enum lang lang,
	       const struct view_login *l)
{
	struct view_ctx c;
	char idle[64];

	view_base(&c, env, lang);
	fmt_duration(idle, sizeof idle, lang, l->idle_s);
	view_set(&c, "login_next", l->next ? l->next : "");
	view_set(&c, "login_notice", l->notice ? view_message(lang, l->notice) : "");
	view_set(&c, "login_error", l->error ? view_message(lang, l->error) : "");
	view_set(&c, "login_idle", idle);
	return view_render(out, "assets/admin_login.html", "title.admin.login", &c);
}

/* ---- /admin/admins ------------------------------------------------------ */

struct rows_ctx {
	const struct view_env *env;
	struct buf *b;
	const char *path; /* this page's */
	enum lang lang;
	const char *who;
	int owner;
};

static void action_link(struct buf *b, const char *path, enum lang lang, const char *action,
			const char *name, const char *label_key, const char *aria_key)
{
	buf_puts(b, "<a class=\"btn\" href=\"");
	esc(b, path);
	buf_printf(b, "?confirm=%s&amp;name=", action);
	url_encode(b, name, strlen(name));
	/* The accessible name begins with the visible text (WCAG 2.5.3),
	 * then says whose: "Replace token: sokha". */
	(void)aria_key;
	buf_puts(b, "\" aria-label=\"");
	esc(b, view_message(lang, label_key));
	buf_puts(b, ": ");
	esc(b, name);
	buf_puts(b, "\">");
	esc(b, view_message(lang, label_key));
	buf_puts(b, "</a> ");
}

static void account_row(void *ctx, const struct store_admin *a)
{
	struct rows_ctx *x = ctx;
	struct buf *b = x->b;
	char created[48], last[48], revoked[48];
	int self = x->who != NULL && strcasecmp(a->name, x->who) == 0;

	fmt_time(x->env, created, sizeof created, a->created_at);
	fmt_time(x->env, last, sizeof last, a->last_sign_in);
	fmt_time(x->env, revoked, sizeof revoked, a->revoked_at);
	buf_puts(b, "<tr><th scope=\"row\">");
	esc(b, a->name);
	if (self) {
		buf_puts(b, " <span class=\"opt\">");
		esc(b, view_message(x->lang, "admin.admins.you"));
		buf_puts(b, "</span>");
	}
	buf_puts(b, "</th><td>");
	esc(b, created);
	buf_puts(b, "</td><td>");
	if (a->last_sign_in > 0)
		esc(b, last);
	else
		esc(b, view_message(x->lang, "admin.admins.never"));
	buf_puts(b, "</td><td>");
	if (a->revoked_at > 0) {
		esc(b, view_message(x->lang, "admin.admins.revoked"));
		buf_puts(b, " ");
		esc(b, revoked);
	} else {
		esc(b, view_message(x->lang, "admin.admins.active"));
	}
	buf_puts(b, "</td><td>");
	if (a->revoked_at == 0 && (x->owner || self))
		action_link(b, x->path, x->lang, "rotate", a->name, "admin.admins.rotate",
			    "admin.admins.rotate.of");
	if (a->revoked_at == 0 && x->owner && strcasecmp(a->name, STORE_ADMIN_OWNER) != 0)
		action_link(b, x->path, x->lang, "revoke", a->name, "admin.admins.revoke",
			    "admin.admins.revoke.of");
	buf_puts(b, "</td></tr>\n");
}

int view_admins(struct buf *out, const struct view_env *env, enum lang lang,
		const struct view_admins *v)
{
	struct view_ctx c;
	struct buf rows = BUF_INIT, nav = BUF_INIT;
	struct rows_ctx x = { env, &rows, env->path ? env->path : "", lang, v->who, v->owner };
	int rc = 0, revoke = v->confirm && strcmp(v->confirm, "revoke") == 0;

	view_base(&c, env, lang);
	if (env->st != NULL && store_admin_list(env->st, account_row, &x) != 0)
		rc = -1;
	view_set(&c, "adm_rows", buf_cstr(&rows));
	view_set(&c, "adm_owner", v->owner ? "1" : "");
	view_set(&c, "adm_message", v->message ? view_message(lang, v->message) : "");
	view_set(&c, "adm_error", v->error ? view_message(lang, v->error) : "");
	view_set(&c, "adm_add_name", v->add_name ? v->add_name : "");
	view_set(&c, "adm_token", v->token ? v->token : "");
	view_set(&c, "adm_token_name", v->token_name ? v->token_name : "");
	view_set(&c, "adm_confirm", v->confirm ? v->confirm : "");
	view_set(&c, "adm_confirm_name", v->confirm_name ? v->confirm_name : "");
	view_set(&c, "adm_confirm_heading",
		 view_message(lang, revoke ? "admin.admins.confirm.revoke.heading"
					   : "admin.admins.confirm.rotate.heading"));
	view_set(&c, "adm_confirm_text",
		 view_message(lang, revoke ? "admin.admins.confirm.revoke.text"
					   : "admin.admins.confirm.rotate.text"));
	view_set(&c, "adm_confirm_yes",
		 view_message(lang, revoke ? "admin.admins.confirm.revoke.yes"
					   : "admin.admins.confirm.rotate.yes"));
	if (rc == 0)
		rc = view_admin_nav(&c, &nav, "admins", v->who);
	if (rc == 0)
		rc = view_render(out, "assets/admin_admins.html", "title.admin.admins", &c);
	buf_free(&nav);
	buf_free(&rows);
	return rc;
}

/* ---- /admin/audit ------------------------------------------------------- */

struct audit_ctx {
	const struct view_env *env;
	struct buf *b;
	enum lang lang;
	int n;
	int64_t last_id;
};

static void audit_row(void *ctx, const struct store_audit_row *row)
{
	struct audit_ctx *x = ctx;
	struct buf *b = x->b;
	char when[48], key[80];
	const char *label;

	/* One more than a page is read: it only tells there are older lines. */
	if (++x->n > VIEW_AUDIT_PAGE)
		return;
	x->last_id = row->id;
	fmt_time(x->env, when, sizeof when, row->at);
	buf_puts(b, "<tr><td>");
	esc(b, when);
	buf_puts(b, "</td><td>");
	esc(b, row->admin);
	buf_puts(b, "</td><td>");
	/* A known action in words, any other as it is stored. */
	snprintf(key, sizeof key, "audit.action.%s", row->action ? row->action : "");
	label = i18n_get(x->lang, key, strlen(key));
	esc(b, label ? label : row->action);
	buf_puts(b, "</td><td>");
	esc(b, row->detail);
	buf_puts(b, "</td></tr>\n");
}

int view_audit(struct buf *out, const struct view_env *env, enum lang lang, const char *who,
	       int64_t before)
{
	struct view_ctx c;
	struct buf rows = BUF_INIT, nav = BUF_INIT;
	struct audit_ctx x = { env, &rows, lang, 0, 0 };
	char older[24];
	int rc = 0;

	view_base(&c, env, lang);
	if (env->st != NULL &&
	    store_audit_list(env->st, before, VIEW_AUDIT_PAGE + 1, audit_row, &x) != 0)
		rc = -1;
	older[0] = '\0';
	if (x.n > VIEW_AUDIT_PAGE)
		snprintf(older, sizeof older, "%lld", (long long)x.last_id);
	view_set(&c, "aud_rows", buf_cstr(&rows));
	view_set(&c, "aud_older", older);
	view_set(&c, "aud_newest", before > 0 ? "1" : "");
	if (rc == 0)
		rc = view_admin_nav(&c, &nav, "audit", who);
	if (rc == 0)
		rc = view_render(out, "assets/admin_audit.html", "title.admin.audit", &c);
	buf_free(&nav);
	buf_free(&rows);
	return rc;
}
