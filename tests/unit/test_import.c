/* test_import.c -- unit tests for import.c: reading paper and event CSV
 * files and checking each row like the form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "tap.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

static int parse(const char *s, int allow_no_email, struct import_set *set, char *err,
		 size_t errlen)
{
	return import_parse(s, strlen(s), allow_no_email, NOW, set, err, errlen);
}

/* The file is refused with a message containing want. */
static void refused(const char *s, const char *want, const char *what)
{
	struct import_set set;
	char err[512];
	int rc = parse(s, 1, &set, err, sizeof err);

	ok(rc == -1 && strstr(err, want) != NULL, "%s (%s)", what, err);
	import_set_free(&set);
}

int main(void)
{
	struct import_set set;
	char err[512];
	int rc;

	/* The header. */
	refused("", "empty", "an empty file");
	refused("\xEF\xBB\xBF", "empty", "a BOM alone");
	refused("\n\n", "empty", "blank lines only");
	refused("name,mail,country\n", "unknown column", "an unknown column");
	refused("name,email\n", "country", "no country column");
	refused("name,email,country,name\n", "twice", "a column named twice");
	refused("name,email,country\nJos\xE9,a@b.org,KH\n", "UTF-8", "Latin-1 bytes");
	refused("name,email,country\n\"open,a@b.org,KH\n", "quote", "an unterminated quote");
	refused("name,email,country\n\"a\"b,a@b.org,KH\n", "quote", "text after a closing quote");
	{
		struct import_set s2;

		ok(parse("name,country\nA,KH\n", 0, &s2, err, sizeof err) == -1 &&
			   strstr(err, "email") != NULL,
		   "no email column when emails are required");
		import_set_free(&s2);
	}

	/* Rows: valid, invalid, blank, separators, quotes, BOM. */
	rc = parse("\xEF\xBB\xBF NAME ; Email ;Country;comment;signed_at\r\n"
		   "Dara;dara@example.org;kh;\"x;\"\"y\"\"\r\nz\";2024-02-29\r\n"
		   ";;;;\r\n"
		   "Sok;;KH;;\r\n"
		   "Bad;b@example.org;XX;;\r\n"
		   "Late;l@example.org;KH;;2024-02-30\r\n"
		   "Short;row\r\n"
		   "'=Eq;eq@example.org;KH;;2099-01-01T00:00:00Z\r\n",
		   1, &set, err, sizeof err);
	is_int(rc, 0, "a semicolon file with a BOM parses (%s)", err);
	is_int(set.sep, ';', "the separator is ';'");
	is_int(set.had_bom, 1, "the BOM is seen");
	is_int((long long)set.n, 6, "six rows (a row of empty cells is blank)");
	if (set.n == 6) {
		is_int(set.rows[0].result, IMPORT_VALID, "row 1 valid");
		is_int((long long)set.rows[0].line, 2, "row 1 is on line 2");
		is_str(set.rows[0].sig.country, "KH", "country upper-cased");
		is_str(set.rows[0].sig.comment, "x;\"y\"\nz", "a quoted cell with ; \"\" and CRLF");
		is_int(set.rows[0].signed_at, 1709164800, "signed_at 2024-02-29 read as UTC");
		is_int((long long)set.rows[1].line, 5, "a quoted line break counts: the next row is line 5");
		is_int(set.rows[1].result, IMPORT_VALID, "a row without an email is valid (paper)");
		ok(set.rows[1].sig.email_norm == NULL, "its email_norm is NULL");
		is_int(set.rows[1].signed_at, NOW, "no signed_at: now");
		is_int(set.rows[2].result, IMPORT_INVALID, "an unknown country is invalid");
		is_str(set.rows[2].why, "country: not a valid value", "and says why");
		ok(strncmp(set.rows[3].why, "signed_at", 9) == 0, "February 30 is not a date");
		is_str(set.rows[4].why, "2 cells where the header has 5", "a short row");
		ok(strncmp(set.rows[5].why, "signed_at", 9) == 0, "a date in the future is refused");
	}
	is_int((long long)set.ninvalid, 4, "four invalid rows");
	is_int((long long)set.nno_email, 1, "one row without an email");
	import_set_free(&set);

	/* Without allow_no_email an empty email is an error like on the form. */
	rc = parse("name,email,country\nA,,KH\n", 0, &set, err, sizeof err);
	ok(rc == 0 && set.n == 1 && set.rows[0].result == IMPORT_INVALID &&
		   strcmp(set.rows[0].why, "email: required, missing") == 0,
	   "an empty email is required when emails are");
	import_set_free(&set);

	/* The export's formula guard is removed; the export's own columns pass. */
	rc = parse("id,signed_at,name,email,country,comment,public,updates,public_name,source\n"
		   "7,2025-01-02T03:04:05Z,'=Dara,d@example.org,KH,'-x,1,0,'@Dee,paper\n",
		   1, &set, err, sizeof err);
	ok(rc == 0 && set.n == 1 && set.rows[0].result == IMPORT_VALID, "the export's header reads (%s)",
	   set.n ? set.rows[0].why : err);
	if (rc == 0 && set.n == 1 && set.rows[0].result == IMPORT_VALID) {
		is_str(set.rows[0].sig.name, "=Dara", "the guard's quote is removed from the name");
		is_str(set.rows[0].sig.comment, "-x", "and from the comment");
		is_str(set.rows[0].sig.public_name, "@Dee", "and from the public name");
		is_int(set.rows[0].sig.is_public, 1, "public kept");
	}
	import_set_free(&set);

	/* Comma wins a tie; an invisible character is named by code point. */
	rc = parse("name,email,country\nA\xE2\x80\xAE" "B,a@example.org,KH\n", 1, &set, err, sizeof err);
	ok(rc == 0 && set.sep == ',' && set.n == 1 &&
		   strcmp(set.rows[0].why, "name: an invisible character U+202E at position 2") == 0,
	   "a bidi override is refused and named (%s)", set.n ? set.rows[0].why : err);
	import_set_free(&set);

	/* LF only, no final line end, many rows. */
	{
		size_t n = 5000, i, len = 0;
		char *s = malloc(n * 40 + 64);

		len += (size_t)sprintf(s, "name,email,country");
		for (i = 0; i < n; i++)
			len += (size_t)sprintf(s + len, "\nN%zu,n%zu@example.org,FR", i, i);
		rc = import_parse(s, len, 0, NOW, &set, err, sizeof err);
		ok(rc == 0 && set.n == n && set.ninvalid == 0, "5000 rows, no final newline");
		import_set_free(&set);
		free(s);
	}
	return done_testing();
}
