/* cli_numbers.h -- `petitiond export`, `petitiond stats` and `petitiond
 * delete --email`: the operator's numbers and erasures from the command
 * line, safely beside a running server. */
#ifndef PETITIOND_CLI_NUMBERS_H
#define PETITIOND_CLI_NUMBERS_H

#include "config.h"

/* Each runs its command as cfg says and returns the exit status (cli.h:
 * CLI_DONE, CLI_FAILED, CLI_USAGE). Data goes to stdout, what went wrong to
 * stderr. */
int cli_export(const struct config *cfg);
int cli_stats(const struct config *cfg);
int cli_delete(const struct config *cfg);

#endif
