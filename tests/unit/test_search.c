/* test_search.c -- unit tests for search.c: the organizers' search text
 * turned into a full-text expression or an email prefix range. */
#include <string.h>

#include "search.h"
#include "tap.h"

static void check(const char *q, const char *country, enum search_kind kind, const char *match,
		  const char *what)
{
	struct search_query sq;
	int rc = search_parse(q, q ? strlen(q) : 0, country, &sq);

	ok(rc == 0 && sq.kind == kind, "%s: kind %d (got rc %d kind %d)", what, (int)kind, rc,
	   (int)sq.kind);
	if (match != NULL)
		is_mem(sq.match.data ? sq.match.data : "", sq.match.len, match, strlen(match),
		       "%s: expression", what);
	search_query_free(&sq);
}

static void check_email(const char *q, const char *lo, const char *hi, const char *what)
{
	struct search_query sq;
	int rc = search_parse(q, strlen(q), "KH", &sq);

	ok(rc == 0 && sq.kind == SEARCH_EMAIL, "%s: an email search", what);
	is_mem(sq.lo, strlen(sq.lo), lo, strlen(lo), "%s: lower bound", what);
	is_mem(sq.hi, strlen(sq.hi), hi, strlen(hi), "%s: upper bound", what);
	ok(sq.match.len == 0, "%s: no full-text expression", what);
	search_query_free(&sq);
}

int main(void)
{
	char big[SEARCH_MAX_QUERY_BYTES + 2];

	plan(42);
	check("", NULL, SEARCH_NONE, "", "empty");
	check(NULL, NULL, SEARCH_NONE, "", "NULL");
	{
		struct search_query sq;

		ok(search_parse(NULL, 5, NULL, &sq) == 0 && sq.kind == SEARCH_NONE,
		   "NULL with a length: nothing, no read");
		search_query_free(&sq);
	}
	check("  \t ", NULL, SEARCH_NONE, "", "blanks only");
	check("!?-", NULL, SEARCH_NONE, "", "separators only");
	check("Sokha", NULL, SEARCH_NAME, "{name public_name} : (\"Sokha\"*)", "one word");
	check("  Mary-Jane O'Brien ", NULL, SEARCH_NAME,
	      "{name public_name} : (\"Mary\"* AND \"Jane\"* AND \"O\"* AND \"Brien\"*)",
	      "hyphen, apostrophe and blanks separate words");
	check("\"x\" OR y*", NULL, SEARCH_NAME, "{name public_name} : (\"x\"* AND \"OR\"* AND \"y\"*)",
	      "query syntax typed in is only words");
	/* Khmer: vowel signs (Mc) and COENG (Mn) stay in the word; ZWSP splits. */
	check("ស្រី\xE2\x80\x8B" "នាង", NULL, SEARCH_NAME,
	      "{name public_name} : (\"ស្រី\"* AND \"នាង\"*)", "Khmer words, ZWSP between them");
	/* NFD in, NFC out: names are stored in NFC. */
	check("Tra\xCC\x80n", NULL, SEARCH_NAME, "{name public_name} : (\"Tr\xC3\xA0n\"*)",
	      "decomposed text is composed");
	check("周磊", NULL, SEARCH_NAME, "{name public_name} : (\"周磊\"*)", "Han");
	check("Sokha", "KH", SEARCH_NAME, "{name public_name} : (\"Sokha\"*) AND country : \"kh\"",
	      "a name and a country");
	check("", "us", SEARCH_NAME, "country : \"us\"", "a country alone");
	check("a b c d e f g h", NULL, SEARCH_NAME, NULL, "eight words pass");
	check("a b c d e f g h i", NULL, SEARCH_INVALID, "", "nine words are refused");
	check("\xC3\x28", NULL, SEARCH_INVALID, "", "invalid UTF-8 is refused");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	check(big, NULL, SEARCH_INVALID, "", "over SEARCH_MAX_QUERY_BYTES is refused");
	{
		struct search_query sq;

		ok(search_parse("a\0b", 3, NULL, &sq) == 0 && sq.kind == SEARCH_INVALID,
		   "a NUL byte is refused");
		search_query_free(&sq);
	}
	check_email(" Sok.Dara@Example.ORG ", "sok.dara@example.org", "sok.dara@example.orh",
		    "a whole address, trimmed and lower-cased");
	check_email("sokha@", "sokha@", "sokhaA", "the beginning of an address");
	ok(search_word_char('a') && search_word_char(0x17D2) && search_word_char(0x17B6) &&
		   search_word_char('7') && !search_word_char('-') && !search_word_char(0x200B) &&
		   !search_word_char('"'),
	   "word characters: letters, digits, Khmer signs; not '-', ZWSP or '\"'");
	return 0;
}
