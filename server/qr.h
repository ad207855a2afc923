/* qr.h -- QR codes as SVG (libqrencode does the encoding). */
#ifndef PETITIOND_QR_H
#define PETITIOND_QR_H

#include "buf.h"

#define QR_MIN_SIZE 64      /* pixels */
#define QR_MAX_SIZE 4096
#define QR_DEFAULT_SIZE 512

/* Appends an SVG image of a QR code for text (error correction level M, a
 * 4-module quiet zone), size x size pixels. Returns 0 or -1. */
int qr_svg(struct buf *out, const char *text, int size);

#endif
