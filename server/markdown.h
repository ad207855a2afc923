/* markdown.h -- the organizers' Markdown, rendered safely with cmark.
 *
 * cmark (the CommonMark reference implementation) parses; before it renders,
 * the tree is made safe for a page whose visitors may be at risk:
 *   - raw HTML (blocks and inline) is shown as the text it is, never run;
 *   - a link keeps its target only when it is http:, https:, mailto:, tel:
 *     or relative (no scheme); any other (javascript:, vbscript:, data:,
 *     file:, ...) or one with white space or control characters in it loses
 *     the link and keeps its text;
 *   - an image becomes its description as plain text (nothing is loaded
 *     from elsewhere, and the page has its own share image);
 *   - headings start at level 2 (the page's title is the one <h1>).
 * cmark's own safe mode (the default since 0.29) stays on as a second line:
 * it would drop raw HTML and empty unsafe links too.
 *
 * Layer: platform (no I/O; cmark and the buffer only). Any thread. */
#ifndef PETITIOND_MARKDOWN_H
#define PETITIOND_MARKDOWN_H

#include <stddef.h>

#include "buf.h"

/* Every line break inside a paragraph is kept as a line break (<br>): for
 * an address, where each line is a line. */
#define MARKDOWN_HARDBREAKS 0x1u

/* Renders the Markdown md[0..len) (UTF-8; invalid sequences become U+FFFD)
 * as HTML, appended to out. Returns 0, or -1 when memory ran out (out may
 * then hold part of it). */
int markdown_render(struct buf *out, const char *md, size_t len, unsigned flags);

/* 1 when url (NUL-terminated) may be a link target on the page (see
 * above), else 0. */
int markdown_safe_url(const char *url);

/* The version of cmark linked in ("0.30.2"). */
const char *markdown_version(void);

#endif
