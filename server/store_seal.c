/* store_seal.c -- converting a database to sealed mode in place (`petitiond
 * seal`), and reading whether a database is sealed.
 *
 * The conversion walks the signatures by id in batches, each batch one
 * transaction: a row whose name is not sealed yet gets its name, email and
 * comment replaced by sealed boxes and its duplicate key by the keyed hash,
 * all in one UPDATE. The row itself says whether it is done (its name
 * starts with SEAL_PREFIX), so a run killed at any moment leaves every row
 * either clear or sealed, never half; the next run skips the sealed ones
 * and nothing is sealed twice, lost or doubled. The settings that make the
 * database sealed (the hash key, the key's fingerprint) are written in the
 * first batch's transaction, before any row changes.
 *
 * Then nothing of the clear text may stay anywhere in the files: SQLite
 * leaves deleted cells in free space and old page images in the WAL. So
 * the conversion runs with secure_delete on, empties the search index
 * (which holds the names' words), checkpoints the WAL and truncates it,
 * VACUUMs (a new file, page by page) and checkpoints and truncates again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "seal.h"
#include "auth.h"
#include "store_int.h"

/* The settings rows of sealed mode. */
#define SEAL_KEY_HASH "seal_hash_key"      /* hex of the email hash's key */
#define SEAL_KEY_FP "seal_fingerprint"     /* the public key's fingerprint */
#define SEAL_KEY_UNFINISHED "seal_unfinished" /* a conversion began and has not
					       * finished (rows may be clear) */
/* The search index's watermark (store_moderation.c). */
#define SEAL_SEARCH_WATERMARK "search_indexed_upto"

/* One row of a batch, read before any of the batch is written. */
struct seal_row {
	int64_t id;
	char *name, *email, *email_norm, *comment;
};

static void rows_free(struct seal_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* Clear text: not left in freed memory. */
		if (rows[i].name)
			memset(rows[i].name, 0, strlen(rows[i].name));
		if (rows[i].email)
			memset(rows[i].email, 0, strlen(rows[i].email));
		if (rows[i].comment)
			memset(rows[i].comment, 0, strlen(rows[i].comment));
		free(rows[i].name);
		free(rows[i].email);
		free(rows[i].email_norm);
		free(rows[i].comment);
	}
	memset(rows, 0, n * sizeof *rows);
}

static char *dup_col(struct db_stmt *s, int col)
{
	const char *t = (const char *)db_column_text(s, col);

	return strdup(t ? t : "");
}

/* Decodes exactly 2n hex digits. 0 or -1. */
static int unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;

	if (strlen(s) != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (v < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)(v << 4);
		else
			out[i / 2] |= (unsigned char)v;
	}
	return 0;
}

/* Runs sql (no rows, no parameters). 0 or -1 (SQLite's message on db). */
static int run(struct db *db, const char *sql)
{
	return db_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static void rollback(struct db *w)
{
	if (!db_get_autocommit(w))
		db_exec(w, "ROLLBACK", NULL, NULL, NULL);
}

/* Inside the first batch's transaction: refuses a database sealed for
 * another key, makes the hash key when there is none, records the
 * fingerprint and that a conversion is under way. The hash key into key.
 * Returns 0, 1 (another key: err says so) or -1 (err). */
static int seal_settings(struct store *st, const struct seal_public *k,
			 unsigned char key[SEAL_HASH_KEY_BYTES], struct store_seal_totals *tot,
			 char *err, size_t errlen)
{
	struct store_conns c;
	char *fp = store_get_setting(st, SEAL_KEY_FP);
	char *hk = store_get_setting(st, SEAL_KEY_HASH);
	char hex[2 * SEAL_HASH_KEY_BYTES + 1];
	int rc = -1;

	store_conns(st, &c);
	if (fp != NULL && strcmp(fp, k->fp) != 0) {
		snprintf(err, errlen, "%s is sealed for another key (%s), not for this one (%s): "
			 "use the public key it was sealed for", c.path, fp, k->fp);
		rc = 1;
		goto out;
	}
	if (hk != NULL) {
		if (unhex(hk, key, SEAL_HASH_KEY_BYTES) != 0) {
			snprintf(err, errlen, "%s: the setting " SEAL_KEY_HASH " is damaged", c.path);
			goto out;
		}
	} else {
		if (seal_hash_key_new(key) != 0) {
			snprintf(err, errlen, "cannot draw a random key (libsodium)");
			goto out;
		}
		auth_hex(hex, key, SEAL_HASH_KEY_BYTES);
		if (store_set_setting(st, SEAL_KEY_HASH, hex) != 0)
			goto sqlfail;
		tot->created = 1;
	}
	if ((fp == NULL && store_set_setting(st, SEAL_KEY_FP, k->fp) != 0) ||
	    store_set_setting(st, SEAL_KEY_UNFINISHED, "1") != 0)
		goto sqlfail;
	rc = 0;
	goto out;
sqlfail:
	store_errmsg(c.w, c.path, "storing the sealed mode's settings", err, errlen);
out:
	memset(hex, 0, sizeof hex);
	if (hk != NULL)
		memset(hk, 0, strlen(hk));
	free(fp);
	free(hk);
	return rc;
}

/* Empties the search index: it holds the words of every name, in clear.
 * The watermark goes back to 0, so no deletion tries to take a name's words
 * out of it again (store_moderation.c's search_forget). Inside the
 * caller's transaction. 0 or -1. */
static int search_empty(struct db *w)
{
	return (!db_is_pg(w) &&
		run(w, "INSERT INTO signatures_search (signatures_search) VALUES ('delete-all')")) ||
	       run(w, "UPDATE settings SET value = '0' WHERE key = '" SEAL_SEARCH_WATERMARK "'");
}

/* Reads up to STORE_SEAL_BATCH rows with id > after into rows (*n). Returns
 * 0 or -1. */
static int batch_read(struct db *w, int64_t after, struct seal_row *rows, size_t *n)
{
	struct db_stmt *s = NULL;
	int rc;

	*n = 0;
	if (db_prepare_v2(w, "SELECT id, name, email, email_norm, comment FROM signatures"
			  " WHERE id > ?1 ORDER BY id LIMIT ?2", -1, &s, NULL) != SQLITE_OK)
		return -1;
	db_bind_int64(s, 1, after);
	db_bind_int(s, 2, STORE_SEAL_BATCH);
	while ((rc = db_step(s)) == SQLITE_ROW) {
		struct seal_row *r = &rows[*n];

		r->id = db_column_int64(s, 0);
		r->name = dup_col(s, 1);
		r->email = dup_col(s, 2);
		r->email_norm = dup_col(s, 3);
		r->comment = dup_col(s, 4);
		++*n;
		if (!r->name || !r->email || !r->email_norm || !r->comment) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	db_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A field's new value: a sealed box of plain, or '' kept when the field is
 * optional and empty, or the value kept when it is sealed already. */
static int seal_field(const struct seal_public *k, const char *plain, int keep_empty,
		      struct buf *out)
{
	size_t len = strlen(plain);

	buf_reset(out);
	if ((keep_empty && len == 0) || seal_is_sealed(plain, len))
		return buf_append(out, plain, len);
	return seal_box(k, plain, len, out);
}

/* The duplicate key's new value: a paper signer's '#' || id (no '@': never
 * an address) and a hash already made stay; an address becomes its keyed
 * hash. */
static void seal_norm(const unsigned char key[SEAL_HASH_KEY_BYTES], const char *norm,
		      char out[SEAL_HASH_MAX], int *hashed)
{
	*hashed = 0;
	if (((norm[0] == '#' && strchr(norm, '@') == NULL) ||
	     strncmp(norm, SEAL_HASH_PREFIX, strlen(SEAL_HASH_PREFIX)) == 0) &&
	    strlen(norm) < SEAL_HASH_MAX) {
		snprintf(out, SEAL_HASH_MAX, "%s", norm);
		return;
	}
	seal_email_hash(key, norm, out);
	*hashed = 1;
}

/* Seals the rows of one batch that are not sealed yet, inside the caller's
 * transaction. Returns 0, or -1 with err. */
static int batch_write(struct store *st, const struct seal_public *k,
		       const unsigned char key[SEAL_HASH_KEY_BYTES], struct seal_row *rows,
		       size_t n, struct store_seal_totals *tot, char *err, size_t errlen)
{
	struct store_conns c;
	struct buf name = BUF_INIT, email = BUF_INIT, comment = BUF_INIT;
	struct db_stmt *u = NULL;
	char norm[SEAL_HASH_MAX];
	int64_t sealed = 0, already = 0, hashed = 0;
	size_t i;
	int rc = -1, h;

	store_conns(st, &c);
	if (db_prepare_v2(c.w, "UPDATE signatures SET name = ?2, email = ?3, comment = ?4,"
			  " email_norm = ?5 WHERE id = ?1", -1, &u, NULL) != SQLITE_OK) {
		store_errmsg(c.w, c.path, "sealing signatures", err, errlen);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct seal_row *r = &rows[i];

		/* The name is the row's mark: it is sealed (even empty) in the
		 * same UPDATE as the rest, so a sealed name means a sealed row. */
		if (seal_is_sealed(r->name, strlen(r->name))) {
			already++;
			continue;
		}
		if (seal_field(k, r->name, 0, &name) != 0 || seal_field(k, r->email, 1, &email) != 0 ||
		    seal_field(k, r->comment, 1, &comment) != 0) {
			snprintf(err, errlen, "sealing signature #%lld failed (out of memory, or a "
				 "field longer than %d bytes)", (long long)r->id, SEAL_PLAIN_MAX);
			goto out;
		}
		seal_norm(key, r->email_norm, norm, &h);
		db_bind_int64(u, 1, r->id);
		db_bind_text(u, 2, name.data, (int)name.len, SQLITE_STATIC);
		db_bind_text(u, 3, email.data, (int)email.len, SQLITE_STATIC);
		db_bind_text(u, 4, comment.data, (int)comment.len, SQLITE_STATIC);
		db_bind_text(u, 5, norm, -1, SQLITE_STATIC);
		if (db_step(u) != SQLITE_DONE) {
			store_errmsg(c.w, c.path, "sealing signatures", err, errlen);
			goto out;
		}
		db_reset(u);
		sealed++;
		hashed += h;
	}
	tot->sealed += sealed;
	tot->already += already;
	tot->hashed += hashed;
	rc = 0;
out:
	db_finalize(u);
	buf_free(&name);
	buf_free(&email);
	buf_free(&comment);
	return rc;
}

/* Copies the WAL into the database and truncates it to nothing, so no old
 * page image stays in it. Outside any transaction. 0 or -1 (err). */
static int wal_truncate(struct store_conns *c, char *err, size_t errlen)
{
	int log = 0, done = 0;

	if (db_is_pg(c->w))
		return 0; /* PostgreSQL's WAL is the server's, not a file of ours */

	if (sqlite3_wal_checkpoint_v2(db_lite(c->w), NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done) !=
	    SQLITE_OK || done < log) {
		/* Another program holds the WAL: Litestream keeps a read
		 * transaction open for as long as it runs. */
		store_errmsg(c->w, c->path,
			     "checkpointing the WAL (another program reads the database: stop "
			     "Litestream, or whatever holds it, and run seal again; it resumes)",
			     err, errlen);
		return -1;
	}
	return 0;
}

/* The last steps: every page rewritten so that free space and the WAL
 * keep nothing of what was clear. VACUUM builds a new file from the live
 * rows only (in WAL mode through the WAL, hence the checkpoints around
 * it). 0 or -1 (err). */
static int scrub(struct store_conns *c, char *err, size_t errlen)
{
	if (db_is_pg(c->w))
		/* The clear rows' old versions leave the tables' files (every
		 * node is stopped); PostgreSQL's WAL keeps them until recycled. */
		return store_exec(c->w, "rewriting the table (VACUUM FULL)",
				  "VACUUM FULL signatures", err, errlen) != 0 ||
		       store_exec(c->w, "rewriting the table (VACUUM FULL)",
				  "VACUUM FULL outbox", err, errlen) != 0 ? -1 : 0;
	return wal_truncate(c, err, errlen) != 0 ||
	       store_exec(c->w, "rewriting the database (VACUUM)", "VACUUM", err, errlen) != 0 ||
	       wal_truncate(c, err, errlen) != 0 ? -1 : 0;
}

int store_seal_convert(struct store *st, const struct seal_public *k, int64_t at,
		       void (*progress)(void *ctx, int64_t done, int64_t total), void *ctx,
		       struct store_seal_totals *tot, char *err, size_t errlen)
{
	struct store_conns c;
	struct seal_row *rows;
	unsigned char key[SEAL_HASH_KEY_BYTES];
	char detail[160];
	int64_t after = 0, done = 0;
	size_t n = 0;
	int first = 1, rc;
	const char *op = "sealing signatures";

	store_conns(st, &c);
	memset(tot, 0, sizeof *tot);
	rows = calloc(STORE_SEAL_BATCH, sizeof *rows);
	if (rows == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Every page freed from now on (a cell rewritten longer, an overflow
	 * page let go) is overwritten with zeros, not left holding clear text. */
	if (!db_is_pg(c.w) && store_exec(c.w, op, "PRAGMA secure_delete = ON", err, errlen) != 0)
		goto fail_reported;
	tot->total = store_scalar(c.w, "SELECT count(*) FROM signatures");
	if (tot->total < 0)
		goto fail;
	for (;;) {
		if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
			goto fail_reported;
		if (first) {
			rc = seal_settings(st, k, key, tot, err, errlen);
			if (rc != 0) {
				rollback(c.w);
				goto fail_reported;
			}
			if (search_empty(c.w) != 0)
				goto fail;
		}
		if (batch_read(c.w, after, rows, &n) != 0)
			goto fail;
		if (n > 0 && batch_write(st, k, key, rows, n, tot, err, errlen) != 0)
			goto fail_reported;
		if (n > 0)
			after = rows[n - 1].id;
		rows_free(rows, n);
		if (store_exec(c.w, op, "COMMIT", err, errlen) != 0)
			goto fail_reported;
		tot->batches++;
		first = 0;
		done += (int64_t)n;
		if (progress != NULL)
			progress(ctx, done, tot->total);
		if (n < STORE_SEAL_BATCH)
			break;
		/* The WAL copied back as it grows (store_open turned automatic
		 * checkpoints off); the old frames are overwritten, and the
		 * last ones truncated away below. */
		store_checkpoint(st, 1);
	}
	/* The audit line (counts and the key's fingerprint: nothing of a
	 * signer), and the search index emptied once more in case anything
	 * wrote to it in between. */
	snprintf(detail, sizeof detail, "%lld sealed, %lld already sealed, key %s",
		 (long long)tot->sealed, (long long)tot->already, k->fp);
	if (store_exec(c.w, op, "BEGIN IMMEDIATE", err, errlen) != 0)
		goto fail_reported;
	if (search_empty(c.w) != 0)
		goto fail;
	if (store_audit_add(st, at, "cli", "seal", detail, err, errlen) != 0)
		goto fail_reported_rb;
	if (store_exec(c.w, op, "COMMIT", err, errlen) != 0)
		goto fail_reported_rb;
	if (scrub(&c, err, errlen) != 0)
		goto fail_reported;
	/* The outbox (011_confirm.sql) keeps a waiting message's address until
	 * the relay has it; there is none to count in an older schema. */
	if (store_schema_version(c.w) >= 11)
		tot->outbox = store_scalar(c.w, "SELECT count(*) FROM outbox");
	/* Finished only now that the files are clean: a run killed before
	 * this point leaves the mark, and the next one scrubs again. */
	if (store_exec(c.w, op, "DELETE FROM settings WHERE key = '" SEAL_KEY_UNFINISHED "'",
		       err, errlen) != 0 ||
	    wal_truncate(&c, err, errlen) != 0)
		goto fail_reported;
	memset(key, 0, sizeof key);
	free(rows);
	return 0;
fail:
	store_errmsg(c.w, c.path, op, err, errlen);
fail_reported_rb:
	rollback(c.w);
fail_reported:
	rollback(c.w);
	rows_free(rows, n);
	free(rows);
	memset(key, 0, sizeof key);
	return -1;
}

int store_seal_state(struct store *st, char *fp, unsigned char *key)
{
	char *f = store_get_setting(st, SEAL_KEY_FP);
	char *h = store_get_setting(st, SEAL_KEY_HASH);
	int rc;

	if (f == NULL && h == NULL)
		rc = 0;
	else if (f == NULL || h == NULL || strlen(f) >= SEAL_FP_MAX ||
		 unhex(h, key, SEAL_HASH_KEY_BYTES) != 0)
		rc = -1;
	else {
		snprintf(fp, SEAL_FP_MAX, "%s", f);
		rc = 1;
	}
	if (h != NULL)
		memset(h, 0, strlen(h));
	free(f);
	free(h);
	return rc;
}

int store_seal_unfinished(struct store *st)
{
	char *v = store_get_setting(st, SEAL_KEY_UNFINISHED);

	free(v);
	return v != NULL;
}
