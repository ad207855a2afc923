/* image.h -- what an uploaded share image is, and the same image without
 * its metadata.
 *
 * Pure: reads the few bytes of a PNG (signature, IHDR) or JPEG (SOI, the
 * frame header SOFn) that say the type and the size; nothing is decoded.
 * image_clean rewrites the file without the parts that can tell where,
 * when and by whom a photo was taken (EXIF with GPS, XMP, IPTC, comments,
 * text chunks), so an organizer's upload cannot publish that by mistake. */
#ifndef PETITIOND_IMAGE_H
#define PETITIOND_IMAGE_H

#include <stddef.h>

#include "buf.h"

enum image_type { IMAGE_UNKNOWN = 0, IMAGE_PNG, IMAGE_JPEG };

struct image_info {
	enum image_type type;
	unsigned width, height; /* pixels */
};

/* Recognises p[0..n) as a PNG or a JPEG and reads its size. Returns 0 and
 * fills *out; -1 when it is neither, or its header is cut short or
 * inconsistent (a PNG whose IHDR has a wrong length or CRC, a zero size,
 * a JPEG segment that runs past the end before its frame header). */
int image_probe(const unsigned char *p, size_t n, struct image_info *out);

/* Appends to out the image p[0..n) (already probed as type) without its
 * metadata: for a PNG, only the chunks needed to show it (IHDR, PLTE, IDAT,
 * IEND, tRNS, gAMA, cHRM, sRGB, iCCP, sBIT, bKGD, pHYs); for a JPEG, every
 * segment before the first scan except APP1..APP13, APP15 and COM (JFIF
 * APP0, the ICC profile in APP2 and Adobe's APP14 stay: they say how to
 * show the colours), then the rest as it is. Returns 0, or -1 when the file
 * is malformed or memory ran out. */
int image_clean(const unsigned char *p, size_t n, enum image_type type, struct buf *out);

/* "image/png", "image/jpeg", or NULL; the file name extension "png",
 * "jpg", or NULL. */
const char *image_mime(enum image_type type);
const char *image_ext(enum image_type type);

#endif
