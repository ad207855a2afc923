/* image.c -- what an uploaded share image is, and the same image without
 * its metadata. Pure: bytes in, facts or bytes out. */
#include "image.h"

#include <stdint.h>
#include <string.h>

static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* CRC-32 (ISO 3309, as PNG uses it), bit by bit: only the 17 bytes of an
 * IHDR are ever checked. */
static uint32_t crc32_of(const unsigned char *p, size_t n)
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

static int png_probe(const unsigned char *p, size_t n, struct image_info *out)
{
	const unsigned char *h = p + 8; /* the first chunk: IHDR */
	uint32_t w, ht;
	unsigned depth, color;

	if (n < 8 + 12 + 13 || memcmp(p, png_sig, 8) != 0)
		return -1;
	if (be32(h) != 13 || memcmp(h + 4, "IHDR", 4) != 0 || crc32_of(h + 4, 17) != be32(h + 21))
		return -1;
	w = be32(h + 8);
	ht = be32(h + 12);
	depth = h[16];
	color = h[17];
	if (w == 0 || ht == 0 || w > 0x7fffffffu || ht > 0x7fffffffu)
		return -1;
	/* Bit depths each colour type allows (PNG 11.2.2). */
	switch (color) {
	case 0:
		if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16)
			return -1;
		break;
	case 3:
		if (depth != 1 && depth != 2 && depth != 4 && depth != 8)
			return -1;
		break;
	case 2:
	case 4:
	case 6:
		if (depth != 8 && depth != 16)
			return -1;
		break;
	default:
		return -1;
	}
	if (h[18] != 0 || h[19] != 0 || h[20] > 1)
		return -1;
	out->type = IMAGE_PNG;
	out->width = w;
	out->height = ht;
	return 0;
}

/* A marker with a length after it (not SOI, EOI, RSTn, TEM). */
static int jpeg_has_length(unsigned m)
{
	return !(m == 0xd8 || m == 0xd9 || m == 0x01 || (m >= 0xd0 && m <= 0xd7));
}

/* A start-of-frame marker: SOF0..SOF15 but DHT (C4), JPG (C8), DAC (CC). */
static int jpeg_is_sof(unsigned m)
{
	return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

static int jpeg_probe(const unsigned char *p, size_t n, struct image_info *out)
{
	size_t i = 2;

	if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
		return -1;
	while (i < n) {
		unsigned m, len;

		if (p[i] != 0xff)
			return -1;
		while (i < n && p[i] == 0xff)
			i++;
		if (i >= n)
			return -1;
		m = p[i++];
		if (m == 0x00 || m == 0xd9 || m == 0xda)
			return -1; /* a stray byte, the end, or a scan before any frame */
		if (!jpeg_has_length(m))
			continue;
		if (n - i < 2 || (len = be16(p + i)) < 2 || len > n - i)
			return -1;
		if (jpeg_is_sof(m)) {
			unsigned h, w;

			if (len < 8)
				return -1;
			h = be16(p + i + 3);
			w = be16(p + i + 5);
			if (w == 0 || h == 0)
				return -1;
			out->type = IMAGE_JPEG;
			out->width = w;
			out->height = h;
			return 0;
		}
		i += len;
	}
	return -1;
}

int image_probe(const unsigned char *p, size_t n, struct image_info *out)
{
	memset(out, 0, sizeof *out);
	if (p == NULL)
		return -1;
	if (n >= 8 && memcmp(p, png_sig, 8) == 0)
		return png_probe(p, n, out);
	if (n >= 2 && p[0] == 0xff && p[1] == 0xd8)
		return jpeg_probe(p, n, out);
	return -1;
}

/* The PNG chunks an image needs to be shown as it was meant; the rest
 * (tEXt, zTXt, iTXt, eXIf, tIME, private chunks, ...) is left out. */
static int png_keep(const unsigned char *type)
{
	static const char keep[][5] = { "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA",
					"cHRM", "sRGB", "iCCP", "sBIT", "bKGD", "pHYs" };
	size_t i;

	for (i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (memcmp(type, keep[i], 4) == 0)
			return 1;
	return 0;
}

static int png_clean(const unsigned char *p, size_t n, struct buf *out)
{
	size_t i = 8;
	int idat = 0;

	buf_append(out, p, 8);
	while (n - i >= 12) {
		uint32_t len = be32(p + i);
		const unsigned char *type = p + i + 4;

		if (len > n - i - 12)
			return -1;
		if (png_keep(type))
			buf_append(out, p + i, (size_t)len + 12);
		idat |= memcmp(type, "IDAT", 4) == 0;
		i += (size_t)len + 12;
		if (memcmp(type, "IEND", 4) == 0)
			return idat && !out->oom ? 0 : -1;
	}
	return -1; /* no IEND */
}

/* JPEG segments that carry metadata: APP1 (EXIF, with GPS; XMP), APP3..APP13
 * (IPTC in APP13, camera makers' notes), APP15, COM. */
static int jpeg_drop(unsigned m)
{
	return (m >= 0xe1 && m <= 0xed && m != 0xe2) || m == 0xef || m == 0xfe;
}

static int jpeg_clean(const unsigned char *p, size_t n, struct buf *out)
{
	size_t i = 2;

	buf_append(out, p, 2);
	while (i < n) {
		unsigned m, len;
		unsigned char mk[2];

		if (p[i] != 0xff)
			return -1;
		while (i < n && p[i] == 0xff)
			i++;
		if (i >= n)
			return -1;
		m = p[i++];
		mk[0] = 0xff;
		mk[1] = (unsigned char)m;
		if (m == 0x00)
			return -1;
		if (m == 0xd9) {
			/* The end: whatever follows it (some phones append a
			 * second picture or a video) is left out too. */
			buf_append(out, mk, 2);
			return out->oom ? -1 : 0;
		}
		if (!jpeg_has_length(m)) {
			buf_append(out, mk, 2);
			continue;
		}
		if (n - i < 2 || (len = be16(p + i)) < 2 || len > n - i)
			return -1;
		if (!jpeg_drop(m)) {
			buf_append(out, mk, 2);
			buf_append(out, p + i, len);
		}
		i += len;
		if (m == 0xda) {
			/* Entropy-coded data: up to the next marker that is not a
			 * stuffed 0xFF (FF 00) or a restart (FF D0..D7). */
			size_t start = i;

			while (i < n) {
				if (p[i] == 0xff && i + 1 < n &&
				    (p[i + 1] == 0x00 || (p[i + 1] >= 0xd0 && p[i + 1] <= 0xd7))) {
					i += 2;
					continue;
				}
				if (p[i] == 0xff)
					break;
				i++;
			}
			buf_append(out, p + start, i - start);
		}
	}
	return -1; /* no EOI */
}

int image_clean(const unsigned char *p, size_t n, enum image_type type, struct buf *out)
{
	if (p == NULL)
		return -1;
	if (type == IMAGE_PNG && n >= 8 && memcmp(p, png_sig, 8) == 0)
		return png_clean(p, n, out);
	if (type == IMAGE_JPEG && n >= 2 && p[0] == 0xff && p[1] == 0xd8)
		return jpeg_clean(p, n, out);
	return -1;
}

const char *image_mime(enum image_type type)
{
	return type == IMAGE_PNG ? "image/png" : type == IMAGE_JPEG ? "image/jpeg" : NULL;
}

const char *image_ext(enum image_type type)
{
	return type == IMAGE_PNG ? "png" : type == IMAGE_JPEG ? "jpg" : NULL;
}
