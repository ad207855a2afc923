/* test_image.c -- unit tests for image.c: recognising PNG and JPEG files,
 * reading their size, and removing their metadata. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "image.h"
#include "tap.h"

static uint32_t crc(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return c ^ 0xffffffffu;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Appends a PNG chunk. */
static void chunk(struct buf *b, const char *type, const void *data, size_t n)
{
	unsigned char hd[8], c[4];
	struct buf tmp = BUF_INIT;

	put32(hd, (uint32_t)n);
	memcpy(hd + 4, type, 4);
	buf_append(b, hd, 8);
	buf_append(b, data, n);
	buf_append(&tmp, type, 4);
	buf_append(&tmp, data, n);
	put32(c, crc((const unsigned char *)tmp.data, tmp.len));
	buf_append(b, c, 4);
	buf_free(&tmp);
}

static void png(struct buf *b, uint32_t w, uint32_t h, unsigned depth, unsigned color, int text)
{
	unsigned char ihdr[13];
	static const unsigned char idat[] = { 0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01 };

	buf_reset(b);
	buf_append(b, "\x89PNG\r\n\x1a\n", 8);
	put32(ihdr, w);
	put32(ihdr + 4, h);
	ihdr[8] = (unsigned char)depth;
	ihdr[9] = (unsigned char)color;
	ihdr[10] = ihdr[11] = ihdr[12] = 0;
	chunk(b, "IHDR", ihdr, 13);
	if (text) {
		chunk(b, "tEXt", "GPS\0011.55N 104.92E", 18);
		chunk(b, "eXIf", "MM\0*secret", 10);
		chunk(b, "tIME", "\x07\xea\x0c\x02\x08\x00\x00", 7);
	}
	chunk(b, "gAMA", "\0\0\xb1\x8f", 4);
	chunk(b, "IDAT", idat, sizeof idat);
	chunk(b, "IEND", "", 0);
}

static void seg(struct buf *b, unsigned m, const void *data, size_t n)
{
	unsigned char hd[4] = { 0xff, (unsigned char)m, (unsigned char)((n + 2) >> 8),
				(unsigned char)(n + 2) };

	buf_append(b, hd, 4);
	buf_append(b, data, n);
}

static void jpeg(struct buf *b, unsigned w, unsigned h, int meta, int sof)
{
	unsigned char f[9] = { 8, (unsigned char)(h >> 8), (unsigned char)h, (unsigned char)(w >> 8),
			       (unsigned char)w, 1, 1, 0x11, 0 };

	buf_reset(b);
	buf_append(b, "\xff\xd8", 2);
	seg(b, 0xe0, "JFIF\0\1\1\0\0\1\0\1\0\0", 14);
	if (meta) {
		seg(b, 0xe1, "Exif\0\0MM\0*GPS-here", 18);
		seg(b, 0xed, "Photoshop 3.0\0IPTC-byline", 25);
		seg(b, 0xfe, "a comment", 9);
	}
	seg(b, 0xe2, "ICC_PROFILE\0\1\1", 14);
	seg(b, 0xdb, "\0" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 65);
	if (sof)
		seg(b, sof, f, sizeof f);
	seg(b, 0xda, "\1\1\0\0\x3f\0", 6);
	buf_append(b, "\x12\xff\x00\x34\xff\xd0\x56", 7); /* stuffed FF, a restart marker */
	buf_append(b, "\xff\xd9", 2);
	if (meta)
		buf_append(b, "trailing video with GPS", 23);
}

static const unsigned char *u(const struct buf *b)
{
	return (const unsigned char *)b->data;
}

static int contains(const struct buf *b, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i + n <= b->len; i++)
		if (memcmp(b->data + i, s, n) == 0)
			return 1;
	return 0;
}

int main(void)
{
	struct buf b = BUF_INIT, out = BUF_INIT;
	struct image_info info;

	png(&b, 1200, 630, 8, 2, 0);
	ok(image_probe(u(&b), b.len, &info) == 0 && info.type == IMAGE_PNG && info.width == 1200 &&
		   info.height == 630,
	   "a PNG: type and size from its IHDR");
	is_str(image_mime(info.type), "image/png", "its MIME type");
	is_str(image_ext(info.type), "png", "its extension");
	png(&b, 4096, 4096, 16, 6, 0);
	ok(image_probe(u(&b), b.len, &info) == 0 && info.width == 4096, "a 16-bit RGBA PNG");
	png(&b, 300, 300, 4, 3, 0);
	ok(image_probe(u(&b), b.len, &info) == 0, "a 4-bit palette PNG");
	png(&b, 300, 300, 3, 2, 0);
	ok(image_probe(u(&b), b.len, &info) != 0, "a PNG with a bit depth its colour type forbids");
	png(&b, 0, 300, 8, 2, 0);
	ok(image_probe(u(&b), b.len, &info) != 0, "a PNG of width 0");
	png(&b, 300, 300, 8, 2, 0);
	b.data[20] ^= 1; /* inside IHDR: its CRC no longer matches */
	ok(image_probe(u(&b), b.len, &info) != 0, "a PNG whose IHDR CRC is wrong");
	png(&b, 300, 300, 8, 2, 0);
	ok(image_probe(u(&b), 20, &info) != 0, "a PNG cut inside its IHDR");
	ok(image_probe((const unsigned char *)"GIF89a......", 12, &info) != 0, "a GIF is neither");
	ok(image_probe((const unsigned char *)"<svg xmlns=", 11, &info) != 0, "an SVG is neither");
	ok(image_probe(NULL, 0, &info) != 0 && image_probe(u(&b), 0, &info) != 0, "nothing");

	png(&b, 640, 480, 8, 2, 1);
	buf_reset(&out);
	ok(image_clean(u(&b), b.len, IMAGE_PNG, &out) == 0, "a PNG with metadata cleans");
	ok(!contains(&out, "tEXt") && !contains(&out, "eXIf") && !contains(&out, "tIME") &&
		   !contains(&out, "GPS") && !contains(&out, "secret"),
	   "its tEXt, eXIf and tIME chunks are gone");
	ok(contains(&out, "IHDR") && contains(&out, "gAMA") && contains(&out, "IDAT") &&
		   contains(&out, "IEND"),
	   "the chunks needed to show it stay");
	ok(image_probe(u(&out), out.len, &info) == 0 && info.width == 640,
	   "the cleaned PNG is still a PNG of the same size");
	buf_reset(&out);
	ok(image_clean(u(&b), b.len - 12, IMAGE_PNG, &out) != 0, "a PNG without IEND is refused");

	jpeg(&b, 1200, 630, 1, 0xc0);
	ok(image_probe(u(&b), b.len, &info) == 0 && info.type == IMAGE_JPEG && info.width == 1200 &&
		   info.height == 630,
	   "a baseline JPEG: size from SOF0 (after APPn and DQT)");
	jpeg(&b, 800, 600, 0, 0xc2);
	ok(image_probe(u(&b), b.len, &info) == 0 && info.width == 800 && info.height == 600,
	   "a progressive JPEG (SOF2)");
	jpeg(&b, 800, 600, 0, 0);
	ok(image_probe(u(&b), b.len, &info) != 0, "a JPEG with a scan before any frame is refused");
	jpeg(&b, 800, 600, 0, 0xc0);
	ok(image_probe(u(&b), 30, &info) != 0, "a JPEG cut in a segment is refused");
	b.data[5] = (char)0xff; /* a segment length running past the end */
	ok(image_probe(u(&b), b.len, &info) != 0, "a JPEG segment longer than the file is refused");
	jpeg(&b, 0, 600, 0, 0xc0);
	ok(image_probe(u(&b), b.len, &info) != 0, "a JPEG of width 0 is refused");

	jpeg(&b, 1200, 630, 1, 0xc0);
	buf_reset(&out);
	ok(image_clean(u(&b), b.len, IMAGE_JPEG, &out) == 0, "a JPEG with metadata cleans");
	ok(!contains(&out, "Exif") && !contains(&out, "IPTC") && !contains(&out, "a comment") &&
		   !contains(&out, "GPS"),
	   "EXIF (APP1), IPTC (APP13), the comment and what follows EOI are gone");
	ok(contains(&out, "JFIF") && contains(&out, "ICC_PROFILE") &&
		   contains(&out, "\x12\xff\x00\x34\xff\xd0\x56\xff\xd9"),
	   "JFIF, the ICC profile and the scan (stuffing, restart, EOI) stay");
	ok(out.len >= 2 && (unsigned char)out.data[out.len - 2] == 0xff &&
		   (unsigned char)out.data[out.len - 1] == 0xd9,
	   "the cleaned JPEG ends with EOI");
	ok(image_probe(u(&out), out.len, &info) == 0 && info.width == 1200,
	   "the cleaned JPEG is still a JPEG of the same size");
	buf_reset(&out);
	ok(image_clean(u(&b), b.len - 25, IMAGE_JPEG, &out) != 0, "a JPEG without EOI is refused");
	buf_reset(&out);
	ok(image_clean(u(&b), b.len, IMAGE_PNG, &out) != 0, "a JPEG cleaned as a PNG is refused");

	buf_free(&b);
	buf_free(&out);
	return done_testing();
}
