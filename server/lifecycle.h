/* lifecycle.h -- whether the petition takes signatures, and what the pages
 * say about it: open, paused or closed; the deadline; the goal and the next
 * milestone; the organizer's time zone; the paused and closed messages.
 *
 * The settings live in the database (store_lifecycle.c); what the pages read
 * is an immutable snapshot, struct lifecycle, built from them with every
 * sentence signers see already written out per language. Snapshots are
 * published through a life_slot: readers take the current one without a
 * lock and never see a half-built one (see life_slot_get).
 *
 * Which status applies is decided at the moment of asking, against the
 * clock: a deadline closes signing by itself (life_status_at). */
#ifndef PETITIOND_LIFECYCLE_H
#define PETITIOND_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "i18n.h"
#include "tz.h"

enum life_status { LIFE_OPEN = 0, LIFE_PAUSED = 1, LIFE_CLOSED = 2 };

/* The organizer's messages: shown while paused, and once closed. */
enum life_msg { LIFE_MSG_PAUSED, LIFE_MSG_CLOSED, LIFE_NMSG };

/* A message is plain text (each line a paragraph) of at most this many
 * bytes of UTF-8: about 2,000 Latin or 600 Khmer characters. Two messages
 * (English and Khmer) then fit one form post well under 16 KiB, however
 * the browser percent-encodes them. */
#define LIFE_MSG_MAX_BYTES 2000
/* Largest goal and milestone. */
#define LIFE_GOAL_MAX 1000000000L

/* The stored settings (plain values). Strings are owned by the struct
 * (life_settings_free); a NULL or "" message means the default text. */
struct life_settings {
	enum life_status state; /* as the organizer set it */
	int64_t changed_at;     /* Unix seconds of the last change of state; 0: never */
	int64_t closes_at;      /* the deadline, Unix seconds; 0: none */
	long goal;
	int goal_stored; /* the goal was set on the settings page (else --goal) */
	long milestone;  /* the next milestone after the goal; 0: none */
	char *msg[LIFE_NMSG][LANG_COUNT];
	char tzname[TZ_NAME_MAX + 1];
};

/* A published snapshot. Everything in it is read-only once published. */
struct lifecycle {
	struct life_settings set;
	struct tz *tz;
	char closes_iso[32]; /* the deadline in ISO 8601 UTC, or "" */
	/* Per language, plain text (escape when writing HTML) unless said: */
	char *msg_html[LIFE_NMSG][LANG_COUNT]; /* the message (or the default) as
						* HTML paragraphs, escaped */
	char *closes_on[LANG_COUNT];           /* "Signing closes on 15 January 2027 at 18:00
						* (Phnom Penh time, UTC+07:00)." or NULL */
	char *closed_on[LANG_COUNT];           /* "Signing closed on ..." (when it closed, or
						* will by the deadline) or NULL */
	char *reached[LANG_COUNT];             /* "We reached our goal of 1,000 signatures." */
	char *next[LANG_COUNT];                /* "Next milestone: 2,000 signatures." or NULL */
	/* Publication (lifecycle.c): the retired list. */
	struct lifecycle *retired_next;
	int64_t retired_ms;
};

/* The status at Unix time now_s: closed when the organizer closed it or the
 * deadline has passed; else paused when paused; else open. NULL: open. */
enum life_status life_status_at(const struct lifecycle *l, int64_t now_s);
/* When signing closed (or will, by the deadline): the moment of closing by
 * hand, or the deadline when that came first; 0 when neither applies. */
int64_t life_closed_time(const struct life_settings *s);
/* "open", "paused", "closed". */
const char *life_status_name(enum life_status s);
/* Parses "open", "paused", "closed". Returns 0 or -1. */
int life_status_parse(const char *s, enum life_status *out);

/* Deep copy of src into dst (dst's previous contents are not freed).
 * Returns 0 or -1 (out of memory; dst then holds nothing to free). */
int life_settings_copy(struct life_settings *dst, const struct life_settings *src);
void life_settings_free(struct life_settings *s);
/* Replaces one message with a copy of text (NULL or "": the default).
 * Returns 0 or -1. */
int life_settings_set_msg(struct life_settings *s, enum life_msg m, enum lang lang,
			  const char *text);

/* Checks an organizer's message: valid UTF-8, at most LIFE_MSG_MAX_BYTES,
 * no control characters but line ends and tabs. Returns 0 or -1. */
int life_msg_ok(const char *text, size_t len);

/* Builds a snapshot from s (copied) and the zone tz (taken over: freed
 * with the snapshot, or here on failure). The strings signers read are
 * written from the i18n strings (i18n_init must have run). Returns it, or
 * NULL with the reason in err. Any thread. */
struct lifecycle *life_build(const struct life_settings *s, struct tz *tz, char *err,
			     size_t errlen);
void life_free(struct lifecycle *l);

/* A date and time for people, in the zone of l and the language lang:
 * "15 January 2027 at 18:00 (Phnom Penh time, UTC+07:00)";
 * Khmer: Khmer digits and month names. Returns 0 or -1 (out of memory).
 * Appends to out (plain text). Any thread. */
int life_format_when(struct buf *out, const struct tz *tz, enum lang lang, int64_t t);

/* The published snapshot. */
struct life_slot;

/* Starts a slot holding first (taken over). NULL when out of memory (first
 * is then freed). */
struct life_slot *life_slot_new(struct lifecycle *first);
/* Frees the slot and every snapshot it holds. Once no thread reads it. */
void life_slot_free(struct life_slot *s);
/* The current snapshot. Lock-free, any thread. The pointer stays valid for
 * at least LIFE_RETIRE_MS after a newer one is published -- far longer
 * than any request takes to use it: take it per request, never keep it. */
const struct lifecycle *life_slot_get(struct life_slot *s);
/* Publishes l (taken over) in place of the current snapshot, which is
 * retired and freed once it has been retired LIFE_RETIRE_MS. Publishers
 * serialize on the slot's lock. Any thread (the writer, in practice). */
void life_slot_publish(struct life_slot *s, struct lifecycle *l);
#define LIFE_RETIRE_MS 60000

#endif
