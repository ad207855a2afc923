/* store_content.c -- the campaign's texts per language, every published
 * version kept (content_versions), and the uploaded share image
 * (share_image). See db/006_content.sql.
 *
 * Reads use the shared read connection (any thread); writes run on the
 * writer connection in a transaction of their own, with their audit line
 * in it (a writer task, start-up, or a subcommand that opened the store). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "store_int.h"

#define STORE_CONTENT_SQL_BYTES 1024

/* "title, petitioners, ..." in the order of content_fields: the columns are
 * named after the fields, so the list is written once. */
static void columns(char *out, size_t len, const char *prefix)
{
	size_t used = 0;
	int f;

	out[0] = '\0';
	for (f = 0; f < CONTENT_NFIELDS && used < len; f++) {
		int k = snprintf(out + used, len - used, "%s%s%s", f ? ", " : "", prefix,
				 content_fields[f].name);

		if (k > 0)
			used += (size_t)k;
	}
}

/* Reads a version row: id, lang, published_at, admin, note, withdrawn, then
 * the fields. */
static int read_row(struct db_stmt *s, struct content_text *text, struct store_content_meta *m)
{
	int f;

	memset(m, 0, sizeof *m);
	m->id = db_column_int64(s, 0);
	snprintf(m->lang, sizeof m->lang, "%s", (const char *)db_column_text(s, 1));
	m->at = db_column_int64(s, 2);
	snprintf(m->admin, sizeof m->admin, "%s", (const char *)db_column_text(s, 3));
	snprintf(m->note, sizeof m->note, "%s", (const char *)db_column_text(s, 4));
	m->withdrawn = db_column_int(s, 5);
	if (text == NULL)
		return 0;
	memset(text, 0, sizeof *text);
	for (f = 0; f < CONTENT_NFIELDS; f++) {
		const char *v = (const char *)db_column_text(s, 6 + f);
		size_t n = (size_t)db_column_bytes(s, 6 + f);

		if (content_set(text, (enum content_field)f, v ? v : "", v ? n : 0) != 0) {
			content_text_free(text);
			return -1;
		}
	}
	return 0;
}

/* One version by a WHERE clause with one parameter (text or integer). */
static int get_one(struct store *st, const char *where, const char *stext, int64_t sint,
		   struct content_text *text, struct store_content_meta *m)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	char cols[STORE_CONTENT_SQL_BYTES / 2], sql[STORE_CONTENT_SQL_BYTES];
	int rc, ret = -1;

	columns(cols, sizeof cols, "");
	snprintf(sql, sizeof sql,
		 "SELECT id, lang, published_at, admin, note, withdrawn, %s FROM content_versions"
		 " WHERE %s ORDER BY id DESC LIMIT 1",
		 cols, where);
	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	if (db_prepare_v2(c.r, sql, -1, &s, NULL) == SQLITE_OK) {
		if (stext != NULL)
			db_bind_text(s, 1, stext, -1, SQLITE_STATIC);
		else
			db_bind_int64(s, 1, sint);
		rc = db_step(s);
		if (rc == SQLITE_ROW)
			ret = read_row(s, text, m) == 0 ? 1 : -1;
		else if (rc == SQLITE_DONE)
			ret = 0;
	}
	db_finalize(s);
	pthread_mutex_unlock(c.rlock);
	return ret;
}

int store_content_latest(struct store *st, const char *lang, struct content_text *text,
			 struct store_content_meta *meta)
{
	return get_one(st, "lang = ?1", lang, 0, text, meta);
}

int store_content_latest_text(struct store *st, const char *lang, struct content_text *text,
			      struct store_content_meta *meta)
{
	return get_one(st, "lang = ?1 AND withdrawn = 0", lang, 0, text, meta);
}

int store_content_version(struct store *st, int64_t id, struct content_text *text,
			  struct store_content_meta *meta)
{
	return get_one(st, "id = ?1", NULL, id, text, meta);
}

int store_content_history(struct store *st, const char *lang, int n,
			  void (*fn)(void *ctx, const struct store_content_meta *m), void *ctx)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int rc;

	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	rc = db_prepare_v2(c.r,
			   "SELECT id, lang, published_at, admin, note, withdrawn FROM content_versions"
			   " WHERE lang = ?1 ORDER BY id DESC LIMIT ?2",
			   -1, &s, NULL);
	if (rc == SQLITE_OK) {
		db_bind_text(s, 1, lang, -1, SQLITE_STATIC);
		db_bind_int(s, 2, n);
		while ((rc = db_step(s)) == SQLITE_ROW) {
			struct store_content_meta m;

			read_row(s, NULL, &m);
			fn(ctx, &m);
		}
	}
	db_finalize(s);
	pthread_mutex_unlock(c.rlock);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Inserts one version on the writer connection. Returns 0 or -1 (err). */
static int insert_version(struct store_conns *c, struct store_content_pub *v, int64_t at,
			  const char *admin, char *err, size_t errlen)
{
	char cols[STORE_CONTENT_SQL_BYTES / 2], sql[STORE_CONTENT_SQL_BYTES];
	struct db_stmt *s = NULL;
	int f, rc;
	char params[STORE_CONTENT_SQL_BYTES / 4];
	size_t used = 0;

	columns(cols, sizeof cols, "");
	params[0] = '\0';
	for (f = 0; f < CONTENT_NFIELDS && used < sizeof params; f++) {
		int k = snprintf(params + used, sizeof params - used, ", ?%d", 6 + f);

		if (k > 0)
			used += (size_t)k;
	}
	snprintf(sql, sizeof sql,
		 "INSERT INTO content_versions (lang, published_at, admin, note, withdrawn, %s)"
		 " VALUES (?1, ?2, ?3, ?4, ?5%s) RETURNING id",
		 cols, params);
	if (db_prepare_v2(c->w, sql, -1, &s, NULL) != SQLITE_OK) {
		store_errmsg(c->w, c->path, "publishing a text", err, errlen);
		return -1;
	}
	db_bind_text(s, 1, v->lang, -1, SQLITE_STATIC);
	db_bind_int64(s, 2, at);
	db_bind_text(s, 3, admin ? admin : "", -1, SQLITE_STATIC);
	db_bind_text(s, 4, v->note ? v->note : "", -1, SQLITE_STATIC);
	db_bind_int(s, 5, v->withdrawn ? 1 : 0);
	for (f = 0; f < CONTENT_NFIELDS; f++)
		db_bind_text(s, 6 + f, v->withdrawn ? "" : content_get(v->text, (enum content_field)f),
			     -1, SQLITE_STATIC);
	rc = db_step(s);
	if (rc == SQLITE_ROW) {
		v->id = db_column_int64(s, 0);
		rc = db_step(s);
	}
	if (rc != SQLITE_DONE)
		store_errmsg(c->w, c->path, "publishing a text", err, errlen);
	db_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int store_content_publish(struct store *st, struct store_content_pub *v, size_t n, int64_t at,
			  const char *admin, const char *action, char *err, size_t errlen)
{
	struct store_conns c;
	char detail[512];
	size_t i, used = 0;

	store_conns(st, &c);
	detail[0] = '\0';
	if (store_exec(c.w, "publishing a text", "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		int k;

		if (insert_version(&c, &v[i], at, admin, err, errlen) != 0)
			goto fail;
		/* "km #12 (revert of #7)": which version, never any of its text. */
		k = snprintf(detail + used, sizeof detail - used, "%s%s #%lld%s%s%s%s",
			     i ? "; " : "", v[i].lang, (long long)v[i].id,
			     v[i].withdrawn ? " withdrawn" : "", v[i].note && v[i].note[0] ? " (" : "",
			     v[i].note ? v[i].note : "", v[i].note && v[i].note[0] ? ")" : "");
		if (k > 0)
			used += (size_t)k < sizeof detail - used ? (size_t)k : sizeof detail - used - 1;
	}
	if (store_audit_add(st, at, admin, action, detail, err, errlen) != 0 ||
	    store_exec(c.w, "publishing a text", "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	db_exec(c.w, "ROLLBACK", NULL, NULL, NULL);
	for (i = 0; i < n; i++)
		v[i].id = 0;
	return -1;
}

void store_image_free(struct store_image *img)
{
	if (img == NULL)
		return;
	free(img->data);
	img->data = NULL;
	img->len = 0;
}

int store_image_get(struct store *st, struct store_image *out)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	int rc, ret = -1;

	memset(out, 0, sizeof *out);
	store_conns(st, &c);
	pthread_mutex_lock(c.rlock);
	if (db_prepare_v2(c.r,
			  "SELECT uploaded_at, admin, mime, width, height, sha256, data"
			  " FROM share_image WHERE id = 1",
			  -1, &s, NULL) == SQLITE_OK) {
		rc = db_step(s);
		if (rc == SQLITE_ROW) {
			const void *d = db_column_blob(s, 6);
			int n = db_column_bytes(s, 6);

			out->at = db_column_int64(s, 0);
			snprintf(out->admin, sizeof out->admin, "%s",
				 (const char *)db_column_text(s, 1));
			snprintf(out->mime, sizeof out->mime, "%s",
				 (const char *)db_column_text(s, 2));
			out->width = (unsigned)db_column_int(s, 3);
			out->height = (unsigned)db_column_int(s, 4);
			snprintf(out->sha256, sizeof out->sha256, "%s",
				 (const char *)db_column_text(s, 5));
			out->data = n > 0 ? malloc((size_t)n) : NULL;
			if (n > 0 && out->data != NULL) {
				memcpy(out->data, d, (size_t)n);
				out->len = (size_t)n;
				ret = 1;
			}
		} else if (rc == SQLITE_DONE) {
			ret = 0;
		}
	}
	db_finalize(s);
	pthread_mutex_unlock(c.rlock);
	return ret;
}

int store_image_set(struct store *st, const struct store_image *img, int64_t at,
		    const char *admin, char *err, size_t errlen)
{
	struct store_conns c;
	struct db_stmt *s = NULL;
	char detail[128];
	int rc = SQLITE_DONE;

	store_conns(st, &c);
	if (store_exec(c.w, "saving the share image", "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (store_exec(c.w, "saving the share image", "DELETE FROM share_image", err, errlen) != 0)
		goto fail;
	if (img != NULL) {
		if (db_prepare_v2(c.w,
				  "INSERT INTO share_image (id, uploaded_at, admin, mime, width,"
				  " height, sha256, data) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				  -1, &s, NULL) != SQLITE_OK) {
			store_errmsg(c.w, c.path, "saving the share image", err, errlen);
			goto fail;
		}
		db_bind_int64(s, 1, at);
		db_bind_text(s, 2, admin ? admin : "", -1, SQLITE_STATIC);
		db_bind_text(s, 3, img->mime, -1, SQLITE_STATIC);
		db_bind_int(s, 4, (int)img->width);
		db_bind_int(s, 5, (int)img->height);
		db_bind_text(s, 6, img->sha256, -1, SQLITE_STATIC);
		db_bind_blob(s, 7, img->data, (int)img->len, SQLITE_STATIC);
		rc = db_step(s);
		if (rc != SQLITE_DONE)
			store_errmsg(c.w, c.path, "saving the share image", err, errlen);
		db_finalize(s);
		if (rc != SQLITE_DONE)
			goto fail;
		snprintf(detail, sizeof detail, "%s %ux%u, %zu bytes, sha256 %.16s", img->mime,
			 img->width, img->height, img->len, img->sha256);
	} else {
		snprintf(detail, sizeof detail, "back to the default image");
	}
	if (store_audit_add(st, at, admin, "share-image", detail, err, errlen) != 0 ||
	    store_exec(c.w, "saving the share image", "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	db_exec(c.w, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int store_content_read_db(const char *path,
			  int (*fn)(void *ctx, const struct content_text *text,
				    const struct store_content_meta *m),
			  void *ctx, char *err, size_t errlen)
{
	char cols[STORE_CONTENT_SQL_BYTES / 2], sql[STORE_CONTENT_SQL_BYTES];
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	int rc, ret = -1;

	/* Read-only, and without the database's lock: a server may be using
	 * it (WAL lets a reader see its last commit). */
	if (db_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
			 db ? db_errmsg(db) : "out of memory");
		db_close(db);
		return -1;
	}
	db_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	columns(cols, sizeof cols, "v.");
	/* The newest version of each language. */
	snprintf(sql, sizeof sql,
		 "SELECT v.id, v.lang, v.published_at, v.admin, v.note, v.withdrawn, %s"
		 " FROM content_versions v WHERE v.id = (SELECT max(id) FROM content_versions"
		 " WHERE lang = v.lang) ORDER BY v.lang",
		 cols);
	if (db_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		if (strstr(db_errmsg(db), "no such table") != NULL) {
			ret = 0; /* a database from before the texts were kept */
		} else {
			snprintf(err, errlen, "reading the texts of %s: %s", path, db_errmsg(db));
		}
		goto out;
	}
	while ((rc = db_step(s)) == SQLITE_ROW) {
		struct content_text t;
		struct store_content_meta m;

		if (read_row(s, &t, &m) != 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		rc = fn(ctx, &t, &m);
		content_text_free(&t);
		if (rc != 0) {
			snprintf(err, errlen, "stopped");
			goto out;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading the texts of %s: %s", path, db_errmsg(db));
		goto out;
	}
	ret = 0;
out:
	db_finalize(s);
	db_close(db);
	return ret;
}
