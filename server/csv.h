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
 * the value. A value starting with '=', '+', '-', '@', TAB or CR gets a
 * leading '\'' (formula-injection guard). The cell is quoted (with '"'
 * doubled) when it contains ',', '"', CR or LF, or begins/ends with a space.
 * Returns 0, or -1 when out ran out of memory. */
int csv_cell(struct buf *out, const char *s, size_t n, int first);

/* Appends an integer cell (no quoting, no guard needed). */
int csv_cell_int(struct buf *out, long long v, int first);

#endif
