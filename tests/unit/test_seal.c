/* test_seal.c -- unit tests for seal.c: sealed boxes open back exactly
 * (Latin, Khmer, emoji, empty), only with their key, and never when
 * altered; keyed email hashes; key files written, read back, and refused
 * when wrong or damaged. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "csv.h"
#include "seal.h"
#include "tap.h"

static char dir[] = "/tmp/test_seal.XXXXXX";

static void path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void write_text(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	path_in(p, sizeof p, name);
	f = fopen(p, "wb");
	if (f == NULL) {
		printf("# cannot write %s: %s\n", p, strerror(errno));
		return;
	}
	fputs(text, f);
	fclose(f);
}

static size_t read_text(const char *name, char *out, size_t len)
{
	char p[256];
	FILE *f;
	size_t n;

	path_in(p, sizeof p, name);
	f = fopen(p, "rb");
	if (f == NULL)
		return 0;
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	return n;
}

static unsigned mode_of(const char *name)
{
	char p[256];
	struct stat sb;

	path_in(p, sizeof p, name);
	return stat(p, &sb) == 0 ? (unsigned)(sb.st_mode & 0777) : 0;
}

static int exists(const char *name)
{
	char p[256];

	path_in(p, sizeof p, name);
	return access(p, F_OK) == 0;
}

/* Seals plain with pub, opens it with sec: the same bytes come back. */
static void round_trip(const struct seal_public *pub, const struct seal_secret *sec,
		       const char *plain, size_t len, const char *what)
{
	struct buf box = BUF_INIT, out = BUF_INIT;
	char err[256] = "";
	size_t i;
	int base64 = 1;

	ok(seal_box(pub, plain, len, &box) == 0, "%s: sealed", what);
	ok(seal_is_sealed(box.data, box.len), "%s: the cell starts with " SEAL_PREFIX, what);
	for (i = SEAL_PREFIX_LEN; i < box.len; i++) {
		char c = box.data[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			base64 = 0;
	}
	ok(base64 && box.len >= SEAL_PREFIX_LEN + 64, "%s: then base64 of a box (%zu bytes)", what,
	   box.len);
	ok(seal_open(sec, box.data, box.len, &out, err, sizeof err) == 0, "%s: opens (%s)", what,
	   err);
	is_mem(out.data ? out.data : "", out.len, plain, len, "%s: the same bytes come back", what);
	buf_free(&box);
	buf_free(&out);
}

static void test_boxes(const struct seal_public *pub, const struct seal_secret *sec,
		       const struct seal_public *pub2, const struct seal_secret *sec2)
{
	static const char khmer[] = "\xE1\x9E\x9F\xE1\x9E\xBB\xE1\x9E\x81 \xE1\x9E\x8A\xE1\x9E\xB6"
				    "\xE1\x9E\x9A\xE1\x9F\x89\xE1\x9E\xB6 "
				    "\xE1\x9E\x85\xE1\x9F\x92\xE1\x9E\x9A\xE1\x9E\xB6";
	/* (សុខ ដារ៉ា ច្រា, with a COENG and a vowel sign) */
	static const char emoji[] = "Dara \xF0\x9F\x87\xB0\xF0\x9F\x87\xAD \xF0\x9F\x91\xA9\xE2\x80"
				    "\x8D\xF0\x9F\x8C\xBE \xE2\x9D\xA4\xEF\xB8\x8F";
	static const char formula[] = "=HYPERLINK(\"http://x\";\"y\")";
	struct buf a = BUF_INIT, b = BUF_INIT, out = BUF_INIT, cell = BUF_INIT;
	char err[256], big[SEAL_PLAIN_MAX + 2];
	char *bad;

	round_trip(pub, sec, "Sok Dara", 8, "Latin name");
	round_trip(pub, sec, khmer, strlen(khmer), "Khmer name");
	round_trip(pub, sec, emoji, strlen(emoji), "emoji and a ZWJ sequence");
	round_trip(pub, sec, "", 0, "empty");
	round_trip(pub, sec, formula, strlen(formula), "a formula (opened as it was)");
	round_trip(pub, sec, "a\0b", 3, "a NUL inside");

	/* Each box has its own ephemeral key: the same text seals differently. */
	seal_box(pub, "same", 4, &a);
	seal_box(pub, "same", 4, &b);
	ok(a.len == b.len && memcmp(a.data, b.data, a.len) != 0,
	   "two boxes of the same text differ (nothing links two signers with one name)");

	/* Only the key pair's secret opens it. */
	err[0] = '\0';
	ok(seal_open(sec2, a.data, a.len, &out, err, sizeof err) == -1 && err[0] != '\0',
	   "another secret key does not open it, with a reason (%s)", err);
	ok(out.len == 0, "and nothing was written");

	/* Altered in any byte: refused. */
	bad = strdup(a.data);
	bad[SEAL_PREFIX_LEN + 10] = bad[SEAL_PREFIX_LEN + 10] == 'A' ? 'B' : 'A';
	ok(seal_open(sec, bad, a.len, &out, err, sizeof err) == -1, "one base64 digit changed: "
	   "refused (%s)", err);
	free(bad);
	ok(seal_open(sec, a.data, a.len - 4, &out, err, sizeof err) == -1,
	   "cut short: refused (%s)", err);
	bad = strdup(a.data);
	bad[SEAL_PREFIX_LEN + 3] = '*';
	ok(seal_open(sec, bad, a.len, &out, err, sizeof err) == -1, "not base64: refused (%s)",
	   err);
	free(bad);
	ok(seal_open(sec, "sealed:AAAA", 11, &out, err, sizeof err) == -1,
	   "shorter than any box: refused (%s)", err);
	ok(seal_open(sec, a.data + 1, a.len - 1, &out, err, sizeof err) == -1,
	   "without its prefix: refused (%s)", err);
	ok(out.len == 0, "no refusal wrote anything");

	ok(seal_is_sealed("sealed:", 7) && !seal_is_sealed("sealed", 6) &&
	   !seal_is_sealed("Sealed:x", 8) && !seal_is_sealed("", 0),
	   "seal_is_sealed: the exact prefix only");

	/* The CSV export writes a sealed cell as it is: never guarded (the
	 * prefix keeps base64's '+' and '=' out of first place) nor quoted. */
	csv_cell(&cell, a.data, a.len, 1);
	is_mem(cell.data, cell.len, a.data, a.len, "a sealed cell passes the CSV writer unchanged");

	memset(big, 'x', sizeof big);
	buf_reset(&b);
	ok(seal_box(pub, big, SEAL_PLAIN_MAX + 1, &b) == -1 && b.len == 0,
	   "more than SEAL_PLAIN_MAX bytes: refused");
	buf_reset(&b);
	ok(seal_box(pub2, big, SEAL_PLAIN_MAX, &b) == 0 &&
	   seal_open(sec2, b.data, b.len, &out, err, sizeof err) == 0 && out.len == SEAL_PLAIN_MAX,
	   "SEAL_PLAIN_MAX bytes: sealed and opened");
	buf_free(&a);
	buf_free(&b);
	buf_free(&out);
	buf_free(&cell);
}

static void test_hash(void)
{
	unsigned char k1[SEAL_HASH_KEY_BYTES], k2[SEAL_HASH_KEY_BYTES];
	char a[SEAL_HASH_MAX], b[SEAL_HASH_MAX], c[SEAL_HASH_MAX], d[SEAL_HASH_MAX];
	size_t i;
	int hex = 1;

	ok(seal_hash_key_new(k1) == 0 && seal_hash_key_new(k2) == 0 && memcmp(k1, k2, sizeof k1),
	   "hash keys are drawn at random");
	seal_email_hash(k1, "dara@example.org", a);
	seal_email_hash(k1, "dara@example.org", b);
	seal_email_hash(k2, "dara@example.org", c);
	seal_email_hash(k1, "dara@example.com", d);
	is_str(a, b, "the same address under one key: the same hash");
	ok(strcmp(a, c) != 0, "another key: another hash");
	ok(strcmp(a, d) != 0, "another address: another hash");
	for (i = 2; i < strlen(a); i++)
		hex &= (a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f');
	ok(strncmp(a, SEAL_HASH_PREFIX, 2) == 0 && strlen(a) == SEAL_HASH_MAX - 1 && hex,
	   "\"h:\" and 64 hex digits (%s)", a);
	/* BLAKE2b-256 keyed (crypto_generichash), checked against Python's
	 * hashlib.blake2b(data, digest_size=32, key=key): a change of algorithm
	 * would orphan every stored hash, so it must fail here first. */
	memset(k1, 0, sizeof k1);
	seal_email_hash(k1, "abc", a);
	is_str(a, "h:bad705ff155af631f38dc6cafdda827a31595c802f3ff585c10691c58944d89b",
	       "the hash is BLAKE2b-256 keyed (zero key, \"abc\")");
	for (i = 0; i < sizeof k1; i++)
		k1[i] = (unsigned char)i;
	seal_email_hash(k1, "dara@example.org", a);
	is_str(a, "h:1a0817e53480bf780da10d74681126eec5f888681fa25a3d31f07b2959339962",
	       "the hash is BLAKE2b-256 keyed (key 00..1f, an address)");
}

static void test_keyfiles(void)
{
	struct seal_public pub, lp, tmp;
	struct seal_secret sec, tmps;
	char out[256], err[512], text[1024], again[1024];
	unsigned char zero[32] = { 0 };

	path_in(out, sizeof out, "k");
	err[0] = '\0';
	ok(seal_keygen(out, &pub, err, sizeof err) == 0, "keygen writes a pair (%s)", err);
	ok(exists("k.public") && exists("k.secret"), "k.public and k.secret exist");
	is_int(mode_of("k.secret"), 0600, "the secret key is 0600");
	is_int(mode_of("k.public"), 0644, "the public key is 0644");
	ok(strncmp(pub.fp, "SHA256:", 7) == 0 && strlen(pub.fp) == 7 + 43, "fingerprint %s",
	   pub.fp);
	read_text("k.public", text, sizeof text);
	ok(strncmp(text, SEAL_PUBLIC_TAG " ", strlen(SEAL_PUBLIC_TAG) + 1) == 0 &&
	   strchr(text, '\n') == text + strlen(text) - 1, "the public file is one line");
	read_text("k.secret", again, sizeof again);
	ok(strncmp(again, SEAL_SECRET_TAG " ", strlen(SEAL_SECRET_TAG) + 1) == 0 &&
	   strlen(again) == strlen(SEAL_SECRET_TAG) + 1 + 88 + 1, "the secret file is one line");

	/* Never replaced. */
	err[0] = '\0';
	ok(seal_keygen(out, &tmp, err, sizeof err) == -1 && strstr(err, "exists") != NULL,
	   "keygen refuses an existing pair (%s)", err);
	read_text("k.public", again, sizeof again);
	is_str(again, text, "and the public file is unchanged");
	path_in(out, sizeof out, "half");
	write_text("half.secret", "keep me\n");
	ok(seal_keygen(out, &tmp, err, sizeof err) == -1 && !exists("half.public"),
	   "an existing OUT.secret alone: refused, no OUT.public left behind");
	read_text("half.secret", again, sizeof again);
	is_str(again, "keep me\n", "and OUT.secret is unchanged");
	write_text("half2.public", "keep\n");
	path_in(out, sizeof out, "half2");
	ok(seal_keygen(out, &tmp, err, sizeof err) == -1 && !exists("half2.secret"),
	   "an existing OUT.public alone: refused, no OUT.secret left behind");
	path_in(out, sizeof out, "no-such-dir/k");
	ok(seal_keygen(out, &tmp, err, sizeof err) == -1, "a missing directory: refused (%s)", err);

	/* Read back. */
	path_in(out, sizeof out, "k.public");
	ok(seal_load_public(out, &lp, err, sizeof err) == 0 && memcmp(lp.pk, pub.pk, 32) == 0,
	   "the public key reads back");
	is_str(lp.fp, pub.fp, "with the same fingerprint");
	path_in(out, sizeof out, "k.secret");
	ok(seal_load_secret(out, &sec, err, sizeof err) == 0 && memcmp(sec.pk, pub.pk, 32) == 0,
	   "the secret key reads back, its public half the pair's");
	is_str(sec.fp, pub.fp, "the secret key's fingerprint is the pair's");
	ok(seal_load_public(out, &tmp, err, sizeof err) == -1 && strstr(err, "SECRET") &&
	   strstr(err, "server"), "a secret key given as the public one: refused, saying so (%s)",
	   err);
	path_in(out, sizeof out, "k.public");
	ok(seal_load_secret(out, &tmps, err, sizeof err) == -1 && strstr(err, "PUBLIC"),
	   "a public key given as the secret one: refused, saying so (%s)", err);

	/* A box for the file's key opens with the file's secret. */
	round_trip(&lp, &sec, "through the files", 17, "keys from the files");

	/* Editors' line ends, and none. */
	text[strlen(text) - 1] = '\0';
	write_text("crlf.public", text);
	path_in(out, sizeof out, "crlf.public");
	ok(seal_load_public(out, &tmp, err, sizeof err) == 0 && memcmp(tmp.pk, pub.pk, 32) == 0,
	   "no final newline: read");
	strcat(text, "\r\n");
	write_text("crlf.public", text);
	ok(seal_load_public(out, &tmp, err, sizeof err) == 0 && memcmp(tmp.pk, pub.pk, 32) == 0,
	   "CRLF: read");

	/* Refusals. */
	{
		static const struct {
			const char *text, *what, *want;
		} bad[] = {
			{ "", "an empty file", "not a petitiond key" },
			{ "hello world\n", "another file", "not a petitiond key" },
			{ "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG\n", "an ssh key", "not a petitiond key" },
			{ "petitiond-seal-public-2 AAAA\n", "a later version", "version" },
			{ "petitiond-seal-public-1 not*base64\n", "not base64", "damaged" },
			{ "petitiond-seal-public-1 AAAA\n", "a short key", "damaged" },
			{ "petitiond-seal-public-1 "
			  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
			  "a long key", "damaged" },
			{ "petitiond-seal-public-1\n", "no key", "not a petitiond key" },
		};
		size_t i;

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			write_text("bad.public", bad[i].text);
			path_in(out, sizeof out, "bad.public");
			err[0] = '\0';
			ok(seal_load_public(out, &tmp, err, sizeof err) == -1 &&
			   strstr(err, bad[i].want) != NULL, "%s: refused (%s)", bad[i].what, err);
		}
	}
	path_in(out, sizeof out, "none.public");
	ok(seal_load_public(out, &tmp, err, sizeof err) == -1 && strstr(err, "cannot open"),
	   "a missing file: refused (%s)", err);
	/* A secret whose public half was damaged: refused, not loaded. */
	read_text("k.secret", again, sizeof again);
	again[strlen(SEAL_SECRET_TAG) + 1 + 60] ^= 1; /* a digit in the public half */
	write_text("dmg.secret", again);
	path_in(out, sizeof out, "dmg.secret");
	memset(&tmps, 0, sizeof tmps);
	ok(seal_load_secret(out, &tmps, err, sizeof err) == -1 && strstr(err, "damaged") &&
	   memcmp(tmps.sk, zero, 32) == 0, "a damaged secret key: refused, nothing loaded (%s)",
	   err);
	seal_secret_wipe(&sec);
	ok(memcmp(sec.sk, zero, 32) == 0, "seal_secret_wipe clears the secret");
}

static void cleanup(void)
{
	static const char *const names[] = { "k.public", "k.secret", "half.secret", "half2.public",
					     "crlf.public", "bad.public", "dmg.secret" };
	char p[256];
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		path_in(p, sizeof p, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	struct seal_public pub, pub2;
	struct seal_secret sec, sec2;
	char p[256], err[256];

	ok(seal_init() == 0, "libsodium starts");
	if (mkdtemp(dir) == NULL) {
		printf("# mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	path_in(p, sizeof p, "a");
	seal_keygen(p, &pub, err, sizeof err);
	path_in(p, sizeof p, "a.secret");
	seal_load_secret(p, &sec, err, sizeof err);
	path_in(p, sizeof p, "b");
	seal_keygen(p, &pub2, err, sizeof err);
	path_in(p, sizeof p, "b.secret");
	seal_load_secret(p, &sec2, err, sizeof err);
	for (const char *n = "a.public\0a.secret\0b.public\0b.secret\0"; *n; n += strlen(n) + 1) {
		path_in(p, sizeof p, n);
		unlink(p);
	}
	test_boxes(&pub, &sec, &pub2, &sec2);
	test_hash();
	test_keyfiles();
	cleanup();
	return done_testing();
}
