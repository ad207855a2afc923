/* auth.h -- secrets: random tokens, SHA-256 hashes, HMAC form tokens,
 * constant-time comparison. Built on nettle (see README for why). */
#ifndef PETITIOND_AUTH_H
#define PETITIOND_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_HEX 64        /* SHA-256 as lower-case hex, without NUL */
#define AUTH_TOKEN_BYTES 24     /* generated admin tokens: 192 bits */
#define AUTH_SESSION_BYTES 32   /* admin session ids (the sign-in cookie): 256 bits */
#define AUTH_MIN_TOKEN_CHARS 20 /* shorter --admin-token values are refused */
#define AUTH_FORM_TOKEN_MAX 64  /* "<unix milliseconds>.<32 hex>" */

/* Fills p with n bytes from the kernel's CSPRNG. Returns 0 or -1. */
int auth_random(void *p, size_t n);
/* Writes 2*n lower-case hex digits and a NUL to out. */
void auth_hex(char *out, const unsigned char *p, size_t n);
/* SHA-256 of s[0..n) as hex into out[AUTH_HASH_HEX + 1]. */
void auth_sha256_hex(char *out, const void *s, size_t n);
/* Constant-time equality of two equal-length byte strings. */
int auth_equal(const void *a, const void *b, size_t n);

/* Clients (rate limit, admin back-off, connection slots, log lines) are
 * named by a keyed hash of their address: HMAC-SHA256 with a key drawn at
 * start, cut to 64 bits (never 0). Without the key, which never leaves the
 * process, no address can be tested against a hash; after a restart the
 * same client has another name. auth_client_key_init: start-up only, 0 or
 * -1. auth_client_hash: any thread, 0 before the key is drawn. */
int auth_client_key_init(void);
uint64_t auth_client_hash(const void *p, size_t n);

/* Admin tokens and session ids are never compared as they are: each is
 * hashed (auth_sha256_hex) and the hash looked up among the accounts'
 * (store_admin_by_token), so the work done does not depend on how much of
 * a guess is right. */

/* Form tokens: "<issued unix ms>.<HMAC-SHA256(key, "form-ms:<ms>") first 16
 * bytes hex>", so the fill time is measured in milliseconds. The key is set
 * once at start-up (auth_set_form_key); the others: any thread. */
void auth_set_form_key(const unsigned char *key, size_t n);
void auth_form_token(char out[AUTH_FORM_TOKEN_MAX], int64_t now_ms);
/* The issue time (Unix ms) of a genuine token, or -1 when it is forged or
 * malformed. Tokens of the format before 0.3, "<unix seconds>.<HMAC of
 * "form:<seconds>">" (at most 11 digits), are still accepted, as issued
 * at the start of their second: pages loaded before an upgrade still sign. */
int64_t auth_form_token_time(const char *tok, size_t len);

#endif
