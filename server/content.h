/* content.h -- the campaign's texts: per language, edited by the organizers,
 * published as versions (store_content.c), shown by the views.
 *
 * A text (struct content_text) is the ten fields an organizer writes in one
 * language. Published texts are gathered into a snapshot (struct
 * content_snap), immutable once built and shared by reference count: the
 * handlers swap in a new one when something is published, and a view reads
 * the one it was handed for as long as it renders (never half of one).
 *
 * The embedded defaults (assets/content/<lang>.md and <lang>.json, today's
 * petition) seed a database that has no text for a language yet; the same
 * two files per language are what `petitiond content dump` writes and
 * `content load` reads.
 *
 * Layer: platform. No I/O but the embedded assets; any thread. */
#ifndef PETITIOND_CONTENT_H
#define PETITIOND_CONTENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "i18n.h"

/* Limits, with their units. */
#define CONTENT_BODY_MAX_BYTES 65536  /* the petition's body (Markdown), UTF-8 bytes */
#define CONTENT_LINE_MAX_CHARS 500    /* a one-line field (title, names, share text), characters */
#define CONTENT_BLOCK_MAX_CHARS 2000  /* the closing and the contact block, characters */
#define CONTENT_EMAIL_MAX_BYTES 254
#define CONTENT_WHO_MAX 64            /* an admin's name as kept with a version, bytes */
#define CONTENT_NOTE_MAX 128          /* a version's note ("revert of #12"), bytes */
#define CONTENT_IMAGE_MAX_BYTES (1024 * 1024) /* an uploaded share image */
#define CONTENT_IMAGE_MIN_PX 200      /* its width and height, pixels: at least ... */
#define CONTENT_IMAGE_MAX_PX 4096     /* ... and at most */
/* "Characters" are user-perceived characters (grapheme clusters), as the
 * signature form counts them: a Khmer consonant with its vowel signs is one. */

enum content_field {
	CONTENT_TITLE,
	CONTENT_PETITIONERS,
	CONTENT_RECIPIENTS,
	CONTENT_BODY,
	CONTENT_CLOSING,
	CONTENT_CONTACT,
	CONTENT_ORG,
	CONTENT_EMAIL,
	CONTENT_SHARE,
	CONTENT_THANKS,
	CONTENT_MAIL_SUBJECT, /* the subject of every mail to signers (neutral) */
	CONTENT_MAIL_CONFIRM, /* plain text above the confirmation link */
	CONTENT_MAIL_WITHDRAW,/* plain text above a withdrawal link */
	CONTENT_NFIELDS
};

enum content_kind {
	CONTENT_KIND_LINE,     /* one line of plain text */
	CONTENT_KIND_MARKDOWN, /* Markdown (markdown.h) */
	CONTENT_KIND_ADDRESS,  /* Markdown where every line is a line (an address) */
	CONTENT_KIND_EMAIL     /* an email address, or empty */
};

struct content_field_def {
	const char *name;   /* form field, JSON key, database column: "title" */
	enum content_kind kind;
	size_t max;         /* characters; bytes for the body and the email */
	int max_bytes;      /* 1: max counts bytes */
	int required;
};
extern const struct content_field_def content_fields[CONTENT_NFIELDS];

/* The fields of one language's text: NUL-terminated UTF-8, each malloc'd
 * and owned by the struct (NULL reads as ""). */
struct content_text {
	char *f[CONTENT_NFIELDS];
};

void content_text_free(struct content_text *t);
/* A deep copy of src into dst (which it overwrites). Returns 0 or -1. */
int content_text_copy(struct content_text *dst, const struct content_text *src);
/* The fields that differ between a and b, as a bit mask (1u << field). */
unsigned content_text_diff(const struct content_text *a, const struct content_text *b);
/* Field f of t, never NULL. */
const char *content_get(const struct content_text *t, enum content_field f);
/* Replaces field f with a copy of s[0..n) (a NUL byte in it becomes
 * U+0001, which content_clean refuses). Returns 0 or -1. */
int content_set(struct content_text *t, enum content_field f, const char *s, size_t n);

enum content_error {
	CONTENT_OK = 0,
	CONTENT_ERR_REQUIRED,  /* empty where a value is needed */
	CONTENT_ERR_TOO_LONG,  /* over the field's limit */
	CONTENT_ERR_ENCODING,  /* not UTF-8 */
	CONTENT_ERR_CONTROL,   /* a control character (a line break in a one-line field) */
	CONTENT_ERR_EMAIL      /* not an email address */
};
/* i18n key of an error ("content.err.required"). */
const char *content_error_key(enum content_error e);

/* Cleans every field of t in place and checks it: line ends become LF,
 * text is NFC, one-line fields and the email are trimmed, the others lose
 * trailing blank space. err[f] says what is wrong with field f (its value
 * is kept as it was when it is not valid UTF-8). Returns the number of
 * fields in error, and sets *too_long when one of them is over its limit
 * (the caller answers 413 then); -1 when memory ran out. */
int content_clean(struct content_text *t, enum content_error err[CONTENT_NFIELDS], int *too_long);

/* Reads a text from the two files of a dump (or the embedded defaults):
 * json[0..jlen), an object of the fields other than the body by name (every
 * value a string; an unknown key or a value of another type is refused,
 * a missing key is ""), and md[0..mdlen), the body. The text is not
 * cleaned. Returns 0, or -1 with the reason in err. */
int content_from_files(const char *json, size_t jlen, const char *md, size_t mdlen,
		       struct content_text *out, char *err, size_t errlen);
/* The JSON file of t (the fields other than the body, in the order of
 * content_fields, indented, ending with a newline): malloc'd, or NULL. */
char *content_to_json(const struct content_text *t);
/* The embedded default text of lang. Returns 0, or -1 with the reason. */
int content_default(enum lang lang, struct content_text *out, char *err, size_t errlen);

/* One language in a snapshot. */
struct content_lang {
	int has;             /* a published text of its own; else pages show English's */
	int64_t version;     /* its version's id (0: the embedded default, not stored) */
	int64_t at;          /* when it was published, Unix seconds */
	char who[CONTENT_WHO_MAX];
	struct content_text text;
	char *html[CONTENT_NFIELDS]; /* the Markdown fields rendered (markdown.h); NULL for others */
};

/* What every page shows of the campaign's texts. */
struct content_snap {
	atomic_int refs;
	int preview;         /* a draft being previewed: marked, never public */
	enum lang preview_lang;
	struct content_lang lang[LANG_COUNT];
	/* The share image: its path with the content hash in it, or "" for the
	 * embedded default; its size in pixels. */
	char og_path[128];
	unsigned og_width, og_height;
	char og_w[12], og_h[12]; /* the same, as text for the templates */
	/* A preview: the form in its banner that publishes the draft (HTML,
	 * made by the views), or NULL. Freed with the snapshot. */
	char *preview_form;
};

/* A new, empty snapshot with one reference, or NULL. */
struct content_snap *content_snap_new(void);
void content_snap_ref(struct content_snap *s);
/* Drops a reference; the last one frees s. NULL is fine. */
void content_snap_unref(struct content_snap *s);
/* Makes text (moved in: t is emptied) the published text of lang in s and
 * renders its Markdown. Returns 0 or -1 (out of memory; s unchanged). */
int content_snap_set(struct content_snap *s, enum lang lang, struct content_text *t,
		     int64_t version, int64_t at, const char *who);
/* Where the published snapshot lives: a lock-protected pointer the
 * handlers swap (content_slot_set) and every render reads
 * (content_slot_get). A thread keeps a reference to the snapshot it was
 * last handed until it asks again after a change, so a view renders from
 * one whole snapshot however long it takes; references are released when
 * the thread asks again or ends. */
struct content_slot;
/* A slot holding nothing. NULL when out of memory (or thread keys). */
struct content_slot *content_slot_new(void);
/* Frees the slot and its snapshot, after every thread but the caller that
 * used it has ended. NULL is fine. */
void content_slot_free(struct content_slot *slot);
/* Installs s as the published snapshot, taking over the caller's
 * reference. Any thread. */
void content_slot_set(struct content_slot *slot, struct content_snap *s);
/* The published snapshot, valid for the calling thread until its next
 * call (see above); NULL when slot is NULL or holds none. Any thread. */
const struct content_snap *content_slot_get(struct content_slot *slot);

/* The text pages in lang show: lang's own, or English's when lang has none
 * (then *fallback = 1). NULL when s is NULL or English has none either. */
const struct content_lang *content_for(const struct content_snap *s, enum lang lang,
				       int *fallback);

#endif
