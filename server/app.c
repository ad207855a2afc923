/* app.c -- what every handler asks of the application: a route's path and
 * properties (from routes.h, without the handlers), and the data every page
 * shows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "seal.h"

#define ROUTES_PATH(id, method, path, flags, handler) [ROUTE_##id] = path,
static const char *const paths[ROUTE_COUNT] = { ROUTES(ROUTES_PATH) };
#undef ROUTES_PATH
#define ROUTES_FLAGS(id, method, path, flags, handler) [ROUTE_##id] = flags,
static const unsigned flags_of[ROUTE_COUNT] = { ROUTES(ROUTES_FLAGS) };
#undef ROUTES_FLAGS

const char *routes_path(enum route_id id)
{
	return (unsigned)id < ROUTE_COUNT ? paths[id] : paths[ROUTE_INDEX];
}

unsigned routes_flags(enum route_id id)
{
	return (unsigned)id < ROUTE_COUNT ? flags_of[id] : 0;
}

void app_env(struct app *a, struct view_env *env, enum route_id id)
{
	env->cfg = a->cfg;
	env->st = a->st;
	env->count = writer_count(a->writer);
	env->path = routes_path(id);
	env->life = app_life(a);
	env->content = content_slot_get(a->texts);
}

int64_t app_mail_at(struct app *a, uint64_t client, int64_t now_ms)
{
	int64_t now = now_ms / 1000;

	if (a->mail_ratelimit == NULL || ratelimit_take(a->mail_ratelimit, client, now_ms) == 0)
		return now;
	return now + APP_MAIL_DEFER_S;
}

void app_email_key(const struct app *a, const char *norm, char *out, size_t outlen)
{
	char h[SEAL_HASH_MAX];

	if (a->seal == NULL) {
		snprintf(out, outlen, "%s", norm);
		return;
	}
	seal_email_hash(a->seal_hash_key, norm, h);
	snprintf(out, outlen, "%s", h);
}

int app_seal_sigs(const struct seal_public *k, const unsigned char *hash_key,
		  struct store_sig *sigs, size_t n, struct app_sealed *out)
{
	size_t i;

	out->bufs = calloc(n ? 3 * n : 1, sizeof *out->bufs);
	out->keys = calloc(n ? n : 1, sizeof *out->keys);
	out->n = n;
	if (out->bufs == NULL || out->keys == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		struct store_sig *g = &sigs[i];
		struct buf *b = &out->bufs[3 * i];
		int has_email = g->email_norm != NULL && g->email_norm[0] != '\0';

		if (seal_box(k, g->name, strlen(g->name), &b[0]) != 0 ||
		    (has_email && g->email && seal_box(k, g->email, strlen(g->email), &b[1]) != 0) ||
		    (g->comment && g->comment[0] &&
		     seal_box(k, g->comment, strlen(g->comment), &b[2]) != 0))
			return -1;
		g->name = buf_cstr(&b[0]);
		if (has_email) {
			seal_email_hash(hash_key, g->email_norm, out->keys[i]);
			g->email = buf_cstr(&b[1]);
			g->email_norm = out->keys[i];
		}
		if (g->comment && g->comment[0])
			g->comment = buf_cstr(&b[2]);
	}
	return 0;
}

void app_sealed_free(struct app_sealed *s)
{
	size_t i;

	if (s->bufs != NULL)
		for (i = 0; i < 3 * s->n; i++)
			buf_free(&s->bufs[i]);
	free(s->bufs);
	free(s->keys);
	memset(s, 0, sizeof *s);
}
