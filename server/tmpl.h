/* tmpl.h -- a small logic-less template renderer (a mustache subset).
 *
 * Syntax:
 *   {{key}}            value of key, HTML-escaped
 *   {{{key}}}          value of key, inserted as it is (trusted HTML only)
 *   {{#key}} ... {{/key}}   the block, when key's value is non-empty and not "0"
 *   {{^key}} ... {{/key}}   the block, when key's value is empty or "0"
 *   {{! comment }}     nothing
 * Keys are [A-Za-z0-9_.-]+, optionally surrounded by spaces inside the braces.
 * Sections nest (up to TMPL_MAX_DEPTH). Pure: no I/O, no globals. */
#ifndef PETITIOND_TMPL_H
#define PETITIOND_TMPL_H

#include <stddef.h>
#include "buf.h"

#define TMPL_MAX_DEPTH 16

/* Looks a key up. Returns 0 and sets *val and *len (the value need not be
 * NUL-terminated and must stay valid until the render returns), or -1 when
 * the key is unknown. */
typedef int (*tmpl_lookup_fn)(void *ctx, const char *key, size_t keylen,
			      const char **val, size_t *len);

/* Renders src[0..len) into out (appending). Returns 0; -1 on a syntax error
 * (unclosed tag or section, mismatched {{/key}}, too deep), an unknown key or
 * out of memory. When err is not NULL, a static message describing the first
 * problem is stored there. */
int tmpl_render(struct buf *out, const char *src, size_t len,
		tmpl_lookup_fn lookup, void *ctx, const char **err);

#endif
