/* store_audit.c -- the audit trail of organizers' actions. */
#include <stdio.h>

#include "store_int.h"

int store_audit_add(struct store *st, int64_t at, const char *admin, const char *action,
		    const char *detail, char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int rc;

	store_conns(st, &c);
	if (db_prepare_v2(c.w, "INSERT INTO audit (at, admin, action, detail) VALUES (?1, ?2, ?3, ?4)",
			  -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(c.w, c.path, "adding to the audit trail", err, errlen);
		return -1;
	}
	db_bind_int64(s, 1, at);
	db_bind_text(s, 2, admin ? admin : "", -1, SQLITE_STATIC);
	db_bind_text(s, 3, action ? action : "", -1, SQLITE_STATIC);
	db_bind_text(s, 4, detail ? detail : "", -1, SQLITE_STATIC);
	rc = db_step(s);
	if (rc != SQLITE_DONE)
		store_errmsg(c.w, c.path, "adding to the audit trail", err, errlen);
	db_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_audit_list(struct store *st, int64_t before_id, int n,
		     void (*fn)(void *ctx, const struct store_audit_row *row), void *ctx)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int rc;

	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	rc = db_prepare_v2(c.r,
			   "SELECT id, at, admin, action, detail FROM audit"
			   " WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
			   -1, &s, NULL);
	if (rc == SQLITE_OK) {
		db_bind_int64(s, 1, before_id > 0 ? before_id : INT64_MAX);
		db_bind_int(s, 2, n);
		while ((rc = db_step(s)) == SQLITE_ROW) {
			struct store_audit_row row;

			row.id = db_column_int64(s, 0);
			row.at = db_column_int64(s, 1);
			row.admin = (const char *)db_column_text(s, 2);
			row.action = (const char *)db_column_text(s, 3);
			row.detail = (const char *)db_column_text(s, 4);
			fn(ctx, &row);
		}
	}
	db_finalize(s);
	pthread_mutex_unlock(c.rlock);
	return rc == SQLITE_DONE ? 0 : -1;
}
