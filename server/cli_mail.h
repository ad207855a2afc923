/* cli_mail.h -- `petitiond mail-test ADDRESS`: one test message through
 * the configured relay, to check the mail settings before --confirm
 * required. */
#ifndef PETITIOND_CLI_MAIL_H
#define PETITIOND_CLI_MAIL_H

#include "config.h"

/* Sends a short neutral test message to cfg->command_file through
 * cfg->smtp_url as cfg->mail_from, with the server's own TLS and
 * certificate settings. Prints "sent a test message to ADDRESS through
 * HOST" on stdout, or the reason on stderr. Returns CLI_DONE, CLI_FAILED
 * (the relay could not be reached or refused), or CLI_USAGE (a setting is
 * missing or wrong). Main thread; calls mail_global_init itself. */
int cli_mail_test(const struct config *cfg);

#endif
