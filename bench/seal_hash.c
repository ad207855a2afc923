/* seal_hash.c -- what sealed mode costs per signature: the sealed boxes,
 * the keyed email hash, and Argon2id (crypto_pwhash) as the memory-hard
 * alternative for the duplicate key. Not a test: prints a table.
 *
 * Build and run (from the repository):
 *   cc -O2 -Iserver bench/seal_hash.c server/seal.c server/buf.c \
 *      $(pkg-config --cflags --libs libsodium) -o /tmp/seal_hash && /tmp/seal_hash
 *
 * Each figure is the median of REPS timed runs of a number of operations,
 * in CPU time of one thread (the writer or a request thread does this
 * work on one core).
 * "cores at 1000/s" is the CPU the figure needs at 1,000 signatures a
 * second: above 1.0 a 1-vCPU VPS cannot keep up at all, and whatever it
 * uses is taken from serving pages and committing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "buf.h"
#include "seal.h"

#define REPS 5
#define DASHES "------------------------------------------------------------------"
#define RATE 1000.0 /* signatures a second the figures are read against */

/* A typical signature's personal fields (bench/gen.h's kind: a Khmer
 * name, an address, a comment of a sentence or two). */
static const char name[] = "\xE1\x9E\x9F\xE1\x9E\xBB\xE1\x9E\x81 \xE1\x9E\x8A\xE1\x9E\xB6"
			   "\xE1\x9E\x9A\xE1\x9F\x89\xE1\x9E\xB6 Sok Dara";
static const char email[] = "sok.dara1987@example.org";
static const char comment[] = "We ask for the release of everyone held for speaking. "
			      "Free them now, and let the families visit.";

static double now_s(void)
{
	struct timespec ts;

	/* CPU time of this thread: the cost itself, not the wait for a core
	 * on a shared machine. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, REPS, sizeof *v, cmp);
	return v[REPS / 2];
}

static void row(const char *what, double ms)
{
	printf("| %-64s | %9.4f | %9.0f | %15.3f |\n", what, ms, 1000.0 / ms, ms * RATE / 1000.0);
}

int main(void)
{
	struct seal_public pub;
	struct seal_secret sec;
	struct buf b = BUF_INIT, o = BUF_INIT;
	unsigned char key[SEAL_HASH_KEY_BYTES], pw_out[32], salt[crypto_pwhash_SALTBYTES];
	char h[SEAL_HASH_MAX], err[256];
	double t[REPS], t0;
	size_t clear, sealed;
	int r, i, iter;
	struct {
		const char *what;
		unsigned long long ops;
		size_t mem;
		int iter;
	} pw[] = {
		{ "crypto_pwhash Argon2id, OPSLIMIT_MIN (1), MEMLIMIT_MIN (8 KiB)",
		  crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN, 200 },
		{ "crypto_pwhash Argon2id, OPSLIMIT_MIN (1), 1 MiB",
		  crypto_pwhash_OPSLIMIT_MIN, 1u << 20, 50 },
		{ "crypto_pwhash Argon2id, OPSLIMIT_INTERACTIVE (2), 64 MiB",
		  crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE, 5 },
	};

	if (seal_init() != 0)
		return 1;
	crypto_box_keypair(pub.pk, sec.sk);
	memcpy(sec.pk, pub.pk, 32);
	seal_hash_key_new(key);
	randombytes_buf(salt, sizeof salt);

	printf("libsodium %s; CPU time of one thread; median of %d runs\n\n",
	       sodium_version_string(), REPS);
	printf("| %-64s | %9s | %9s | %15s |\n", "per signature", "ms CPU", "per s", "cores at 1000/s");
	printf("|%.66s|%.11s|%.11s|%.17s|\n", DASHES, DASHES, DASHES, DASHES);

	iter = 2000;
	for (r = 0; r < REPS; r++) {
		t0 = now_s();
		for (i = 0; i < iter; i++) {
			buf_reset(&b);
			seal_box(&pub, name, strlen(name), &b);
			seal_box(&pub, email, strlen(email), &b);
			seal_box(&pub, comment, strlen(comment), &b);
		}
		t[r] = (now_s() - t0) * 1000.0 / iter;
	}
	row("seal_box x3 (name, email, comment: crypto_box_seal+base64)", median(t));
	sealed = b.len;
	clear = strlen(name) + strlen(email) + strlen(comment);

	for (r = 0; r < REPS; r++) {
		t0 = now_s();
		for (i = 0; i < iter; i++) {
			buf_reset(&b);
			seal_box(&pub, comment, strlen(comment), &b);
		}
		t[r] = (now_s() - t0) * 1000.0 / iter;
	}
	row("seal_box x1 (one box: the cost of each further field)", median(t));

	iter = 200000;
	for (r = 0; r < REPS; r++) {
		t0 = now_s();
		for (i = 0; i < iter; i++)
			seal_email_hash(key, email, h);
		t[r] = (now_s() - t0) * 1000.0 / iter;
	}
	row("seal_email_hash (crypto_generichash BLAKE2b-256, keyed)", median(t));

	for (size_t p = 0; p < sizeof pw / sizeof pw[0]; p++) {
		for (r = 0; r < REPS; r++) {
			t0 = now_s();
			for (i = 0; i < pw[p].iter; i++) {
				if (crypto_pwhash(pw_out, sizeof pw_out, email, strlen(email), salt,
						  pw[p].ops, pw[p].mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
					fprintf(stderr, "crypto_pwhash: out of memory\n");
					return 1;
				}
			}
			t[r] = (now_s() - t0) * 1000.0 / pw[p].iter;
		}
		row(pw[p].what, median(t));
	}

	/* The organizers' side: opening a cell of an export. */
	buf_reset(&b);
	seal_box(&pub, comment, strlen(comment), &b);
	iter = 2000;
	for (r = 0; r < REPS; r++) {
		t0 = now_s();
		for (i = 0; i < iter; i++) {
			buf_reset(&o);
			seal_open(&sec, b.data, b.len, &o, err, sizeof err);
		}
		t[r] = (now_s() - t0) * 1000.0 / iter;
	}
	printf("\nseal_open of one cell (unseal, on the organizers' computer): %.4f ms\n", median(t));
	printf("the three fields: %zu bytes clear, %zu bytes sealed (+%zu: 48 bytes of box and\n"
	       "base64 per field, and the \"" SEAL_PREFIX "\" prefixes)\n", clear, sealed,
	       sealed - clear);
	buf_free(&b);
	buf_free(&o);
	sodium_memzero(&sec, sizeof sec);
	return 0;
}
