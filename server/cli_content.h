/* cli_content.h -- `petitiond content dump DIR | load DIR [--dry-run]`: the
 * published texts as files (LANG.md and LANG.json per language), for
 * organizers who keep them in git. */
#ifndef PETITIOND_CLI_CONTENT_H
#define PETITIOND_CLI_CONTENT_H

#include "config.h"

/* Runs `content` as cfg says (command_file: "dump" or "load"; command_arg:
 * DIR; dry_run). Prints what it did on stdout, failures on stderr. Returns
 * the exit status (cli.h: CLI_DONE, CLI_FAILED, CLI_USAGE). */
int cli_content(const struct config *cfg);

#endif
