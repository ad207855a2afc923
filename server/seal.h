/* seal.h -- sealed mode's cryptography (libsodium): key pairs and their
 * files, sealed boxes for the personal cells, and the keyed hash of an
 * email address that still catches duplicates.
 *
 * The server holds only the public key: it can seal (crypto_box_seal, an
 * anonymous X25519 box) but never open. The secret key stays on an
 * organizer's own computer, where `petitiond unseal` opens exports.
 * Only seal.c includes <sodium.h>. */
#ifndef PETITIOND_SEAL_H
#define PETITIOND_SEAL_H

#include <stddef.h>

#include "buf.h"

/* A sealed cell: SEAL_PREFIX + base64 (standard alphabet, padded) of
 * crypto_box_seal(plain). The prefix keeps base64's leading '+' or '='
 * away from the CSV formula guard, and tells a sealed cell from clear
 * text (no valid name starts with it and a colon). */
#define SEAL_PREFIX "sealed:"
#define SEAL_PREFIX_LEN (sizeof SEAL_PREFIX - 1)
/* A keyed email hash: "h:" + 64 hex digits. */
#define SEAL_HASH_PREFIX "h:"
#define SEAL_HASH_MAX 67                /* "h:" + 64 hex + NUL */
#define SEAL_FP_MAX 64                  /* "SHA256:" + 43 base64 + NUL fits */
#define SEAL_HASH_KEY_BYTES 32
/* The first word of a key file's one line. The "-1" is the format's
 * version: a later format gets a new word, never a new meaning. */
#define SEAL_PUBLIC_TAG "petitiond-seal-public-1"
#define SEAL_SECRET_TAG "petitiond-seal-secret-1"
#define SEAL_KEYFILE_MAX 512            /* bytes a key file may hold */
/* The largest plain text seal_box takes and seal_open gives back: a cell
 * of an export, never more than a comment (1000 characters, 4000 bytes),
 * with room to spare. */
#define SEAL_PLAIN_MAX (64 * 1024)

struct seal_public {
	unsigned char pk[32];
	char fp[SEAL_FP_MAX];     /* seal_fingerprint of pk */
};
struct seal_secret {
	unsigned char pk[32], sk[32];
	char fp[SEAL_FP_MAX];
};

/* sodium_init. Call once at start (main thread) before any other seal_
 * function; calling it again is harmless. Returns 0 or -1. */
int seal_init(void);

/* Writes a new key pair to OUT.public ("petitiond-seal-public-1 BASE64(pk)")
 * and OUT.secret ("petitiond-seal-secret-1 BASE64(sk||pk)"), one line each.
 * Refuses when either file exists (O_EXCL: nothing is replaced; the first
 * is removed again when the second cannot be made). The secret file is
 * 0600, the public one 0644; both are fsync'd, and their directory. Fills
 * *pub (with its fingerprint). The secret key is wiped from memory before
 * returning. Returns 0, or -1 with a message for a person in err. */
int seal_keygen(const char *out, struct seal_public *pub, char *err, size_t errlen);
/* Reads a key file. seal_load_public refuses a secret key file with a
 * message saying so (the secret key must never be on the server).
 * seal_load_secret checks that the public half matches the secret one (a
 * damaged file is refused). Returns 0, or -1 with err. The caller wipes a
 * loaded secret with seal_secret_wipe. */
int seal_load_public(const char *path, struct seal_public *k, char *err, size_t errlen);
int seal_load_secret(const char *path, struct seal_secret *k, char *err, size_t errlen);
void seal_secret_wipe(struct seal_secret *k);
/* The fingerprint of a public key, to compare by eye: "SHA256:" and the
 * unpadded base64 of its SHA-256 (as OpenSSH shows keys). */
void seal_fingerprint(const unsigned char pk[32], char fp[SEAL_FP_MAX]);

/* Appends SEAL_PREFIX + base64(crypto_box_seal(plain[0..len))) to out.
 * len may be 0 (an empty box). Returns 0, or -1 (len over SEAL_PLAIN_MAX,
 * out of memory). Any thread. */
int seal_box(const struct seal_public *k, const char *plain, size_t len, struct buf *out);
/* Whether cell[0..len) starts with SEAL_PREFIX. */
int seal_is_sealed(const char *cell, size_t len);
/* Opens the sealed cell[0..len) and appends the plain bytes to out.
 * Returns 0, or -1 with err: not a sealed cell, damaged (not base64, too
 * short), or made for another key or altered (the box does not open: the
 * two cannot be told apart). Any thread. */
int seal_open(const struct seal_secret *k, const char *cell, size_t len, struct buf *out,
	      char *err, size_t errlen);

/* The duplicate key in sealed mode. seal_hash_key_new draws a random key
 * (0, or -1 when libsodium is not initialised). seal_email_hash writes
 * "h:" + hex(crypto_generichash(32 bytes, email_norm, key)) into out: the
 * same address gives the same hash under one key, and someone without the
 * key cannot test a guessed address. Any thread. */
int seal_hash_key_new(unsigned char key[SEAL_HASH_KEY_BYTES]);
void seal_email_hash(const unsigned char key[SEAL_HASH_KEY_BYTES], const char *email_norm,
		     char out[SEAL_HASH_MAX]);

#endif
