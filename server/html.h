/* html.h -- escaping text for HTML bodies and attribute values. */
#ifndef PETITIOND_HTML_H
#define PETITIOND_HTML_H

#include <stddef.h>
#include "buf.h"

/* Appends s[0..n) to out with & < > " ' escaped as entities, so the result is
 * safe both in element content and inside a quoted attribute value.
 * NUL bytes are dropped. Returns 0, or -1 when out ran out of memory. */
int html_escape(struct buf *out, const char *s, size_t n);

/* Appends s[0..n) percent-encoded for use inside a URL query component
 * (RFC 3986 unreserved characters kept as they are). Returns 0 or -1. */
int url_encode(struct buf *out, const char *s, size_t n);

#endif
