/* db.c -- the two engines behind db.h: SQLite calls forwarded as they are,
 * PostgreSQL through libpq with SQLite's result codes.
 *
 * PostgreSQL, how a statement runs: its SQL is rewritten once at prepare
 * (db_pg_sql); the first db_step sends it with the bound parameters
 * (PQexecParams: one round trip, nothing left prepared on the server, so a
 * reconnection loses nothing) and keeps the whole result; later steps walk
 * its rows. A DB_PREPARE_STREAM statement declares a cursor instead and
 * fetches DB_FETCH rows at a time. A connection found broken is reset
 * before the next statement, at most once a second, so petitiond recovers
 * by itself when the server comes back; while it is away every statement
 * fails with SQLITE_IOERR and a message saying so. */
#include "db.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_FETCH 1000
/* PostgreSQL's most parameters in a statement. */
#define DB_MAX_PARAMS 65535
/* DB_PG_WRITE_LOCK written out, for the SQL. */
#define DB_PG_LOCK_TEXT "1885697129"
_Static_assert(DB_PG_WRITE_LOCK == 1885697129, "DB_PG_LOCK_TEXT is DB_PG_WRITE_LOCK");
#define DB_MSG_MAX 512
/* The least time between two attempts to reconnect (milliseconds). */
#define DB_RESET_MS 1000
/* Server-side types of the parameters. */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

struct db {
	sqlite3 *lite;
	PGconn *pg;
	int readonly;
	int code;           /* PostgreSQL: the last statement's result code */
	int changes;
	int64_t reset_at;   /* monotonic ms of the last reconnection attempt */
	unsigned cursors;   /* names of the cursors opened */
	char msg[DB_MSG_MAX];
};

struct db_param {
	char *v;       /* NULL: SQL NULL */
	int len;
	int fmt;       /* 0 text, 1 binary (bytea) */
	unsigned oid;
};

struct db_stmt {
	struct db *db;
	sqlite3_stmt *lite;
	/* PostgreSQL */
	char *sql;
	int nparams;
	struct db_param *params;
	PGresult *res;
	int row;       /* the current row of res; -1 before the first step */
	int rc;        /* SQLITE_ROW while rows remain; set by the last step */
	int stream;
	char cursor[32];
	int open;      /* the cursor is declared */
	int done;      /* the cursor has no more rows */
	unsigned char *blob;   /* the last bytea decoded: row blob_row, column blob_col */
	size_t bloblen;
	int blob_row, blob_col;
	const PGresult *blob_res;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int db_path_is_pg(const char *path)
{
	return path != NULL &&
	       (strncmp(path, "postgres://", 11) == 0 || strncmp(path, "postgresql://", 13) == 0);
}

int db_pg_url_check(const char *url, char *err, size_t errlen)
{
	char *msg = NULL;
	PQconninfoOption *o = PQconninfoParse(url, &msg), *p;
	int ret = 0;

	if (o == NULL) {
		snprintf(err, errlen, "--db %.11s...: not a PostgreSQL URL libpq can read: %s", url,
			 msg ? msg : "out of memory");
		PQfreemem(msg);
		return -1;
	}
	for (p = o; p->keyword != NULL; p++) {
		if (strcmp(p->keyword, "password") == 0 && p->val != NULL && p->val[0] != '\0') {
			snprintf(err, errlen, "--db: the PostgreSQL URL carries a password, which "
				 "every local user can read in the process list; leave it out and "
				 "give it in a password file (PGPASSFILE, or ~/.pgpass: "
				 "host:port:database:user:password, mode 0600) or in the service's "
				 "environment (PGPASSWORD)");
			ret = -1;
		}
	}
	PQconninfoFree(o);
	return ret;
}

/* ---- the dialect ----------------------------------------------------- */

struct sqlout {
	char *p;
	size_t len, cap;
	int oom;
};

static void out_add(struct sqlout *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->cap ? o->cap * 2 : 256) + n;
		char *p = realloc(o->p, cap);

		if (p == NULL) {
			o->oom = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_str(struct sqlout *o, const char *s)
{
	out_add(o, s, strlen(s));
}

static int ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The end of the literal, identifier or comment starting at p (one past
 * it), or NULL when p starts none of them. */
static const char *skip_quoted(const char *p)
{
	if (*p == '\'' || *p == '"') {
		char q = *p++;

		for (; *p; p++) {
			if (*p == q) {
				if (p[1] == q) {
					p++;
					continue;
				}
				return p + 1;
			}
		}
		return p;
	}
	if (p[0] == '-' && p[1] == '-') {
		while (*p && *p != '\n')
			p++;
		return p;
	}
	return NULL;
}

/* The closing parenthesis matching the one at open, and the number of
 * top-level commas between; NULL if unbalanced. */
static const char *match_paren(const char *open, int *commas, const char **comma1)
{
	int depth = 0;
	const char *p = open;

	*commas = 0;
	*comma1 = NULL;
	while (*p) {
		const char *q = skip_quoted(p);

		if (q != NULL) {
			p = q;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
		else if (*p == ',' && depth == 1) {
			if (*commas == 0)
				*comma1 = p;
			(*commas)++;
		}
		p++;
	}
	return NULL;
}

static int word_at(const char *sql, const char *p, const char *w)
{
	size_t n = strlen(w);

	return strncasecmp(p, w, n) == 0 && (p == sql || !ident_char(p[-1])) &&
	       !ident_char(p[n]);
}

static void translate(struct sqlout *o, const char *sql, const char *end, int *maxp);

/* s..e trimmed equals the literal lit. */
static int arg_is(const char *s, const char *e, const char *lit)
{
	size_t n = strlen(lit);

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return (size_t)(e - s) == n && strncmp(s, lit, n) == 0;
}

static void translate(struct sqlout *o, const char *sql, const char *end, int *maxp)
{
	const char *p = sql, *lit = sql;

	while (p < end) {
		const char *q = skip_quoted(p), *close, *comma1;
		int commas;

		if (q != NULL) {
			p = q;
			continue;
		}
		if (*p == '?') {
			char num[16];
			int n;

			out_add(o, lit, (size_t)(p - lit));
			p++;
			if (isdigit((unsigned char)*p)) {
				long v = strtol(p, (char **)&p, 10);

				/* Past PostgreSQL's limit: left for the server to refuse. */
				n = v > DB_MAX_PARAMS ? DB_MAX_PARAMS + 1 : (int)v;
			} else {
				/* SQLite: a bare ? is the largest number so far + 1. */
				n = *maxp + 1;
			}
			if (n > *maxp)
				*maxp = n;
			snprintf(num, sizeof num, "$%d", n);
			out_str(o, num);
			lit = p;
			continue;
		}
		if (word_at(sql, p, "BEGIN") && strncasecmp(p + 5, " IMMEDIATE", 10) == 0) {
			out_add(o, lit, (size_t)(p - lit));
			out_str(o, "BEGIN");
			p += 15;
			lit = p;
			continue;
		}
		if (word_at(sql, p, "AS") && strncasecmp(p + 2, " INTEGER", 8) == 0 &&
		    !ident_char(p[10])) {
			out_add(o, lit, (size_t)(p - lit));
			out_str(o, "AS BIGINT");
			p += 10;
			lit = p;
			continue;
		}
		if ((word_at(sql, p, "max") || word_at(sql, p, "min")) && p[3] == '(' &&
		    (close = match_paren(p + 3, &commas, &comma1)) != NULL && commas > 0) {
			out_add(o, lit, (size_t)(p - lit));
			out_str(o, tolower((unsigned char)p[1]) == 'a' ? "greatest(" : "least(");
			translate(o, p + 4, close + 1, maxp);
			p = close + 1;
			lit = p;
			continue;
		}
		if (word_at(sql, p, "date") && p[4] == '(' &&
		    (close = match_paren(p + 4, &commas, &comma1)) != NULL && commas == 1 &&
		    arg_is(comma1 + 1, close, "'unixepoch'")) {
			out_add(o, lit, (size_t)(p - lit));
			out_str(o, "to_char(to_timestamp(");
			translate(o, p + 5, comma1, maxp);
			out_str(o, ") AT TIME ZONE 'UTC', 'YYYY-MM-DD')");
			p = close + 1;
			lit = p;
			continue;
		}
		p++;
	}
	out_add(o, lit, (size_t)(end - lit));
}

char *db_pg_sql(const char *sql, int *nparams)
{
	struct sqlout o = { 0 };
	int maxp = 0;

	translate(&o, sql, sql + strlen(sql), &maxp);
	out_add(&o, "", 0);
	if (o.oom) {
		free(o.p);
		return NULL;
	}
	*nparams = maxp;
	return o.p;
}

/* ---- PostgreSQL connections ----------------------------------------- */

static void pg_msg(struct db *db, const char *what, const char *m)
{
	size_t n;
	char *c;

	snprintf(db->msg, sizeof db->msg, "%s%s", what, m ? m : "");
	/* One line: libpq's messages hold newlines and tabs (DETAIL, HINT). */
	for (c = db->msg; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	n = strlen(db->msg);
	while (n > 0 && (db->msg[n - 1] == '\n' || db->msg[n - 1] == ' '))
		db->msg[--n] = '\0';
}

/* SQLite's code for a PostgreSQL SQLSTATE. */
static int code_of(const char *state)
{
	if (state == NULL)
		return SQLITE_IOERR;
	if (strncmp(state, "23", 2) == 0)
		return SQLITE_CONSTRAINT;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "55P03") == 0)
		return SQLITE_BUSY;
	if (strcmp(state, "57014") == 0)
		return SQLITE_INTERRUPT;
	if (strcmp(state, "53100") == 0)
		return SQLITE_FULL;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
	    strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0)
		return SQLITE_IOERR;
	if (strcmp(state, "25006") == 0)
		return SQLITE_READONLY;
	return SQLITE_ERROR;
}

/* The session settings of every connection (and after a reconnection). */
static int pg_setup(struct db *db)
{
	PGresult *r = PQexec(db->pg, db->readonly
			     ? "SET default_transaction_read_only = on; SET TIME ZONE 'UTC';"
			       " SET client_min_messages = warning"
			     : "SET synchronous_commit = on; SET TIME ZONE 'UTC';"
			       " SET client_min_messages = warning");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		pg_msg(db, "", PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* A usable connection: resets a broken one (at most once a second).
 * 0, or -1 with db->code and db->msg set. */
static int pg_ready(struct db *db)
{
	int64_t t;

	if (PQstatus(db->pg) == CONNECTION_OK)
		return 0;
	t = now_ms();
	if (db->reset_at != 0 && t - db->reset_at < DB_RESET_MS) {
		db->code = SQLITE_IOERR;
		pg_msg(db, "PostgreSQL is unreachable: ", PQerrorMessage(db->pg));
		return -1;
	}
	db->reset_at = t;
	PQreset(db->pg);
	if (PQstatus(db->pg) != CONNECTION_OK || pg_setup(db) != 0) {
		db->code = SQLITE_IOERR;
		pg_msg(db, "PostgreSQL is unreachable: ", PQerrorMessage(db->pg));
		return -1;
	}
	return 0;
}

/* Records the outcome of a result: SQLITE_OK (command or rows) or an
 * error code with its message. sql: what ran (a COMMIT is checked). */
static int pg_result(struct db *db, PGresult *r, const char *sql)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		const char *tag = PQcmdStatus(r), *n = PQcmdTuples(r);

		/* A COMMIT of a transaction a failed statement aborted is
		 * answered "ROLLBACK": nothing was kept, and the caller must
		 * know it (SQLite would have kept the other statements). */
		if (strncasecmp(sql, "COMMIT", 6) == 0 && tag != NULL &&
		    strcmp(tag, "ROLLBACK") == 0) {
			db->code = SQLITE_ABORT;
			snprintf(db->msg, sizeof db->msg, "COMMIT rolled back: an earlier statement "
				 "of the transaction failed, nothing of it was kept");
			return db->code;
		}
		db->code = SQLITE_OK;
		db->msg[0] = '\0';
		/* As sqlite3_changes: rows an INSERT, UPDATE or DELETE changed. */
		if (tag != NULL && n != NULL && *n != '\0' &&
		    (strncmp(tag, "INSERT", 6) == 0 || strncmp(tag, "UPDATE", 6) == 0 ||
		     strncmp(tag, "DELETE", 6) == 0 || strncmp(tag, "MERGE", 5) == 0))
			db->changes = atoi(n);
		return SQLITE_OK;
	}
	if (r == NULL || PQstatus(db->pg) != CONNECTION_OK) {
		db->code = SQLITE_IOERR;
		pg_msg(db, "PostgreSQL is unreachable: ",
		       r ? PQresultErrorMessage(r) : PQerrorMessage(db->pg));
		return db->code;
	}
	db->code = code_of(PQresultErrorField(r, PG_DIAG_SQLSTATE));
	pg_msg(db, "", PQresultErrorMessage(r));
	return db->code;
}

static int pg_open(const char *url, struct db *db)
{
	/* Connecting waits at most 2 s (a reader may hold the shared read
	 * connection meanwhile); keepalives find a server that vanished
	 * without closing the connection. Defaults only: the URL comes last,
	 * so what it says wins (libpq: later parameters override). */
	const char *keys[] = { "connect_timeout", "keepalives", "keepalives_idle",
			       "keepalives_interval", "keepalives_count", "application_name",
			       "dbname", NULL };
	const char *vals[] = { "2", "1", "10", "5", "3", "petitiond", url, NULL };

	db->pg = PQconnectdbParams(keys, vals, 1);
	if (db->pg == NULL) {
		db->code = SQLITE_NOMEM;
		snprintf(db->msg, sizeof db->msg, "out of memory");
		return db->code;
	}
	if (PQstatus(db->pg) != CONNECTION_OK) {
		db->code = SQLITE_CANTOPEN;
		pg_msg(db, "cannot connect to PostgreSQL: ", PQerrorMessage(db->pg));
		return db->code;
	}
	if (pg_setup(db) != 0) {
		db->code = SQLITE_CANTOPEN;
		return db->code;
	}
	db->code = SQLITE_OK;
	return SQLITE_OK;
}

/* ---- connections ------------------------------------------------------ */

int db_open_v2(const char *path, struct db **out, int flags, const char *vfs)
{
	struct db *db = calloc(1, sizeof *db);
	int rc;

	*out = db;
	if (db == NULL)
		return SQLITE_NOMEM;
	if (db_path_is_pg(path)) {
		db->readonly = (flags & SQLITE_OPEN_READONLY) != 0;
		return pg_open(path, db);
	}
	rc = sqlite3_open_v2(path, &db->lite, flags, vfs);
	if (rc != SQLITE_OK && db->lite == NULL)
		snprintf(db->msg, sizeof db->msg, "out of memory");
	if (db->lite != NULL)
		sqlite3_extended_result_codes(db->lite, 1);
	return rc;
}

int db_close(struct db *db)
{
	int rc = SQLITE_OK;

	if (db == NULL)
		return SQLITE_OK;
	if (db->lite != NULL) {
		rc = sqlite3_close(db->lite);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (db->pg != NULL)
		PQfinish(db->pg);
	free(db);
	return rc;
}

int db_is_pg(const struct db *db)
{
	return db != NULL && db->lite == NULL;
}

sqlite3 *db_lite(struct db *db)
{
	return db ? db->lite : NULL;
}

void *db_pg_conn(struct db *db)
{
	return db ? db->pg : NULL;
}

int db_exec(struct db *db, const char *sql, void *cb, void *arg, char **errmsg)
{
	char *m = NULL, *pgsql;
	int rc, n;
	PGresult *r;

	(void)cb;
	(void)arg;
	if (errmsg)
		*errmsg = NULL;
	if (db->lite != NULL) {
		rc = sqlite3_exec(db->lite, sql, NULL, NULL, errmsg ? &m : NULL);
		if (m != NULL) {
			*errmsg = strdup(m);
			sqlite3_free(m);
		}
		return rc;
	}
	if (pg_ready(db) != 0)
		goto fail;
	if (strcmp(sql, "BEGIN IMMEDIATE") == 0)
		sql = "BEGIN; SELECT pg_advisory_xact_lock(" DB_PG_LOCK_TEXT ")";
	pgsql = db_pg_sql(sql, &n);
	if (pgsql == NULL) {
		db->code = SQLITE_NOMEM;
		snprintf(db->msg, sizeof db->msg, "out of memory");
		goto fail;
	}
	r = PQexec(db->pg, pgsql);
	rc = pg_result(db, r, pgsql);
	free(pgsql);
	PQclear(r);
	if (rc == SQLITE_OK)
		return rc;
fail:
	if (errmsg)
		*errmsg = strdup(db->msg);
	return db->code;
}

void db_free(void *p)
{
	free(p);
}

const char *db_errmsg(struct db *db)
{
	if (db == NULL)
		return "out of memory";
	if (db->lite != NULL)
		return sqlite3_errmsg(db->lite);
	return db->msg[0] ? db->msg : "not an error";
}

int db_errcode(struct db *db)
{
	if (db == NULL)
		return SQLITE_NOMEM;
	return db->lite ? sqlite3_errcode(db->lite) : db->code;
}

int db_extended_errcode(struct db *db)
{
	if (db == NULL)
		return SQLITE_NOMEM;
	return db->lite ? sqlite3_extended_errcode(db->lite) : db->code;
}

const char *db_errstr(int code)
{
	return sqlite3_errstr(code);
}

int db_changes(struct db *db)
{
	return db->lite ? sqlite3_changes(db->lite) : db->changes;
}

int64_t db_last_insert_rowid(struct db *db)
{
	return db->lite != NULL ? sqlite3_last_insert_rowid(db->lite) : -1;
}

int db_get_autocommit(struct db *db)
{
	if (db->lite != NULL)
		return sqlite3_get_autocommit(db->lite);
	return PQtransactionStatus(db->pg) == PQTRANS_IDLE ||
	       PQtransactionStatus(db->pg) == PQTRANS_UNKNOWN;
}

int db_busy_timeout(struct db *db, int ms)
{
	char sql[64];
	PGresult *r;

	if (db->lite != NULL)
		return sqlite3_busy_timeout(db->lite, ms);
	if (PQstatus(db->pg) != CONNECTION_OK)
		return SQLITE_IOERR;
	snprintf(sql, sizeof sql, "SET lock_timeout = %d", ms > 0 ? ms : 0);
	r = PQexec(db->pg, sql);
	PQclear(r);
	return SQLITE_OK;
}

/* ---- statements ------------------------------------------------------- */

int db_prepare_v3(struct db *db, const char *sql, int n, unsigned flags, struct db_stmt **out,
		  const char **tail)
{
	struct db_stmt *s;
	int rc;

	*out = NULL;
	if (tail)
		*tail = NULL;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return SQLITE_NOMEM;
	s->db = db;
	if (db->lite != NULL) {
		rc = sqlite3_prepare_v3(db->lite, sql, n, flags & ~(unsigned)DB_PREPARE_STREAM,
					&s->lite, tail);
		if (rc != SQLITE_OK || s->lite == NULL) {
			free(s);
			return rc != SQLITE_OK ? rc : SQLITE_ERROR;
		}
		*out = s;
		return SQLITE_OK;
	}
	if (n >= 0) {
		/* Only the first n bytes, as SQLite reads them. */
		char *copy = strndup(sql, (size_t)n);

		s->sql = copy ? db_pg_sql(copy, &s->nparams) : NULL;
		free(copy);
	} else {
		s->sql = db_pg_sql(sql, &s->nparams);
	}
	if (s->sql == NULL || (s->nparams > 0 &&
			       (s->params = calloc((size_t)s->nparams, sizeof *s->params)) == NULL)) {
		free(s->sql);
		free(s);
		db->code = SQLITE_NOMEM;
		return SQLITE_NOMEM;
	}
	s->stream = (flags & DB_PREPARE_STREAM) != 0;
	if (s->stream)
		snprintf(s->cursor, sizeof s->cursor, "petitiond_c%u", ++db->cursors);
	s->row = -1;
	*out = s;
	return SQLITE_OK;
}

int db_prepare_v2(struct db *db, const char *sql, int n, struct db_stmt **out, const char **tail)
{
	return db_prepare_v3(db, sql, n, 0, out, tail);
}

int db_bind_parameter_count(struct db_stmt *s)
{
	return s->lite ? sqlite3_bind_parameter_count(s->lite) : s->nparams;
}

static int param_set(struct db_stmt *s, int i, const void *v, size_t len, int fmt, unsigned oid)
{
	struct db_param *p;

	if (i < 1 || i > s->nparams)
		return SQLITE_RANGE;
	p = &s->params[i - 1];
	free(p->v);
	p->v = NULL;
	p->len = 0;
	p->fmt = fmt;
	p->oid = oid;
	if (v == NULL)
		return SQLITE_OK;
	p->v = malloc(len + 1);
	if (p->v == NULL)
		return SQLITE_NOMEM;
	memcpy(p->v, v, len);
	p->v[len] = '\0';
	p->len = (int)len;
	return SQLITE_OK;
}

int db_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	char num[24];

	if (s->lite)
		return sqlite3_bind_int64(s->lite, i, v);
	snprintf(num, sizeof num, "%lld", (long long)v);
	return param_set(s, i, num, strlen(num), 0, OID_INT8);
}

int db_bind_int(struct db_stmt *s, int i, int v)
{
	return s->lite ? sqlite3_bind_int(s->lite, i, v) : db_bind_int64(s, i, v);
}

int db_bind_null(struct db_stmt *s, int i)
{
	return s->lite ? sqlite3_bind_null(s->lite, i) : param_set(s, i, NULL, 0, 0, 0);
}

int db_bind_text(struct db_stmt *s, int i, const char *v, int n, void (*destructor)(void *))
{
	if (s->lite)
		return sqlite3_bind_text(s->lite, i, v, n, destructor);
	if (v == NULL)
		return param_set(s, i, NULL, 0, 0, 0);
	return param_set(s, i, v, n < 0 ? strlen(v) : (size_t)n, 0, OID_TEXT);
}

int db_bind_blob(struct db_stmt *s, int i, const void *v, int n, void (*destructor)(void *))
{
	if (s->lite)
		return sqlite3_bind_blob(s->lite, i, v, n, destructor);
	if (v == NULL)
		return param_set(s, i, NULL, 0, 0, 0);
	/* An empty blob is not NULL: one byte allocated, length 0. */
	return param_set(s, i, n > 0 ? v : "", (size_t)(n > 0 ? n : 0), 1, OID_BYTEA);
}

static void pg_clear_result(struct db_stmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
	s->blob_res = NULL;
}

/* Runs sql on s's connection with its parameters; the result in s->res. */
static int pg_run(struct db_stmt *s, const char *sql, int with_params)
{
	struct db *db = s->db;
	const char **vals = NULL;
	int *lens = NULL, *fmts = NULL;
	Oid *types = NULL;
	int i, n = with_params ? s->nparams : 0, rc;

	if (n > 0) {
		vals = malloc((size_t)n * sizeof *vals);
		lens = malloc((size_t)n * sizeof *lens);
		fmts = malloc((size_t)n * sizeof *fmts);
		types = malloc((size_t)n * sizeof *types);
		if (vals == NULL || lens == NULL || fmts == NULL || types == NULL) {
			rc = db->code = SQLITE_NOMEM;
			snprintf(db->msg, sizeof db->msg, "out of memory");
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		vals[i] = s->params[i].v;
		lens[i] = s->params[i].len;
		fmts[i] = s->params[i].fmt;
		types[i] = s->params[i].oid;
	}
	pg_clear_result(s);
	if (pg_ready(db) != 0) {
		rc = db->code;
		goto done;
	}
	s->res = PQexecParams(db->pg, sql, n, types, vals, lens, fmts, 0);
	rc = pg_result(db, s->res, sql);
	if (rc != SQLITE_OK)
		pg_clear_result(s);
done:
	free(vals);
	free(lens);
	free(fmts);
	free(types);
	return rc;
}

static int pg_fetch(struct db_stmt *s)
{
	char sql[80];

	snprintf(sql, sizeof sql, "FETCH %d FROM %s", DB_FETCH, s->cursor);
	return pg_run(s, sql, 0);
}

int db_step(struct db_stmt *s)
{
	int rc;

	if (s->lite)
		return sqlite3_step(s->lite);
	if (s->row < 0 && s->rc == 0) {
		/* The first step: run it. */
		if (s->stream) {
			struct sqlout o = { 0 };

			out_str(&o, "DECLARE ");
			out_str(&o, s->cursor);
			out_str(&o, " NO SCROLL CURSOR FOR ");
			out_str(&o, s->sql);
			if (o.oom) {
				free(o.p);
				return s->rc = SQLITE_NOMEM;
			}
			rc = pg_run(s, o.p, 1);
			free(o.p);
			if (rc != SQLITE_OK)
				return s->rc = rc;
			s->open = 1;
			rc = pg_fetch(s);
		} else {
			rc = pg_run(s, s->sql, 1);
		}
		if (rc != SQLITE_OK)
			return s->rc = rc;
		s->row = 0;
	} else if (s->rc != SQLITE_ROW) {
		return s->rc;
	} else {
		s->row++;
	}
	if (s->res != NULL && s->row < PQntuples(s->res))
		return s->rc = SQLITE_ROW;
	if (s->stream && s->res != NULL && PQntuples(s->res) == DB_FETCH && !s->done) {
		rc = pg_fetch(s);
		if (rc != SQLITE_OK)
			return s->rc = rc;
		s->row = 0;
		if (PQntuples(s->res) > 0)
			return s->rc = SQLITE_ROW;
	}
	s->done = 1;
	return s->rc = SQLITE_DONE;
}

int db_reset(struct db_stmt *s)
{
	int rc;

	if (s == NULL)
		return SQLITE_OK;
	if (s->lite)
		return sqlite3_reset(s->lite);
	rc = s->rc == SQLITE_ROW || s->rc == SQLITE_DONE || s->rc == 0 ? SQLITE_OK : s->rc;
	if (s->open) {
		char sql[64];
		PGresult *r;

		snprintf(sql, sizeof sql, "CLOSE %s", s->cursor);
		if (PQstatus(s->db->pg) == CONNECTION_OK &&
		    PQtransactionStatus(s->db->pg) == PQTRANS_INTRANS) {
			r = PQexec(s->db->pg, sql);
			PQclear(r);
		}
		s->open = 0;
	}
	pg_clear_result(s);
	s->rc = 0;
	s->done = 0;
	return rc;
}

int db_clear_bindings(struct db_stmt *s)
{
	int i;

	if (s->lite)
		return sqlite3_clear_bindings(s->lite);
	for (i = 0; i < s->nparams; i++) {
		free(s->params[i].v);
		s->params[i].v = NULL;
		s->params[i].len = 0;
	}
	return SQLITE_OK;
}

int db_finalize(struct db_stmt *s)
{
	int rc;

	if (s == NULL)
		return SQLITE_OK;
	if (s->lite) {
		rc = sqlite3_finalize(s->lite);
		free(s);
		return rc;
	}
	rc = db_reset(s);
	db_clear_bindings(s);
	free(s->params);
	free(s->sql);
	free(s->blob);
	free(s);
	return rc;
}

/* The text of column i of the current row, or NULL (SQL NULL, no row). */
static const char *pg_value(struct db_stmt *s, int i)
{
	if (s->res == NULL || s->row < 0 || s->row >= PQntuples(s->res) || i < 0 ||
	    i >= PQnfields(s->res) || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

int64_t db_column_int64(struct db_stmt *s, int i)
{
	const char *v;

	if (s->lite)
		return sqlite3_column_int64(s->lite, i);
	v = pg_value(s, i);
	if (v == NULL)
		return 0;
	if (v[0] == 't' && v[1] == '\0')
		return 1;
	return strtoll(v, NULL, 10);
}

int db_column_int(struct db_stmt *s, int i)
{
	return s->lite ? sqlite3_column_int(s->lite, i) : (int)db_column_int64(s, i);
}

const unsigned char *db_column_text(struct db_stmt *s, int i)
{
	return s->lite ? sqlite3_column_text(s->lite, i) : (const unsigned char *)pg_value(s, i);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* bytea comes back as text: "\x" and two hex digits a byte. */
static const unsigned char *pg_blob(struct db_stmt *s, int i, size_t *len)
{
	const char *v = pg_value(s, i);
	size_t n, k;

	*len = 0;
	if (v == NULL)
		return NULL;
	if (PQftype(s->res, i) != OID_BYTEA || v[0] != '\\' || v[1] != 'x') {
		*len = strlen(v);
		return (const unsigned char *)v;
	}
	if (s->blob != NULL && s->blob_res == s->res && s->blob_row == s->row && s->blob_col == i) {
		*len = s->bloblen;
		return s->blob;
	}
	n = (strlen(v) - 2) / 2;
	free(s->blob);
	s->blob = malloc(n + 1);
	s->bloblen = 0;
	if (s->blob == NULL)
		return NULL;
	for (k = 0; k < n; k++) {
		int h = hexval((unsigned char)v[2 + 2 * k]), l = hexval((unsigned char)v[3 + 2 * k]);

		if (h < 0 || l < 0)
			break;
		s->blob[k] = (unsigned char)(h << 4 | l);
	}
	s->bloblen = k;
	s->blob_res = s->res;
	s->blob_row = s->row;
	s->blob_col = i;
	*len = k;
	return s->blob;
}

const void *db_column_blob(struct db_stmt *s, int i)
{
	size_t n;

	if (s->lite)
		return sqlite3_column_blob(s->lite, i);
	return pg_blob(s, i, &n);
}

int db_column_bytes(struct db_stmt *s, int i)
{
	const char *v;
	size_t n;

	if (s->lite)
		return sqlite3_column_bytes(s->lite, i);
	if (s->res != NULL && i >= 0 && i < PQnfields(s->res) && PQftype(s->res, i) == OID_BYTEA) {
		/* The length of the bytes db_column_blob gives. */
		pg_blob(s, i, &n);
		return (int)n;
	}
	v = pg_value(s, i);
	return v ? (int)strlen(v) : 0;
}

int db_column_type(struct db_stmt *s, int i)
{
	if (s->lite)
		return sqlite3_column_type(s->lite, i);
	if (pg_value(s, i) == NULL)
		return SQLITE_NULL;
	switch (PQftype(s->res, i)) {
	case 20: case 21: case 23: case 16:
		return SQLITE_INTEGER;
	case OID_BYTEA:
		return SQLITE_BLOB;
	default:
		return SQLITE_TEXT;
	}
}
