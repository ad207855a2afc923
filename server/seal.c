/* seal.c -- sealed mode's cryptography with libsodium: key files, sealed
 * boxes, keyed email hashes.
 *
 * crypto_box_seal: an ephemeral X25519 key pair per box, so a box needs
 * only the recipient's public key to make and its secret key to open; the
 * server, which has the public key alone, cannot read what it stored. */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define SEAL_B64 sodium_base64_VARIANT_ORIGINAL
#define SEAL_PATH_MAX 4096

int seal_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void seal_fingerprint(const unsigned char pk[32], char fp[SEAL_FP_MAX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	static const char tag[] = "SHA256:";

	crypto_hash_sha256(h, pk, 32);
	memcpy(fp, tag, sizeof tag - 1);
	sodium_bin2base64(fp + sizeof tag - 1, SEAL_FP_MAX - (sizeof tag - 1), h, sizeof h,
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

void seal_secret_wipe(struct seal_secret *k)
{
	if (k != NULL)
		sodium_memzero(k, sizeof *k);
}

/* Writes all of p[0..n) to fd. 0 or -1 (errno). */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Creates path (refusing an existing one) with mode, writes line, syncs.
 * Returns 0, or -1 with err (created is set when the file was made, so the
 * caller removes it). */
static int write_new(const char *path, mode_t mode, const char *line, int *created, char *err,
		     size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	*created = 0;
	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s exists already: it is not replaced (choose another "
				 "name, or move it away if it is no longer needed)", path);
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	*created = 1;
	/* The mode asked for, whatever the umask (petitiond runs with 077, and
	 * a public key is meant to be handed around). */
	if (fchmod(fd, mode) != 0 || write_all(fd, line, strlen(line)) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Syncs the directory holding path, so the new names survive a crash. */
static void sync_dir_of(const char *path)
{
	char copy[SEAL_PATH_MAX];
	int fd;

	snprintf(copy, sizeof copy, "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int seal_keygen(const char *out, struct seal_public *pub, char *err, size_t errlen)
{
	unsigned char pk[crypto_box_PUBLICKEYBYTES], both[crypto_box_SECRETKEYBYTES + 32];
	char pubpath[SEAL_PATH_MAX], secpath[SEAL_PATH_MAX];
	char line[sizeof SEAL_SECRET_TAG + sodium_base64_ENCODED_LEN(64, SEAL_B64) + 2];
	int made_pub = 0, made_sec = 0, rc = -1;
	size_t n;

	if (snprintf(pubpath, sizeof pubpath, "%s.public", out) >= (int)sizeof pubpath ||
	    snprintf(secpath, sizeof secpath, "%s.secret", out) >= (int)sizeof secpath) {
		snprintf(err, errlen, "the name %s is too long", out);
		return -1;
	}
	/* Neither file may exist: checked before anything is made, so a
	 * refusal leaves no half pair behind. (O_EXCL below still decides.) */
	if (access(pubpath, F_OK) == 0 || access(secpath, F_OK) == 0) {
		snprintf(err, errlen, "%s exists already: it is not replaced (choose another "
			 "name, or move the old pair away if it is no longer needed)",
			 access(pubpath, F_OK) == 0 ? pubpath : secpath);
		return -1;
	}
	crypto_box_keypair(pk, both);
	memcpy(both + crypto_box_SECRETKEYBYTES, pk, 32);
	/* The secret first: a pair whose secret half could not be written
	 * must leave no public half that a server could be given. */
	n = (size_t)snprintf(line, sizeof line, "%s ", SEAL_SECRET_TAG);
	sodium_bin2base64(line + n, sizeof line - n, both, sizeof both, SEAL_B64);
	n = strlen(line);
	line[n++] = '\n';
	line[n] = '\0';
	if (write_new(secpath, 0600, line, &made_sec, err, errlen) != 0)
		goto out;
	n = (size_t)snprintf(line, sizeof line, "%s ", SEAL_PUBLIC_TAG);
	sodium_bin2base64(line + n, sizeof line - n, pk, sizeof pk, SEAL_B64);
	n = strlen(line);
	line[n++] = '\n';
	line[n] = '\0';
	if (write_new(pubpath, 0644, line, &made_pub, err, errlen) != 0)
		goto out;
	sync_dir_of(secpath);
	memcpy(pub->pk, pk, sizeof pk);
	seal_fingerprint(pk, pub->fp);
	rc = 0;
out:
	if (rc != 0) {
		if (made_pub)
			unlink(pubpath);
		if (made_sec)
			unlink(secpath);
	}
	sodium_memzero(both, sizeof both);
	sodium_memzero(line, sizeof line);
	return rc;
}

/* Reads the key file at path: its tag (the first word) into tag and the
 * decoded key after it into key[0..want). Returns 0, 1 when the tag is not
 * expect (tag holds it), or -1 with err. */
static int load_key(const char *path, const char *expect, char *tag, size_t taglen,
		    unsigned char *key, size_t want, char *err, size_t errlen)
{
	char text[SEAL_KEYFILE_MAX + 1];
	const char *sp, *b64;
	size_t n = 0, got = 0, blen;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	ssize_t r;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (n < sizeof text - 1 && (r = read(fd, text + n, sizeof text - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			close(fd);
			goto out;
		}
		n += (size_t)r;
	}
	close(fd);
	text[n] = '\0';
	if (n == sizeof text - 1 || memchr(text, '\0', n) != NULL) {
		snprintf(err, errlen, "%s is not a petitiond key file (made by petitiond keygen)",
			 path);
		goto out;
	}
	/* One line; its end (LF or CRLF, as an editor may leave it) is not
	 * part of the key. */
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		text[--n] = '\0';
	sp = strchr(text, ' ');
	if (sp == NULL || strncmp(text, "petitiond-seal-", 15) != 0) {
		snprintf(err, errlen, "%s is not a petitiond key file (made by petitiond keygen)",
			 path);
		goto out;
	}
	snprintf(tag, taglen, "%.*s", (int)(sp - text), text);
	if (strcmp(tag, expect) != 0) {
		rc = 1;
		goto out;
	}
	b64 = sp + 1;
	blen = strlen(b64);
	if (sodium_base642bin(key, want, b64, blen, NULL, &got, NULL, SEAL_B64) != 0 ||
	    got != want) {
		snprintf(err, errlen, "%s is damaged: its key is not %zu bytes of base64", path,
			 want);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof text);
	return rc;
}

int seal_load_public(const char *path, struct seal_public *k, char *err, size_t errlen)
{
	char tag[64];
	int rc = load_key(path, SEAL_PUBLIC_TAG, tag, sizeof tag, k->pk, sizeof k->pk, err,
			  errlen);

	if (rc == 1) {
		if (strcmp(tag, SEAL_SECRET_TAG) == 0)
			snprintf(err, errlen, "%s is a SECRET key: the server needs the .public "
				 "file. The secret key must never be on the server (whoever takes "
				 "the server would open every sealed signature with it): remove it "
				 "from this machine if it is the server", path);
		else
			snprintf(err, errlen, "%s is not a public key of this version (%s)", path,
				 tag);
		return -1;
	}
	if (rc != 0)
		return -1;
	seal_fingerprint(k->pk, k->fp);
	return 0;
}

int seal_load_secret(const char *path, struct seal_secret *k, char *err, size_t errlen)
{
	unsigned char both[64], check[32];
	char tag[64];
	int rc = load_key(path, SEAL_SECRET_TAG, tag, sizeof tag, both, sizeof both, err, errlen);

	if (rc == 1) {
		if (strcmp(tag, SEAL_PUBLIC_TAG) == 0)
			snprintf(err, errlen, "%s is the PUBLIC key: opening needs the .secret file "
				 "of the pair", path);
		else
			snprintf(err, errlen, "%s is not a secret key of this version (%s)", path,
				 tag);
		rc = -1;
	}
	if (rc == 0) {
		/* The public half must be the one the secret half gives: a
		 * damaged file would otherwise fail on every cell, unexplained. */
		crypto_scalarmult_base(check, both);
		if (sodium_memcmp(check, both + 32, 32) != 0) {
			snprintf(err, errlen, "%s is damaged: its two halves do not match", path);
			rc = -1;
		} else {
			memcpy(k->sk, both, 32);
			memcpy(k->pk, both + 32, 32);
			seal_fingerprint(k->pk, k->fp);
		}
	}
	sodium_memzero(both, sizeof both);
	return rc;
}

int seal_box(const struct seal_public *k, const char *plain, size_t len, struct buf *out)
{
	unsigned char *box;
	size_t blen, elen, start = out->len;

	if (len > SEAL_PLAIN_MAX)
		return -1;
	blen = len + crypto_box_SEALBYTES;
	elen = sodium_base64_ENCODED_LEN(blen, SEAL_B64);
	box = malloc(blen);
	if (box == NULL || buf_puts(out, SEAL_PREFIX) != 0 || buf_reserve(out, elen) != 0) {
		free(box);
		out->oom = 1;
		return -1;
	}
	if (crypto_box_seal(box, (const unsigned char *)plain, len, k->pk) != 0) {
		free(box);
		out->len = start;
		out->data[start] = '\0';
		return -1;
	}
	sodium_bin2base64(out->data + out->len, elen, box, blen, SEAL_B64);
	out->len += elen - 1;
	free(box);
	return 0;
}

int seal_is_sealed(const char *cell, size_t len)
{
	return len >= SEAL_PREFIX_LEN && memcmp(cell, SEAL_PREFIX, SEAL_PREFIX_LEN) == 0;
}

int seal_open(const struct seal_secret *k, const char *cell, size_t len, struct buf *out,
	      char *err, size_t errlen)
{
	unsigned char *box = NULL;
	size_t blen = 0, max;

	if (!seal_is_sealed(cell, len)) {
		snprintf(err, errlen, "not a sealed cell (no \"" SEAL_PREFIX "\" in front)");
		return -1;
	}
	cell += SEAL_PREFIX_LEN;
	len -= SEAL_PREFIX_LEN;
	max = len / 4 * 3 + 3;
	if (len > 4 * ((SEAL_PLAIN_MAX + crypto_box_SEALBYTES + 2) / 3)) {
		snprintf(err, errlen, "damaged sealed cell: longer than any sealed field");
		return -1;
	}
	box = malloc(max);
	if (box == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sodium_base642bin(box, max, cell, len, NULL, &blen, NULL, SEAL_B64) != 0 ||
	    blen < crypto_box_SEALBYTES) {
		snprintf(err, errlen, "damaged sealed cell: not a sealed box in base64");
		goto fail;
	}
	if (buf_reserve(out, blen - crypto_box_SEALBYTES) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (crypto_box_seal_open((unsigned char *)out->data + out->len, box, blen, k->pk,
				 k->sk) != 0) {
		snprintf(err, errlen, "a sealed cell does not open with this key (key %s): it was "
			 "sealed for another key, or it was altered", k->fp);
		goto fail;
	}
	out->len += blen - crypto_box_SEALBYTES;
	out->data[out->len] = '\0';
	free(box);
	return 0;
fail:
	free(box);
	return -1;
}

int seal_hash_key_new(unsigned char key[SEAL_HASH_KEY_BYTES])
{
	if (seal_init() != 0)
		return -1;
	randombytes_buf(key, SEAL_HASH_KEY_BYTES);
	return 0;
}

void seal_email_hash(const unsigned char key[SEAL_HASH_KEY_BYTES], const char *email_norm,
		     char out[SEAL_HASH_MAX])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof h, (const unsigned char *)email_norm, strlen(email_norm), key,
			   SEAL_HASH_KEY_BYTES);
	memcpy(out, SEAL_HASH_PREFIX, 2);
	sodium_bin2hex(out + 2, SEAL_HASH_MAX - 2, h, sizeof h);
}
