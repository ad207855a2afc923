/* store_sync.c -- several nodes on one PostgreSQL database: a connection
 * of its own that LISTENs on the channel the schema's triggers notify
 * (db/pg/011_schema.sql: settings, content_versions, share_image,
    * moderation), and waits for their notices. */
#include "store.h"
#include "store_int.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct store_listener {
	struct db *db;
	int listening;   /* LISTEN done on the current connection */
};

static int listen_now(struct store_listener *l)
{
	PGconn *c = db_pg_conn(l->db);
	PGresult *r;
	int ok;

	if (PQstatus(c) != CONNECTION_OK) {
		PQreset(c);
		if (PQstatus(c) != CONNECTION_OK)
			return -1;
	}
	r = PQexec(c, "LISTEN petitiond");
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	l->listening = ok;
	return ok ? 0 : -1;
}

int store_is_shared(const char *path)
{
	return db_path_is_pg(path);
}

int store_pg_schema(const char *url)
{
	struct db *db = NULL;
	int64_t v = -1;

	if (db_open_v2(url, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		v = store_scalar(db, "SELECT to_regclass('petitiond_schema') IS NOT NULL");
	db_close(db);
	return v < 0 ? -1 : v > 0;
}

int64_t store_pg_size(struct store *st)
{
	struct store_conns c;
	int64_t v;

	store_conns(st, &c);
	if (!db_is_pg(c.r))
		return 0;
	pthread_mutex_lock(c.rlock);
	v = store_scalar(c.r, "SELECT pg_database_size(current_database())");
	pthread_mutex_unlock(c.rlock);
	return v > 0 ? v : 0;
}

struct store_listener *store_listener_open(const char *path, char *err, size_t errlen)
{
	struct store_listener *l;

	if (!db_path_is_pg(path)) {
		snprintf(err, errlen, "only a PostgreSQL database has other nodes");
		return NULL;
	}
	l = calloc(1, sizeof *l);
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (db_open_v2(path, &l->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    listen_now(l) != 0) {
		snprintf(err, errlen, "listening for other nodes' changes: %s", db_errmsg(l->db));
		store_listener_close(l);
		return NULL;
	}
	return l;
}

static unsigned bit_of(const char *table)
{
	if (strcmp(table, "settings") == 0)
		return STORE_CHANGED_SETTINGS;
	if (strcmp(table, "content_versions") == 0 || strcmp(table, "share_image") == 0)
		return STORE_CHANGED_CONTENT;
	if (strcmp(table, "moderation") == 0)
		return STORE_CHANGED_MODERATION;
	if (strcmp(table, "counters") == 0)
		return STORE_CHANGED_COUNT;
	return 0;
}

int store_listener_wait(struct store_listener *l, int timeout_ms, unsigned *changed)
{
	PGconn *c = db_pg_conn(l->db);
	PGnotify *n;
	struct pollfd p;
	int rc;

	*changed = 0;
	if (!l->listening || PQstatus(c) != CONNECTION_OK) {
		/* Reconnected: whatever changed meanwhile was not heard. */
		if (listen_now(l) != 0) {
			poll(NULL, 0, timeout_ms);
			return -1;
		}
		*changed = STORE_CHANGED_ALL;
		return 1;
	}
	p.fd = PQsocket(c);
	p.events = POLLIN;
	p.revents = 0;
	rc = poll(&p, 1, timeout_ms);
	if (rc < 0 && errno != EINTR)
		return -1;
	if (rc > 0 && PQconsumeInput(c) == 0) {
		l->listening = 0;
		return -1;
	}
	while ((n = PQnotifies(c)) != NULL) {
		*changed |= bit_of(n->relname && strcmp(n->relname, "petitiond") == 0 && n->extra
				   ? n->extra
					   : "");
		PQfreemem(n);
	}
	return *changed != 0;
}

int64_t store_listener_count(struct store_listener *l)
{
	return store_scalar(l->db, "SELECT value FROM counters WHERE name = 'signatures'");
}

void store_listener_close(struct store_listener *l)
{
	if (l == NULL)
		return;
	db_close(l->db);
	free(l);
}
