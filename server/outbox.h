/* outbox.h -- the sender thread: mail from the outbox to the relay.
 *
 * Requests never wait on SMTP. The writer queues messages in the outbox
 * table (store_mail.c) in the transaction that stores what they are about;
 * this thread claims them one at a time through writer tasks, composes
 * each in the signer's language from the published texts, hands it to the
 * relay (mail.c), and records the outcome:
 *
 *  - claimed = marked 'being sent' and committed BEFORE the relay sees it;
 *    deleted (with the address and the tokens) once the relay took it.
 *    A crash in between leaves it 'being sent', and the next start counts
 *    it as unsure and does not send it again: at most once. The signer who
 *    got nothing asks for a new message; a signer never gets two.
 *  - the relay down, a 4xx, a time-out: back to waiting with exponential
 *    back-off (OUTBOX_RETRY_FIRST_S doubling to OUTBOX_RETRY_MAX_S), given
 *    up after OUTBOX_GIVE_UP_S; the thread itself pauses between failures
 *    so a dead relay is not hammered.
 *  - a 5xx for the recipient: given up at once.
 *
 * Each recipient domain gets at most OUTBOX_DOMAIN_PER_MIN messages a
 * minute (the rest wait their turn, the others go on); each client's share
 * is paced before queueing (sign.c, confirm.c: mail_at).
 *
 * The thread also runs the housekeeping: expired links, old quota rows,
 * unconfirmed signatures older than --pending-days, and --retention-days'
 * erasure of the personal fields once the petition has been closed that
 * long (store_retention_erase, in batches).
 *
 * Layer: writer. */
#ifndef PETITIOND_OUTBOX_H
#define PETITIOND_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "content.h"
#include "mail.h"
#include "store.h"
#include "writer.h"

#define OUTBOX_RETRY_FIRST_S 10        /* first retry of a message after a failure */
#define OUTBOX_RETRY_MAX_S 3600        /* retries at least this often */
#define OUTBOX_GIVE_UP_S (2 * 86400)   /* a message still unsent after this is given up */
#define OUTBOX_DOMAIN_PER_MIN 60       /* messages a minute to one recipient domain */
#define OUTBOX_PAUSE_MAX_MS 30000      /* longest pause after the relay failed */
#define OUTBOX_PURGE_EVERY_S 600       /* housekeeping this often */

struct outbox;

/* What the sender needs, all owned by the caller and outliving the outbox. */
struct outbox_config {
	struct store *st;
	struct writer *writer;
	const struct mail_config *mail;   /* NULL: no relay; only housekeeping runs */
	struct content_slot *texts;       /* the published texts (mail subject and bodies) */
	const char *public_url;           /* links are built on it; NULL: no mail is sent */
	long pending_days;                /* unconfirmed signatures kept this long */
	/* sealed area: --retention-days (-1: keep), and when signing closed
	 * (or will: the deadline), 0 when it is open with no deadline. */
	long retention_days;
	int64_t retention_not_before; /* never erased before this (Unix seconds) */
	int64_t (*closed_at)(void *ctx);
	void *closed_ctx;
};

/* Starts the thread. NULL (err) when it cannot. Main thread, after the
 * writer started. */
struct outbox *outbox_start(const struct outbox_config *oc, char *err, size_t errlen);
/* Wakes the thread: a message was queued (any thread). */
void outbox_kick(struct outbox *o);
/* Stops the thread after the message it is sending, if any. Before
 * writer_stop (it submits writer tasks). outbox_kick still works (and does
 * nothing) until outbox_free, which comes once no request can run (after
 * http_stop). NULL is fine. Main thread. */
void outbox_stop(struct outbox *o);
void outbox_free(struct outbox *o);

/* The message of an outbox row, composed in its language from the texts
 * (content_for: the organizers' subject and sentences, or the built-in
 * ones), with links on public_url: appended to out. 0 or -1 (err). Any
 * thread. Exposed for `petitiond mail-test` and the tests. */
int outbox_compose(struct buf *out, const struct mail_config *mc,
		   const struct content_snap *texts, const char *public_url,
		   const struct store_outbox_row *row, int64_t now, char *err, size_t errlen);

#endif
