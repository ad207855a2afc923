/* cli_import.c -- `petitiond import FILE.csv`: reads the file (import.c),
 * prints per line what would become of each row, and adds the new rows in
 * one transaction (store_import_file) -- only when every row is valid, or
 * with --add-valid. A dry run does the same work in a transaction that is
 * rolled back, so what it prints is what a real run would do (unless
 * someone signs with the same email in between). */
#include "cli_import.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "cli.h"
#include "clock.h"
#include "import.h"
#include "seal.h"
#include "store.h"

#define CLI_IMPORT_ERR_BYTES 8192

/* Reads the whole file (at most IMPORT_MAX_BYTES). 0, or -1 with err. */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *p;
	size_t n;

	*out = NULL;
	*len = 0;
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		fclose(f);
		return -1;
	}
	if ((unsigned long long)sb.st_size > IMPORT_MAX_BYTES) {
		snprintf(err, errlen, "%s is larger than %u MiB: split it", path,
			 IMPORT_MAX_BYTES / (1024u * 1024u));
		fclose(f);
		return -1;
	}
	p = malloc((size_t)sb.st_size + 1);
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		fclose(f);
		return -1;
	}
	n = fread(p, 1, (size_t)sb.st_size + 1, f);
	if (ferror(f) || n > (size_t)sb.st_size) {
		snprintf(err, errlen, "reading %s failed (or it grew while read)", path);
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	*out = p;
	*len = n;
	return 0;
}

/* When the database at cfg->db is sealed: seals the n rows with
 * --seal-key (refused: none given, a key other than the database's).
 * 0 (nothing to do, or sealed) or -1 (said why on stderr). */
static int seal_rows(const struct config *cfg, struct store_sig *sigs, size_t n,
		     struct app_sealed *out)
{
	struct store *st = NULL;
	struct seal_public pub;
	unsigned char hk[SEAL_HASH_KEY_BYTES];
	char fp[SEAL_FP_MAX], err[CLI_IMPORT_ERR_BYTES];
	int state;

	if (store_open_shared(&st, cfg->db, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond import: %s; nothing written\n", err);
		return -1;
	}
	state = store_seal_state(st, fp, hk);
	store_close(st);
	if (state == 0)
		return 0;
	if (state < 0) {
		fprintf(stderr, "petitiond import: the database's seal settings are damaged; "
			"nothing written\n");
		return -1;
	}
	if (cfg->seal_key == NULL) {
		fprintf(stderr, "petitiond import: the database is sealed (key %s): give --seal-key "
			"FILE.public to seal the rows; nothing written\n", fp);
		return -1;
	}
	if (seal_init() != 0 || seal_load_public(cfg->seal_key, &pub, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond import: --seal-key: %s; nothing written\n", err);
		return -1;
	}
	if (strcmp(pub.fp, fp) != 0) {
		fprintf(stderr, "petitiond import: --seal-key is %s, the database is sealed for %s; "
			"nothing written\n", pub.fp, fp);
		return -1;
	}
	if (app_seal_sigs(&pub, hk, sigs, n, out) != 0) {
		fprintf(stderr, "petitiond import: out of memory; nothing written\n");
		return -1;
	}
	return 0;
}

int cli_import(const struct config *cfg)
{
	const char *source = cfg->source ? cfg->source : "paper";
	struct import_set set;
	struct store_import_totals tot;
	struct store_sig *sigs = NULL;
	unsigned char *added = NULL;
	size_t *idx = NULL, nvalid = 0, i, k;
	char *data = NULL, err[CLI_IMPORT_ERR_BYTES], who[80];
	const struct passwd *pw;
	int64_t now = clock_now_ms() / 1000;
	int commit, rc, status = CLI_FAILED;
	struct app_sealed sealed = { 0 };

	if (strcmp(source, "paper") != 0 && strcmp(source, "event") != 0) {
		fprintf(stderr, "petitiond import: --source: expected paper or event\n");
		return CLI_USAGE;
	}
	if (read_file(cfg->command_file, &data, &i, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond import: %s; nothing written\n", err);
		return CLI_FAILED;
	}
	rc = import_parse(data, i, 1, now, &set, err, sizeof err);
	free(data);
	if (rc != 0) {
		fprintf(stderr, "petitiond import: %s: %s; nothing written\n", cfg->command_file,
			rc == -2 ? "out of memory" : err);
		import_set_free(&set);
		return CLI_FAILED;
	}
	sigs = calloc(set.n ? set.n : 1, sizeof *sigs);
	added = calloc(set.n ? set.n : 1, 1);
	idx = calloc(set.n ? set.n : 1, sizeof *idx);
	if (sigs == NULL || added == NULL || idx == NULL) {
		fprintf(stderr, "petitiond import: out of memory; nothing written\n");
		goto out;
	}
	for (i = 0; i < set.n; i++) {
		const struct import_row *r = &set.rows[i];

		if (r->result != IMPORT_VALID)
			continue;
		sigs[nvalid] = (struct store_sig){
			.signed_at = r->signed_at,
			.name = r->sig.name,
			.email = r->sig.email,
			.email_norm = r->sig.email_norm,
			.country = r->sig.country,
			.comment = r->sig.comment,
			.public_name = r->sig.public_name,
			.is_public = r->sig.is_public,
			.updates = r->sig.updates,
			.source = source,
		};
		idx[nvalid++] = i;
	}
	/* sealed area: a sealed database takes the rows sealed, with --seal-key
	 * (the public key: the same as the server's) and its hash key. */
	if (nvalid > 0 && seal_rows(cfg, sigs, nvalid, &sealed) != 0)
		goto out;
	commit = !cfg->dry_run && (set.ninvalid == 0 || cfg->add_valid) && nvalid > 0;
	pw = getpwuid(geteuid());
	snprintf(who, sizeof who, "cli:%s", pw ? pw->pw_name : "?");
	if (nvalid > 0 &&
	    store_import_file(cfg->db, sigs, nvalid, source, commit, who, now, added, &tot, err,
			      sizeof err) != 0) {
		fprintf(stderr, "petitiond import: %s; nothing written\n", err);
		goto out;
	}
	if (nvalid == 0)
		memset(&tot, 0, sizeof tot);
	for (i = 0; i < nvalid; i++)
		set.rows[idx[i]].result = added[i] ? IMPORT_ADDED : IMPORT_DUPLICATE;
	for (k = 0; k < set.n; k++) {
		const struct import_row *r = &set.rows[k];

		if (r->result == IMPORT_INVALID)
			printf("line %zu: invalid: %s\n", r->line, r->why);
		else if (r->result == IMPORT_DUPLICATE)
			printf("line %zu: duplicate: this email signed already (counted once)\n",
			       r->line);
		else
			printf("line %zu: %s%s\n", r->line, commit ? "added" : "would be added",
			       r->sig.email_norm == NULL ? " (no email)" : "");
	}
	printf("petitiond import: %s: %zu rows, source %s: %lld %s, %lld duplicates, %zu "
	       "invalid; %lld without an email\n",
	       cfg->command_file, set.n, source, (long long)tot.added,
	       commit ? "added" : "would be added", (long long)tot.duplicates, set.ninvalid,
	       (long long)tot.no_email);
	if (commit) {
		printf("petitiond import: done, in one transaction (audit line 'import' as %s)\n",
		       who);
		status = CLI_DONE;
	} else if (cfg->dry_run) {
		printf("petitiond import: --dry-run: nothing written\n");
		status = set.ninvalid == 0 ? CLI_DONE : CLI_FAILED;
	} else if (set.n == 0 || nvalid == 0) {
		fprintf(stderr, "petitiond import: no valid row: nothing written\n");
	} else {
		fprintf(stderr, "petitiond import: %zu invalid rows: nothing written. Fix them, or "
			"add the valid rows only with --add-valid\n", set.ninvalid);
	}
out:
	app_sealed_free(&sealed);
	free(sigs);
	free(added);
	free(idx);
	import_set_free(&set);
	return status;
}
