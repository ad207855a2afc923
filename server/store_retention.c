/* store_retention.c -- erasing the signers' personal fields once the
 * petition has been closed long enough (--retention-days; sealed area).
 *
 * What goes: every signature's name, email and comment (emptied) and its
 * duplicate key (replaced by '#' || id, which no address can be: the form
 * is closed, nothing signs any more); unconfirmed signatures (they never
 * counted); every message still in the outbox, every mailed link. What
 * stays: the count and every figure drawn from it -- country, time, the
 * two choices, the source, and the public name the signer chose to
 * publish. In batches, each its own short transaction, so the writer
 * (organizers' changes, a last withdrawal) is never held up long. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

/* Rows that still hold something to erase. */
#define PERSONAL "(name <> '' OR email <> '' OR comment <> '' OR email_norm NOT LIKE '#%')"

int store_retention_done(struct store *st, int64_t *at)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int rc;

	store_conns(st, &c);
	*at = 0;
	pthread_mutex_lock(c.rlock);
	if (db_prepare_v2(c.r, "SELECT CAST(value AS INTEGER) FROM settings"
			       " WHERE key = 'retention_done_at'", -1, &s, NULL) != SQLITE_OK) {
		pthread_mutex_unlock(c.rlock);
		return -1;
	}
	rc = db_step(s);
	if (rc == SQLITE_ROW)
		*at = db_column_int64(s, 0);
	db_finalize(s);
	pthread_mutex_unlock(c.rlock);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_retention_erase(struct store *st, int64_t now, int max, int64_t *erased, int *left,
			  char *err, size_t errlen)
{
	struct store_conns c;
	const char *op = "erasing personal data (retention)";
	int64_t n, pending, total;

	store_conns(st, &c);
	*erased = 0;
	*left = 0;
	err[0] = '\0';
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	/* Unconfirmed signatures never counted: they go whole, with their
	 * counter, and every message and link with them. */
	pending = store_scalar(c.w, "SELECT count(*) FROM signatures WHERE confirmed = 0");
	if (pending < 0 ||
	    (pending > 0 &&
	     (store_run(c.w, "DELETE FROM moderation WHERE id IN (SELECT id FROM signatures"
		       " WHERE confirmed = 0)", 0) != 0 ||
	      store_run(c.w, "DELETE FROM signatures WHERE confirmed = 0", 0) != 0 ||
	      store_run(c.w, "UPDATE counters SET value = 0 WHERE name = 'pending'", 0) != 0)) ||
	    store_run(c.w, "DELETE FROM outbox", 0) != 0 || store_run(c.w, "DELETE FROM mail_tokens", 0) != 0 ||
	    store_run(c.w, "DELETE FROM mail_quota", 0) != 0)
		goto fail;
	if (store_run(c.w, "UPDATE signatures SET name = '', email = '', comment = '',"
		     " email_norm = '#' || id WHERE id IN (SELECT id FROM signatures WHERE " PERSONAL
		     " LIMIT ?1)", max) != 0)
		goto fail;
	n = db_changes(c.w);
	*erased = n + pending;
	total = store_scalar(c.w, "SELECT EXISTS (SELECT 1 FROM signatures WHERE " PERSONAL ")");
	if (total < 0)
		goto fail;
	*left = total > 0;
	if (!*left) {
		char detail[96];

		/* Done: the search index held the names' words; it starts over
		 * from the erased rows (public names and countries). The audit
		 * line says when and that it happened, nothing else. */
		snprintf(detail, sizeof detail, "names, emails and comments erased");
		if ((!db_is_pg(c.w) &&
		     store_run(c.w, "INSERT INTO signatures_search (signatures_search) VALUES"
			       " ('delete-all')", 0) != 0) ||
		    store_run(c.w, "DELETE FROM settings WHERE key = 'search_indexed_upto'", 0) != 0 ||
		    store_run(c.w, "INSERT INTO settings (key, value) VALUES ('retention_done_at',"
			     " CAST(?1 AS TEXT)) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			 now) != 0 ||
		    store_audit_add(st, now, "petitiond", "retention", detail, err, errlen) != 0)
			goto fail;
	}
	if (store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail;
	if (!*left && db_is_pg(c.w)) {
		/* The erased rows' old versions leave the tables' files (the
		 * petition is closed: nothing waits on the lock). */
		db_exec(c.w, "VACUUM FULL signatures", NULL, NULL, NULL);
		db_exec(c.w, "VACUUM FULL outbox", NULL, NULL, NULL);
	} else if (!*left) {
		/* The old text may linger in the WAL and in free pages: copy it
		 * back, truncate the WAL, and rebuild the file without them.
		 * (PostgreSQL: its autovacuum reclaims the old row versions;
		    * README, "When one machine is not enough".) */
		store_checkpoint_truncate(st);
		db_exec(c.w, "VACUUM", NULL, NULL, NULL);
		store_checkpoint_truncate(st);
	}
	return 0;
fail:
	store_fail(c.w, c.path, op, err, errlen);
	return -1;
}
