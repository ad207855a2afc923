/* csv.h -- RFC 4180 CSV cells that spreadsheets open safely.
 * Pure: no I/O. */
#ifndef PETITIOND_CSV_H
#define PETITIOND_CSV_H

#include <stddef.h>
#include "buf.h"

/* The UTF-8 byte order mark: written first so Excel reads the file as UTF-8. */
#define CSV_BOM "\xEF\xBB\xBF"
#define CSV_EOL "\r\n"

/* Appends one cell: a leading separator ',' unless first is non-zero, then
 * the value. The formula-injection guard: a leading '\'' is added when the
 * value, after any leading run of invisible characters (controls, Unicode
 * white space such as NBSP, format characters such as ZWSP, ZWNJ, ZWJ,
 * LRM/RLM/ALM, bidi embeddings and isolates, word joiner, BOM, and the
 * other default-ignorable code points), starts with '=', '+', '-', '@' or
 * one of their full-width (U+FF1D, U+FF0B, U+FF0D, U+FF20) or small
 * (U+FE66, U+FE62, U+FE63, U+FE6B) forms, or when that leading run holds a
 * TAB or CR. The cell is quoted (with '"' doubled) when it contains ',',
 * '"', CR or LF, or when the written cell begins or ends with a space.
 * Every byte of the value is otherwise copied as it is. Returns 0, or -1
 * when out ran out of memory. */
int csv_cell(struct buf *out, const char *s, size_t n, int first);

/* Appends an integer cell (no quoting, no guard needed). */
int csv_cell_int(struct buf *out, long long v, int first);

#endif
