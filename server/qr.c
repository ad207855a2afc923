/* qr.c -- QR codes as SVG, for posters and leaflets.
 * libqrencode computes the modules; this draws them as one SVG path, so the
 * image stays sharp at any print size. */
#include "qr.h"

#include <qrencode.h>

#define QR_QUIET 4 /* modules of white border the standard asks for */

int qr_svg(struct buf *out, const char *text, int size)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int x, y, w, dim;

	if (q == NULL)
		return -1;
	w = q->width;
	dim = w + 2 * QR_QUIET;
	buf_printf(out,
		   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
		   "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		   size, size, dim, dim, dim, dim);
	for (y = 0; y < w; y++) {
		for (x = 0; x < w; x++) {
			int run = 0;

			/* Bit 0 of each byte is "dark module". Draw runs of dark modules. */
			while (x + run < w && (q->data[y * w + x + run] & 1))
				run++;
			if (run > 0) {
				buf_printf(out, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
				x += run - 1;
			}
		}
	}
	buf_puts(out, "\"/></svg>\n");
	QRcode_free(q);
	return out->oom ? -1 : 0;
}
