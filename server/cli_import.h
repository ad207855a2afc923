/* cli_import.h -- `petitiond import FILE.csv [--dry-run] [--add-valid]
 * [--source paper|event]`: signatures collected on paper or at an event. */
#ifndef PETITIOND_CLI_IMPORT_H
#define PETITIOND_CLI_IMPORT_H

#include "config.h"

/* Runs `import` as cfg says (command_file, dry_run, add_valid, source).
 * Prints per line what became of each row on stdout, failures on stderr.
 * Returns the exit status (cli.h: CLI_DONE, CLI_FAILED, CLI_USAGE). */
int cli_import(const struct config *cfg);

#endif
