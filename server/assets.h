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

/* The asset with that name, or NULL. Defined in the generated assets_gen.c. */
const struct asset *asset_find(const char *name);
/* Migration i (0-based: db/001_init.sql is 0), or NULL past the last one.
 * The migrations are the .sql files under db/ in meson's asset list, in
 * order. */
const struct asset *asset_migration(int i);

#endif
