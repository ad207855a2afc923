/* store_charts.c -- the aggregates behind the dashboard's charts and the
 * public numbers (db/009_aggregates.sql): signatures per quarter hour and
 * per country, kept by the writer once per batch, read by any thread.
 *
 * Deletions are the trigger agg_on_delete's (any path, any process);
 * adding a batch is store_agg_batch's, in store.c (store_add_batch calls
 * it, and store.c may not call this file). */
#include "store.h"
#include "store_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prepares sql on the read connection; the caller holds *c->rlock. */
static struct db_stmt *rprep(const struct store_conns *c, const char *sql)
{
	struct db_stmt *s = NULL;

	if (db_prepare_v2(c->r, sql, -1, &s, NULL) != SQLITE_OK) {
		db_finalize(s);
		return NULL;
	}
	return s;
}

int store_agg_slots(struct store *st, int64_t since, int64_t until,
		    void (*fn)(void *ctx, int64_t t, int64_t n), void *ctx)
{
	struct store_conns c;
	struct db_stmt *s;
	int rc = SQLITE_ERROR;

	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	s = rprep(&c, "SELECT t, n FROM agg_slot WHERE t >= ?1 AND t < ?2 AND n > 0 ORDER BY t");
	if (s != NULL) {
		db_bind_int64(s, 1, since);
		db_bind_int64(s, 2, until);
		while ((rc = db_step(s)) == SQLITE_ROW)
			fn(ctx, db_column_int64(s, 0), db_column_int64(s, 1));
		db_finalize(s);
	}
	pthread_mutex_unlock(c.rlock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_agg_first(struct store *st, int64_t *t)
{
	struct store_conns c;
	struct db_stmt *s;
	int rc = SQLITE_ERROR, found = 0;

	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	s = rprep(&c, "SELECT t FROM agg_slot WHERE n > 0 ORDER BY t LIMIT 1");
	if (s != NULL) {
		rc = db_step(s);
		if (rc == SQLITE_ROW) {
			*t = db_column_int64(s, 0);
			found = 1;
			rc = SQLITE_DONE;
		}
		db_finalize(s);
	}
	pthread_mutex_unlock(c.rlock);
	return rc == SQLITE_DONE ? found : -1;
}

int store_agg_countries(struct store *st, void (*fn)(void *ctx, const char *country, int64_t n),
			void *ctx)
{
	struct store_conns c;
	struct db_stmt *s;
	int rc = SQLITE_ERROR;

	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	s = rprep(&c, "SELECT country, n FROM agg_country WHERE n > 0 ORDER BY n DESC, country");
	if (s != NULL) {
		while ((rc = db_step(s)) == SQLITE_ROW)
			fn(ctx, (const char *)db_column_text(s, 0), db_column_int64(s, 1));
		db_finalize(s);
	}
	pthread_mutex_unlock(c.rlock);
	return rc == SQLITE_DONE ? 0 : -1;
}

int64_t store_agg_offline(struct store *st)
{
	struct store_conns c;
	struct db_stmt *s;
	int64_t v = 0;

	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	/* The partial index signatures_offline (010_source.sql) holds exactly
	 * these rows: the cost is the number of paper rows, not the table. A
	 * schema without the column counts none. */
	s = rprep(&c, "SELECT count(*) FROM signatures WHERE source <> 'online'");
	if (s != NULL) {
		if (db_step(s) == SQLITE_ROW)
			v = db_column_int64(s, 0);
		else
			v = -1;
		db_finalize(s);
	}
	pthread_mutex_unlock(c.rlock);
	return v;
}
