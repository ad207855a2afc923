/* countries.h -- the ISO 3166-1 alpha-2 country list with display names. */
#ifndef PETITIOND_COUNTRIES_H
#define PETITIOND_COUNTRIES_H

#include <stddef.h>

struct country {
	char code[3];     /* "KH" */
	const char *en;   /* "Cambodia" */
	const char *km;   /* "កម្ពុជា" */
};

extern const struct country countries[];
extern const size_t countries_count; /* 249 */

/* The entry for a code (exactly two ASCII letters, any case), or NULL. */
const struct country *country_find(const char *code, size_t len);

#endif
