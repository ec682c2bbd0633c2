/* SPDX-License-Identifier: BSD-3-Clause */
/* Timestamped, levelled log lines on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level min_level = LOG_LEVEL_INFO;
static bool to_syslog;

static const char *const level_names[LOG_LEVEL_COUNT] = {"debug", "info", "warning", "error"};

int log_level_parse(const char *s, enum log_level *out)
{
	for (int l = 0; l < LOG_LEVEL_COUNT; l++) {
		if (strcmp(s, level_names[l]) == 0) {
			*out = (enum log_level)l;
			return 0;
		}
	}
	return -1;
}

const char *log_level_name(enum log_level l)
{
	return (int)l >= 0 && l < LOG_LEVEL_COUNT ? level_names[l] : "?";
}

void log_set_level(enum log_level level)
{
	min_level = level;
}

void log_set_syslog(bool on)
{
	if (on && !to_syslog)
		openlog("sipsteer", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && to_syslog)
		closelog();
	to_syslog = on;
}

static const int syslog_priority[LOG_LEVEL_COUNT] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (level < min_level)
		return;
	if (to_syslog) {
		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		syslog(level < LOG_LEVEL_COUNT ? syslog_priority[level] : LOG_ERR, "%s", line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	int k = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s: ", ts.tv_nsec / 1000000,
	                 log_level_name(level));
	if (k > 0)
		n += (size_t)k;
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (k > 0)
		n += (size_t)k < sizeof(line) - n - 1 ? (size_t)k : sizeof(line) - n - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}
