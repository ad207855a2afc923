/* auth.h -- secrets: random tokens, SHA-256 hashes, HMAC form tokens,
 * constant-time comparison. Built on nettle (see README for why). */
#ifndef PETITIOND_AUTH_H
#define PETITIOND_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_HEX 64        /* SHA-256 as lower-case hex, without NUL */
#define AUTH_TOKEN_BYTES 24     /* generated admin tokens: 192 bits */
#define AUTH_MIN_TOKEN_CHARS 20 /* shorter --admin-token values are refused */
#define AUTH_FORM_TOKEN_MAX 64  /* "<unix seconds>.<32 hex>" */

/* Fills p with n bytes from the kernel's CSPRNG. Returns 0 or -1. */
int auth_random(void *p, size_t n);
/* Writes 2*n lower-case hex digits and a NUL to out. */
void auth_hex(char *out, const unsigned char *p, size_t n);
/* SHA-256 of s[0..n) as hex into out[AUTH_HASH_HEX + 1]. */
void auth_sha256_hex(char *out, const void *s, size_t n);
/* Constant-time equality of two equal-length byte strings. */
int auth_equal(const void *a, const void *b, size_t n);

/* Admin token check: sets the expected hash (hex) once at start-up. */
void auth_set_admin_hash(const char *hex);
/* 1 when token hashes to the admin hash; compared in constant time. */
int auth_admin_ok(const char *token, size_t len);

/* Form tokens: "<issued unix seconds>.<HMAC-SHA256(key, seconds) first 16 bytes hex>". */
void auth_set_form_key(const unsigned char *key, size_t n);
void auth_form_token(char out[AUTH_FORM_TOKEN_MAX], int64_t now);
/* Returns the issue time of a genuine token, or -1 when it is forged or malformed. */
int64_t auth_form_token_time(const char *tok, size_t len);

#endif
