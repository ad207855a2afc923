/* cli_content.c -- `petitiond content dump DIR | load DIR [--dry-run]`.
 *
 * dump reads the database without its lock (a server may be running) and
 * writes LANG.md and LANG.json per language, each through a temporary file
 * renamed into place. load reads every language's two files, checks all of
 * them before anything is written, and publishes the languages that
 * changed in one transaction with one audit line ("cli"). Publishing takes
 * the database's lock: the server must be stopped (the pages would not
 * know of the change, and the server's writer is the database's only
 * writer by design); --dry-run only reads and works while it runs. */
#include "cli_content.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "content.h"
#include "form.h"
#include "i18n.h"
#include "store.h"

#define CLI_CONTENT_FILE_MAX_BYTES (256 * 1024) /* a .md or .json file read by load */
#define CLI_CONTENT_ERR_BYTES 1024

/* What the database holds, per language. */
struct published {
	int found[LANG_COUNT];
	int withdrawn[LANG_COUNT];
	int64_t id[LANG_COUNT];
	struct content_text text[LANG_COUNT];
};

static int collect(void *ctx, const struct content_text *text, const struct store_content_meta *m)
{
	struct published *p = ctx;
	enum lang l;

	if (!lang_parse(m->lang, &l))
		return 0; /* a language this petitiond does not know: left alone */
	p->found[l] = 1;
	p->withdrawn[l] = m->withdrawn;
	p->id[l] = m->id;
	return content_text_copy(&p->text[l], text) == 0 ? 0 : -1;
}

static void published_free(struct published *p)
{
	int l;

	for (l = 0; l < LANG_COUNT; l++)
		content_text_free(&p->text[l]);
}

static int read_published(const struct config *cfg, struct published *p, const char *cmd)
{
	char err[CLI_CONTENT_ERR_BYTES];

	memset(p, 0, sizeof *p);
	if (!store_is_shared(cfg->db) && access(cfg->db, F_OK) != 0) {
		fprintf(stderr, "petitiond content %s: there is no database at %s (give --db)\n",
			cmd, cfg->db);
		return -1;
	}
	if (store_content_read_db(cfg->db, collect, p, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond content %s: %s\n", cmd, err);
		published_free(p);
		return -1;
	}
	return 0;
}

static void path_of(char *out, size_t len, const char *dir, enum lang l, const char *ext)
{
	snprintf(out, len, "%s/%s.%s", dir, lang_code(l), ext);
}

/* Writes data (and a line end when eol) to path through path.tmp, synced,
 * renamed. Returns 0 or -1 (errno). */
static int write_file(const char *path, const char *data, size_t len, int eol)
{
	char tmp[4200];
	FILE *f;
	int ok;

	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (f == NULL)
		return -1;
	ok = fwrite(data, 1, len, f) == len && (!eol || fputc('\n', f) != EOF);
	ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static int cmd_dump(const struct config *cfg, const char *dir)
{
	struct published p;
	int l, rc = CLI_DONE;

	if (read_published(cfg, &p, "dump") != 0)
		return CLI_FAILED;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "petitiond content dump: cannot make %s: %s\n", dir, strerror(errno));
		published_free(&p);
		return CLI_FAILED;
	}
	for (l = 0; l < LANG_COUNT && rc == CLI_DONE; l++) {
		struct content_text def;
		const struct content_text *t = &p.text[l];
		char md[4200], js[4200], err[256];
		const char *body;
		char *json;

		memset(&def, 0, sizeof def);
		if (p.found[l] && p.withdrawn[l]) {
			printf("petitiond content dump: %s: the translation is withdrawn (version #%lld): "
			       "no files written; visitors read the English text\n",
			       lang_code((enum lang)l), (long long)p.id[l]);
			continue;
		}
		if (!p.found[l]) {
			/* A database the server has not started on since the texts
			 * were kept: it would publish the built-in text. */
			if (content_default((enum lang)l, &def, err, sizeof err) != 0) {
				fprintf(stderr, "petitiond content dump: %s\n", err);
				rc = CLI_FAILED;
				break;
			}
			t = &def;
		}
		path_of(md, sizeof md, dir, (enum lang)l, "md");
		path_of(js, sizeof js, dir, (enum lang)l, "json");
		/* The body ends with a line end on disk (the database keeps it
		 * without trailing blank space; load trims it again). */
		body = content_get(t, CONTENT_BODY);
		json = content_to_json(t);
		if (json == NULL || write_file(md, body, strlen(body), body[0] != '\0') != 0 ||
		    write_file(js, json, strlen(json), 0) != 0) {
			fprintf(stderr, "petitiond content dump: cannot write %s: %s\n",
				json == NULL ? "the JSON" : md, strerror(errno));
			rc = CLI_FAILED;
		} else if (p.found[l]) {
			printf("petitiond content dump: %s: version #%lld -> %s, %s\n",
			       lang_code((enum lang)l), (long long)p.id[l], md, js);
		} else {
			printf("petitiond content dump: %s: the built-in text (the database has none "
			       "yet) -> %s, %s\n", lang_code((enum lang)l), md, js);
		}
		free(json);
		content_text_free(&def);
	}
	published_free(&p);
	return rc;
}

/* Reads a whole file of at most CLI_CONTENT_FILE_MAX_BYTES. Returns a
 * malloc'd NUL-terminated copy (*len set), or NULL (errno; EFBIG: too big). */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	size_t n;

	if (f == NULL)
		return NULL;
	data = malloc(CLI_CONTENT_FILE_MAX_BYTES + 1);
	if (data == NULL) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	n = fread(data, 1, CLI_CONTENT_FILE_MAX_BYTES + 1, f);
	if (ferror(f) || n > CLI_CONTENT_FILE_MAX_BYTES) {
		int e = ferror(f) ? EIO : EFBIG;

		fclose(f);
		free(data);
		errno = e;
		return NULL;
	}
	fclose(f);
	data[n] = '\0';
	*len = n;
	return data;
}

static const char *error_text(enum content_error e, char *buf, size_t len, int f,
			      const struct content_text *t)
{
	const char *s = content_get(t, (enum content_field)f);
	size_t size = content_fields[f].max_bytes ? strlen(s) : utf8_graphemes(s, strlen(s));

	switch (e) {
	case CONTENT_ERR_REQUIRED:
		return "required, but empty";
	case CONTENT_ERR_TOO_LONG:
		snprintf(buf, len, "too long: %zu %s, at most %zu", size,
			 content_fields[f].max_bytes ? "bytes" : "characters", content_fields[f].max);
		return buf;
	case CONTENT_ERR_ENCODING:
		return "not valid UTF-8";
	case CONTENT_ERR_CONTROL:
		return "a control character (a line break in a one-line field?)";
	case CONTENT_ERR_EMAIL:
		return "not an email address";
	case CONTENT_OK:
		break;
	}
	return "";
}

/* The fields of a that differ from b, named ("title, body"), into out. */
static void changed_fields(char *out, size_t len, unsigned mask)
{
	size_t used = 0;
	int f;

	out[0] = '\0';
	for (f = 0; f < CONTENT_NFIELDS && used < len; f++) {
		int k;

		if (!(mask & (1u << f)))
			continue;
		k = snprintf(out + used, len - used, "%s%s", used ? ", " : "", content_fields[f].name);
		if (k > 0)
			used += (size_t)k;
	}
}

static int cmd_load(const struct config *cfg, const char *dir)
{
	struct published p;
	struct content_text text[LANG_COUNT];
	struct store_content_pub pub[LANG_COUNT];
	int have[LANG_COUNT];
	size_t npub = 0;
	int l, nfiles = 0, bad = 0, rc = CLI_FAILED;

	memset(text, 0, sizeof text);
	memset(have, 0, sizeof have);
	/* Every file read and checked before anything is written. */
	for (l = 0; l < LANG_COUNT; l++) {
		char md[4200], js[4200], err[512];
		int has_md, has_js;
		char *mdata = NULL, *jdata = NULL;
		size_t mlen = 0, jlen = 0;
		enum content_error e[CONTENT_NFIELDS];
		int f, too_long, n;

		path_of(md, sizeof md, dir, (enum lang)l, "md");
		path_of(js, sizeof js, dir, (enum lang)l, "json");
		has_md = access(md, F_OK) == 0;
		has_js = access(js, F_OK) == 0;
		if (!has_md && !has_js)
			continue;
		nfiles++;
		if (!has_md || !has_js) {
			fprintf(stderr, "petitiond content load: %s is there but %s is not: a language "
				"needs both\n", has_md ? md : js, has_md ? js : md);
			bad = 1;
			continue;
		}
		mdata = read_file(md, &mlen);
		jdata = mdata ? read_file(js, &jlen) : NULL;
		if (mdata == NULL || jdata == NULL) {
			fprintf(stderr, "petitiond content load: cannot read %s: %s\n",
				mdata ? js : md, errno == EFBIG ? "larger than 256 KiB" : strerror(errno));
			free(mdata);
			free(jdata);
			bad = 1;
			continue;
		}
		n = content_from_files(jdata, jlen, mdata, mlen, &text[l], err, sizeof err);
		free(mdata);
		free(jdata);
		if (n != 0) {
			fprintf(stderr, "petitiond content load: %s: %s\n", js, err);
			bad = 1;
			continue;
		}
		n = content_clean(&text[l], e, &too_long);
		if (n < 0) {
			fprintf(stderr, "petitiond content load: out of memory\n");
			goto out;
		}
		for (f = 0; f < CONTENT_NFIELDS; f++) {
			char why[96];

			if (e[f] == CONTENT_OK)
				continue;
			fprintf(stderr, "petitiond content load: %s: %s: %s\n",
				f == CONTENT_BODY ? md : js, content_fields[f].name,
				error_text(e[f], why, sizeof why, f, &text[l]));
		}
		if (n > 0)
			bad = 1;
		else
			have[l] = 1;
	}
	if (nfiles == 0) {
		fprintf(stderr, "petitiond content load: no texts in %s: expected LANG.md and "
			"LANG.json (en, km), as `petitiond content dump` writes them\n", dir);
		rc = CLI_FAILED;
		goto out;
	}
	if (bad) {
		fprintf(stderr, "petitiond content load: nothing published: correct the files "
			"above and run it again\n");
		goto out;
	}
	if (read_published(cfg, &p, "load") != 0)
		goto out;
	for (l = 0; l < LANG_COUNT; l++) {
		char names[256];
		unsigned diff;

		if (!have[l])
			continue;
		if (p.found[l] && !p.withdrawn[l]) {
			diff = content_text_diff(&p.text[l], &text[l]);
			if (diff == 0) {
				printf("petitiond content load: %s: unchanged (version #%lld is the same "
				       "text)\n", lang_code((enum lang)l), (long long)p.id[l]);
				continue;
			}
			changed_fields(names, sizeof names, diff);
			printf("petitiond content load: %s: %s %s (version #%lld on the page)\n",
			       lang_code((enum lang)l), cfg->dry_run ? "would change" : "changes",
			       names, (long long)p.id[l]);
		} else {
			printf("petitiond content load: %s: %s a text (%s)\n", lang_code((enum lang)l),
			       cfg->dry_run ? "would publish" : "publishes",
			       p.found[l] ? "the translation is withdrawn now" : "none in the database");
		}
		memset(&pub[npub], 0, sizeof pub[npub]);
		pub[npub].lang = lang_code((enum lang)l);
		pub[npub].text = &text[l];
		pub[npub].note = "content load";
		npub++;
	}
	published_free(&p);
	if (npub == 0) {
		printf("petitiond content load: nothing to publish\n");
		rc = CLI_DONE;
		goto out;
	}
	if (cfg->dry_run) {
		printf("petitiond content load: --dry-run: nothing published\n");
		rc = CLI_DONE;
		goto out;
	}
	{
		struct store *st = NULL;
		char err[CLI_CONTENT_ERR_BYTES];
		size_t i;

		if (store_open(&st, cfg->db, err, sizeof err) != 0) {
			fprintf(stderr, "petitiond content load: nothing published: %s\n"
				"petitiond content load: publishing needs the server stopped; while it "
				"runs, publish from /admin/content (--dry-run works now)\n", err);
			goto out;
		}
		if (store_content_publish(st, pub, npub, clock_now_ms() / 1000, "cli",
					  "content.load", err, sizeof err) != 0) {
			fprintf(stderr, "petitiond content load: nothing published: %s\n", err);
			store_close(st);
			goto out;
		}
		store_close(st);
		for (i = 0; i < npub; i++)
			printf("petitiond content load: %s: published as version #%lld\n", pub[i].lang,
			       (long long)pub[i].id);
		/* PostgreSQL: the nodes are told at COMMIT (sync.c) and show it
		 * at once; a SQLite server owns its file and is stopped here. */
		printf("petitiond content load: done; %s\n",
		       store_is_shared(cfg->db) ? "the running nodes show it within a second"
						 : "the server shows it from its next start");
		rc = CLI_DONE;
	}
out:
	for (l = 0; l < LANG_COUNT; l++)
		content_text_free(&text[l]);
	return rc;
}

int cli_content(const struct config *cfg)
{
	const char *what = cfg->command_file, *dir = cfg->command_arg;

	if (what == NULL || (strcmp(what, "dump") != 0 && strcmp(what, "load") != 0)) {
		fprintf(stderr, "petitiond content: expected dump DIR or load DIR (see petitiond "
			"content --help)\n");
		return CLI_USAGE;
	}
	if (dir == NULL || dir[0] == '\0') {
		fprintf(stderr, "petitiond content %s: missing DIR (petitiond content %s DIR)\n", what,
			what);
		return CLI_USAGE;
	}
	if (cfg->dry_run && strcmp(what, "load") != 0) {
		fprintf(stderr, "petitiond content dump: --dry-run is for load\n");
		return CLI_USAGE;
	}
	return strcmp(what, "dump") == 0 ? cmd_dump(cfg, dir) : cmd_load(cfg, dir);
}
