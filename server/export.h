/* export.h -- the export's formats, shared by GET /admin/export.csv and
 * /admin/export.json (export.c) and `petitiond export` (cli_numbers.c).
 * Pure: the functions format into a buffer. */
#ifndef PETITIOND_EXPORT_H
#define PETITIOND_EXPORT_H

#include "buf.h"
#include "store.h"

enum export_format { EXPORT_CSV, EXPORT_JSON };

/* The contract's CSV columns, in order; later columns are appended, never
 * inserted (DESIGN.md). */
#define EXPORT_CSV_HEADER "id,signed_at,name,email,country,comment,public,updates,public_name,source,confirmed"

/* What comes before the first row: the CSV header (after a byte order
 * mark when bom is set) or "[". */
void export_begin(struct buf *b, enum export_format fmt, int bom);
/* One row; nth counts the rows before it (JSON separates with commas). */
void export_row(struct buf *b, enum export_format fmt, const struct store_export_row *row,
		int64_t nth);
/* What follows the last row: nothing for CSV, "]" for JSON. */
void export_end(struct buf *b, enum export_format fmt, int64_t nrows);
/* Appends s as a JSON string (quotes included): '"', '\\' and control
 * characters escaped, and U+2028/U+2029 too, every other byte copied. */
void export_json_string(struct buf *b, const char *s);

#endif
