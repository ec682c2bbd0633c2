/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Daemon log lines on stderr: "2024-05-01T12:00:00.123Z info: message", or to syslog (facility
 * daemon, ident "sipsteer", the level as priority) when control.log is "syslog". One write per
 * line, so lines from different threads never interleave. Not for the per-packet path.
 */
#ifndef SIPSTEER_DP_LOG_H
#define SIPSTEER_DP_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_COUNT
};

/* Parse "debug", "info", "warning", "error" (the configuration's words). Returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level l);

/* Lines below level are not written. Startup only. */
void log_set_level(enum log_level level);

/* Send lines to syslog (true) or stderr (false, the default). Startup only. */
void log_set_syslog(bool on);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
