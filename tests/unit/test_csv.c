/* test_csv.c -- unit tests for csv.c: RFC 4180 quoting and the formula guard. */
#include <limits.h>
#include <string.h>

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

	is_mem(CSV_BOM, strlen(CSV_BOM), "\xEF\xBB\xBF", 3, "CSV_BOM is the UTF-8 BOM");
	is_str(CSV_EOL, "\r\n", "CSV_EOL is CRLF");
	return done_testing();
}
