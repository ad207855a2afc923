/* page.h -- rendering pages from the embedded templates, and the page cache. */
#ifndef PETITIOND_PAGE_H
#define PETITIOND_PAGE_H

#include <stdint.h>

#include "buf.h"
#include "form.h"
#include "i18n.h"
#include "store.h"

/* Shortest time between two renders of a cached page when the count changes. */
#define PAGE_MIN_RERENDER_MS 250
/* Longest a cached page lives when the anti-bot token is on (tokens carry
 * their issue time; a stale page would make the minimum fill time moot). */
#define PAGE_TOKEN_MAX_AGE_MS 1000
/* Recent public signers shown on the page. */
#define PAGE_RECENT_SIGNERS 10

/* Start-up: checks every template renders in every language. Returns 0 or -1. */
int page_init(struct store *st, char *err, size_t errlen);
void page_free(void);

/* The petition page with the form re-shown: values kept, errors by field
 * (sig->err). Appends to out. Returns 0 or -1. Any thread. */
int page_render_form(struct buf *out, enum lang lang, const struct form_sig *sig);
/* A status page (404, 405, 413...). Returns 0 or -1. */
int page_render_error(struct buf *out, enum lang lang, unsigned status);
/* The admin dashboard, with an optional result message (plain text, may be
 * NULL). Returns 0 or -1. */
int page_render_admin(struct buf *out, enum lang lang, const char *message);
/* A localized message for an error key (e.g. "err.required"). */
const char *page_message(enum lang lang, const char *key);
/* The message for a field's error: "err.<field>.<code>" when the strings
 * have one (e.g. "err.email.invalid"), else the generic "err.<code>". */
const char *page_error_message(enum lang lang, enum form_field f, enum form_error e);
/* "12,345" */
void page_format_count(char *out, size_t outlen, int64_t n);

#endif
