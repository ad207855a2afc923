/* assets.h -- files compiled into the binary by server/embed.c. */
#ifndef PETITIOND_ASSETS_H
#define PETITIOND_ASSETS_H

#include <stddef.h>

struct asset {
	const char *name;          /* "assets/style.css", "db/001_init.sql" */
	const char *mime;
	const unsigned char *data; /* NUL-terminated; len excludes the NUL */
	size_t len;
	const unsigned char *gz;   /* gzip form, NULL when it would not be smaller */
	size_t gzlen;
	const char *hash;          /* 16 hex digits of FNV-1a 64 of data */
};

extern const struct asset assets[];
extern const size_t assets_count;

/* The asset with that name, or NULL. */
const struct asset *asset_find(const char *name);

#endif
