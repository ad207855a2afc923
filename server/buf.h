/* buf.h -- growable byte buffers with checked size arithmetic.
 *
 * A struct buf owns its data. Every append checks for size_t overflow and
 * allocation failure; after a failure the buffer is marked (oom = 1) and
 * every later append is a no-op returning -1, so callers may append many
 * times and check once. buf_free() accepts a zeroed or already-freed buffer. */
#ifndef PETITIOND_BUF_H
#define PETITIOND_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;   /* always NUL-terminated when len > 0 or after buf_cstr() */
	size_t len;
	size_t cap;
	int oom;
};

#define BUF_INIT { NULL, 0, 0, 0 }

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps memory */
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Returns a NUL-terminated string ("" for an empty buffer); never NULL unless oom. */
const char *buf_cstr(struct buf *b);
/* Hands the data to the caller (who frees it with free()) and resets b. */
char *buf_steal(struct buf *b, size_t *len);

/* FNV-1a 64 of p[0..n): a fast, unkeyed content hash, for ETags only.
 * Never for anything that names a client (see auth_client_hash). */
uint64_t buf_fnv1a(const void *p, size_t n);

#endif
