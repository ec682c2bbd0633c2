/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API server on a temporary socket with fake daemon operations: every command, every
 * class of bad request (which must change nothing), a second server refused, garbage, oversized
 * and partial input, pipelined requests, clients that disconnect, too many clients, and the
 * stats baseline helper. Client and server run in this one thread: the test alternates between
 * writing, ctl_api_poll and reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "api.h"

#define HEAD                                                                                       \
	"ports:\n  - name: lan0\n    device: net_tap0\n"                                           \
	"listen:\n  ipv4: 198.18.0.10/24\n"
#define TWO                                                                                        \
	"backends:\n"                                                                              \
	"  - name: be1\n    address: 198.18.0.21\n"                                                \
	"  - name: be2\n    address: 198.18.0.22:5070\n    weight: 3\n"

/* The fake daemon. */
struct fake {
	int applied;      /* apply calls */
	unsigned changes; /* changes of the last one */
	int fail_apply;   /* 0, or the -errno apply returns */
	int stats_calls;
	bool last_reset;
	const char *reload_text; /* what load() parses; NULL: fail */
};

static int fake_apply(void *ctx, const struct ctl_state *cur, const struct ctl_state *next,
                      unsigned changes, char *err, size_t cap)
{
	struct fake *f = ctx;
	assert_int_not_equal(changes, 0);
	assert_int_equal(changes, ctl_state_changes(cur, next));
	/* What the daemon does: build the set it would publish. */
	struct lb_config lbc;
	ctl_state_lb(next, &lbc);
	struct lb_set *set = lb_set_build(&lbc, err, cap);
	assert_non_null(set);
	lb_set_free(set);
	if (f->fail_apply) {
		snprintf(err, cap, "publish failed: the fake daemon says no");
		return f->fail_apply;
	}
	f->applied++;
	f->changes = changes;
	return 0;
}

static json_t *fake_stats(void *ctx, bool reset, char *err, size_t cap)
{
	struct fake *f = ctx;
	f->stats_calls++;
	f->last_reset = reset;
	return json_pack("{s:f,s:[{s:i,s:i}],s:{s:i}}", "uptime_s", 1.5, "workers", "lcore", 1,
	                 "rx", 10, "total", "rx", 10);
}

static json_t *fake_backend_stats(void *ctx, const struct ctl_state *st)
{
	return json_pack("{s:{s:f,s:f,s:s,s:i}}", "be1", "rate", 5.5, "rtt_ms", 1.25, "name",
	                 "not-this", "id", 99);
}

static int fake_load(void *ctx, struct ctl_config *cfg, char *err, size_t cap)
{
	struct fake *f = ctx;
	if (f->reload_text == NULL) {
		snprintf(err, cap, "fake.yaml: cannot read: No such file or directory");
		return -ENOENT;
	}
	return ctl_config_parse("fake.yaml", f->reload_text, strlen(f->reload_text), cfg, err, cap);
}

static const struct ctl_api_ops full_ops = {
    .apply = fake_apply,
    .stats = fake_stats,
    .backend_stats = fake_backend_stats,
    .load = fake_load,
};

/* One test's world. */
struct world {
	char dir[64];
	char path[128];
	struct ctl_state st;
	struct fake fake;
	struct ctl_api *api;
};

static void world_state(struct world *w, const char *text)
{
	struct ctl_config cfg;
	char err[256];

	assert_int_equal(ctl_config_parse("t.yaml", text, strlen(text), &cfg, err, sizeof(err)), 0);
	assert_int_equal(ctl_state_init(&w->st, &cfg, err, sizeof(err)), 0);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[256];

	snprintf(w->dir, sizeof(w->dir), "/tmp/sipsteer-api-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(w->path, sizeof(w->path), "%s/run/api.sock", w->dir);
	world_state(w, HEAD TWO);
	int rc = ctl_api_open(&w->api, w->path, &w->st, &full_ops, &w->fake, err, sizeof(err));
	if (rc != 0)
		fail_msg("open: %s", err);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;
	char cmd[200];

	ctl_api_close(w->api);
	ctl_state_free(&w->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
	return 0;
}

/* --- a client in the same thread --- */

static int client(const struct world *w)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(w->path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, w->path, strlen(w->path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void send_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, text, len, MSG_NOSIGNAL);
		assert_true(n > 0);
		text += n;
		len -= (size_t)n;
	}
}

static void send_str(int fd, const char *text)
{
	send_all(fd, text, strlen(text));
}

/*
 * Poll the server until fd has a whole line (returned, malloc'd, without the newline), or until
 * it closes the connection (NULL). Fails after many turns without either.
 */
static char *read_line(struct world *w, int fd)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);

	for (int turn = 0; turn < 2000; turn++) {
		ctl_api_poll(w->api, 2);
		for (;;) {
			if (len + 1 == cap)
				buf = realloc(buf, cap *= 2);
			ssize_t n = recv(fd, buf + len, 1, MSG_DONTWAIT);
			if (n == 0) {
				free(buf);
				return NULL;
			}
			if (n < 0)
				break;
			if (buf[len] == '\n') {
				buf[len] = '\0';
				return buf;
			}
			len++;
		}
	}
	fail_msg("no reply");
	return NULL;
}

static json_t *read_reply(struct world *w, int fd)
{
	char *line = read_line(w, fd);
	json_error_t jerr;

	assert_non_null(line);
	assert_null(strchr(line, '\n'));
	json_t *rep = json_loads(line, 0, &jerr);
	if (rep == NULL)
		fail_msg("reply is not JSON: %s", line);
	free(line);
	return rep;
}

static json_t *request(struct world *w, const char *line)
{
	int fd = client(w);
	send_all(fd, line, strlen(line));
	send_str(fd, "\n");
	json_t *rep = read_reply(w, fd);
	close(fd);
	return rep;
}

/* The result of a request that must succeed (new reference to the whole reply). */
static json_t *ok(struct world *w, const char *line)
{
	json_t *rep = request(w, line);
	if (!json_is_true(json_object_get(rep, "ok")))
		fail_msg("'%s' failed: %s", line, json_string_value(json_object_get(rep, "error")));
	assert_non_null(json_object_get(rep, "result"));
	assert_null(json_object_get(rep, "error"));
	return rep;
}

static void assert_error(json_t *rep, const char *part)
{
	const char *msg = json_string_value(json_object_get(rep, "error"));
	assert_true(json_is_false(json_object_get(rep, "ok")));
	assert_null(json_object_get(rep, "result"));
	if (msg == NULL || strstr(msg, part) == NULL)
		fail_msg("error '%s' does not contain '%s'", msg ? msg : "(none)", part);
}

/* --- opening --- */

static void test_open(void **state)
{
	struct world *w = *state;
	struct stat sb;
	char lock[160], pid[32], parent[128];

	assert_string_equal(ctl_api_path(w->api), w->path);
	assert_int_equal(stat(w->path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0660);
	snprintf(parent, sizeof(parent), "%s/run", w->dir);
	assert_int_equal(stat(parent, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0755);
	snprintf(lock, sizeof(lock), "%s.lock", w->path);
	FILE *f = fopen(lock, "r");
	assert_non_null(f);
	assert_non_null(fgets(pid, sizeof(pid), f));
	fclose(f);
	assert_int_equal(atol(pid), (long)getpid());
}

static void test_second_server_refused(void **state)
{
	struct world *w = *state;
	struct ctl_api *other = (struct ctl_api *)1;
	char err[512], want[512];

	int rc = ctl_api_open(&other, w->path, &w->st, &full_ops, &w->fake, err, sizeof(err));
	assert_int_equal(rc, -EADDRINUSE);
	assert_null(other);
	snprintf(want, sizeof(want), "another sipsteer (pid %ld) is serving %s (it holds %s.lock)",
	         (long)getpid(), w->path, w->path);
	if (strstr(err, want) == NULL)
		fail_msg("'%s' lacks '%s'", err, want);
	/* The first one still serves. */
	json_t *rep = ok(w, "{\"cmd\":\"version\"}");
	json_decref(rep);

	/* Once it is gone, its socket file is stale: a new server replaces it. */
	ctl_api_close(w->api);
	w->api = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	assert_true(strlen(w->path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, w->path, strlen(w->path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd); /* leaves a socket file nobody listens on */
	rc = ctl_api_open(&w->api, w->path, &w->st, &full_ops, &w->fake, err, sizeof(err));
	if (rc != 0)
		fail_msg("reopen: %s", err);
	rep = ok(w, "{\"cmd\":\"version\"}");
	json_decref(rep);
}

static void test_open_errors(void **state)
{
	struct world *w = *state;
	struct ctl_api *api;
	struct ctl_api_ops no_apply = {.stats = fake_stats};
	char err[512], path[300];

	snprintf(path, sizeof(path), "%s/plain", w->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(ctl_api_open(&api, path, &w->st, &full_ops, NULL, err, sizeof(err)),
	                 -EEXIST);
	assert_non_null(strstr(err, "exists and is not a socket: not removing it"));

	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(ctl_api_open(&api, path, &w->st, &full_ops, NULL, err, sizeof(err)),
	                 -ENAMETOOLONG);
	assert_non_null(strstr(err, "a UNIX socket path holds at most 107 bytes"));

	snprintf(path, sizeof(path), "%s/other.sock", w->dir);
	assert_int_equal(ctl_api_open(&api, path, &w->st, &no_apply, NULL, err, sizeof(err)),
	                 -EINVAL);
	assert_int_equal(ctl_api_open(&api, path, &w->st, NULL, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "needs an apply operation"));

	/* A parent that cannot be created. */
	snprintf(path, sizeof(path), "%s/plain/sub/api.sock", w->dir);
	int rc = ctl_api_open(&api, path, &w->st, &full_ops, NULL, err, sizeof(err));
	assert_int_equal(rc, -ENOTDIR);
	assert_non_null(strstr(err, "cannot create directory"));
	ctl_api_close(NULL);
}

/* A UNIX stream socket bound at path; listening (backlog) when listening, else closed (stale). */
static int bind_at(const char *path, bool listening, int backlog)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (!listening) {
		close(fd);
		return -1;
	}
	assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/* A non-blocking connect to path: 0, or the errno. */
static int try_connect(const char *path, int *out)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ? 0 : errno;
	if (rc == 0 && out != NULL)
		*out = fd;
	else
		close(fd);
	return rc;
}

static void assert_msg(const char *err, const char *want)
{
	if (strstr(err, want) == NULL)
		fail_msg("'%s' lacks '%s'", err, want);
}

/* Another program (no sipsteer, no lock file) serves the path: refused, its socket left alone. */
static void test_foreign_listener(void **state)
{
	struct world *w = *state;
	struct ctl_api *api = (struct ctl_api *)1;
	struct stat before, after;
	char path[160], want[300], err[512];

	snprintf(path, sizeof(path), "%s/foreign.sock", w->dir);
	int lfd = bind_at(path, true, 8);
	assert_int_equal(lstat(path, &before), 0);
	assert_int_equal(ctl_api_open(&api, path, &w->st, &full_ops, &w->fake, err, sizeof(err)),
	                 -EADDRINUSE);
	assert_null(api);
	snprintf(want, sizeof(want),
	         "control.api_socket: %s is in use by another program (something answers on it); "
	         "choose another path",
	         path);
	assert_msg(err, want);
	/* The same file, still served by its owner. */
	assert_int_equal(lstat(path, &after), 0);
	assert_true(S_ISSOCK(after.st_mode));
	assert_int_equal(after.st_ino, before.st_ino);
	int cfd = -1;
	assert_int_equal(try_connect(path, &cfd), 0);
	/* First in its queue: the probe's connection, which only hung up. */
	char c;
	int afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(recv(afd, &c, 1, 0), 0);
	close(afd);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	send_str(cfd, "x");
	assert_int_equal(recv(afd, &c, 1, 0), 1);
	assert_int_equal(c, 'x');
	close(afd);
	close(cfd);

	/* A listener too busy to take one more connection still counts as one. */
	close(lfd);
	assert_int_equal(unlink(path), 0);
	lfd = bind_at(path, true, 0);
	int queued[16], n = 0;
	while (n < 16 && try_connect(path, &queued[n]) == 0)
		n++;
	assert_int_equal(try_connect(path, NULL), EAGAIN); /* backlog full */
	assert_int_equal(ctl_api_open(&api, path, &w->st, &full_ops, &w->fake, err, sizeof(err)),
	                 -EADDRINUSE);
	assert_null(api);
	assert_msg(err, want);
	assert_int_equal(lstat(path, &after), 0);
	assert_true(S_ISSOCK(after.st_mode));
	while (n > 0)
		close(queued[--n]);
	close(lfd);

	/* The first server was never disturbed. */
	json_decref(ok(w, "{\"cmd\":\"version\"}"));
}

/* A socket file nobody listens on (its program died): replaced, and served. */
static void test_stale_socket(void **state)
{
	struct world *w = *state;
	struct ctl_api *api = NULL;
	struct stat sb;
	char path[160], err[512];

	snprintf(path, sizeof(path), "%s/stale.sock", w->dir);
	bind_at(path, false, 0);
	assert_int_equal(try_connect(path, NULL), ECONNREFUSED);
	int rc = ctl_api_open(&api, path, &w->st, &full_ops, &w->fake, err, sizeof(err));
	if (rc != 0)
		fail_msg("open over a stale socket: %s", err);
	assert_non_null(api);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0660);
	int cfd = -1;
	assert_int_equal(try_connect(path, &cfd), 0);
	close(cfd);
	ctl_api_close(api);
	assert_int_equal(lstat(path, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

/* What is not a socket is never removed; errors name the field the path comes from. */
static void test_not_a_socket(void **state)
{
	struct world *w = *state;
	struct ctl_api *api = (struct ctl_api *)1;
	struct stat sb;
	char path[160], want[400], err[512], buf[64];
	static const char text[] = "precious data\n";

	snprintf(path, sizeof(path), "%s/regular", w->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
	assert_int_equal(ctl_api_open(&api, path, &w->st, &full_ops, &w->fake, err, sizeof(err)),
	                 -EEXIST);
	assert_null(api);
	snprintf(want, sizeof(want), "control.api_socket: %s exists and is not a socket", path);
	assert_msg(err, want);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, text);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));

	/* A directory neither. */
	snprintf(path, sizeof(path), "%s/adir", w->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(ctl_api_open(&api, path, &w->st, &full_ops, &w->fake, err, sizeof(err)),
	                 -EEXIST);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));

	/* A path where no lock file can be made. */
	snprintf(path, sizeof(path), "/proc/sipsteer-test-%ld.sock", (long)getpid());
	assert_int_not_equal(
	    ctl_api_open(&api, path, &w->st, &full_ops, &w->fake, err, sizeof(err)), 0);
	assert_null(api);
	snprintf(want, sizeof(want), "control.api_socket: %s: cannot open %s.lock: ", path, path);
	assert_msg(err, want);
}

/* --- commands --- */

static void test_version(void **state)
{
	struct world *w = *state;
	json_t *rep = ok(w, "{\"cmd\":\"version\",\"args\":{}}");
	json_t *r = json_object_get(rep, "result");

	assert_string_equal(json_string_value(json_object_get(r, "name")), "sipsteer");
	assert_string_equal(json_string_value(json_object_get(r, "version")), SIPSTEER_VERSION);
	assert_int_equal(json_integer_value(json_object_get(r, "api")), CTL_API_VERSION);
	json_decref(rep);
	rep = ok(w, "{\"cmd\":\"version\",\"args\":null}");
	json_decref(rep);
}

static void test_backends(void **state)
{
	struct world *w = *state;
	json_t *rep = ok(w, "{\"cmd\":\"backends\"}");
	json_t *list = json_object_get(rep, "result");

	assert_int_equal(json_array_size(list), 2);
	json_t *be1 = json_array_get(list, 0), *be2 = json_array_get(list, 1);
	assert_int_equal(json_integer_value(json_object_get(be1, "id")), 0);
	assert_string_equal(json_string_value(json_object_get(be1, "name")), "be1");
	assert_string_equal(json_string_value(json_object_get(be1, "address")), "198.18.0.21:5060");
	assert_int_equal(json_integer_value(json_object_get(be1, "weight")), 1);
	assert_string_equal(json_string_value(json_object_get(be1, "state")), "enabled");
	assert_string_equal(json_string_value(json_object_get(be1, "health")), "unknown");
	assert_float_equal(json_real_value(json_object_get(be1, "table_share")), 0.25, 1e-6);
	assert_float_equal(json_real_value(json_object_get(be2, "table_share")), 0.75, 1e-6);
	/* The daemon's fields, but never its name or id. */
	assert_float_equal(json_real_value(json_object_get(be1, "rate")), 5.5, 0);
	assert_float_equal(json_real_value(json_object_get(be1, "rtt_ms")), 1.25, 0);
	assert_null(json_object_get(be2, "rate"));
	json_decref(rep);
	assert_int_equal(w->fake.applied, 0);
}

static void test_backend_changes(void **state)
{
	struct world *w = *state;
	json_t *rep, *r;

	rep = ok(w, "{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be3\",\"address\":"
	            "\"198.18.0.23:5080\",\"weight\":2}}");
	r = json_object_get(rep, "result");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	assert_string_equal(json_string_value(json_object_get(r, "address")), "198.18.0.23:5080");
	assert_int_equal(w->fake.applied, 1);
	assert_int_equal(w->fake.changes, CTL_CHANGE_BACKENDS);
	assert_non_null(ctl_state_find(&w->st, "be3"));
	json_decref(rep);

	rep = ok(w, "{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be4\",\"address\":"
	            "\"198.18.0.24\"}}");
	assert_int_equal(ctl_state_find(&w->st, "be4")->weight, CTL_DEFAULT_WEIGHT);
	json_decref(rep);

	rep = ok(w, "{\"cmd\":\"backend.weight\",\"args\":{\"name\":\"be1\",\"weight\":0}}");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(rep, "result"), "weight")), 0);
	assert_int_equal(ctl_state_find(&w->st, "be1")->weight, 0);
	json_decref(rep);

	rep = ok(w, "{\"cmd\":\"backend.drain\",\"args\":{\"name\":\"be2\"}}");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(rep, "result"), "state")),
	    "draining");
	json_decref(rep);
	int applied = w->fake.applied;
	/* Draining again changes nothing: the daemon is not asked to apply anything. */
	rep = ok(w, "{\"cmd\":\"backend.drain\",\"args\":{\"name\":\"be2\"}}");
	json_decref(rep);
	assert_int_equal(w->fake.applied, applied);

	rep = ok(w, "{\"cmd\":\"backend.disable\",\"args\":{\"name\":\"be2\"}}");
	json_decref(rep);
	assert_int_equal(ctl_state_find(&w->st, "be2")->admin, LB_ADMIN_DISABLED);
	rep = ok(w, "{\"cmd\":\"backend.enable\",\"args\":{\"name\":\"be2\"}}");
	json_decref(rep);
	assert_int_equal(ctl_state_find(&w->st, "be2")->admin, LB_ADMIN_ENABLED);

	rep = ok(w, "{\"cmd\":\"backend.remove\",\"args\":{\"name\":\"be3\"}}");
	r = json_object_get(rep, "result");
	assert_string_equal(json_string_value(json_object_get(r, "name")), "be3");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 2);
	assert_null(ctl_state_find(&w->st, "be3"));
	json_decref(rep);
	assert_int_equal(w->fake.applied, applied + 3);
}

struct bad_case {
	const char *line, *error;
};

static const struct bad_case bad_cases[] = {
    {"{", "invalid JSON at column"},
    {"hello", "invalid JSON"},
    {"{\"cmd\":\"version\"} trailing", "invalid JSON"},
    {"{\"cmd\":\"version\",\"cmd\":\"backends\"}", "invalid JSON"},
    {"[1,2]", "a request must be a JSON object {\"cmd\": ..., \"args\": {...}}, got an array"},
    {"\"version\"", "a request must be a JSON object"},
    {"{}", "the request has no 'cmd'"},
    {"{\"args\":{}}", "the request has no 'cmd'"},
    {"{\"cmd\":7}", "'cmd' must be a string, got an integer"},
    {"{\"cmd\":\"version\",\"id\":1}", "unknown key 'id' in the request (expected cmd, args)"},
    {"{\"cmd\":\"bogus\"}", "unknown command 'bogus' (commands: version, backends, backend.add, "
                            "backend.remove, backend.weight, backend.drain, backend.enable, "
                            "backend.disable, stats, reload, config.show)"},
    {"{\"cmd\":\"backends\",\"args\":[]}", "backends: 'args' must be an object, got an array"},
    /* messages cut at a byte count inside a multi-byte character stay valid UTF-8 (the cut
     * character becomes '?'), instead of turning into "out of memory" */
    {"{\"cmd\":"
     "\"a\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e"
     "9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\"
     "u00e9\"}",
     "unknown command 'a\xc3\xa9\xc3\xa9"},
    {"{\"cmd\":\"backend.drain\",\"args\":{\"name\":"
     "\"a\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e"
     "9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\"
     "u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u0"
     "0e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e"
     "9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\"
     "u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u0"
     "0e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e"
     "9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\"
     "u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u0"
     "0e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e"
     "9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\"
     "u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u0"
     "0e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e"
     "9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
     "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\""
     "}}",
     "backend 'a\xc3\xa9\xc3\xa9"},
    {"{\"cmd\":\"backends\",\"args\":{\"x\":1}}",
     "backends: unknown argument 'x' (it takes no arguments)"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be9\"}}",
     "backend.add: missing argument 'address'"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"address\":\"198.18.0.29\"}}",
     "backend.add: missing argument 'name'"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be9\",\"address\":\"198.18.0.29\","
     "\"wieght\":2}}",
     "backend.add: unknown argument 'wieght' (arguments: name, address, weight)"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be9\",\"address\":\"198.18.0.29\","
     "\"weight\":\"2\"}}",
     "backend.add: argument 'weight' must be an integer, got a string"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be9\",\"address\":\"198.18.0.29\","
     "\"weight\":2.5}}",
     "argument 'weight' must be an integer, got a number with a fraction"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":9,\"address\":\"198.18.0.29\"}}",
     "backend.add: argument 'name' must be a string, got an integer"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be9\",\"address\":null}}",
     "argument 'address' must be a string, got null"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be1\",\"address\":\"198.18.0.29\"}}",
     "backend 'be1' already exists"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be9\",\"address\":\"198.18.0.21\"}}",
     "address 198.18.0.21:5060 already used by backend 'be1'"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be9\",\"address\":\"198.18.0.29:99999\"}}",
     "port 99999 is out of range 1..65535"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"b e\",\"address\":\"198.18.0.29\"}}",
     "name 'b e' is not valid"},
    {"{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be9\",\"address\":\"198.18.0.29\","
     "\"weight\":70000}}",
     "weight 70000 is above 65535"},
    {"{\"cmd\":\"backend.remove\",\"args\":{\"name\":\"be9\"}}", "backend 'be9' does not exist"},
    {"{\"cmd\":\"backend.remove\",\"args\":{}}", "backend.remove: missing argument 'name'"},
    {"{\"cmd\":\"backend.weight\",\"args\":{\"name\":\"be1\"}}",
     "backend.weight: missing argument 'weight'"},
    {"{\"cmd\":\"backend.weight\",\"args\":{\"name\":\"be1\",\"weight\":-1}}",
     "weight -1 is below 0"},
    {"{\"cmd\":\"backend.weight\",\"args\":{\"name\":\"be9\",\"weight\":1}}",
     "backend 'be9' does not exist"},
    {"{\"cmd\":\"backend.drain\",\"args\":{\"name\":\"be9\"}}", "backend 'be9' does not exist"},
    {"{\"cmd\":\"backend.enable\",\"args\":{\"name\":true}}",
     "backend.enable: argument 'name' must be a string, got a boolean"},
    {"{\"cmd\":\"backend.disable\"}", "backend.disable: missing argument 'name'"},
    {"{\"cmd\":\"stats\",\"args\":{\"reset\":1}}",
     "stats: argument 'reset' must be true or false, got an integer"},
    {"{\"cmd\":\"reload\",\"args\":{\"path\":\"/etc/x\"}}",
     "reload: unknown argument 'path' (it takes no arguments)"},
    {"{\"cmd\":\"config.show\",\"args\":{\"all\":true}}", "config.show: unknown argument 'all'"},
};

static void test_bad_requests(void **state)
{
	struct world *w = *state;
	struct ctl_state before;

	assert_int_equal(ctl_state_copy(&before, &w->st), 0);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		json_t *rep = request(w, bad_cases[i].line);
		assert_error(rep, bad_cases[i].error);
		json_decref(rep);
		assert_true(ctl_config_equal(&w->st.cfg, &before.cfg));
		assert_int_equal(w->st.generation, before.generation);
	}
	assert_int_equal(w->fake.applied, 0);
	assert_int_equal(w->fake.stats_calls, 0);
	ctl_state_free(&before);
}

static void test_apply_fails(void **state)
{
	struct world *w = *state;
	struct ctl_state before;

	assert_int_equal(ctl_state_copy(&before, &w->st), 0);
	w->fake.fail_apply = -ENOMEM;
	json_t *rep = request(w, "{\"cmd\":\"backend.add\",\"args\":{\"name\":\"be3\",\"address\":"
	                         "\"198.18.0.23\"}}");
	assert_error(rep, "publish failed: the fake daemon says no");
	json_decref(rep);
	rep = request(w, "{\"cmd\":\"backend.drain\",\"args\":{\"name\":\"be1\"}}");
	assert_error(rep, "publish failed");
	json_decref(rep);
	assert_true(ctl_config_equal(&w->st.cfg, &before.cfg));
	assert_int_equal(w->st.generation, before.generation);
	/* A request that changes nothing needs no apply, so it succeeds. */
	rep = ok(w, "{\"cmd\":\"backend.enable\",\"args\":{\"name\":\"be1\"}}");
	json_decref(rep);
	ctl_state_free(&before);
}

static void test_stats(void **state)
{
	struct world *w = *state;
	json_t *rep = ok(w, "{\"cmd\":\"stats\"}");

	assert_int_equal(w->fake.stats_calls, 1);
	assert_false(w->fake.last_reset);
	json_t *r = json_object_get(rep, "result");
	assert_float_equal(json_real_value(json_object_get(r, "uptime_s")), 1.5, 0);
	assert_int_equal(json_array_size(json_object_get(r, "workers")), 1);
	json_decref(rep);
	rep = ok(w, "{\"cmd\":\"stats\",\"args\":{\"reset\":true}}");
	assert_true(w->fake.last_reset);
	json_decref(rep);
	rep = ok(w, "{\"cmd\":\"stats\",\"args\":{\"reset\":false}}");
	assert_false(w->fake.last_reset);
	json_decref(rep);
}

static void test_stats_unavailable(void **state)
{
	struct world *w = *state;
	static const struct ctl_api_ops apply_only = {.apply = fake_apply};
	char err[256];

	ctl_api_close(w->api);
	assert_int_equal(
	    ctl_api_open(&w->api, w->path, &w->st, &apply_only, &w->fake, err, sizeof(err)), 0);
	json_t *rep = request(w, "{\"cmd\":\"stats\"}");
	assert_error(rep, "stats are not available from this daemon");
	json_decref(rep);
	/* No backend_stats: the state's fields alone. */
	rep = ok(w, "{\"cmd\":\"backends\"}");
	assert_null(json_object_get(json_array_get(json_object_get(rep, "result"), 0), "rate"));
	json_decref(rep);
}

static void test_reload(void **state)
{
	struct world *w = *state;

	w->fake.reload_text = HEAD "workers: 2\n" TWO "  - name: be3\n    address: 198.18.0.23\n";
	json_t *rep = ok(w, "{\"cmd\":\"reload\"}");
	json_t *r = json_object_get(rep, "result");
	assert_int_equal(json_array_size(json_object_get(r, "changed")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "changed"), 0)),
	                    "backend 'be3' added (198.18.0.23:5060, weight 1, enabled)");
	assert_string_equal(json_string_value(json_array_get(json_object_get(r, "warnings"), 0)),
	                    "workers: 2 in the file, 1 running: needs a restart, keeping 1");
	assert_non_null(ctl_state_find(&w->st, "be3"));
	assert_int_equal(w->fake.applied, 1);
	json_decref(rep);

	/* Nothing new: no apply, empty lists. */
	rep = ok(w, "{\"cmd\":\"reload\"}");
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(rep, "result"), "changed")), 0);
	assert_int_equal(w->fake.applied, 1);
	json_decref(rep);

	struct ctl_state before;
	assert_int_equal(ctl_state_copy(&before, &w->st), 0);
	/* A file with an error. */
	w->fake.reload_text = HEAD "backends:\n  - name: be1\n    address: 198.18.0.21\n"
	                           "    weight: 70000\n";
	rep = request(w, "{\"cmd\":\"reload\"}");
	assert_error(rep, "fake.yaml:9: backends[0].weight: 70000 is out of range 0..65535; "
	                  "nothing changed");
	json_decref(rep);
	/* An unreadable file. */
	w->fake.reload_text = NULL;
	rep = request(w, "{\"cmd\":\"reload\"}");
	assert_error(rep, "fake.yaml: cannot read: No such file or directory; nothing changed");
	json_decref(rep);
	/* A file the running listen section cannot serve. */
	w->fake.reload_text = HEAD "  ipv6: 2001:db8::10/64\nbackends:\n  - name: v6\n    address: "
	                           "2001:db8::21\n";
	rep = request(w, "{\"cmd\":\"reload\"}");
	assert_error(rep, "backend 'v6': address [2001:db8::21]:5060 is IPv6 but the daemon has no "
	                  "listen.ipv6 address to send from (listen changes only on restart); "
	                  "nothing changed");
	json_decref(rep);
	/* The daemon fails to apply it. */
	w->fake.reload_text = HEAD "backends: []\n";
	w->fake.fail_apply = -EIO;
	rep = request(w, "{\"cmd\":\"reload\"}");
	assert_error(rep, "publish failed: the fake daemon says no; nothing changed");
	json_decref(rep);
	assert_true(ctl_config_equal(&w->st.cfg, &before.cfg));
	assert_int_equal(w->st.generation, before.generation);
	ctl_state_free(&before);
}

/* Without a load operation, reload reads the file the state came from. */
static void test_reload_from_file(void **state)
{
	struct world *w = *state;
	static const struct ctl_api_ops no_load = {.apply = fake_apply};
	char err[256], file[128];
	struct ctl_config cfg;

	snprintf(file, sizeof(file), "%s/sipsteer.yaml", w->dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fputs(HEAD TWO, f);
	fclose(f);
	ctl_api_close(w->api);
	ctl_state_free(&w->st);
	assert_int_equal(ctl_config_load(file, &cfg, err, sizeof(err)), 0);
	assert_int_equal(ctl_state_init(&w->st, &cfg, err, sizeof(err)), 0);
	assert_int_equal(
	    ctl_api_open(&w->api, w->path, &w->st, &no_load, &w->fake, err, sizeof(err)), 0);
	f = fopen(file, "w");
	fputs(HEAD "backends:\n  - name: be1\n    address: 198.18.0.21\n    weight: 4\n", f);
	fclose(f);
	json_t *rep = ok(w, "{\"cmd\":\"reload\"}");
	json_t *changed = json_object_get(json_object_get(rep, "result"), "changed");
	assert_int_equal(json_array_size(changed), 2);
	assert_string_equal(json_string_value(json_array_get(changed, 0)),
	                    "backend 'be1' weight 1 -> 4");
	assert_string_equal(json_string_value(json_array_get(changed, 1)),
	                    "backend 'be2' removed (was 198.18.0.22:5070)");
	json_decref(rep);
	unlink(file);
	rep = request(w, "{\"cmd\":\"reload\"}");
	assert_error(rep, "cannot read");
	json_decref(rep);
}

static void test_config_show(void **state)
{
	struct world *w = *state;
	struct ctl_config back;
	char err[256];

	json_t *rep = ok(w, "{\"cmd\":\"backend.drain\",\"args\":{\"name\":\"be2\"}}");
	json_decref(rep);
	rep = ok(w, "{\"cmd\":\"config.show\"}");
	json_t *r = json_object_get(rep, "result");
	assert_string_equal(json_string_value(json_object_get(r, "path")), "t.yaml");
	const char *yaml = json_string_value(json_object_get(r, "yaml"));
	assert_non_null(yaml);
	assert_non_null(strstr(yaml, "state: draining"));
	assert_int_equal(ctl_config_parse("shown", yaml, strlen(yaml), &back, err, sizeof(err)), 0);
	assert_true(ctl_config_equal(&back, &w->st.cfg));
	ctl_config_free(&back);
	json_decref(rep);
}

/* --- the wire --- */

static void test_garbage_then_good(void **state)
{
	struct world *w = *state;
	int fd = client(w);
	static const char junk[] = "\x01\x02\xff garbage {{{\n";

	send_all(fd, junk, sizeof(junk) - 1);
	json_t *rep = read_reply(w, fd);
	assert_error(rep, "invalid JSON");
	json_decref(rep);
	/* A NUL inside a line. */
	send_all(fd, "{\"cmd\":\"ver\0sion\"}\n", 19);
	rep = read_reply(w, fd);
	assert_error(rep, "invalid JSON");
	json_decref(rep);
	/* Still usable, and CRLF and blank lines are fine. */
	send_str(fd, "\n  \r\n{\"cmd\":\"version\"}\r\n");
	rep = read_reply(w, fd);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	close(fd);
}

static void test_partial_and_pipelined(void **state)
{
	struct world *w = *state;
	int fd = client(w);
	static const char req[] = "{\"cmd\":\"backend.drain\",\"args\":{\"name\":\"be1\"}}\n";

	/* Byte by byte: nothing runs before the newline. */
	for (size_t i = 0; i + 1 < sizeof(req) - 1; i++) {
		send_all(fd, req + i, 1);
		assert_int_equal(ctl_api_poll(w->api, 0) > 0, 0);
	}
	assert_int_equal(ctl_state_find(&w->st, "be1")->admin, LB_ADMIN_ENABLED);
	send_str(fd, "\n");
	json_t *rep = read_reply(w, fd);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	assert_int_equal(ctl_state_find(&w->st, "be1")->admin, LB_ADMIN_DRAINING);

	/* Three requests in one write: three replies, in order. */
	static const char three[] = "{\"cmd\":\"version\"}\n{\"cmd\":\"nope\"}\n"
	                            "{\"cmd\":\"backend.enable\",\"args\":{\"name\":\"be1\"}}\n";
	send_all(fd, three, sizeof(three) - 1);
	rep = read_reply(w, fd);
	assert_non_null(json_object_get(json_object_get(rep, "result"), "version"));
	json_decref(rep);
	rep = read_reply(w, fd);
	assert_error(rep, "unknown command 'nope'");
	json_decref(rep);
	rep = read_reply(w, fd);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(rep, "result"), "state")), "enabled");
	json_decref(rep);
	close(fd);
}

static void test_oversized(void **state)
{
	struct world *w = *state;
	size_t big = CTL_API_MAX_REQUEST + 100;
	char *text = malloc(big);

	/* Without a newline: an error, then the server closes the connection. */
	memset(text, 'a', big);
	int fd = client(w);
	send_all(fd, text, big / 2);
	ctl_api_poll(w->api, 0);
	send_all(fd, text, big - big / 2);
	json_t *rep = read_reply(w, fd);
	assert_error(rep, "request longer than 65536 bytes: closing the connection");
	json_decref(rep);
	assert_null(read_line(w, fd));
	close(fd);

	/* A long line with its newline: the same. */
	fd = client(w);
	text[big - 1] = '\n';
	send_all(fd, text, big);
	rep = read_reply(w, fd);
	assert_error(rep, "request longer than 65536 bytes");
	json_decref(rep);
	assert_null(read_line(w, fd));
	close(fd);

	/* Exactly at the limit is a request (here invalid JSON, but answered and kept open). */
	fd = client(w);
	text[CTL_API_MAX_REQUEST] = '\n';
	send_all(fd, text, CTL_API_MAX_REQUEST + 1);
	rep = read_reply(w, fd);
	assert_error(rep, "invalid JSON");
	json_decref(rep);
	rep = NULL;
	send_str(fd, "{\"cmd\":\"version\"}\n");
	rep = read_reply(w, fd);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	close(fd);

	/* ... also when it ends in CRLF, its CR arriving before its LF. */
	fd = client(w);
	text[CTL_API_MAX_REQUEST] = '\r';
	send_all(fd, text, CTL_API_MAX_REQUEST + 1);
	ctl_api_poll(w->api, 0);
	send_str(fd, "\n");
	rep = read_reply(w, fd);
	assert_error(rep, "invalid JSON");
	json_decref(rep);
	send_str(fd, "{\"cmd\":\"version\"}\r\n");
	rep = read_reply(w, fd);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	close(fd);
	free(text);
}

static void test_disconnects(void **state)
{
	struct world *w = *state;
	struct ctl_state before;

	assert_int_equal(ctl_state_copy(&before, &w->st), 0);
	/* Half a request, then gone: nothing runs. */
	int fd = client(w);
	send_str(fd, "{\"cmd\":\"backend.remove\",\"args\":{\"name\":\"be1\"");
	ctl_api_poll(w->api, 0);
	close(fd);
	for (int i = 0; i < 5; i++)
		ctl_api_poll(w->api, 1);
	assert_true(ctl_config_equal(&w->st.cfg, &before.cfg));

	/* A whole request, then gone before the reply: it runs, the reply goes nowhere. */
	fd = client(w);
	send_str(fd, "{\"cmd\":\"backend.drain\",\"args\":{\"name\":\"be1\"}}\n");
	close(fd);
	for (int i = 0; i < 5; i++)
		ctl_api_poll(w->api, 1);
	assert_int_equal(ctl_state_find(&w->st, "be1")->admin, LB_ADMIN_DRAINING);

	/* Half-closed: the reply still comes. */
	fd = client(w);
	send_str(fd, "{\"cmd\":\"version\"}\n");
	shutdown(fd, SHUT_WR);
	json_t *rep = read_reply(w, fd);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	assert_null(read_line(w, fd));
	close(fd);

	/* Connected and silent, then gone. */
	fd = client(w);
	ctl_api_poll(w->api, 0);
	close(fd);
	ctl_api_poll(w->api, 1);
	rep = ok(w, "{\"cmd\":\"version\"}");
	json_decref(rep);
	ctl_state_free(&before);
}

static void test_many_clients(void **state)
{
	struct world *w = *state;
	int fds[CTL_API_MAX_CLIENTS];

	for (int i = 0; i < CTL_API_MAX_CLIENTS; i++) {
		fds[i] = client(w);
		ctl_api_poll(w->api, 0);
	}
	/* One too many: told so, then closed. */
	int extra = client(w);
	json_t *rep = read_reply(w, extra);
	assert_error(rep, "too many control connections, try again");
	json_decref(rep);
	assert_null(read_line(w, extra));
	close(extra);
	/* Everyone else is served, in any order of writing. */
	for (int i = CTL_API_MAX_CLIENTS - 1; i >= 0; i--)
		send_str(fds[i], "{\"cmd\":\"version\"}\n");
	for (int i = 0; i < CTL_API_MAX_CLIENTS; i++) {
		rep = read_reply(w, fds[i]);
		assert_true(json_is_true(json_object_get(rep, "ok")));
		json_decref(rep);
	}
	for (int i = 0; i < CTL_API_MAX_CLIENTS; i++)
		close(fds[i]);
	for (int i = 0; i < 3; i++)
		ctl_api_poll(w->api, 1);
	/* The slots are free again. */
	rep = ok(w, "{\"cmd\":\"version\"}");
	json_decref(rep);
}

/* A client that never reads: its replies pile up until the limit, then it is dropped. */
static void test_slow_reader(void **state)
{
	struct world *w = *state;
	int fd = client(w);
	int size = 4096;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* Requests keep coming while no reply is read; the server stops reading this client
	 * while its replies wait, so it is never flooded, and other clients are still served. */
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	for (int i = 0; i < 2000; i++) {
		if (send(fd, "{\"cmd\":\"config.show\"}\n", 22, MSG_NOSIGNAL) < 0)
			break;
		ctl_api_poll(w->api, 0);
	}
	json_t *rep = ok(w, "{\"cmd\":\"version\"}");
	json_decref(rep);
	close(fd);
	for (int i = 0; i < 3; i++)
		ctl_api_poll(w->api, 1);
}

static void test_handle_direct(void **state)
{
	struct world *w = *state;
	json_t *rep = ctl_api_handle(w->api, "{\"cmd\":\"version\"}", 17);

	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	rep = ctl_api_handle(w->api, "", 0);
	assert_error(rep, "invalid JSON");
	json_decref(rep);
}

/* The wait-then-poll pattern of a QSBR control thread. */
static void test_wait(void **state)
{
	struct world *w = *state;

	assert_int_equal(ctl_api_wait(w->api, 0), 0);
	int fd = client(w);
	assert_true(ctl_api_wait(w->api, 100) > 0); /* the connection */
	assert_int_equal(ctl_api_poll(w->api, 0), 0);
	send_str(fd, "{\"cmd\":\"version\"}\n");
	assert_true(ctl_api_wait(w->api, 100) > 0);
	assert_int_equal(ctl_api_poll(w->api, 0), 1);
	json_t *rep = read_reply(w, fd);
	json_decref(rep);
	close(fd);
}

/* --- stats baseline --- */

static void test_stats_delta(void **unused)
{
	json_error_t jerr;
	json_t *now = json_loads(
	    "{\"uptime_s\":9.5,\"workers\":[{\"lcore\":1,\"rx\":100,\"drops\":{\"a\":5}},"
	    "{\"lcore\":2,\"rx\":50}],\"total\":{\"rx\":150},\"backends\":[{\"name\":\"be2\","
	    "\"id\":1,\"weight\":3,\"requests\":40},{\"name\":\"be3\",\"requests\":7}],"
	    "\"note\":\"x\",\"list\":[1,2,3]}",
	    0, &jerr);
	json_t *base = json_loads(
	    "{\"uptime_s\":2.0,\"workers\":[{\"lcore\":1,\"rx\":60,\"drops\":{\"a\":5}},"
	    "{\"lcore\":2,\"rx\":80}],\"total\":{\"rx\":140},\"backends\":[{\"name\":\"be1\","
	    "\"requests\":1000},{\"name\":\"be2\",\"id\":1,\"weight\":1,\"requests\":10}],"
	    "\"note\":\"y\",\"list\":[1,1]}",
	    0, &jerr);
	json_t *want = json_loads(
	    "{\"uptime_s\":9.5,\"workers\":[{\"lcore\":1,\"rx\":40,\"drops\":{\"a\":0}},"
	    "{\"lcore\":2,\"rx\":50}],\"total\":{\"rx\":10},\"backends\":[{\"name\":\"be2\","
	    "\"id\":1,\"weight\":3,\"requests\":30},{\"name\":\"be3\",\"requests\":7}],"
	    "\"note\":\"x\",\"list\":[0,1,3],\"since_reset_s\":7.5}",
	    0, &jerr);
	assert_non_null(now);
	assert_non_null(base);
	assert_non_null(want);
	json_t *d = ctl_api_stats_delta(now, base);
	assert_true(json_equal(d, want));
	json_decref(d);
	d = ctl_api_stats_delta(now, NULL);
	assert_true(json_equal(d, now));
	json_decref(d);
	assert_null(ctl_api_stats_delta(NULL, base));
	json_decref(now);
	json_decref(base);
	json_decref(want);
}

#define W(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    W(test_open),
	    W(test_second_server_refused),
	    W(test_open_errors),
	    W(test_foreign_listener),
	    W(test_stale_socket),
	    W(test_not_a_socket),
	    W(test_version),
	    W(test_backends),
	    W(test_backend_changes),
	    W(test_bad_requests),
	    W(test_apply_fails),
	    W(test_stats),
	    W(test_stats_unavailable),
	    W(test_reload),
	    W(test_reload_from_file),
	    W(test_config_show),
	    W(test_garbage_then_good),
	    W(test_partial_and_pipelined),
	    W(test_oversized),
	    W(test_disconnects),
	    W(test_many_clients),
	    W(test_slow_reader),
	    W(test_handle_direct),
	    W(test_wait),
	    cmocka_unit_test(test_stats_delta),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
