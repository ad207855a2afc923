/* test_countries.c -- unit tests for countries.c: the ISO 3166-1 table. */
#include <string.h>

#include "countries.h"
#include "form.h"
#include "tap.h"

int main(void)
{
	const struct country *c;
	size_t i;
	int sorted = 1, codes_ok = 1, names_ok = 1, found_all = 1;
	char lower[2];

	is_int((long long)countries_count, 249, "249 officially assigned codes");

	for (i = 0; i < countries_count; i++) {
		const struct country *e = &countries[i];

		if (!(e->code[0] >= 'A' && e->code[0] <= 'Z' && e->code[1] >= 'A' &&
		      e->code[1] <= 'Z' && e->code[2] == '\0')) {
			codes_ok = 0;
			printf("# bad code at %zu\n", i);
		}
		if (i > 0 && strcmp(countries[i - 1].code, e->code) >= 0) {
			sorted = 0;
			printf("# not sorted at %s\n", e->code);
		}
		if (e->en == NULL || e->km == NULL || *e->en == '\0' || *e->km == '\0' ||
		    !utf8_valid(e->en, strlen(e->en)) || !utf8_valid(e->km, strlen(e->km))) {
			names_ok = 0;
			printf("# bad names for %s\n", e->code);
		}
		if (country_find(e->code, 2) != e)
			found_all = 0;
		lower[0] = (char)(e->code[0] - 'A' + 'a');
		lower[1] = (char)(e->code[1] - 'A' + 'a');
		if (country_find(lower, 2) != e)
			found_all = 0;
	}
	ok(codes_ok, "every code is two upper-case ASCII letters");
	ok(sorted, "the table is sorted by code, without duplicates");
	ok(names_ok, "every entry has non-empty UTF-8 English and Khmer names");
	ok(found_all, "country_find finds every entry, in either case");

	c = country_find("KH", 2);
	ok(c != NULL, "KH is found");
	if (c) {
		is_str(c->en, "Cambodia", "KH in English");
		is_str(c->km, "កម្ពុជា", "KH in Khmer");
	}
	ok(country_find("kh", 2) == c, "kh (lower case) finds KH");
	ok(country_find("kH", 2) == c, "kH (mixed case) finds KH");
	c = country_find("us", 2);
	ok(c && strcmp(c->km, "សហរដ្ឋអាមេរិក") == 0, "US in Khmer");
	c = country_find("FR", 2);
	ok(c && strcmp(c->km, "បារាំង") == 0, "FR in Khmer");
	c = country_find("TH", 2);
	ok(c && strcmp(c->km, "ថៃ") == 0, "TH in Khmer");
	c = country_find("VN", 2);
	ok(c && strcmp(c->km, "វៀតណាម") == 0, "VN in Khmer");
	c = country_find("JP", 2);
	ok(c && strcmp(c->km, "ជប៉ុន") == 0, "JP in Khmer");
	ok(country_find("AD", 2) == &countries[0], "the first entry is AD");
	ok(country_find("ZW", 2) == &countries[countries_count - 1], "the last entry is ZW");
	ok(country_find("SS", 2) != NULL, "SS (South Sudan) is present");
	ok(country_find("BQ", 2) != NULL && country_find("CW", 2) != NULL &&
	       country_find("SX", 2) != NULL,
	   "BQ, CW and SX are present");

	ok(country_find("XX", 2) == NULL, "XX is unknown");
	ok(country_find("UK", 2) == NULL, "UK is not a code (GB is)");
	ok(country_find("EU", 2) == NULL, "EU is not a country");
	ok(country_find("AN", 2) == NULL, "AN (withdrawn) is unknown");
	ok(country_find("YU", 2) == NULL, "YU (withdrawn) is unknown");
	ok(country_find("KHM", 3) == NULL, "alpha-3 codes are refused");
	ok(country_find("KH", 3) == NULL, "KH with a NUL is refused");
	ok(country_find("K", 1) == NULL, "one letter is refused");
	ok(country_find("", 0) == NULL, "an empty code is refused");
	ok(country_find(NULL, 2) == NULL, "NULL is refused");
	ok(country_find("K1", 2) == NULL, "a digit is refused");
	ok(country_find("\xC3\x84", 2) == NULL, "non-ASCII is refused");
	ok(country_find("[[", 2) == NULL && country_find("``", 2) == NULL,
	   "characters next to the letters are refused");
	return done_testing();
}
