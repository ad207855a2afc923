/* api_charts.c -- the public numbers of the aggregates (store_charts.c):
 * /api/stats's by_country and updated_at, GET /api/history, and how many
 * countries the page may name.
 *
 * Nobody can be singled out: a country with fewer than API_COUNTRY_MIN
 * signatures is never named (folded into "other", not counted in "from N
 * countries"). Both are read from caches refreshed at most once per
 * API_STATS_REFRESH_S / API_HISTORY_REFRESH_S, so a crowd polling them costs
 * the database nothing more. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "tz.h"

#define API_STATS_REFRESH_S 1
#define API_HISTORY_REFRESH_S 10
/* What a client or proxy may keep /api/history for. */
#define API_HISTORY_MAX_AGE "public, max-age=60"
/* /api/history?interval=hour covers the last 7 days, one value an hour. */
#define API_HISTORY_HOURS (7 * 24)
/* interval=day covers at most ten years. */
#define API_HISTORY_MAX_DAYS 3660
/* The most countries there are (ISO 3166-1 has 249). */
#define API_MAX_COUNTRIES 300

struct country_n {
	char code[3];
	int64_t n;
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t stats_at;       /* Unix seconds of the last read; 0: never */
static struct country_n stats_c[API_MAX_COUNTRIES];
static size_t stats_nc;
static int64_t stats_other;
static char stats_iso[32];

struct fold_acc {
	size_t n;
	int64_t other;
};

static void fold_cb(void *ctx, const char *cc, int64_t n)
{
	struct fold_acc *f = ctx;

	if (n >= API_COUNTRY_MIN && cc != NULL && strlen(cc) == 2 && f->n < API_MAX_COUNTRIES) {
		memcpy(stats_c[f->n].code, cc, 3);
		stats_c[f->n++].n = n;
	} else {
		f->other += n;
	}
}

/* Refreshes the cache when older than API_STATS_REFRESH_S; the caller
 * holds stats_lock. Returns 0, or -1 when there is nothing to show. */
static int stats_refresh(struct app *a)
{
	int64_t now = clock_now_ms() / 1000;
	struct fold_acc f = { 0, 0 };

	if (stats_at != 0 && now - stats_at < API_STATS_REFRESH_S)
		return 0;
	if (store_agg_countries(a->st, fold_cb, &f) != 0)
		return stats_at != 0 ? 0 : -1; /* keep showing the last numbers */
	stats_nc = f.n;
	stats_other = f.other;
	stats_at = now;
	tz_format_utc(now, stats_iso, sizeof stats_iso);
	return 0;
}

void api_stats_numbers(struct app *a, cJSON *root)
{
	cJSON *bc;
	size_t i;

	pthread_mutex_lock(&stats_lock);
	if (stats_refresh(a) == 0 && (bc = cJSON_AddObjectToObject(root, "by_country")) != NULL) {
		for (i = 0; i < stats_nc; i++)
			cJSON_AddNumberToObject(bc, stats_c[i].code, (double)stats_c[i].n);
		cJSON_AddNumberToObject(bc, "other", (double)stats_other);
		cJSON_AddStringToObject(root, "updated_at", stats_iso);
	} else {
		cJSON_AddNullToObject(root, "by_country");
		cJSON_AddNullToObject(root, "updated_at");
	}
	pthread_mutex_unlock(&stats_lock);
}

long api_countries_shown(struct app *a)
{
	long n = 0;

	pthread_mutex_lock(&stats_lock);
	if (stats_refresh(a) == 0)
		n = (long)stats_nc;
	pthread_mutex_unlock(&stats_lock);
	return n;
}

/* ---- /api/history ------------------------------------------------------ */

struct hist_acc {
	int64_t from, step;  /* the first interval's start, its length */
	int64_t *n;
	size_t len;
};

static void hist_cb(void *ctx, int64_t t, int64_t n)
{
	struct hist_acc *h = ctx;
	int64_t i = (t - h->from) / h->step;

	if (t >= h->from && i >= 0 && (size_t)i < h->len)
		h->n[i] += n;
}

/* The JSON of one interval ("hour" or "day") as it is now: malloc'd, or
 * NULL on failure. */
static char *history_json(struct app *a, int day)
{
	int64_t now = clock_now_ms() / 1000, first = 0, last;
	struct hist_acc h = { 0, day ? 86400 : 3600, NULL, 0 };
	cJSON *root = cJSON_CreateObject(), *starts, *counts;
	char iso[32], *text = NULL;
	size_t i;
	int found;

	if (root == NULL)
		return NULL;
	last = now - now % h.step;
	if (day) {
		found = store_agg_first(a->st, &first);
		if (found < 0)
			goto done;
		/* Since the launch: the first UTC day with signatures. */
		h.from = found ? first - first % 86400 : last;
		if (h.from > last)
			last = h.from;
		if ((last - h.from) / 86400 >= API_HISTORY_MAX_DAYS)
			h.from = last - (API_HISTORY_MAX_DAYS - 1) * (int64_t)86400;
	} else {
		h.from = last - (API_HISTORY_HOURS - 1) * (int64_t)3600;
	}
	h.len = (size_t)((last - h.from) / h.step + 1);
	h.n = calloc(h.len, sizeof *h.n);
	if (h.n == NULL || store_agg_slots(a->st, h.from, last + h.step, hist_cb, &h) != 0)
		goto done;
	cJSON_AddStringToObject(root, "interval", day ? "day" : "hour");
	tz_format_utc(now, iso, sizeof iso);
	cJSON_AddStringToObject(root, "updated_at", iso);
	starts = cJSON_AddArrayToObject(root, "starts");
	counts = cJSON_AddArrayToObject(root, "counts");
	if (starts == NULL || counts == NULL)
		goto done;
	for (i = 0; i < h.len; i++) {
		tz_format_utc(h.from + (int64_t)i * h.step, iso, sizeof iso);
		cJSON_AddItemToArray(starts, cJSON_CreateString(iso));
		cJSON_AddItemToArray(counts, cJSON_CreateNumber((double)h.n[i]));
	}
	text = cJSON_PrintUnformatted(root);
done:
	free(h.n);
	cJSON_Delete(root);
	return text;
}

static pthread_mutex_t hist_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int64_t at;   /* monotonic-enough wall seconds of the build; 0: never */
	char *text;
} hist_cache[2];

enum MHD_Result api_history(struct http_req *r)
{
	struct app *a = r->app;
	const char *iv = http_query(r, "interval");
	int day;
	int64_t now = clock_now_ms() / 1000;
	struct MHD_Response *resp;

	if (iv == NULL || strcmp(iv, "day") == 0)
		day = 1;
	else if (strcmp(iv, "hour") == 0)
		day = 0;
	else
		return http_send_error(r, HTTP_BAD_REQUEST);
	pthread_mutex_lock(&hist_lock);
	if (hist_cache[day].text == NULL || now - hist_cache[day].at >= API_HISTORY_REFRESH_S ||
	    now < hist_cache[day].at) {
		char *t = history_json(a, day);

		if (t != NULL) {
			cJSON_free(hist_cache[day].text);
			hist_cache[day].text = t;
			hist_cache[day].at = now;
		}
	}
	resp = hist_cache[day].text == NULL
		       ? NULL
		       : http_response(r, "application/json", hist_cache[day].text,
				       strlen(hist_cache[day].text));
	pthread_mutex_unlock(&hist_lock);
	if (resp == NULL)
		return http_send_unavailable(r);
	/* The same bytes for everyone, for a minute. */
	MHD_del_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, API_HISTORY_MAX_AGE);
	return http_queue(r, HTTP_OK, resp);
}
