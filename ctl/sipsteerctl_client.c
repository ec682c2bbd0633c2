/* SPDX-License-Identifier: BSD-3-Clause */
/* sipsteerctl's side of the control API: one JSON request line out, one reply line back. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sipsteerctl.h"

#define MAX_REPLY (64u << 20)

static const char *hint(int e)
{
	switch (e) {
	case ENOENT:
	case ECONNREFUSED:
		return " (is sipsteer running? --socket PATH names another socket)";
	case EACCES:
	case EPERM:
		return " (the socket is mode 0660: run as root or as a member of its group)";
	default:
		return "";
	}
}

int cli_connect(struct cli_conn *c, const char *path, int timeout_ms, char *err, size_t cap)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->path = path;
	c->timeout_ms = timeout_ms;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, cap,
		         "cannot reach the daemon at %s: the path is longer than %zu bytes", path,
		         sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int e = errno;
		struct stat st;
		/* A file or directory that is no socket at all: say so, not "is sipsteer running?"
		 */
		if (e == ECONNREFUSED && stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
			snprintf(
			    err, cap,
			    "cannot reach the daemon at %s: it is a %s, not a socket (--socket "
			    "PATH names the control socket, control.api_socket in the "
			    "configuration)",
			    path, S_ISDIR(st.st_mode) ? "directory" : "file");
		else
			snprintf(err, cap, "cannot reach the daemon at %s: %s%s", path, strerror(e),
			         hint(e));
		cli_close(c);
		return -e;
	}
	return 0;
}

void cli_close(struct cli_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
	c->len = c->cap = 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_line(struct cli_conn *c, const char *text, size_t len, char *err, size_t cap)
{
	while (len > 0) {
		ssize_t n = send(c->fd, text, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			snprintf(err, cap, "daemon at %s: sending the request failed: %s", c->path,
			         strerror(e));
			return -e;
		}
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until a whole line is in c->buf; returns its length (newline excluded) or -errno. */
static long read_line(struct cli_conn *c, char *err, size_t cap)
{
	long long deadline = now_ms() + c->timeout_ms;

	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl != NULL)
			return nl - c->buf;
		if (c->len == MAX_REPLY) {
			snprintf(err, cap, "daemon at %s: reply longer than %u bytes", c->path,
			         MAX_REPLY);
			return -EMSGSIZE;
		}
		long long left = deadline - now_ms();
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int n = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, cap, "daemon at %s: no reply within %d ms", c->path,
			         c->timeout_ms);
			return -ETIMEDOUT;
		}
		if (c->cap - c->len < 65536) {
			size_t ncap = c->cap ? c->cap * 2 : 65536 * 2;
			if (ncap > MAX_REPLY)
				ncap = MAX_REPLY;
			char *b = realloc(c->buf, ncap);
			if (b == NULL) {
				snprintf(err, cap, "out of memory");
				return -ENOMEM;
			}
			c->buf = b;
			c->cap = ncap;
		}
		ssize_t got = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			snprintf(err, cap, "daemon at %s: connection closed before the reply%s%s",
			         c->path, got < 0 ? ": " : "", got < 0 ? strerror(errno) : "");
			return got < 0 ? -errno : -ECONNRESET;
		}
		c->len += (size_t)got;
	}
}

int cli_call(struct cli_conn *c, const char *cmd, json_t *args, json_t **result, char *err,
             size_t cap)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd);
	json_error_t jerr;
	int rc;

	*result = NULL;
	if (req == NULL || (args != NULL && json_object_set_new(req, "args", args) != 0)) {
		json_decref(req);
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	rc = send_line(c, text, strlen(text), err, cap);
	free(text);
	if (rc == 0)
		rc = send_line(c, "\n", 1, err, cap);
	if (rc != 0 && rc != -EPIPE && rc != -ECONNRESET)
		return rc;
	/* A daemon that turns the connection away (too many clients) writes its reason and
	 * closes without reading: the send may fail while that line waits to be read. */
	char read_err[256];
	long len = read_line(c, rc == 0 ? err : read_err, rc == 0 ? cap : sizeof(read_err));
	if (len < 0)
		return rc != 0 ? rc : (int)len;
	json_t *rep = json_loadb(c->buf, (size_t)len, 0, &jerr);
	c->len -= (size_t)len + 1;
	memmove(c->buf, c->buf + len + 1, c->len);
	json_t *ok = json_object_get(rep, "ok");
	if (rep == NULL || !json_is_boolean(ok)) {
		snprintf(err, cap, "daemon at %s: the reply is not an API reply%s%s", c->path,
		         rep == NULL ? ": " : "", rep == NULL ? jerr.text : "");
		json_decref(rep);
		return -EPROTO;
	}
	if (json_is_false(ok)) {
		const char *msg = json_string_value(json_object_get(rep, "error"));
		snprintf(err, cap, "%s", msg != NULL ? msg : "failed, without a reason");
		json_decref(rep);
		return 1;
	}
	*result = json_incref(json_object_get(rep, "result"));
	json_decref(rep);
	if (*result == NULL)
		*result = json_null();
	return 0;
}
