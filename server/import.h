/* import.h -- reading a CSV file of paper or event signatures and checking
 * every row like an online signature (form_validate).
 *
 * Pure code: takes the file's bytes, returns the rows with their verdict.
 * No I/O. The database decides which valid rows are duplicates
 * (store_import). */
#ifndef PETITIOND_IMPORT_H
#define PETITIOND_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "form.h"

/* Limits, with their units. */
#define IMPORT_MAX_BYTES (64u * 1024u * 1024u) /* the whole file */
#define IMPORT_MAX_ROWS 200000                 /* data rows (the header excluded) */
#define IMPORT_MAX_COLUMNS 32                  /* cells in the header */
#define IMPORT_WHY_BYTES 160

/* What became (or would become) of one row. */
enum import_result {
	IMPORT_INVALID = 0, /* refused: why[] says which field and why */
	IMPORT_VALID,       /* valid; not yet compared with the database */
	IMPORT_ADDED,       /* valid and new: added (or would be, with --dry-run) */
	IMPORT_DUPLICATE    /* valid, but its email signed already (in the database
			     * or on an earlier line of the file): counted once */
};

struct import_row {
	size_t line;           /* 1-based line of the file where the row starts */
	enum import_result result;
	struct form_sig sig;   /* valid rows: the normalized fields; sig.email and
				* sig.email_norm are NULL for a row without an email */
	int64_t signed_at;     /* Unix seconds, UTC: the row's signed_at, or now */
	char why[IMPORT_WHY_BYTES]; /* invalid rows: "email: not a valid value" */
};

struct import_set {
	struct import_row *rows;
	size_t n;
	size_t ninvalid;
	size_t nno_email;      /* valid rows without an email */
	char sep;              /* ',' or ';' as found in the header */
	int had_bom;
};

/*
 * Parses data[0..len): UTF-8 with or without a byte order mark; RFC 4180
 * cells (quoted cells may hold separators, quotes doubled, line breaks);
 * LF or CRLF line ends; the separator is ',' or ';', whichever the header
 * line holds more of outside quotes. The first line is a header naming the
 * columns, case-insensitively: name, email, country, comment, public,
 * updates, public_name, signed_at (all but name and country optional), and
 * the export's id and source, which are ignored. Any other column name
 * refuses the file. Blank lines are skipped.
 *
 * Each data row is checked with form_validate, as if its cells had been sent
 * by the form; a leading "'" that the export adds before = + - @ is removed
 * first. An empty email is allowed when allow_no_email (paper and event
 * signers may have none). signed_at: empty (now), YYYY-MM-DD,
 * YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD HH:MM:SS (UTC), not before 2000 and not
 * after now + one day.
 *
 * Returns 0 with out filled (rows IMPORT_VALID or IMPORT_INVALID), -1 when
 * the file cannot be read as such a CSV (err says why: no header, an
 * unknown column, too many rows, not UTF-8 ...), -2 when memory ran out.
 * out must be freed with import_set_free() in every case.
 */
int import_parse(const char *data, size_t len, int allow_no_email, int64_t now,
		 struct import_set *out, char *err, size_t errlen);
void import_set_free(struct import_set *set);

/* "added", "duplicate", "invalid", "valid". */
const char *import_result_name(enum import_result r);

#endif
