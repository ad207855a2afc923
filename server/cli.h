/* cli.h -- the operator's subcommands: backup, restore, check, healthcheck. */
#ifndef PETITIOND_CLI_H
#define PETITIOND_CLI_H

#include "config.h"

/* Exit statuses of every subcommand. */
#define CLI_DONE 0
#define CLI_FAILED 1
#define CLI_USAGE 2

/* Runs cfg->command (config_load has parsed its arguments) and returns the
 * process's exit status. Prints what it did on stdout, failures on stderr. */
int cli_run(const struct config *cfg);

#endif
