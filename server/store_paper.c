/* store_paper.c (paper) -- signatures collected on paper or at events:
 * adding an imported file's rows in one transaction, and counting them.
 *
 * A row without an email gets email_norm '#' || id (db/010_source.sql): no
 * valid address has no '@', so it never matches a signer's duplicate key,
 * and the column stays NOT NULL UNIQUE. It is written as '#' first and set
 * right after the insert, inside the transaction (only one row ever holds
 * the bare '#', and only for that moment). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

enum {
	P_BEGIN,
	P_INSERT,
	P_NOEMAIL_KEY,
	P_COUNTER,
	P_DAILY,
	P_AUDIT,
	P_COMMIT,
	P_NSTMT
};

static const char *const p_sql[P_NSTMT] = {
	[P_BEGIN] = "BEGIN IMMEDIATE",
	[P_INSERT] = "INSERT INTO signatures (signed_at, name, email, email_norm, country, comment,"
		     " public, updates, public_name, source)"
		     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
		     " ON CONFLICT (email_norm) DO NOTHING RETURNING id",
	[P_NOEMAIL_KEY] = "UPDATE signatures SET email_norm = '#' || id WHERE id = ?1",
	[P_COUNTER] = "UPDATE counters SET value = max(value + ?1, 0) WHERE name = ?2",
	[P_DAILY] = "INSERT INTO daily (day, n) VALUES (date(?1, 'unixepoch'), 1)"
		    " ON CONFLICT (day) DO UPDATE SET n = daily.n + 1",
	[P_AUDIT] = "INSERT INTO audit (at, admin, action, detail) VALUES (?1, ?2, ?3, ?4)",
	[P_COMMIT] = "COMMIT",
};

static int step_reset(struct db_stmt *s)
{
	int rc = db_step(s);

	db_reset(s);
	db_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int counter_add(struct db_stmt *s, const char *name, int64_t delta)
{
	if (delta == 0)
		return 0;
	db_bind_int64(s, 1, delta);
	db_bind_text(s, 2, name, -1, SQLITE_STATIC);
	return step_reset(s);
}

int store_source_ok(const char *source)
{
	return source != NULL && (strcmp(source, "online") == 0 || strcmp(source, "paper") == 0 ||
				  strcmp(source, "event") == 0);
}

/* The import on connection db. */
static int import_tx(struct store *st, struct db *db, const char *path,
		     const struct store_sig *sigs, size_t n,
		     const char *source, int commit, const char *admin, int64_t at,
		     unsigned char *added, struct store_import_totals *tot, char *err,
		     size_t errlen)
{
	struct db_stmt *s[P_NSTMT] = {0};
	int64_t npublic = 0, nupdates = 0;
	char detail[160];
	size_t i;
	int k, began = 0;
	const char *op = "preparing the import";

	memset(tot, 0, sizeof *tot);
	memset(added, 0, n);
	for (k = 0; k < P_NSTMT; k++)
		if (db_prepare_v2(db, p_sql[k], -1, &s[k], NULL) != SQLITE_OK)
			goto fail;
	op = "starting the import's transaction";
	if (step_reset(s[P_BEGIN]) != 0)
		goto fail;
	began = 1;
	/* sealed area: a sealed database takes sealed rows only (the callers
	 * seal them with --seal-key), never a clear name. */
	{
		struct db_stmt *q = NULL;
		int is_sealed = 0;

		if (db_prepare_v2(db, "SELECT 1 FROM settings WHERE key = 'seal_fingerprint'", -1,
				  &q, NULL) == SQLITE_OK)
			is_sealed = db_step(q) == SQLITE_ROW;
		db_finalize(q);
		for (i = 0; is_sealed && i < n; i++)
			if (sigs[i].name == NULL || strncmp(sigs[i].name, "sealed:", 7) != 0) {
				snprintf(err, errlen, "the database is sealed: give --seal-key "
					 "FILE.public to import into it (rows are sealed before they "
					 "are stored)");
				began = 2; /* err says why */
				goto fail;
			}
	}
	op = "adding the imported signatures";
	for (i = 0; i < n; i++) {
		const struct store_sig *g = &sigs[i];
		int has_email = g->email_norm != NULL && g->email_norm[0] != '\0';
		struct db_stmt *ins = s[P_INSERT];
		int64_t id;
		int rc;

		db_bind_int64(ins, 1, g->signed_at);
		db_bind_text(ins, 2, g->name, -1, SQLITE_STATIC);
		db_bind_text(ins, 3, has_email && g->email ? g->email : "", -1, SQLITE_STATIC);
		db_bind_text(ins, 4, has_email ? g->email_norm : "#", -1, SQLITE_STATIC);
		db_bind_text(ins, 5, g->country, -1, SQLITE_STATIC);
		db_bind_text(ins, 6, g->comment ? g->comment : "", -1, SQLITE_STATIC);
		db_bind_int(ins, 7, g->is_public ? 1 : 0);
		db_bind_int(ins, 8, g->updates ? 1 : 0);
		if (g->is_public && g->public_name != NULL)
			db_bind_text(ins, 9, g->public_name, -1, SQLITE_STATIC);
		else
			db_bind_null(ins, 9);
		db_bind_text(ins, 10, source, -1, SQLITE_STATIC);
		/* A row back: stored, with its id; none: the address was there. */
		rc = db_step(ins);
		id = rc == SQLITE_ROW ? db_column_int64(ins, 0) : 0;
		db_reset(ins);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			goto fail;
		if (rc == SQLITE_DONE) {
			tot->duplicates++;
			continue;
		}
		if (!has_email) {
			db_bind_int64(s[P_NOEMAIL_KEY], 1, id);
			if (step_reset(s[P_NOEMAIL_KEY]) != 0)
				goto fail;
			tot->no_email++;
		}
		db_bind_int64(s[P_DAILY], 1, g->signed_at);
		if (step_reset(s[P_DAILY]) != 0)
			goto fail;
		added[i] = 1;
		tot->added++;
		npublic += g->is_public && g->public_name != NULL;
		nupdates += g->updates != 0;
	}
	/* The charts' aggregates (quarter hour, country) of the rows added. */
	if (store_agg_batch(st, sigs, n, added, err, errlen) != 0) {
		began = 2;
		goto fail;
	}
	op = "updating the counters";
	if (counter_add(s[P_COUNTER], "signatures", tot->added) != 0 ||
	    counter_add(s[P_COUNTER], "public", npublic) != 0 ||
	    counter_add(s[P_COUNTER], "updates", nupdates) != 0)
		goto fail;
	if (commit) {
		/* Never a signer's data: the source and the numbers. */
		snprintf(detail, sizeof detail, "%s: %lld added, %lld duplicates", source,
			 (long long)tot->added, (long long)tot->duplicates);
		op = "writing the audit line";
		db_bind_int64(s[P_AUDIT], 1, at);
		db_bind_text(s[P_AUDIT], 2, admin ? admin : "cli", -1, SQLITE_STATIC);
		db_bind_text(s[P_AUDIT], 3, "import", -1, SQLITE_STATIC);
		db_bind_text(s[P_AUDIT], 4, detail, -1, SQLITE_STATIC);
		if (step_reset(s[P_AUDIT]) != 0)
			goto fail;
		op = "committing the import";
		if (step_reset(s[P_COMMIT]) != 0)
			goto fail;
	} else {
		/* --dry-run: the same work, undone. */
		db_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	for (k = 0; k < P_NSTMT; k++)
		db_finalize(s[k]);
	return 0;
fail:
	if (began != 2)
		store_errmsg(db, path, op, err, errlen);
	if (began && !db_get_autocommit(db))
		db_exec(db, "ROLLBACK", NULL, NULL, NULL);
	for (k = 0; k < P_NSTMT; k++)
		db_finalize(s[k]);
	memset(added, 0, n);
	memset(tot, 0, sizeof *tot);
	return -1;
}

int store_import(struct store *st, const struct store_sig *sigs, size_t n, const char *source,
		 int commit, const char *admin, int64_t at, unsigned char *added,
		 struct store_import_totals *tot, char *err, size_t errlen)
{
	struct store_conns c;

	store_conns(st, &c);
	return import_tx(st, c.w, c.path, sigs, n, source, commit, admin, at, added, tot, err,
			 errlen);
}

int store_import_file(const char *path, const struct store_sig *sigs, size_t n,
		      const char *source, int commit, const char *admin, int64_t at,
		      unsigned char *added, struct store_import_totals *tot, char *err,
		      size_t errlen)
{
	struct store *st = NULL;
	int rc;

	/* Beside a running server: its busy timeout and synchronous = FULL. */
	if (store_open_shared(&st, path, err, errlen) != 0)
		return -1;
	rc = store_import(st, sigs, n, source, commit, admin, at, added, tot, err, errlen);
	store_close(st);
	return rc;
}

int store_source_counts(struct store *st, int64_t *paper, int64_t *event)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int rc = -1;

	*paper = *event = 0;
	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	/* Walks the partial index of the (few) rows not signed online. */
	if (db_prepare_v2(c.r,
			  "SELECT source, count(*) FROM signatures WHERE source <> 'online'"
			  " GROUP BY source",
			  -1, &s, NULL) != SQLITE_OK)
		goto out;
	while ((rc = db_step(s)) == SQLITE_ROW) {
		const char *src = (const char *)db_column_text(s, 0);

		if (src && strcmp(src, "paper") == 0)
			*paper = db_column_int64(s, 1);
		else if (src && strcmp(src, "event") == 0)
			*event = db_column_int64(s, 1);
	}
	rc = rc == SQLITE_DONE ? 0 : -1;
out:
	db_finalize(s);
	pthread_mutex_unlock(c.rlock);
	return rc;
}
