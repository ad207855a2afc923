/* csv.c -- RFC 4180 CSV cells that spreadsheets open safely. */
#include "csv.h"

#include <string.h>

/*
 * Code points a spreadsheet (or a person cleaning the data) may drop or
 * not see in front of a formula, as inclusive ranges in ascending order:
 * every control character, Unicode White_Space, every format character
 * (Cf: bidi controls, ZWSP/ZWNJ/ZWJ, word joiner, BOM, soft hyphen, tags,
 * ...) and every Default_Ignorable_Code_Point (Unicode 15), assigned or
 * not (Hangul fillers, variation selectors, U+2065, U+FFF0..FFF8,
 * U+E0000..E0FFF).
 */
static const struct {
	unsigned long lo, hi;
} csv_invisible[] = {
	{0x0000, 0x0020},   {0x007F, 0x00A0},   {0x00AD, 0x00AD},   {0x034F, 0x034F},
	{0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},   {0x070F, 0x070F},
	{0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x115F, 0x1160},   {0x1680, 0x1680},
	{0x17B4, 0x17B5},   {0x180B, 0x180F},   {0x2000, 0x200F},   {0x2028, 0x202F},
	{0x205F, 0x206F},   {0x3000, 0x3000},   {0x3164, 0x3164},   {0xFE00, 0xFE0F},
	{0xFEFF, 0xFEFF},   {0xFFA0, 0xFFA0},   {0xFFF0, 0xFFFB},   {0x110BD, 0x110BD},
	{0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
	{0xE0000, 0xE0FFF},
};

static int csv_is_invisible(unsigned long cp)
{
	size_t lo = 0, hi = sizeof csv_invisible / sizeof csv_invisible[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < csv_invisible[mid].lo)
			hi = mid;
		else if (cp > csv_invisible[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* The characters that start a formula, with their full-width (U+FF1D,
 * U+FF0B, U+FF0D, U+FF20) and small (U+FE66, U+FE62, U+FE63, U+FE6B)
 * forms, which spreadsheets and input methods may turn into them. */
static int csv_is_formula_char(unsigned long cp)
{
	switch (cp) {
	case '=':
	case '+':
	case '-':
	case '@':
	case 0xFF1D:
	case 0xFF0B:
	case 0xFF0D:
	case 0xFF20:
	case 0xFE66:
	case 0xFE62:
	case 0xFE63:
	case 0xFE6B:
		return 1;
	default:
		return 0;
	}
}

/*
 * Decodes one well-formed UTF-8 code point from s[0..n), n > 0: returns
 * its length and sets *cp, or returns 0 for an ill-formed sequence
 * (overlong, surrogate, above U+10FFFF, truncated).
 */
static size_t csv_utf8_next(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	unsigned long v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		v = c & 0x1Fu;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		v = c & 0x0Fu;
		if (c == 0xE0)
			lo = 0xA0;
		if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		v = c & 0x07u;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return need + 1;
}

/*
 * Whether a spreadsheet could take the cell s[0..n) for a formula: after
 * any leading run of invisible characters (csv_invisible), the first
 * visible one is = + - @ or a full-width or small form of them; or that
 * leading run holds a TAB or CR. An ill-formed byte ends the run and is
 * not a formula character.
 */
static int csv_needs_guard(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, used;
	unsigned long cp;

	while (i < n) {
		used = csv_utf8_next(p + i, n - i, &cp);
		if (used == 0)
			return 0;
		if (cp == '\t' || cp == '\r')
			return 1;
		if (!csv_is_invisible(cp))
			return csv_is_formula_char(cp);
		i += used;
	}
	return 0;
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
 * value, with a leading ' when csv_needs_guard() says a spreadsheet could
 * run it (it starts with = + - @ TAB or CR, also after invisible
 * characters, or with a full-width = + - @), quoted with
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
