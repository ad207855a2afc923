/* test_csv.c -- unit tests for csv.c: RFC 4180 quoting and the formula guard. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "csv.h"
#include "tap.h"

/* One cell, written first on its row. */
static void check_cell(const char *in, size_t n, const char *want, const char *what)
{
	struct buf b = BUF_INIT;
	int r = csv_cell(&b, in, n, 1);

	is_mem(b.data ? b.data : "", b.len, want, strlen(want), "%s", what);
	if (r != 0)
		ok(0, "csv_cell failed: %s", what);
	buf_free(&b);
}

/* Unicode's view of what csv.c's table must hold: controls, White_Space,
 * Cf and Default_Ignorable_Code_Point (utf8proc knows the assigned ones;
 * the unassigned ranges are from DerivedCoreProperties.txt). */
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

/* Whether the cell b, written from n bytes holding the code point c (and
 * then ASCII without quotes or commas), got the guard: one byte more than
 * the value, its quotes and a doubled '"' explain. */
static int guarded(const struct buf *b, size_t n, utf8proc_int32_t c)
{
	size_t extra = 0;

	if (b->len > 0 && b->data[0] == '"')
		extra = 2 + (c == '"');
	return b->len == n + extra + 1;
}

/* Every code point, in front of "=1" and alone: guarded exactly when
 * Unicode calls it invisible (or it is TAB/CR), resp. when it is a formula
 * character. */
static void check_every_code_point(void)
{
	static const utf8proc_int32_t formula[] = {'=',    '+',    '-',    '@',    0xFF1D, 0xFF0B,
						   0xFF0D, 0xFF20, 0xFE66, 0xFE62, 0xFE63, 0xFE6B};
	struct buf b = BUF_INIT;
	utf8proc_uint8_t u[8];
	utf8proc_int32_t c;
	long bad_before = 0, bad_alone = 0;
	size_t k;

	for (c = 0; c <= 0x10FFFF; c++) {
		utf8proc_ssize_t n;
		int want, is_formula = 0;

		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		n = utf8proc_encode_char(c, u);
		memcpy(u + n, "=1", 2);
		buf_reset(&b);
		csv_cell(&b, (const char *)u, (size_t)n + 2, 1);
		want = c == '\t' || c == '\r' || c == '=' || c == '+' || c == '-' || c == '@' ||
		       ref_invisible(c);
		for (k = 0; k < sizeof formula / sizeof formula[0]; k++)
			is_formula |= c == formula[k];
		want |= is_formula;
		if (want != guarded(&b, (size_t)n + 2, c) && bad_before++ < 5)
			printf("#   U+%04X before \"=1\"\n", (unsigned)c);
		buf_reset(&b);
		csv_cell(&b, (const char *)u, (size_t)n, 1);
		want = c == '\t' || c == '\r' || is_formula;
		if (want != guarded(&b, (size_t)n, c) && bad_alone++ < 5)
			printf("#   U+%04X alone\n", (unsigned)c);
	}
	buf_free(&b);
	ok(bad_before == 0, "every code point before a formula: guarded exactly when invisible (%ld wrong)",
	   bad_before);
	ok(bad_alone == 0, "every code point alone: guarded exactly when a formula character (%ld wrong)",
	   bad_alone);
}

int main(void)
{
	struct buf b = BUF_INIT;
	const char *km = "សុខ ដារ៉ា, ភ្នំពេញ";

	check_cell("plain", 5, "plain", "plain text is unquoted");
	check_cell("", 0, "", "empty cell");
	check_cell("a,b", 3, "\"a,b\"", "comma is quoted");
	check_cell("say \"hi\"", 8, "\"say \"\"hi\"\"\"", "quotes are doubled");
	check_cell("\"", 1, "\"\"\"\"", "a lone quote");
	check_cell("line1\r\nline2", 12, "\"line1\r\nline2\"", "CRLF is quoted");
	check_cell("a\nb", 3, "\"a\nb\"", "LF is quoted");
	check_cell("a\rb", 3, "\"a\rb\"", "CR inside is quoted");
	check_cell(" lead", 5, "\" lead\"", "leading space is quoted");
	check_cell("trail ", 6, "\"trail \"", "trailing space is quoted");
	check_cell("in side", 7, "in side", "inner space is not quoted");

	check_cell("=SUM(A1:A9)", 11, "'=SUM(A1:A9)", "= gets the guard");
	check_cell("+1", 2, "'+1", "+ gets the guard");
	check_cell("-5", 2, "'-5", "- gets the guard (as the contract says)");
	check_cell("@cmd", 4, "'@cmd", "@ gets the guard");
	check_cell("\tx", 2, "'\tx", "TAB gets the guard");
	check_cell("\rx", 2, "\"'\rx\"", "CR gets the guard and quotes");
	check_cell("=HYPERLINK(\"http://x\",\"y\")", 26,
		   "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
		   "guarded formula with quotes and comma");
	check_cell("a=b", 3, "a=b", "= later in the cell is harmless");
	check_cell(km, strlen(km), "\"សុខ ដារ៉ា, ភ្នំពេញ\"",
		   "Khmer text kept byte-exact (quoted for the comma)");
	check_cell("កម្ពុជា", strlen("កម្ពុជា"), "កម្ពុជា", "Khmer text kept byte-exact");
	/* Invisible characters in front of a formula (a U+202E, a ZWSP, a
	 * BOM ...) are skipped when looking for it: the guard goes first. */
	{
		static const struct {
			const char *prefix, *what;
		} inv[] = {
			{"\xE2\x80\x8B", "ZWSP U+200B"},
			{"\xE2\x80\x8C", "ZWNJ U+200C"},
			{"\xE2\x80\x8D", "ZWJ U+200D"},
			{"\xEF\xBB\xBF", "BOM U+FEFF"},
			{"\xD8\x9C", "ALM U+061C"},
			{"\xE2\x80\x8E", "LRM U+200E"},
			{"\xE2\x80\x8F", "RLM U+200F"},
			{"\xE2\x80\xAA", "LRE U+202A"},
			{"\xE2\x80\xAB", "RLE U+202B"},
			{"\xE2\x80\xAC", "PDF U+202C"},
			{"\xE2\x80\xAD", "LRO U+202D"},
			{"\xE2\x80\xAE", "RLO U+202E"},
			{"\xE2\x81\xA6", "LRI U+2066"},
			{"\xE2\x81\xA7", "RLI U+2067"},
			{"\xE2\x81\xA8", "FSI U+2068"},
			{"\xE2\x81\xA9", "PDI U+2069"},
			{"\xE2\x81\xA0", "word joiner U+2060"},
			{"\xC2\xA0", "NBSP U+00A0"},
			{"\xE2\x80\x83", "em space U+2003"},
			{"\xE2\x80\xAF", "narrow NBSP U+202F"},
			{"\xE3\x80\x80", "ideographic space U+3000"},
			{"\xC2\xAD", "soft hyphen U+00AD"},
			{"\xE3\x85\xA4", "Hangul filler U+3164"},
			{"\xEF\xB8\x8F", "variation selector U+FE0F"},
			{"\xF3\xA0\x81\x81", "tag A U+E0041"},
			{"\xF3\xA0\x80\x80", "unassigned default-ignorable U+E0000"},
			{"\xE2\x81\xA5", "unassigned default-ignorable U+2065"},
			{"\x01", "U+0001"},
			{"\xC2\x85", "NEL U+0085"},
			{"\n", "LF"},
			{" ", "a space"},
			{"\xE2\x80\x8B\xE2\x80\xAE\xC2\xA0 \xEF\xBB\xBF", "a run of several"},
		};
		static const char *const formulas[] = {"=1+2", "+1", "-1", "@SUM(A1)",
						       "\xEF\xBC\x9D" "1+2", /* U+FF1D */
						       "\xEF\xBC\x8B" "1",   /* U+FF0B */
						       "\xEF\xBC\x8D" "1",   /* U+FF0D */
						       "\xEF\xBC\xA0" "x"};  /* U+FF20 */
		char in[64], want[80];
		size_t i, j;

		for (i = 0; i < sizeof inv / sizeof inv[0]; i++) {
			for (j = 0; j < sizeof formulas / sizeof formulas[0]; j++) {
				struct buf c = BUF_INIT;

				snprintf(in, sizeof in, "%s%s", inv[i].prefix, formulas[j]);
				/* Written unquoted unless the value holds a LF. */
				if (strchr(in, '\n'))
					snprintf(want, sizeof want, "\"'%s\"", in);
				else
					snprintf(want, sizeof want, "'%s", in);
				csv_cell(&c, in, strlen(in), 1);
				is_mem(c.data ? c.data : "", c.len, want, strlen(want),
				       "guard: %s before formula %zu", inv[i].what, j);
				buf_free(&c);
			}
		}
	}
	check_cell("\xEF\xBC\x9D" "SUM(A1)", 10, "'\xEF\xBC\x9D" "SUM(A1)",
		   "full-width = alone is guarded");
	check_cell("\xEF\xB9\xA6" "1", 4, "'\xEF\xB9\xA6" "1", "small = U+FE66 is guarded");
	check_cell("\xEF\xB9\xA2" "1", 4, "'\xEF\xB9\xA2" "1", "small + U+FE62 is guarded");
	check_cell("\xEF\xB9\xA3" "1", 4, "'\xEF\xB9\xA3" "1", "small - U+FE63 is guarded");
	check_cell("\xEF\xB9\xAB" "x", 4, "'\xEF\xB9\xAB" "x", "small @ U+FE6B is guarded");
	check_cell("\xE2\x80\x8B\t" "x", 5, "'\xE2\x80\x8B\t" "x", "TAB after a ZWSP is guarded");
	check_cell("\xC2\xA0\r" "x", 4, "\"'\xC2\xA0\r" "x\"", "CR after a NBSP is guarded (and quoted)");
	check_cell(" =1", 3, "' =1", "a space then = is guarded (no longer needs quotes)");
	check_cell(" \xE2\x80\x8B", 4, "\" \xE2\x80\x8B\"",
		   "only invisible characters: unguarded (quoted for the space)");
	check_cell("\xE2\x80\x8B", 3, "\xE2\x80\x8B", "a lone ZWSP: unchanged");

	/* Cells that are no formula stay byte-exact. */
	check_cell("\xE2\x80\x8B" "Dara", 7, "\xE2\x80\x8B" "Dara", "ZWSP then a letter: unchanged");
	check_cell("\xE2\x80\xAE" "koS", 6, "\xE2\x80\xAE" "koS", "RLO then a letter: unchanged");
	check_cell("\xC2\xA0" "1=2", 5, "\xC2\xA0" "1=2", "NBSP then a digit: unchanged");
	check_cell("\xE1\x9E\x80=", 4, "\xE1\x9E\x80=", "Khmer letter then =: unchanged");
	check_cell("\xE2\x88\x92" "1", 4, "\xE2\x88\x92" "1", "U+2212 minus sign is not -");
	check_cell("\xEF\xBC\x9E" "1", 4, "\xEF\xBC\x9E" "1", "full-width > is no formula");
	check_cell("a\xE2\x80\x8B=1", 6, "a\xE2\x80\x8B=1", "= after a visible letter: unchanged");
	check_cell("\xC0\xBD" "1", 3, "\xC0\xBD" "1", "overlong '=' (C0 BD) is not '='");
	check_cell("\xE2\x80" "=1", 4, "\xE2\x80" "=1", "a truncated sequence ends the run");
	check_cell("\xF0\x9F\x98\x80=", 5, "\xF0\x9F\x98\x80=", "an emoji is visible");
	check_cell("\xE2\x80\x8B\xE1\x9E\x9F\xE1\x9E\xBB\xE1\x9E\x81", 12,
		   "\xE2\x80\x8B\xE1\x9E\x9F\xE1\x9E\xBB\xE1\x9E\x81", "ZWSP then Khmer: unchanged");

	csv_cell(&b, "x\0y", 3, 1);
	is_mem(b.data, b.len, "x\0y", 3, "bytes are copied as they are");
	buf_reset(&b);

	/* A full row: the separator comes before every cell but the first. */
	csv_cell_int(&b, 42, 1);
	csv_cell(&b, "2026-11-29T23:19:29Z", 20, 0);
	csv_cell(&b, "Dara, Sok", 9, 0);
	csv_cell(&b, "-", 1, 0);
	csv_cell(&b, "", 0, 0);
	csv_cell_int(&b, 0, 0);
	ok(csv_cell_int(&b, 1, 0) == 0, "csv_cell_int returns 0");
	buf_puts(&b, CSV_EOL);
	is_str(buf_cstr(&b), "42,2026-11-29T23:19:29Z,\"Dara, Sok\",'-,,0,1\r\n", "a whole row");
	buf_reset(&b);
	csv_cell_int(&b, LLONG_MIN, 1);
	csv_cell_int(&b, -7, 0);
	is_str(buf_cstr(&b), "-9223372036854775808,-7", "integers are written without guard");
	buf_free(&b);

	check_every_code_point();

	is_mem(CSV_BOM, strlen(CSV_BOM), "\xEF\xBB\xBF", 3, "CSV_BOM is the UTF-8 BOM");
	is_str(CSV_EOL, "\r\n", "CSV_EOL is CRLF");
	return done_testing();
}
