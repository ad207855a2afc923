/* mail.h -- outgoing mail: composing a message (RFC 5322 + MIME) and
 * handing it to the operator's relay over SMTP with libcurl (STARTTLS or
 * implicit TLS, the relay's certificate always checked).
 *
 * Composition is pure (no I/O apart from drawing random bytes for the
 * Message-ID), so the unit tests check it byte for byte. Sending is
 * blocking: the outbox's sender thread calls it, never a request thread. */
#ifndef PETITIOND_MAIL_H
#define PETITIOND_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"

#define MAIL_DEFAULT_TIMEOUT_S 60L  /* the whole SMTP transaction of one message */
#define MAIL_CONNECT_TIMEOUT_S 15L  /* TCP connect and TLS handshake */
#define MAIL_PASSWORD_MAX 1024      /* bytes of --smtp-password-file read at most */
#define MAIL_ADDR_MAX 254           /* bytes of an address (RFC 5321 path limit) */
#define MAIL_SUBJECT_MAX 998        /* bytes of a subject before encoding */
#define MAIL_ERR_BYTES 512          /* a good size for the err buffers below */

struct mail_config {
	const char *url;      /* smtp://[user[:pass]@]host[:port] (STARTTLS required) or smtps://... */
	char *password;       /* from --smtp-password-file (first line, no newline) or NULL; owned */
	const char *from;     /* "Name <addr>" or "addr" */
	char from_addr[256];  /* the bare address of from, for MAIL FROM */
	const char *ca_file;  /* PEM CA file, NULL: system store. Peer and host ALWAYS verified */
	long timeout_s;       /* the whole SMTP transaction, default 60 */
};

/* From cfg (smtp_url, smtp_password_file, smtp_ca_file, mail_from): checks
 * the URL (smtp or smtps, a host, no query; a user name in it when a
 * password file is given), reads the password file, parses from. Returns 0,
 * or -1 with a one-line reason for a person in err (never the password).
 * mc keeps pointers into cfg, which must outlive it. Free with
 * mail_config_free (also after a failure). Any thread; touches no global. */
int mail_config_init(struct mail_config *mc, const struct config *cfg, char *err, size_t errlen);
/* Wipes and frees the password. Accepts a zeroed or already-freed mc. */
void mail_config_free(struct mail_config *mc);

struct mail_msg {
	const char *to;       /* bare address */
	const char *subject;  /* UTF-8, one line */
	const char *text;     /* UTF-8 plain text, LF line ends */
	const char *html;     /* UTF-8 complete simple HTML document, or NULL (text only) */
	const char *lang;     /* "en" / "km": Content-Language (NULL: no such header) */
};

/* Appends to out the whole message with CRLF line ends: Date (from now,
 * Unix seconds, in UTC), From, To, Subject (RFC 2047 encoded-words, UTF-8
 * B, when not plain ASCII or too long; folded at 78), Message-ID
 * (<random@domain-of-from>), MIME-Version, Content-Language,
 * Auto-Submitted: auto-generated, then multipart/alternative with text/plain
 * and text/html (charset=UTF-8, base64 in lines of 76), or text/plain alone
 * when html is NULL. Nothing else: no tracking header, no product name.
 * Refuses (-1, err) a CR, LF or other control character in to or subject,
 * an address without '@' or with spaces, commas or non-ASCII, invalid
 * UTF-8 in subject, text or html, and a language tag that is not one.
 * out may hold a partial message after -1. Any thread. */
int mail_compose(struct buf *out, const struct mail_config *mc, const struct mail_msg *m,
		 int64_t now, char *err, size_t errlen);

enum mail_result {
	MAIL_SENT = 0,     /* the relay answered 250 to the message */
	MAIL_RETRY = 1,    /* try again later: cannot connect, TLS/handshake/timeout, 4xx, auth failure
			    * (the operator may fix the password), anything not surely permanent */
	MAIL_REJECTED = 2  /* permanent: 5xx for this recipient/message (e.g. 550 no such user) */
};

/* One libcurl easy handle; keeps the connection to the relay open between
 * messages (libcurl drops it after 118 s idle, or when the relay closed it,
 * and reconnects by itself). */
struct mail_conn;
/* A connection object for mc (which must outlive it); no network traffic
 * until the first mail_send. NULL when out of memory or mc->url is bad. */
struct mail_conn *mail_conn_new(const struct mail_config *mc);
/* Sends msg (mail_compose's output, len bytes) to rcpt: MAIL FROM
 * mc->from_addr, RCPT TO rcpt, DATA. Blocks for at most mc->timeout_s.
 * err gets a one-line reason without the password (the relay's reply code
 * and text when there is one), also on MAIL_SENT (the relay's answer).
 * 5xx to RCPT TO, DATA or the message is MAIL_REJECTED, except answers that
 * are about the sender's rights rather than the recipient (530, 534, 535,
 * 538, a "relay" refusal): those, 4xx and every transport failure are
 * MAIL_RETRY. Not thread-safe per conn; one conn per sender thread. */
enum mail_result mail_send(struct mail_conn *c, const char *rcpt, const char *msg, size_t len,
			   char *err, size_t errlen);
/* Closes the connection (QUIT) and frees c. Accepts NULL. */
void mail_conn_free(struct mail_conn *c);

/* "host[:port]" of the relay, without user or password, for messages to
 * the operator. 0, or -1 (out is "") when mc->url cannot be read. */
int mail_relay_name(const struct mail_config *mc, char *out, size_t outlen);

/* curl_global_init once, main thread at start (before threads). 0 or -1. */
int mail_global_init(void);
void mail_global_cleanup(void);

/* The domain of an address, lower-cased ("" when none), for per-domain
 * pacing: what follows the last '@', without a trailing '>' or '.'. */
void mail_domain(const char *addr, char *out, size_t outlen);

#endif
