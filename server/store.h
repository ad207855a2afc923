/* store.h -- the storage interface. SQLite is the embedded engine; nothing
 * outside store.c knows that. */
#ifndef PETITIOND_STORE_H
#define PETITIOND_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds a statement waits on a lock before giving up with BUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000
/* After a checkpoint the WAL file is truncated back to at most this size, so a
 * burst (or a long export holding back checkpoints) does not leave it big. */
#define STORE_WAL_LIMIT_BYTES (8 * 1024 * 1024)

struct store;
struct store_cursor;

/* One signature, as written and as read back. Strings are NUL-terminated
 * UTF-8, owned by the caller when writing and by the cursor when reading
 * (valid until the next store_cursor_next call). */
struct store_sig {
	int64_t id;         /* set on read */
	int64_t signed_at;  /* Unix seconds, UTC */
	const char *name;
	const char *email;
	const char *email_norm;
	const char *country;
	const char *comment;
	int is_public;
	int updates;
};

/* Opens (creating if needed) the database at path in WAL mode and brings its
 * schema up to date by applying the numbered migrations under db/ in one
 * transaction. On failure returns -1 and writes a message into err. */
int store_open(struct store **out, const char *path, char *err, size_t errlen);
void store_close(struct store *st);

/* Schema version the binary knows (highest migration number) and the
 * database's (PRAGMA user_version). */
int store_schema_version(void);
int store_db_version(struct store *st);

/* Adds n signatures in one transaction; rows whose email_norm is already
 * present are skipped (inserted[i] = 0). On success stores the new total in
 * *count and returns 0; on any failure rolls back, returns -1, and nothing of
 * the batch is stored. Writer thread only. */
int store_add_batch(struct store *st, const struct store_sig *sigs, size_t n,
		    unsigned char *inserted, int64_t *count);

/* Deletes the signature whose email_norm matches (the erasure a signer asks
 * for), keeping the counters right, in one transaction. Sets *deleted to 0
 * or 1 and *count to the new total. Returns 0, or -1 (nothing changed).
 * Writer thread only. */
int store_delete(struct store *st, const char *email_norm, int *deleted, int64_t *count);

/* WAL checkpoints are the writer's to run, at moments of its choosing
 * (automatic checkpoints would stall whichever commit crossed the
 * threshold). Copies the WAL back into the database when it holds at least
 * STORE_CKPT_IDLE_FRAMES pages and the writer is idle, or at least
 * STORE_CKPT_BUSY_FRAMES pages in any case. PASSIVE: never waits for readers
 * (a long export simply holds it back). Writer thread only. */
#define STORE_CKPT_IDLE_FRAMES 1000
#define STORE_CKPT_BUSY_FRAMES 8000
void store_checkpoint(struct store *st, int idle);

/* The stored total (O(1)). Writer thread or start-up only. */
int64_t store_count(struct store *st);

/* Settings (key/value text). store_get_setting returns a malloc'd copy or NULL. */
char *store_get_setting(struct store *st, const char *key);
int store_set_setting(struct store *st, const char *key, const char *value);

/* Read side: any thread. Each call serializes on one shared read-only
 * connection; they are for rare, small queries. */
int store_ping(struct store *st);
/* Calls fn for the n most recent public signers, newest first. */
int store_recent_public(struct store *st, int n,
			void (*fn)(void *ctx, const char *name, const char *country), void *ctx);
/* Calls fn for the last ndays days with signatures, newest first. */
int store_daily(struct store *st, int ndays,
		void (*fn)(void *ctx, const char *day, int64_t n), void *ctx);
/* Number of signatures with public = 1 and with updates = 1. */
int store_flag_counts(struct store *st, int64_t *npublic, int64_t *nupdates);

/* Export: a cursor on its own read-only connection and read transaction, so it
 * sees one consistent snapshot and never blocks the writer. */
struct store_cursor *store_cursor_open(struct store *st);
/* 1 and *row filled, 0 at the end, -1 on error. */
int store_cursor_next(struct store_cursor *cur, struct store_sig *row);
void store_cursor_close(struct store_cursor *cur);

/* Online backup of the database at src into the file dst (replaced), with
 * SQLite's backup API: safe while the server is running and writing; the
 * copy holds every transaction committed before the backup finished its
 * last step. Checks the copy with PRAGMA integrity_check. Returns 0 or -1
 * with a message in err. */
int store_backup(const char *src, const char *dst, char *err, size_t errlen);

#endif
