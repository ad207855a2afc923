/* lifecycle.c -- the petition's status and the sentences about it (see
 * lifecycle.h): status at a moment, snapshots, dates for people, and the
 * slot that publishes snapshots to every thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "html.h"
#include "lifecycle.h"

enum life_status life_status_at(const struct lifecycle *l, int64_t now_s)
{
	if (l == NULL)
		return LIFE_OPEN;
	if (l->set.state == LIFE_CLOSED)
		return LIFE_CLOSED;
	if (l->set.closes_at > 0 && now_s >= l->set.closes_at)
		return LIFE_CLOSED;
	return l->set.state;
}

int64_t life_closed_time(const struct life_settings *s)
{
	if (s->state == LIFE_CLOSED) {
		if (s->closes_at > 0 && (s->changed_at <= 0 || s->closes_at < s->changed_at))
			return s->closes_at;
		return s->changed_at;
	}
	return s->closes_at;
}

const char *life_status_name(enum life_status s)
{
	switch (s) {
	case LIFE_PAUSED:
		return "paused";
	case LIFE_CLOSED:
		return "closed";
	case LIFE_OPEN:
		break;
	}
	return "open";
}

int life_status_parse(const char *s, enum life_status *out)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "open") == 0)
		*out = LIFE_OPEN;
	else if (strcmp(s, "paused") == 0)
		*out = LIFE_PAUSED;
	else if (strcmp(s, "closed") == 0)
		*out = LIFE_CLOSED;
	else
		return -1;
	return 0;
}

/* ---- Settings ------------------------------------------------------------ */

void life_settings_free(struct life_settings *s)
{
	int m, l;

	if (s == NULL)
		return;
	for (m = 0; m < LIFE_NMSG; m++) {
		for (l = 0; l < LANG_COUNT; l++) {
			free(s->msg[m][l]);
			s->msg[m][l] = NULL;
		}
	}
}

int life_settings_copy(struct life_settings *dst, const struct life_settings *src)
{
	int m, l;

	*dst = *src;
	for (m = 0; m < LIFE_NMSG; m++)
		for (l = 0; l < LANG_COUNT; l++)
			dst->msg[m][l] = NULL;
	for (m = 0; m < LIFE_NMSG; m++) {
		for (l = 0; l < LANG_COUNT; l++) {
			if (src->msg[m][l] == NULL)
				continue;
			if ((dst->msg[m][l] = strdup(src->msg[m][l])) == NULL) {
				life_settings_free(dst);
				return -1;
			}
		}
	}
	return 0;
}

int life_settings_set_msg(struct life_settings *s, enum life_msg m, enum lang lang,
			  const char *text)
{
	char *c = NULL;

	if (text != NULL && text[0] != '\0' && (c = strdup(text)) == NULL)
		return -1;
	free(s->msg[m][lang]);
	s->msg[m][lang] = c;
	return 0;
}

int life_msg_ok(const char *text, size_t len)
{
	size_t i;

	if (len > LIFE_MSG_MAX_BYTES || !utf8_valid(text, len))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
			return -1;
		/* C1 controls, U+0080-U+009F: C2 80 - C2 9F. */
		if (c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 &&
		    (unsigned char)text[i + 1] <= 0x9f)
			return -1;
	}
	return 0;
}

/* ---- Sentences ------------------------------------------------------------ */

static const char *str(enum lang lang, const char *key)
{
	const char *s = i18n_get(lang, key, strlen(key));

	return s ? s : "";
}

/* Appends tmpl to out with each "{name}" of names[i] replaced by vals[i];
 * anything else is copied as it is. */
static void subst(struct buf *out, const char *tmpl, const char *const *names,
		  const char *const *vals, size_t n)
{
	const char *p = tmpl;

	while (*p) {
		size_t i, done = 0;

		if (*p == '{') {
			for (i = 0; i < n; i++) {
				size_t nl = strlen(names[i]);

				if (strncmp(p + 1, names[i], nl) == 0 && p[1 + nl] == '}') {
					buf_puts(out, vals[i]);
					p += nl + 2;
					done = 1;
					break;
				}
			}
		}
		if (!done)
			buf_putc(out, *p++);
	}
}

/* Appends s with its ASCII digits written in the language's digits (the
 * string "life.digits": ten characters, "0123456789" or "០១២៣៤៥៦៧៨៩"). */
static void put_digits(struct buf *out, enum lang lang, const char *s)
{
	const char *digits = str(lang, "life.digits"), *d[10];
	size_t dl[10], i = 0;
	const char *p = digits;

	/* The ten characters of the string, as UTF-8 sequences. */
	while (*p && i < 10) {
		size_t n = 1;

		while ((p[n] & 0xc0) == 0x80)
			n++;
		d[i] = p;
		dl[i] = n;
		p += n;
		i++;
	}
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9' && i == 10)
			buf_append(out, d[*s - '0'], dl[*s - '0']);
		else
			buf_putc(out, *s);
	}
}

/* "12,345": counts are written with Western digits on every page. */
static void put_count(struct buf *out, long n)
{
	char digits[24];
	size_t nd, i;

	snprintf(digits, sizeof digits, "%ld", n < 0 ? 0 : n);
	nd = strlen(digits);
	for (i = 0; i < nd; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf_putc(out, ',');
		buf_putc(out, digits[i]);
	}
}

int life_format_when(struct buf *out, const struct tz *tz, enum lang lang, int64_t t)
{
	static const char *const names[] = {"day", "month", "year", "time", "zone"};
	struct buf v[5] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT}, zone = BUF_INIT;
	const char *vals[5], *city_s;
	struct tzif_tm tm;
	char num[32], key[32 + TZ_NAME_MAX], city[TZ_NAME_MAX + 1], off[24];
	int i, rc;

	tz_local(tz, t, &tm);
	snprintf(num, sizeof num, "%d", tm.mday);
	put_digits(&v[0], lang, num);
	snprintf(key, sizeof key, "life.month.%d", tm.mon);
	buf_puts(&v[1], str(lang, key));
	snprintf(num, sizeof num, "%lld", (long long)tm.year);
	put_digits(&v[2], lang, num);
	snprintf(num, sizeof num, "%02d:%02d", tm.hour, tm.min);
	put_digits(&v[3], lang, num);
	/* The zone: a translated city name when the strings have one. */
	snprintf(key, sizeof key, "life.city.%s", tz_name(tz));
	city_s = i18n_get(lang, key, strlen(key));
	if (city_s == NULL) {
		tz_city(tz, city, sizeof city);
		city_s = city;
	}
	tz_offset_label(tm.utoff, off, sizeof off);
	{
		static const char *const zn[] = {"city", "offset"};
		const char *zv[] = {city_s, off};

		subst(&zone, str(lang, "life.zone"), zn, zv, 2);
	}
	v[4] = zone;
	for (i = 0; i < 5; i++)
		vals[i] = buf_cstr(&v[i]);
	subst(out, str(lang, "life.when"), names, vals, 5);
	rc = out->oom ? -1 : 0;
	for (i = 0; i < 5; i++) {
		if (v[i].oom)
			rc = -1;
		buf_free(&v[i]);
	}
	return rc;
}

/* A malloc'd copy of b's contents ("" for none); NULL when out of memory. */
static char *take(struct buf *b)
{
	char *s;

	if (b->oom) {
		buf_free(b);
		return NULL;
	}
	s = buf_steal(b, NULL);
	return s ? s : strdup("");
}

/* text as HTML paragraphs, one per non-empty line, escaped. */
static void paragraphs(struct buf *out, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n"), m = n;

		while (m > 0 && (p[m - 1] == '\r' || p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if (m > 0) {
			buf_puts(out, "<p>");
			html_escape(out, p, m);
			buf_puts(out, "</p>");
		}
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* One sentence from template key with "{when}" set to t in tz. */
static char *when_sentence(const struct tz *tz, enum lang lang, const char *key, int64_t t)
{
	static const char *const names[] = {"when"};
	struct buf when = BUF_INIT, out = BUF_INIT;
	const char *vals[1];

	if (life_format_when(&when, tz, lang, t) != 0) {
		buf_free(&when);
		return NULL;
	}
	vals[0] = buf_cstr(&when);
	subst(&out, str(lang, key), names, vals, 1);
	buf_free(&when);
	return take(&out);
}

static char *count_sentence(enum lang lang, const char *key, const char *name, long n)
{
	struct buf num = BUF_INIT, out = BUF_INIT;
	const char *names[1] = {name}, *vals[1];

	put_count(&num, n);
	vals[0] = buf_cstr(&num);
	subst(&out, str(lang, key), names, vals, 1);
	buf_free(&num);
	return take(&out);
}

void life_free(struct lifecycle *l)
{
	int m, g;

	if (l == NULL)
		return;
	life_settings_free(&l->set);
	tz_free(l->tz);
	for (g = 0; g < LANG_COUNT; g++) {
		for (m = 0; m < LIFE_NMSG; m++)
			free(l->msg_html[m][g]);
		free(l->closes_on[g]);
		free(l->closed_on[g]);
		free(l->reached[g]);
		free(l->next[g]);
	}
	free(l);
}

struct lifecycle *life_build(const struct life_settings *s, struct tz *tz, char *err, size_t errlen)
{
	static const char *const defaults[LIFE_NMSG] = {
	    [LIFE_MSG_PAUSED] = "life.paused.default",
	    [LIFE_MSG_CLOSED] = "life.closed.default",
	};
	struct lifecycle *l = calloc(1, sizeof *l);
	int64_t closed = life_closed_time(s);
	int m, g;

	if (l == NULL || tz == NULL) {
		free(l);
		tz_free(tz);
		snprintf(err, errlen, tz ? "out of memory" : "no time zone");
		return NULL;
	}
	l->tz = tz;
	if (life_settings_copy(&l->set, s) != 0)
		goto oom;
	snprintf(l->set.tzname, sizeof l->set.tzname, "%s", tz_name(tz));
	if (s->closes_at > 0)
		tz_format_utc(s->closes_at, l->closes_iso, sizeof l->closes_iso);
	for (g = 0; g < LANG_COUNT; g++) {
		enum lang lang = (enum lang)g;

		for (m = 0; m < LIFE_NMSG; m++) {
			struct buf b = BUF_INIT;
			const char *text = s->msg[m][g];

			paragraphs(&b, text && text[0] ? text : str(lang, defaults[m]));
			if ((l->msg_html[m][g] = take(&b)) == NULL)
				goto oom;
		}
		if (s->closes_at > 0 && (l->closes_on[g] = when_sentence(tz, lang, "life.closes_on",
									 s->closes_at)) == NULL)
			goto oom;
		if (closed > 0 &&
		    (l->closed_on[g] = when_sentence(tz, lang, "life.closed_on", closed)) == NULL)
			goto oom;
		if ((l->reached[g] = count_sentence(lang, "life.goal.reached", "goal", s->goal)) ==
		    NULL)
			goto oom;
		if (s->milestone > s->goal &&
		    (l->next[g] =
			 count_sentence(lang, "life.goal.next", "milestone", s->milestone)) == NULL)
			goto oom;
	}
	return l;
oom:
	snprintf(err, errlen, "out of memory");
	life_free(l);
	return NULL;
}

/* ---- Publication ------------------------------------------------------------ */

/* Readers take the current pointer with one atomic load and use it for the
 * length of a request. A replaced snapshot is not freed at once but retired:
 * kept for LIFE_RETIRE_MS, a grace period (the RCU idea) thousands of times
 * longer than a render takes, then freed by a later publish or at exit.
 * Changes are an organizer's clicks, so few snapshots wait at any time. */
struct life_slot {
	_Atomic(struct lifecycle *) cur;
	pthread_mutex_t lock;      /* publishers; the retired list */
	struct lifecycle *retired; /* newest first */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct life_slot *life_slot_new(struct lifecycle *first)
{
	struct life_slot *s = calloc(1, sizeof *s);

	if (s == NULL) {
		life_free(first);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->cur, first);
	return s;
}

void life_slot_free(struct life_slot *s)
{
	struct lifecycle *l, *next;

	if (s == NULL)
		return;
	for (l = s->retired; l != NULL; l = next) {
		next = l->retired_next;
		life_free(l);
	}
	life_free(atomic_load(&s->cur));
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const struct lifecycle *life_slot_get(struct life_slot *s)
{
	return s ? atomic_load_explicit(&s->cur, memory_order_acquire) : NULL;
}

void life_slot_publish(struct life_slot *s, struct lifecycle *l)
{
	struct lifecycle *old, **pp;
	int64_t now = mono_ms();

	pthread_mutex_lock(&s->lock);
	old = atomic_exchange_explicit(&s->cur, l, memory_order_acq_rel);
	if (old != NULL) {
		old->retired_ms = now;
		old->retired_next = s->retired;
		s->retired = old;
	}
	/* The list is newest first: cut it where the grace period has run out. */
	for (pp = &s->retired; *pp != NULL; pp = &(*pp)->retired_next) {
		if (now - (*pp)->retired_ms >= LIFE_RETIRE_MS) {
			struct lifecycle *x = *pp, *next;

			*pp = NULL;
			for (; x != NULL; x = next) {
				next = x->retired_next;
				life_free(x);
			}
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}
