/* cli_seal.h -- sealed mode's commands: `petitiond keygen OUT` (on an
 * organizer's own computer), `petitiond unseal --key FILE.secret` (opens a
 * sealed export, offline) and `petitiond seal --key FILE.public [--db
 * PATH]` (converts a database in place, server stopped). */
#ifndef PETITIOND_CLI_SEAL_H
#define PETITIOND_CLI_SEAL_H

#include "config.h"

/* Each runs its command as cfg says (command_file: keygen's OUT; key_file;
 * db) and returns the exit status (cli.h: CLI_DONE, CLI_FAILED). What it
 * did goes to stdout (unseal: the opened CSV, and its summary to stderr),
 * what went wrong to stderr. */
int cli_keygen(const struct config *cfg);
int cli_unseal(const struct config *cfg);
int cli_seal(const struct config *cfg);

#endif
