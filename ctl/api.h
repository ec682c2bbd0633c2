/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API: a UNIX stream socket on which sipsteerctl (or any client) sends one JSON
 * object per line and gets one JSON object per line back, in order.
 *
 *   request:  {"cmd":"backend.add","args":{"name":"be4","address":"198.18.0.24","weight":2}}
 *   reply:    {"ok":true,"result":...}   or   {"ok":false,"error":"backend 'be4' already exists"}
 *
 * Commands and their args (every arg is checked: unknown, missing, wrongly typed or bad values get
 * a specific error and change nothing; "args" may be left out when a command takes none):
 *
 *   version                     -> {"name":"sipsteer","version":"0.1.0","api":1}
 *   backends                    -> [{"id","name","address","weight","state","health",
 *                                    "table_share", ...backend_stats fields}, ...]
 *   backend.add     name address [weight]  -> the new backend (as in `backends`)
 *   backend.remove  name                   -> the removed backend
 *   backend.weight  name weight            -> the backend
 *   backend.drain   name                   -> the backend
 *   backend.enable  name                   -> the backend
 *   backend.disable name                   -> the backend
 *   stats           [reset: bool]          -> what ops->stats returns, unchanged
 *   reload                                 -> {"changed":[lines],"warnings":[lines]}
 *   config.show                            -> {"path": file, "yaml": running config as YAML}
 *
 * A request line may be at most CTL_API_MAX_REQUEST bytes; a longer one gets an error reply and
 * the connection is closed (there is no way to find where the next request starts). Invalid
 * JSON gets an error reply and the connection stays usable. Blank lines are ignored.
 *
 * No thread of its own: the control thread calls ctl_api_poll() regularly, and every command runs
 * inside that call, on the control thread, so it may touch the ctl_state and publish without a
 * lock. Nothing here blocks except poll() for the timeout it is given.
 *
 * One daemon per socket: ctl_api_open takes an exclusive flock on "<path>.lock" (kept for the
 * daemon's life, holding its pid) and refuses to start when another process holds it; a socket
 * file left behind by a daemon that died is removed. The lock file itself is never removed:
 * removing it would let two daemons lock two different files of the same name. Other programs
 * know nothing of the lock: before removing an existing socket file, ctl_api_open connects to
 * it, and refuses when something answers (only a refused connection means the file is stale);
 * a path that exists but is not a socket is never removed either.
 */
#ifndef SIPSTEER_CTL_API_H
#define SIPSTEER_CTL_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "state.h"

#define CTL_API_DEFAULT_SOCKET "/run/sipsteer/sipsteer.sock"
#define CTL_API_MAX_REQUEST    65536      /* bytes of one request line, without its newline */
#define CTL_API_MAX_CLIENTS    64         /* connections at once; more are told so and closed */
#define CTL_API_MAX_PENDING    (16 << 20) /* unsent reply bytes before a client is dropped */
#define CTL_API_VERSION        1          /* "api" in the version reply */

/*
 * What the daemon supplies. Called only from inside ctl_api_poll (control thread). Every
 * callback that can fail writes a one-line message into err (cap bytes) and returns -errno.
 */
struct ctl_api_ops {
	/*
	 * Required. Make `next` the running configuration: rebuild and publish the backend set
	 * from it (ctl_state_lb -> lb_set_build -> lb_publish) when changes has
	 * CTL_CHANGE_BACKENDS or CTL_CHANGE_HASHING, apply the sip section (CTL_CHANGE_SIP), the
	 * probe section (CTL_CHANGE_PROBE: e.g. a new prober config, new backends to probe,
	 * removed ones forgotten) and ask for the MAC of new on-link backends. `cur` is what
	 * runs now. Called only when changes != 0. On success (0) the API moves `next` into the
	 * daemon's ctl_state (same pointer as given to ctl_api_open). On failure (-errno, message
	 * in err) nothing may have been applied: the state stays as it was and the client gets
	 * the message. The daemon must not keep pointers into `next` (it is swapped into place,
	 * not copied: keep pointers into the daemon's ctl_state after the call instead).
	 */
	int (*apply)(void *ctx, const struct ctl_state *cur, const struct ctl_state *next,
	             unsigned changes, char *err, size_t cap);

	/*
	 * Optional (NULL: the "stats" command answers "stats are not available"). Return the
	 * stats JSON (a new reference; NULL with a message in err on failure). sipsteerctl reads
	 * this shape, that of dataplane/stats.c:
	 *   {"uptime_s": 12.5,
	 *    "workers": [{"lcore":1,"rx":..,"tx":..,"forwarded":..,"relayed":..,
	 *                 "replied":{"400":..,...},"drops":{"neigh_miss":..,...}}, ...],
	 *    "total": {same fields as a worker, no lcore},
	 *    "backends": [{"name":"be1","requests":..,...}, ...]}
	 * `uptime_s` lets `sipsteerctl top` compute rates from two replies.
	 *
	 * reset: return the counters as they are relative to the previous baseline, then make the
	 * current values the new baseline. Worker counters have exactly one writer, the worker:
	 * the control thread must NEVER write them (a store would race with the worker's
	 * load-add-store and lose or resurrect counts). A reset is a baseline the control thread
	 * keeps and subtracts: ctl_api_stats_delta(raw, baseline) does the subtraction on the
	 * JSON, so the daemon can keep the raw JSON of the last reset as its baseline.
	 */
	json_t *(*stats)(void *ctx, bool reset, char *err, size_t cap);

	/*
	 * Optional. Run-time facts about backends the state does not have, as a JSON object keyed
	 * by backend name: {"be1": {"rate": 120.5, "rtt_ms": 0.84, "requests": 1234}, ...}.
	 * Each backend's fields are merged into its entry in the "backends" reply (the daemon's
	 * value wins, except for "name" and "id"). sipsteerctl shows "rate" (messages per
	 * second), "rtt_ms" (last probe round trip) and "table_share" (0..1; the state's
	 * weight-derived share when the daemon sends none, e.g. slots / table_size). Return a new
	 * reference, or NULL when there is nothing to add.
	 */
	json_t *(*backend_stats)(void *ctx, const struct ctl_state *st);

	/*
	 * Optional. Load the configuration for "reload" into cfg (ctl_config_load semantics:
	 * 0, or -errno with the loader's message). NULL: ctl_config_load(st->cfg.path). A daemon
	 * running its built-in configuration sets this to parse ctl_config_embedded again (or to
	 * refuse with a message).
	 */
	int (*load)(void *ctx, struct ctl_config *cfg, char *err, size_t cap);

	/*
	 * Optional. Told the outcome of every "reload", whoever asked for it (a client or the
	 * daemon itself through ctl_api_handle): error is the refusal's message (nothing
	 * changed) and result NULL, or error is NULL and result the reply's
	 * {"changed": [...], "warnings": [...]} (borrowed). For the daemon's log.
	 */
	void (*reloaded)(void *ctx, const char *error, const json_t *result);
};

struct ctl_api;

/*
 * Start serving on path (CTL_API_DEFAULT_SOCKET when NULL or ""): creates the parent directory
 * (0755) when missing, takes the lock, removes a stale socket file (one nothing answers on),
 * binds and listens (socket file mode 0660), all non-blocking and close-on-exec. st and ops
 * (with ctx) must outlive the server; ops->apply is required. Returns 0 and *out, or -errno with
 * a message naming the path (and, for the socket setup, the field control.api_socket):
 * -EADDRINUSE when another daemon holds the lock ("another sipsteer (pid 1234) is serving
 * /run/sipsteer/sipsteer.sock") or when another program answers on the socket ("control.api_socket:
 * PATH is in use by another program ..."), -EEXIST when the path exists and is not a socket,
 * -ENAMETOOLONG for a path that does not fit a UNIX socket address, -EINVAL for a missing
 * ops->apply, or the errno of mkdir/open/connect/bind/listen. Control thread / startup.
 */
int ctl_api_open(struct ctl_api **out, const char *path, struct ctl_state *st,
                 const struct ctl_api_ops *ops, void *ctx, char *err, size_t cap);

/*
 * Wait up to timeout_ms (0: do not wait, -1: forever) for connections and requests, and serve
 * every complete request that arrived: accept, read, run commands, write replies. Returns how
 * many requests it answered, or -errno when poll() itself failed (EINTR counts as 0).
 *
 * A QSBR control thread either calls it online with a short timeout (a grace period then waits
 * at most timeout_ms), or goes offline around ctl_api_wait and then calls ctl_api_poll(api, 0)
 * online: commands publish backend sets (lb_publish) and must run online.
 */
int ctl_api_poll(struct ctl_api *api, int timeout_ms);

/*
 * Only wait (up to timeout_ms) until ctl_api_poll has something to do: > 0 when it has, 0 on
 * timeout, -errno on error. Touches no state: may run while the thread is QSBR-offline.
 */
int ctl_api_wait(struct ctl_api *api, int timeout_ms);

/* Close every connection and the socket, remove the socket file, release the lock. NULL ok. */
void ctl_api_close(struct ctl_api *api);

/* The socket path served. */
const char *ctl_api_path(const struct ctl_api *api);

/*
 * Run one request line (without its newline) and return the reply object (new reference, never
 * NULL but on ENOMEM). What ctl_api_poll does for every line; for tests and in-process callers.
 */
json_t *ctl_api_handle(struct ctl_api *api, const char *line, size_t len);

/*
 * Counters minus a baseline, for stats resets: a deep copy of `now` in which every integer that
 * has an integer at the same place in `baseline` is replaced by the difference. Objects match by
 * key; arrays of objects that carry a "name" string match by name (backends come and go), other
 * arrays by index. Integers under the keys "id" and "lcore" are identifiers, copied unchanged; a
 * counter below its baseline (counting restarted) is kept as is. Reals, strings and the rest are
 * copied unchanged. baseline NULL: a plain copy. Returns a new reference, or NULL on ENOMEM.
 * Any thread.
 */
json_t *ctl_api_stats_delta(const json_t *now, const json_t *baseline);

#endif
