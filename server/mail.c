/* mail.c -- outgoing mail: a message composed by hand (RFC 5322, MIME,
 * RFC 2047) and sent with libcurl's SMTP client (see mail.h).
 *
 * Why this shape: libcurl already speaks SMTP, STARTTLS, SASL and checks
 * certificates, so the only SMTP code here is the choice of options and
 * the reading of the relay's answer. The message itself is plain ASCII on
 * the wire (base64 bodies, encoded-word headers), so it passes any relay,
 * 8BITMIME or not, and no line comes near SMTP's 998-byte limit. */
#include "mail.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <curl/curl.h>

#define MAIL_HDR_FOLD 78        /* header lines are folded before passing this (RFC 5322) */
#define MAIL_B64_LINE 76        /* base64 characters per body line (RFC 2045) */
/* UTF-8 bytes per encoded-word: "Subject: " + "=?UTF-8?B?" + 56 base64
 * characters + "?=" is 77 columns, and every word stays under RFC 2047's
 * 75 characters. */
#define MAIL_WORD_BYTES 42
#define MAIL_ID_BYTES 16        /* random bytes in a Message-ID: 128 bits */
#define MAIL_BOUNDARY_BYTES 12  /* random bytes in the MIME boundary */
#define MAIL_REPLY_MAX 200      /* bytes of the relay's last reply kept for err */
#define MAIL_QUIT_TIMEOUT_S 5L  /* waiting for the answer to QUIT when closing */
#define MAIL_LANG_MAX 35        /* a language tag (RFC 5646 allows 35 characters) */

static const char b64_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (err != NULL && errlen > 0)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The length of the valid UTF-8 sequence at s[0..n) (1..4), or 0 when it is
 * not one (overlong forms, surrogates and code points past U+10FFFF are
 * not). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static int utf8_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		k = utf8_seq((const unsigned char *)s + i, n - i);
		if (k == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Whether s is valid UTF-8 without C0 controls or DEL: a one-line header
 * value that cannot start a new header or smuggle a line end. */
static int header_text_ok(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return 0;
	return utf8_valid(s, strlen(s));
}

/* Whether s[0..n) is an address we hand to a relay: printable ASCII, no
 * spaces or the characters that separate or quote addresses in headers,
 * something before and after the last '@'. The form accepts only the
 * WHATWG grammar, which is narrower still. */
static int addr_ok(const char *s, size_t n)
{
	const char *at = NULL;
	size_t i;

	if (n < 3 || n > MAIL_ADDR_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7F || strchr("<>,;:\"()[]\\", c) != NULL)
			return 0;
		if (c == '@')
			at = s + i;
	}
	return at != NULL && at > s && at < s + n - 1;
}

void mail_domain(const char *addr, char *out, size_t outlen)
{
	const char *at, *end;
	size_t n, i;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return;
	at++;
	end = at + strlen(at);
	while (end > at && (end[-1] == '>' || end[-1] == '.' || end[-1] == ' '))
		end--;
	n = (size_t)(end - at);
	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = (at[i] >= 'A' && at[i] <= 'Z') ? (char)(at[i] - 'A' + 'a') : at[i];
	out[n] = '\0';
}

/* --------------------------------------------------------------------
 * Configuration */

/* Splits "Name <addr>" or "addr" (surrounding blanks allowed, the name may
 * be a quoted string) into the address, copied to addr, and the display
 * name, pointed to by *name (not NUL-terminated, *namelen bytes, quotes
 * removed; escapes inside kept). 0 or -1 with err. */
static int parse_from(const char *from, char *addr, size_t addrlen, const char **name,
		      size_t *namelen, char *err, size_t errlen)
{
	const char *s = from, *e, *lt, *gt, *a;
	size_t alen;

	*name = "";
	*namelen = 0;
	if (from == NULL || !header_text_ok(from)) {
		set_err(err, errlen, "--mail-from: expected \"Name <address>\" or an address on one "
			"line, in UTF-8");
		return -1;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	lt = memrchr(s, '<', (size_t)(e - s));
	if (lt != NULL) {
		gt = e > s ? e - 1 : s;
		if (*gt != '>' || gt < lt) {
			set_err(err, errlen, "--mail-from: a '<' without a closing '>' at the end");
			return -1;
		}
		a = lt + 1;
		alen = (size_t)(gt - a);
		*name = s;
		*namelen = (size_t)(lt - s);
		while (*namelen > 0 && (s[*namelen - 1] == ' ' || s[*namelen - 1] == '\t'))
			(*namelen)--;
		if (*namelen >= 2 && s[0] == '"' && s[*namelen - 1] == '"') {
			*name = s + 1;
			*namelen -= 2;
		}
	} else {
		a = s;
		alen = (size_t)(e - s);
	}
	if (!addr_ok(a, alen) || alen >= addrlen) {
		set_err(err, errlen, "--mail-from: '%.*s' is not an address such as "
			"name@example.org", (int)(alen > 80 ? 80 : alen), a);
		return -1;
	}
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	return 0;
}

/* Reads the first line of path (without its line end) into a new string
 * at *out. The buffer it was read into is wiped. 0 or -1 with err. */
static int read_password(const char *path, char **out, char *err, size_t errlen)
{
	char tmp[MAIL_PASSWORD_MAX + 2];
	size_t n, len;
	FILE *f;
	char *nl;

	*out = NULL;
	f = fopen(path, "re");
	if (f == NULL) {
		set_err(err, errlen, "--smtp-password-file %s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(tmp, 1, sizeof tmp - 1, f);
	if (ferror(f)) {
		set_err(err, errlen, "--smtp-password-file %s: cannot read it", path);
		fclose(f);
		explicit_bzero(tmp, sizeof tmp);
		return -1;
	}
	fclose(f);
	tmp[n] = '\0';
	nl = memchr(tmp, '\n', n);
	len = nl != NULL ? (size_t)(nl - tmp) : n;
	if (nl == NULL && n > MAIL_PASSWORD_MAX) {
		set_err(err, errlen, "--smtp-password-file %s: the first line is longer than %d "
			"bytes", path, MAIL_PASSWORD_MAX);
		explicit_bzero(tmp, sizeof tmp);
		return -1;
	}
	if (len > 0 && tmp[len - 1] == '\r')
		len--;
	if (len == 0 || memchr(tmp, '\0', len) != NULL) {
		set_err(err, errlen, "--smtp-password-file %s: %s", path,
			len == 0 ? "the first line is empty" : "the password holds a NUL byte");
		explicit_bzero(tmp, sizeof tmp);
		return -1;
	}
	*out = malloc(len + 1);
	if (*out != NULL) {
		memcpy(*out, tmp, len);
		(*out)[len] = '\0';
	}
	explicit_bzero(tmp, sizeof tmp);
	if (*out == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Checks the relay's URL: smtp or smtps, a host, no query or fragment.
 * *has_user says whether it names a user. 0 or -1 with err. */
static int check_url(const char *url, int *has_user, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *part = NULL;
	CURLUcode uc;
	int rc = -1;

	*has_user = 0;
	if (u == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		set_err(err, errlen, "--smtp-url: not a URL such as smtps://USER@HOST:465 (%s)",
			curl_url_strerror(uc));
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "smtp") != 0 && strcmp(scheme, "smtps") != 0)) {
		set_err(err, errlen, "--smtp-url: the scheme must be smtps:// (TLS from the start) "
			"or smtp:// (STARTTLS)");
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
		set_err(err, errlen, "--smtp-url: no host name");
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK) {
		set_err(err, errlen, "--smtp-url: a query (?...) means nothing to a mail relay");
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		set_err(err, errlen, "--smtp-url: a fragment (#...) means nothing to a mail relay");
		goto fail;
	}
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK) {
		*has_user = part[0] != '\0';
		curl_free(part);
		part = NULL;
	}
	rc = 0;
fail:
	curl_free(part);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

int mail_config_init(struct mail_config *mc, const struct config *cfg, char *err, size_t errlen)
{
	const char *name;
	size_t namelen;
	int has_user;

	memset(mc, 0, sizeof *mc);
	mc->timeout_s = MAIL_DEFAULT_TIMEOUT_S;
	if (cfg->smtp_url == NULL) {
		set_err(err, errlen, "no mail relay: give --smtp-url");
		return -1;
	}
	if (cfg->mail_from == NULL) {
		set_err(err, errlen, "no sender: give --mail-from \"Name <address>\"");
		return -1;
	}
	if (check_url(cfg->smtp_url, &has_user, err, errlen) != 0)
		return -1;
	if (parse_from(cfg->mail_from, mc->from_addr, sizeof mc->from_addr, &name, &namelen, err,
		       errlen) != 0)
		return -1;
	if (cfg->smtp_password_file != NULL) {
		/* curl sends a password only with a user name; without one the
		 * file would be silently ignored and the relay refuse later. */
		if (!has_user) {
			set_err(err, errlen, "--smtp-password-file needs the user name in --smtp-url: "
				"smtps://USER@HOST:465");
			return -1;
		}
		if (read_password(cfg->smtp_password_file, &mc->password, err, errlen) != 0)
			return -1;
	}
	mc->url = cfg->smtp_url;
	mc->from = cfg->mail_from;
	mc->ca_file = cfg->smtp_ca_file;
	return 0;
}

void mail_config_free(struct mail_config *mc)
{
	if (mc == NULL)
		return;
	if (mc->password != NULL) {
		explicit_bzero(mc->password, strlen(mc->password));
		free(mc->password);
		mc->password = NULL;
	}
}

int mail_relay_name(const struct mail_config *mc, char *out, size_t outlen)
{
	CURLU *u;
	char *host = NULL, *port = NULL;
	int rc = -1;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	u = curl_url();
	if (u == NULL || mc->url == NULL)
		goto done;
	if (curl_url_set(u, CURLUPART_URL, mc->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		snprintf(out, outlen, "%s:%s", host, port);
	else
		snprintf(out, outlen, "%s", host);
	rc = 0;
done:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* --------------------------------------------------------------------
 * Composition */

/* Appends base64 of p[0..n): in lines of MAIL_B64_LINE ending in CRLF when
 * lines, else as one run. */
static void put_b64(struct buf *out, const unsigned char *p, size_t n, int lines)
{
	char q[4];
	size_t i, col = 0;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64_digits[v >> 18 & 63];
		q[1] = b64_digits[v >> 12 & 63];
		q[2] = i + 1 < n ? b64_digits[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64_digits[v & 63] : '=';
		buf_append(out, q, 4);
		col += 4;
		if (lines && col >= MAIL_B64_LINE) {
			buf_puts(out, "\r\n");
			col = 0;
		}
	}
	if (lines && col > 0)
		buf_puts(out, "\r\n");
}

/* Appends s[0..n) (valid UTF-8) as RFC 2047 encoded-words, each holding
 * whole characters only, starting at column *col; folds (CRLF SP) before
 * a word that would pass MAIL_HDR_FOLD. The blanks between words are
 * ignored when decoding, so the text comes back exactly. */
static void put_words(struct buf *out, size_t *col, const char *s, size_t n)
{
	size_t i = 0, take, k, wlen;

	while (i < n) {
		take = 0;
		while (i + take < n) {
			k = utf8_seq((const unsigned char *)s + i + take, n - i - take);
			if (k == 0)
				k = 1; /* not reached: the callers checked the UTF-8 */
			if (take + k > MAIL_WORD_BYTES)
				break;
			take += k;
		}
		wlen = 12 + 4 * ((take + 2) / 3);
		if (i > 0 || *col + wlen > MAIL_HDR_FOLD) {
			if (*col + 1 + wlen > MAIL_HDR_FOLD) {
				buf_puts(out, "\r\n ");
				*col = 1;
			} else {
				buf_putc(out, ' ');
				(*col)++;
			}
		}
		buf_puts(out, "=?UTF-8?B?");
		put_b64(out, (const unsigned char *)s + i, take, 0);
		buf_puts(out, "?=");
		*col += wlen;
		i += take;
	}
}

/* Whether s[0..n) may stand in a header as it is: printable ASCII, no
 * "=?" that a reader would take for an encoded-word. */
static int plain_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7E)
			return 0;
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?')
			return 0;
	}
	return 1;
}

/* "From: " with the display name as an atom sequence, a quoted string or
 * encoded-words, then <addr>. */
static void put_from(struct buf *out, const char *name, size_t namelen, const char *addr)
{
	size_t col = 6, i, alen = strlen(addr);
	int quote = 0;

	buf_puts(out, "From: ");
	if (namelen == 0) {
		buf_puts(out, addr);
		buf_puts(out, "\r\n");
		return;
	}
	if (plain_ascii(name, namelen) && col + namelen + 2 <= MAIL_HDR_FOLD) {
		for (i = 0; i < namelen; i++)
			if (strchr("()<>[]:;@\\,.\"", name[i]) != NULL)
				quote = 1;
		if (quote)
			buf_putc(out, '"');
		for (i = 0; i < namelen; i++) {
			/* A quoted string escapes '"' and '\'; a name given as a
			 * quoted string already had them escaped: keep its
			 * pairs as they are. */
			if (name[i] == '\\' && i + 1 < namelen) {
				buf_append(out, name + i, 2);
				i++;
				continue;
			}
			if (quote && (name[i] == '"' || name[i] == '\\'))
				buf_putc(out, '\\');
			buf_putc(out, name[i]);
		}
		if (quote)
			buf_putc(out, '"');
		col += namelen + 2;
	} else {
		put_words(out, &col, name, namelen);
	}
	if (col + 3 + alen > MAIL_HDR_FOLD)
		buf_puts(out, "\r\n <");
	else
		buf_puts(out, " <");
	buf_puts(out, addr);
	buf_puts(out, ">\r\n");
}

/* Appends s with every line end (LF, CRLF or a lone CR) as CRLF: MIME's
 * canonical form for text, which is what base64 must carry. */
static void put_crlf(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\r') {
			if (s[1] == '\n')
				s++;
			buf_puts(out, "\r\n");
		} else if (*s == '\n') {
			buf_puts(out, "\r\n");
		} else {
			buf_putc(out, *s);
		}
	}
}

static void put_part(struct buf *out, const char *type, const char *body)
{
	struct buf canon = BUF_INIT;

	buf_printf(out, "Content-Type: %s; charset=UTF-8\r\n"
			"Content-Transfer-Encoding: base64\r\n\r\n", type);
	put_crlf(&canon, body);
	if (canon.oom)
		out->oom = 1;
	put_b64(out, (const unsigned char *)canon.data, canon.len, 1);
	buf_free(&canon);
}

static int lang_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > MAIL_LANG_MAX || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* RFC 5322's date in UTC, with English names whatever the locale. */
static void put_date(struct buf *out, int64_t now)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)now;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday % 7],
		   tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		   tm.tm_sec);
}

static int random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];
	size_t got = 0, i;
	ssize_t k;

	if (nbytes > sizeof r)
		return -1;
	while (got < nbytes) {
		k = getrandom(r + got, nbytes - got, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)k;
	}
	for (i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

int mail_compose(struct buf *out, const struct mail_config *mc, const struct mail_msg *m,
		 int64_t now, char *err, size_t errlen)
{
	char addr[sizeof mc->from_addr], domain[256], id[2 * MAIL_ID_BYTES + 1];
	char boundary[2 * MAIL_BOUNDARY_BYTES + 3];
	const char *name;
	size_t namelen, slen, col;

	if (m->to == NULL || !addr_ok(m->to, strlen(m->to))) {
		set_err(err, errlen, "the recipient is not an address such as name@example.org "
			"(no spaces, line ends or non-ASCII characters)");
		return -1;
	}
	if (m->subject == NULL || !header_text_ok(m->subject) ||
	    (slen = strlen(m->subject)) > MAIL_SUBJECT_MAX) {
		set_err(err, errlen, "the subject must be one line of UTF-8 (no control characters), "
			"at most %d bytes", MAIL_SUBJECT_MAX);
		return -1;
	}
	if (m->text == NULL || !utf8_valid(m->text, strlen(m->text)) ||
	    (m->html != NULL && !utf8_valid(m->html, strlen(m->html)))) {
		set_err(err, errlen, "the text of the message is not valid UTF-8");
		return -1;
	}
	if (m->lang != NULL && !lang_ok(m->lang)) {
		set_err(err, errlen, "the language is not a tag such as en or km");
		return -1;
	}
	if (parse_from(mc->from, addr, sizeof addr, &name, &namelen, err, errlen) != 0)
		return -1;
	mail_domain(addr, domain, sizeof domain);
	if (random_hex(id, MAIL_ID_BYTES) != 0 || random_hex(boundary + 2, MAIL_BOUNDARY_BYTES) != 0) {
		set_err(err, errlen, "cannot draw random bytes: %s", strerror(errno));
		return -1;
	}
	/* "=_" never occurs in base64 nor in our headers: the boundary cannot
	 * appear inside a part. */
	boundary[0] = '=';
	boundary[1] = '_';

	put_date(out, now);
	put_from(out, name, namelen, addr);
	buf_printf(out, "To: %s\r\n", m->to);
	buf_puts(out, "Subject: ");
	col = 9;
	if (plain_ascii(m->subject, slen) && col + slen <= MAIL_HDR_FOLD)
		buf_puts(out, m->subject);
	else
		put_words(out, &col, m->subject, slen);
	buf_puts(out, "\r\n");
	buf_printf(out, "Message-ID: <%s@%s>\r\n", id, domain);
	buf_puts(out, "MIME-Version: 1.0\r\n");
	if (m->lang != NULL)
		buf_printf(out, "Content-Language: %s\r\n", m->lang);
	/* RFC 3834: tells vacation responders and other robots not to answer. */
	buf_puts(out, "Auto-Submitted: auto-generated\r\n");
	if (m->html == NULL) {
		put_part(out, "text/plain", m->text);
	} else {
		buf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
			   boundary);
		buf_printf(out, "--%s\r\n", boundary);
		put_part(out, "text/plain", m->text);
		buf_printf(out, "--%s\r\n", boundary);
		put_part(out, "text/html", m->html);
		buf_printf(out, "--%s--\r\n", boundary);
	}
	if (out->oom) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* --------------------------------------------------------------------
 * Sending */

struct mail_conn {
	const struct mail_config *mc;
	CURL *h;
	char *url;                /* the relay's URL with the EHLO name as its path (curl_free) */
	/* The message being sent, for the read callback. */
	const char *msg;
	size_t len, pos;
	/* What the relay last said and to what, from libcurl's protocol trace. */
	char verb[8];             /* the last command: EHLO, AUTH, MAIL, RCPT, DATA, ... */
	int quitting;             /* QUIT sent: the rest of the trace is the goodbye */
	char reply[MAIL_REPLY_MAX];
	char errbuf[CURL_ERROR_SIZE];
};

static size_t on_read(char *dst, size_t size, size_t nitems, void *userp)
{
	struct mail_conn *c = userp;
	size_t n = size * nitems;

	if (n > c->len - c->pos)
		n = c->len - c->pos;
	memcpy(dst, c->msg + c->pos, n);
	c->pos += n;
	return n;
}

/* libcurl's trace (CURLOPT_VERBOSE with a debug function, so nothing goes
 * to stderr): keeps the relay's last reply line and the verb of the last
 * command. Never more of a command than its verb: AUTH and the lines after
 * it carry the credentials. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
	static const char *const verbs[] = { "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL",
					     "RCPT", "DATA", "RSET", "QUIT", "NOOP" };
	struct mail_conn *c = userp;
	size_t i, n;

	(void)h;
	/* After a failure libcurl closes the connection with QUIT within the
	 * same transfer: its "221 Bye" must not hide the answer that failed.
	 * A greeting (220) after it is a new connection: listen again. */
	if (c->quitting) {
		if (type != CURLINFO_HEADER_IN || size < 4 || memcmp(data, "220", 3) != 0)
			return 0;
		c->quitting = 0;
	}
	if (type == CURLINFO_HEADER_OUT) {
		for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
			n = strlen(verbs[i]);
			if (size > n && memcmp(data, verbs[i], n) == 0 &&
			    (data[n] == ' ' || data[n] == '\r')) {
				if (strcmp(verbs[i], "QUIT") == 0)
					c->quitting = 1;
				else
					memcpy(c->verb, verbs[i], n + 1);
				break;
			}
		}
	} else if (type == CURLINFO_HEADER_IN) {
		for (n = 0; n < size && n < sizeof c->reply - 1; n++) {
			unsigned char ch = (unsigned char)data[n];

			if (ch == '\r' || ch == '\n')
				break;
			c->reply[n] = (ch < 0x20 || ch >= 0x7F) ? '?' : (char)ch;
		}
		c->reply[n] = '\0';
	}
	return 0;
}

/* The URL curl connects to: mc->url, with the sender's domain as the path
 * when it has none. curl says the path in EHLO; without one it would say
 * this machine's own host name, which a relay copies into the Received
 * header of every message. */
static char *relay_url(const struct mail_config *mc)
{
	CURLU *u = curl_url();
	char *path = NULL, *url = NULL, domain[256], ehlo[260];

	if (u == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, mc->url, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || path[0] == '\0' ||
	    (path[0] == '/' && path[1] == '\0')) {
		mail_domain(mc->from_addr, domain, sizeof domain);
		snprintf(ehlo, sizeof ehlo, "/%s", domain);
		if (domain[0] != '\0' && curl_url_set(u, CURLUPART_PATH, ehlo, 0) != CURLUE_OK)
			goto done;
	}
	if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
		url = NULL;
done:
	curl_free(path);
	curl_url_cleanup(u);
	return url;
}

struct mail_conn *mail_conn_new(const struct mail_config *mc)
{
	struct mail_conn *c = calloc(1, sizeof *c);
	long connect_s = MAIL_CONNECT_TIMEOUT_S;
	CURLcode rc = CURLE_OK;

	if (c == NULL)
		return NULL;
	c->mc = mc;
	c->url = relay_url(mc);
	c->h = curl_easy_init();
	if (c->url == NULL || c->h == NULL)
		goto fail;
	if (mc->timeout_s > 0 && mc->timeout_s < connect_s)
		connect_s = mc->timeout_s;
#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(c->h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, c->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	/* STARTTLS or nothing: never the message, nor the password, in clear. */
	SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (mc->ca_file != NULL)
		SET(CURLOPT_CAINFO, mc->ca_file);
	if (mc->password != NULL)
		SET(CURLOPT_PASSWORD, mc->password);
	SET(CURLOPT_MAIL_FROM, mc->from_addr);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, c);
	SET(CURLOPT_TIMEOUT, mc->timeout_s > 0 ? mc->timeout_s : MAIL_DEFAULT_TIMEOUT_S);
	SET(CURLOPT_CONNECTTIMEOUT, connect_s);
	/* Also bounds the wait for each answer outside a transfer (QUIT). */
	SET(CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    mc->timeout_s > 0 ? mc->timeout_s : MAIL_DEFAULT_TIMEOUT_S);
	/* The sender is a thread: no SIGALRM for DNS timeouts. */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_DEBUGFUNCTION, on_debug);
	SET(CURLOPT_DEBUGDATA, c);
	SET(CURLOPT_VERBOSE, 1L);
#undef SET
	if (rc != CURLE_OK)
		goto fail;
	return c;
fail:
	mail_conn_free(c);
	return NULL;
}

void mail_conn_free(struct mail_conn *c)
{
	if (c == NULL)
		return;
	if (c->h != NULL) {
		curl_easy_setopt(c->h, CURLOPT_SERVER_RESPONSE_TIMEOUT, MAIL_QUIT_TIMEOUT_S);
		curl_easy_cleanup(c->h);
	}
	curl_free(c->url);
	free(c);
}

/* Whether a 5xx answer is about the sender's rights (authentication, a
 * relay that does not relay for us) rather than this recipient or message:
 * the operator can fix those, so the message waits. */
static int sender_problem(long code, const char *reply)
{
	return code == 530 || code == 534 || code == 535 || code == 538 ||
	       strcasestr(reply, "relay") != NULL;
}

/* What a refusal after the command verb is about, for err. */
static const char *refused_what(const char *verb)
{
	if (strcmp(verb, "RCPT") == 0)
		return "the recipient";
	if (strcmp(verb, "MAIL") == 0)
		return "the sender";
	if (strcmp(verb, "DATA") == 0)
		return "the message";
	if (strcmp(verb, "AUTH") == 0)
		return "the sign-in";
	return "the session";
}

/* Replaces every occurrence of secret in s by "***". */
static void scrub(char *s, const char *secret)
{
	size_t n;
	char *p;

	if (secret == NULL || (n = strlen(secret)) == 0)
		return;
	while ((p = strstr(s, secret)) != NULL) {
		if (n >= 3) {
			p[0] = p[1] = p[2] = '*';
			memmove(p + 3, p + n, strlen(p + n) + 1);
		} else {
			memset(p, '*', n);
		}
	}
}

enum mail_result mail_send(struct mail_conn *c, const char *rcpt, const char *msg, size_t len,
			   char *err, size_t errlen)
{
	struct curl_slist *to;
	enum mail_result r;
	CURLcode rc;
	long code = 0;
	const char *why;

	if (rcpt == NULL || !addr_ok(rcpt, strlen(rcpt))) {
		set_err(err, errlen, "the recipient is not an address such as name@example.org");
		return MAIL_REJECTED;
	}
	to = curl_slist_append(NULL, rcpt);
	if (to == NULL) {
		set_err(err, errlen, "out of memory");
		return MAIL_RETRY;
	}
	c->msg = msg;
	c->len = len;
	c->pos = 0;
	c->verb[0] = c->reply[0] = c->errbuf[0] = '\0';
	c->quitting = 0;
	curl_easy_setopt(c->h, CURLOPT_MAIL_RCPT, to);
	rc = curl_easy_perform(c->h);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_setopt(c->h, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	curl_slist_free_all(to);
	c->msg = NULL;

	if (rc == CURLE_OK) {
		set_err(err, errlen, "the relay answered: %s", c->reply);
		return MAIL_SENT;
	}
	why = c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc);
	r = MAIL_RETRY;
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		set_err(err, errlen, "the relay refused the user name or password: %s",
			c->reply[0] ? c->reply : why);
		break;
	case CURLE_USE_SSL_FAILED:
		set_err(err, errlen, "the relay does not offer STARTTLS, and mail is never sent in "
			"clear text (use smtps:// if it takes TLS from the start): %s", why);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
		set_err(err, errlen, "TLS with the relay failed (its certificate is always checked; "
			"--smtp-ca-file names the CA that signed it): %s", why);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		set_err(err, errlen, "cannot reach the relay: %s", why);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		set_err(err, errlen, "the relay did not answer in time%s%s: %s",
			c->verb[0] ? " to " : "", c->verb, why);
		break;
	default:
		if (code >= 400 && c->reply[0] != '\0') {
			if (code >= 500 && (strcmp(c->verb, "RCPT") == 0 ||
					    strcmp(c->verb, "DATA") == 0) &&
			    !sender_problem(code, c->reply))
				r = MAIL_REJECTED;
			set_err(err, errlen, "the relay refused %s: %s", refused_what(c->verb),
				c->reply);
		} else {
			set_err(err, errlen, "%s", why);
		}
		break;
	}
	if (c->mc->password != NULL && err != NULL && errlen > 0)
		scrub(err, c->mc->password);
	return r;
}

int mail_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void mail_global_cleanup(void)
{
	curl_global_cleanup();
}
