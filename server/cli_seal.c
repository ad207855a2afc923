/* cli_seal.c -- `petitiond keygen OUT`, `petitiond unseal --key
 * FILE.secret` and `petitiond seal --key FILE.public [--db PATH]` (sealed
 * area).
 *
 * keygen and unseal run on an organizer's own computer, never on the
 * server: they need no database. unseal reads the export as a stream
 * (constant memory) and spools what it writes to an unnamed temporary
 * file, copied to standard output only once every cell has opened: a wrong
 * key or a damaged cell stops it with nothing written, never with half a
 * file that looks whole. seal converts a stopped server's database in
 * place (store_seal_convert). */
#include "cli_seal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "csv.h"
#include "seal.h"
#include "store.h"

#define CLI_SEAL_ERR_BYTES 1024
#define UNSEAL_READ_BYTES 65536    /* read from standard input at a time */
#define UNSEAL_FLUSH_BYTES 65536   /* formatted output spooled at a time */
#define UNSEAL_CELL_MAX (1024 * 1024) /* bytes of one cell as read: an export's
				       * cells are at most a few KiB */

int cli_keygen(const struct config *cfg)
{
	struct seal_public pub;
	char err[CLI_SEAL_ERR_BYTES];

	if (seal_init() != 0) {
		fprintf(stderr, "petitiond keygen: libsodium failed to start\n");
		return CLI_FAILED;
	}
	if (seal_keygen(cfg->command_file, &pub, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond keygen: %s; nothing written\n", err);
		return CLI_FAILED;
	}
	printf("petitiond keygen: wrote a new key pair for sealed mode\n"
	       "  %s.public  the public key: give it to the server (--seal-key %s.public)\n"
	       "  %s.secret  the secret key (mode 0600): only it opens the sealed exports\n"
	       "  fingerprint %s\n"
	       "Keep %s.secret OFF the server, on this computer and an offline copy (a USB "
	       "stick in a safe place): whoever has it reads every signer; whoever loses every "
	       "copy can never read them again. Check that the server shows the same "
	       "fingerprint.\n",
	       cfg->command_file, cfg->command_file, cfg->command_file, pub.fp, cfg->command_file);
	return CLI_DONE;
}

/* ---- unseal: a CSV stream in, the same CSV with sealed cells opened out */

struct unseal {
	FILE *in, *spool;
	const struct seal_secret *k;
	unsigned char rbuf[UNSEAL_READ_BYTES];
	size_t rpos, rlen;
	int read_error;
	struct buf raw;    /* the cell as read (quotes and all) */
	struct buf val;    /* its value */
	struct buf plain;  /* an opened cell */
	struct buf out;    /* output not yet spooled */
	int64_t line;      /* the line the cell being read starts on */
	int64_t cell;      /* its column, from 1 */
	int64_t rows;      /* records read, the header included */
	int64_t opened;
	char err[CLI_SEAL_ERR_BYTES];
};

/* The next byte of the input, or EOF (end, or a read error: read_error). */
static int rd_get(struct unseal *u)
{
	if (u->rpos == u->rlen) {
		u->rlen = fread(u->rbuf, 1, sizeof u->rbuf, u->in);
		u->rpos = 0;
		if (u->rlen == 0) {
			if (ferror(u->in))
				u->read_error = errno ? errno : EIO;
			return EOF;
		}
	}
	return u->rbuf[u->rpos++];
}

static int rd_peek(struct unseal *u)
{
	int c = rd_get(u);

	if (c != EOF)
		u->rpos--;
	return c;
}

/* Spools the pending output. 0 or -1 (err). */
static int spool_out(struct unseal *u)
{
	if (u->out.oom) {
		snprintf(u->err, sizeof u->err, "out of memory");
		return -1;
	}
	if (u->out.len > 0 && fwrite(u->out.data, 1, u->out.len, u->spool) != u->out.len) {
		snprintf(u->err, sizeof u->err, "cannot write the temporary file: %s",
			 strerror(errno));
		return -1;
	}
	buf_reset(&u->out);
	return 0;
}

/* Writes the cell just read: opened (with the export's formula guard and
 * quoting) when it is sealed, else exactly as it was read. 0 or -1. */
static int emit_cell(struct unseal *u, int first)
{
	char why[CLI_SEAL_ERR_BYTES / 2];

	if (u->val.len > 0 && seal_is_sealed(u->val.data, u->val.len)) {
		buf_reset(&u->plain);
		if (seal_open(u->k, u->val.data, u->val.len, &u->plain, why, sizeof why) != 0) {
			snprintf(u->err, sizeof u->err, "line %lld, cell %lld: %s",
				 (long long)u->line, (long long)u->cell, why);
			return -1;
		}
		csv_cell(&u->out, u->plain.data, u->plain.len, first);
		/* The signer's words do not linger in freed memory. */
		memset(u->plain.data, 0, u->plain.len);
		u->opened++;
	} else {
		if (!first)
			buf_putc(&u->out, ',');
		buf_append(&u->out, u->raw.data, u->raw.len);
	}
	return 0;
}

/* Appends c to the cell being read (raw, and val when in_value). 0 or -1
 * (a cell longer than any an export makes). */
static int cell_add(struct unseal *u, int c, int in_value)
{
	if (u->raw.len >= UNSEAL_CELL_MAX) {
		snprintf(u->err, sizeof u->err, "line %lld, cell %lld: longer than %d bytes: not an "
			 "export of petitiond", (long long)u->line, (long long)u->cell,
			 UNSEAL_CELL_MAX);
		return -1;
	}
	buf_putc(&u->raw, (char)c);
	if (in_value)
		buf_putc(&u->val, (char)c);
	return 0;
}

/* Reads the whole input (RFC 4180: cells quoted with '"' and '""' inside,
 * records ended by CRLF, LF or CR, the last one maybe not) and spools the
 * output. The line ends and every cell that is not sealed are copied as
 * they are. Returns 0, or -1 with err. */
static int unseal_stream(struct unseal *u)
{
	int c, first;
	int64_t physical = 1;

	/* The byte order mark an export starts with stays in front. */
	if (rd_peek(u) == 0xEF && u->rlen - u->rpos >= 3 &&
	    memcmp(u->rbuf + u->rpos, CSV_BOM, 3) == 0) {
		u->rpos += 3;
		buf_puts(&u->out, CSV_BOM);
	}
	while ((c = rd_get(u)) != EOF) {
		first = 1;
		u->cell = 0;
		for (;;) {
			buf_reset(&u->raw);
			buf_reset(&u->val);
			u->line = physical;
			u->cell++;
			if (c == '"') {
				if (cell_add(u, c, 0) != 0)
					return -1;
				for (;;) {
					c = rd_get(u);
					if (c == EOF) {
						snprintf(u->err, sizeof u->err, "line %lld, cell %lld: "
							 "a quoted cell is not closed before the end",
							 (long long)u->line, (long long)u->cell);
						return -1;
					}
					if (c == '"') {
						if (cell_add(u, c, 0) != 0)
							return -1;
						if (rd_peek(u) != '"')
							break;
						c = rd_get(u);
					}
					if (c == '\n' || (c == '\r' && rd_peek(u) != '\n'))
						physical++;
					if (cell_add(u, c, 1) != 0)
						return -1;
				}
				c = rd_get(u);
				if (c != ',' && c != '\r' && c != '\n' && c != EOF) {
					snprintf(u->err, sizeof u->err, "line %lld, cell %lld: text "
						 "after the closing quote of a cell",
						 (long long)physical, (long long)u->cell);
					return -1;
				}
			} else {
				while (c != ',' && c != '\r' && c != '\n' && c != EOF) {
					if (cell_add(u, c, 1) != 0)
						return -1;
					c = rd_get(u);
				}
			}
			if (emit_cell(u, first) != 0)
				return -1;
			first = 0;
			if (c != ',')
				break;
			c = rd_get(u);
		}
		/* The record's end, as it was. */
		if (c == '\r') {
			buf_putc(&u->out, '\r');
			if (rd_peek(u) == '\n')
				buf_putc(&u->out, (char)rd_get(u));
		} else if (c == '\n') {
			buf_putc(&u->out, '\n');
		}
		physical++;
		u->rows++;
		if (u->out.len >= UNSEAL_FLUSH_BYTES && spool_out(u) != 0)
			return -1;
		if (c == EOF)
			break;
	}
	if (u->read_error) {
		snprintf(u->err, sizeof u->err, "reading standard input failed: %s",
			 strerror(u->read_error));
		return -1;
	}
	return spool_out(u);
}

/* Copies the spool to standard output. 0 or -1 (errno). */
static int copy_out(FILE *spool)
{
	char b[UNSEAL_READ_BYTES];
	size_t n;

	if (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0)
		return -1;
	while ((n = fread(b, 1, sizeof b, spool)) > 0) {
		if (fwrite(b, 1, n, stdout) != n)
			return -1;
	}
	if (ferror(spool))
		return -1;
	return fflush(stdout);
}

int cli_unseal(const struct config *cfg)
{
	struct seal_secret k;
	struct unseal *u;
	struct stat sb;
	char err[CLI_SEAL_ERR_BYTES];
	int status = CLI_FAILED;

	if (seal_init() != 0) {
		fprintf(stderr, "petitiond unseal: libsodium failed to start\n");
		return CLI_FAILED;
	}
	if (seal_load_secret(cfg->key_file, &k, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond unseal: %s; nothing written\n", err);
		return CLI_FAILED;
	}
	if (stat(cfg->key_file, &sb) == 0 && (sb.st_mode & 077) != 0)
		fprintf(stderr, "petitiond unseal: warning: %s can be read by other users of this "
			"computer (mode %03o): chmod 600 %s\n", cfg->key_file,
			(unsigned)(sb.st_mode & 0777), cfg->key_file);
	u = calloc(1, sizeof *u);
	if (u == NULL) {
		fprintf(stderr, "petitiond unseal: out of memory; nothing written\n");
		seal_secret_wipe(&k);
		return CLI_FAILED;
	}
	u->in = stdin;
	u->k = &k;
	/* Unnamed (deleted at once) and private: gone when the process ends,
	 * whatever way it ends. */
	u->spool = tmpfile();
	if (u->spool == NULL) {
		fprintf(stderr, "petitiond unseal: cannot make a temporary file: %s; nothing "
			"written\n", strerror(errno));
		goto out;
	}
	if (unseal_stream(u) != 0) {
		fprintf(stderr, "petitiond unseal: %s; nothing written\n", u->err);
		goto out;
	}
	if (copy_out(u->spool) != 0) {
		fprintf(stderr, "petitiond unseal: writing the output failed: %s\n", strerror(errno));
		goto out;
	}
	fprintf(stderr, "petitiond unseal: opened %lld sealed cells in %lld rows (header "
		"included) with key %s%s\n", (long long)u->opened, (long long)u->rows, k.fp,
		u->opened == 0 ? "; no cell was sealed: was this export made in sealed mode?" : "");
	status = CLI_DONE;
out:
	if (u->spool != NULL)
		fclose(u->spool);
	buf_free(&u->raw);
	buf_free(&u->val);
	buf_free(&u->plain);
	buf_free(&u->out);
	free(u);
	seal_secret_wipe(&k);
	return status;
}

/* ---- seal: a database converted in place -------------------------------- */

/* Progress on a terminal: a line rewritten in place. */
static void seal_progress(void *ctx, int64_t done, int64_t total)
{
	(void)ctx;
	fprintf(stderr, "\rpetitiond seal: %lld of %lld signatures gone through", (long long)done,
		(long long)total);
	fflush(stderr);
}

int cli_seal(const struct config *cfg)
{
	struct seal_public k;
	struct store_seal_totals tot;
	struct store *st = NULL;
	char err[CLI_SEAL_ERR_BYTES];
	long pid = 0;
	int rc, tty = isatty(STDERR_FILENO);

	if (seal_init() != 0) {
		fprintf(stderr, "petitiond seal: libsodium failed to start\n");
		return CLI_FAILED;
	}
	if (seal_load_public(cfg->key_file, &k, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond seal: %s; nothing changed\n", err);
		return CLI_FAILED;
	}
	if (store_is_shared(cfg->db) ? store_pg_schema(cfg->db) <= 0
				     : access(cfg->db, F_OK) != 0) {
		fprintf(stderr, "petitiond seal: there is no database at %s (give --db); nothing "
			"changed\n", cfg->db);
		return CLI_FAILED;
	}
	/* The server must be stopped: its writer would keep adding clear rows
	 * (and the lock below would refuse anyway, less clearly). */
	rc = store_in_use(cfg->db, &pid, err, sizeof err);
	if (rc != 0) {
		if (rc > 0)
			fprintf(stderr, "petitiond seal: %s is in use by a running petitiond (%s): "
				"stop the server first (every node), run seal, then start it with "
				"--seal-key %s; nothing changed\n", cfg->db,
				pid ? "its pid below" : "a node is connected to it", cfg->key_file);
		if (rc > 0 && pid)
			fprintf(stderr, "petitiond seal: pid %ld\n", pid);
		else
			fprintf(stderr, "petitiond seal: %s; nothing changed\n", err);
		return CLI_FAILED;
	}
	if (store_open(&st, cfg->db, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond seal: %s; nothing changed\n", err);
		return CLI_FAILED;
	}
	printf("petitiond seal: sealing %s for key %s\n", cfg->db, k.fp);
	fflush(stdout);
	rc = store_seal_convert(st, &k, clock_now_ms() / 1000, tty ? seal_progress : NULL, NULL,
				&tot, err, sizeof err);
	if (tty)
		fputc('\n', stderr);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "petitiond seal: %s\n", err);
		if (tot.batches > 0)
			fprintf(stderr, "petitiond seal: %lld signatures were sealed before it stopped; "
				"run the same command again to finish (it resumes)\n",
				(long long)tot.sealed);
		return CLI_FAILED;
	}
	printf("petitiond seal: %lld signatures: %lld sealed now, %lld were sealed already; "
	       "%lld email addresses replaced by their keyed hash%s\n",
	       (long long)tot.total, (long long)tot.sealed, (long long)tot.already,
	       (long long)tot.hashed, tot.created ? " (a new hash key was made)" : "");
	printf("petitiond seal: the search index of names was emptied; the file was vacuumed and "
	       "its WAL truncated: no clear name, email or comment is left in it\n");
	if (tot.outbox > 0)
		printf("petitiond seal: %lld messages wait in the outbox: each keeps its address "
		       "until it is sent, then it is wiped\n", (long long)tot.outbox);
	printf("petitiond seal: done (audit line 'seal'). Start the server with --seal-key %s; "
	       "key fingerprint %s\n", cfg->key_file, k.fp);
	return CLI_DONE;
}
