/* log.h -- one-line diagnostics on stderr (never client addresses by default). */
#ifndef PETITIOND_LOG_H
#define PETITIOND_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start-up failures only: prints and exits with status 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
