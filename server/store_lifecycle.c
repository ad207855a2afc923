/* store_lifecycle.c -- the lifecycle settings (status, deadline, messages,
 * goal, milestone, time zone) in the settings table, and their changes
 * written together with the audit line in one transaction. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "store_int.h"

/* The keys of the settings table. */
#define K_STATE     "life.state"
#define K_CHANGED   "life.changed_at"
#define K_CLOSES    "life.closes_at"
#define K_GOAL      "goal"
#define K_MILESTONE "life.milestone"
#define K_TZ        "timezone"

static const char *const msg_keys[LIFE_NMSG][LANG_COUNT] = {
    [LIFE_MSG_PAUSED] = {[LANG_EN] = "life.msg.paused.en", [LANG_KM] = "life.msg.paused.km"},
    [LIFE_MSG_CLOSED] = {[LANG_EN] = "life.msg.closed.en", [LANG_KM] = "life.msg.closed.km"},
};

/* The value of key on db, malloc'd, or NULL (absent or error). */
static char *get(struct db *db, const char *key)
{
	struct db_stmt *s = NULL;
	char *v = NULL;

	if (db_prepare_v2(db, "SELECT value FROM settings WHERE key = ?1", -1, &s, NULL) !=
	    SQLITE_OK)
		return NULL;
	db_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (db_step(s) == SQLITE_ROW) {
		const char *t = (const char *)db_column_text(s, 0);

		v = strdup(t ? t : "");
	}
	db_finalize(s);
	return v;
}

/* A stored integer in [lo, hi], or dflt when absent or not one. */
static int64_t get_int(struct db *db, const char *key, int64_t lo, int64_t hi, int64_t dflt,
		       int *found)
{
	char *v = get(db, key), *end = NULL;
	long long n;

	if (found)
		*found = 0;
	if (v == NULL || v[0] == '\0') {
		free(v);
		return dflt;
	}
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || n < lo || n > hi) {
		free(v);
		return dflt;
	}
	free(v);
	if (found)
		*found = 1;
	return n;
}

int store_life_load(struct store *st, struct life_settings *out, char *err, size_t errlen)
{
	struct store_conns c;
	char *v;
	int m, l, found = 0;

	store_conns(st, &c);
	v = get(c.w, K_STATE);
	if (v == NULL || life_status_parse(v, &out->state) != 0)
		out->state = LIFE_OPEN;
	free(v);
	out->changed_at = get_int(c.w, K_CHANGED, 0, INT64_MAX / 2, 0, NULL);
	out->closes_at = get_int(c.w, K_CLOSES, 0, INT64_MAX / 2, 0, NULL);
	out->goal = (long)get_int(c.w, K_GOAL, 1, LIFE_GOAL_MAX, out->goal, &found);
	out->goal_stored = found;
	out->milestone = (long)get_int(c.w, K_MILESTONE, 0, LIFE_GOAL_MAX, 0, NULL);
	for (m = 0; m < LIFE_NMSG; m++) {
		for (l = 0; l < LANG_COUNT; l++) {
			free(out->msg[m][l]);
			out->msg[m][l] = get(c.w, msg_keys[m][l]);
		}
	}
	v = get(c.w, K_TZ);
	if (v != NULL && v[0] != '\0')
		snprintf(out->tzname, sizeof out->tzname, "%s", v);
	free(v);
	(void)err;
	(void)errlen;
	return 0;
}

static int set(struct db *db, const char *path, const char *key, const char *value, char *err,
	       size_t errlen)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(db,
			  "INSERT INTO settings (key, value) VALUES (?1, ?2)"
			  " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			  -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(db, path, "saving a setting", err, errlen);
		return -1;
	}
	db_bind_text(s, 1, key, -1, SQLITE_STATIC);
	db_bind_text(s, 2, value ? value : "", -1, SQLITE_STATIC);
	rc = db_step(s);
	if (rc != SQLITE_DONE)
		store_errmsg(db, path, "saving a setting", err, errlen);
	db_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int set_int(struct db *db, const char *path, const char *key, int64_t v, char *err,
		   size_t errlen)
{
	char num[32];

	snprintf(num, sizeof num, "%" PRId64, v);
	return set(db, path, key, num, err, errlen);
}

int store_life_save(struct store *st, const struct life_settings *s, unsigned fields, int64_t at,
		    const char *admin, const char *action, const char *detail, char *err,
		    size_t errlen)
{
	struct store_conns c;
	int m, l, bad = 0;

	store_conns(st, &c);
	if (store_exec(c.w, "saving settings", "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (fields & STORE_LIFE_STATE)
		bad |= set(c.w, c.path, K_STATE, life_status_name(s->state), err, errlen) != 0 ||
		       set_int(c.w, c.path, K_CHANGED, s->changed_at, err, errlen) != 0;
	if (!bad && (fields & STORE_LIFE_MSGS))
		for (m = 0; m < LIFE_NMSG && !bad; m++)
			for (l = 0; l < LANG_COUNT && !bad; l++)
				bad |= set(c.w, c.path, msg_keys[m][l], s->msg[m][l], err,
					   errlen) != 0;
	if (!bad && (fields & STORE_LIFE_DEADLINE))
		bad |= s->closes_at > 0
			   ? set_int(c.w, c.path, K_CLOSES, s->closes_at, err, errlen) != 0
			   : set(c.w, c.path, K_CLOSES, "", err, errlen) != 0;
	if (!bad && (fields & STORE_LIFE_GOAL))
		bad |=
		    set_int(c.w, c.path, K_GOAL, s->goal, err, errlen) != 0 ||
		    (s->milestone > 0 ? set_int(c.w, c.path, K_MILESTONE, s->milestone, err, errlen)
				      : set(c.w, c.path, K_MILESTONE, "", err, errlen)) != 0;
	if (!bad && (fields & STORE_LIFE_TIMEZONE))
		bad |= set(c.w, c.path, K_TZ, s->tzname, err, errlen) != 0;
	if (!bad)
		bad |= store_audit_add(st, at, admin, action, detail, err, errlen) != 0;
	if (!bad)
		bad |= store_exec(c.w, "saving settings", "COMMIT", err, errlen) != 0;
	if (bad) {
		db_exec(c.w, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}
