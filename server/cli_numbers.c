/* cli_numbers.c -- `petitiond export`, `petitiond stats`, `petitiond delete
 * --email` (numbers area).
 *
 * export and stats only read the database, on connections of their own (a
 * server may be serving from it); export writes one audit line first, like
 * the download from /admin/export.csv. delete changes the database beside
 * the server through the store's one deletion (store_delete_sig) under the
 * busy timeout; the server's writer re-reads the count when idle, so the
 * page follows within about a second. */
#include "cli_numbers.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "export.h"
#include "form.h"
#include "seal.h"
#include "store.h"

#define CLI_NUM_ERR_BYTES 1024
#define CLI_EXPORT_FLUSH_BYTES 65536 /* formatted rows written to stdout at a time */

/* "cli:USER": the audit trail's name for the command line. */
static void cli_who(char *out, size_t len)
{
	const struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL)
		snprintf(out, len, "cli:%s", pw->pw_name);
	else
		snprintf(out, len, "cli:uid %u", (unsigned)geteuid());
}

struct audit_ctx {
	const char *who, *action, *detail;
	char err[CLI_NUM_ERR_BYTES];
};

static int audit_line(struct store *st, void *ctx)
{
	struct audit_ctx *c = ctx;

	return store_audit_add(st, clock_now_ms() / 1000, c->who, c->action, c->detail, c->err,
			       sizeof c->err);
}

/* Writes b to stdout. 0 or -1 (errno set). */
static int flush_out(struct buf *b)
{
	if (b->len > 0 && fwrite(b->data, 1, b->len, stdout) != b->len)
		return -1;
	buf_reset(b);
	return 0;
}

int cli_export(const struct config *cfg)
{
	struct store_export_filter f;
	struct store_export *x;
	struct store_export_row row;
	struct store *st = NULL;
	struct buf out = BUF_INIT;
	struct audit_ctx a;
	enum export_format fmt = EXPORT_CSV;
	char err[CLI_NUM_ERR_BYTES], who[80], detail[160];
	const char *keys[] = { "since", "until", "country", "source", "confirmed" };
	const char *vals[] = { cfg->since, cfg->until, cfg->country, cfg->source,
			       cfg->confirmed_filter };
	int64_t n = 0;
	size_t i, used;
	int rc;

	if (cfg->format != NULL && strcmp(cfg->format, "json") == 0)
		fmt = EXPORT_JSON;
	else if (cfg->format != NULL && strcmp(cfg->format, "csv") != 0) {
		fprintf(stderr, "petitiond export: --format: expected csv or json\n");
		return CLI_USAGE;
	}
	memset(&f, 0, sizeof f);
	f.confirmed = -1;
	used = (size_t)snprintf(detail, sizeof detail, "%s (command line)",
				fmt == EXPORT_JSON ? "json" : "csv");
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (vals[i] == NULL)
			continue;
		if (store_export_filter_set(&f, keys[i], vals[i], err, sizeof err) != 0) {
			fprintf(stderr, "petitiond export: --%s\n", err);
			return CLI_USAGE;
		}
		if (used < sizeof detail)
			used += (size_t)snprintf(detail + used, sizeof detail - used, " %s=%s",
						 keys[i], i == 2 ? f.country : vals[i]);
	}
	if (cfg->updates_only) {
		f.updates = 1;
		if (used < sizeof detail)
			snprintf(detail + used, sizeof detail - used, " updates=1");
	}
	if (f.since > 0 && f.until > 0 && f.until <= f.since) {
		fprintf(stderr, "petitiond export: --until is before --since\n");
		return CLI_USAGE;
	}
	/* The audit line first: no export leaves without it (as on the web). */
	if (!store_is_shared(cfg->db) && access(cfg->db, F_OK) != 0) {
		fprintf(stderr, "petitiond export: there is no database at %s (give --db)\n",
			cfg->db);
		return CLI_FAILED;
	}
	cli_who(who, sizeof who);
	memset(&a, 0, sizeof a);
	a.who = who;
	a.action = "export";
	a.detail = detail;
	if (store_open_shared(&st, cfg->db, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond export: nothing exported: %s\n", err);
		return CLI_FAILED;
	}
	rc = store_transaction(st, audit_line, &a, err, sizeof err);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "petitiond export: nothing exported: cannot write the audit line: "
			"%s%s%s\n", err, a.err[0] ? ": " : "", a.err);
		return CLI_FAILED;
	}
	x = store_export_open(NULL, cfg->db, &f, err, sizeof err);
	if (x == NULL) {
		fprintf(stderr, "petitiond export: %s\n", err);
		return CLI_FAILED;
	}
	export_begin(&out, fmt, 1);
	while ((rc = store_export_next(x, &row)) == 1) {
		export_row(&out, fmt, &row, n++);
		if (out.len >= CLI_EXPORT_FLUSH_BYTES && flush_out(&out) != 0)
			break;
	}
	if (rc < 0) {
		fprintf(stderr, "petitiond export: reading the database failed after %lld rows, "
			"the output is incomplete: %s\n", (long long)n, store_export_error(x));
		goto fail;
	}
	if (rc == 1 || (export_end(&out, fmt, n), flush_out(&out)) != 0 || fflush(stdout) != 0 ||
	    out.oom) {
		fprintf(stderr, "petitiond export: writing the output failed after %lld rows: %s\n",
			(long long)n, out.oom ? "out of memory" : strerror(errno));
		goto fail;
	}
	store_export_close(x);
	buf_free(&out);
	fprintf(stderr, "petitiond export: %lld signatures written (%s)\n", (long long)n,
		fmt == EXPORT_JSON ? "JSON" : "CSV");
	return CLI_DONE;
fail:
	store_export_close(x);
	buf_free(&out);
	return CLI_FAILED;
}

struct stats_ctx {
	int json;
	int64_t ncountries, ndays;
	struct buf countries, days; /* printed after the count, read in the same snapshot */
};

static void stats_country(void *ctx, const char *code, int64_t n)
{
	struct stats_ctx *s = ctx;

	if (s->json) {
		buf_puts(&s->countries, s->ncountries ? ", " : "");
		export_json_string(&s->countries, code);
		buf_printf(&s->countries, ": %lld", (long long)n);
	} else {
		buf_printf(&s->countries, "  %-4s %lld\n", code[0] ? code : "--", (long long)n);
	}
	s->ncountries++;
}

static void stats_day(void *ctx, const char *day, int64_t n)
{
	struct stats_ctx *s = ctx;

	if (s->json) {
		buf_puts(&s->days, s->ndays ? ", {\"day\": " : "{\"day\": ");
		export_json_string(&s->days, day);
		buf_printf(&s->days, ", \"count\": %lld}", (long long)n);
	} else {
		buf_printf(&s->days, "  %s %lld\n", day, (long long)n);
	}
	s->ndays++;
}

int cli_stats(const struct config *cfg)
{
	struct stats_ctx s;
	char err[CLI_NUM_ERR_BYTES];
	int64_t count = 0;
	int rc = CLI_DONE;

	if (!store_is_shared(cfg->db) && access(cfg->db, F_OK) != 0) {
		fprintf(stderr, "petitiond stats: there is no database at %s (give --db)\n", cfg->db);
		return CLI_FAILED;
	}
	memset(&s, 0, sizeof s);
	s.json = cfg->json;
	if (store_stats_file(cfg->db, &count, stats_country, stats_day, &s, err, sizeof err) !=
	    0) {
		fprintf(stderr, "petitiond stats: %s\n", err);
		rc = CLI_FAILED;
	} else if (s.countries.oom || s.days.oom) {
		fprintf(stderr, "petitiond stats: out of memory\n");
		rc = CLI_FAILED;
	} else if (s.json) {
		printf("{\"count\": %lld, \"by_country\": {%s}, \"by_day\": [%s]}\n",
		       (long long)count, s.countries.data ? s.countries.data : "",
		       s.days.data ? s.days.data : "");
	} else {
		printf("signatures: %lld\n", (long long)count);
		printf("by country:\n%s", s.countries.data ? s.countries.data : "  none yet\n");
		printf("by day (UTC):\n%s", s.days.data ? s.days.data : "  none yet\n");
	}
	buf_free(&s.countries);
	buf_free(&s.days);
	if (rc == CLI_DONE && fflush(stdout) != 0) {
		fprintf(stderr, "petitiond stats: writing the output failed: %s\n", strerror(errno));
		rc = CLI_FAILED;
	}
	return rc;
}

int cli_delete(const struct config *cfg)
{
	struct store_deletion d;
	struct store *st = NULL;
	char norm[FORM_EMAIL_MAX_BYTES + 1], err[CLI_NUM_ERR_BYTES], who[80];
	char hashed[SEAL_HASH_MAX];
	int rc;

	if (cfg->email == NULL) {
		fprintf(stderr, "petitiond delete: missing --email ADDRESS\n");
		return CLI_USAGE;
	}
	if (form_email_norm(cfg->email, strlen(cfg->email), norm, sizeof norm) <= 0 ||
	    strchr(norm, '@') == NULL) {
		fprintf(stderr, "petitiond delete: --email: not an email address\n");
		return CLI_USAGE;
	}
	if (!store_is_shared(cfg->db) && access(cfg->db, F_OK) != 0) {
		fprintf(stderr, "petitiond delete: there is no database at %s (give --db)\n",
			cfg->db);
		return CLI_FAILED;
	}
	if (store_open_shared(&st, cfg->db, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond delete: nothing deleted: %s\n", err);
		return CLI_FAILED;
	}
	cli_who(who, sizeof who);
	memset(&d, 0, sizeof d);
	d.email_norm = norm;
	/* sealed area: a sealed database finds the address by its keyed hash. */
	{
		char fp[SEAL_FP_MAX];
		unsigned char hk[SEAL_HASH_KEY_BYTES];

		if (store_seal_state(st, fp, hk) == 1 && seal_init() == 0) {
			seal_email_hash(hk, norm, hashed);
			d.email_norm = hashed;
		}
	}
	d.admin = who;
	d.at = clock_now_ms() / 1000;
	rc = store_delete_sig(st, &d, err, sizeof err);
	store_close(st);
	if (rc != 0) {
		fprintf(stderr, "petitiond delete: nothing deleted: %s\n", err);
		return CLI_FAILED;
	}
	if (d.deleted_id == 0) {
		printf("petitiond delete: no signature has that address; nothing deleted "
		       "(%lld %s)\n", (long long)d.count, d.count == 1 ? "signature" : "signatures");
		return CLI_DONE;
	}
	printf("petitiond delete: deleted signature #%lld; %lld signatures now (audit: "
	       "'delete' by %s)\n", (long long)d.deleted_id, (long long)d.count, who);
	return CLI_DONE;
}
