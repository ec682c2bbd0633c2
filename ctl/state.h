/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running configuration: what the daemon runs now, as changed at run time through the control
 * API (backend add/remove/weight/drain/enable/disable), by the health prober, and by reloads of the
 * configuration file.
 *
 * One struct ctl_state, owned by the control thread; nothing here takes a lock, nothing here is
 * read by workers (they read the lb_set built from it, see ctl_state_lb). Pure C + lb/config: no
 * DPDK, no jansson.
 *
 * Every operation validates its input, returns 0 or -errno with a one-line message naming the
 * backend and the field ("backend 'be9' does not exist", "weight 70000 is above 65535"), and
 * leaves the state untouched when it fails. Each operation that changes something increments
 * st->generation: the daemon rebuilds and republishes the backend set when the generation differs
 * from the one it published last.
 *
 * Backend ids. A backend's id is stable while it runs: it indexes the per-backend counters and it
 * is inside Record-Route pins (whose MAC also covers the name). At start the ids are list
 * positions. A backend added at run time takes the lowest unused id. A reload keeps the id of
 * every backend by name; a new one takes the lowest id neither held nor freed by that reload.
 * The backends are kept sorted by id, so `config show` lists them in id order and a saved file
 * gives them back the same ids at a fresh start, unless ids have gaps (a backend removed): the
 * written text then starts with a comment saying so.
 */
#ifndef SIPSTEER_CTL_STATE_H
#define SIPSTEER_CTL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lb.h"

#define CTL_DEFAULT_PORT   5060 /* port of a backend address given without one */
#define CTL_DEFAULT_WEIGHT 1    /* weight of a backend added without one */

struct ctl_state {
	/*
	 * The running configuration. cfg.backends is sorted by id; each entry's admin and health
	 * are the run-time ones (a drain shows here, and `config show` writes it). Sections that
	 * need a restart (eal, ports, workers, idle_sleep_us, burst, listen, control) keep the
	 * values the daemon started with.
	 */
	struct ctl_config cfg;
	/* Per backend, parallel to cfg.backends: the admin state the configuration file gave it
	 * (LB_ADMIN_ENABLED for one added at run time). A reload keeps a run-time drain unless
	 * the file itself changed that backend's state. */
	enum lb_admin *file_admin;
	uint64_t generation; /* +1 on every change */
};

/* What a reload or an operation changed: bits of ctl_state_changes(). */
enum ctl_change {
	CTL_CHANGE_BACKENDS = 1u << 0, /* the lb_set must be rebuilt (backends, weights, states) */
	CTL_CHANGE_HASHING = 1u << 1,  /* hashing.*: the lb_set must be rebuilt */
	CTL_CHANGE_SIP = 1u << 2,      /* sip.* and rate_limit.*: the workers' SIP policy */
	CTL_CHANGE_PROBE = 1u << 3,    /* probe.* */
};

/* Lines describing a reload, in order. Free with ctl_reload_report_free. */
struct ctl_reload_report {
	unsigned changes; /* enum ctl_change bits */
	size_t n_changed;
	char **changed; /* "backend 'be3' added (198.18.0.23:5060, weight 1)", ... */
	size_t n_warnings;
	char **warnings; /* "workers: 4 in the file, 2 running: needs a restart, keeping 2" */
};

/*
 * Take over a loaded configuration (ctl_config_load/parse): st owns its contents from then on
 * and *cfg is zeroed. Backends keep their file ids and are sorted by id. Returns 0, or -ENOMEM
 * (cfg then untouched). Control thread / startup.
 */
int ctl_state_init(struct ctl_state *st, struct ctl_config *cfg, char *err, size_t cap);

/* Free what st holds and zero it (NULL is fine). */
void ctl_state_free(struct ctl_state *st);

/* Deep copy of src into dst (dst's old contents are not freed). 0 or -ENOMEM (dst zeroed). */
int ctl_state_copy(struct ctl_state *dst, const struct ctl_state *src);

/* Exchange the contents of a and b: a transaction works on a copy and swaps it in. */
void ctl_state_swap(struct ctl_state *a, struct ctl_state *b);

/* The backend with this name, or NULL. The pointer is valid until the next change. */
const struct lb_backend_config *ctl_state_find(const struct ctl_state *st, const char *name);
/* The backend with this id, or NULL. */
const struct lb_backend_config *ctl_state_find_id(const struct ctl_state *st, uint32_t id);

/*
 * Add a backend. name: 1..63 of A-Z a-z 0-9 . _ -, unused. address: "IPv4[:PORT]",
 * "[IPv6][:PORT]" or a bare IPv6 literal, PORT 1..65535 (default CTL_DEFAULT_PORT), a unicast
 * address of a family the daemon listens on, not used by another backend. weight 0..65535.
 * The new backend is enabled, health unknown, id the lowest unused one (*id_out when not NULL).
 * Errors: -EINVAL (bad name, address, weight), -EEXIST (name or address taken), -E2BIG
 * (LB_MAX_BACKENDS reached, or hashing.table_size would no longer be larger than the number of
 * backends), -ENOMEM.
 */
int ctl_state_backend_add(struct ctl_state *st, const char *name, const char *address,
                          int64_t weight, uint32_t *id_out, char *err, size_t cap);

/* Remove a backend by name; its id becomes free. -ENOENT when it does not exist. */
int ctl_state_backend_remove(struct ctl_state *st, const char *name, char *err, size_t cap);

/* Set a backend's weight (0..65535). -ENOENT, -EINVAL. The same weight again is a no-op. */
int ctl_state_backend_weight(struct ctl_state *st, const char *name, int64_t weight, char *err,
                             size_t cap);

/*
 * Set a backend's admin state: LB_ADMIN_DRAINING (drain), LB_ADMIN_ENABLED (enable),
 * LB_ADMIN_DISABLED (disable). -ENOENT, -EINVAL for a value out of range. The same state again
 * is a no-op.
 */
int ctl_state_backend_admin(struct ctl_state *st, const char *name, enum lb_admin admin, char *err,
                            size_t cap);

/*
 * Set a backend's health: what the prober concluded. By id, as the prober knows them.
 * -ENOENT, -EINVAL for a value out of range. The same health again is a no-op (no new
 * generation), so the prober may call it after every probe.
 */
int ctl_state_backend_health(struct ctl_state *st, uint32_t id, enum lb_health health, char *err,
                             size_t cap);

/*
 * Reload: make the freshly loaded *next the running configuration.
 *
 * Sections applied by a reload: backends, hashing, sip, probe. Sections that need a restart
 * (eal, ports, workers, idle_sleep_us, burst, listen, control): when the file changed them,
 * the running values are KEPT and each difference is reported as a warning; the reload goes on.
 * (The file is then out of step with what runs until the next restart; `config show` prints what
 * runs.) The reload is refused (-EINVAL) only when the result could not run: a backend of a family
 * the running listen section has no address for.
 *
 * Backends are matched by name. One with the same name keeps its id; one with the same name and
 * address keeps its health, and keeps a drain/disable made at run time unless the file changed
 * that backend's state itself. A new backend takes the lowest id that no kept backend holds and
 * no removed one held (removed ids are not reused within the same reload, unless no other id is
 * left). The file's list order does not matter. Every difference goes into rep (may be NULL):
 * added, removed, address, weight, state, hashing/sip/rate_limit/probe fields (a secret change is
 * reported without its value). -E2BIG when no id is left for a new backend.
 *
 * On success st owns next's contents (*next zeroed), generation is incremented when anything
 * changed, and rep is filled (free it with ctl_reload_report_free). On failure st, next and rep
 * are untouched; the caller frees next.
 */
int ctl_state_reload(struct ctl_state *st, struct ctl_config *next, struct ctl_reload_report *rep,
                     char *err, size_t cap);

/* Free the lines of a report and zero it. */
void ctl_reload_report_free(struct ctl_reload_report *rep);

/*
 * enum ctl_change bits for what differs between two states: what a daemon must apply when it
 * moves from `from` to `to`. Any thread that holds both.
 */
unsigned ctl_state_changes(const struct ctl_state *from, const struct ctl_state *to);

/*
 * The lb_config for lb_set_build: points into st, valid until st's next change. Every value
 * is one the state validated, so lb_set_build fails only for lack of memory.
 */
void ctl_state_lb(const struct ctl_state *st, struct lb_config *out);

/*
 * The share of the Maglev table a backend owns, from 0 to 1: weight / total weight of the
 * backends that own slots (enabled, health up or unknown, weight > 0), 0 for one that owns none.
 * lb_set_build gives each within one slot of this.
 */
double ctl_state_table_share(const struct ctl_state *st, const struct lb_backend_config *be);

/*
 * Write the running configuration as YAML in the file's format (ctl_config_write of st->cfg,
 * backends in id order, run-time states included, health not written): loading the text gives
 * back the running configuration. Returns the length without the NUL, or -ENOSPC when cap is too
 * small (out NULL with cap 0 gives the length). No allocation.
 */
int ctl_state_write(const struct ctl_state *st, char *out, size_t cap);

/* The same into a malloc'd string (caller frees), or NULL (-ENOMEM in errno). */
char *ctl_state_write_alloc(const struct ctl_state *st);

#endif
