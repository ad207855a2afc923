/* fuzz_csv.c -- fuzz target for csv.c: RFC 4180 cells with the formula guard.
 *
 * The input is cell text. Three records are written with csv_cell() and
 * csv_cell_int() and read back by a small strict RFC 4180 parser written
 * here: the whole input as one cell; the input split at NUL bytes into
 * several cells, then an integer cell; an integer cell, then the whole input.
 * Each record must parse (no unquoted ',', CR, LF or '"' inside a field),
 * give back exactly the cells written (text with a leading '\'' when it
 * starts with = + - @ TAB or CR, also after invisible characters, or with a
 * full-width or small = + - @; integers as "%lld"), be quoted exactly when
 * csv.h says so, and never start a text field with a formula character.
 * The guard's reference here is written independently of csv.c's table:
 * "invisible" is computed from utf8proc's Unicode data (controls,
 * White_Space, Cf, default-ignorable) plus the unassigned default-ignorable
 * ranges. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "csv.h"
#include "fuzz.h"

/* One field read back: its bytes (in the parser's buffer) and whether it
 * was quoted. */
struct field {
	size_t off, len;
	int quoted;
};

/*
 * Parses one record s[0..n) that must end with the single CRLF that
 * terminates it. Field values go to dec; at most max fields to f, their
 * number to *nf. Returns 0, or -1 when the record is not RFC 4180: a '"',
 * CR or LF inside an unquoted field, an unterminated quoted field, anything
 * but ',' or the final CRLF after a field, or more than max fields.
 */
static int csv_parse(const char *s, size_t n, struct buf *dec, struct field *f, size_t max,
		     size_t *nf)
{
	size_t i = 0;

	*nf = 0;
	for (;;) {
		struct field *cur;

		if (*nf == max)
			return -1;
		cur = &f[(*nf)++];
		cur->off = dec->len;
		cur->quoted = i < n && s[i] == '"';
		if (cur->quoted) {
			i++;
			for (;;) {
				if (i >= n)
					return -1;
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						FUZZ_CHECK(buf_putc(dec, '"') == 0);
						i += 2;
						continue;
					}
					i++;
					break;
				}
				FUZZ_CHECK(buf_putc(dec, s[i]) == 0);
				i++;
			}
		} else {
			while (i < n && s[i] != ',' && s[i] != '\r') {
				if (s[i] == '"' || s[i] == '\n')
					return -1;
				FUZZ_CHECK(buf_putc(dec, s[i]) == 0);
				i++;
			}
		}
		cur->len = dec->len - cur->off;
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		if (i + 2 == n && s[i] == '\r' && s[i + 1] == '\n')
			return 0;
		return -1;
	}
}

/* What a spreadsheet may skip or not show in front of a formula. */
static int ref_invisible(utf8proc_int32_t c)
{
	const utf8proc_property_t *p;

	if (c <= 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0x2065 || (c >= 0xFFF0 && c <= 0xFFF8) ||
	    (c >= 0xE0000 && c <= 0xE0FFF))
		return 1;
	p = utf8proc_get_property(c);
	return p->ignorable || p->category == UTF8PROC_CATEGORY_CF ||
	       p->category == UTF8PROC_CATEGORY_ZS || p->category == UTF8PROC_CATEGORY_ZL ||
	       p->category == UTF8PROC_CATEGORY_ZP;
}

/* = + - @, and the forms that NFKC maps to them in the Small Form Variants
 * and Halfwidth and Fullwidth Forms blocks. */
static int ref_formula_char(utf8proc_int32_t c)
{
	utf8proc_uint8_t *dst = NULL;
	utf8proc_uint8_t src[4];
	utf8proc_ssize_t n, r;
	int yes;

	if (c == '=' || c == '+' || c == '-' || c == '@')
		return 1;
	if (c < 0xFE50 || c > 0xFFEF)
		return 0;
	n = utf8proc_encode_char(c, src);
	r = utf8proc_map(src, n, &dst, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
	yes = r == 1 && (dst[0] == '=' || dst[0] == '+' || dst[0] == '-' || dst[0] == '@');
	free(dst);
	return yes;
}

/* The contract's guard: after a leading run of invisible characters (an
 * ill-formed byte ends it), a formula character; or a TAB or CR in that
 * run. */
static int formula_start(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		utf8proc_int32_t c;
		utf8proc_ssize_t used = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
							 (utf8proc_ssize_t)(n - i), &c);

		if (used <= 0)
			return 0;
		if (c == '\t' || c == '\r')
			return 1;
		if (!ref_invisible(c))
			return ref_formula_char(c);
		i += (size_t)used;
	}
	return 0;
}

/* Whether csv.h says the guarded cell g[0..n) is quoted. */
static int needs_quotes(const char *g, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	if (g[0] == ' ' || g[n - 1] == ' ')
		return 1;
	for (i = 0; i < n; i++) {
		if (g[i] == ',' || g[i] == '"' || g[i] == '\r' || g[i] == '\n')
			return 1;
	}
	return 0;
}

/* What a cell should read back as. */
struct expect {
	const char *s; /* text cell, or NULL for an integer cell */
	size_t n;
	long long v;
};

/* Checks one parsed field against what was written. */
static void check_field(const struct buf *dec, const struct field *f, const struct expect *e)
{
	const char *got = dec->data ? dec->data + f->off : "";

	if (e->s == NULL) {
		char num[32];
		int k = snprintf(num, sizeof num, "%lld", e->v);

		FUZZ_CHECK(k > 0 && (size_t)k < sizeof num);
		FUZZ_CHECK(!f->quoted);
		FUZZ_CHECK(f->len == (size_t)k && memcmp(got, num, (size_t)k) == 0);
		return;
	}
	if (formula_start(e->s, e->n)) {
		FUZZ_CHECK(f->len == e->n + 1);
		FUZZ_CHECK(got[0] == '\'');
		FUZZ_CHECK(memcmp(got + 1, e->s, e->n) == 0);
	} else {
		FUZZ_CHECK(f->len == e->n);
		FUZZ_CHECK(e->n == 0 || memcmp(got, e->s, e->n) == 0);
	}
	/* What a spreadsheet sees can never be taken for a formula. */
	FUZZ_CHECK(!formula_start(got, f->len));
	FUZZ_CHECK(f->quoted == needs_quotes(got, f->len));
}

/* Writes the cells e[0..n) as one record after a prefix, then reads it back. */
static void check_record(const struct expect *e, size_t n)
{
	static const char prefix[] = "id,\"name\"\r\n";
	const size_t plen = sizeof prefix - 1;
	struct buf out = BUF_INIT, dec = BUF_INIT;
	struct field *f;
	size_t i, nf;

	f = malloc((n + 1) * sizeof *f);
	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(buf_append(&out, prefix, plen) == 0);
	for (i = 0; i < n; i++) {
		if (e[i].s)
			FUZZ_CHECK(csv_cell(&out, e[i].s, e[i].n, i == 0) == 0);
		else
			FUZZ_CHECK(csv_cell_int(&out, e[i].v, i == 0) == 0);
	}
	FUZZ_CHECK(buf_puts(&out, CSV_EOL) == 0);
	/* Appending never touches what the buffer held. */
	FUZZ_CHECK(memcmp(out.data, prefix, plen) == 0);
	FUZZ_CHECK(csv_parse(out.data + plen, out.len - plen, &dec, f, n, &nf) == 0);
	FUZZ_CHECK(nf == n);
	for (i = 0; i < n; i++)
		check_field(&dec, &f[i], &e[i]);
	buf_free(&dec);
	buf_free(&out);
	free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct expect *cells, whole[2];
	size_t i, seg = 0, n = 0;
	char *input;
	long long v;

	input = malloc(size ? size : 1);
	FUZZ_CHECK(input != NULL);
	if (size)
		memcpy(input, data, size);

	/* An integer from the input's first bytes (any bit pattern is a valid
	 * long long, LLONG_MIN included). */
	v = 0;
	if (size)
		memcpy(&v, input, size < sizeof v ? size : sizeof v);

	/* The whole input as one cell. */
	whole[0] = (struct expect){input, size, 0};
	check_record(whole, 1);

	/* An integer first, then the whole input. */
	whole[0] = (struct expect){NULL, 0, v};
	whole[1] = (struct expect){input, size, 0};
	check_record(whole, 2);

	/* The input split at NUL bytes, then an integer. */
	cells = malloc((size + 2) * sizeof *cells);
	FUZZ_CHECK(cells != NULL);
	for (i = 0; i <= size; i++) {
		if (i < size && input[i] != '\0')
			continue;
		cells[n++] = (struct expect){input + seg, i - seg, 0};
		seg = i + 1;
	}
	cells[n++] = (struct expect){NULL, 0, v};
	check_record(cells, n);

	free(cells);
	free(input);
	return 0;
}
