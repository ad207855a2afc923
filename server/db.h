/* db.h -- one SQL interface over the two storage engines: SQLite (a file
 * path, the embedded default) and PostgreSQL (a postgres:// or
 * postgresql:// URL, through libpq).
 *
 * The calls are SQLite's own, renamed (sqlite3_step -> db_step) and with the
 * same arguments and result codes (SQLITE_ROW, SQLITE_DONE, SQLITE_OK,
 * SQLITE_CONSTRAINT, ...), so the store's files read the same on either
 * engine. On PostgreSQL a statement's SQL is rewritten once, at prepare,
 * from the dialect the store writes in (see db_pg_sql) and run with its
 * parameters typed (an integer as bigint, text as text, a blob as bytea);
 * rows come back as text and are converted by the db_column_* calls, a
 * boolean (t or f) as 1 or 0.
 *
 * What only SQLite has (the WAL and its checkpoints, the online backup,
 * PRAGMAs, FTS5) is reached through db_lite(), which is NULL on PostgreSQL:
 * the store's files test it (or db_is_pg) where the engines differ.
 *
 * Threads: a connection and its statements belong to one thread at a time
 * (the store's locks), as with SQLITE_OPEN_NOMUTEX. */
#ifndef PETITIOND_DB_H
#define PETITIOND_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_stmt;

/* path names a PostgreSQL server (postgres:// or postgresql://). */
int db_path_is_pg(const char *path);
/* A PostgreSQL URL that libpq cannot read, or that carries a password
 * (a command line is readable by every local user in ps and /proc): 0 when
 * usable, else -1 with the reason in err. */
int db_pg_url_check(const char *url, char *err, size_t errlen);

/* Opens path (flags: SQLite's SQLITE_OPEN_*; on PostgreSQL,
 * SQLITE_OPEN_READONLY makes every transaction read-only). *out is set
 * either way (db_close it); returns SQLITE_OK or an error code with the
 * message in db_errmsg(*out), or SQLITE_NOMEM with *out NULL. The last
 * argument is SQLite's VFS name (NULL). */
int db_open_v2(const char *path, struct db **out, int flags, const char *vfs);
int db_close(struct db *db);

int db_is_pg(const struct db *db);
/* The SQLite connection, or NULL on PostgreSQL. */
sqlite3 *db_lite(struct db *db);
/* The libpq connection (a PGconn *), or NULL on SQLite. */
void *db_pg_conn(struct db *db);

/* The advisory lock that stands for SQLite's one writer on PostgreSQL: the
 * schema's migrations, and every transaction db_exec begins with "BEGIN
 * IMMEDIATE" (an organizer's change, the outbox's, housekeeping: they read,
 * then write what they read) take it, so they run one at a time across all
 * the nodes, as they do on SQLite. The signing batch's BEGIN (a prepared
 * statement) does not: its rows' locks are enough, and the nodes' batches
 * overlap. */
#define DB_PG_WRITE_LOCK 0x70657469 /* "peti" */

/* As sqlite3_exec with no callback: runs every statement of sql. *errmsg
 * (when errmsg is given and it fails): a message to release with db_free. */
int db_exec(struct db *db, const char *sql, void *cb, void *arg, char **errmsg);
void db_free(void *p);

/* Prepared statements. prepare_v3's flags: SQLite's (PERSISTENT), or
 * DB_PREPARE_STREAM: on PostgreSQL, the rows come through a cursor, a
 * thousand at a time, inside the transaction the caller opened (an
 * export's constant memory); without it a statement's rows are read whole
 * when it runs. */
#define DB_PREPARE_STREAM 0x1000
int db_prepare_v2(struct db *db, const char *sql, int n, struct db_stmt **out, const char **tail);
int db_prepare_v3(struct db *db, const char *sql, int n, unsigned flags, struct db_stmt **out,
		  const char **tail);
int db_bind_parameter_count(struct db_stmt *s);
int db_bind_int64(struct db_stmt *s, int i, int64_t v);
int db_bind_int(struct db_stmt *s, int i, int v);
int db_bind_null(struct db_stmt *s, int i);
/* destructor: SQLITE_STATIC or SQLITE_TRANSIENT (PostgreSQL always copies). */
int db_bind_text(struct db_stmt *s, int i, const char *v, int n, void (*destructor)(void *));
int db_bind_blob(struct db_stmt *s, int i, const void *v, int n, void (*destructor)(void *));
int db_step(struct db_stmt *s);
int db_reset(struct db_stmt *s);
int db_clear_bindings(struct db_stmt *s);
int db_finalize(struct db_stmt *s);
int64_t db_column_int64(struct db_stmt *s, int i);
int db_column_int(struct db_stmt *s, int i);
const unsigned char *db_column_text(struct db_stmt *s, int i);
const void *db_column_blob(struct db_stmt *s, int i);
int db_column_bytes(struct db_stmt *s, int i);
int db_column_type(struct db_stmt *s, int i);

const char *db_errmsg(struct db *db);
int db_errcode(struct db *db);
int db_extended_errcode(struct db *db);
const char *db_errstr(int code);
int db_changes(struct db *db);
/* The id the last INSERT gave its row: SQLite only (-1 on PostgreSQL:
 * write INSERT ... RETURNING id, which both engines run). */
int64_t db_last_insert_rowid(struct db *db);
/* 1 outside a transaction. */
int db_get_autocommit(struct db *db);
/* SQLite's busy timeout; on PostgreSQL the lock timeout of the statements
 * that follow (0: wait as long as it takes). */
int db_busy_timeout(struct db *db, int ms);

/* PostgreSQL's dialect of sql (the store's SQL rewritten: ?N -> $N,
 * BEGIN IMMEDIATE -> BEGIN, two-argument max/min -> greatest/least,
 * date(x, 'unixepoch') -> the UTC day as text, CAST(x AS INTEGER) -> bigint),
 * malloc'd, with the highest parameter number in *nparams; NULL when out of
 * memory. Exposed for the unit test. */
char *db_pg_sql(const char *sql, int *nparams);

#endif
