/* api.c -- GET /api/stats (JSON, built with cJSON) and GET /healthz (200 "ok",
 * or 503 with a one-line reason). */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "clock.h"

enum MHD_Result api_stats(struct http_req *r)
{
	struct app *a = r->app;
	cJSON *root = cJSON_CreateObject();
	int64_t count = writer_count(a->writer), pct;
	/* lifecycle: the status now (a passed deadline reads closed), the
	 * deadline, the goal of the settings page (else --goal). */
	const struct lifecycle *life = app_life(a);
	enum life_status status = life_status_at(life, clock_now_ms() / 1000);
	long goal = life ? life->set.goal : a->cfg->goal;
	char *text;
	enum MHD_Result ret;

	if (root == NULL)
		return MHD_NO;
	pct = goal > 0 ? count * 100 / goal : 0;
	cJSON_AddNumberToObject(root, "count", (double)count);
	cJSON_AddNumberToObject(root, "goal", (double)goal);
	cJSON_AddNumberToObject(root, "percent", (double)(pct > 100 ? 100 : pct));
	cJSON_AddStringToObject(root, "status", life_status_name(status));
	if (life != NULL && life->closes_iso[0] != '\0')
		cJSON_AddStringToObject(root, "closes_at", life->closes_iso);
	else
		cJSON_AddNullToObject(root, "closes_at");
	if (life != NULL && life->set.milestone > life->set.goal)
		cJSON_AddNumberToObject(root, "milestone", (double)life->set.milestone);
	else
		cJSON_AddNullToObject(root, "milestone");
	/* charts: by_country (fewer than 5 folded into "other"), updated_at. */
	api_stats_numbers(a, root);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL)
		return MHD_NO;
	ret = http_send(r, HTTP_OK, "application/json", text, strlen(text));
	cJSON_free(text);
	return ret;
}

/* /healthz is probed often (load balancers, Docker, uptime checks) and by
 * anyone: it reads two flags, and the database at most once per
 * API_HEALTH_CHECK_MS whatever the number of probes. */
#define API_HEALTH_CHECK_MS 1000

static pthread_mutex_t health_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t health_checked_ms; /* monotonic; 0: never */
static int health_ok;
static char health_why[200];

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum MHD_Result api_healthz(struct http_req *r)
{
	struct app *a = r->app;
	char body[256];
	int64_t now;
	int ok, n;

	/* Signatures cannot be stored right now: the last commit failed (disk
	 * full, I/O errors). Cleared by the next commit that succeeds. */
	if (writer_failing(a->writer)) {
		n = snprintf(body, sizeof body,
			     "unavailable: the last commit failed (disk full?); signatures are "
			     "answered 503\n");
		return http_send(r, HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", body,
				 (size_t)n);
	}
	pthread_mutex_lock(&health_lock);
	now = mono_ms();
	if (health_checked_ms == 0 || now - health_checked_ms >= API_HEALTH_CHECK_MS) {
		health_ok = store_health(a->st, health_why, sizeof health_why) == 0;
		health_checked_ms = now;
	}
	ok = health_ok;
	n = ok ? 0 : snprintf(body, sizeof body, "unavailable: %s\n", health_why);
	pthread_mutex_unlock(&health_lock);
	if (!ok)
		return http_send(r, HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", body,
				 n > 0 && (size_t)n < sizeof body ? (size_t)n : strlen(body));
	return http_send(r, HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
}
