/* cli_mail.c -- `petitiond mail-test ADDRESS` (see cli_mail.h).
 *
 * It goes through the same mail.c calls as the outbox's sender, so a
 * message that arrives here proves the server's settings, TLS included.
 * The message names no cause: the test address may be anyone's. */
#include "cli_mail.h"

#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "mail.h"

static const char test_subject[] = "Test message";
static const char test_text[] =
	"This is a test message.\n"
	"\n"
	"It was sent to check the mail settings of a server. If you can read it,\n"
	"they work. There is nothing to do.\n";
static const char test_html[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head><meta charset=\"utf-8\"><title>Test message</title></head>\n"
	"<body>\n"
	"<p>This is a test message.</p>\n"
	"<p>It was sent to check the mail settings of a server. If you can read it,\n"
	"they work. There is nothing to do.</p>\n"
	"</body>\n"
	"</html>\n";

int cli_mail_test(const struct config *cfg)
{
	struct mail_config mc;
	struct mail_conn *conn = NULL;
	struct mail_msg m = { 0 };
	struct buf msg = BUF_INIT;
	enum mail_result r;
	char err[MAIL_ERR_BYTES], relay[300];
	const char *to = cfg->command_file;
	int status = CLI_FAILED;

	if (cfg->smtp_url == NULL || cfg->mail_from == NULL) {
		fprintf(stderr, "petitiond mail-test: needs the mail settings to test: --smtp-url "
			"URL and --mail-from \"Name <address>\"\n");
		return CLI_USAGE;
	}
	if (to == NULL) {
		fprintf(stderr, "petitiond mail-test: missing ADDRESS (petitiond mail-test "
			"ADDRESS)\n");
		return CLI_USAGE;
	}
	if (mail_global_init() != 0) {
		fprintf(stderr, "petitiond mail-test: cannot start libcurl\n");
		return CLI_FAILED;
	}
	if (mail_config_init(&mc, cfg, err, sizeof err) != 0) {
		fprintf(stderr, "petitiond mail-test: %s\n", err);
		mail_config_free(&mc);
		mail_global_cleanup();
		return CLI_USAGE;
	}
	mail_relay_name(&mc, relay, sizeof relay);
	m.to = to;
	m.subject = test_subject;
	m.text = test_text;
	m.html = test_html;
	m.lang = "en";
	if (mail_compose(&msg, &mc, &m, (int64_t)time(NULL), err, sizeof err) != 0) {
		fprintf(stderr, "petitiond mail-test: %s: %s\n", to, err);
		status = CLI_USAGE;
		goto done;
	}
	conn = mail_conn_new(&mc);
	if (conn == NULL) {
		fprintf(stderr, "petitiond mail-test: cannot set up libcurl for %s\n", relay);
		goto done;
	}
	r = mail_send(conn, to, msg.data, msg.len, err, sizeof err);
	if (r == MAIL_SENT) {
		printf("sent a test message to %s through %s (%s)\n", to, relay, err);
		status = CLI_DONE;
	} else {
		/* Say which of the outbox's two fates this would be: tried again
		 * later, or given up for this address. */
		fprintf(stderr, "petitiond mail-test: could not send to %s through %s: %s (%s)\n",
			to, relay, err,
			r == MAIL_REJECTED ? "permanent: the server would not try this address again"
					   : "temporary: the server would try again later");
	}
done:
	mail_conn_free(conn);
	buf_free(&msg);
	mail_config_free(&mc);
	mail_global_cleanup();
	return status;
}
