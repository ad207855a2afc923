/* store_admins.c -- organizers' accounts and their signed-in sessions.
 *
 * An account is a name and the SHA-256 of its token; a session is the
 * SHA-256 of a random id kept in the browser's cookie. Nothing stored here
 * lets anyone sign in: the tokens and session ids themselves are only ever
 * in the organizers' hands.
 *
 * Two ways in. The server uses its store (struct store): lookups on the
 * shared read connection, changes from writer tasks on the writer's
 * connection. The command line (`petitiond admin ...`) opens the database
 * file itself, beside a running server if there is one (see cli_open). The
 * changes are written once, on a plain connection, and both ways call them.
 * Every change and its audit line are one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assets.h"
#include "store_int.h"

int store_admin_name_ok(const char *name)
{
	size_t i, n = name ? strlen(name) : 0;

	if (n == 0 || n > STORE_ADMIN_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = name[i];
		int alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || (ch != '.' && ch != '_' && ch != '-')))
			return 0;
	}
	return 1;
}

/* 1 when s is AUTH-style hex SHA-256: 64 lower-case hex digits. */
static int is_hash(const char *s)
{
	return s != NULL && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static int begin(struct db *db, const char *path, char *err, size_t errlen)
{
	if (db_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		store_errmsg(db, path, "starting a change of the organizers' accounts", err,
			     errlen);
		return -1;
	}
	return 0;
}

static int commit(struct db *db, const char *path, char *err, size_t errlen)
{
	if (db_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_errmsg(db, path, "committing a change of the organizers' accounts", err,
			     errlen);
		if (!db_get_autocommit(db))
			db_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void rollback(struct db *db)
{
	if (!db_get_autocommit(db))
		db_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* The parameters ?1..?4 of a statement: each the text t[k], or, when that
 * is NULL, the integer i[k]. */
#define ARGS_MAX 4
struct args {
	const char *t[ARGS_MAX];
	int64_t i[ARGS_MAX];
};

static int bind_args(struct db_stmt *s, const struct args *a)
{
	int k, n = db_bind_parameter_count(s);

	for (k = 0; k < n && k < ARGS_MAX; k++) {
		if (a->t[k] != NULL)
			db_bind_text(s, k + 1, a->t[k], -1, SQLITE_STATIC);
		else
			db_bind_int64(s, k + 1, a->i[k]);
	}
	return 0;
}

static int run(struct db *db, const char *path, const char *op, const char *sql,
	       const struct args *a, char *err, size_t errlen)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(db, path, op, err, errlen);
		return -1;
	}
	bind_args(s, a);
	rc = db_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		store_errmsg(db, path, op, err, errlen);
	db_finalize(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* One row of sql: its first column as *id (int64) and its second, when
 * asked, as *v2 (0 for NULL), and its third as text into name. Returns 1, 0
 * for no row, -1 on error. */
static int row(struct db *db, const char *path, const char *op, const char *sql,
	       const struct args *a, int64_t *id, int64_t *v2, char *name, size_t namelen,
	       char *err, size_t errlen)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(db, path, op, err, errlen);
		return -1;
	}
	bind_args(s, a);
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		if (id != NULL)
			*id = db_column_int64(s, 0);
		if (v2 != NULL)
			*v2 = db_column_int64(s, 1);
		if (name != NULL && namelen > 0) {
			const char *t = (const char *)db_column_text(s, 2);

			snprintf(name, namelen, "%s", t ? t : "");
		}
	} else if (rc != SQLITE_DONE) {
		store_errmsg(db, path, op, err, errlen);
	}
	db_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The audit line of a change, inside its transaction (the same row
 * store_audit_add writes, on whichever connection the change uses). */
static int audit(struct db *db, const char *path, int64_t at, const char *who,
		 const char *action, const char *detail, char *err, size_t errlen)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(db, "INSERT INTO audit (at, admin, action, detail)"
			      " VALUES (?1, ?2, ?3, ?4)", -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(db, path, "adding to the audit trail", err, errlen);
		return -1;
	}
	db_bind_int64(s, 1, at);
	db_bind_text(s, 2, who ? who : "", -1, SQLITE_STATIC);
	db_bind_text(s, 3, action, -1, SQLITE_STATIC);
	db_bind_text(s, 4, detail ? detail : "", -1, SQLITE_STATIC);
	rc = db_step(s);
	if (rc != SQLITE_DONE)
		store_errmsg(db, path, "adding to the audit trail", err, errlen);
	db_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* lower() on both sides: SQLite's column folds case itself (NOCASE),
 * PostgreSQL's unique index is on lower(name); names are ASCII. */
#define FIND_ACCOUNT                                                     \
	"SELECT id, coalesce(revoked_at, 0), name FROM admins WHERE lower(name) =" \
	" lower(?1)"

/* add, revoke or rotate, with its audit line, in one transaction on db. */
static int change(struct db *db, const char *path, enum store_admin_op op, int64_t now,
		  const char *name, const char *token_hash, const char *keep_sid_hash,
		  const char *who, char *err, size_t errlen)
{
	struct args a = { { name, NULL, NULL }, { 0, 0, 0 } };
	char stored[STORE_ADMIN_NAME_MAX + 1], detail[STORE_ADMIN_NAME_MAX + 64];
	int64_t id = 0, revoked = 0;
	int found, rc = STORE_ADMIN_OK;

	if (!store_admin_name_ok(name))
		return STORE_ADMIN_BAD_NAME;
	if (op != STORE_ADMIN_REVOKE && !is_hash(token_hash)) {
		snprintf(err, errlen, "not a token hash");
		return STORE_ADMIN_FAILED;
	}
	if (begin(db, path, err, errlen) != 0)
		return STORE_ADMIN_FAILED;
	found = row(db, path, "looking up an organizer", FIND_ACCOUNT, &a, &id, &revoked,
		    stored, sizeof stored, err, errlen);
	if (found < 0)
		goto fail;
	a.t[0] = NULL;
	a.i[0] = id;
	switch (op) {
	case STORE_ADMIN_ADD:
		if (found && !revoked) {
			rc = STORE_ADMIN_EXISTS;
			goto refuse;
		}
		if (found) {
			/* A revoked name comes back with a new token, as if new. */
			struct args u = { { token_hash, name, NULL, NULL }, { 0, 0, now, id } };

			if (run(db, path, "re-adding an organizer",
				"UPDATE admins SET token_sha256 = ?1, name = ?2, created_at = ?3,"
				" last_sign_in = NULL, revoked_at = NULL WHERE id = ?4", &u, err,
				errlen) != 0)
				goto fail;
		} else {
			struct args ins = { { name, token_hash, NULL }, { 0, 0, now } };

			if (run(db, path, "adding an organizer",
				"INSERT INTO admins (name, token_sha256, created_at)"
				" VALUES (?1, ?2, ?3)", &ins, err, errlen) != 0)
				goto fail;
		}
		snprintf(detail, sizeof detail, "%s%s", name, found ? " (again, after its revocation)" : "");
		if (audit(db, path, now, who, "admin-add", detail, err, errlen) != 0)
			goto fail;
		break;
	case STORE_ADMIN_REVOKE:
	case STORE_ADMIN_ROTATE:
		if (!found) {
			rc = STORE_ADMIN_NO_SUCH;
			goto refuse;
		}
		if (revoked) {
			rc = STORE_ADMIN_REVOKED;
			goto refuse;
		}
		if (op == STORE_ADMIN_REVOKE) {
			struct args u = { { NULL, NULL, NULL }, { id, now, 0 } };

			if (run(db, path, "revoking an organizer",
				"UPDATE admins SET revoked_at = ?2 WHERE id = ?1", &u, err, errlen) != 0)
				goto fail;
		} else {
			struct args u = { { NULL, token_hash, NULL }, { id, 0, 0 } };

			if (run(db, path, "rotating an organizer's token",
				"UPDATE admins SET token_sha256 = ?2 WHERE id = ?1", &u, err,
				errlen) != 0)
				goto fail;
		}
		/* Sessions made with the old token end with it (but the one of
		 * the organizer replacing their own token from a browser). */
		a.t[1] = keep_sid_hash && op == STORE_ADMIN_ROTATE ? keep_sid_hash : "";
		if (run(db, path, "ending an organizer's sessions",
			"DELETE FROM admin_sessions WHERE admin_id = ?1 AND id_sha256 != ?2", &a, err,
			errlen) != 0 ||
		    audit(db, path, now, who,
			  op == STORE_ADMIN_REVOKE ? "admin-revoke" : "admin-rotate", stored, err,
			  errlen) != 0)
			goto fail;
		break;
	}
	if (commit(db, path, err, errlen) != 0)
		return STORE_ADMIN_FAILED;
	return STORE_ADMIN_OK;
refuse:
	rollback(db);
	return rc;
fail:
	rollback(db);
	return STORE_ADMIN_FAILED;
}

int store_admin_change(struct store *st, enum store_admin_op op, int64_t now, const char *name,
		       const char *token_hash, const char *keep_sid_hash, const char *who,
		       char *err, size_t errlen)
{
	struct store_conns c;

	store_conns(st, &c);
	return change(c.w, c.path, op, now, name, token_hash, keep_sid_hash, who, err, errlen);
}

/* ---- Lookups (read connection, any thread) ------------------------------ */

int store_admin_by_token(struct store *st, const char *token_hash, char *name, size_t namelen)
{
	struct store_conns c;
	struct args a = { { token_hash, NULL, NULL }, { 0, 0, 0 } };
	char err[256];
	int rc;

	if (!is_hash(token_hash))
		return 0;
	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	rc = row(c.r, c.path, "looking up a token",
		 "SELECT id, 0, name FROM admins WHERE token_sha256 = ?1 AND revoked_at IS NULL",
		 &a, NULL, NULL, name, namelen, err, sizeof err);
	pthread_mutex_unlock(c.rlock);
	return rc;
}

int store_admin_by_session(struct store *st, const char *sid_hash, int64_t now, int64_t idle_s,
			   char *name, size_t namelen, int64_t *last_seen)
{
	struct store_conns c;
	struct args a = { { sid_hash, NULL, NULL }, { 0, now - idle_s, 0 } };
	char err[256];
	int rc;

	if (!is_hash(sid_hash))
		return 0;
	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	rc = row(c.r, c.path, "looking up a session",
		 "SELECT s.admin_id, s.last_seen, a.name FROM admin_sessions s"
		 " JOIN admins a ON a.id = s.admin_id"
		 " WHERE s.id_sha256 = ?1 AND s.last_seen > ?2 AND a.revoked_at IS NULL",
		 &a, NULL, last_seen, name, namelen, err, sizeof err);
	pthread_mutex_unlock(c.rlock);
	return rc;
}

static int list(struct db *db, const char *path, void (*fn)(void *ctx, const struct store_admin *a),
		void *ctx, char *err, size_t errlen)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(db,
			  "SELECT name, created_at, coalesce(last_sign_in, 0),"
			  " coalesce(revoked_at, 0) FROM admins ORDER BY id",
			  -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(db, path, "listing the organizers", err, errlen);
		return -1;
	}
	while ((rc = db_step(s)) == SQLITE_ROW) {
		struct store_admin a;
		const char *n = (const char *)db_column_text(s, 0);

		a.name = n ? n : "";
		a.created_at = db_column_int64(s, 1);
		a.last_sign_in = db_column_int64(s, 2);
		a.revoked_at = db_column_int64(s, 3);
		fn(ctx, &a);
	}
	if (rc != SQLITE_DONE)
		store_errmsg(db, path, "listing the organizers", err, errlen);
	db_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_admin_list(struct store *st, void (*fn)(void *ctx, const struct store_admin *a),
		     void *ctx)
{
	struct store_conns c;
	char err[256];
	int rc;

	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	rc = list(c.r, c.path, fn, ctx, err, sizeof err);
	pthread_mutex_unlock(c.rlock);
	return rc;
}

/* ---- Sessions (writer thread) ------------------------------------------- */

int store_admin_session_start(struct store *st, int64_t now, int64_t idle_s,
			      const char *token_hash, const char *sid_hash,
			      const char *old_sid_hash, char *name, size_t namelen, char *err,
			      size_t errlen)
{
	struct store_conns c;
	struct args a = { { token_hash, NULL, NULL }, { 0, 0, 0 } };
	int64_t id = 0;
	int found;

	if (!is_hash(sid_hash)) {
		snprintf(err, errlen, "not a session hash");
		return STORE_ADMIN_FAILED;
	}
	store_conns(st, &c);
	if (begin(c.w, c.path, err, errlen) != 0)
		return STORE_ADMIN_FAILED;
	/* The token again, inside the transaction: rotated or revoked since
	 * the handler looked, it opens nothing. */
	found = row(c.w, c.path, "looking up a token",
		    "SELECT id, 0, name FROM admins WHERE token_sha256 = ?1 AND revoked_at IS NULL",
		    &a, &id, NULL, name, namelen, err, errlen);
	if (found <= 0) {
		rollback(c.w);
		return found < 0 ? STORE_ADMIN_FAILED : STORE_ADMIN_NO_SUCH;
	}
	{
		struct args prune = { { NULL, NULL, NULL }, { now - idle_s, 0, 0 } };
		struct args old = { { old_sid_hash ? old_sid_hash : "", NULL, NULL }, { 0, 0, 0 } };
		struct args ins = { { sid_hash, NULL, NULL }, { 0, id, now } };
		struct args seen = { { NULL, NULL, NULL }, { id, now, 0 } };

		/* Expired sessions go at every sign-in: the table holds at most
		 * the sign-ins of one idle period. */
		if (run(c.w, c.path, "pruning expired sessions",
			"DELETE FROM admin_sessions WHERE last_seen <= ?1", &prune, err, errlen) != 0 ||
		    run(c.w, c.path, "ending the previous session",
			"DELETE FROM admin_sessions WHERE id_sha256 = ?1", &old, err, errlen) != 0 ||
		    run(c.w, c.path, "starting a session",
			"INSERT INTO admin_sessions (id_sha256, admin_id, created_at, last_seen)"
			" VALUES (?1, ?2, ?3, ?3)", &ins, err, errlen) != 0 ||
		    run(c.w, c.path, "recording a sign-in",
			"UPDATE admins SET last_sign_in = ?2 WHERE id = ?1", &seen, err, errlen) != 0 ||
		    audit(c.w, c.path, now, name, "sign-in", "", err, errlen) != 0) {
			rollback(c.w);
			return STORE_ADMIN_FAILED;
		}
	}
	return commit(c.w, c.path, err, errlen) == 0 ? STORE_ADMIN_OK : STORE_ADMIN_FAILED;
}

int store_admin_session_end(struct store *st, int64_t now, const char *sid_hash, char *name,
			    size_t namelen, char *err, size_t errlen)
{
	struct store_conns c;
	struct args a = { { sid_hash, NULL, NULL }, { 0, 0, 0 } };
	int found;

	name[0] = '\0';
	if (!is_hash(sid_hash))
		return STORE_ADMIN_NO_SUCH;
	store_conns(st, &c);
	if (begin(c.w, c.path, err, errlen) != 0)
		return STORE_ADMIN_FAILED;
	found = row(c.w, c.path, "looking up a session",
		    "SELECT s.admin_id, 0, a.name FROM admin_sessions s"
		    " JOIN admins a ON a.id = s.admin_id WHERE s.id_sha256 = ?1",
		    &a, NULL, NULL, name, namelen, err, errlen);
	if (found < 0 ||
	    (found && (run(c.w, c.path, "ending a session",
			   "DELETE FROM admin_sessions WHERE id_sha256 = ?1", &a, err, errlen) != 0 ||
		       audit(c.w, c.path, now, name, "sign-out", "", err, errlen) != 0))) {
		rollback(c.w);
		return STORE_ADMIN_FAILED;
	}
	if (commit(c.w, c.path, err, errlen) != 0)
		return STORE_ADMIN_FAILED;
	return found ? STORE_ADMIN_OK : STORE_ADMIN_NO_SUCH;
}

int store_admin_session_touch(struct store *st, int64_t now, const char *sid_hash, char *err,
			      size_t errlen)
{
	struct store_conns c;
	struct args a = { { sid_hash, NULL, NULL }, { 0, now, 0 } };

	store_conns(st, &c);
	/* One statement: its own transaction. */
	return run(c.w, c.path, "recording a session's use",
		   "UPDATE admin_sessions SET last_seen = ?2 WHERE id_sha256 = ?1 AND last_seen < ?2",
		   &a, err, errlen);
}

/* ---- The owner (start-up, inside the caller's transaction) -------------- */

int store_admin_owner_exists(struct store *st)
{
	struct store_conns c;
	struct args a = { { STORE_ADMIN_OWNER, NULL, NULL }, { 0, 0, 0 } };
	char err[256];

	store_conns(st, &c);
	return row(c.w, c.path, "looking up the owner", FIND_ACCOUNT, &a, NULL, NULL, NULL, 0, err,
		   sizeof err);
}

int store_admin_owner_set(struct store *st, int64_t now, const char *token_hash,
			  const char *why, char *err, size_t errlen)
{
	struct store_conns c;
	struct args a = { { STORE_ADMIN_OWNER, NULL, NULL }, { 0, 0, 0 } };
	char detail[128], stored[STORE_ADMIN_NAME_MAX + 1];
	int64_t id = 0, revoked = 0;
	int found, same;

	if (!is_hash(token_hash)) {
		snprintf(err, errlen, "not a token hash");
		return -1;
	}
	store_conns(st, &c);
	found = row(c.w, c.path, "looking up the owner", FIND_ACCOUNT, &a, &id, &revoked, stored,
		    sizeof stored, err, errlen);
	if (found < 0)
		return -1;
	snprintf(detail, sizeof detail, STORE_ADMIN_OWNER " (%s)", why);
	if (!found) {
		struct args ins = { { STORE_ADMIN_OWNER, token_hash, NULL }, { 0, 0, now } };

		if (run(c.w, c.path, "adding the owner",
			"INSERT INTO admins (name, token_sha256, created_at) VALUES (?1, ?2, ?3)",
			&ins, err, errlen) != 0 ||
		    audit(c.w, c.path, now, "start-up", "admin-add", detail, err, errlen) != 0)
			return -1;
		return 1;
	}
	{
		struct args q = { { token_hash, NULL, NULL }, { 0, id, 0 } };

		same = row(c.w, c.path, "comparing the owner's token",
			   "SELECT 1 FROM admins WHERE token_sha256 = ?1 AND id = ?2", &q, NULL, NULL,
			   NULL, 0, err, errlen);
		if (same < 0)
			return -1;
	}
	if (same && !revoked)
		return 0;
	{
		struct args u = { { NULL, token_hash, NULL }, { id, 0, 0 } };
		struct args s = { { NULL, NULL, NULL }, { id, 0, 0 } };

		if (run(c.w, c.path, "setting the owner's token",
			"UPDATE admins SET token_sha256 = ?2, revoked_at = NULL WHERE id = ?1", &u, err,
			errlen) != 0 ||
		    run(c.w, c.path, "ending the owner's sessions",
			"DELETE FROM admin_sessions WHERE admin_id = ?1", &s, err, errlen) != 0 ||
		    audit(c.w, c.path, now, "start-up", revoked ? "admin-add" : "admin-rotate", detail,
			  err, errlen) != 0)
			return -1;
	}
	return revoked ? 2 : 1;
}

/* ---- The command line: the database file, beside a running server ------- */

/* Opens the database at path for an admin command: an existing petitiond
 * database whose schema this binary knows, on a connection of our own.
 *
 * A running server holds the database's lock (store.h, STORE_LOCK_SUFFIX);
 * that lock keeps out a second server, not a short writer: SQLite itself
 * serialises writers (BEGIN IMMEDIATE waits up to STORE_BUSY_TIMEOUT_MS for
 * the server's writer, whose transactions last milliseconds), and the
 * server reads accounts and sessions afresh on every request, so it sees
 * the change at once. This connection never checkpoints (no automatic
 * checkpoint, none on close): the server's writer stays the only
 * checkpointer, which keeps clear of SQLite's WAL-reset race (3.7.0 to
 * 3.51.2), where a checkpoint racing another connection's commit could lose
 * pages; our one small commit appends to the WAL like any of the writer's.
 * A database whose schema is older (a new binary, the server not restarted
 * yet) is migrated first with store_open, which takes the lock, and only
 * when no server holds it. */
static int cli_open(const char *path, struct db **db, char *err, size_t errlen)
{
	int v, known = 0;
	long pid = 0;

	*db = NULL;
	while (asset_migration(known) != NULL)
		known++;
	if (!db_path_is_pg(path) && access(path, F_OK) != 0) {
		snprintf(err, errlen, "there is no database at %s: start petitiond on it once "
			 "(it creates it and prints the owner's token), or give --db", path);
		return -1;
	}
	for (;;) {
		if (db_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK) {
			snprintf(err, errlen, "%s: %s", path, *db ? db_errmsg(*db) : "out of memory");
			goto fail;
		}
		db_busy_timeout(*db, STORE_BUSY_TIMEOUT_MS);
		if (db_lite(*db) != NULL) {
			sqlite3_db_config(db_lite(*db), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
			sqlite3_wal_autocheckpoint(db_lite(*db), 0);
		}
		v = store_schema_version(*db);
		if (v < 0) {
			store_errmsg(*db, path, "reading the schema version", err, errlen);
			goto fail;
		}
		if (v > known) {
			snprintf(err, errlen, "%s has schema version %d, newer than this petitiond "
				 "knows (%d): use the petitiond that serves it", path, v, known);
			goto fail;
		}
		if (v == known)
			break;
		/* Older: migrate it, unless a server (an older one) serves it. */
		db_close(*db);
		*db = NULL;
		if (store_in_use(path, &pid, err, errlen) != 0) {
			if (pid != 0 || err[0] == '\0')
				snprintf(err, errlen, "%s has schema version %d and the petitiond "
					 "serving it (pid %ld) is older than this one (%d): restart it "
					 "with this version first", path, v, pid, known);
			return -1;
		}
		{
			struct store *st = NULL;

			if (store_open(&st, path, err, errlen) != 0)
				return -1;
			store_close(st);
		}
	}
	if (db_lite(*db) != NULL && store_exec(*db, "setting up the connection",
		       "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	db_close(*db);
	*db = NULL;
	return -1;
}

int store_admin_change_file(const char *path, enum store_admin_op op, int64_t now,
			    const char *name, const char *token_hash, const char *who, char *err,
			    size_t errlen)
{
	struct db *db;
	int rc;

	if (!store_admin_name_ok(name))
		return STORE_ADMIN_BAD_NAME;
	if (cli_open(path, &db, err, errlen) != 0)
		return STORE_ADMIN_FAILED;
	rc = change(db, path, op, now, name, token_hash, NULL, who, err, errlen);
	db_close(db);
	return rc;
}

int store_admin_list_file(const char *path, void (*fn)(void *ctx, const struct store_admin *a),
			  void *ctx, char *err, size_t errlen)
{
	struct db *db;
	int rc;

	if (cli_open(path, &db, err, errlen) != 0)
		return -1;
	rc = list(db, path, fn, ctx, err, errlen);
	db_close(db);
	return rc;
}
