/* SPDX-License-Identifier: BSD-3-Clause */
/* The running configuration: validated run-time changes and reloads of a ctl_config. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "state.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define ADDR_TEXT  64

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t cap, int rc,
                                                      const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && cap > 0) {
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *addr_text(const struct lb_addr *a, char *out)
{
	return lb_addr_format(a, out, ADDR_TEXT);
}

/* --- lifetime --- */

static int cmp_id(const void *x, const void *y)
{
	const struct lb_backend_config *a = x, *b = y;
	return (a->id > b->id) - (a->id < b->id);
}

int ctl_state_init(struct ctl_state *st, struct ctl_config *cfg, char *err, size_t cap)
{
	enum lb_admin *file_admin = NULL;

	memset(st, 0, sizeof(*st));
	if (cfg->n_backends > 0) {
		file_admin = calloc(cfg->n_backends, sizeof(*file_admin));
		if (file_admin == NULL)
			return fail(err, cap, -ENOMEM, "running state: out of memory");
		qsort(cfg->backends, cfg->n_backends, sizeof(*cfg->backends), cmp_id);
		for (uint32_t i = 0; i < cfg->n_backends; i++)
			file_admin[i] = cfg->backends[i].admin;
	}
	st->cfg = *cfg;
	st->file_admin = file_admin;
	st->generation = 1;
	memset(cfg, 0, sizeof(*cfg));
	return 0;
}

void ctl_state_free(struct ctl_state *st)
{
	if (st == NULL)
		return;
	ctl_config_free(&st->cfg);
	free(st->file_admin);
	memset(st, 0, sizeof(*st));
}

int ctl_state_copy(struct ctl_state *dst, const struct ctl_state *src)
{
	uint32_t n = src->cfg.n_backends;

	memset(dst, 0, sizeof(*dst));
	dst->cfg = src->cfg;
	dst->generation = src->generation;
	dst->cfg.backends = NULL;
	dst->cfg.n_eal_args = 0;
	memset(dst->cfg.eal_args, 0, sizeof(dst->cfg.eal_args));
	for (uint32_t i = 0; i < src->cfg.n_eal_args; i++) {
		dst->cfg.eal_args[i] = strdup(src->cfg.eal_args[i]);
		if (dst->cfg.eal_args[i] == NULL)
			goto err;
		dst->cfg.n_eal_args = i + 1;
	}
	dst->cfg.n_backends = 0;
	if (n > 0) {
		dst->cfg.backends = malloc(n * sizeof(*dst->cfg.backends));
		dst->file_admin = malloc(n * sizeof(*dst->file_admin));
		if (dst->cfg.backends == NULL || dst->file_admin == NULL)
			goto err;
		memcpy(dst->cfg.backends, src->cfg.backends, n * sizeof(*dst->cfg.backends));
		memcpy(dst->file_admin, src->file_admin, n * sizeof(*dst->file_admin));
		dst->cfg.n_backends = n;
	}
	return 0;
err:
	ctl_state_free(dst);
	return -ENOMEM;
}

void ctl_state_swap(struct ctl_state *a, struct ctl_state *b)
{
	struct ctl_state t = *a;
	*a = *b;
	*b = t;
}

/* --- lookups --- */

static int index_of(const struct ctl_state *st, const char *name)
{
	for (uint32_t i = 0; i < st->cfg.n_backends; i++)
		if (!strcmp(st->cfg.backends[i].name, name))
			return (int)i;
	return -1;
}

const struct lb_backend_config *ctl_state_find(const struct ctl_state *st, const char *name)
{
	int i = index_of(st, name);
	return i < 0 ? NULL : &st->cfg.backends[i];
}

const struct lb_backend_config *ctl_state_find_id(const struct ctl_state *st, uint32_t id)
{
	for (uint32_t i = 0; i < st->cfg.n_backends; i++)
		if (st->cfg.backends[i].id == id)
			return &st->cfg.backends[i];
	return NULL;
}

/* Index of name, or -ENOENT with the message. */
static int existing(const struct ctl_state *st, const char *name, char *err, size_t cap)
{
	int i = name != NULL ? index_of(st, name) : -1;
	if (i < 0)
		return fail(err, cap, -ENOENT, "backend '%s' does not exist",
		            name != NULL ? name : "");
	return i;
}

/* --- validation --- */

static int check_name(const char *name, char *err, size_t cap)
{
	size_t len = name != NULL ? strlen(name) : 0;

	if (len == 0)
		return fail(err, cap, -EINVAL, "name is empty: use 1 to %d of A-Z a-z 0-9 . _ -",
		            LB_NAME_MAX - 1);
	if (len >= LB_NAME_MAX)
		return fail(err, cap, -EINVAL, "name '%.*s...' is longer than %d characters", 16,
		            name, LB_NAME_MAX - 1);
	if (strspn(name, NAME_CHARS) != len)
		return fail(err, cap, -EINVAL,
		            "name '%s' is not valid: use 1 to %d of A-Z a-z 0-9 . _ -", name,
		            LB_NAME_MAX - 1);
	return 0;
}

static int check_weight(int64_t weight, char *err, size_t cap)
{
	if (weight < 0)
		return fail(err, cap, -EINVAL, "weight %" PRId64 " is below 0", weight);
	if (weight > LB_MAX_WEIGHT)
		return fail(err, cap, -EINVAL, "weight %" PRId64 " is above %d", weight,
		            LB_MAX_WEIGHT);
	return 0;
}

/* The port part of an address text, or NULL when it has none. */
static const char *port_part(const char *s)
{
	const char *colon;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		return close != NULL && close[1] == ':' ? close + 2 : NULL;
	}
	colon = strchr(s, ':');
	if (colon == NULL || strchr(colon + 1, ':') != NULL)
		return NULL; /* no port, or a bare IPv6 literal */
	return colon + 1;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* A backend of this family needs a VIP of the same family to send from. */
static int check_family(const struct ctl_config *cfg, const char *who, const struct lb_addr *a,
                        char *err, size_t cap)
{
	const struct ctl_prefix *vip = a->family == AF_INET ? &cfg->vip4 : &cfg->vip6;
	char text[ADDR_TEXT];

	if (vip->addr.family != 0)
		return 0;
	return fail(err, cap, -EINVAL,
	            "%saddress %s is %s but the daemon has no listen.%s address to send from%s",
	            who, addr_text(a, text), family_name(a->family),
	            a->family == AF_INET ? "ipv4" : "ipv6",
	            *who ? " (listen changes only on restart)" : "");
}

static int parse_address(const struct ctl_state *st, const char *s, struct lb_addr *a, char *err,
                         size_t cap)
{
	const char *port, *why;
	char text[ADDR_TEXT];

	if (s == NULL || s[0] == '\0')
		return fail(err, cap, -EINVAL, "address is empty");
	port = port_part(s);
	if (port != NULL) {
		size_t len = strlen(port);
		if (len == 0 || len > 5 || strspn(port, "0123456789") != len)
			return fail(err, cap, -EINVAL,
			            "address '%s': port '%s' is not a number from 1 to 65535", s,
			            port);
		unsigned long p = strtoul(port, NULL, 10);
		if (p < 1 || p > 65535)
			return fail(err, cap, -EINVAL,
			            "address '%s': port %lu is out of range 1..65535", s, p);
	}
	if (lb_addr_parse(s, CTL_DEFAULT_PORT, a) != 0)
		return fail(err, cap, -EINVAL,
		            "address '%s' is not valid: use IPv4[:PORT], [IPv6][:PORT] or an IPv6 "
		            "address",
		            s);
	why = ctl_addr_unusable(a);
	if (why != NULL)
		return fail(err, cap, -EINVAL, "address '%s' is %s", s, why);
	int rc = check_family(&st->cfg, "", a, err, cap);
	if (rc != 0)
		return rc;
	char why_buf[128];
	why = ctl_backend_unreachable(&st->cfg, a, why_buf, sizeof(why_buf));
	if (why != NULL)
		return fail(err, cap, -EINVAL, "address '%s' is %s", s, why);
	for (uint32_t i = 0; i < st->cfg.n_backends; i++)
		if (lb_addr_equal(&st->cfg.backends[i].addr, a))
			return fail(err, cap, -EEXIST, "address %s already used by backend '%s'",
			            addr_text(a, text), st->cfg.backends[i].name);
	return 0;
}

/* --- operations --- */

int ctl_state_backend_add(struct ctl_state *st, const char *name, const char *address,
                          int64_t weight, uint32_t *id_out, char *err, size_t cap)
{
	uint32_t n = st->cfg.n_backends, id, at;
	struct lb_addr addr;
	int rc;

	if ((rc = check_name(name, err, cap)) != 0)
		return rc;
	if (index_of(st, name) >= 0)
		return fail(err, cap, -EEXIST, "backend '%s' already exists", name);
	if ((rc = parse_address(st, address, &addr, err, cap)) != 0)
		return rc;
	if ((rc = check_weight(weight, err, cap)) != 0)
		return rc;
	if (n >= LB_MAX_BACKENDS)
		return fail(err, cap, -E2BIG,
		            "backend '%s': already %u backends, the most there can be", name, n);
	if (n + 1 >= st->cfg.table_size)
		return fail(
		    err, cap, -E2BIG,
		    "backend '%s': %u backends would not fit hashing.table_size %u (it must "
		    "be larger than the number of backends; reload with a larger one)",
		    name, n + 1, st->cfg.table_size);

	/* Sorted by id: the lowest unused id is the first i whose id is not i. */
	for (at = 0; at < n && st->cfg.backends[at].id == at; at++)
		;
	id = at;

	struct lb_backend_config *backends = malloc((n + 1) * sizeof(*backends));
	enum lb_admin *file_admin = malloc((n + 1) * sizeof(*file_admin));
	if (backends == NULL || file_admin == NULL) {
		free(backends);
		free(file_admin);
		return fail(err, cap, -ENOMEM, "backend '%s': out of memory", name);
	}
	if (n > 0) {
		memcpy(backends, st->cfg.backends, at * sizeof(*backends));
		memcpy(backends + at + 1, st->cfg.backends + at, (n - at) * sizeof(*backends));
		memcpy(file_admin, st->file_admin, at * sizeof(*file_admin));
		memcpy(file_admin + at + 1, st->file_admin + at, (n - at) * sizeof(*file_admin));
	}
	struct lb_backend_config *be = &backends[at];
	memset(be, 0, sizeof(*be));
	be->id = id;
	snprintf(be->name, sizeof(be->name), "%s", name);
	be->addr = addr;
	be->weight = (uint32_t)weight;
	be->admin = LB_ADMIN_ENABLED;
	be->health = LB_HEALTH_UNKNOWN;
	file_admin[at] = LB_ADMIN_ENABLED;

	free(st->cfg.backends);
	free(st->file_admin);
	st->cfg.backends = backends;
	st->file_admin = file_admin;
	st->cfg.n_backends = n + 1;
	st->generation++;
	if (id_out != NULL)
		*id_out = id;
	return 0;
}

int ctl_state_backend_remove(struct ctl_state *st, const char *name, char *err, size_t cap)
{
	int i = existing(st, name, err, cap);
	uint32_t n = st->cfg.n_backends;

	if (i < 0)
		return i;
	memmove(&st->cfg.backends[i], &st->cfg.backends[i + 1],
	        (n - (uint32_t)i - 1) * sizeof(st->cfg.backends[0]));
	memmove(&st->file_admin[i], &st->file_admin[i + 1],
	        (n - (uint32_t)i - 1) * sizeof(st->file_admin[0]));
	st->cfg.n_backends = n - 1;
	if (st->cfg.n_backends == 0) {
		free(st->cfg.backends);
		free(st->file_admin);
		st->cfg.backends = NULL;
		st->file_admin = NULL;
	}
	st->generation++;
	return 0;
}

int ctl_state_backend_weight(struct ctl_state *st, const char *name, int64_t weight, char *err,
                             size_t cap)
{
	int i = existing(st, name, err, cap);
	int rc;

	if (i < 0)
		return i;
	if ((rc = check_weight(weight, err, cap)) != 0)
		return rc;
	if (st->cfg.backends[i].weight != (uint32_t)weight) {
		st->cfg.backends[i].weight = (uint32_t)weight;
		st->generation++;
	}
	return 0;
}

int ctl_state_backend_admin(struct ctl_state *st, const char *name, enum lb_admin admin, char *err,
                            size_t cap)
{
	int i = existing(st, name, err, cap);

	if (i < 0)
		return i;
	if ((unsigned)admin >= LB_ADMIN_COUNT)
		return fail(err, cap, -EINVAL,
		            "backend '%s': admin state %d is not one of enabled, "
		            "draining, disabled",
		            name, (int)admin);
	if (st->cfg.backends[i].admin != admin) {
		st->cfg.backends[i].admin = admin;
		st->generation++;
	}
	return 0;
}

int ctl_state_backend_health(struct ctl_state *st, uint32_t id, enum lb_health health, char *err,
                             size_t cap)
{
	struct lb_backend_config *be = (struct lb_backend_config *)ctl_state_find_id(st, id);

	if (be == NULL)
		return fail(err, cap, -ENOENT, "backend id %u does not exist", id);
	if ((unsigned)health >= LB_HEALTH_COUNT)
		return fail(err, cap, -EINVAL,
		            "backend '%s': health %d is not one of unknown, up, down", be->name,
		            (int)health);
	if (be->health != health) {
		be->health = health;
		st->generation++;
	}
	return 0;
}

/* --- comparing --- */

static bool backend_same(const struct lb_backend_config *a, const struct lb_backend_config *b)
{
	return a->id == b->id && !strcmp(a->name, b->name) && lb_addr_equal(&a->addr, &b->addr) &&
	       a->weight == b->weight && a->admin == b->admin && a->health == b->health;
}

static bool hashing_same(const struct ctl_config *a, const struct ctl_config *b)
{
	return a->table_size == b->table_size && a->seed == b->seed &&
	       !memcmp(a->key_by_method, b->key_by_method, sizeof(a->key_by_method));
}

static bool sip_same(const struct ctl_config *a, const struct ctl_config *b)
{
	return a->retry_after == b->retry_after && a->max_forwards == b->max_forwards &&
	       a->record_route == b->record_route && a->add_path == b->add_path &&
	       a->dialog_methods == b->dialog_methods && ctl_config_aliases_equal(a, b) &&
	       a->rate_limit == b->rate_limit && a->rate_limit_burst == b->rate_limit_burst &&
	       a->secret_set == b->secret_set && !memcmp(a->secret, b->secret, sizeof(a->secret)) &&
	       !strcmp(a->secret_file, b->secret_file);
}

static bool probe_same(const struct ctl_config *a, const struct ctl_config *b)
{
	return a->probe_enabled == b->probe_enabled &&
	       a->probe_interval_ms == b->probe_interval_ms &&
	       a->probe_timeout_ms == b->probe_timeout_ms &&
	       a->probe_down_after == b->probe_down_after &&
	       a->probe_up_after == b->probe_up_after &&
	       !memcmp(a->probe_alive, b->probe_alive, sizeof(a->probe_alive));
}

unsigned ctl_state_changes(const struct ctl_state *from, const struct ctl_state *to)
{
	const struct ctl_config *a = &from->cfg, *b = &to->cfg;
	unsigned changes = 0;

	if (a->n_backends != b->n_backends)
		changes |= CTL_CHANGE_BACKENDS;
	for (uint32_t i = 0; !(changes & CTL_CHANGE_BACKENDS) && i < a->n_backends; i++)
		if (!backend_same(&a->backends[i], &b->backends[i]))
			changes |= CTL_CHANGE_BACKENDS;
	if (!hashing_same(a, b))
		changes |= CTL_CHANGE_HASHING;
	if (!sip_same(a, b))
		changes |= CTL_CHANGE_SIP;
	if (!probe_same(a, b))
		changes |= CTL_CHANGE_PROBE;
	return changes;
}

/* --- reload --- */

/* Lines of a report under construction; `nomem` once any allocation failed. */
struct lines {
	char **v;
	size_t n, cap;
	bool nomem;
};

__attribute__((format(printf, 2, 3))) static void add_line(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (l->nomem)
		return;
	va_start(ap, fmt);
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		l->nomem = true;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			free(s);
			l->nomem = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void ctl_reload_report_free(struct ctl_reload_report *rep)
{
	if (rep == NULL)
		return;
	struct lines a = {.v = rep->changed, .n = rep->n_changed};
	struct lines b = {.v = rep->warnings, .n = rep->n_warnings};
	lines_free(&a);
	lines_free(&b);
	memset(rep, 0, sizeof(*rep));
}

static const char *key_name(enum lb_key k)
{
	return lb_key_name(k);
}

static void diff_hashing(const struct ctl_config *a, const struct ctl_config *b, struct lines *l)
{
	if (a->table_size != b->table_size)
		add_line(l, "hashing.table_size %u -> %u", a->table_size, b->table_size);
	if (a->seed != b->seed)
		add_line(l, "hashing.seed %" PRIu64 " -> %" PRIu64, a->seed, b->seed);
	for (int m = 0; m < SIP_METHOD_COUNT; m++)
		if (a->key_by_method[m] != b->key_by_method[m])
			add_line(l, "hashing.keys.%s %s -> %s", sip_method_name((enum sip_method)m),
			         key_name(a->key_by_method[m]), key_name(b->key_by_method[m]));
}

static const char *yes_no(bool b)
{
	return b ? "true" : "false";
}

/* "MESSAGE, NOTIFY" for bits 1u << enum sip_method; out holds 256 bytes. */
static const char *method_list(uint32_t bits, char *out)
{
	size_t n = 0;

	out[0] = '\0';
	for (int m = 0; m < SIP_METHOD_COUNT && m < 32 && n < 255; m++)
		if (bits & (1u << m))
			n += (size_t)snprintf(out + n, 256 - n, "%s%s", n ? ", " : "",
			                      sip_method_name((enum sip_method)m));
	return out;
}

static void diff_sip(const struct ctl_config *a, const struct ctl_config *b, struct lines *l)
{
	if (a->retry_after != b->retry_after)
		add_line(l, "sip.retry_after %u -> %u", a->retry_after, b->retry_after);
	if (a->max_forwards != b->max_forwards)
		add_line(l, "sip.max_forwards %u -> %u", a->max_forwards, b->max_forwards);
	if (a->record_route != b->record_route)
		add_line(l, "sip.record_route %s -> %s", yes_no(a->record_route),
		         yes_no(b->record_route));
	if (a->add_path != b->add_path)
		add_line(l, "sip.path %s -> %s", yes_no(a->add_path), yes_no(b->add_path));
	if (a->dialog_methods != b->dialog_methods) {
		char x[256], y[256];
		add_line(l, "sip.dialog_methods [%s] -> [%s]", method_list(a->dialog_methods, x),
		         method_list(b->dialog_methods, y));
	}
	if (!ctl_config_aliases_equal(a, b)) {
		char x[CTL_ALIASES_TEXT_MAX], y[CTL_ALIASES_TEXT_MAX];
		add_line(l, "sip.aliases %s -> %s", ctl_config_aliases_text(a, x, sizeof(x)),
		         ctl_config_aliases_text(b, y, sizeof(y)));
	}
	if (a->rate_limit != b->rate_limit)
		add_line(l, "rate_limit.rate %u -> %u", a->rate_limit, b->rate_limit);
	/* With the limit off on either side a burst means nothing: the rate line says it all. */
	if (a->rate_limit != 0 && b->rate_limit != 0 && a->rate_limit_burst != b->rate_limit_burst)
		add_line(l, "rate_limit.burst %u -> %u", a->rate_limit_burst, b->rate_limit_burst);
	/* A file without secret and secret_file keeps the running key (keep_secret()). */
	if (!b->secret_set)
		return;
	if (strcmp(a->secret_file, b->secret_file))
		add_line(l, "sip.secret_file '%s' -> '%s'", a->secret_file, b->secret_file);
	/* Never the key itself. */
	if (a->secret_set != b->secret_set || memcmp(a->secret, b->secret, sizeof(a->secret)))
		add_line(l,
		         "sip.secret changed (responses to requests forwarded before this reload "
		         "no longer match their Via and are dropped)");
}

static void diff_probe(const struct ctl_config *a, const struct ctl_config *b, struct lines *l)
{
	if (a->probe_enabled != b->probe_enabled)
		add_line(l, "probe.enabled %s -> %s", yes_no(a->probe_enabled),
		         yes_no(b->probe_enabled));
	if (a->probe_interval_ms != b->probe_interval_ms)
		add_line(l, "probe.interval_ms %u -> %u", a->probe_interval_ms,
		         b->probe_interval_ms);
	if (a->probe_timeout_ms != b->probe_timeout_ms)
		add_line(l, "probe.timeout_ms %u -> %u", a->probe_timeout_ms, b->probe_timeout_ms);
	if (a->probe_down_after != b->probe_down_after)
		add_line(l, "probe.down_after %u -> %u", a->probe_down_after, b->probe_down_after);
	if (a->probe_up_after != b->probe_up_after)
		add_line(l, "probe.up_after %u -> %u", a->probe_up_after, b->probe_up_after);
	if (memcmp(a->probe_alive, b->probe_alive, sizeof(a->probe_alive)))
		add_line(l, "probe.alive_codes changed");
}

/* Restart-only sections: keep the running values in next, warn about each difference. */
static void keep_restart_fields(const struct ctl_config *run, struct ctl_config *next,
                                struct lines *w)
{
	bool eal_same = run->n_eal_args == next->n_eal_args;
	for (uint32_t i = 0; eal_same && i < run->n_eal_args; i++)
		eal_same = !strcmp(run->eal_args[i], next->eal_args[i]);
	if (!eal_same)
		add_line(w,
		         "eal changed in the file: needs a restart, keeping the running arguments");

	bool ports_same = run->n_ports == next->n_ports;
	for (uint32_t i = 0; ports_same && i < run->n_ports; i++)
		ports_same = !strcmp(run->ports[i].name, next->ports[i].name) &&
		             !strcmp(run->ports[i].device, next->ports[i].device) &&
		             run->ports[i].mtu == next->ports[i].mtu;
	if (!ports_same)
		add_line(w,
		         "ports changed in the file: needs a restart, keeping the running ports");
	memcpy(next->ports, run->ports, sizeof(next->ports));
	next->n_ports = run->n_ports;

#define KEEP_U32(field, label)                                                                     \
	do {                                                                                       \
		if (run->field != next->field)                                                     \
			add_line(                                                                  \
			    w, label ": %u in the file, %u running: needs a restart, keeping %u",  \
			    next->field, run->field, run->field);                                  \
		next->field = run->field;                                                          \
	} while (0)
	KEEP_U32(workers, "workers");
	KEEP_U32(idle_sleep_us, "idle_sleep_us");
	KEEP_U32(burst, "burst");
#undef KEEP_U32

	bool listen_same = !memcmp(&run->vip4, &next->vip4, sizeof(run->vip4)) &&
	                   !memcmp(&run->vip6, &next->vip6, sizeof(run->vip6)) &&
	                   run->n_sip_ports == next->n_sip_ports &&
	                   !memcmp(run->sip_ports, next->sip_ports,
	                           run->n_sip_ports * sizeof(run->sip_ports[0])) &&
	                   lb_addr_equal(&run->gateway4, &next->gateway4) &&
	                   lb_addr_equal(&run->gateway6, &next->gateway6);
	if (!listen_same)
		add_line(w, "listen changed in the file: needs a restart, keeping the running "
		            "addresses and SIP ports");
	next->vip4 = run->vip4;
	next->vip6 = run->vip6;
	next->n_sip_ports = run->n_sip_ports;
	memcpy(next->sip_ports, run->sip_ports, sizeof(next->sip_ports));
	next->gateway4 = run->gateway4;
	next->gateway6 = run->gateway6;

#define KEEP_STR(field, label)                                                                     \
	do {                                                                                       \
		if (strcmp(run->field, next->field))                                               \
			add_line(w,                                                                \
			         label                                                             \
			         ": '%s' in the file, '%s' running: needs a restart, keeping "     \
			         "'%s'",                                                           \
			         next->field, run->field, run->field);                             \
		memcpy(next->field, run->field, sizeof(next->field));                              \
	} while (0)
	KEEP_STR(api_socket, "control.api_socket");
	KEEP_STR(metrics, "control.metrics");
	KEEP_STR(log, "control.log");
	KEEP_STR(log_level, "control.log_level");
#undef KEEP_STR
}

/*
 * Ids by name: a backend the running state has keeps its id; a new one takes the lowest id that
 * neither a kept backend holds nor a removed one held (a removed id is not given to another
 * backend in the same reload, so that its counters and pins do not pass on at once); only when
 * no such id is left does it take the lowest of the removed ones (the pin MAC covers the name:
 * the removed backend's pins then fail their check instead of reaching the new one).
 */
static int assign_ids(const struct ctl_state *st, struct ctl_config *next, char *err, size_t cap)
{
	enum { FREE = 0, HELD, REMOVED };
	uint8_t *ids = calloc(LB_MAX_BACKENDS, 1);
	uint32_t lowest_free = 0, lowest_removed = 0;

	if (ids == NULL)
		return fail(err, cap, -ENOMEM, "reload: out of memory");
	for (uint32_t j = 0; j < st->cfg.n_backends; j++)
		if (st->cfg.backends[j].id < LB_MAX_BACKENDS)
			ids[st->cfg.backends[j].id] = REMOVED;
	for (uint32_t i = 0; i < next->n_backends; i++) {
		const struct lb_backend_config *old = ctl_state_find(st, next->backends[i].name);
		next->backends[i].id = old != NULL ? old->id : LB_MAX_BACKENDS;
		if (old != NULL)
			ids[old->id] = HELD;
	}
	for (uint32_t i = 0; i < next->n_backends; i++) {
		struct lb_backend_config *be = &next->backends[i];
		if (be->id < LB_MAX_BACKENDS)
			continue;
		while (lowest_free < LB_MAX_BACKENDS && ids[lowest_free] != FREE)
			lowest_free++;
		while (lowest_removed < LB_MAX_BACKENDS && ids[lowest_removed] != REMOVED)
			lowest_removed++;
		uint32_t id = lowest_free < LB_MAX_BACKENDS ? lowest_free : lowest_removed;
		if (id >= LB_MAX_BACKENDS) {
			free(ids);
			return fail(err, cap, -E2BIG,
			            "backend '%s': no free id (at most %d backends)", be->name,
			            LB_MAX_BACKENDS);
		}
		be->id = id;
		ids[id] = HELD;
	}
	free(ids);
	return 0;
}

/*
 * Merge run-time backend state into next's backends and describe the differences. file_admin
 * receives the file's states. Returns 0 or -EINVAL (a backend next cannot run).
 */
static int merge_backends(const struct ctl_state *st, struct ctl_config *next,
                          enum lb_admin *file_admin, struct lines *changed, char *err, size_t cap)
{
	char a[ADDR_TEXT], b[ADDR_TEXT], who[LB_NAME_MAX + 16];

	for (uint32_t i = 0; i < next->n_backends; i++) {
		struct lb_backend_config *be = &next->backends[i];
		snprintf(who, sizeof(who), "backend '%s': ", be->name);
		int rc = check_family(&st->cfg, who, &be->addr, err, cap);
		if (rc != 0)
			return rc;
	}
	for (uint32_t i = 0; i < next->n_backends; i++) {
		struct lb_backend_config *be = &next->backends[i];
		int j = index_of(st, be->name);

		file_admin[i] = be->admin;
		if (j < 0) {
			add_line(changed, "backend '%s' added (%s, weight %u, %s)", be->name,
			         addr_text(&be->addr, a), be->weight, lb_admin_name(be->admin));
			continue;
		}
		const struct lb_backend_config *old = &st->cfg.backends[j];
		if (lb_addr_equal(&old->addr, &be->addr)) {
			be->health = old->health;
			/* A run-time drain survives unless the file changed this backend's state.
			 */
			if (be->admin == st->file_admin[j])
				be->admin = old->admin;
		} else {
			add_line(changed, "backend '%s' address %s -> %s (health unknown again)",
			         be->name, addr_text(&old->addr, a), addr_text(&be->addr, b));
		}
		if (old->weight != be->weight)
			add_line(changed, "backend '%s' weight %u -> %u", be->name, old->weight,
			         be->weight);
		if (old->admin != be->admin)
			add_line(changed, "backend '%s' %s -> %s", be->name,
			         lb_admin_name(old->admin), lb_admin_name(be->admin));
	}
	for (uint32_t j = 0; j < st->cfg.n_backends; j++) {
		const struct lb_backend_config *old = &st->cfg.backends[j];
		bool kept = false;
		for (uint32_t i = 0; !kept && i < next->n_backends; i++)
			kept = !strcmp(next->backends[i].name, old->name);
		if (!kept)
			add_line(changed, "backend '%s' removed (was %s)", old->name,
			         addr_text(&old->addr, a));
	}
	return 0;
}

int ctl_state_reload(struct ctl_state *st, struct ctl_config *next, struct ctl_reload_report *rep,
                     char *err, size_t cap)
{
	struct lines changed = {0}, warn = {0};
	enum lb_admin *file_admin = NULL;
	struct ctl_state fresh;
	int rc;

	if (next->n_backends > 0) {
		file_admin = calloc(next->n_backends, sizeof(*file_admin));
		if (file_admin == NULL)
			return fail(err, cap, -ENOMEM, "reload: out of memory");
	}
	/* Work on a copy of next's backends: on failure next must come back untouched. */
	struct lb_backend_config *saved = NULL;
	if (next->n_backends > 0) {
		saved = malloc(next->n_backends * sizeof(*saved));
		if (saved == NULL) {
			free(file_admin);
			return fail(err, cap, -ENOMEM, "reload: out of memory");
		}
		memcpy(saved, next->backends, next->n_backends * sizeof(*saved));
		rc = assign_ids(st, next, err, cap);
		if (rc != 0)
			goto err;
		qsort(next->backends, next->n_backends, sizeof(*next->backends), cmp_id);
	}
	rc = merge_backends(st, next, file_admin, &changed, err, cap);
	if (rc != 0)
		goto err;
	diff_hashing(&st->cfg, next, &changed);
	diff_sip(&st->cfg, next, &changed);
	diff_probe(&st->cfg, next, &changed);

	/* From here on nothing fails but memory: keep the running restart-only values. */
	struct ctl_config keep = *next;
	keep_restart_fields(&st->cfg, &keep, &warn);
	/* No secret in the file: the running key stays (docs/config.md), and the state says so,
	 * so that `config show` writes it out. */
	if (!keep.secret_set) {
		keep.secret_set = st->cfg.secret_set;
		memcpy(keep.secret, st->cfg.secret, sizeof(keep.secret));
		memcpy(keep.secret_file, st->cfg.secret_file, sizeof(keep.secret_file));
	}
	if (changed.nomem || warn.nomem) {
		rc = fail(err, cap, -ENOMEM, "reload: out of memory");
		goto err;
	}
	/* eal_args: the running strings stay; the file's go away with the old config. */
	keep.n_eal_args = st->cfg.n_eal_args;
	memcpy(keep.eal_args, st->cfg.eal_args, sizeof(keep.eal_args));
	st->cfg.n_eal_args = next->n_eal_args;
	memcpy(st->cfg.eal_args, next->eal_args, sizeof(st->cfg.eal_args));

	fresh.cfg = keep;
	fresh.file_admin = file_admin;
	unsigned changes = ctl_state_changes(st, &fresh);
	fresh.generation = st->generation + (changes != 0 || changed.n > 0);
	ctl_state_free(st);
	*st = fresh;
	memset(next, 0, sizeof(*next));
	free(saved);
	if (rep != NULL) {
		rep->changes = changes;
		rep->changed = changed.v;
		rep->n_changed = changed.n;
		rep->warnings = warn.v;
		rep->n_warnings = warn.n;
	} else {
		lines_free(&changed);
		lines_free(&warn);
	}
	return 0;
err:
	if (saved != NULL) {
		memcpy(next->backends, saved, next->n_backends * sizeof(*saved));
		free(saved);
	}
	free(file_admin);
	lines_free(&changed);
	lines_free(&warn);
	return rc;
}

/* --- views --- */

void ctl_state_lb(const struct ctl_state *st, struct lb_config *out)
{
	ctl_config_lb(&st->cfg, out);
}

static bool owns_slots(const struct lb_backend_config *be)
{
	return be->admin == LB_ADMIN_ENABLED && be->health != LB_HEALTH_DOWN && be->weight > 0;
}

double ctl_state_table_share(const struct ctl_state *st, const struct lb_backend_config *be)
{
	uint64_t total = 0;

	if (!owns_slots(be))
		return 0.0;
	for (uint32_t i = 0; i < st->cfg.n_backends; i++)
		if (owns_slots(&st->cfg.backends[i]))
			total += st->cfg.backends[i].weight;
	return total ? (double)be->weight / (double)total : 0.0;
}

static const char sparse_note[] =
    "# Backend ids have gaps (backends removed at run time or by a reload): a reload keeps\n"
    "# each backend's id by name, but a fresh start numbers them from 0 in list order, so\n"
    "# some ids change then (and Record-Route pins made before no longer check out).\n";

int ctl_state_write(const struct ctl_state *st, char *out, size_t cap)
{
	bool dense = true;
	size_t note = 0;

	for (uint32_t i = 0; dense && i < st->cfg.n_backends; i++)
		dense = st->cfg.backends[i].id == i;
	if (!dense)
		note = sizeof(sparse_note) - 1;
	int len = ctl_config_write(&st->cfg, NULL, 0);
	if (len < 0)
		return len;
	size_t total = note + (size_t)len;
	if (out == NULL || cap <= total) {
		if (out != NULL && cap > 0) {
			size_t head = note < cap - 1 ? note : cap - 1;
			memcpy(out, sparse_note, head);
			out[head] = '\0';
			if (head == note)
				ctl_config_write(&st->cfg, out + note, cap - note);
		}
		return out == NULL && cap == 0 ? (int)total : -ENOSPC;
	}
	memcpy(out, sparse_note, note);
	ctl_config_write(&st->cfg, out + note, cap - note);
	return (int)total;
}

char *ctl_state_write_alloc(const struct ctl_state *st)
{
	int len = ctl_state_write(st, NULL, 0);
	if (len < 0) {
		errno = -len;
		return NULL;
	}
	char *text = malloc((size_t)len + 1);
	if (text == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (ctl_state_write(st, text, (size_t)len + 1) != len) {
		free(text);
		errno = EIO;
		return NULL;
	}
	return text;
}
