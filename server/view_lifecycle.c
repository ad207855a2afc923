/* view_lifecycle.c -- what the pages say about the petition's lifecycle
 * (open, paused, closed, the deadline, the goal reached), and the
 * organizers' settings page. */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "view_int.h"

void view_life_keys(struct view_ctx *c, const struct view_env *env, enum lang lang)
{
	const struct lifecycle *l = env->life;
	enum life_status st = life_status_at(l, clock_now_ms() / 1000);
	int reached = l != NULL && env->count >= l->set.goal;

	view_set(c, "life_status", life_status_name(st));
	view_set(c, "life_open", st == LIFE_OPEN ? "1" : "");
	view_set(c, "life_paused", st == LIFE_PAUSED ? "1" : "");
	view_set(c, "life_closed", st == LIFE_CLOSED ? "1" : "");
	view_set(c, "life_heading",
		 st == LIFE_PAUSED   ? view_message(lang, "life.paused.heading")
		 : st == LIFE_CLOSED ? view_message(lang, "life.closed.heading")
				     : "");
	view_set(c, "life_message",
		 l == NULL || st == LIFE_OPEN
		     ? ""
		     : l->msg_html[st == LIFE_PAUSED ? LIFE_MSG_PAUSED : LIFE_MSG_CLOSED][lang]);
	view_set(c, "life_deadline",
		 l != NULL && st != LIFE_CLOSED && l->closes_on[lang] ? l->closes_on[lang] : "");
	view_set(c, "life_closed_on",
		 l != NULL && st == LIFE_CLOSED && l->closed_on[lang] ? l->closed_on[lang] : "");
	view_set(c, "goal_reached", reached ? l->reached[lang] : "");
	view_set(c, "goal_next",
		 reached && l->next[lang] && env->count < l->set.milestone ? l->next[lang] : "");
}

/* Appends tmpl with "{when}" replaced by t in the zone of l. */
static void with_when(struct buf *out, const struct lifecycle *l, enum lang lang, const char *tmpl,
		      int64_t t)
{
	const char *at = strstr(tmpl, "{when}");

	if (at == NULL) {
		buf_puts(out, tmpl);
		return;
	}
	buf_append(out, tmpl, (size_t)(at - tmpl));
	life_format_when(out, l->tz, lang, t);
	buf_puts(out, at + 6);
}

void view_settings_current(struct view_settings *s, const struct view_env *env, char bufs[3][40])
{
	const struct lifecycle *l = env->life;
	int m, g;

	bufs[0][0] = bufs[1][0] = bufs[2][0] = '\0';
	if (l == NULL)
		return;
	for (m = 0; m < LIFE_NMSG; m++)
		for (g = 0; g < LANG_COUNT; g++)
			s->msg[m][g] = l->set.msg[m][g];
	if (l->set.closes_at > 0)
		tz_format_input(l->tz, l->set.closes_at, bufs[0], 40);
	snprintf(bufs[1], 40, "%ld", l->set.goal);
	if (l->set.milestone > 0)
		snprintf(bufs[2], 40, "%ld", l->set.milestone);
	s->closes_at = bufs[0];
	s->goal = bufs[1];
	s->milestone = bufs[2];
	s->timezone = l->set.tzname;
}

int view_settings(struct buf *out, const struct view_env *env, enum lang lang,
		  const struct view_settings *s)
{
	/* Template keys of the four message boxes, their errors and defaults. */
	static const char *const vkeys[LIFE_NMSG][LANG_COUNT] = {
	    {"s_msg_paused_en", "s_msg_paused_km"}, {"s_msg_closed_en", "s_msg_closed_km"}};
	static const char *const ekeys[LIFE_NMSG][LANG_COUNT] = {
	    {"e_msg_paused_en", "e_msg_paused_km"}, {"e_msg_closed_en", "e_msg_closed_km"}};
	static const char *const dkeys[LIFE_NMSG][LANG_COUNT] = {
	    {"s_def_paused_en", "s_def_paused_km"}, {"s_def_closed_en", "s_def_closed_km"}};
	static const char *const defaults[LIFE_NMSG] = {"life.paused.default",
							"life.closed.default"};
	const struct lifecycle *l = env->life;
	int64_t now = clock_now_ms() / 1000;
	enum life_status st = life_status_at(l, now);
	struct view_ctx c;
	struct buf nav = BUF_INIT, status = BUF_INIT, zone = BUF_INIT, deadline = BUF_INIT;
	char tznow[64] = "", msgmax[16];
	int m, g, errors = 0, rc = -1;

	if (l == NULL)
		return -1;
	view_base(&c, env, lang);
	/* The status in a sentence. */
	if (st == LIFE_OPEN)
		buf_puts(&status, view_message(lang, "admin.settings.status.open"));
	else if (st == LIFE_PAUSED)
		with_when(&status, l, lang, view_message(lang, "admin.settings.status.paused"),
			  l->set.changed_at);
	else
		with_when(&status, l, lang, view_message(lang, "admin.settings.status.closed"),
			  life_closed_time(&l->set));
	view_set(&c, "s_status_text", buf_cstr(&status));
	view_set(&c, "s_is_open", st == LIFE_OPEN ? "1" : "");
	view_set(&c, "s_is_closed", st == LIFE_CLOSED ? "1" : "");
	view_set(&c, "s_deadline_passed",
		 st == LIFE_CLOSED && l->set.state != LIFE_CLOSED ? "1" : "");
	view_set(&c, "s_confirm", s->confirm_close && st != LIFE_CLOSED ? "1" : "");
	view_set(&c, "s_done", s->done_key ? view_message(lang, s->done_key) : "");
	/* The messages. */
	snprintf(msgmax, sizeof msgmax, "%d", LIFE_MSG_MAX_BYTES);
	view_set(&c, "s_msg_max", msgmax);
	for (m = 0; m < LIFE_NMSG; m++) {
		for (g = 0; g < LANG_COUNT; g++) {
			view_set(&c, vkeys[m][g], s->msg[m][g]);
			view_set(&c, ekeys[m][g],
				 s->e_msg[m][g] ? view_message(lang, s->e_msg[m][g]) : "");
			view_set(&c, dkeys[m][g], view_message((enum lang)g, defaults[m]));
			errors |= s->e_msg[m][g] != NULL;
		}
	}
	/* The deadline, in the organizer's zone, labeled. */
	{
		struct tzif_tm tm;
		char off[24];

		tz_local(l->tz, now, &tm);
		tz_offset_label(tm.utoff, off, sizeof off);
		buf_printf(&zone, "%s, %s", tz_name(l->tz), off);
		tz_format(l->tz, now, tznow, sizeof tznow);
	}
	view_set(&c, "s_zone_label", buf_cstr(&zone));
	view_set(&c, "s_tz_now", tznow);
	if (l->set.closes_at > 0)
		buf_puts(&deadline,
			 l->set.closes_at > now ? l->closes_on[lang] : l->closed_on[lang]);
	view_set(&c, "s_deadline_text", buf_cstr(&deadline));
	view_set(&c, "s_has_deadline", l->set.closes_at > 0 ? "1" : "");
	view_set(&c, "s_closes_at", s->closes_at);
	view_set(&c, "e_closes_at", s->e_closes_at ? view_message(lang, s->e_closes_at) : "");
	/* Goal, milestone, time zone. */
	view_set(&c, "s_goal", s->goal);
	view_set(&c, "e_goal", s->e_goal ? view_message(lang, s->e_goal) : "");
	view_set(&c, "s_milestone", s->milestone);
	view_set(&c, "e_milestone", s->e_milestone ? view_message(lang, s->e_milestone) : "");
	view_set(&c, "s_timezone", s->timezone);
	view_set(&c, "e_timezone", s->e_timezone ? view_message(lang, s->e_timezone) : "");
	errors |= s->e_closes_at != NULL || s->e_goal != NULL || s->e_milestone != NULL ||
		  s->e_timezone != NULL;
	view_set(&c, "s_has_errors", errors ? "1" : "");
	if (status.oom || zone.oom || deadline.oom)
		goto out;
	if (view_admin_nav(&c, &nav, "settings", s->who) != 0)
		goto out;
	rc = view_render(out, "assets/admin_settings.html", "title.admin.settings", &c);
out:
	buf_free(&nav);
	buf_free(&status);
	buf_free(&zone);
	buf_free(&deadline);
	return rc;
}
