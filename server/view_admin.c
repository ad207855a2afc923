/* view_admin.c -- the organizers' dashboard: the figures, and four charts
 * (per hour for the last 48 hours, per day since the launch, the total
 * with the goal line, the top countries) drawn as SVG from the aggregates
 * (store_charts.c), each with its numbers as a table. Times are in the
 * organizer's zone (the lifecycle snapshot), labeled. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "clock.h"
#include "countries.h"
#include "html.h"
#include "tz.h"
#include "view_int.h"

/* The bars of the top-countries chart before "other countries". */
#define VIEW_TOP_COUNTRIES 10
/* The per-day chart covers at most this many days (ten years). */
#define VIEW_MAX_DAYS 3660
#define HOURS_SHOWN 48

int view_admin_nav(struct view_ctx *c, struct buf *nav, const char *current, const char *who)
{
	/* The section names and their template keys (view_set keeps the key
	 * pointer, so they are static). */
	static const char *const sections[][2] = {
		{ "dashboard", "nav_dashboard" }, { "content", "nav_content" },
		{ "signatures", "nav_signatures" }, { "settings", "nav_settings" },
		{ "admins", "nav_admins" },       { "audit", "nav_audit" },
		{ "paper", "nav_paper" },
	};
	size_t i;

	for (i = 0; i < sizeof sections / sizeof sections[0]; i++)
		view_set(c, sections[i][1],
			 current && strcmp(current, sections[i][0]) == 0 ? "1" : "");
	view_set(c, "admin_who", who ? who : "");
	buf_reset(nav);
	if (view_render_alone(nav, "assets/admin_nav.html", c) != 0)
		return -1;
	view_set(c, "admin_nav", buf_cstr(nav));
	return 0;
}

/* ---- The data ---------------------------------------------------------- */

/* The quarter hours with signatures, oldest first. */
struct slots {
	int64_t *t, *n;
	size_t len, cap;
	int oom;
};

static void slot_cb(void *ctx, int64_t t, int64_t n)
{
	struct slots *s = ctx;

	if (s->oom)
		return;
	if (s->len == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		int64_t *t2 = realloc(s->t, cap * sizeof *t2), *n2;

		if (t2 == NULL) {
			s->oom = 1;
			return;
		}
		s->t = t2;
		n2 = realloc(s->n, cap * sizeof *n2);
		if (n2 == NULL) {
			s->oom = 1;
			return;
		}
		s->n = n2;
		s->cap = cap;
	}
	s->t[s->len] = t;
	s->n[s->len++] = n;
}

/* Sum of the slots in [from, to); *i walks forward (calls in time order). */
static int64_t slots_sum(const struct slots *s, size_t *i, int64_t from, int64_t to)
{
	int64_t sum = 0;

	while (*i < s->len && s->t[*i] < from)
		(*i)++;
	while (*i < s->len && s->t[*i] < to)
		sum += s->n[(*i)++];
	return sum;
}

struct countries_acc {
	int64_t n[VIEW_TOP_COUNTRIES + 1];
	char code[VIEW_TOP_COUNTRIES][3];
	size_t len;
	int64_t other;
	int has_other;
};

static void country_cb(void *ctx, const char *cc, int64_t n)
{
	struct countries_acc *a = ctx;

	if (a->len < VIEW_TOP_COUNTRIES && cc != NULL && strlen(cc) == 2) {
		memcpy(a->code[a->len], cc, 3);
		a->n[a->len++] = n;
	} else {
		a->other += n;
		a->has_other = 1;
	}
}

/* Days from 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t local_day(const struct tz *z, int64_t t)
{
	struct tzif_tm tm;

	tz_local(z, t, &tm);
	return days_from_civil(tm.year, tm.mon, tm.mday);
}

/* The Unix time of local midnight starting day (days since the epoch). */
static int64_t day_start(const struct tz *z, int64_t day)
{
	int64_t y, t;
	int m, d;

	civil_from_days(day, &y, &m, &d);
	if (tz_from_local(z, y, m, d, 0, 0, 0, &t) != 0)
		t = day * 86400;
	return t;
}

/* The zone used when there is no lifecycle snapshot: UTC, built in. */
static pthread_once_t utc_once = PTHREAD_ONCE_INIT;
static struct tz *utc_zone;

static void utc_load(void)
{
	char err[128];

	utc_zone = tz_load("UTC", err, sizeof err);
}

/* ---- The page ---------------------------------------------------------- */

/* Appends view_message(key) with "{name}" replaced by val (escaped). */
static void put_msg(struct buf *b, enum lang lang, const char *key, const char *name,
		    const char *val)
{
	const char *m = view_message(lang, key), *p = name ? strstr(m, name) : NULL;

	if (p == NULL) {
		html_escape(b, m, strlen(m));
		return;
	}
	html_escape(b, m, (size_t)(p - m));
	html_escape(b, val, strlen(val));
	p += strlen(name);
	html_escape(b, p, strlen(p));
}

/* One chart as a figure: heading, zone note, drawing, the table. rows[i]
 * are the table's first column (plain text), c->values the second, and
 * totals (or NULL) a third. */
static void figure(struct buf *b, enum lang lang, const char *id, const char *head_key,
		   const char *zone, int kind, const struct chart *c, const char *const *rows,
		   const char *col1_key, const int64_t *totals)
{
	size_t i;
	char num[40];

	buf_printf(b, "<figure class=\"chart-fig\" id=\"chart-%s\" aria-labelledby=\"chart-%s-h\">"
		   "<figcaption><h3 id=\"chart-%s-h\">", id, id, id);
	put_msg(b, lang, head_key, NULL, NULL);
	buf_puts(b, "</h3>");
	if (zone != NULL) {
		buf_puts(b, "<p class=\"chart-zone\">");
		put_msg(b, lang, "admin.chart.zone", "{zone}", zone);
		buf_puts(b, "</p>");
	}
	/* On a phone the chart scrolls sideways: the region takes the focus
	 * so a keyboard can scroll it too. */
	buf_printf(b, "</figcaption><div class=\"chart-wrap\" tabindex=\"0\" role=\"group\""
		      " aria-labelledby=\"chart-%s-h\">", id);
	if (kind == 0)
		chart_columns(b, c);
	else if (kind == 1)
		chart_line(b, c);
	else
		chart_hbars(b, c);
	buf_printf(b, "</div><details><summary>");
	put_msg(b, lang, "admin.chart.table", NULL, NULL);
	buf_printf(b, "</summary><div class=\"table-wrap\"><table id=\"table-%s\"><thead><tr>"
		   "<th scope=\"col\">", id);
	put_msg(b, lang, col1_key, NULL, NULL);
	buf_puts(b, "</th><th scope=\"col\">");
	put_msg(b, lang, "admin.daily.count", NULL, NULL);
	if (totals != NULL) {
		buf_puts(b, "</th><th scope=\"col\">");
		put_msg(b, lang, "admin.chart.col.total", NULL, NULL);
	}
	buf_puts(b, "</th></tr></thead><tbody>");
	for (i = 0; i < c->n; i++) {
		buf_puts(b, "<tr><th scope=\"row\">");
		html_escape(b, rows[i], strlen(rows[i]));
		chart_format(num, sizeof num, c->values[i]);
		buf_printf(b, "</th><td data-value=\"%lld\">%s</td>", (long long)c->values[i], num);
		if (totals != NULL) {
			chart_format(num, sizeof num, totals[i]);
			buf_printf(b, "<td data-value=\"%lld\">%s</td>", (long long)totals[i], num);
		}
		buf_puts(b, "</tr>");
	}
	buf_puts(b, "</tbody></table></div></details></figure>");
}

static const char *const month_en[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* The four charts into b; the figures for 24 hours and 7 days into the
 * out parameters. Returns 0 or -1. */
static int charts(struct buf *b, const struct view_env *env, enum lang lang, int64_t now,
		  int64_t *last24, int64_t *last7)
{
	const struct tz *z = env->life && env->life->tz ? env->life->tz : NULL;
	struct slots s = { 0 };
	struct countries_acc ca;
	struct tzif_tm tm;
	char city[80], off[32], zone[128];
	int64_t hv[HOURS_SHOWN], h0, first_day, last_day, nd, d, *dv = NULL, *cum = NULL, run = 0;
	char hl[HOURS_SHOWN][24], (*dl)[24] = NULL, (*dt)[32] = NULL; /* "YYYY-MM-DD"; room for any int64 year */
	const char *hlp[HOURS_SHOWN], **dlp = NULL, **dtp = NULL;
	const char *clp[VIEW_TOP_COUNTRIES + 1];
	char cl[VIEW_TOP_COUNTRIES + 1][80], goal_label[96], num[40];
	struct chart c;
	size_t i, w;
	long goal = env->life ? env->life->set.goal : (env->cfg ? env->cfg->goal : 0);
	int rc = -1;

	if (z == NULL) {
		pthread_once(&utc_once, utc_load);
		z = utc_zone;
		if (z == NULL)
			return -1;
	}
	tz_city(z, city, sizeof city);
	tz_local(z, now, &tm);
	tz_offset_label(tm.utoff, off, sizeof off);
	snprintf(zone, sizeof zone, "%s, %s", city, off);
	if (env->st == NULL || store_agg_slots(env->st, 0, INT64_MAX, slot_cb, &s) != 0 || s.oom)
		goto done;

	/* Figures: the quarter hours that start within the last 24 h / 7 days. */
	w = 0;
	*last7 = slots_sum(&s, &w, now - 7 * 86400 - (now - 7 * 86400) % STORE_AGG_SLOT_S,
			   INT64_MAX);
	w = 0;
	*last24 = slots_sum(&s, &w, now - 86400 - (now - 86400) % STORE_AGG_SLOT_S, INT64_MAX);

	/* Per hour: the 48 local hours up to the one now. Local hours start on
	 * a quarter hour in UTC in every zone, so each is four whole slots. */
	h0 = now - tm.min * 60 - tm.sec - (HOURS_SHOWN - 1) * 3600;
	w = 0;
	for (i = 0; i < HOURS_SHOWN; i++) {
		struct tzif_tm ht;
		int64_t t = h0 + (int64_t)i * 3600;

		hv[i] = slots_sum(&s, &w, t, t + 3600);
		tz_local(z, t, &ht);
		snprintf(hl[i], sizeof hl[i], "%04lld-%02d-%02d %02d:%02d", (long long)ht.year,
			 ht.mon, ht.mday, ht.hour, ht.min);
		hlp[i] = hl[i];
	}
	/* The drawing's labels: the hour only. */
	{
		char hs[HOURS_SHOWN][8];
		const char *hsp[HOURS_SHOWN];

		for (i = 0; i < HOURS_SHOWN; i++) {
			memcpy(hs[i], hl[i] + 11, 5);
			hs[i][5] = '\0';
			hsp[i] = hs[i];
		}
		c = (struct chart){ .title = view_message(lang, "admin.chart.hour"),
				    .values = hv, .labels = hsp, .n = HOURS_SHOWN,
				    .label_every = 6 };
		/* The table lists the full local time; the drawing the hour. */
		figure(b, lang, "hour", "admin.chart.hour", zone, 0, &c, hlp,
		       "admin.chart.col.hour", NULL);
	}

	/* Per day since the launch (the first day with signatures), in the
	 * organizer's zone, and the running total. */
	if (s.len > 0) {
		first_day = local_day(z, s.t[0]);
		last_day = local_day(z, now);
		if (local_day(z, s.t[s.len - 1]) > last_day)
			last_day = local_day(z, s.t[s.len - 1]);
		if (last_day - first_day >= VIEW_MAX_DAYS)
			first_day = last_day - VIEW_MAX_DAYS + 1;
		nd = last_day - first_day + 1;
		dv = calloc((size_t)nd, sizeof *dv);
		cum = calloc((size_t)nd, sizeof *cum);
		dl = calloc((size_t)nd, sizeof *dl);
		dt = calloc((size_t)nd, sizeof *dt);
		dlp = calloc((size_t)nd, sizeof *dlp);
		dtp = calloc((size_t)nd, sizeof *dtp);
		if (!dv || !cum || !dl || !dt || !dlp || !dtp)
			goto done;
		w = 0;
		/* Signatures before the first day shown (a campaign over ten years). */
		run = slots_sum(&s, &w, INT64_MIN, day_start(z, first_day));
		for (d = 0; d < nd; d++) {
			int64_t y;
			int m, md;

			dv[d] = slots_sum(&s, &w, day_start(z, first_day + d),
					  day_start(z, first_day + d + 1));
			run += dv[d];
			cum[d] = run;
			civil_from_days(first_day + d, &y, &m, &md);
			snprintf(dt[d], sizeof dt[d], "%04lld-%02d-%02d", (long long)y, m, md);
			if (lang == LANG_EN)
				snprintf(dl[d], sizeof dl[d], "%d %s", md, month_en[m - 1]);
			else
				snprintf(dl[d], sizeof dl[d], "%d/%d", md, m);
			dlp[d] = dl[d];
			dtp[d] = dt[d];
		}
		c = (struct chart){ .title = view_message(lang, "admin.chart.day"), .values = dv,
				    .labels = dlp, .n = (size_t)nd };
		figure(b, lang, "day", "admin.chart.day", zone, 0, &c, dtp, "admin.daily.date",
		       NULL);
		chart_format(num, sizeof num, goal);
		/* "Goal: 10,000", plain text: the drawing escapes its labels. */
		snprintf(goal_label, sizeof goal_label, "%s", view_message(lang, "admin.chart.goal"));
		{
			char *p = strstr(goal_label, "{n}"), tail[96];

			if (p != NULL) {
				snprintf(tail, sizeof tail, "%s", p + 3);
				snprintf(p, sizeof goal_label - (size_t)(p - goal_label), "%s%s", num,
					 tail);
			}
		}
		c = (struct chart){ .title = view_message(lang, "admin.chart.total"), .values = cum,
				    .labels = dlp, .n = (size_t)nd, .goal = goal,
				    .goal_label = goal_label };
		figure(b, lang, "total", "admin.chart.total", zone, 1, &c, dtp, "admin.daily.date",
		       NULL);
	} else {
		buf_puts(b, "<p>");
		put_msg(b, lang, "admin.daily.empty", NULL, NULL);
		buf_puts(b, "</p>");
	}

	/* Top countries, the rest as one bar. */
	memset(&ca, 0, sizeof ca);
	if (store_agg_countries(env->st, country_cb, &ca) != 0)
		goto done;
	for (i = 0; i < ca.len; i++) {
		const struct country *co = country_find(ca.code[i], 2);

		snprintf(cl[i], sizeof cl[i], "%s", co ? (lang == LANG_KM ? co->km : co->en)
						     : ca.code[i]);
		clp[i] = cl[i];
	}
	if (ca.has_other) {
		snprintf(cl[ca.len], sizeof cl[ca.len], "%s",
			 view_message(lang, "admin.chart.other"));
		clp[ca.len] = cl[ca.len];
		ca.n[ca.len++] = ca.other;
	}
	if (ca.len > 0) {
		c = (struct chart){ .title = view_message(lang, "admin.chart.countries"),
				    .values = ca.n, .labels = clp, .n = ca.len };
		figure(b, lang, "countries", "admin.chart.countries", NULL, 2, &c, clp,
		       "admin.chart.col.country", NULL);
	}
	rc = b->oom ? -1 : 0;
done:
	free(s.t);
	free(s.n);
	free(dv);
	free(cum);
	free(dl);
	free(dt);
	free(dlp);
	free(dtp);
	return rc;
}

/* email area: the dashboard's figures of confirmation and the outbox (the
 * section is shown when a relay is configured, or when anything is left
 * of earlier mail). The figures go into b, which the context points to. */
static int mail_figures(struct view_ctx *c, struct buf *b, const struct view_env *env,
			enum lang lang)
{
	struct store_mail_stats m;
	char n[32];
	int64_t now = clock_now_ms() / 1000;
	struct mail_row {
		const char *key, *id;
		int64_t v;
	} rows[8];
	size_t i, k = 0;

	if (env->st == NULL || store_mail_stats(env->st, &m) != 0 ||
	    (env->cfg->smtp_url == NULL && m.pending == 0 && m.queued == 0 && m.sent == 0)) {
		view_set(c, "mail_on", "");
		return 0;
	}
	view_set(c, "mail_on", "1");
	view_set(c, "mail_mode", view_message(lang, env->cfg->confirm ? "admin.mail.mode.required"
								      : "admin.mail.mode.off"));
	rows[k++] = (struct mail_row){ "admin.mail.confirmed", "fig-confirmed", m.confirmed };
	rows[k++] = (struct mail_row){ "admin.mail.pending", "fig-pending", m.pending };
	rows[k++] = (struct mail_row){ "admin.mail.queued", "fig-queued", m.queued + m.sending };
	rows[k++] = (struct mail_row){ "admin.mail.sent", "fig-sent", m.sent };
	rows[k++] = (struct mail_row){ "admin.mail.failed", "fig-failed", m.failed };
	rows[k++] = (struct mail_row){ "admin.mail.unsure", "fig-unsure", m.unsure };
	rows[k++] = (struct mail_row){ "admin.mail.skipped", "fig-skipped", m.skipped };
	buf_puts(b, "<dl class=\"stats\">\n");
	for (i = 0; i < k; i++) {
		view_format_count(n, sizeof n, rows[i].v);
		buf_printf(b, "<div class=\"stat\"><dt>");
		html_escape(b, view_message(lang, rows[i].key), strlen(view_message(lang, rows[i].key)));
		buf_printf(b, "</dt> <dd id=\"%s\">%s</dd></div>\n", rows[i].id, n);
	}
	buf_puts(b, "<div class=\"stat\"><dt>");
	html_escape(b, view_message(lang, "admin.mail.oldest"),
		    strlen(view_message(lang, "admin.mail.oldest")));
	buf_puts(b, "</dt> <dd id=\"fig-oldest\">");
	if (m.oldest_at > 0) {
		int64_t age = now - m.oldest_at;

		if (age < 0)
			age = 0;
		if (age < 120)
			buf_printf(b, "%lld s", (long long)age);
		else if (age < 7200)
			buf_printf(b, "%lld min", (long long)(age / 60));
		else
			buf_printf(b, "%lld h", (long long)(age / 3600));
	} else {
		buf_puts(b, "\xe2\x80\x94"); /* an em dash: none waiting */
	}
	buf_puts(b, "</dd></div>\n</dl>\n");
	if (m.last_error[0] != '\0' && m.failed > 0) {
		buf_puts(b, "<p class=\"caution\">");
		html_escape(b, view_message(lang, "admin.mail.last_error"),
			    strlen(view_message(lang, "admin.mail.last_error")));
		buf_putc(b, ' ');
		html_escape(b, m.last_error, strlen(m.last_error));
		buf_puts(b, "</p>\n");
	}
	view_set(c, "mail_figures", buf_cstr(b));
	return b->oom ? -1 : 0;
}

int view_admin(struct buf *out, const struct view_env *env, enum lang lang,
	       const struct view_admin *a)
{
	struct view_ctx c;
	struct buf chartb = BUF_INIT, nav = BUF_INIT, mailb = BUF_INIT;
	int64_t npub = 0, nupd = 0, n24 = 0, n7 = 0, noff = 0;
	char spub[32], supd[32], sbots[32], s24[32], s7[32], soff[32];
	int rc;

	view_base(&c, env, lang);
	if (env->st != NULL) {
		store_flag_counts(env->st, &npub, &nupd);
		noff = store_agg_offline(env->st);
		if (charts(&chartb, env, lang, clock_now_ms() / 1000, &n24, &n7) != 0) {
			buf_free(&chartb);
			return -1;
		}
	}
	view_format_count(spub, sizeof spub, npub);
	view_format_count(supd, sizeof supd, nupd);
	view_format_count(sbots, sizeof sbots, (int64_t)a->bots_refused);
	view_format_count(s24, sizeof s24, n24);
	view_format_count(s7, sizeof s7, n7);
	view_format_count(soff, sizeof soff, noff < 0 ? 0 : noff);
	view_set(&c, "admin_charts", buf_cstr(&chartb));
	view_set(&c, "admin_public", spub);
	view_set(&c, "admin_updates", supd);
	view_set(&c, "admin_bots", sbots);
	view_set(&c, "admin_last24", s24);
	view_set(&c, "admin_last7", s7);
	view_set(&c, "admin_offline", soff);
	view_set(&c, "admin_message", a->message ? a->message : "");
	view_set(&c, "seal_fp", a->seal_fp ? a->seal_fp : "");
	view_set(&c, "retention_note", a->retention ? a->retention : "");
	if (mail_figures(&c, &mailb, env, lang) != 0) {
		buf_free(&chartb);
		return -1;
	}
	rc = view_admin_nav(&c, &nav, "dashboard", a->who);
	if (rc == 0)
		rc = view_render(out, "assets/admin.html", "title.admin", &c);
	buf_free(&nav);
	buf_free(&mailb);
	buf_free(&chartb);
	return rc;
}
