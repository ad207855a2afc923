/* test_mail.c -- unit tests for mail.c: the settings (URL, password file,
 * sender), the composed message (CRLF only, line lengths, encoded-words and
 * base64 that decode back exactly, header injection refused) and
 * mail_domain. No network: sending is tested end to end (test_mail.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "mail.h"
#include "tap.h"

/* 2026-12-02T14:05:09Z, a Wednesday. */
#define NOW 1796220309

/* A Khmer subject long enough to need several encoded-words ("Please confirm
 * your request" and more, in Khmer: three bytes a character). */
static const char khmer_subject[] =
	"\xe1\x9e\x9f\xe1\x9e\xbc\xe1\x9e\x98\xe1\x9e\x94\xe1\x9e\x89\xe1\x9f\x92\xe1\x9e\x87"
	"\xe1\x9e\xb6\xe1\x9e\x80\xe1\x9f\x8b\xe1\x9e\x9f\xe1\x9f\x86\xe1\x9e\x8e\xe1\x9e\xbe"
	"\xe1\x9e\x9a\xe1\x9e\x94\xe1\x9e\x9f\xe1\x9f\x8b\xe1\x9e\xa2\xe1\x9f\x92\xe1\x9e\x93"
	"\xe1\x9e\x80 \xe1\x9e\x9f\xe1\x9e\xbc\xe1\x9e\x98\xe1\x9e\x94\xe1\x9e\x89\xe1\x9f\x92"
	"\xe1\x9e\x87\xe1\x9e\xb6\xe1\x9e\x80\xe1\x9f\x8b\xe1\x9e\x9f\xe1\x9f\x86\xe1\x9e\x8e"
	"\xe1\x9e\xbe\xe1\x9e\x9a\xe1\x9e\x94\xe1\x9e\x9f\xe1\x9f\x8b\xe1\x9e\xa2\xe1\x9f\x92"
	"\xe1\x9e\x93\xe1\x9e\x80 (2)";
/* "Group" in Khmer, a display name. */
static const char khmer_name[] = "\xe1\x9e\x80\xe1\x9f\x92\xe1\x9e\x9a\xe1\x9e\xbb\xe1\x9e\x98";

/* ------------------------------------------------------------------ */
/* Decoding, written independently of mail.c. */

static int b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 in s[0..n), skipping CR and LF, appending to out. -1 on
 * any other character outside the alphabet or a bad length. */
static int b64_decode(struct buf *out, const char *s, size_t n)
{
	unsigned v = 0;
	int bits = 0, pad = 0, quads = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i], d;

		if (c == '\r' || c == '\n')
			continue;
		quads++;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || (d = b64_val(c)) < 0)
			return -1;
		v = v << 6 | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)(v >> bits & 0xFF));
		}
	}
	return quads % 4 == 0 && pad <= 2 ? 0 : -1;
}

/* The value of header name (unfolded: CRLF SP removed) in the header block
 * of msg, into out. 0 or -1 when absent. */
static int header(const char *msg, const char *name, struct buf *out)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg, *e;
	size_t n = strlen(name);

	buf_reset(out);
	while (p != NULL && end != NULL && p < end) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			for (;;) {
				e = strstr(p, "\r\n");
				buf_append(out, p, (size_t)(e - p));
				if (e[2] == ' ' || e[2] == '\t') {
					p = e + 2;
					continue;
				}
				break;
			}
			buf_cstr(out);
			return 0;
		}
		p = strstr(p, "\r\n");
		if (p != NULL)
			p += 2;
	}
	return -1;
}

/* Decodes the RFC 2047 encoded-words (UTF-8, B) of an unfolded header
 * value: the blanks between two encoded-words are dropped, other text is
 * kept. -1 on a malformed word. */
static int decode_words(const char *v, struct buf *out)
{
	const char *p = v, *w, *q;
	int prev_word = 0;

	buf_reset(out);
	while (*p) {
		w = strstr(p, "=?");
		if (w == NULL) {
			buf_puts(out, p);
			break;
		}
		/* Text between words: kept unless it is blanks between two words. */
		if (!(prev_word && strspn(p, " \t") == (size_t)(w - p)))
			buf_append(out, p, (size_t)(w - p));
		if (strncasecmp(w, "=?UTF-8?B?", 10) != 0)
			return -1;
		q = strstr(w + 10, "?=");
		if (q == NULL || b64_decode(out, w + 10, (size_t)(q - w - 10)) != 0)
			return -1;
		p = q + 2;
		prev_word = 1;
	}
	buf_cstr(out);
	return 0;
}

/* Line checks over the whole message: only CRLF line ends, every line at
 * most max bytes. Returns the longest line, or -1 on a bare CR or LF. */
static long check_lines(const char *s, size_t n)
{
	size_t i, start = 0;
	long longest = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			return -1;
		if (s[i] == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				return -1;
			if ((long)(i - start) > longest)
				longest = (long)(i - start);
			i++;
			start = i + 1;
		}
	}
	return longest;
}

/* The decoded body of the MIME part with content type `type` (its base64
 * after the part's blank line, up to the next "--"), into out. */
static int part_body(const char *msg, const char *type, struct buf *out)
{
	char want[80];
	const char *p, *b, *e;

	buf_reset(out);
	snprintf(want, sizeof want, "Content-Type: %s; charset=UTF-8\r\n"
				    "Content-Transfer-Encoding: base64\r\n\r\n", type);
	p = strstr(msg, want);
	if (p == NULL)
		return -1;
	b = p + strlen(want);
	e = strstr(b, "\r\n--");
	if (e == NULL)
		e = b + strlen(b);
	else
		e += 2;
	if (b64_decode(out, b, (size_t)(e - b)) != 0)
		return -1;
	buf_cstr(out);
	return 0;
}

/* Lines of the base64 body of a part: all but the last exactly 76 long. */
static int b64_lines_ok(const char *msg, const char *type)
{
	char want[80];
	const char *p, *e;
	size_t len;

	snprintf(want, sizeof want, "Content-Type: %s; charset=UTF-8\r\n"
				    "Content-Transfer-Encoding: base64\r\n\r\n", type);
	p = strstr(msg, want);
	if (p == NULL)
		return 0;
	p += strlen(want);
	for (;;) {
		e = strstr(p, "\r\n");
		if (e == NULL)
			return 0;
		len = (size_t)(e - p);
		if (len == 0 || p[0] == '-')
			return 1;
		if (len > 76)
			return 0;
		if (len < 76) { /* the last line: the next one ends the part */
			return e[2] == '-' || (e[2] == '\r' && e[3] == '\n') || e[2] == '\0';
		}
		p = e + 2;
	}
}

static char *crlf(const char *s)
{
	struct buf b = BUF_INIT;

	for (; *s; s++) {
		if (*s == '\n')
			buf_putc(&b, '\r');
		buf_putc(&b, *s);
	}
	return buf_steal(&b, NULL);
}

/* ------------------------------------------------------------------ */

static void init_config(struct config *cfg, const char *url, const char *from)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->smtp_url = url;
	cfg->mail_from = from;
}

static void test_domain(void)
{
	char d[64], small[4];

	mail_domain("Dara@Mail.Example.ORG", d, sizeof d);
	is_str(d, "mail.example.org", "mail_domain: lower-cased domain");
	mail_domain("a@b@Second.Example", d, sizeof d);
	is_str(d, "second.example", "mail_domain: after the last '@'");
	mail_domain("<x@example.org.>", d, sizeof d);
	is_str(d, "example.org", "mail_domain: without a trailing '>' or '.'");
	mail_domain("no-at-sign", d, sizeof d);
	is_str(d, "", "mail_domain: \"\" without '@'");
	mail_domain(NULL, d, sizeof d);
	is_str(d, "", "mail_domain: \"\" for NULL");
	mail_domain("a@example.org", small, sizeof small);
	is_str(small, "exa", "mail_domain: cut to the buffer, NUL-terminated");
}

static int write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return -1;
	fwrite(data, 1, n, f);
	return fclose(f);
}

static void test_config(void)
{
	struct config cfg;
	struct mail_config mc;
	char err[MAIL_ERR_BYTES], dir[] = "/tmp/test_mail.XXXXXX", pw[300], name[300];

	init_config(&cfg, "smtp://relay.example.org:587", "Sender <s@Example.org>");
	is_int(mail_config_init(&mc, &cfg, err, sizeof err), 0, "config: smtp:// URL and a named sender");
	is_str(mc.from_addr, "s@Example.org", "config: the bare sender address");
	ok(mc.password == NULL, "config: no password without a file");
	is_int(mc.timeout_s, 60, "config: timeout 60 s by default");
	mail_relay_name(&mc, name, sizeof name);
	is_str(name, "relay.example.org:587", "relay name: host and port");
	mail_config_free(&mc);

	init_config(&cfg, "smtps://user:hunter2@relay.example.org", "s@example.org");
	is_int(mail_config_init(&mc, &cfg, err, sizeof err), 0, "config: smtps:// and a bare sender");
	is_str(mc.from_addr, "s@example.org", "config: bare sender kept");
	mail_relay_name(&mc, name, sizeof name);
	is_str(name, "relay.example.org", "relay name: never the user or password");
	mail_config_free(&mc);

	init_config(&cfg, "http://relay.example.org", "s@example.org");
	ok(mail_config_init(&mc, &cfg, err, sizeof err) == -1 && strstr(err, "scheme") != NULL,
	   "config: http:// refused with a reason (%s)", err);
	mail_config_free(&mc);
	init_config(&cfg, "smtp://relay.example.org/?x=1", "s@example.org");
	ok(mail_config_init(&mc, &cfg, err, sizeof err) == -1, "config: a query refused (%s)", err);
	mail_config_free(&mc);
	init_config(&cfg, "smtp://relay.example.org", "Name <no-at-sign>");
	ok(mail_config_init(&mc, &cfg, err, sizeof err) == -1 && strstr(err, "--mail-from") != NULL,
	   "config: a sender without '@' refused (%s)", err);
	mail_config_free(&mc);
	init_config(&cfg, "smtp://relay.example.org", "Name <a@b.example");
	ok(mail_config_init(&mc, &cfg, err, sizeof err) == -1, "config: '<' without '>' refused");
	mail_config_free(&mc);

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(pw, sizeof pw, "%s/pw", dir);
	write_file(pw, "s3cret pass\r\nsecond line\n", 25);
	init_config(&cfg, "smtp://relay.example.org", "s@example.org");
	cfg.smtp_password_file = pw;
	ok(mail_config_init(&mc, &cfg, err, sizeof err) == -1 && strstr(err, "user name") != NULL,
	   "config: a password file without a user in the URL refused (%s)", err);
	mail_config_free(&mc);
	init_config(&cfg, "smtp://mailer@relay.example.org", "s@example.org");
	cfg.smtp_password_file = pw;
	is_int(mail_config_init(&mc, &cfg, err, sizeof err), 0, "config: user in the URL, password file");
	is_str(mc.password, "s3cret pass", "config: the first line, without CR LF");
	mail_config_free(&mc);
	ok(mc.password == NULL, "config: mail_config_free drops the password");
	mail_config_free(&mc); /* twice: harmless */

	write_file(pw, "\n", 1);
	ok(mail_config_init(&mc, &cfg, err, sizeof err) == -1 && strstr(err, "empty") != NULL,
	   "config: an empty first line refused (%s)", err);
	mail_config_free(&mc);
	write_file(pw, "no-newline", 10);
	is_int(mail_config_init(&mc, &cfg, err, sizeof err), 0, "config: a file without newline");
	is_str(mc.password, "no-newline", "config: its whole content is the password");
	mail_config_free(&mc);
	unlink(pw);
	cfg.smtp_password_file = pw;
	ok(mail_config_init(&mc, &cfg, err, sizeof err) == -1, "config: a missing file refused (%s)", err);
	mail_config_free(&mc);
	rmdir(dir);
}

static void test_compose_ascii(void)
{
	struct config cfg;
	struct mail_config mc;
	struct mail_msg m = { 0 };
	struct buf out = BUF_INIT, v = BUF_INIT, body = BUF_INIT;
	char err[MAIL_ERR_BYTES];
	const char *text = "Hello,\n\nplease confirm: https://example.org/confirm?t=abc\n"
			   ".a line starting with a dot\nFrom here on\n";
	const char *html = "<!DOCTYPE html>\n<html lang=\"en\"><body><p>Hello</p></body></html>\n";
	char *want;
	long longest;

	init_config(&cfg, "smtp://relay.example.org", "Sender Name <sender@Example.org>");
	mail_config_init(&mc, &cfg, err, sizeof err);
	m.to = "dara@example.com";
	m.subject = "Confirm your request";
	m.text = text;
	m.html = html;
	m.lang = "en";
	is_int(mail_compose(&out, &mc, &m, NOW, err, sizeof err), 0, "compose: ASCII message");
	buf_cstr(&out);
	longest = check_lines(out.data, out.len);
	ok(longest >= 0, "compose: CRLF line ends only");
	ok(longest >= 0 && longest <= 78, "compose: every line at most 78 bytes (%ld)", longest);
	ok(header(out.data, "Date", &v) == 0 &&
	   strcmp(v.data, "Wed, 02 Dec 2026 14:05:09 +0000") == 0, "compose: Date from now, UTC");
	ok(header(out.data, "From", &v) == 0 && strcmp(v.data, "Sender Name <sender@Example.org>") == 0,
	   "compose: From with its display name");
	ok(header(out.data, "To", &v) == 0 && strcmp(v.data, "dara@example.com") == 0, "compose: To");
	ok(header(out.data, "Subject", &v) == 0 && strcmp(v.data, "Confirm your request") == 0,
	   "compose: a short ASCII subject as it is");
	ok(header(out.data, "Message-ID", &v) == 0 && v.len == 2 + 32 + 1 + 11 && v.data[0] == '<' &&
	   strspn(v.data + 1, "0123456789abcdef") == 32 && strcmp(v.data + 33, "@example.org>") == 0,
	   "compose: Message-ID <32 hex@domain of the sender>");
	ok(header(out.data, "MIME-Version", &v) == 0 && strcmp(v.data, "1.0") == 0, "compose: MIME-Version");
	ok(header(out.data, "Content-Language", &v) == 0 && strcmp(v.data, "en") == 0,
	   "compose: Content-Language");
	ok(header(out.data, "Auto-Submitted", &v) == 0 && strcmp(v.data, "auto-generated") == 0,
	   "compose: Auto-Submitted: auto-generated");
	ok(header(out.data, "Content-Type", &v) == 0 &&
	   strncmp(v.data, "multipart/alternative; boundary=\"", 33) == 0, "compose: multipart/alternative");
	want = crlf(text);
	ok(part_body(out.data, "text/plain", &body) == 0 && strcmp(body.data, want) == 0,
	   "compose: text/plain base64 decodes to the text (CRLF)");
	free(want);
	want = crlf(html);
	ok(part_body(out.data, "text/html", &body) == 0 && strcmp(body.data, want) == 0,
	   "compose: text/html base64 decodes to the HTML (CRLF)");
	free(want);
	ok(b64_lines_ok(out.data, "text/plain") && b64_lines_ok(out.data, "text/html"),
	   "compose: base64 in lines of 76");
	ok(strcasestr(out.data, "petition") == NULL, "compose: the module adds no 'petition'");
	ok(strcasestr(out.data, "X-Mailer") == NULL && strcasestr(out.data, "User-Agent") == NULL,
	   "compose: no X-Mailer or User-Agent");
	{
		const char *b = strstr(out.data, "boundary=\"") + 10;
		char closing[64];

		snprintf(closing, sizeof closing, "--%.*s--\r\n", (int)(strchr(b, '"') - b), b);
		ok(out.len >= strlen(closing) &&
		   strcmp(out.data + out.len - strlen(closing), closing) == 0,
		   "compose: ends with the closing boundary");
	}

	/* Two messages: two Message-IDs. */
	{
		struct buf second = BUF_INIT, v2 = BUF_INIT;

		mail_compose(&second, &mc, &m, NOW, err, sizeof err);
		buf_cstr(&second);
		header(out.data, "Message-ID", &v);
		header(second.data, "Message-ID", &v2);
		ok(v.data && v2.data && strcmp(v.data, v2.data) != 0, "compose: a new Message-ID each time");
		buf_free(&second);
		buf_free(&v2);
	}

	/* Text only. */
	buf_reset(&out);
	m.html = NULL;
	m.lang = NULL;
	is_int(mail_compose(&out, &mc, &m, NOW, err, sizeof err), 0, "compose: text only");
	buf_cstr(&out);
	ok(strstr(out.data, "multipart") == NULL && header(out.data, "Content-Type", &v) == 0 &&
	   strcmp(v.data, "text/plain; charset=UTF-8") == 0, "compose: text only is one text/plain part");
	want = crlf(text);
	ok(part_body(out.data, "text/plain", &body) == 0 && strcmp(body.data, want) == 0,
	   "compose: text only decodes back");
	free(want);
	ok(header(out.data, "Content-Language", &v) == -1, "compose: no Content-Language without lang");

	buf_free(&out);
	buf_free(&v);
	buf_free(&body);
	mail_config_free(&mc);
}

/* Every encoded-word at most 75 characters (RFC 2047 section 2). */
static int words_short(const char *v)
{
	const char *p = v, *q;

	while ((p = strstr(p, "=?")) != NULL) {
		q = strstr(p + 2, "?=");
		if (q == NULL || q + 2 - p > 75)
			return 0;
		p = q + 2;
	}
	return 1;
}

static void test_compose_khmer(void)
{
	struct config cfg;
	struct mail_config mc;
	struct mail_msg m = { 0 };
	struct buf out = BUF_INIT, v = BUF_INIT, dec = BUF_INIT, body = BUF_INIT;
	char err[MAIL_ERR_BYTES], from[200], longsubj[140];
	/* "Thank you" and a line in Khmer, with an English word. */
	const char *text = "\xe1\x9e\x9f\xe1\x9e\xbc\xe1\x9e\x98\xe1\x9e\xa2\xe1\x9e\x9a\xe1\x9e"
			   "\x82\xe1\x9e\xbb\xe1\x9e\x8e\n\nlink: https://example.org/c?t=1\n";
	long longest;
	char *want;

	snprintf(from, sizeof from, "%s <team@example.org>", khmer_name);
	init_config(&cfg, "smtp://relay.example.org", from);
	is_int(mail_config_init(&mc, &cfg, err, sizeof err), 0, "config: a Khmer display name");
	m.to = "srey@example.com";
	m.subject = khmer_subject;
	m.text = text;
	m.html = "<p>\xe1\x9e\x9f\xe1\x9e\xbc\xe1\x9e\x98</p>";
	m.lang = "km";
	is_int(mail_compose(&out, &mc, &m, NOW, err, sizeof err), 0, "compose: Khmer message");
	buf_cstr(&out);
	longest = check_lines(out.data, out.len);
	ok(longest >= 0 && longest <= 78, "compose km: CRLF only, lines <= 78 (%ld)", longest);
	ok(strspn(out.data, "\t\r\n !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") == out.len,
	   "compose km: 7-bit ASCII on the wire");
	ok(header(out.data, "Subject", &v) == 0 && strncmp(v.data, "=?UTF-8?B?", 10) == 0,
	   "compose km: the subject is encoded-words");
	ok(words_short(v.data), "compose km: every encoded-word at most 75 characters");
	ok(strstr(strstr(out.data, "Subject:"), "\r\n ") != NULL, "compose km: the subject is folded");
	ok(decode_words(v.data, &dec) == 0 && strcmp(dec.data, khmer_subject) == 0,
	   "compose km: the subject decodes back exactly");
	if (dec.data == NULL || strcmp(dec.data, khmer_subject) != 0)
		tap_dump("decoded", dec.data, dec.len);
	ok(header(out.data, "From", &v) == 0 && decode_words(v.data, &dec) == 0 &&
	   strcmp(dec.data, from) == 0, "compose km: the display name decodes back");
	ok(header(out.data, "Content-Language", &v) == 0 && strcmp(v.data, "km") == 0,
	   "compose km: Content-Language: km");
	want = crlf(text);
	ok(part_body(out.data, "text/plain", &body) == 0 && strcmp(body.data, want) == 0,
	   "compose km: the Khmer text decodes back exactly");
	free(want);
	ok(part_body(out.data, "text/html", &body) == 0 &&
	   strcmp(body.data, "<p>\xe1\x9e\x9f\xe1\x9e\xbc\xe1\x9e\x98</p>") == 0,
	   "compose km: the Khmer HTML decodes back exactly");

	/* A subject that looks like an encoded-word is encoded, so it reads
	 * back as typed; a long ASCII subject is folded and reads back too. */
	buf_reset(&out);
	m.subject = "=?UTF-8?B?SGk=?= literally";
	mail_compose(&out, &mc, &m, NOW, err, sizeof err);
	buf_cstr(&out);
	ok(header(out.data, "Subject", &v) == 0 && decode_words(v.data, &dec) == 0 &&
	   strcmp(dec.data, "=?UTF-8?B?SGk=?= literally") == 0, "compose: a literal '=?' survives");
	memset(longsubj, 'a', sizeof longsubj - 1);
	longsubj[sizeof longsubj - 1] = '\0';
	longsubj[40] = ' ';
	buf_reset(&out);
	m.subject = longsubj;
	mail_compose(&out, &mc, &m, NOW, err, sizeof err);
	buf_cstr(&out);
	longest = check_lines(out.data, out.len);
	ok(longest >= 0 && longest <= 78 && header(out.data, "Subject", &v) == 0 &&
	   decode_words(v.data, &dec) == 0 && strcmp(dec.data, longsubj) == 0,
	   "compose: a 139-byte ASCII subject folded, reads back");

	buf_free(&out);
	buf_free(&v);
	buf_free(&dec);
	buf_free(&body);
	mail_config_free(&mc);
}

static void test_refusals(void)
{
	static const struct {
		const char *to, *subject, *lang, *what;
	} bad[] = {
		{ "a@example.org\r\nBcc: x@example.net", "Hi", "en", "CR LF in To" },
		{ "a@example.org\nBcc: x@example.net", "Hi", "en", "LF in To" },
		{ "a@example.org", "Hi\r\nBcc: x@example.net", "en", "CR LF in Subject" },
		{ "a@example.org", "Hi\nBcc: x@example.net", "en", "LF in Subject" },
		{ "a@example.org", "Hi\rthere", "en", "CR in Subject" },
		{ "a@example.org", "tab\there", "en", "a control character in Subject" },
		{ "no-at-sign.example.org", "Hi", "en", "an address without '@'" },
		{ "@example.org", "Hi", "en", "an address without a local part" },
		{ "a@", "Hi", "en", "an address without a domain" },
		{ "a b@example.org", "Hi", "en", "a space in the address" },
		{ "a@example.org, b@example.org", "Hi", "en", "two addresses" },
		{ "<a@example.org>", "Hi", "en", "an address in brackets" },
		{ "d\xc3\xa9@example.org", "Hi", "en", "non-ASCII in the address" },
		{ "a@example.org", "bad \xff\xfe utf-8", "en", "invalid UTF-8 in Subject" },
		{ "a@example.org", "overlong \xc0\xaf", "en", "an overlong UTF-8 form" },
		{ "a@example.org", "Hi", "en\r\nBcc: x@example.net", "a line end in the language" },
		{ NULL, "Hi", "en", "no recipient" },
	};
	struct config cfg;
	struct mail_config mc;
	struct mail_msg m = { 0 };
	struct buf out = BUF_INIT;
	char err[MAIL_ERR_BYTES];
	size_t i;

	init_config(&cfg, "smtp://relay.example.org", "s@example.org");
	mail_config_init(&mc, &cfg, err, sizeof err);
	m.text = "text\n";
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m.to = bad[i].to;
		m.subject = bad[i].subject;
		m.lang = bad[i].lang;
		err[0] = '\0';
		buf_reset(&out);
		ok(mail_compose(&out, &mc, &m, NOW, err, sizeof err) == -1 && err[0] != '\0',
		   "refused: %s (%s)", bad[i].what, err);
	}
	m.to = "a@example.org";
	m.subject = "Hi";
	m.lang = "en";
	m.text = "bad \xed\xa0\x80 surrogate";
	ok(mail_compose(&out, &mc, &m, NOW, err, sizeof err) == -1, "refused: a surrogate in the text");
	m.text = "ok\n";
	buf_reset(&out);
	is_int(mail_compose(&out, &mc, &m, NOW, err, sizeof err), 0, "the same message, fixed, passes");
	buf_free(&out);
	mail_config_free(&mc);
}

int main(void)
{
	if (mail_global_init() != 0) {
		printf("Bail out! curl_global_init failed\n");
		return 1;
	}
	test_domain();
	test_config();
	test_compose_ascii();
	test_compose_khmer();
	test_refusals();
	mail_global_cleanup();
	return done_testing();
}
