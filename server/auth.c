/* auth.c -- secrets: random tokens, SHA-256, HMAC form tokens, constant-time
 * comparison. Thread-safe after start-up (the keys are written once). */
#include "auth.h"

#include <errno.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

static unsigned char form_key[32];
static size_t form_key_len;
/* The key of auth_client_hash, drawn at every start; the context holds it
 * already absorbed and is copied for each hash. Written once, at start-up. */
static struct hmac_sha256_ctx client_ctx;
static int client_ready;

int auth_random(void *p, size_t n)
{
	unsigned char *q = p;

	while (n > 0) {
		ssize_t r = getrandom(q, n, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		q += r;
		n -= (size_t)r;
	}
	return 0;
}

void auth_hex(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void auth_sha256_hex(char *out, const void *s, size_t n)
{
	struct sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, n, s);
	sha256_digest(&ctx, sizeof d, d);
	auth_hex(out, d, sizeof d);
}

int auth_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;
	size_t i;

	for (i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

void auth_set_form_key(const unsigned char *key, size_t n)
{
	if (n > sizeof form_key)
		n = sizeof form_key;
	memcpy(form_key, key, n);
	form_key_len = n;
}

/* Token times of at most this many digits are seconds (the format before
 * 0.3; milliseconds have 13 digits until the year 2286). */
#define AUTH_FORM_SECONDS_DIGITS 11

/* The MAC of a token issued at t: "form-ms:<t>" for milliseconds, the old
 * "form:<t>" for seconds, so one can never pass for the other. */
static void form_mac(char out[33], long long t, int ms)
{
	struct hmac_sha256_ctx ctx;
	unsigned char d[SHA256_DIGEST_SIZE];
	char msg[40];
	int n = snprintf(msg, sizeof msg, ms ? "form-ms:%lld" : "form:%lld", t);

	hmac_sha256_set_key(&ctx, form_key_len, form_key);
	hmac_sha256_update(&ctx, (size_t)n, (const uint8_t *)msg);
	hmac_sha256_digest(&ctx, sizeof d, d);
	auth_hex(out, d, 16);
}

void auth_form_token(char out[AUTH_FORM_TOKEN_MAX], int64_t now_ms)
{
	char mac[33];

	form_mac(mac, (long long)now_ms, 1);
	snprintf(out, AUTH_FORM_TOKEN_MAX, "%lld.%s", (long long)now_ms, mac);
}

int64_t auth_form_token_time(const char *tok, size_t len)
{
	char mac[33];
	long long t = 0;
	size_t i;

	/* 1 to 18 digits (no overflow), a dot, 32 hex digits; nothing else. */
	for (i = 0; i < len && i < 18 && tok[i] >= '0' && tok[i] <= '9'; i++)
		t = t * 10 + (tok[i] - '0');
	if (i == 0 || i >= len || tok[i] != '.' || len - i - 1 != 32)
		return -1;
	form_mac(mac, t, i > AUTH_FORM_SECONDS_DIGITS);
	if (!auth_equal(mac, tok + i + 1, 32))
		return -1;
	return i > AUTH_FORM_SECONDS_DIGITS ? t : t * 1000;
}

int auth_client_key_init(void)
{
	unsigned char key[32];

	if (auth_random(key, sizeof key) != 0)
		return -1;
	hmac_sha256_set_key(&client_ctx, sizeof key, key);
	memset(key, 0, sizeof key);
	client_ready = 1;
	return 0;
}

uint64_t auth_client_hash(const void *p, size_t n)
{
	struct hmac_sha256_ctx ctx = client_ctx;
	unsigned char d[SHA256_DIGEST_SIZE];
	uint64_t h = 0;
	size_t i;

	if (!client_ready)
		return 0;
	hmac_sha256_update(&ctx, n, p);
	hmac_sha256_digest(&ctx, sizeof d, d);
	for (i = 0; i < 8; i++)
		h = h << 8 | d[i];
	return h ? h : 1;
}
