/* csv.c -- RFC 4180 CSV cells that spreadsheets open safely. */
#include "csv.h"

#include <string.h>

/* Whether a spreadsheet could take a cell starting with c for a formula. */
static int csv_needs_guard(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	switch (s[0]) {
	case '=':
	case '+':
	case '-':
	case '@':
	case '\t':
	case '\r':
		return 1;
	default:
		return 0;
	}
}

/* Whether the (guarded) cell must be written between double quotes. */
static int csv_needs_quotes(const char *s, size_t n, int guarded)
{
	size_t i;

	if (n == 0)
		return 0;
	if (!guarded && s[0] == ' ')
		return 1;
	if (s[n - 1] == ' ')
		return 1;
	for (i = 0; i < n; i++) {
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return 1;
	}
	return 0;
}

/*
 * Appends one cell to out: "," first unless first is non-zero, then the
 * value, with a leading ' when it starts with = + - @ TAB or CR, quoted with
 * inner quotes doubled when it needs it. Bytes are otherwise copied as they
 * are, so UTF-8 text stays byte-exact. Returns 0, or -1 when out ran out of
 * memory.
 */
int csv_cell(struct buf *out, const char *s, size_t n, int first)
{
	int guard = csv_needs_guard(s, n);
	int quote = csv_needs_quotes(s, n, guard);
	size_t i, run = 0;

	if (!first)
		buf_putc(out, ',');
	if (quote)
		buf_putc(out, '"');
	if (guard)
		buf_putc(out, '\'');
	if (quote) {
		for (i = 0; i < n; i++) {
			if (s[i] != '"')
				continue;
			/* Copy up to and including the quote, then double it. */
			buf_append(out, s + run, i + 1 - run);
			buf_putc(out, '"');
			run = i + 1;
		}
	}
	if (n > run)
		buf_append(out, s + run, n - run);
	if (quote)
		buf_putc(out, '"');
	return out->oom ? -1 : 0;
}

/* Appends an integer cell; digits and '-' need neither quotes nor guard. */
int csv_cell_int(struct buf *out, long long v, int first)
{
	if (!first)
		buf_putc(out, ',');
	buf_printf(out, "%lld", v);
	return out->oom ? -1 : 0;
}
