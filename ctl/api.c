/* SPDX-License-Identifier: BSD-3-Clause */
/* The control API server: UNIX socket, one JSON object per line, commands on the ctl_state. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api.h"

#ifndef SIPSTEER_VERSION
#define SIPSTEER_VERSION "unknown"
#endif

#define ERR_MAX 512

/* The configuration field the socket path comes from: socket-setup errors name it. */
#define FIELD "control.api_socket"

struct client {
	int fd; /* -1: slot being dropped */
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	bool closing; /* close once out is flushed; read nothing more */
};

struct ctl_api {
	int listen_fd;
	int lock_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_state *st;
	const struct ctl_api_ops *ops;
	void *ctx;
	unsigned n_clients;
	struct client clients[CTL_API_MAX_CLIENTS];
	struct pollfd pfd[CTL_API_MAX_CLIENTS + 1];
};

__attribute__((format(printf, 3, 4))) static int say(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return 0;
}

/* --- opening --- */

/* mkdir -p of path's parent directory, 0755. */
static int make_parent(const char *path, char *err, size_t cap)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1;; p++) {
		bool end = *p == '\0';
		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			int rc = -errno;
			say(err, cap, FIELD ": %s: cannot create directory %s: %s", path, dir,
			    strerror(errno));
			return rc;
		}
		if (end)
			break;
		*p = '/';
	}
	return 0;
}

static int take_lock(struct ctl_api *api, char *err, size_t cap)
{
	char lock_path[PATH_MAX], pid[32];

	snprintf(lock_path, sizeof(lock_path), "%s.lock", api->path);
	api->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (api->lock_fd < 0) {
		int rc = -errno;
		say(err, cap, FIELD ": %s: cannot open %s: %s", api->path, lock_path,
		    strerror(errno));
		return rc;
	}
	if (flock(api->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		int rc = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
		ssize_t n = pread(api->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (rc == -EADDRINUSE)
			say(err, cap,
			    "another sipsteer%s%s%s is serving %s (it holds %s): stop it first, or "
			    "give this one another control.api_socket",
			    pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", api->path, lock_path);
		else
			say(err, cap, FIELD ": %s: cannot lock %s: %s", api->path, lock_path,
			    strerror(-rc));
		return rc;
	}
	/* Our pid, for the message a second daemon prints. */
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(api->lock_fd, 0) != 0 || pwrite(api->lock_fd, pid, (size_t)len, 0) != len) {
		/* Only the message of a second daemon loses its pid. */
	}
	return 0;
}

/*
 * Whether something listens on the socket file at path: 0 when nothing answers (the file is
 * stale, or gone), -EADDRINUSE when something accepts connections there, or -errno (with a
 * message) when connect() cannot tell. The lock only keeps other sipsteers away: a program
 * that is not a sipsteer may serve this path without ever touching our lock file.
 */
static int probe_socket(const struct sockaddr_un *sun, const char *path, char *err, size_t cap)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int rc = -errno;
		say(err, cap, FIELD ": %s: socket: %s", path, strerror(errno));
		return rc;
	}
	/* Non-blocking: a listener with a full backlog answers EAGAIN instead of stalling us. */
	int rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int connect_errno = errno;
	close(fd);
	if (rc == 0 || connect_errno == EAGAIN || connect_errno == EINPROGRESS) {
		say(err, cap,
		    FIELD ": %s is in use by another program (something answers on it); choose "
		          "another path",
		    path);
		return -EADDRINUSE;
	}
	if (connect_errno == ECONNREFUSED || connect_errno == ENOENT)
		return 0;
	say(err, cap,
	    FIELD ": %s: cannot tell whether another program serves this socket (connect: %s): "
	          "not removing it",
	    path, strerror(connect_errno));
	return -connect_errno;
}

static int listen_on(struct ctl_api *api, char *err, size_t cap)
{
	struct sockaddr_un sun;
	struct stat sb;
	int rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, api->path, strlen(api->path));
	if (lstat(api->path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			say(err, cap, FIELD ": %s exists and is not a socket: not removing it",
			    api->path);
			return -EEXIST;
		}
		if ((rc = probe_socket(&sun, api->path, err, cap)) != 0)
			return rc;
		/* We hold the lock and nothing answers: whoever made this socket is gone. */
		if (unlink(api->path) != 0 && errno != ENOENT) {
			rc = -errno;
			say(err, cap, FIELD ": %s: cannot remove the stale socket: %s", api->path,
			    strerror(errno));
			return rc;
		}
	}
	api->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (api->listen_fd < 0) {
		rc = -errno;
		say(err, cap, FIELD ": %s: socket: %s", api->path, strerror(errno));
		return rc;
	}
	/* The socket file is born 0660: no window in which others may connect. */
	mode_t old = umask(0117);
	rc = bind(api->listen_fd, (struct sockaddr *)&sun, sizeof(sun));
	int bind_errno = errno;
	umask(old);
	if (rc != 0) {
		say(err, cap, FIELD ": %s: bind: %s", api->path, strerror(bind_errno));
		return -bind_errno;
	}
	if (chmod(api->path, 0660) != 0 || listen(api->listen_fd, 64) != 0) {
		rc = -errno;
		say(err, cap, FIELD ": %s: %s", api->path, strerror(errno));
		unlink(api->path);
		return rc;
	}
	return 0;
}

int ctl_api_open(struct ctl_api **out, const char *path, struct ctl_state *st,
                 const struct ctl_api_ops *ops, void *ctx, char *err, size_t cap)
{
	struct ctl_api *api;
	int rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		path = CTL_API_DEFAULT_SOCKET;
	if (ops == NULL || ops->apply == NULL) {
		say(err, cap, "%s: the API needs an apply operation", path);
		return -EINVAL;
	}
	api = calloc(1, sizeof(*api));
	if (api == NULL) {
		say(err, cap, "%s: out of memory", path);
		return -ENOMEM;
	}
	api->listen_fd = -1;
	api->lock_fd = -1;
	api->st = st;
	api->ops = ops;
	api->ctx = ctx;
	if (strlen(path) >= sizeof(api->path)) {
		say(err, cap, FIELD ": %s: a UNIX socket path holds at most %zu bytes", path,
		    sizeof(api->path) - 1);
		rc = -ENAMETOOLONG;
		goto err;
	}
	snprintf(api->path, sizeof(api->path), "%s", path);
	if ((rc = make_parent(api->path, err, cap)) != 0)
		goto err;
	if ((rc = take_lock(api, err, cap)) != 0)
		goto err;
	if ((rc = listen_on(api, err, cap)) != 0)
		goto err;
	*out = api;
	return 0;
err:
	if (api->listen_fd >= 0)
		close(api->listen_fd);
	if (api->lock_fd >= 0)
		close(api->lock_fd);
	free(api);
	return rc;
}

const char *ctl_api_path(const struct ctl_api *api)
{
	return api->path;
}

static void client_free(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void ctl_api_close(struct ctl_api *api)
{
	if (api == NULL)
		return;
	for (unsigned i = 0; i < api->n_clients; i++)
		client_free(&api->clients[i]);
	if (api->listen_fd >= 0) {
		close(api->listen_fd);
		unlink(api->path);
	}
	if (api->lock_fd >= 0)
		close(api->lock_fd); /* releases the flock */
	free(api);
}

/* --- JSON helpers --- */

/*
 * in with every byte that does not belong to a whole, valid UTF-8 character replaced by '?',
 * into out[cap]: a message cut at a byte count may end inside a character that a client's
 * name or command brought in, and JSON strings must be valid UTF-8.
 */
static void utf8_mend(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; in[i] != '\0' && o + 1 < cap;) {
		const unsigned char *s = (const unsigned char *)in + i;
		size_t n = s[0] < 0x80   ? 1
		           : s[0] < 0xc2 ? 0
		           : s[0] < 0xe0 ? 2
		           : s[0] < 0xf0 ? 3
		           : s[0] < 0xf5 ? 4
		                         : 0;
		bool ok = n != 0 && o + n < cap;
		for (size_t k = 1; ok && k < n; k++)
			ok = (s[k] & 0xc0) == 0x80; /* a NUL ends the check too */
		/* no overlong forms, no surrogates, nothing above U+10FFFF */
		if (ok && n == 3)
			ok = !(s[0] == 0xe0 && s[1] < 0xa0) && !(s[0] == 0xed && s[1] >= 0xa0);
		if (ok && n == 4)
			ok = !(s[0] == 0xf0 && s[1] < 0x90) && !(s[0] == 0xf4 && s[1] >= 0x90);
		if (!ok) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
}

static json_t *error_reply(const char *msg)
{
	char clean[2 * ERR_MAX];

	utf8_mend(msg, clean, sizeof(clean));
	return json_pack("{s:b,s:s}", "ok", 0, "error", clean);
}

static json_t *backend_json(const struct ctl_state *st, const struct lb_backend_config *be,
                            json_t *extra)
{
	char addr[64];
	double share = ctl_state_table_share(st, be);
	json_t *o =
	    json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:f}", "id", (json_int_t)be->id, "name", be->name,
	              "address", lb_addr_format(&be->addr, addr, sizeof(addr)), "weight",
	              (json_int_t)be->weight, "state", lb_admin_name(be->admin), "health",
	              lb_health_name(be->health), "table_share", round(share * 1e6) / 1e6);
	json_t *mine = extra != NULL ? json_object_get(extra, be->name) : NULL;
	const char *key;
	json_t *v;

	if (o == NULL || !json_is_object(mine))
		return o;
	json_object_foreach(mine, key, v)
	{
		if (strcmp(key, "name") && strcmp(key, "id"))
			json_object_set(o, key, v);
	}
	return o;
}

/* --- argument checking --- */

enum arg_type { ARG_STRING = 0, ARG_INT, ARG_BOOL };

struct arg_spec {
	const char *name;
	enum arg_type type;
	bool required;
};

#define MAX_ARGS 4

struct command {
	const char *name;
	json_t *(*run)(struct ctl_api *api, const struct command *cmd, json_t *args, char *err,
	               size_t cap);
	struct arg_spec args[MAX_ARGS]; /* ends at the first NULL name */
	int arg; /* command-specific: the admin state of drain/enable/disable */
};

static const char *type_name(enum arg_type t)
{
	return t == ARG_STRING ? "a string" : t == ARG_INT ? "an integer" : "true or false";
}

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static bool type_ok(const json_t *v, enum arg_type t)
{
	return t == ARG_STRING ? json_is_string(v)
	       : t == ARG_INT  ? json_is_integer(v)
	                       : json_is_boolean(v);
}

/* 0 when args match cmd's spec, else -EINVAL and the message. */
static int check_args(const struct command *cmd, json_t *args, char *err, size_t cap)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v)
	{
		const struct arg_spec *spec = NULL;
		for (int i = 0; i < MAX_ARGS && cmd->args[i].name != NULL; i++)
			if (!strcmp(cmd->args[i].name, key))
				spec = &cmd->args[i];
		if (spec == NULL) {
			char list[128] = "";
			for (int i = 0; i < MAX_ARGS && cmd->args[i].name != NULL; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				         i ? ", " : "", cmd->args[i].name);
			if (list[0])
				say(err, cap, "%s: unknown argument '%s' (arguments: %s)",
				    cmd->name, key, list);
			else
				say(err, cap, "%s: unknown argument '%s' (it takes no arguments)",
				    cmd->name, key);
			return -EINVAL;
		}
		if (!type_ok(v, spec->type)) {
			say(err, cap, "%s: argument '%s' must be %s, got %s", cmd->name, key,
			    type_name(spec->type), json_kind(v));
			return -EINVAL;
		}
	}
	for (int i = 0; i < MAX_ARGS && cmd->args[i].name != NULL; i++)
		if (cmd->args[i].required && json_object_get(args, cmd->args[i].name) == NULL) {
			say(err, cap, "%s: missing argument '%s'", cmd->name, cmd->args[i].name);
			return -EINVAL;
		}
	return 0;
}

static const char *arg_str(json_t *args, const char *name)
{
	return json_string_value(json_object_get(args, name));
}

/* --- commands --- */

/* Make next the running state through ops->apply. 0, or -errno with the message. */
static int commit(struct ctl_api *api, struct ctl_state *next, char *err, size_t cap)
{
	unsigned changes = ctl_state_changes(api->st, next);

	if (changes != 0) {
		say(err, cap, "the daemon could not apply the change");
		int rc = api->ops->apply(api->ctx, api->st, next, changes, err, cap);
		if (rc != 0)
			return rc < 0 ? rc : -EIO;
	}
	next->generation = api->st->generation + (changes != 0);
	ctl_state_swap(api->st, next);
	return 0;
}

static json_t *cmd_version(struct ctl_api *api, const struct command *cmd, json_t *args, char *err,
                           size_t cap)
{
	return json_pack("{s:s,s:s,s:i}", "name", "sipsteer", "version", SIPSTEER_VERSION, "api",
	                 CTL_API_VERSION);
}

static json_t *cmd_backends(struct ctl_api *api, const struct command *cmd, json_t *args, char *err,
                            size_t cap)
{
	json_t *extra = api->ops->backend_stats ? api->ops->backend_stats(api->ctx, api->st) : NULL;
	json_t *list = json_array();

	for (uint32_t i = 0; list != NULL && i < api->st->cfg.n_backends; i++)
		json_array_append_new(list,
		                      backend_json(api->st, &api->st->cfg.backends[i], extra));
	json_decref(extra);
	return list;
}

/* One backend change: run it on a copy, apply, swap in. Returns the backend's JSON. */
static json_t *backend_change(struct ctl_api *api, const struct command *cmd, json_t *args,
                              char *err, size_t cap)
{
	const char *name = arg_str(args, "name");
	struct ctl_state next;
	json_t *result = NULL;
	int rc;

	if (ctl_state_copy(&next, api->st) != 0) {
		say(err, cap, "%s: out of memory", cmd->name);
		return NULL;
	}
	if (!strcmp(cmd->name, "backend.add")) {
		json_t *w = json_object_get(args, "weight");
		rc = ctl_state_backend_add(&next, name, arg_str(args, "address"),
		                           w ? json_integer_value(w) : CTL_DEFAULT_WEIGHT, NULL,
		                           err, cap);
	} else if (!strcmp(cmd->name, "backend.remove")) {
		const struct lb_backend_config *be = ctl_state_find(&next, name);
		if (be != NULL)
			result = backend_json(&next, be, NULL);
		rc = ctl_state_backend_remove(&next, name, err, cap);
	} else if (!strcmp(cmd->name, "backend.weight")) {
		rc = ctl_state_backend_weight(
		    &next, name, json_integer_value(json_object_get(args, "weight")), err, cap);
	} else {
		rc = ctl_state_backend_admin(&next, name, (enum lb_admin)cmd->arg, err, cap);
	}
	if (rc == 0)
		rc = commit(api, &next, err, cap);
	ctl_state_free(&next);
	if (rc != 0) {
		json_decref(result);
		return NULL;
	}
	if (result == NULL) {
		const struct lb_backend_config *be = ctl_state_find(api->st, name);
		result = be != NULL ? backend_json(api->st, be, NULL) : json_null();
	}
	return result;
}

static json_t *cmd_stats(struct ctl_api *api, const struct command *cmd, json_t *args, char *err,
                         size_t cap)
{
	if (api->ops->stats == NULL) {
		say(err, cap, "stats are not available from this daemon");
		return NULL;
	}
	say(err, cap, "stats: the daemon gave no counters");
	return api->ops->stats(api->ctx, json_is_true(json_object_get(args, "reset")), err, cap);
}

static json_t *lines_json(char **lines, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(lines[i]));
	return a;
}

static json_t *reload_run(struct ctl_api *api, char *err, size_t cap);

/* "reload": reload_run(), its outcome told to ops->reloaded as well as to the client. */
static json_t *cmd_reload(struct ctl_api *api, const struct command *cmd, json_t *args, char *err,
                          size_t cap)
{
	json_t *result = reload_run(api, err, cap);

	if (api->ops->reloaded != NULL)
		api->ops->reloaded(api->ctx, result == NULL ? err : NULL, result);
	return result;
}

static json_t *reload_run(struct ctl_api *api, char *err, size_t cap)
{
	struct ctl_reload_report rep = {0};
	struct ctl_config cfg;
	struct ctl_state next;
	char msg[ERR_MAX];
	int rc;

	msg[0] = '\0';
	rc = api->ops->load ? api->ops->load(api->ctx, &cfg, msg, sizeof(msg))
	                    : ctl_config_load(api->st->cfg.path, &cfg, msg, sizeof(msg));
	if (rc != 0) {
		say(err, cap, "%s; nothing changed", msg[0] ? msg : strerror(-rc));
		return NULL;
	}
	if (ctl_state_copy(&next, api->st) != 0) {
		ctl_config_free(&cfg);
		say(err, cap, "reload: out of memory; nothing changed");
		return NULL;
	}
	rc = ctl_state_reload(&next, &cfg, &rep, msg, sizeof(msg));
	if (rc != 0) {
		ctl_config_free(&cfg);
		ctl_state_free(&next);
		say(err, cap, "%s; nothing changed", msg);
		return NULL;
	}
	rc = commit(api, &next, msg, sizeof(msg));
	ctl_state_free(&next);
	if (rc != 0) {
		ctl_reload_report_free(&rep);
		say(err, cap, "%s; nothing changed", msg);
		return NULL;
	}
	json_t *result = json_pack("{s:o,s:o}", "changed", lines_json(rep.changed, rep.n_changed),
	                           "warnings", lines_json(rep.warnings, rep.n_warnings));
	ctl_reload_report_free(&rep);
	return result;
}

static json_t *cmd_config_show(struct ctl_api *api, const struct command *cmd, json_t *args,
                               char *err, size_t cap)
{
	char *text = ctl_state_write_alloc(api->st);

	if (text == NULL) {
		say(err, cap, "config.show: %s", strerror(errno));
		return NULL;
	}
	json_t *result = json_pack("{s:s,s:s}", "path", api->st->cfg.path, "yaml", text);
	free(text);
	return result;
}

#define NAME_ARG                                                                                   \
	{                                                                                          \
		"name", ARG_STRING, true                                                           \
	}

static const struct command commands[] = {
    {"version", cmd_version, {{NULL, 0, false}}, 0},
    {"backends", cmd_backends, {{NULL, 0, false}}, 0},
    {"backend.add",
     backend_change,
     {NAME_ARG, {"address", ARG_STRING, true}, {"weight", ARG_INT, false}},
     0},
    {"backend.remove", backend_change, {NAME_ARG}, 0},
    {"backend.weight", backend_change, {NAME_ARG, {"weight", ARG_INT, true}}, 0},
    {"backend.drain", backend_change, {NAME_ARG}, LB_ADMIN_DRAINING},
    {"backend.enable", backend_change, {NAME_ARG}, LB_ADMIN_ENABLED},
    {"backend.disable", backend_change, {NAME_ARG}, LB_ADMIN_DISABLED},
    {"stats", cmd_stats, {{"reset", ARG_BOOL, false}}, 0},
    {"reload", cmd_reload, {{NULL, 0, false}}, 0},
    {"config.show", cmd_config_show, {{NULL, 0, false}}, 0},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static json_t *run_request(struct ctl_api *api, json_t *req, char *err, size_t cap)
{
	const char *key;
	json_t *v, *cmd_v = NULL, *args = NULL;

	if (!json_is_object(req)) {
		say(err, cap,
		    "a request must be a JSON object {\"cmd\": ..., \"args\": {...}}, got %s",
		    json_kind(req));
		return NULL;
	}
	json_object_foreach(req, key, v)
	{
		if (!strcmp(key, "cmd"))
			cmd_v = v;
		else if (!strcmp(key, "args"))
			args = v;
		else {
			say(err, cap, "unknown key '%s' in the request (expected cmd, args)", key);
			return NULL;
		}
	}
	if (cmd_v == NULL) {
		say(err, cap, "the request has no 'cmd'");
		return NULL;
	}
	if (!json_is_string(cmd_v)) {
		say(err, cap, "'cmd' must be a string, got %s", json_kind(cmd_v));
		return NULL;
	}
	const struct command *cmd = find_command(json_string_value(cmd_v));
	if (cmd == NULL) {
		char list[256] = "";
		for (size_t i = 0; i < N_COMMANDS; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			         i ? ", " : "", commands[i].name);
		say(err, cap, "unknown command '%.64s' (commands: %s)", json_string_value(cmd_v),
		    list);
		return NULL;
	}
	if (args != NULL && !json_is_null(args) && !json_is_object(args)) {
		say(err, cap, "%s: 'args' must be an object, got %s", cmd->name, json_kind(args));
		return NULL;
	}
	json_t *empty = NULL;
	if (args == NULL || json_is_null(args))
		args = empty = json_object();
	json_t *result = NULL;
	if (args != NULL && check_args(cmd, args, err, cap) == 0)
		result = cmd->run(api, cmd, args, err, cap);
	json_decref(empty);
	return result;
}

json_t *ctl_api_handle(struct ctl_api *api, const char *line, size_t len)
{
	char err[ERR_MAX];
	json_error_t jerr;

	json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (req == NULL) {
		snprintf(err, sizeof(err), "invalid JSON at column %d: %s", jerr.column, jerr.text);
		return error_reply(err);
	}
	err[0] = '\0';
	json_t *result = run_request(api, req, err, sizeof(err));
	json_decref(req);
	if (result == NULL)
		return error_reply(err[0] ? err : "out of memory");
	return json_pack("{s:b,s:o}", "ok", 1, "result", result);
}

/* --- connections --- */

static int out_append(struct client *c, const char *text, size_t len)
{
	size_t pending = c->out_len - c->out_off;

	if (pending + len > CTL_API_MAX_PENDING)
		return -ENOBUFS;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_len = pending;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t ncap = c->out_cap ? c->out_cap : 4096;
		while (ncap < c->out_len + len)
			ncap *= 2;
		char *p = realloc(c->out, ncap);
		if (p == NULL)
			return -ENOMEM;
		c->out = p;
		c->out_cap = ncap;
	}
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
	return 0;
}

static int reply(struct client *c, json_t *rep)
{
	char *text = rep ? json_dumps(rep, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	int rc;

	if (text == NULL)
		text = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	if (text == NULL)
		return -ENOMEM;
	rc = out_append(c, text, strlen(text));
	if (rc == 0)
		rc = out_append(c, "\n", 1);
	free(text);
	return rc;
}

/* Send what is pending. Returns 0, or -errno when the client must go. */
static int flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return c->closing ? -ECONNRESET : 0;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

static int too_long(struct client *c)
{
	char msg[96];

	/* No way to tell where the next request starts: answer, then close. */
	snprintf(msg, sizeof(msg), "request longer than %d bytes: closing the connection",
	         CTL_API_MAX_REQUEST);
	json_t *rep = error_reply(msg);
	int rc = reply(c, rep);
	json_decref(rep);
	c->in_len = 0;
	c->closing = true;
	return rc < 0 ? rc : 1;
}

/* Answer every complete line in c->in. Returns requests answered, or -errno to drop c. */
static int serve_lines(struct ctl_api *api, struct client *c)
{
	size_t start = 0;
	int served = 0;

	for (;;) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		if (nl == NULL)
			break;
		size_t len = (size_t)(nl - (c->in + start));
		/* the limit is on the request, without its line end: LF or CRLF */
		if (len > 0 && c->in[start + len - 1] == '\r')
			len--;
		if (len > CTL_API_MAX_REQUEST) {
			int rc = too_long(c);
			return rc < 0 ? rc : served + rc;
		}
		if (!blank(c->in + start, len)) {
			json_t *rep = ctl_api_handle(api, c->in + start, len);
			int rc = reply(c, rep);
			json_decref(rep);
			if (rc != 0)
				return rc;
			served++;
		}
		start = (size_t)(nl - c->in) + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	/* a partial line: its last byte may be the CR of a CRLF still on its way */
	size_t cr = c->in_len > 0 && c->in[c->in_len - 1] == '\r';
	if (c->in_len > CTL_API_MAX_REQUEST + cr) {
		int rc = too_long(c);
		return rc < 0 ? rc : served + rc;
	}
	return served;
}

/* Read what c sent and answer it. Returns requests answered, or -errno to drop c. */
static int serve_client(struct ctl_api *api, struct client *c)
{
	int served = 0;

	while (!c->closing) {
		if (c->in_cap - c->in_len < 4096) {
			size_t ncap = c->in_cap ? c->in_cap * 2 : 8192;
			if (ncap > CTL_API_MAX_REQUEST + 4096 + 2)
				ncap = CTL_API_MAX_REQUEST + 4096 + 2;
			if (ncap > c->in_cap) {
				char *p = realloc(c->in, ncap);
				if (p == NULL)
					return -ENOMEM;
				c->in = p;
				c->in_cap = ncap;
			}
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		if (n == 0) {
			/* The peer closed its side: answer its complete lines, drop any partial
			 * one. */
			c->closing = true;
		} else {
			c->in_len += (size_t)n;
		}
		int rc = serve_lines(api, c);
		if (rc < 0)
			return rc;
		served += rc;
		if (n == 0)
			c->in_len = 0;
		if (c->out_len > c->out_off)
			break; /* replies first: read more once they are sent */
	}
	int rc = flush(c);
	return rc < 0 ? rc : served;
}

static void accept_clients(struct ctl_api *api)
{
	for (;;) {
		int fd = accept4(api->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a connection that went away meanwhile */
		if (api->n_clients == CTL_API_MAX_CLIENTS) {
			static const char busy[] = "{\"ok\":false,\"error\":\"too many control "
			                           "connections, try again\"}\n";
			ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)n;
			close(fd);
			continue;
		}
		struct client *c = &api->clients[api->n_clients++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
	}
}

static nfds_t fill_pollfds(struct ctl_api *api)
{
	api->pfd[0].fd = api->listen_fd;
	api->pfd[0].events = POLLIN;
	api->pfd[0].revents = 0;
	for (unsigned i = 0; i < api->n_clients; i++) {
		const struct client *c = &api->clients[i];
		struct pollfd *p = &api->pfd[i + 1];
		p->fd = c->fd;
		p->events = c->out_len > c->out_off ? POLLOUT : c->closing ? 0 : POLLIN;
		p->revents = 0;
	}
	return api->n_clients + 1;
}

int ctl_api_wait(struct ctl_api *api, int timeout_ms)
{
	int n = poll(api->pfd, fill_pollfds(api), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n;
}

int ctl_api_poll(struct ctl_api *api, int timeout_ms)
{
	int served = 0;
	unsigned n_polled = api->n_clients;
	int n = ctl_api_wait(api, timeout_ms);

	if (n <= 0)
		return n;
	for (unsigned i = 0; i < n_polled; i++) {
		struct client *c = &api->clients[i];
		short ev = api->pfd[i + 1].revents;
		int rc = 0;
		if (ev == 0)
			continue;
		if (ev & POLLOUT)
			rc = flush(c);
		if (rc == 0 && (ev & (POLLIN | POLLHUP | POLLERR)) && !c->closing)
			rc = serve_client(api, c);
		else if (rc == 0 && (ev & (POLLHUP | POLLERR)))
			rc = -ECONNRESET;
		if (rc < 0)
			client_free(c);
		else
			served += rc;
	}
	/* Compact: dropped clients have fd -1. */
	unsigned kept = 0;
	for (unsigned i = 0; i < api->n_clients; i++)
		if (api->clients[i].fd >= 0)
			api->clients[kept++] = api->clients[i];
	api->n_clients = kept;
	if (api->pfd[0].revents & POLLIN)
		accept_clients(api);
	return served;
}

/* --- stats baseline --- */

static bool is_identifier(const char *key)
{
	/* not counters: never subtracted by a reset */
	return key != NULL &&
	       (!strcmp(key, "id") || !strcmp(key, "lcore") || !strcmp(key, "weight"));
}

static json_t *delta(const json_t *now, const json_t *base, const char *key);

static const json_t *named(const json_t *array, const json_t *item)
{
	const char *name = json_string_value(json_object_get(item, "name"));
	size_t i;
	json_t *v;

	if (name == NULL)
		return NULL;
	json_array_foreach(array, i, v)
	{
		const char *other = json_string_value(json_object_get(v, "name"));
		if (other != NULL && !strcmp(other, name))
			return v;
	}
	return NULL;
}

static json_t *delta(const json_t *now, const json_t *base, const char *key)
{
	if (json_is_integer(now)) {
		json_int_t a = json_integer_value(now), b = json_integer_value(base);
		if (!json_is_integer(base) || is_identifier(key) || a < b)
			return json_integer(a);
		return json_integer(a - b);
	}
	if (json_is_object(now)) {
		json_t *o = json_object();
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)now, k, v)
		{
			json_t *d =
			    delta(v, json_is_object(base) ? json_object_get(base, k) : NULL, k);
			if (o == NULL || d == NULL || json_object_set_new(o, k, d) != 0) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	if (json_is_array(now)) {
		json_t *a = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(now, i, v)
		{
			const json_t *b = NULL;
			if (json_is_array(base))
				b = json_is_string(json_object_get(v, "name"))
				        ? named(base, v)
				        : json_array_get(base, i);
			json_t *d = delta(v, b, NULL);
			if (a == NULL || d == NULL || json_array_append_new(a, d) != 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	return json_deep_copy(now);
}

json_t *ctl_api_stats_delta(const json_t *now, const json_t *baseline)
{
	if (now == NULL)
		return NULL;
	json_t *d = delta(now, baseline, NULL);
	/* The window the counters cover: since the reset, where there was one. */
	json_t *t = json_object_get(now, "uptime_s"), *t0 = json_object_get(baseline, "uptime_s");
	if (json_is_object(d) && json_is_number(t) && json_is_number(t0))
		/* to the millisecond, as uptime_s is written: no float noise in the difference */
		json_object_set_new(
		    d, "since_reset_s",
		    json_real(round((json_number_value(t) - json_number_value(t0)) * 1000.0) /
		              1000.0));
	return d;
}
