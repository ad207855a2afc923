/* store.h -- the storage interface. SQLite is the embedded engine; nothing
 * outside store.c knows that. */
#ifndef PETITIOND_STORE_H
#define PETITIOND_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Milliseconds a statement waits on a lock before giving up with BUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000
/* After a checkpoint the WAL file is truncated back to at most this size, so a
 * burst (or a long export holding back checkpoints) does not leave it big. */
#define STORE_WAL_LIMIT_BYTES (8 * 1024 * 1024)

struct store;

/* Most signatures store_add_batch takes at once (the writer's batches are
 * smaller: WRITER_MAX_BATCH). */
#define STORE_BATCH_MAX 1024

/* One signature, as written and as read back. Strings are NUL-terminated
 * UTF-8, owned by the caller when writing and by the cursor when reading
 * (valid until the next row is read). */
struct store_sig {
	int64_t id;         /* set on read */
	int64_t signed_at;  /* Unix seconds, UTC */
	const char *name;
	const char *email;
	const char *email_norm;
	const char *country;
	const char *comment;
	const char *public_name; /* the name to publish: NULL unless is_public and
				  * the signer wrote one (rows from before 0.3 may
				  * have is_public with none) */
	int is_public;
	int updates;
	const char *source; /* 'online', 'paper' or 'event' (db/010_source.sql);
			     * NULL when writing: 'online' (store_add_batch
			     * always writes 'online') */
	int confirmed;      /* on read: 1 counts, 0 waits for its signer's
			     * confirmation (db/011_confirm.sql) */
	/* email area, when writing with store_add_batch: mail 1 (--confirm
	 * required) stores a new row unconfirmed and queues a confirmation
	 * mail to email in lang; a repeated address gets a new confirmation
	 * (unconfirmed) or a withdrawal link (confirmed), at most
	 * STORE_MAIL_PER_DAY a day, queued to leave at mail_at (Unix seconds;
	 * 0: at once). Either way the same rows are written. */
	int mail;
	const char *lang;
	int64_t mail_at;
	const char *mail_to; /* the address the mail goes to (NULL: email); in
			      * sealed mode email is a sealed box, this the
			      * clear address, kept in the outbox until sent */
};

/* Opens (creating if needed) the database at path in WAL mode and brings its
 * schema up to date by applying the numbered migrations under db/ in one
 * transaction. First it takes the database's lock (STORE_LOCK_SUFFIX, held
 * until store_close) and refuses a database another process holds; then it
 * runs PRAGMA quick_check and refuses a database that fails it (the message
 * names `petitiond check` and `petitiond restore`). A database file readable
 * by others is made 0600. On failure returns -1 and writes a message into
 * err. Start-up only. */
int store_open(struct store **out, const char *path, char *err, size_t errlen);
/* --wal-checkpoint external: petitiond never checkpoints the WAL (nor
 * truncates it): another program does, Litestream above all, which must
 * own checkpoints to replicate every frame. Start-up only. */
void store_set_external_checkpoints(struct store *st, int on);
void store_close(struct store *st);

/* Runs fn(st, ctx) inside one write transaction (BEGIN IMMEDIATE ... COMMIT):
 * fn's store_get_setting/store_set_setting calls commit together or not at
 * all. fn returns 0 to commit, -1 to roll back. Returns 0, or -1 with the
 * reason in err. Start-up only (before the writer thread runs). */
int store_transaction(struct store *st, int (*fn)(struct store *st, void *ctx), void *ctx,
		      char *err, size_t errlen);

/* Adds n signatures and nbots refused automated submissions (counted in
 * 'bots_refused', nothing else of them kept) in one transaction. A row
 * whose email_norm is already present is not inserted (inserted[i] = 0),
 * but costs the same: it rewrites its stored row unchanged, so the commit
 * dirties as many pages and syncs just as a new row's does, and the
 * 'accepted' counter grows by n in every batch. A repeated email therefore
 * cannot be told from a new one by how long its answer takes. On success
 * stores the new totals in *count and *bots (either may be NULL) and
 * returns 0; on any failure rolls back, returns -1 with SQLite's reason in
 * err, and nothing of the batch is stored. Writer thread only. */
int store_add_batch(struct store *st, const struct store_sig *sigs, size_t n, int64_t nbots,
		    unsigned char *inserted, int64_t *count, int64_t *bots, char *err,
		    size_t errlen);

/* Which signature to delete, and what came of it. */
struct store_deletion {
	int64_t id;             /* in: the row; 0: find it by email_norm */
	const char *email_norm; /* in: the duplicate key, when id is 0 */
	const char *admin;      /* in: the organizer, for the audit line; NULL: none */
	const char *action;     /* in: the audit line's action; NULL: "delete" */
	int64_t at;             /* in: the audit line's time, Unix seconds */
	int64_t deleted_id;     /* out: the row deleted; 0 when none matched */
	int64_t count;          /* out: the new total */
};
/* store_moderation.c: deletes one signature (the erasure a signer asks
 * for, or an organizer's moderation), in one transaction: the row, its words in the search index,
 * and its share of the counters (signatures, public, updates) and of its
 * day; with admin set, an audit line "delete" naming the row by id, never
 * the person. The one code path for deleting by id and by email. Returns 0
 * (deleted_id 0 when nothing matched), or -1 (nothing changed, the reason
 * in err). Writer thread only: a writer task, or start-up. */
int store_delete_sig(struct store *st, struct store_deletion *d, char *err, size_t errlen);

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
/* A counter of the counters table ('signatures', 'public', 'updates',
 * 'accepted', 'bots_refused'), or -1. 'public' counts the rows the public
 * list shows (public = 1 and not hidden by an organizer). Writer thread or
 * start-up only. */
int64_t store_counter(struct store *st, const char *name);

/* Settings (key/value text). store_get_setting returns a malloc'd copy or NULL. */
char *store_get_setting(struct store *st, const char *key);
int store_set_setting(struct store *st, const char *key, const char *value);

/* Read side: any thread. Each call serializes on one shared read-only
 * connection; they are for rare, small queries. */
int store_ping(struct store *st);
/* Health, for /healthz: 0 when the database answers; -1 with a short reason
 * in why[0..len) when any statement on any connection has found it corrupt
 * (SQLITE_CORRUPT or SQLITE_NOTADB, seen through SQLite's error log: marked
 * until restart) or the counters cannot be read now. Cheap: a flag and one
 * prepared single-row read. */
int store_health(struct store *st, char *why, size_t len);
/* Calls fn for the n most recent public signers, newest first, with the
 * name they chose to publish (NULL for rows signed before there was one:
 * nothing derived from their name is ever handed out) and their country. */
int store_recent_public(struct store *st, int n,
			void (*fn)(void *ctx, const char *public_name, const char *country),
			void *ctx);
/* Calls fn for the last ndays days with signatures, newest first. */
int store_daily(struct store *st, int ndays,
		void (*fn)(void *ctx, const char *day, int64_t n), void *ctx);
/* Number of signatures with public = 1 and with updates = 1. */
int store_flag_counts(struct store *st, int64_t *npublic, int64_t *nupdates);

/* Operator commands on database files (petitiond backup, restore, check).
 *
 * The lock: a process that serves from a database, or restores into it,
 * holds flock(LOCK_EX) on the file DB.lock beside it (DB resolved through
 * symbolic links), with its PID written in it. A separate file, because
 * SQLite locks the database file itself with POSIX (fcntl) locks, and POSIX
 * locks belong to the process and inode: one taken on the database through
 * our own descriptor would merge with SQLite's byte-range locks and vanish
 * when SQLite closes any of its descriptors on that file. flock on another
 * file is independent of all that (also where NFS emulates flock with POSIX
 * locks), and it survives a restore that renames a new database into place.
 * The kernel releases it when the process dies, kill -9 included; the file
 * itself is left in place on purpose (removing it would race). */
#define STORE_LOCK_SUFFIX ".lock"

/* Whether a process holds the lock of the database at path: 1 (its PID in
 * *pid, or 0 when unknown), 0 no, -1 error (err). Creates nothing. */
int store_in_use(const char *path, long *pid, char *err, size_t errlen);

/* What store_backup and store_restore did, for the operator. */
struct store_copy_report {
	char src[4096];             /* the file read, resolved (realpath) */
	char dst[4096];             /* the file written, resolved */
	int64_t signatures;         /* rows in the table of the copy */
	int64_t counter;            /* its 'signatures' counter */
	int schema;                 /* its PRAGMA user_version */
	int replaced;               /* backup --force replaced an existing file */
	int64_t replaced_signatures;/* rows it held (-1: not a petitiond database) */
	uid_t uid;                  /* owner and mode of the installed file */
	gid_t gid;
	unsigned mode;
	int naside;                 /* restore: the files moved aside */
	char aside[4][2][4200];     /* {from, to} */
};

/* Online backup of the database at src into the file dst, with SQLite's
 * backup API: safe while the server is running and writing; the copy holds
 * every transaction committed before the backup finished its last step.
 * The copy is written to a temporary file beside dst (0600), checked with
 * PRAGMA integrity_check, put in rollback-journal mode (one self-contained
 * file), synced, and only then renamed to dst. Refuses (nothing written):
 * dst that is src itself or one of its companion files; dst that is a
 * database a process holds the lock of; dst with a -wal or -journal beside
 * it; an existing dst unless force. Fills *rep. Returns 0 or -1 with a
 * message in err. */
int store_backup(const char *src, const char *dst, int force, struct store_copy_report *rep,
		 char *err, size_t errlen);

/* Puts the backup file backup in place of the database db, holding db's
 * lock throughout (refused while a server uses db). Copies backup to a
 * temporary file beside db and checks the copy (integrity_check; a
 * petitiond schema, user_version between 1 and what this binary knows);
 * gives it db's owner (or the owner of db's directory when db does not
 * exist) and mode 0600; moves db, db-wal, db-shm and db-journal aside as
 * db.before-restore-TIMESTAMP[-wal|-shm|-journal] (so that set still opens
 * as a consistent database); renames the copy to db. Deletes nothing; backup
 * is only read. Fills *rep. Returns 0 or -1 with a message in err. */
int store_restore(const char *backup, const char *db, struct store_copy_report *rep,
		  char *err, size_t errlen);

/* What store_check found in a database file. */
struct store_check_report {
	char path[4096];          /* resolved */
	int exists;
	int dir_writable;         /* its directory: can the server create it, its WAL? */
	int in_use;               /* a process holds its lock */
	long pid;
	char integrity[512];      /* "ok" or the first problems integrity_check named */
	int schema;               /* PRAGMA user_version */
	int schema_known;         /* the highest version this binary migrates to */
	int is_petitiond;         /* has the signatures, counters and settings tables */
	int64_t signatures;       /* rows in the table */
	int64_t counter;          /* the 'signatures' counter */
	int has_admin_hash;       /* active admin accounts (or 1: an older database's one token) */
	int has_form_key;         /* settings: form_key */
	uid_t uid;
	unsigned mode;
};

/* Checks the database at path, reading only (a server may be running on it):
 * PRAGMA integrity_check, schema, tables, settings, counts. Fills *rep.
 * Returns 0 when a server could serve from it (or create it), 1 when not
 * (the reason in err), -1 when the check itself failed (err). */
int store_check(const char *path, struct store_check_report *rep, char *err, size_t errlen);

/* store_audit.c: the audit trail. store_audit_add appends a line, inside
 * the caller's transaction when there is one (writer thread: a writer task,
 * or start-up). detail must never hold a signer's personal data. Returns 0,
 * or -1 with the reason in err. */
int store_audit_add(struct store *st, int64_t at, const char *admin, const char *action,
		    const char *detail, char *err, size_t errlen);
struct store_audit_row {
	int64_t id;
	int64_t at;
	const char *admin, *action, *detail; /* valid during the callback */
};
/* Calls fn for up to n lines with id < before_id (0: from the newest),
 * newest first. Any thread. Returns 0 or -1. */
int store_audit_list(struct store *st, int64_t before_id, int n,
		     void (*fn)(void *ctx, const struct store_audit_row *row), void *ctx);

/* store_admins.c: organizers' accounts and their sessions (admins area).
 * Only hashes are stored: the hex SHA-256 of each account's token and of
 * each session's id. Names: 1 to STORE_ADMIN_NAME_MAX of [A-Za-z0-9._-],
 * starting with a letter or digit, unique regardless of case. */
#define STORE_ADMIN_NAME_MAX 32
#define STORE_ADMIN_OWNER "owner" /* the account of --admin-token / the first start's token */
int store_admin_name_ok(const char *name);

enum store_admin_op { STORE_ADMIN_ADD, STORE_ADMIN_REVOKE, STORE_ADMIN_ROTATE };
/* What a change did. */
enum store_admin_result {
	STORE_ADMIN_FAILED = -1, /* the database failed: the reason in err, nothing changed */
	STORE_ADMIN_OK = 0,
	STORE_ADMIN_EXISTS,      /* add: an active account has that name */
	STORE_ADMIN_NO_SUCH,     /* no account (or session) of that name */
	STORE_ADMIN_REVOKED,     /* revoke, rotate: the account is revoked already */
	STORE_ADMIN_BAD_NAME     /* not a valid name */
};
struct store_admin {
	const char *name;     /* valid during the callback */
	int64_t created_at;   /* Unix seconds */
	int64_t last_sign_in; /* with the sign-in form; 0: never */
	int64_t revoked_at;   /* 0: active */
};

/* Adds (a revoked name comes back with the new token), revokes or rotates
 * the account name, with the audit line (action "admin-add",
 * "admin-revoke", "admin-rotate"; detail: the name; admin: who) in the
 * same transaction. token_hash: the new token's hash (add, rotate). Revoking
 * and rotating end the account's sessions, but keep_sid_hash's (rotate;
 * NULL: none). Returns an enum store_admin_result. Writer thread (a writer
 * task). */
int store_admin_change(struct store *st, enum store_admin_op op, int64_t now, const char *name,
		       const char *token_hash, const char *keep_sid_hash, const char *who,
		       char *err, size_t errlen);
/* The same on the database file at path, for `petitiond admin` (its own
 * connection; safe while a server runs, which sees the change at once). */
int store_admin_change_file(const char *path, enum store_admin_op op, int64_t now,
			    const char *name, const char *token_hash, const char *who, char *err,
			    size_t errlen);
/* Calls fn for every account, oldest first. Any thread (read connection) /
 * the database file. Returns 0 or -1. */
int store_admin_list(struct store *st, void (*fn)(void *ctx, const struct store_admin *a),
		     void *ctx);
int store_admin_list_file(const char *path, void (*fn)(void *ctx, const struct store_admin *a),
			  void *ctx, char *err, size_t errlen);

/* The active account whose token has this hash: 1 and its name, 0 none, -1
 * error. An indexed lookup by the hash: what it costs says nothing about
 * the token. Any thread (read connection): a change made by another process
 * counts at once. */
int store_admin_by_token(struct store *st, const char *token_hash, char *name, size_t namelen);
/* The session with this id hash, used within the last idle_s seconds, of an
 * active account: 1 with its name and *last_seen, 0 none, -1 error. Any
 * thread. */
int store_admin_by_session(struct store *st, const char *sid_hash, int64_t now, int64_t idle_s,
			   char *name, size_t namelen, int64_t *last_seen);
/* Signs in: checks token_hash again (rotated or revoked meanwhile:
 * STORE_ADMIN_NO_SUCH), stores the session sid_hash, ends old_sid_hash (the
 * browser's previous session, or NULL) and every session idle for idle_s,
 * records the sign-in time and the audit line "sign-in" under the account's
 * name (copied into name). Writer thread. */
int store_admin_session_start(struct store *st, int64_t now, int64_t idle_s,
			      const char *token_hash, const char *sid_hash,
			      const char *old_sid_hash, char *name, size_t namelen, char *err,
			      size_t errlen);
/* Signs out: ends the session, audit line "sign-out" (its account's name
 * into name). STORE_ADMIN_OK, STORE_ADMIN_NO_SUCH (no such session) or
 * STORE_ADMIN_FAILED. Writer thread. */
int store_admin_session_end(struct store *st, int64_t now, const char *sid_hash, char *name,
			    size_t namelen, char *err, size_t errlen);
/* Records that the session was used now. 0 or -1. Writer thread. */
int store_admin_session_touch(struct store *st, int64_t now, const char *sid_hash, char *err,
			      size_t errlen);
/* Start-up, inside store_transaction: whether the account "owner" exists
 * (1, 0, -1); and setting its token (creating it, or re-enabling it when
 * revoked; its sessions end when the token changes), with an audit line
 * naming why ("--admin-token", "first start"). store_admin_owner_set
 * returns 0 unchanged, 1 set, 2 re-enabled, -1 error. */
int store_admin_owner_exists(struct store *st);
int store_admin_owner_set(struct store *st, int64_t now, const char *token_hash,
			  const char *why, char *err, size_t errlen);

/* store_lifecycle.c (lifecycle): the status, deadline, messages, goal,
 * milestone and time zone of struct life_settings (lifecycle.h), kept in
 * the settings table. store_life_load fills out from what is stored,
 * leaving a field as the caller set it when nothing is (out->goal: the
 * --goal flag's; goal_stored says whether the settings held one).
 * Start-up only. Returns 0. */
struct life_settings;
int store_life_load(struct store *st, struct life_settings *out, char *err, size_t errlen);
/* Which parts of the settings store_life_save writes. */
#define STORE_LIFE_STATE 0x01u    /* state and changed_at */
#define STORE_LIFE_MSGS 0x02u     /* the paused and closed messages */
#define STORE_LIFE_DEADLINE 0x04u /* closes_at */
#define STORE_LIFE_GOAL 0x08u     /* goal and milestone */
#define STORE_LIFE_TIMEZONE 0x10u /* tzname */
/* Writes the chosen parts of s and one audit line (at, admin, action,
 * detail: never a signer's data) in one transaction: all or nothing.
 * Returns 0, or -1 with SQLite's reason in err. Writer thread (a writer
 * task). */
int store_life_save(struct store *st, const struct life_settings *s, unsigned fields, int64_t at,
		    const char *admin, const char *action, const char *detail, char *err,
		    size_t errlen);


/* store_moderation.c (moderation): browsing, searching and moderating the
 * signatures (/admin/signatures).
 *
 * Moderation state (kept beside the signatures, one row per signature an
 * organizer acted on): hidden (withdrawn from the public list; it still
 * counts; reversible) or kept (a row from before public names existed,
 * public with no public_name, that an organizer decided may keep showing
 * as "a signer from COUNTRY").
 *
 * The search index: a full-text index (SQLite FTS5) of name, public_name
 * and country. It is kept up to date lazily, never by the signing path:
 * rows up to a watermark are indexed, and store_search_catch_up indexes
 * the rows signed since, in the writer's gaps. So signing costs nothing
 * more, and a new signature and a repeated email still do the same work
 * (store_add_batch). Deleting a row removes its words in the same
 * transaction (store_delete_sig). */

/* One signature as the moderation pages show it. Strings are valid during
 * the callback only. */
struct store_sig_row {
	int64_t id;
	int64_t signed_at;       /* Unix seconds, UTC */
	const char *name, *email, *country, *comment;
	const char *public_name; /* NULL: none */
	int is_public, updates, hidden, anon_kept;
	const char *source;      /* "online", "paper" or "event" */
	int confirmed;           /* 0: waiting for its signer's confirmation by mail */
};

/* Which rows a moderation page lists. */
enum store_sig_view {
	STORE_VIEW_ALL = 0,
	STORE_VIEW_HIDDEN,    /* hidden by organizers */
	STORE_VIEW_UNDECIDED, /* public, no public name, not hidden, not kept */
	STORE_VIEW_PENDING    /* waiting for their signers' confirmation by mail */
};
struct store_sig_filter {
	const char *match;       /* a full-text expression (search_parse), or NULL */
	const char *email_lo;    /* email_norm in [email_lo, email_hi), or NULL */
	const char *email_hi;
	const char *country;     /* with email_lo: country = this; or NULL */
	enum store_sig_view view;
	int64_t before;          /* only id < before (0: no bound), newest first */
	int64_t after;           /* only id > after, oldest first (then before is 0) */
	int limit;
};
/* Calls fn for the rows f selects, at most f->limit, newest first (oldest
 * first with f->after). Reads on a connection of its own (one snapshot, and
 * the public pages' shared read connection is not held). Returns the number
 * of rows, or -1 with the reason in err (a full-text expression the index
 * refuses included). Any thread. */
int store_sig_list(struct store *st, const struct store_sig_filter *f,
		   void (*fn)(void *ctx, const struct store_sig_row *row), void *ctx, char *err,
		   size_t errlen);
/* Calls fn for the row with that id (id > 0) or that email_norm. Returns 1
 * found, 0 not, -1 error (err). Any thread. */
int store_sig_get(struct store *st, int64_t id, const char *email_norm,
		  void (*fn)(void *ctx, const struct store_sig_row *row), void *ctx, char *err,
		  size_t errlen);
/* How many rows wait to enter the search index (only when want_unindexed;
 * else 0), and how many are old public rows without a public name awaiting
 * an organizer's decision, each counted up to limit (so at most limit:
 * never a walk longer than that). Any thread. Returns 0 or -1. */
int store_sig_status(struct store *st, int64_t limit, int want_unindexed, int64_t *unindexed,
		     int64_t *undecided, char *err, size_t errlen);
/* Indexes up to max_rows of the rows signed since the watermark, in one
 * transaction of its own, and sets *left to 1 when more remain. Returns 0
 * or -1 (err; nothing changed). Writer thread (a writer task). */
int store_search_catch_up(struct store *st, int max_rows, int *left, char *err, size_t errlen);

enum store_mod_action {
	STORE_MOD_HIDE,  /* withdraw from the public list */
	STORE_MOD_SHOW,  /* undo a hide */
	STORE_MOD_KEEP   /* an old anonymous row may keep showing (and is shown) */
};
/* Applies action to row id with an audit line (action "hide", "show" or
 * "keep", detail "#ID") and the 'public' counter kept right, in one
 * transaction. *found: the row exists; *changed: it was not already so
 * (nothing is written, not even the audit line, when it was). HIDE applies
 * only to a public row, KEEP only to a public row without a public name
 * (else *changed is 0); SHOW of such a row keeps it (it was a decision).
 * Returns 0 or -1 (err; nothing changed). Writer thread (a writer task). */
int store_sig_moderate(struct store *st, int64_t id, enum store_mod_action action,
		       const char *admin, int64_t at, int *found, int *changed, char *err,
		       size_t errlen);

/* store_content.c (content): the campaign's texts per language, every
 * published version kept (db/006_content.sql), and the uploaded share
 * image. Reads: any thread (the shared read connection). Writes: each its
 * own transaction with its audit line (never any text, only which
 * version), on the writer connection: a writer task, start-up, or a
 * subcommand holding the store. */
struct content_text;
struct store_content_meta {
	int64_t id;        /* the version */
	char lang[8];
	int64_t at;        /* published, Unix seconds */
	char admin[64];    /* who published it */
	char note[128];    /* "default", "revert of #12", "content load", or "" */
	int withdrawn;     /* the translation was taken off the page */
};
/* The newest version of lang / version id: 1 with *text (the caller frees
 * it with content_text_free; text may be NULL) and *meta filled, 0 when
 * there is none, -1 on error. */
int store_content_latest(struct store *st, const char *lang, struct content_text *text,
			 struct store_content_meta *meta);
int store_content_version(struct store *st, int64_t id, struct content_text *text,
			  struct store_content_meta *meta);
/* The newest version of lang that is a text (not a withdrawal): what the
 * editor starts from once a translation was withdrawn. Returns as above. */
int store_content_latest_text(struct store *st, const char *lang, struct content_text *text,
			      struct store_content_meta *meta);
/* Calls fn for up to n versions of lang, newest first. Returns 0 or -1. */
int store_content_history(struct store *st, const char *lang, int n,
			  void (*fn)(void *ctx, const struct store_content_meta *m), void *ctx);
/* One language's new version for store_content_publish; id is set. */
struct store_content_pub {
	const char *lang;
	const struct content_text *text; /* ignored (stored empty) when withdrawn */
	int withdrawn;
	const char *note;
	int64_t id;
};
/* Adds the n versions and one audit line (admin, action; the detail names
 * each language and version) in one transaction. Returns 0, or -1 with the
 * reason in err (nothing stored). */
int store_content_publish(struct store *st, struct store_content_pub *v, size_t n, int64_t at,
			  const char *admin, const char *action, char *err, size_t errlen);
/* The newest version of every language in the database file at path,
 * read-only and without its lock (a server may be running on it): fn is
 * called for each, in the order of their codes; a non-zero return stops.
 * A database without the table calls nothing. Returns 0 or -1 (err). */
int store_content_read_db(const char *path,
			  int (*fn)(void *ctx, const struct content_text *text,
				    const struct store_content_meta *m),
			  void *ctx, char *err, size_t errlen);
/* The uploaded share image. */
struct store_image {
	int64_t at;
	char admin[64];
	char mime[16];        /* "image/png", "image/jpeg" */
	unsigned width, height;
	char sha256[65];      /* hex, of data */
	unsigned char *data;  /* malloc'd by store_image_get */
	size_t len;
};
/* 1 and *out filled (free it with store_image_free), 0 when none is
 * uploaded (the embedded default is shown), -1 on error. */
int store_image_get(struct store *st, struct store_image *out);
void store_image_free(struct store_image *img);
/* Replaces the uploaded image with img (NULL: none, back to the default),
 * with an audit line. Returns 0, or -1 with the reason in err. */
int store_image_set(struct store *st, const struct store_image *img, int64_t at,
		    const char *admin, char *err, size_t errlen);

/* store_charts.c (charts): the aggregates behind the dashboard's charts
 * and the public numbers (db/009_aggregates.sql). */
/* The aggregates' time step: a quarter hour, the granularity of every time
 * zone's offset. */
#define STORE_AGG_SLOT_S 900
/* Adds a batch to the aggregates, inside the caller's transaction: for each
 * sigs[i], 1 (inserted[i]) or 0 (a repeated email, which writes the same
 * rows all the same) to its quarter hour and its country. Returns 0, or -1
 * with the reason in err (the caller rolls back). Writer thread only: every
 * path that inserts signatures calls it (store_add_batch, imports). */
int store_agg_batch(struct store *st, const struct store_sig *sigs, size_t n,
		    const unsigned char *inserted, char *err, size_t errlen);
/* Calls fn for each quarter hour in [since, until) that has signatures,
 * oldest first (t: its start, Unix seconds UTC). Any thread (read
 * connection). Returns 0 or -1. */
int store_agg_slots(struct store *st, int64_t since, int64_t until,
		    void (*fn)(void *ctx, int64_t t, int64_t n), void *ctx);
/* The start of the first quarter hour with signatures: 1 and *t, 0 when
 * there are none, -1 on error. Any thread. */
int store_agg_first(struct store *st, int64_t *t);
/* Calls fn for each country with signatures, most first. Any thread.
 * Returns 0 or -1. */
int store_agg_countries(struct store *st, void (*fn)(void *ctx, const char *country, int64_t n),
			void *ctx);
/* Signatures collected on paper or at events (source <> 'online'), or -1.
 * Any thread. */
int64_t store_agg_offline(struct store *st);

/* store_export.c: the export's filters and cursor, the command line's
 * statistics, and opening a database beside a running server (numbers
 * area). */
#define STORE_SOURCE_MAX 8 /* "online", "paper", "event" and a NUL */
struct store_export_filter {
	int64_t since;    /* signed_at >= since (Unix seconds); 0: no lower bound */
	int64_t until;    /* signed_at < until; 0: no upper bound */
	char country[3];  /* ISO 3166-1 alpha-2, upper case; "": any */
	int updates;      /* 1: only signers who asked for news */
	char source[STORE_SOURCE_MAX]; /* "online", "paper", "event"; "": any */
	int confirmed;    /* 1: confirmed only, 0: unconfirmed only, -1: all
			   * (STORE_EXPORT_FILTER_INIT sets -1) */
};
#define STORE_EXPORT_FILTER_INIT { .confirmed = -1 }
/* Sets one filter from its text, as the command line's flags and the
 * export's query parameters give it: key "since" or "until" (YYYY-MM-DD,
 * a UTC day; "until" includes its day), "country" (two ASCII letters, any
 * case), "updates" ("1" on, "0" or "" off), "source" (online|paper|event),
 * "confirmed" ("1", "0", "": all).
 * Pure. Returns 0, or -1 with a message for a person in err (the value is
 * not echoed). */
int store_export_filter_set(struct store_export_filter *f, const char *key, const char *value,
			    char *err, size_t errlen);
/* One exported row: the signature and where it was collected. */
struct store_export_row {
	struct store_sig sig;
	const char *source; /* "online" for databases from before 010_source.sql */
};
struct store_export;
/* A cursor over the signatures matching f, oldest first, on its own
 * read-only connection to the database file at path and one read
 * transaction (one snapshot however long the export takes; never blocks the
 * writer; constant memory). st may be given instead of path (the server's
 * database). NULL on failure, with the reason in err. Any thread. */
struct store_export *store_export_open(struct store *st, const char *path,
				       const struct store_export_filter *f, char *err,
				       size_t errlen);
/* 1 and *row filled (valid until the next call), 0 at the end, -1 on error
 * (store_export_error says why). */
int store_export_next(struct store_export *x, struct store_export_row *row);
const char *store_export_error(struct store_export *x);
void store_export_close(struct store_export *x);

/* Reads the database file at path (read-only, without its lock: a server
 * may be running on it) in one read transaction: *count (the stored
 * counter), then country(ctx, code, n) for every country, largest first,
 * then day(ctx, "YYYY-MM-DD", n) for every UTC day with signatures, oldest
 * first. Returns 0 or -1 (err). */
int store_stats_file(const char *path, int64_t *count,
		     void (*country)(void *ctx, const char *code, int64_t n),
		     void (*day)(void *ctx, const char *day, int64_t n), void *ctx, char *err,
		     size_t errlen);

/* store.c: opens the database at path for an operator's command that
 * writes (petitiond delete) while a server may be serving from it: when no
 * process holds its lock, it is store_open (lock taken, schema migrated);
 * otherwise the connections are opened beside the server's without the
 * lock, with the same busy timeout and synchronous = FULL, and only when the
 * schema is the one this binary knows (the server migrated it). Writes made
 * on it wait for the server's (BEGIN IMMEDIATE under the busy timeout).
 * Close with store_close. Returns 0, or -1 with the reason in err. */
int store_open_shared(struct store **out, const char *path, char *err, size_t errlen);

/* store_paper.c (paper): signatures collected on paper or at events.
 * store_source_ok: whether source is 'online', 'paper' or 'event'. */
int store_source_ok(const char *source);
struct store_import_totals {
	int64_t added;       /* new rows (with commit 0: that would be added) */
	int64_t duplicates;  /* rows whose email_norm was already stored, or came
			      * earlier in sigs: not added, counted once */
	int64_t no_email;    /* added rows without an email address */
};
/* Adds the n valid signatures sigs (form_validate'd; email_norm NULL or ""
 * for a paper signer without an email: stored with email '' and the
 * duplicate key '#' || id, which no address can be) with source, in one
 * transaction (BEGIN IMMEDIATE): the rows, the counters (signatures,
 * public, updates), the per-day counts, and with commit an audit line
 * ("import", detail "SOURCE: N added, M duplicates"; admin NULL: "cli").
 * added[i] is set to 1 for a row added, 0 for a duplicate. With commit 0
 * (a dry run) the same work is done and rolled back: nothing is written,
 * and added[] and *tot say what would have been. Returns 0, or -1 with the
 * reason in err (nothing written). store_import: writer thread (a writer
 * task). store_import_file: the database file at path on a connection of
 * its own with the busy timeout (safe while a server runs on it). */
int store_import(struct store *st, const struct store_sig *sigs, size_t n, const char *source,
		 int commit, const char *admin, int64_t at, unsigned char *added,
		 struct store_import_totals *tot, char *err, size_t errlen);
int store_import_file(const char *path, const struct store_sig *sigs, size_t n,
		      const char *source, int commit, const char *admin, int64_t at,
		      unsigned char *added, struct store_import_totals *tot, char *err,
		      size_t errlen);
/* The number of signatures with source 'paper' and 'event' (the partial
 * index of db/010_source.sql: as many steps as such rows). Any thread.
 * Returns 0 or -1. */
int store_source_counts(struct store *st, int64_t *paper, int64_t *event);

/* store_mail.c (email area): confirmation and withdrawal by mail, and the
 * outbox (db/011_confirm.sql). */
enum store_mail_kind {
	STORE_MAIL_CONFIRM = 1,  /* confirm your signature (link, code, withdrawal link) */
	STORE_MAIL_WITHDRAW = 2, /* a link that withdraws your signature */
	STORE_MAIL_ALREADY = 3   /* this address has signed already (withdrawal link) */
};
#define STORE_MAIL_PER_DAY 3           /* messages to one signature's address a UTC day */
#define STORE_TOKEN_TTL_S (7 * 86400)  /* links and codes are valid this long */
#define STORE_OUTBOX_MAX 100000        /* waiting messages; past this new ones are skipped */
#define STORE_SCRUB_LOCK_MS 200       /* PostgreSQL: VACUUM FULL outbox waits this long */
#define STORE_PG_WAIT_S 30             /* PostgreSQL not up at start: waited this long */
#define STORE_OUTBOX_STALE_S 600       /* PostgreSQL: taken this long ago, by a node
					* that stopped (store_outbox_reconcile) */
#define STORE_TOKEN_MAX 48             /* a link token: 43 base64url characters and a NUL */
#define STORE_CODE_MAX 16              /* a code: "XXXXX-XXXXX" and a NUL */
#define STORE_MAIL_ADDR_MAX 256
/* What a link or a code is worth. */
enum store_token_status {
	STORE_TOKEN_OK = 0,      /* valid: done now (confirmed, withdrawn) / can be done */
	STORE_TOKEN_ALREADY = 1, /* confirm: the signature was confirmed already */
	STORE_TOKEN_BAD = 2      /* unknown, used, expired, or its signature is gone */
};
/* The hash under which a link token (purpose 'l') or a typed code ('c',
 * any case, spaces and dashes ignored) is stored: hex SHA-256. Pure. */
void store_mail_hash(char out[65], int what, const char *token);
/* Confirms the signature of the confirmation link or code with hash h: it
 * counts from now (counters, per-day and chart figures, the public list)
 * and every confirmation token of it is used up. *status says what it was;
 * *count the new total. Writer thread. Returns 0, or -1 with err. */
int store_mail_confirm(struct store *st, const char *h, int64_t now,
		       enum store_token_status *status, int64_t *count, char *err, size_t errlen);
/* What a withdrawal link (hash h) would remove, for the page that asks to
 * confirm it: STORE_TOKEN_OK with name (malloc'd, free it), country,
 * signed_at and confirmed filled; STORE_TOKEN_BAD; or -1 on error. Any
 * thread (read connection). */
struct store_mail_sig {
	char *name;
	char country[3];
	int64_t signed_at;
	int confirmed;
};
int store_mail_withdrawal(struct store *st, const char *h, int64_t now, struct store_mail_sig *out);
/* Withdraws the signature of the withdrawal link with hash h: erased like
 * an organizer's deletion (store_delete_sig) with the audit line
 * "withdraw" naming the row number only. Writer thread. 0 (see *status,
 * *count), or -1 with err. */
int store_mail_withdraw(struct store *st, const char *h, int64_t now,
			enum store_token_status *status, int64_t *count, char *err, size_t errlen);
/* A signer asks by address for a new confirmation link (want
 * STORE_MAIL_CONFIRM: an unconfirmed signature gets one, a confirmed one a
 * "signed already" message) or for a withdrawal link (STORE_MAIL_WITHDRAW).
 * Queued only when the address signed and its daily quota allows; the
 * same rows are written either way (the counter 'mail_requests'), so the
 * answer cannot tell whether the address signed. Writer thread. */
int store_mail_request(struct store *st, const char *email, const char *email_norm,
		       enum store_mail_kind want, const char *lang, int64_t now, int64_t mail_at,
		       char *err, size_t errlen);
/* One message to send, as claimed from the outbox. */
struct store_outbox_row {
	int64_t id, sig_id, created_at;
	int kind, attempts;
	char lang[8];
	char rcpt[STORE_MAIL_ADDR_MAX], domain[STORE_MAIL_ADDR_MAX];
	char token[STORE_TOKEN_MAX], code[STORE_CODE_MAX], wtoken[STORE_TOKEN_MAX];
};
/* At start, before the writer runs: rows left 'being sent' by a server that
 * stopped while sending are deleted unsent (at most once), counted in
 * 'mail_unsure'; *n says how many. Returns 0 or -1 (err). */
int store_outbox_reconcile(struct store *st, int64_t *n, char *err, size_t errlen);
/* The same while the server runs, with several nodes (PostgreSQL: the
 * messages taken STORE_OUTBOX_STALE_S ago or more); nothing on SQLite.
 * Writer thread. 0 or -1. */
int store_outbox_sweep(struct store *st, int64_t *n, char *err, size_t errlen);
/* Claims the oldest waiting message due at now whose domain domain_ok()
 * allows (1): marks it 'being sent' (committed before it is sent) and
 * copies it into row. Returns 1 claimed, 0 none due (*next_due: the
 * earliest next_at of a waiting one, 0 none), -1 on error. Writer thread. */
int store_outbox_claim(struct store *st, int64_t now,
		       int (*domain_ok)(void *ctx, const char *domain), void *ctx,
		       struct store_outbox_row *row, int64_t *next_due, char *err, size_t errlen);
/* What came of a claimed message: result 0 sent (the row is deleted, the
 * address and the tokens with it; 'mail_sent'), 1 try again at retry_at
 * (back to waiting, with why), 2 given up (deleted; 'mail_failed'). Writer
 * thread. Returns 0 or -1. */
int store_outbox_done(struct store *st, int64_t id, int result, int64_t retry_at,
		      const char *why, char *err, size_t errlen);
/* The figures of the dashboard. Any thread (read connection). */
struct store_mail_stats {
	int64_t queued, sending, oldest_at; /* oldest_at: created_at of the oldest waiting, 0 none */
	int64_t sent, failed, unsure, skipped, pending, confirmed;
	char last_error[160];
};
int store_mail_stats(struct store *st, struct store_mail_stats *out);
/* Housekeeping: deletes expired links and codes, old quota rows, and
 * erases unconfirmed signatures signed before pending_before (at most max
 * of them; *purged says how many, with an audit line "purge"). Writer
 * thread. Returns 0 or -1. */
int store_mail_purge(struct store *st, int64_t now, int64_t pending_before, int max,
		     int64_t *purged, char *err, size_t errlen);

/* store_seal.c (sealed area): converting a database to sealed mode in
 * place, and whether it is sealed. Settings kept: 'seal_hash_key' (hex of
 * the 32-byte key of the duplicate key's hash), 'seal_fingerprint' (the
 * public key's, seal.h), 'seal_unfinished' (present while a conversion has
 * begun and not finished: rows may still be clear). */
struct seal_public;
#define STORE_SEAL_BATCH 500 /* rows per transaction of store_seal_convert */
struct store_seal_totals {
	int64_t total;   /* signatures in the database */
	int64_t sealed;  /* rows this run sealed */
	int64_t already; /* rows found sealed (an interrupted run's, or signed sealed) */
	int64_t hashed;  /* duplicate keys replaced by their keyed hash (paper rows
			  * without an address keep '#' || id) */
	int64_t batches; /* transactions committed */
	int64_t outbox;  /* messages waiting in the outbox: they keep their
			  * address until sent (the mail needs it) */
	int created;     /* this run made the hash key (the database was clear) */
};
/* Seals every signature's name, email and comment (sealed boxes for k; an
 * empty email or comment stays '') and replaces its duplicate key by
 * seal_email_hash, in transactions of STORE_SEAL_BATCH rows. The first
 * transaction also makes the hash key when there is none, stores k's
 * fingerprint, refuses a database sealed for another key ("sealed for
 * another key", nothing changed), and empties the search index (it holds
 * the names' words; its watermark goes to 0). A row is sealed whole or not
 * at all (its sealed name marks it), so a run killed at any moment (kill
 * -9) and run again loses, doubles and seals twice nothing. Then an audit
 * line "seal" (admin "cli"; counts and the fingerprint only), and, with
 * secure_delete on, WAL checkpoint (TRUNCATE), VACUUM, checkpoint
 * (TRUNCATE): no clear text stays in the file or the WAL. progress (or
 * NULL) is called after each batch with the rows gone through. Fills *tot.
 * Returns 0, or -1 with the reason in err. Needs the store opened with
 * store_open (its lock: no server running) and nothing else reading it. */
int store_seal_convert(struct store *st, const struct seal_public *k, int64_t at,
		       void (*progress)(void *ctx, int64_t done, int64_t total), void *ctx,
		       struct store_seal_totals *tot, char *err, size_t errlen);
/* 1 when the database is sealed (fp: its key's fingerprint, SEAL_FP_MAX
 * bytes; key: the hash key, SEAL_HASH_KEY_BYTES), 0 when it is not, -1 on
 * error or damaged settings. Start-up only (writer connection). */
int store_seal_state(struct store *st, char *fp, unsigned char *key);
/* 1 when a conversion was interrupted (run `petitiond seal` again: rows
 * may be clear, free pages may hold clear text), else 0. Start-up only. */
int store_seal_unfinished(struct store *st);

/* store_retention.c (sealed area): --retention-days. Erases, in one
 * transaction, the name, email and comment of up to max signatures (their
 * duplicate key becomes '#' || id), and every unconfirmed signature, every
 * message waiting in the outbox and every mailed link; the counts stay.
 * *erased: rows changed; *left: 1 while rows with personal data remain.
 * The last batch also empties the search index (it is rebuilt from what
 * stays), records 'retention_done_at' and an audit line "retention", then
 * checkpoints and vacuums. Writer thread. Returns 0 or -1 (err). */
int store_retention_erase(struct store *st, int64_t now, int max, int64_t *erased, int *left,
			  char *err, size_t errlen);
/* When the erasure last finished: 1 and *at, 0 never, -1 error. Any thread. */
int store_retention_done(struct store *st, int64_t *at);

/* store_sync.c: several nodes on one PostgreSQL database. A listener is a
 * connection of its own that hears what other nodes (and this one) changed:
 * store_listener_wait waits up to timeout_ms and sets *changed to the
 * STORE_CHANGED_* bits of the tables that moved (all of them after the
 * connection was lost and made again). Returns 1 something changed, 0
 * nothing, -1 the server is unreachable (it waited the timeout; the next
 * call tries again). One thread. */
#define STORE_CHANGED_SETTINGS 1u   /* the lifecycle, the goal, ... */
#define STORE_CHANGED_CONTENT 2u    /* the texts and the share image */
#define STORE_CHANGED_MODERATION 4u /* hidden rows */
#define STORE_CHANGED_COUNT 8u      /* the counters */
#define STORE_CHANGED_ALL 15u
struct store_listener;
struct store_listener *store_listener_open(const char *path, char *err, size_t errlen);
int store_listener_wait(struct store_listener *l, int timeout_ms, unsigned *changed);
void store_listener_close(struct store_listener *l);
/* The stored count, read on the listener's connection; -1 on error. */
int64_t store_listener_count(struct store_listener *l);
/* 1 when path names a PostgreSQL database (several nodes may share it). */
int store_is_shared(const char *path);
/* PostgreSQL: 1 when the database at url has petitiond's schema, 0 when
 * not (an empty database: a command that would make one says so), -1 when
 * it cannot be reached. */
int store_pg_schema(const char *url);
/* PostgreSQL: the database's size in bytes (pg_database_size), on the
 * shared read connection; 0 when it cannot be read. Any thread. */
int64_t store_pg_size(struct store *st);

/* store_pgcopy.c: the SQLite database at src (no server running on it)
 * copied whole into the empty PostgreSQL database at url, in one
 * transaction, every table's rows counted on both sides before COMMIT (a
 * failure leaves PostgreSQL as it was). Returns 0 with the report, or -1
 * (err). */
struct store_pgcopy_report {
	int tables;
	int64_t rows;        /* in every table */
	int64_t signatures;  /* rows of the signatures table */
	int64_t counter;     /* its 'signatures' counter, as copied */
};
int store_copy_to_pg(const char *src, const char *url, struct store_pgcopy_report *rep,
		     char *err, size_t errlen);

#endif
