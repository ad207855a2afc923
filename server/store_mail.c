/* store_mail.c -- confirmation and withdrawal by mail, and the outbox
 * (email area; db/011_confirm.sql).
 *
 * A signature made with --confirm required is stored unconfirmed, and a
 * confirmation message queued in the outbox in the same transaction: the
 * signer is thanked only once both are on disk. The sender thread
 * (outbox.c) takes messages from the outbox through writer tasks.
 *
 * Links carry 256-bit random tokens and codes 50 random bits; only their
 * SHA-256 is stored (mail_tokens). The clear tokens and the address stay
 * in the outbox row until the relay has the message, then the row goes.
 *
 * The mail a signing asks for is queued by store_add_batch (store.c:
 * store_mail_on_sign and the helpers below it in store_int.h).
 *
 * Nothing here may tell an outsider whether an address signed: a repeated
 * signing and a request by address run the same statements whether or not
 * the address is known, and are answered the same by the handlers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "store_int.h"

/* The token row of hash h: 1 and its signature, purpose, expiry and use;
 * 0 none; -1 error. */
static int token_find(struct db *db, const char *h, int64_t *sig_id, int *purpose,
		      int64_t *expires, int *used)
{
	struct db_stmt *s = NULL;
	int rc;

	if (db_prepare_v2(db, "SELECT sig_id, purpose, expires_at, used FROM mail_tokens"
			      " WHERE hash = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	db_bind_text(s, 1, h, -1, SQLITE_STATIC);
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		*sig_id = db_column_int64(s, 0);
		*purpose = db_column_int(s, 1);
		*expires = db_column_int64(s, 2);
		*used = db_column_int(s, 3);
	}
	db_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int store_mail_confirm(struct store *st, const char *h, int64_t now,
		       enum store_token_status *status, int64_t *count, char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int64_t sig_id = 0, expires = 0, t = 0;
	int purpose = 0, used = 0, found, confirmed = -1, pub = 0, upd = 0;
	char country[3] = "";
	const char *op = "confirming a signature";

	store_conns(st, &c);
	*status = STORE_TOKEN_BAD;
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	found = token_find(c.w, h, &sig_id, &purpose, &expires, &used);
	if (found < 0)
		goto fail;
	if (found && purpose == 1) {
		if (db_prepare_v2(c.w, "SELECT confirmed, signed_at, public, updates, country"
				       " FROM signatures WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
			goto fail;
		db_bind_int64(s, 1, sig_id);
		if (db_step(s) == SQLITE_ROW) {
			const char *co = (const char *)db_column_text(s, 4);

			confirmed = db_column_int(s, 0);
			t = db_column_int64(s, 1);
			pub = db_column_int(s, 2);
			upd = db_column_int(s, 3);
			snprintf(country, sizeof country, "%s", co ? co : "");
		}
		db_finalize(s);
		s = NULL;
	}
	if (confirmed == 1) {
		/* Confirmed already (by this link or another): say so, however
		 * old the link -- only its addressee has it. */
		*status = STORE_TOKEN_ALREADY;
	} else if (confirmed == 0 && !used && expires > now) {
		/* It counts from now: where store_add_batch would have counted
		 * it, as signed when it was signed. */
		if (store_run(c.w, "UPDATE signatures SET confirmed = 1 WHERE id = ?1", sig_id) != 0 ||
		    store_run(c.w, "UPDATE mail_tokens SET used = 1 WHERE sig_id = ?1 AND purpose = 1",
			 sig_id) != 0 ||
		    store_mail_counter(st, "pending", -1) != 0 || store_mail_counter(st, "signatures", 1) != 0 ||
		    (pub && store_mail_counter(st, "public", 1) != 0) || (upd && store_mail_counter(st, "updates", 1) != 0) ||
		    store_run(c.w, "INSERT INTO daily (day, n) VALUES (date(?1, 'unixepoch'), 1)"
			      " ON CONFLICT (day) DO UPDATE SET n = daily.n + 1", t) != 0 ||
		    store_run(c.w, "INSERT INTO agg_slot (t, n) VALUES (?1 - ?1 % 900, 1)"
			      " ON CONFLICT (t) DO UPDATE SET n = agg_slot.n + 1", t) != 0)
			goto fail;
		if (db_prepare_v2(c.w, "INSERT INTO agg_country (country, n) VALUES (?1, 1)"
				  " ON CONFLICT (country) DO UPDATE SET n = agg_country.n + 1", -1, &s,
				  NULL) != SQLITE_OK)
			goto fail;
		db_bind_text(s, 1, country, -1, SQLITE_STATIC);
		if (db_step(s) != SQLITE_DONE)
			goto fail;
		db_finalize(s);
		s = NULL;
		*status = STORE_TOKEN_OK;
	}
	if (store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail_reported;
	if (count != NULL)
		*count = store_count(st);
	return 0;
fail:
	store_errmsg(c.w, c.path, op, err, errlen);
fail_reported:
	db_finalize(s);
	if (!db_get_autocommit(c.w))
		db_exec(c.w, "ROLLBACK", NULL, NULL, NULL);
	*status = STORE_TOKEN_BAD;
	return -1;
}

int store_mail_withdrawal(struct store *st, const char *h, int64_t now, struct store_mail_sig *out)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof *out);
	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	if (db_prepare_v2(c.r, "SELECT s.name, s.country, s.signed_at, s.confirmed"
			       " FROM mail_tokens t JOIN signatures s ON s.id = t.sig_id"
			       " WHERE t.hash = ?1 AND t.purpose = 2 AND t.used = 0"
			       " AND t.expires_at > ?2", -1, &s, NULL) != SQLITE_OK)
		goto out;
	db_bind_text(s, 1, h, -1, SQLITE_STATIC);
	db_bind_int64(s, 2, now);
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		const char *n = (const char *)db_column_text(s, 0);
		const char *co = (const char *)db_column_text(s, 1);

		out->name = strdup(n ? n : "");
		if (out->name == NULL)
			goto out;
		snprintf(out->country, sizeof out->country, "%s", co ? co : "");
		out->signed_at = db_column_int64(s, 2);
		out->confirmed = db_column_int(s, 3);
		ret = STORE_TOKEN_OK;
	} else if (rc == SQLITE_DONE) {
		ret = STORE_TOKEN_BAD;
	}
out:
	db_finalize(s);
	pthread_mutex_unlock(c.rlock);
	return ret;
}

int store_mail_withdraw(struct store *st, const char *h, int64_t now,
			enum store_token_status *status, int64_t *count, char *err, size_t errlen)
{
	struct store_conns c;
	struct store_deletion d;
	int64_t sig_id = 0, expires = 0;
	int purpose = 0, used = 0, found;

	store_conns(st, &c);
	*status = STORE_TOKEN_BAD;
	/* The writer thread is the only writer: nothing changes between this
	 * look and the deletion, which removes the row and every token of it
	 * in one transaction (store_delete_sig). */
	found = token_find(c.w, h, &sig_id, &purpose, &expires, &used);
	if (found < 0) {
		store_errmsg(c.w, c.path, "withdrawing a signature", err, errlen);
		return -1;
	}
	if (!found || purpose != 2 || used || expires <= now) {
		if (count != NULL)
			*count = store_count(st);
		return 0;
	}
	memset(&d, 0, sizeof d);
	d.id = sig_id;
	d.admin = "signer";
	d.action = "withdraw";
	d.at = now;
	if (store_delete_sig(st, &d, err, errlen) != 0)
		return -1;
	if (d.deleted_id > 0)
		*status = STORE_TOKEN_OK;
	if (count != NULL)
		*count = d.count;
	return 0;
}

int store_mail_request(struct store *st, const char *email, const char *email_norm,
		       enum store_mail_kind want, const char *lang, int64_t now, int64_t mail_at,
		       char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int64_t id = 0;
	int confirmed = 0, rc, q = 0;
	const char *op = "queueing a requested mail";

	err[0] = '\0';
	store_conns(st, &c);
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0 ||
	    db_prepare_v2(c.w, "SELECT id, confirmed FROM signatures WHERE email_norm = ?1",
			  -1, &s, NULL) != SQLITE_OK)
		goto fail;
	db_bind_text(s, 1, email_norm, -1, SQLITE_STATIC);
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		id = db_column_int64(s, 0);
		confirmed = db_column_int(s, 1);
	}
	db_finalize(s);
	s = NULL;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto fail;
	/* A known address takes from its quota; an unknown one writes the
	 * same counter row the request always writes. */
	if (id > 0 && (q = store_mail_quota_take(st, id, now)) < 0)
		goto fail;
	if (q > 0 && store_mail_queue(st, id,
			   want == STORE_MAIL_WITHDRAW ? STORE_MAIL_WITHDRAW
			   : confirmed		       ? STORE_MAIL_ALREADY
							       : STORE_MAIL_CONFIRM,
			   email, lang, now, mail_at) != 0)
		goto fail;
	if (store_mail_counter(st, "mail_requests", 1) != 0 ||
	    store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	db_finalize(s);
	store_fail(c.w, c.path, op, err, errlen);
	return -1;
}

int store_outbox_reconcile(struct store *st, int64_t *n, char *err, size_t errlen)
{
	struct store_conns c;
	const char *op = "reconciling the outbox";

	store_conns(st, &c);
	*n = 0;
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	/* PostgreSQL: other nodes may be sending right now; only what was
	 * taken STORE_OUTBOX_STALE_S ago or more was a stopped node's. */
	if (store_run(c.w, "DELETE FROM outbox WHERE state = 1 AND next_at < ?1",
		      db_is_pg(c.w) ? (int64_t)time(NULL) - STORE_OUTBOX_STALE_S : INT64_MAX) != 0)
		goto fail;
	*n = db_changes(c.w);
	if ((*n > 0 && store_mail_counter(st, "mail_unsure", *n) != 0) ||
	    store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	store_errmsg(c.w, c.path, op, err, errlen);
	if (!db_get_autocommit(c.w))
		db_exec(c.w, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static void copy_col(struct db_stmt *s, int col, char *out, size_t outlen)
{
	const char *v = (const char *)db_column_text(s, col);

	snprintf(out, outlen, "%s", v ? v : "");
}

int store_outbox_sweep(struct store *st, int64_t *n, char *err, size_t errlen)
{
	struct store_conns c;

	store_conns(st, &c);
	*n = 0;
	/* SQLite: this server is the only sender, and its own message being
	 * sent now must stay: reconciled at start only. */
	return db_is_pg(c.w) ? store_outbox_reconcile(st, n, err, errlen) : 0;
}

int store_outbox_claim(struct store *st, int64_t now,
		       int (*domain_ok)(void *ctx, const char *domain), void *ctx,
		       struct store_outbox_row *row, int64_t *next_due, char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int rc, got = 0;
	const char *op = "taking a message from the outbox";

	err[0] = '\0';
	store_conns(st, &c);
	*next_due = 0;
	memset(row, 0, sizeof *row);
	/* The due messages, oldest first; those of a domain that had its share
	 * this minute wait (a flood to one provider does not hold up the
	 * others). 64 looked at a time is plenty: the sender comes back at
	 * once after a send. */
	if (db_prepare_v2(c.w, "SELECT id, sig_id, created_at, kind, attempts, lang, rcpt,"
			       " domain, token, code, wtoken FROM outbox"
			       " WHERE state = 0 AND next_at <= ?1 ORDER BY next_at, id LIMIT 64",
			  -1, &s, NULL) != SQLITE_OK)
		goto fail;
	db_bind_int64(s, 1, now);
	while ((rc = db_step(s)) == SQLITE_ROW) {
		const char *dom = (const char *)db_column_text(s, 7);

		if (domain_ok != NULL && !domain_ok(ctx, dom ? dom : ""))
			continue;
		row->id = db_column_int64(s, 0);
		row->sig_id = db_column_int64(s, 1);
		row->created_at = db_column_int64(s, 2);
		row->kind = db_column_int(s, 3);
		row->attempts = db_column_int(s, 4);
		copy_col(s, 5, row->lang, sizeof row->lang);
		copy_col(s, 6, row->rcpt, sizeof row->rcpt);
		copy_col(s, 7, row->domain, sizeof row->domain);
		copy_col(s, 8, row->token, sizeof row->token);
		copy_col(s, 9, row->code, sizeof row->code);
		copy_col(s, 10, row->wtoken, sizeof row->wtoken);
		got = 1;
		break;
	}
	db_finalize(s);
	s = NULL;
	if (!got) {
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			goto fail;
		/* When to look again: the next message to become due (or one
		 * of a paced domain, due now). */
		if (db_prepare_v2(c.w, "SELECT min(next_at) FROM outbox WHERE state = 0", -1,
				  &s, NULL) != SQLITE_OK)
			goto fail;
		if (db_step(s) == SQLITE_ROW)
			*next_due = db_column_int64(s, 0);
		db_finalize(s);
		return 0;
	}
	/* Marked before it is sent, and committed: a crash from here on
	 * leaves it 'being sent', and it is not sent again (at most once). */
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	/* Only if still waiting: another node (PostgreSQL) may have taken
	 * it since the SELECT. next_at is when it was taken, from now on. */
	if (db_prepare_v2(c.w, "UPDATE outbox SET state = 1, attempts = attempts + 1, next_at = ?2"
			  " WHERE id = ?1 AND state = 0", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	db_bind_int64(s, 1, row->id);
	db_bind_int64(s, 2, now);
	rc = db_step(s);
	db_finalize(s);
	s = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	got = db_changes(c.w) == 1;
	if (store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail;
	if (!got) {
		*next_due = now; /* look again at once */
		memset(row, 0, sizeof *row);
		return 0;
	}
	row->attempts++;
	return 1;
fail:
	db_finalize(s);
	store_fail(c.w, c.path, op, err, errlen);
	return -1;
}

int store_outbox_done(struct store *st, int64_t id, int result, int64_t retry_at,
		      const char *why, char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	const char *op = "recording a sent message";

	store_conns(st, &c);
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (result == 1) {
		if (db_prepare_v2(c.w, "UPDATE outbox SET state = 0, next_at = ?2,"
				       " last_error = ?3 WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
			goto fail;
		db_bind_int64(s, 1, id);
		db_bind_int64(s, 2, retry_at);
		db_bind_text(s, 3, why ? why : "", -1, SQLITE_STATIC);
		if (db_step(s) != SQLITE_DONE)
			goto fail;
		db_finalize(s);
		s = NULL;
	} else {
		/* Sent or given up: the address and the tokens go with the row. */
		if (store_run(c.w, "DELETE FROM outbox WHERE id = ?1", id) != 0 ||
		    store_mail_counter(st, result == 0 ? "mail_sent" : "mail_failed", 1) != 0)
			goto fail;
		if (result != 0) {
			/* Why the last one failed, for the dashboard: the relay's
			 * answer, never the address. */
			if (db_prepare_v2(c.w, "INSERT INTO settings (key, value)"
					       " VALUES ('mail_last_error', ?1) ON CONFLICT (key)"
					       " DO UPDATE SET value = excluded.value", -1, &s,
					  NULL) != SQLITE_OK)
				goto fail;
			db_bind_text(s, 1, why ? why : "", -1, SQLITE_STATIC);
			if (db_step(s) != SQLITE_DONE)
				goto fail;
			db_finalize(s);
			s = NULL;
		}
	}
	if (store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail_reported;
	/* The last message left: the WAL still holds the frames that carried
	 * addresses and tokens in clear; copy what it holds into the database
	 * (where the rows are gone, zeroed by secure_delete) and truncate it.
	 * Best effort: a long reader may hold it back until the next time. */
	if (result != 1 && db_prepare_v2(c.w, "SELECT EXISTS (SELECT 1 FROM outbox)", -1, &s,
					 NULL) == SQLITE_OK) {
		int empty = db_step(s) == SQLITE_ROW && db_column_int(s, 0) == 0;

		db_finalize(s);
		s = NULL;
		if (empty && db_is_pg(c.w)) {
			/* PostgreSQL keeps a deleted row until its space is
			 * reused: the table rewritten, the sent messages'
			 * addresses leave its files (not PostgreSQL's WAL,
			 * README). Never waits long for the table's lock:
			 * the other nodes' signing queues behind it. */
			db_busy_timeout(c.w, STORE_SCRUB_LOCK_MS);
			db_exec(c.w, "VACUUM FULL outbox", NULL, NULL, NULL);
			db_busy_timeout(c.w, STORE_BUSY_TIMEOUT_MS);
		} else if (empty) {
			store_checkpoint_truncate(st);
		}
	}
	return 0;
fail:
	store_errmsg(c.w, c.path, op, err, errlen);
fail_reported:
	db_finalize(s);
	if (!db_get_autocommit(c.w))
		db_exec(c.w, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int store_mail_stats(struct store *st, struct store_mail_stats *out)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int ret = -1;

	memset(out, 0, sizeof *out);
	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	if (db_prepare_v2(
	       c.r,
	       "SELECT (SELECT count(*) FROM outbox WHERE state = 0),"
	       " (SELECT count(*) FROM outbox WHERE state = 1),"
	       " (SELECT coalesce(min(created_at), 0) FROM outbox WHERE state = 0),"
	       " (SELECT value FROM counters WHERE name = 'mail_sent'),"
	       " (SELECT value FROM counters WHERE name = 'mail_failed'),"
	       " (SELECT value FROM counters WHERE name = 'mail_unsure'),"
	       " (SELECT value FROM counters WHERE name = 'mail_skipped'),"
	       " (SELECT value FROM counters WHERE name = 'pending'),"
	       " (SELECT value FROM counters WHERE name = 'signatures'),"
	       " (SELECT value FROM settings WHERE key = 'mail_last_error')",
	       -1, &s, NULL) != SQLITE_OK)
		goto out;
	if (db_step(s) == SQLITE_ROW) {
		out->queued = db_column_int64(s, 0);
		out->sending = db_column_int64(s, 1);
		out->oldest_at = db_column_int64(s, 2);
		out->sent = db_column_int64(s, 3);
		out->failed = db_column_int64(s, 4);
		out->unsure = db_column_int64(s, 5);
		out->skipped = db_column_int64(s, 6);
		out->pending = db_column_int64(s, 7);
		out->confirmed = db_column_int64(s, 8);
		copy_col(s, 9, out->last_error, sizeof out->last_error);
		ret = 0;
	}
out:
	db_finalize(s);
	pthread_mutex_unlock(c.rlock);
	return ret;
}

int store_mail_purge(struct store *st, int64_t now, int64_t pending_before, int max,
		     int64_t *purged, char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int64_t ids[256];
	int n = 0, i;
	const char *op = "purging old links and unconfirmed signatures";

	err[0] = '\0';
	store_conns(st, &c);
	*purged = 0;
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (store_run(c.w, "DELETE FROM mail_tokens WHERE expires_at <= ?1", now) != 0 ||
	    store_run(c.w, "DELETE FROM mail_quota WHERE day < ?1", now / 86400) != 0 ||
	    store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail;
	if (max > (int)(sizeof ids / sizeof ids[0]))
		max = (int)(sizeof ids / sizeof ids[0]);
	if (db_prepare_v2(c.w, "SELECT id FROM signatures WHERE confirmed = 0"
			       " AND signed_at < ?1 ORDER BY signed_at LIMIT ?2", -1, &s,
			  NULL) != SQLITE_OK)
		goto fail;
	db_bind_int64(s, 1, pending_before);
	db_bind_int(s, 2, max);
	while (n < max && db_step(s) == SQLITE_ROW)
		ids[n++] = db_column_int64(s, 0);
	db_finalize(s);
	s = NULL;
	/* One deletion each, like a signer's withdrawal (the search index, the
	 * pending counter, the tokens and mail of the row); no audit line
	 * each, one for them all below. */
	for (i = 0; i < n; i++) {
		struct store_deletion d;

		memset(&d, 0, sizeof d);
		d.id = ids[i];
		d.at = now;
		if (store_delete_sig(st, &d, err, errlen) != 0)
			return -1;
		*purged += d.deleted_id > 0;
	}
	if (*purged > 0) {
		char detail[96];

		snprintf(detail, sizeof detail, "%lld unconfirmed signature(s) past their time",
			 (long long)*purged);
		if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0 ||
		    store_audit_add(st, now, "petitiond", "purge", detail, err, errlen) != 0 ||
		    store_exec(c.w, op, "COMMIT", err, errlen) != 0)
			goto fail;
	}
	return 0;
fail:
	db_finalize(s);
	store_fail(c.w, c.path, op, err, errlen);
	return -1;
}
