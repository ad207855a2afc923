/* import.c -- reading a CSV file of paper or event signatures (see
 * import.h). Pure: no I/O. */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns a file may name. */
enum import_col {
	COL_NAME,
	COL_EMAIL,
	COL_COUNTRY,
	COL_COMMENT,
	COL_PUBLIC,
	COL_UPDATES,
	COL_PUBLIC_NAME,
	COL_SIGNED_AT,
	COL_IGNORED, /* the export's id and source */
	NCOLS
};

static const struct {
	const char *name;
	enum import_col col;
} col_names[] = {
	{"name", COL_NAME},       {"email", COL_EMAIL},
	{"country", COL_COUNTRY}, {"comment", COL_COMMENT},
	{"public", COL_PUBLIC},   {"updates", COL_UPDATES},
	{"public_name", COL_PUBLIC_NAME}, {"signed_at", COL_SIGNED_AT},
	{"id", COL_IGNORED},      {"source", COL_IGNORED},
};

/* The form's key for a column (NULL: not a form field). */
static const char *col_key(enum import_col c)
{
	switch (c) {
	case COL_NAME: return form_field_name(FORM_NAME);
	case COL_EMAIL: return form_field_name(FORM_EMAIL);
	case COL_COUNTRY: return form_field_name(FORM_COUNTRY);
	case COL_COMMENT: return form_field_name(FORM_COMMENT);
	case COL_PUBLIC: return form_field_name(FORM_PUBLIC);
	case COL_UPDATES: return form_field_name(FORM_UPDATES);
	case COL_PUBLIC_NAME: return form_field_name(FORM_PUBLIC_NAME);
	default: return NULL;
	}
}

const char *import_result_name(enum import_result r)
{
	switch (r) {
	case IMPORT_ADDED: return "added";
	case IMPORT_DUPLICATE: return "duplicate";
	case IMPORT_VALID: return "valid";
	default: return "invalid";
	}
}

/* One parsed record: its cells, malloc'd, NUL-terminated. */
struct rec {
	char *cell[IMPORT_MAX_COLUMNS + 1];
	size_t len[IMPORT_MAX_COLUMNS + 1];
	size_t n;        /* cells kept */
	size_t ncells;   /* cells seen (may exceed what is kept) */
	size_t line;     /* where it starts */
	int blank;       /* only empty cells: a blank line */
};

static void rec_free(struct rec *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->cell[i]);
	r->n = 0;
}

/* A growable byte string for one cell. */
struct cellbuf {
	char *p;
	size_t n, cap;
};

static int cb_put(struct cellbuf *b, char c)
{
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *p = realloc(b->p, cap);

		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n++] = c;
	return 0;
}

/* Reads one record from s[*pos..len), counting lines in *line. Returns 1
 * with r filled, 0 at the end, -1 out of memory, -2 a stray quote. */
static int read_rec(const char *s, size_t len, size_t *pos, size_t *line, char sep,
		    struct rec *r)
{
	struct cellbuf b = {NULL, 0, 0};
	size_t i = *pos;
	int quoted = 0, in_quotes = 0, any_quote = 0, rc = 1;

	if (i >= len)
		return 0;
	memset(r, 0, sizeof *r);
	r->line = *line;
	for (;;) {
		int end_cell = 0, end_rec = 0;

		if (in_quotes) {
			if (i >= len)
				goto stray; /* an unterminated quote */
			if (s[i] == '"') {
				if (i + 1 < len && s[i + 1] == '"') {
					if (cb_put(&b, '"') != 0)
						goto nomem;
					i += 2;
					continue;
				}
				in_quotes = 0;
				i++;
				continue;
			}
			if (s[i] == '\n')
				(*line)++;
			if (cb_put(&b, s[i]) != 0)
				goto nomem;
			i++;
			continue;
		}
		if (i >= len) {
			end_rec = 1;
		} else if (s[i] == sep) {
			end_cell = 1;
			i++;
		} else if (s[i] == '\n') {
			end_rec = 1;
			i++;
			(*line)++;
		} else if (s[i] == '\r' && (i + 1 >= len || s[i + 1] == '\n')) {
			i++;
			continue;
		} else if (s[i] == '"' && b.n == 0 && !quoted) {
			quoted = in_quotes = any_quote = 1;
			i++;
			continue;
		} else if (s[i] == '"' && quoted) {
			goto stray; /* text after a closing quote */
		} else {
			if (quoted)
				goto stray;
			if (cb_put(&b, s[i]) != 0)
				goto nomem;
			i++;
			continue;
		}
		if (end_cell || end_rec) {
			if (r->ncells < IMPORT_MAX_COLUMNS + 1) {
				char *c = malloc(b.n + 1);

				if (c == NULL)
					goto nomem;
				if (b.n)
					memcpy(c, b.p, b.n);
				c[b.n] = '\0';
				r->cell[r->n] = c;
				r->len[r->n] = b.n;
				r->n++;
			}
			r->ncells++;
			b.n = 0;
			quoted = 0;
			if (end_rec)
				break;
		}
	}
	/* A blank line, or one of empty cells only (",,,,": spreadsheets add
	 * them below the data). */
	r->blank = !any_quote;
	for (size_t k = 0; k < r->n && r->blank; k++)
		r->blank = r->len[k] == 0;
	*pos = i;
	free(b.p);
	return rc;
nomem:
	free(b.p);
	rec_free(r);
	return -1;
stray:
	free(b.p);
	rec_free(r);
	return -2;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Parses a signed_at cell. 0 and *t, or -1. */
static int parse_when(const char *s, size_t n, int64_t *t)
{
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, se = 0;

	if (n != 10 && n != 19 && n != 20)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -1;
	if (n >= 19) {
		if ((s[10] != 'T' && s[10] != ' ') || digits(s + 11, 2, &h) || s[13] != ':' ||
		    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
			return -1;
		if (n == 20 && s[19] != 'Z')
			return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

/* Trims ASCII spaces and tabs around a header cell, lower-cases it. */
static void header_norm(const char *s, size_t n, char *out, size_t outlen)
{
	size_t k = 0;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (; n > 0 && k + 1 < outlen; n--, s++)
		out[k++] = (char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
	out[k] = '\0';
}

static const char *why_error(enum form_error e)
{
	switch (e) {
	case FORM_ERR_REQUIRED: return "required, missing";
	case FORM_ERR_TOO_LONG: return "too long";
	case FORM_ERR_ENCODING: return "not valid UTF-8";
	case FORM_ERR_CONTROL: return "a control character";
	case FORM_ERR_INVALID: return "not a valid value";
	case FORM_ERR_REPEATED: return "given twice";
	case FORM_ERR_CHAR: return "an invisible character";
	default: return "refused";
	}
}

/* Checks one record against the header's columns into row. 0, or -1 out of
 * memory. */
static int check_row(const struct rec *r, const enum import_col *cols, size_t ncols,
		     int allow_no_email, int64_t now, struct import_row *row)
{
	struct form_kv kv[IMPORT_MAX_COLUMNS];
	struct form_kvs kvs = {kv, 0, 0};
	size_t i, email_len = 0;
	int has_email_col = 0, f, rc;

	row->line = r->line;
	row->result = IMPORT_INVALID;
	row->signed_at = now;
	if (r->ncells != ncols) {
		snprintf(row->why, sizeof row->why, "%zu cells where the header has %zu",
			 r->ncells, ncols);
		return 0;
	}
	for (i = 0; i < ncols; i++) {
		const char *v = r->cell[i];
		size_t n = r->len[i];
		const char *key = col_key(cols[i]);

		if (cols[i] == COL_SIGNED_AT) {
			size_t a = 0, b = n;

			while (a < b && (v[a] == ' ' || v[a] == '\t'))
				a++;
			while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
				b--;
			if (b == a)
				continue;
			if (parse_when(v + a, b - a, &row->signed_at) != 0) {
				snprintf(row->why, sizeof row->why,
					 "signed_at: not a date (YYYY-MM-DD or "
					 "YYYY-MM-DDTHH:MM:SSZ, UTC)");
				return 0;
			}
			if (row->signed_at < 946684800 || row->signed_at > now + 86400) {
				snprintf(row->why, sizeof row->why,
					 "signed_at: before 2000 or in the future");
				return 0;
			}
			continue;
		}
		if (key == NULL)
			continue;
		/* The export's formula guard: "'=x" was "=x". */
		if (n >= 2 && v[0] == '\'' &&
		    (v[1] == '=' || v[1] == '+' || v[1] == '-' || v[1] == '@')) {
			v++;
			n--;
		}
		if (cols[i] == COL_EMAIL) {
			size_t a = 0;

			has_email_col = 1;
			while (a < n && (v[a] == ' ' || v[a] == '\t'))
				a++;
			email_len = n - a;
		}
		kv[kvs.n].key = (char *)key;
		kv[kvs.n].val = (char *)v;
		kv[kvs.n].vlen = n;
		kvs.n++;
	}
	rc = form_validate(&kvs, &row->sig);
	if (rc < 0)
		return -1;
	/* A paper signer may have no email: the only error allowed. */
	if (allow_no_email && (!has_email_col || email_len == 0) &&
	    row->sig.err[FORM_EMAIL] == FORM_ERR_REQUIRED) {
		row->sig.err[FORM_EMAIL] = FORM_OK;
		row->sig.nerrors--;
		free(row->sig.email);
		free(row->sig.email_norm);
		row->sig.email = row->sig.email_norm = NULL;
	}
	if (row->sig.nerrors == 0) {
		row->result = IMPORT_VALID;
		return 0;
	}
	for (f = 0; f < FORM_NFIELDS; f++) {
		if (row->sig.err[f] == FORM_OK)
			continue;
		if (row->sig.bad_pos[f] > 0)
			snprintf(row->why, sizeof row->why, "%s: %s U+%04X at position %zu",
				 form_field_name((enum form_field)f), why_error(row->sig.err[f]),
				 (unsigned)row->sig.bad_cp[f], row->sig.bad_pos[f]);
		else
			snprintf(row->why, sizeof row->why, "%s: %s",
				 form_field_name((enum form_field)f), why_error(row->sig.err[f]));
		break;
	}
	return 0;
}

int import_parse(const char *data, size_t len, int allow_no_email, int64_t now,
		 struct import_set *out, char *err, size_t errlen)
{
	enum import_col cols[IMPORT_MAX_COLUMNS];
	int seen[NCOLS] = {0};
	struct rec r;
	size_t pos = 0, line = 1, cap = 0, i, k, ncols;
	int rc;

	memset(out, 0, sizeof *out);
	err[0] = '\0';
	if (len > IMPORT_MAX_BYTES) {
		snprintf(err, errlen, "the file is larger than %u MiB",
			 IMPORT_MAX_BYTES / (1024u * 1024u));
		return -1;
	}
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		pos = 3;
		out->had_bom = 1;
	}
	if (!utf8_valid(data + pos, len - pos)) {
		snprintf(err, errlen, "the file is not UTF-8 text (save it as \"CSV UTF-8\")");
		return -1;
	}
	/* The separator: whichever of ',' and ';' the header holds more of. */
	{
		size_t ncomma = 0, nsemi = 0, j;
		int q = 0;

		for (j = pos; j < len && (q || data[j] != '\n'); j++) {
			if (data[j] == '"')
				q = !q;
			else if (!q && data[j] == ',')
				ncomma++;
			else if (!q && data[j] == ';')
				nsemi++;
		}
		out->sep = nsemi > ncomma ? ';' : ',';
	}
	/* The header (blank lines before it skipped). */
	do {
		rc = read_rec(data, len, &pos, &line, out->sep, &r);
		if (rc == 1 && r.blank)
			rec_free(&r);
		else
			break;
	} while (1);
	if (rc == 0) {
		snprintf(err, errlen, "the file is empty: the first line must name the columns "
			 "(name,email,country,comment,public,updates)");
		return -1;
	}
	if (rc == -1)
		return -2;
	if (rc == -2) {
		snprintf(err, errlen, "line %zu: a quote (\") is not closed or is followed by text",
			 line);
		return -1;
	}
	if (r.ncells > IMPORT_MAX_COLUMNS) {
		snprintf(err, errlen, "the header has more than %d columns", IMPORT_MAX_COLUMNS);
		rec_free(&r);
		return -1;
	}
	ncols = r.n;
	for (i = 0; i < ncols; i++) {
		char h[32];

		header_norm(r.cell[i], r.len[i], h, sizeof h);
		for (k = 0; k < sizeof col_names / sizeof col_names[0]; k++)
			if (strcmp(h, col_names[k].name) == 0)
				break;
		if (k == sizeof col_names / sizeof col_names[0]) {
			snprintf(err, errlen,
				 "line %zu: unknown column \"%.40s\" (the columns are name, email, "
				 "country, comment, public, updates, public_name, signed_at)",
				 r.line, h);
			rec_free(&r);
			return -1;
		}
		cols[i] = col_names[k].col;
		if (cols[i] != COL_IGNORED && seen[cols[i]]++) {
			snprintf(err, errlen, "line %zu: the column \"%s\" is named twice", r.line, h);
			rec_free(&r);
			return -1;
		}
	}
	rec_free(&r);
	if (!seen[COL_NAME] || !seen[COL_COUNTRY]) {
		snprintf(err, errlen, "line 1 must name the columns: name and country at least "
			 "(name,email,country,comment,public,updates)");
		return -1;
	}
	if (!seen[COL_EMAIL] && !allow_no_email) {
		snprintf(err, errlen, "the file has no email column");
		return -1;
	}
	/* The rows. */
	for (;;) {
		struct import_row *row;

		rc = read_rec(data, len, &pos, &line, out->sep, &r);
		if (rc == 0)
			break;
		if (rc == -1)
			return -2;
		if (rc == -2) {
			snprintf(err, errlen,
				 "line %zu: a quote (\") is not closed or is followed by text", line);
			return -1;
		}
		if (r.blank) {
			rec_free(&r);
			continue;
		}
		if (out->n == IMPORT_MAX_ROWS) {
			rec_free(&r);
			snprintf(err, errlen, "more than %d rows: split the file", IMPORT_MAX_ROWS);
			return -1;
		}
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct import_row *p = realloc(out->rows, ncap * sizeof *p);

			if (p == NULL) {
				rec_free(&r);
				return -2;
			}
			out->rows = p;
			cap = ncap;
		}
		row = &out->rows[out->n];
		memset(row, 0, sizeof *row);
		out->n++;
		rc = check_row(&r, cols, ncols, allow_no_email, now, row);
		rec_free(&r);
		if (rc != 0)
			return -2;
		if (row->result == IMPORT_INVALID)
			out->ninvalid++;
		else if (row->sig.email_norm == NULL)
			out->nno_email++;
	}
	return 0;
}

void import_set_free(struct import_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		form_sig_free(&set->rows[i].sig);
	free(set->rows);
	memset(set, 0, sizeof *set);
}
