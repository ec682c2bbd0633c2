/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML configuration file: loaded with libyaml's document API, validated against the schema in
 * docs/config.md, turned into a struct ctl_config. Stops at the first error and names its line
 * and field. Control thread / startup only.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"

#define FIELD_MAX     160
#define FILE_MAX_SIZE (16u << 20) /* a config is a few KiB; 4096 backends fit many times */
#define SHOW_MAX      72          /* longest value quoted back in a message */

const char ctl_config_embedded[] = "# sipsteer built-in configuration (make demo)\n"
                                   "ports:\n"
                                   "  - name: lan0\n"
                                   "    device: \"net_tap0,iface=sst0\"\n"
                                   "workers: 1\n"
                                   "idle_sleep_us: 100\n"
                                   "listen:\n"
                                   "  ipv4: 198.18.0.10/24\n"
                                   "  sip_ports: [5060]\n"
                                   "backends:\n"
                                   "  - name: be1\n"
                                   "    address: 198.18.0.21:5060\n"
                                   "    weight: 1\n"
                                   "  - name: be2\n"
                                   "    address: 198.18.0.22:5060\n"
                                   "    weight: 1\n"
                                   "  - name: be3\n"
                                   "    address: 198.18.0.23:5060\n"
                                   "    weight: 1\n"
                                   "sip:\n"
                                   "  secret: \"5f1e0c7b2a9d48e6b3c4d5e6f7a8b9c0\"\n"
                                   "probe:\n"
                                   "  enabled: true\n"
                                   "  interval_ms: 1000\n"
                                   "control:\n"
                                   "  api_socket: /run/sipsteer/sipsteer.sock\n"
                                   "  metrics: 127.0.0.1:9760\n";

/* Method names as the file spells them ("" for methods without one). */
const char *const ctl_method_names[SIP_METHOD_COUNT] = {[SIP_METHOD_OTHER] = "",
#define METHOD_NAME(name) [SIP_METHOD_##name] = #name,
                                                        SIP_METHODS(METHOD_NAME)
#undef METHOD_NAME
};

/*
 * A net_memif vdev string that asks for the driver's zero-copy mode ("zero-copy=yes"; the driver
 * takes any value containing "yes"). In that mode DPDK 22.11 frees the region descriptions a
 * worker's burst reads before it unmaps them, which the daemon's unmap guard cannot cover.
 */
static bool memif_zero_copy(const char *device)
{
	if (strncmp(device, "net_memif", 9) != 0)
		return false;
	for (const char *p = strchr(device, ','); p != NULL; p = strchr(p + 1, ',')) {
		const char *key = p + 1, *end = strchr(key, ',');
		size_t len = end ? (size_t)(end - key) : strlen(key);
		if (len > 10 && !strncmp(key, "zero-copy=", 10) &&
		    memmem(key + 10, len - 10, "yes", 3) != NULL)
			return true;
	}
	return false;
}

/*
 * A PCI address ([DDDD:]BB:DD.F, hex digits) before any devargs: the daemon passes it with -a
 * rather than --vdev. Anything else is a vdev string.
 */
bool ctl_device_is_pci(const char *device)
{
	int colons = 0, dots = 0;
	const char *p = device;

	for (; *p != '\0' && *p != ','; p++) {
		if (*p == ':')
			colons++;
		else if (*p == '.')
			dots++;
		else if (!isxdigit((unsigned char)*p))
			return false;
	}
	return (colons == 1 || colons == 2) && dots == 1;
}

/* A vdev's DPDK name is its string up to the first comma ("net_tap0" in "net_tap0,iface=x"). */
static size_t vdev_name_len(const char *device)
{
	return strcspn(device, ",");
}

/* DPDK's tap driver, in its tap and its tun mode: one queue file descriptor per RX and per TX
 * queue. */
static bool is_net_tap(const char *device)
{
	return strncmp(device, "net_tap", 7) == 0 || strncmp(device, "net_tun", 7) == 0;
}

/*
 * The value of a device's iface=VALUE devarg (net_tap: the kernel interface it creates;
 * net_af_packet: the one it binds to), the last one when given twice (the drivers apply them in
 * order), with its length in *len; NULL when the device names none (net_tap then picks dtapN).
 */
static const char *tap_iface(const char *device, size_t *len)
{
	const char *found = NULL;

	for (const char *p = strchr(device, ','); p != NULL; p = strchr(p + 1, ',')) {
		const char *key = p + 1;
		size_t n = strcspn(key, ",");
		if (n >= 6 && !strncmp(key, "iface=", 6)) {
			found = key + 6;
			*len = n - 6;
		}
	}
	return found;
}

static const char *const log_names[] = {"stderr", "syslog", NULL};
static const char *const log_level_names[] = {"debug", "info", "warning", "error", NULL};

static const char *const root_keys[] = {
    "eal",     "ports", "workers", "idle_sleep_us", "burst",      "listen", "backends",
    "hashing", "sip",   "probe",   "control",       "rate_limit", NULL};
static const char *const port_keys[] = {"name", "device", "mtu", NULL};
static const char *const listen_keys[] = {"ipv4",     "ipv6",     "sip_ports",
                                          "gateway4", "gateway6", NULL};
static const char *const backend_keys[] = {"name", "address", "weight", "state", NULL};
static const char *const hashing_keys[] = {"table_size", "seed", "keys", NULL};
static const char *const sip_keys[] = {"retry_after", "max_forwards",   "record_route",
                                       "path",        "secret",         "secret_file",
                                       "aliases",     "dialog_methods", NULL};
static const char *const rate_limit_keys[] = {"rate", "burst", NULL};
static const char *const probe_keys[] = {"enabled",  "interval_ms", "timeout_ms", "down_after",
                                         "up_after", "alive_codes", NULL};
static const char *const control_keys[] = {"api_socket", "metrics", "log", "log_level", NULL};

void ctl_config_defaults(struct ctl_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 1;
	cfg->idle_sleep_us = 100;
	cfg->burst = 32;
	cfg->n_sip_ports = 1;
	cfg->sip_ports[0] = 5060;
	cfg->table_size = LB_DEFAULT_TABLE;
	for (int m = 0; m < SIP_METHOD_COUNT; m++)
		cfg->key_by_method[m] = LB_KEY_CALL_ID;
	cfg->retry_after = 5;
	cfg->max_forwards = 70;
	cfg->probe_enabled = true;
	cfg->probe_interval_ms = 1000;
	cfg->probe_timeout_ms = 1000;
	cfg->probe_down_after = 3;
	cfg->probe_up_after = 2;
	for (unsigned code = 200; code <= 699; code++)
		cfg->probe_alive[(code - 100) / 64] |= UINT64_C(1) << ((code - 100) % 64);
	snprintf(cfg->api_socket, sizeof(cfg->api_socket), "%s", "/run/sipsteer/sipsteer.sock");
	snprintf(cfg->metrics, sizeof(cfg->metrics), "%s", "127.0.0.1:9760");
	snprintf(cfg->log, sizeof(cfg->log), "%s", "stderr");
	snprintf(cfg->log_level, sizeof(cfg->log_level), "%s", "info");
}

void ctl_config_free(struct ctl_config *cfg)
{
	if (cfg == NULL)
		return;
	for (uint32_t i = 0; i < cfg->n_eal_args && i < CTL_MAX_EAL_ARGS; i++)
		free(cfg->eal_args[i]);
	free(cfg->backends);
	explicit_bzero(cfg, sizeof(*cfg)); /* the secret goes with it */
}

void ctl_config_lb(const struct ctl_config *cfg, struct lb_config *out)
{
	memset(out, 0, sizeof(*out));
	out->table_size = cfg->table_size;
	out->seed = cfg->seed;
	memcpy(out->key_by_method, cfg->key_by_method, sizeof(out->key_by_method));
	out->n_backends = cfg->n_backends;
	out->backends = cfg->backends;
}

bool ctl_config_probe_alive(const struct ctl_config *cfg, unsigned code)
{
	if (code < 100 || code > 699)
		return false;
	return cfg->probe_alive[(code - 100) / 64] & (UINT64_C(1) << ((code - 100) % 64));
}

/* --- messages --- */

struct ctx {
	yaml_document_t *doc;
	const char *name; /* file name in messages */
	char *err;
	size_t cap;
	struct ctl_config *cfg;
	size_t *key_line; /* per node index: line of the key it is the value of, 0 if none */
};

static size_t line_of(const yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 1;
}

/*
 * Where to point an operator at a node. A block list or map as a value starts on the line after
 * its key ("listen:\n  ipv4: ..."); the key's line is where one looks for "listen".
 */
static size_t line_for(const struct ctx *c, const yaml_node_t *n)
{
	if (n == NULL)
		return 1;
	size_t index = (size_t)(n - c->doc->nodes.start);
	bool block =
	    (n->type == YAML_MAPPING_NODE && n->data.mapping.style == YAML_BLOCK_MAPPING_STYLE) ||
	    (n->type == YAML_SEQUENCE_NODE && n->data.sequence.style == YAML_BLOCK_SEQUENCE_STYLE);
	if (block && c->key_line != NULL && c->key_line[index] != 0)
		return c->key_line[index];
	return line_of(n);
}

/* Fill c->key_line; false when out of memory. */
static bool index_key_lines(struct ctx *c)
{
	size_t count = (size_t)(c->doc->nodes.top - c->doc->nodes.start);
	c->key_line = calloc(count + 1, sizeof(*c->key_line));
	if (c->key_line == NULL)
		return false;
	for (yaml_node_t *n = c->doc->nodes.start; n < c->doc->nodes.top; n++) {
		if (n->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			/* node indexes are 1-based */
			yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
			if (k != NULL && p->value >= 1 && (size_t)p->value <= count)
				c->key_line[p->value - 1] = k->start_mark.line + 1;
		}
	}
	return true;
}

/* "FILE:LINE: FIELD: message" (no FIELD part when field is empty). Returns -EINVAL. */
__attribute__((format(printf, 4, 5))) static int fail(struct ctx *c, const yaml_node_t *at,
                                                      const char *field, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->err == NULL || c->cap == 0)
		return -EINVAL;
	if (field != NULL && field[0] != '\0')
		snprintf(c->err, c->cap, "%s:%zu: %s: %s", c->name, line_for(c, at), field, msg);
	else
		snprintf(c->err, c->cap, "%s:%zu: %s", c->name, line_for(c, at), msg);
	return -EINVAL;
}

/* A scalar as it can be quoted back: printable ASCII only, truncated. */
static const char *show(const yaml_node_t *n, char *buf, size_t cap)
{
	const unsigned char *s = n->data.scalar.value;
	size_t len = n->data.scalar.length, o = 0;

	for (size_t i = 0; i < len && o + 4 < cap; i++)
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	if (o + 4 >= cap && len > o) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = scalar(n);
	return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* What a node is, for "expected X, got Y"; plain values are quoted back. */
static const char *kind(const yaml_node_t *n)
{
	static __thread char buf[SHOW_MAX + 2];

	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a map";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (is_null(n))
			return "nothing (null)";
		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			return "a quoted string";
		buf[0] = '\'';
		show(n, buf + 1, sizeof(buf) - 2);
		strcat(buf, "'");
		return buf;
	default:
		return "an empty node";
	}
}

/* Optimal string alignment distance, case-insensitive, for "did you mean" hints. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)
		return SIZE_MAX;
	size_t d[33][33];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = (a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
			size_t best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && (a[i - 1] | 0x20) == (b[j - 2] | 0x20) &&
			    (a[i - 2] | 0x20) == (b[j - 1] | 0x20) && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The closest of names (n of them, NULL entries skipped) to s, or NULL when none is close. */
static const char *closest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		if (names[i] == NULL || names[i][0] == '\0')
			continue;
		size_t d = edit_distance(s, names[i]);
		size_t limit = strlen(names[i]) <= 4 ? 1 : 2;
		/* an abbreviation ("warn" for "warning") */
		if (strlen(s) >= 3 && strlen(s) < strlen(names[i]) &&
		    !strncasecmp(s, names[i], strlen(s)))
			d = 1;
		if (d <= limit && d < best_d) {
			best = names[i];
			best_d = d;
		}
	}
	return best;
}

/* ", expected one of: a, b, c" or "; did you mean 'b'?" into buf. */
static const char *hint(const char *s, const char *const *names, size_t n, char *buf, size_t cap)
{
	const char *near = closest(s, names, n);
	if (near != NULL) {
		snprintf(buf, cap, "; did you mean '%s'?", near);
		return buf;
	}
	size_t o = (size_t)snprintf(buf, cap, " (expected one of:");
	for (size_t i = 0; i < n && o < cap; i++) {
		if (names[i] == NULL || names[i][0] == '\0')
			continue;
		o += (size_t)snprintf(buf + o, cap - o, " %s", names[i]);
	}
	if (o < cap)
		snprintf(buf + o, cap - o, ")");
	return buf;
}

static size_t count_names(const char *const *names)
{
	size_t n = 0;
	while (names[n] != NULL)
		n++;
	return n;
}

/* "parent.key" or "key" at the top level. */
static const char *join(char *buf, size_t cap, const char *parent, const char *key)
{
	int n = parent[0] == '\0' ? snprintf(buf, cap, "%s", key)
	                          : snprintf(buf, cap, "%s.%s", parent, key);
	if (n < 0 || (size_t)n >= cap)
		buf[cap - 1] = '\0'; /* a field path only names things in messages */
	return buf;
}

/* --- nodes --- */

static yaml_node_t *node(struct ctx *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

/*
 * A section: a map (or null, read as an empty one) whose keys are all strings from `keys`, each
 * at most once.
 */
static int check_map(struct ctx *c, const yaml_node_t *n, const char *field,
                     const char *const *keys)
{
	char path[FIELD_MAX], buf[SHOW_MAX], tail[256];

	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, field, "expected a map, got %s", kind(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, field, "a key must be a name, got %s", kind(k));
		const char *name = scalar(k);
		bool known = false;
		for (size_t i = 0; keys[i] != NULL; i++)
			known |= !strcmp(keys[i], name);
		if (!known)
			return fail(c, k,
			            join(path, sizeof(path), field, show(k, buf, sizeof(buf))),
			            "unknown key '%s'%s", buf,
			            hint(name, keys, count_names(keys), tail, sizeof(tail)));
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *prev = node(c, q->key);
			if (prev->type == YAML_SCALAR_NODE && !strcmp(scalar(prev), name))
				return fail(c, k, join(path, sizeof(path), field, name),
				            "duplicate key (first given at line %zu)",
				            line_of(prev));
		}
	}
	return 0;
}

/* The value of key in map n, or NULL when absent (or n is null). */
static yaml_node_t *map_get(struct ctx *c, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), key))
			return node(c, p->value);
	}
	return NULL;
}

/* A list (or null, read as empty) of min..max entries; *count gets its length. */
static int check_seq(struct ctx *c, const yaml_node_t *n, const char *field, size_t min, size_t max,
                     const char *what, size_t *count)
{
	size_t len = 0;

	if (!is_null(n)) {
		if (n->type != YAML_SEQUENCE_NODE)
			return fail(c, n, field, "expected a list, got %s", kind(n));
		len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	}
	if (len < min && min == 1)
		return fail(c, n, field, "cannot be empty");
	if (len < min)
		return fail(c, n, field, "needs at least %zu %s", min, what);
	if (len > max)
		return fail(c, n, field, "has %zu %s, at most %zu are allowed", len, what, max);
	*count = len;
	return 0;
}

static yaml_node_t *seq_item(struct ctx *c, const yaml_node_t *n, size_t i)
{
	return node(c, n->data.sequence.items.start[i]);
}

/* An unsigned decimal integer (a plain scalar) within min..max. */
static int get_uint(struct ctx *c, const yaml_node_t *n, const char *field, uint64_t min,
                    uint64_t max, uint64_t *out)
{
	char buf[SHOW_MAX];

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail(c, n, field, "expected an integer (%llu..%llu), got %s",
		            (unsigned long long)min, (unsigned long long)max, kind(n));
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return fail(
		    c, n, field, "expected an integer (%llu..%llu), got the quoted string \"%s\"",
		    (unsigned long long)min, (unsigned long long)max, show(n, buf, sizeof(buf)));
	const char *s = scalar(n);
	/* A leading '-' reads as a number out of range, every other non-digit (a '+' too) as
	 * not an integer. */
	bool negative = s[0] == '-';
	const char *digits = negative ? s + 1 : s;
	uint64_t v = 0;
	bool overflow = false;
	if (digits[0] == '\0' || strspn(digits, "0123456789") != strlen(digits))
		return fail(c, n, field, "expected an integer (%llu..%llu), got '%s'",
		            (unsigned long long)min, (unsigned long long)max,
		            show(n, buf, sizeof(buf)));
	for (const char *d = digits; *d; d++) {
		unsigned digit = (unsigned)(*d - '0');
		if (v > (UINT64_MAX - digit) / 10)
			overflow = true;
		v = v * 10 + digit;
	}
	if (overflow || negative || v < min || v > max)
		return fail(c, n, field, "%s is out of range %llu..%llu", show(n, buf, sizeof(buf)),
		            (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

static int get_u32(struct ctx *c, const yaml_node_t *n, const char *field, uint32_t min,
                   uint32_t max, uint32_t *out)
{
	uint64_t v;
	int rc = get_uint(c, n, field, min, max, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static int get_bool(struct ctx *c, const yaml_node_t *n, const char *field, bool *out)
{
	char buf[SHOW_MAX];

	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		const char *s = scalar(n);
		if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
			*out = false;
			return 0;
		}
		if (!is_null(n))
			return fail(c, n, field, "expected true or false, got '%s'",
			            show(n, buf, sizeof(buf)));
	}
	return fail(c, n, field, "expected true or false, got %s", kind(n));
}

/* A string of at most cap - 1 bytes; "" only when quoted. */
static int get_str(struct ctx *c, const yaml_node_t *n, const char *field, char *out, size_t cap)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n, field, "expected a string, got %s", kind(n));
	if (is_null(n))
		return fail(c, n, field, "expected a string, got nothing (write \"\" for empty)");
	size_t len = n->data.scalar.length;
	if (strlen(scalar(n)) != len)
		return fail(c, n, field, "contains a NUL character");
	if (len >= cap)
		return fail(c, n, field, "is %zu characters long, at most %zu are allowed", len,
		            cap - 1);
	memcpy(out, scalar(n), len + 1);
	return 0;
}

/* One of names[0..n-1] (NULL or "" entries never match); *out gets its index. */
static int get_enum(struct ctx *c, const yaml_node_t *n, const char *field,
                    const char *const *names, size_t count, unsigned *out)
{
	char buf[SHOW_MAX], tail[256];

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail(c, n, field, "expected a name, got %s", kind(n));
	for (size_t i = 0; i < count; i++) {
		if (names[i] != NULL && names[i][0] != '\0' && !strcmp(names[i], scalar(n))) {
			*out = (unsigned)i;
			return 0;
		}
	}
	return fail(c, n, field, "unknown value '%s'%s", show(n, buf, sizeof(buf)),
	            hint(scalar(n), names, count, tail, sizeof(tail)));
}

/* [A-Za-z0-9._-]{1,63} */
static int get_name(struct ctx *c, const yaml_node_t *n, const char *field, char *out)
{
	char buf[SHOW_MAX];
	int rc = get_str(c, n, field, out, LB_NAME_MAX);
	if (rc != 0)
		return rc;
	if (out[0] == '\0' ||
	    strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
	        strlen(out))
		return fail(c, n, field,
		            "'%s' is not a valid name: use 1 to %d of A-Z a-z 0-9 . _ -",
		            show(n, buf, sizeof(buf)), LB_NAME_MAX - 1);
	return 0;
}

/* --- addresses --- */

static bool parse_ip(const char *s, size_t len, struct lb_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];

	memset(a, 0, sizeof(*a));
	if (len == 0 || len >= sizeof(host))
		return false;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(AF_INET, host, a->v4) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, host, a->v6) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

static bool parse_port(const char *s, uint16_t *port)
{
	size_t len = strlen(s);
	if (len == 0 || len > 5 || strspn(s, "0123456789") != len)
		return false;
	unsigned long v = strtoul(s, NULL, 10);
	if (v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/*
 * "IPv4[:port]", "[IPv6][:port]" or a bare IPv6 literal. default_port 0 makes the port mandatory.
 * Returns NULL, or why s is not one.
 */
static const char *parse_endpoint(const char *s, uint16_t default_port, struct lb_addr *a)
{
	const char *port = NULL;
	size_t host_len;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL)
			return "missing ']' after the IPv6 address";
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return "expected ':port' after ']'";
		if (!parse_ip(s + 1, (size_t)(close - s - 1), a) || a->family != AF_INET6)
			return "not an IPv6 address inside [ ]";
	} else {
		const char *colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			if (!parse_ip(s, strlen(s), a))
				return "not an IPv4 or IPv6 address (write [IPv6]:port)";
		} else {
			host_len = colon != NULL ? (size_t)(colon - s) : strlen(s);
			if (colon != NULL)
				port = colon + 1;
			if (!parse_ip(s, host_len, a) || a->family != AF_INET)
				return "expected IPv4[:port] or [IPv6][:port]";
		}
	}
	if (port != NULL) {
		if (!parse_port(port, &a->port))
			return "the port must be a number from 1 to 65535";
	} else if (default_port == 0) {
		return "a port is required (IPv4:port or [IPv6]:port)";
	} else {
		a->port = default_port;
	}
	return NULL;
}

const char *ctl_addr_unusable(const struct lb_addr *a)
{
	if (a->family == AF_INET) {
		static const uint8_t any[4], bcast[4] = {255, 255, 255, 255};
		if (!memcmp(a->v4, any, 4))
			return "the unspecified address";
		if (!memcmp(a->v4, bcast, 4))
			return "the broadcast address";
		if ((a->v4[0] & 0xf0) == 0xe0)
			return "a multicast address";
	} else {
		static const uint8_t any[16];
		if (!memcmp(a->v6, any, 16))
			return "the unspecified address";
		if (a->v6[0] == 0xff)
			return "a multicast address";
	}
	return NULL;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* An endpoint field: address (and port) of a host. */
static int get_endpoint(struct ctx *c, const yaml_node_t *n, const char *field,
                        uint16_t default_port, struct lb_addr *a)
{
	char text[CTL_PATH_MAX], buf[SHOW_MAX];
	int rc = get_str(c, n, field, text, sizeof(text));
	if (rc != 0)
		return rc;
	const char *why = parse_endpoint(text, default_port, a);
	if (why != NULL)
		return fail(c, n, field, "'%s' is not a valid address: %s",
		            show(n, buf, sizeof(buf)), why);
	why = ctl_addr_unusable(a);
	if (why != NULL)
		return fail(c, n, field, "'%s' is %s", show(n, buf, sizeof(buf)), why);
	return 0;
}

/* "ADDRESS/LEN" of the given family. */
static int get_prefix(struct ctx *c, const yaml_node_t *n, const char *field, int family,
                      struct ctl_prefix *p)
{
	char text[CTL_PATH_MAX], buf[SHOW_MAX];
	unsigned max_len = family == AF_INET ? 32 : 128;
	int rc = get_str(c, n, field, text, sizeof(text));
	if (rc != 0)
		return rc;
	show(n, buf, sizeof(buf));
	char *slash = strchr(text, '/');
	if (slash == NULL)
		return fail(c, n, field, "'%s' has no prefix length (write it as %s)", buf,
		            family == AF_INET ? "198.18.0.10/24" : "2001:db8::10/64");
	if (!parse_ip(text, (size_t)(slash - text), &p->addr))
		return fail(c, n, field, "'%s' is not a valid %s address", buf,
		            family_name(family));
	if (p->addr.family != family)
		return fail(c, n, field, "'%s' is an %s address, expected %s", buf,
		            family_name(p->addr.family), family_name(family));
	const char *len_text = slash + 1;
	size_t len = strlen(len_text);
	if (len == 0 || len > 3 || strspn(len_text, "0123456789") != len)
		return fail(c, n, field, "'%s': the prefix length must be a number from 1 to %u",
		            buf, max_len);
	unsigned long plen = strtoul(len_text, NULL, 10);
	if (plen < 1 || plen > max_len)
		return fail(c, n, field, "prefix length %lu is out of range 1..%u", plen, max_len);
	p->len = (uint8_t)plen;
	const char *why = ctl_addr_unusable(&p->addr);
	if (why != NULL)
		return fail(c, n, field, "'%s' is %s", buf, why);
	return 0;
}

static bool in_prefix(const struct ctl_prefix *p, const struct lb_addr *a)
{
	const uint8_t *x = p->addr.family == AF_INET ? p->addr.v4 : p->addr.v6;
	const uint8_t *y = a->family == AF_INET ? a->v4 : a->v6;
	unsigned bits = p->len;

	if (a->family != p->addr.family)
		return false;
	for (unsigned i = 0; bits > 0; i++, bits = bits > 8 ? bits - 8 : 0) {
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		if ((x[i] & mask) != (y[i] & mask))
			return false;
	}
	return true;
}

static bool same_addr(const struct lb_addr *a, const struct lb_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	return a->family == AF_INET ? !memcmp(a->v4, b->v4, 4) : !memcmp(a->v6, b->v6, 16);
}

const char *ctl_backend_unreachable(const struct ctl_config *cfg, const struct lb_addr *a,
                                    char *buf, size_t cap)
{
	static const uint8_t loop6[16] = {[15] = 1};
	bool v4 = a->family == AF_INET;
	const struct ctl_prefix *vip = v4 ? &cfg->vip4 : &cfg->vip6;
	const char *listen = v4 ? "listen.ipv4" : "listen.ipv6";

	if (v4 ? a->v4[0] == 127 : !memcmp(a->v6, loop6, 16))
		return "a loopback address (sipsteer sends from the VIP through its own ports, "
		       "never "
		       "to this host's stack)";
	if (vip->addr.family == 0)
		return NULL; /* the caller says that this family has no VIP */
	if (v4 ? !memcmp(a->v4, vip->addr.v4, 4) : !memcmp(a->v6, vip->addr.v6, 16)) {
		snprintf(buf, cap, "the VIP itself (%s)", listen);
		return buf;
	}
	if (in_prefix(vip, a)) {
		/* IPv4 links of 4 addresses or more: their first and last are no host's */
		if (v4 && vip->len <= 30) {
			uint32_t host = ~0u >> vip->len;
			uint32_t ip = (uint32_t)a->v4[0] << 24 | (uint32_t)a->v4[1] << 16 |
			              (uint32_t)a->v4[2] << 8 | a->v4[3];
			if ((ip & host) == 0 || (ip & host) == host) {
				snprintf(buf, cap, "the %s address of %s's prefix (/%u)",
				         (ip & host) == 0 ? "network" : "broadcast", listen,
				         vip->len);
				return buf;
			}
		}
		return NULL;
	}
	if ((v4 ? cfg->gateway4.family : cfg->gateway6.family) == 0) {
		snprintf(buf, cap, "off %s's link (/%u) and no %s is set to reach it", listen,
		         vip->len, v4 ? "listen.gateway4" : "listen.gateway6");
		return buf;
	}
	return NULL;
}

/* --- sections --- */

static int parse_eal(struct ctx *c, const yaml_node_t *n)
{
	char field[FIELD_MAX], arg[CTL_PATH_MAX];
	size_t count;
	int rc = check_seq(c, n, "eal", 0, CTL_MAX_EAL_ARGS, "arguments", &count);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < count; i++) {
		snprintf(field, sizeof(field), "eal[%zu]", i);
		rc = get_str(c, seq_item(c, n, i), field, arg, sizeof(arg));
		if (rc != 0)
			return rc;
		if (arg[0] == '\0')
			return fail(c, seq_item(c, n, i), field, "an EAL argument cannot be empty");
		c->cfg->eal_args[i] = strdup(arg);
		if (c->cfg->eal_args[i] == NULL)
			return -ENOMEM;
		c->cfg->n_eal_args = (uint32_t)i + 1;
	}
	return 0;
}

/*
 * ports[i].device against ports[0..i): a PCI address must differ as a whole string, a vdev by its
 * DPDK name (two vdevs with one name fail at start as "Device or resource busy"); a net_tap's
 * iface must be a kernel interface name (IFNAMSIZ - 1 characters at most) no other net_tap port
 * creates.
 */
/* A PCI address as the EAL knows it: domain written out (0000: when left out), lower case. */
static void pci_normal(const char *device, char out[16])
{
	size_t len = vdev_name_len(device), n = 0;
	int colons = 0;

	for (size_t k = 0; k < len; k++)
		colons += device[k] == ':';
	if (colons == 1) {
		memcpy(out, "0000:", 5);
		n = 5;
	}
	for (size_t k = 0; k < len && n < 15; k++)
		out[n++] = (char)tolower((unsigned char)device[k]);
	out[n] = '\0';
}

/* The driver family whose iface= names a kernel interface only one port may use: 1 tap (it
 * creates the interface), 2 af_packet (it binds to it: two ports would each get every frame),
 * 0 none. */
static int iface_kind(const char *device)
{
	if (is_net_tap(device))
		return 1;
	return strncmp(device, "net_af_packet", 13) == 0 ? 2 : 0;
}

static int check_device(struct ctx *c, const yaml_node_t *v, const char *field, size_t i)
{
	const struct ctl_port *ports = c->cfg->ports;
	const char *dev = ports[i].device, *iface;
	size_t name_len = vdev_name_len(dev), iface_len = 0;
	bool pci = ctl_device_is_pci(dev);
	char a[16], b[16];

	if (pci)
		pci_normal(dev, a);
	for (size_t j = 0; j < i; j++) {
		const char *other = ports[j].device;
		if (pci && ctl_device_is_pci(other) && (pci_normal(other, b), !strcmp(a, b)))
			return fail(c, v, field, "duplicate device %s (also ports[%zu], '%s')", a,
			            j, other);
		if (!pci && !ctl_device_is_pci(other) && vdev_name_len(other) == name_len &&
		    !strncmp(other, dev, name_len)) {
			/* the driver's prefix for the hint: the name without its trailing digits */
			int prefix = (int)name_len;
			while (prefix > 0 && isdigit((unsigned char)dev[prefix - 1]))
				prefix--;
			return fail(
			    c, v, field,
			    "device name %.*s is also ports[%zu]'s; each port needs its own name "
			    "(%.*s0, %.*s1, ...)",
			    (int)name_len, dev, j, prefix, dev, prefix, dev);
		}
	}
	int kind = iface_kind(dev);
	if (kind == 0 || (iface = tap_iface(dev, &iface_len)) == NULL)
		return 0;
	if (iface_len == 0 || iface_len > 15)
		return fail(c, v, field,
		            "iface '%.*s' is not a valid interface name (1 to 15 characters)",
		            (int)iface_len, iface);
	for (size_t j = 0; j < i; j++) {
		const char *other;
		size_t other_len = 0;
		if (iface_kind(ports[j].device) == kind &&
		    (other = tap_iface(ports[j].device, &other_len)) != NULL &&
		    other_len == iface_len && !memcmp(other, iface, iface_len))
			return fail(c, v, field, "iface %.*s is also ports[%zu]'s%s",
			            (int)iface_len, iface, j,
			            kind == 2 ? " (two af_packet ports on one interface would each "
			                        "receive every frame)"
			                      : "");
	}
	return 0;
}

static int parse_ports(struct ctx *c, const yaml_node_t *n)
{
	char field[FIELD_MAX], base[FIELD_MAX];
	size_t count;
	int rc = check_seq(c, n, "ports", 1, CTL_MAX_PORTS, "ports", &count);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item = seq_item(c, n, i), *v;
		struct ctl_port *port = &c->cfg->ports[i];
		snprintf(base, sizeof(base), "ports[%zu]", i);
		if (is_null(item))
			return fail(c, item, base, "expected a map, got %s", kind(item));
		if ((rc = check_map(c, item, base, port_keys)) != 0)
			return rc;
		v = map_get(c, item, "name");
		if (v == NULL)
			return fail(c, item, join(field, sizeof(field), base, "name"),
			            "required key is missing");
		if ((rc = get_name(c, v, join(field, sizeof(field), base, "name"), port->name)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->cfg->ports[j].name, port->name))
				return fail(c, v, field, "duplicate name '%s' (also ports[%zu])",
				            port->name, j);
		v = map_get(c, item, "device");
		if (v == NULL)
			return fail(c, item, join(field, sizeof(field), base, "device"),
			            "required key is missing");
		join(field, sizeof(field), base, "device");
		if ((rc = get_str(c, v, field, port->device, sizeof(port->device))))
			return rc;
		if (port->device[0] == '\0')
			return fail(c, v, field,
			            "cannot be empty (a vdev string or a PCI address)");
		if ((rc = check_device(c, v, field, i)))
			return rc;
		if (memif_zero_copy(port->device))
			return fail(c, v, field,
			            "net_memif in zero-copy mode is not supported: a peer that "
			            "disconnects can crash a worker there; leave out zero-copy "
			            "(the default copy mode is guarded)");
		v = map_get(c, item, "mtu");
		if (v != NULL) {
			uint32_t mtu;
			if ((rc = get_u32(c, v, join(field, sizeof(field), base, "mtu"), 576, 9000,
			                  &mtu)))
				return rc;
			port->mtu = (uint16_t)mtu;
		}
		c->cfg->n_ports = (uint32_t)i + 1;
	}
	return 0;
}

static int parse_gateway(struct ctx *c, const yaml_node_t *listen, const char *key,
                         const struct ctl_prefix *vip, struct lb_addr *gw)
{
	char field[FIELD_MAX], buf[SHOW_MAX], text[CTL_PATH_MAX];
	const yaml_node_t *v = map_get(c, listen, key);
	int family = key[7] == '4' ? AF_INET : AF_INET6;
	int rc;

	if (v == NULL)
		return 0;
	join(field, sizeof(field), "listen", key);
	if ((rc = get_str(c, v, field, text, sizeof(text))))
		return rc;
	show(v, buf, sizeof(buf));
	if (!parse_ip(text, strlen(text), gw))
		return fail(c, v, field, "'%s' is not a valid %s address (no port, no prefix)", buf,
		            family_name(family));
	if (gw->family != family)
		return fail(c, v, field, "'%s' is an %s address, expected %s", buf,
		            family_name(gw->family), family_name(family));
	const char *why = ctl_addr_unusable(gw);
	if (why != NULL)
		return fail(c, v, field, "'%s' is %s", buf, why);
	if (vip->addr.family == 0)
		return fail(c, v, field, "a gateway needs listen.ipv%c", key[7]);
	if (!in_prefix(vip, gw))
		return fail(c, v, field,
		            "%s is outside the listen.ipv%c prefix: a next hop must be "
		            "on the link",
		            buf, key[7]);
	struct lb_addr vip_addr = vip->addr;
	if (same_addr(&vip_addr, gw))
		return fail(c, v, field, "%s is the virtual address itself", buf);
	return 0;
}

static int parse_listen(struct ctx *c, const yaml_node_t *root)
{
	char field[FIELD_MAX];
	struct ctl_config *cfg = c->cfg;
	const yaml_node_t *n = map_get(c, root, "listen"), *v;
	size_t count;
	int rc;

	if (n == NULL)
		return fail(c, root, "listen", "required section is missing");
	if ((rc = check_map(c, n, "listen", listen_keys)) != 0)
		return rc;
	if ((v = map_get(c, n, "ipv4")) &&
	    (rc = get_prefix(c, v, "listen.ipv4", AF_INET, &cfg->vip4)))
		return rc;
	if ((v = map_get(c, n, "ipv6")) &&
	    (rc = get_prefix(c, v, "listen.ipv6", AF_INET6, &cfg->vip6)))
		return rc;
	if (cfg->vip4.addr.family == 0 && cfg->vip6.addr.family == 0)
		return fail(c, n, "listen", "needs ipv4, ipv6 or both (the virtual addresses)");
	if ((v = map_get(c, n, "sip_ports")) != NULL) {
		if ((rc = check_seq(c, v, "listen.sip_ports", 1, CTL_MAX_SIP_PORTS, "ports",
		                    &count)))
			return rc;
		for (size_t i = 0; i < count; i++) {
			const yaml_node_t *item = seq_item(c, v, i);
			uint32_t port;
			snprintf(field, sizeof(field), "listen.sip_ports[%zu]", i);
			if ((rc = get_u32(c, item, field, 1, 65535, &port)))
				return rc;
			for (size_t j = 0; j < i; j++)
				if (cfg->sip_ports[j] == port)
					return fail(c, item, field,
					            "duplicate port %u (also sip_ports[%zu])", port,
					            j);
			cfg->sip_ports[i] = (uint16_t)port;
		}
		cfg->n_sip_ports = (uint32_t)count;
	}
	if ((rc = parse_gateway(c, n, "gateway4", &cfg->vip4, &cfg->gateway4)))
		return rc;
	return parse_gateway(c, n, "gateway6", &cfg->vip6, &cfg->gateway6);
}

static int parse_backend(struct ctx *c, const yaml_node_t *item, size_t i)
{
	char field[FIELD_MAX], base[FIELD_MAX], buf[SHOW_MAX];
	struct lb_backend_config *be = &c->cfg->backends[i];
	const yaml_node_t *v;
	unsigned admin;
	int rc;

	snprintf(base, sizeof(base), "backends[%zu]", i);
	be->id = (uint32_t)i;
	be->weight = 1;
	be->admin = LB_ADMIN_ENABLED;
	be->health = LB_HEALTH_UNKNOWN;
	if (is_null(item))
		return fail(c, item, base, "expected a map, got %s", kind(item));
	if ((rc = check_map(c, item, base, backend_keys)) != 0)
		return rc;

	join(field, sizeof(field), base, "name");
	if ((v = map_get(c, item, "name")) == NULL)
		return fail(c, item, field, "required key is missing");
	if ((rc = get_name(c, v, field, be->name)))
		return rc;
	for (size_t j = 0; j < i; j++)
		if (!strcmp(c->cfg->backends[j].name, be->name))
			return fail(c, v, field, "duplicate name '%s' (also backends[%zu])",
			            be->name, j);

	join(field, sizeof(field), base, "address");
	if ((v = map_get(c, item, "address")) == NULL)
		return fail(c, item, field, "required key is missing");
	if ((rc = get_endpoint(c, v, field, 5060, &be->addr)))
		return rc;
	for (size_t j = 0; j < i; j++)
		if (same_addr(&c->cfg->backends[j].addr, &be->addr))
			return fail(c, v, field,
			            "duplicate address '%s' (also backends[%zu], '%s')",
			            show(v, buf, sizeof(buf)), j, c->cfg->backends[j].name);
	const struct ctl_prefix *vip = be->addr.family == AF_INET ? &c->cfg->vip4 : &c->cfg->vip6;
	if (vip->addr.family == 0)
		return fail(c, v, field, "an %s backend needs listen.%s to send from",
		            family_name(be->addr.family),
		            be->addr.family == AF_INET ? "ipv4" : "ipv6");
	char why_buf[128];
	const char *why = ctl_backend_unreachable(c->cfg, &be->addr, why_buf, sizeof(why_buf));
	if (why != NULL)
		return fail(c, v, field, "'%s' is %s", show(v, buf, sizeof(buf)), why);

	if ((v = map_get(c, item, "weight")) != NULL &&
	    (rc = get_u32(c, v, join(field, sizeof(field), base, "weight"), 0, LB_MAX_WEIGHT,
	                  &be->weight)))
		return rc;
	if ((v = map_get(c, item, "state")) != NULL) {
		if ((rc = get_enum(c, v, join(field, sizeof(field), base, "state"), lb_admin_names,
		                   LB_ADMIN_COUNT, &admin)))
			return rc;
		be->admin = (enum lb_admin)admin;
	}
	return 0;
}

static int parse_backends(struct ctx *c, const yaml_node_t *root)
{
	const yaml_node_t *n = map_get(c, root, "backends");
	size_t count;
	int rc;

	if (n == NULL)
		return fail(c, root, "backends",
		            "required section is missing (write 'backends: []' "
		            "to answer every request with 503)");
	if ((rc = check_seq(c, n, "backends", 0, LB_MAX_BACKENDS, "backends", &count)))
		return rc;
	if (count == 0)
		return 0;
	c->cfg->backends = calloc(count, sizeof(*c->cfg->backends));
	if (c->cfg->backends == NULL)
		return -ENOMEM;
	c->cfg->n_backends = (uint32_t)count;
	for (size_t i = 0; i < count; i++)
		if ((rc = parse_backend(c, seq_item(c, n, i), i)))
			return rc;
	return 0;
}

static bool is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	for (uint32_t d = 2; d * d <= n; d++)
		if (n % d == 0)
			return false;
	return true;
}

static int parse_keys(struct ctx *c, const yaml_node_t *n)
{
	char field[FIELD_MAX], buf[SHOW_MAX], tail[256];
	bool set[SIP_METHOD_COUNT] = {false};
	const yaml_node_t *at[SIP_METHOD_COUNT] = {NULL};
	enum lb_key *keys = c->cfg->key_by_method;
	unsigned method, key;
	int rc;

	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "hashing.keys", "expected a map of METHOD: key, got %s", kind(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, "hashing.keys", "a key must be a SIP method, got %s",
			            kind(k));
		join(field, sizeof(field), "hashing.keys", show(k, buf, sizeof(buf)));
		for (method = 1; method < SIP_METHOD_COUNT; method++)
			if (!strcmp(ctl_method_names[method], scalar(k)))
				break;
		if (method == SIP_METHOD_COUNT)
			return fail(c, k, field, "unknown SIP method '%s'%s", buf,
			            hint(scalar(k), ctl_method_names, SIP_METHOD_COUNT, tail,
			                 sizeof(tail)));
		if (set[method])
			return fail(c, k, field, "duplicate key (first given at line %zu)",
			            line_of(at[method]));
		if ((rc = get_enum(c, v, field, lb_key_names, LB_KEY_COUNT, &key)))
			return rc;
		keys[method] = (enum lb_key)key;
		set[method] = true;
		at[method] = k;
	}
	/*
	 * RFC 3261 9.1 / 17.1.1.3: a CANCEL and the ACK of a non-2xx answer carry the INVITE's
	 * Call-ID, From and To, and must reach the backend that got the INVITE: they hash like it.
	 */
	static const unsigned followers[] = {SIP_METHOD_CANCEL, SIP_METHOD_ACK};
	for (size_t i = 0; i < sizeof(followers) / sizeof(followers[0]); i++) {
		unsigned m = followers[i];
		if (!set[m])
			keys[m] = keys[SIP_METHOD_INVITE];
		else if (keys[m] != keys[SIP_METHOD_INVITE])
			return fail(c, at[m],
			            join(field, sizeof(field), "hashing.keys", ctl_method_names[m]),
			            "must hash like INVITE (%s): a %s has to reach the backend "
			            "that got its INVITE",
			            lb_key_names[keys[SIP_METHOD_INVITE]], ctl_method_names[m]);
	}
	return 0;
}

static int parse_hashing(struct ctx *c, const yaml_node_t *root)
{
	const yaml_node_t *n = map_get(c, root, "hashing"), *v;
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = check_map(c, n, "hashing", hashing_keys)) != 0)
		return rc;
	if ((v = map_get(c, n, "table_size")) != NULL) {
		if ((rc = get_u32(c, v, "hashing.table_size", 1021, 16777213, &c->cfg->table_size)))
			return rc;
		if (!is_prime(c->cfg->table_size))
			return fail(c, v, "hashing.table_size",
			            "%u is not prime (Maglev needs a prime; e.g. 65537, 131071, "
			            "1048573)",
			            c->cfg->table_size);
		/* Maglev gives each active backend at least one slot */
		if (c->cfg->table_size <= c->cfg->n_backends)
			return fail(
			    c, v, "hashing.table_size",
			    "%u slots are too few for %u backends (it must be larger than the "
			    "number of backends; 100 times is better)",
			    c->cfg->table_size, c->cfg->n_backends);
	}
	if ((v = map_get(c, n, "seed")) != NULL &&
	    (rc = get_uint(c, v, "hashing.seed", 0, UINT64_MAX, &c->cfg->seed)))
		return rc;
	if ((v = map_get(c, n, "keys")) != NULL)
		return parse_keys(c, v);
	return 0;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)(ch | 0x20);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* 32 hex digits into the 16-byte secret; false when text is not that. */
static bool parse_secret(const char *text, size_t len, uint8_t out[CTL_SECRET_LEN])
{
	if (len != 2 * CTL_SECRET_LEN)
		return false;
	for (size_t i = 0; i < CTL_SECRET_LEN; i++) {
		int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static int read_secret_file(struct ctx *c, const yaml_node_t *v, const char *path)
{
	const char *field = "sip.secret_file";
	char text[128];
	ssize_t got;
	size_t len = 0;
	struct stat st;
	/* O_NONBLOCK: a FIFO put there by mistake must not hang the start */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return fail(c, v, field, "cannot read '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(c, v, field, "cannot read '%s': not a regular file", path);
	}
	while (len < sizeof(text) - 1 &&
	       (got = read(fd, text + len, sizeof(text) - 1 - len)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			explicit_bzero(text, sizeof(text));
			return fail(c, v, field, "cannot read '%s': %s", path, strerror(e));
		}
		len += (size_t)got;
	}
	close(fd);
	/* Trailing newline and spaces (echo > file) are fine; anything else is not. */
	while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
		len--;
	bool ok = parse_secret(text, len, c->cfg->secret);
	explicit_bzero(text, sizeof(text));
	if (!ok)
		return fail(c, v, field, "'%s' must hold exactly 32 hex digits (a 16-byte key)",
		            path);
	return 0;
}

/* sip.dialog_methods: a list of method names that may start a dialog. */
static int parse_dialog_methods(struct ctx *c, const yaml_node_t *v)
{
	char field[FIELD_MAX], buf[SHOW_MAX], tail[256];
	size_t count;
	unsigned method;
	int rc;

	if ((rc = check_seq(c, v, "sip.dialog_methods", 0, SIP_METHOD_COUNT, "methods", &count)))
		return rc;
	c->cfg->dialog_methods = 0;
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item = seq_item(c, v, i);
		snprintf(field, sizeof(field), "sip.dialog_methods[%zu]", i);
		if (item->type != YAML_SCALAR_NODE)
			return fail(c, item, field, "expected a SIP method, got %s", kind(item));
		show(item, buf, sizeof(buf));
		for (method = 1; method < SIP_METHOD_COUNT; method++)
			if (!strcmp(ctl_method_names[method], scalar(item)))
				break;
		if (method == SIP_METHOD_COUNT)
			return fail(c, item, field, "unknown SIP method '%s'%s", buf,
			            hint(scalar(item), ctl_method_names, SIP_METHOD_COUNT, tail,
			                 sizeof(tail)));
		/* RFC 3261 12: these never establish a dialog; a Record-Route there is wrong */
		if (method == SIP_METHOD_ACK || method == SIP_METHOD_CANCEL ||
		    method == SIP_METHOD_BYE || method == SIP_METHOD_REGISTER)
			return fail(c, item, field, "%s never creates a dialog", buf);
		if (c->cfg->dialog_methods & (1u << method))
			return fail(c, item, field, "%s is listed twice", buf);
		c->cfg->dialog_methods |= 1u << method;
	}
	return 0;
}

/*
 * Why s[0..n) is not a host name (RFC 3261 25.1: dot-separated labels of letters, digits and
 * '-', neither first nor last in a label, the last label starting with a letter), or NULL.
 */
static const char *hostname_problem(const char *s, size_t n)
{
	size_t label = 0; /* start of the current label */

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!isalnum((unsigned char)s[i]) && s[i] != '-')
				return "only letters, digits, '-' and '.' may appear";
			continue;
		}
		if (i == label)
			return "it has an empty label";
		if (i - label > 63)
			return "a label is longer than 63 characters";
		if (s[label] == '-' || s[i - 1] == '-')
			return "a label starts or ends with '-'";
		if (i == n && !isalpha((unsigned char)s[label]))
			return "its last label must start with a letter (an address is no alias: "
			       "the VIPs are recognised by address already)";
		label = i + 1;
	}
	return NULL;
}

/* sip.aliases: host names that name this balancer in a Route URI. */
static int parse_aliases(struct ctx *c, const yaml_node_t *v)
{
	char field[FIELD_MAX], buf[SHOW_MAX];
	struct ctl_config *cfg = c->cfg;
	size_t count;
	int rc;

	if ((rc = check_seq(c, v, "sip.aliases", 0, CTL_MAX_ALIASES, "host names", &count)))
		return rc;
	cfg->n_aliases = 0;
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *item = seq_item(c, v, i);
		snprintf(field, sizeof(field), "sip.aliases[%zu]", i);
		if (item->type != YAML_SCALAR_NODE || is_null(item))
			return fail(c, item, field, "expected a host name, got %s", kind(item));
		show(item, buf, sizeof(buf));
		const char *s = scalar(item);
		size_t n = strlen(s);
		if (n > 0 && s[n - 1] == '.')
			n--; /* the fully qualified spelling names the same host */
		if (n == 0 || n > CTL_ALIAS_MAX)
			return fail(c, item, field,
			            "'%s' is not a host name: it must have 1 to %d "
			            "characters",
			            buf, CTL_ALIAS_MAX);
		const char *why = hostname_problem(s, n);
		if (why != NULL)
			return fail(c, item, field, "'%s' is not a host name: %s", buf, why);
		char *out = cfg->aliases[cfg->n_aliases];
		for (size_t k = 0; k < n; k++)
			out[k] = (char)tolower((unsigned char)s[k]);
		out[n] = '\0';
		for (uint32_t k = 0; k < cfg->n_aliases; k++)
			if (!strcmp(cfg->aliases[k], out))
				return fail(c, item, field,
				            "'%s' is listed twice (host names are "
				            "compared without case)",
				            buf);
		cfg->n_aliases++;
	}
	return 0;
}

static int parse_sip(struct ctx *c, const yaml_node_t *root)
{
	struct ctl_config *cfg = c->cfg;
	const yaml_node_t *n = map_get(c, root, "sip"), *v, *secret;
	char text[CTL_PATH_MAX];
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = check_map(c, n, "sip", sip_keys)) != 0)
		return rc;
	if ((v = map_get(c, n, "retry_after")) != NULL &&
	    (rc = get_u32(c, v, "sip.retry_after", 0, 86400, &cfg->retry_after)))
		return rc;
	if ((v = map_get(c, n, "max_forwards")) != NULL &&
	    (rc = get_u32(c, v, "sip.max_forwards", 1, 255, &cfg->max_forwards)))
		return rc;
	if ((v = map_get(c, n, "record_route")) != NULL &&
	    (rc = get_bool(c, v, "sip.record_route", &cfg->record_route)))
		return rc;
	if ((v = map_get(c, n, "path")) != NULL &&
	    (rc = get_bool(c, v, "sip.path", &cfg->add_path)))
		return rc;
	if ((v = map_get(c, n, "dialog_methods")) != NULL && (rc = parse_dialog_methods(c, v)))
		return rc;
	if ((v = map_get(c, n, "aliases")) != NULL && (rc = parse_aliases(c, v)))
		return rc;
	if ((secret = map_get(c, n, "secret")) != NULL) {
		rc = get_str(c, secret, "sip.secret", text, sizeof(text));
		if (rc == 0 && !parse_secret(text, strlen(text), cfg->secret))
			rc = fail(c, secret, "sip.secret",
			          "must be exactly 32 hex digits (a 16-byte key), got %zu "
			          "characters%s",
			          strlen(text), strlen(text) == 32 ? " with a non-hex digit" : "");
		explicit_bzero(text, sizeof(text));
		if (rc != 0)
			return rc;
		cfg->secret_set = true;
	}
	if ((v = map_get(c, n, "secret_file")) != NULL) {
		if (secret != NULL)
			return fail(
			    c, v, "sip.secret_file",
			    "give either secret or secret_file, not both (secret is at line "
			    "%zu)",
			    line_of(secret));
		if ((rc = get_str(c, v, "sip.secret_file", cfg->secret_file,
		                  sizeof(cfg->secret_file))))
			return rc;
		if (cfg->secret_file[0] == '\0')
			return fail(c, v, "sip.secret_file", "cannot be empty");
		if ((rc = read_secret_file(c, v, cfg->secret_file)))
			return rc;
		cfg->secret_set = true;
	}
	return 0;
}

static void set_alive(struct ctl_config *cfg, unsigned lo, unsigned hi)
{
	for (unsigned code = lo; code <= hi; code++)
		cfg->probe_alive[(code - 100) / 64] |= UINT64_C(1) << ((code - 100) % 64);
}

/* One alive_codes entry: 404, "404" or "200-299". */
static int parse_alive_code(struct ctx *c, const yaml_node_t *n, const char *field)
{
	char buf[SHOW_MAX];
	unsigned lo, hi;
	int end = 0;

	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail(c, n, field,
		            "expected a status code or a range like \"200-299\", got %s", kind(n));
	const char *s = scalar(n);
	show(n, buf, sizeof(buf));
	if (strspn(s, "0123456789") == 3 && s[3] == '\0') {
		lo = hi = (unsigned)strtoul(s, NULL, 10);
	} else if (strspn(s, "0123456789") == 3 && s[3] == '-' &&
	           strspn(s + 4, "0123456789") == 3 && s[7] == '\0' &&
	           sscanf(s, "%3u-%3u%n", &lo, &hi, &end) == 2 && end == 7) {
		if (lo > hi)
			return fail(c, n, field, "range %s is reversed (write %u-%u)", buf, hi, lo);
	} else {
		return fail(c, n, field,
		            "expected a status code or a range like \"200-299\", got '%s'", buf);
	}
	if (lo < 100 || hi > 699)
		return fail(c, n, field, "%s is out of range 100..699", buf);
	set_alive(c->cfg, lo, hi);
	return 0;
}

static int parse_probe(struct ctx *c, const yaml_node_t *root)
{
	char field[FIELD_MAX];
	struct ctl_config *cfg = c->cfg;
	const yaml_node_t *n = map_get(c, root, "probe"), *v;
	size_t count;
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = check_map(c, n, "probe", probe_keys)) != 0)
		return rc;
	if ((v = map_get(c, n, "enabled")) != NULL &&
	    (rc = get_bool(c, v, "probe.enabled", &cfg->probe_enabled)))
		return rc;
	if ((v = map_get(c, n, "interval_ms")) != NULL &&
	    (rc = get_u32(c, v, "probe.interval_ms", 100, 60000, &cfg->probe_interval_ms)))
		return rc;
	cfg->probe_timeout_ms = cfg->probe_interval_ms;
	if ((v = map_get(c, n, "timeout_ms")) != NULL &&
	    (rc = get_u32(c, v, "probe.timeout_ms", 10, 60000, &cfg->probe_timeout_ms)))
		return rc;
	if ((v = map_get(c, n, "down_after")) != NULL &&
	    (rc = get_u32(c, v, "probe.down_after", 1, 100, &cfg->probe_down_after)))
		return rc;
	if ((v = map_get(c, n, "up_after")) != NULL &&
	    (rc = get_u32(c, v, "probe.up_after", 1, 100, &cfg->probe_up_after)))
		return rc;
	if ((v = map_get(c, n, "alive_codes")) != NULL) {
		if ((rc = check_seq(c, v, "probe.alive_codes", 1, 600, "codes", &count)))
			return rc;
		memset(cfg->probe_alive, 0, sizeof(cfg->probe_alive));
		for (size_t i = 0; i < count; i++) {
			snprintf(field, sizeof(field), "probe.alive_codes[%zu]", i);
			if ((rc = parse_alive_code(c, seq_item(c, v, i), field)))
				return rc;
		}
	}
	return 0;
}

static int parse_rate_limit(struct ctx *c, const yaml_node_t *root)
{
	struct ctl_config *cfg = c->cfg;
	const yaml_node_t *n = map_get(c, root, "rate_limit"), *v, *burst;
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = check_map(c, n, "rate_limit", rate_limit_keys)) != 0)
		return rc;
	if ((v = map_get(c, n, "rate")) != NULL &&
	    (rc = get_u32(c, v, "rate_limit.rate", 0, 1000000, &cfg->rate_limit)))
		return rc;
	cfg->rate_limit_burst = cfg->rate_limit;
	if ((burst = map_get(c, n, "burst")) != NULL &&
	    (rc = get_u32(c, burst, "rate_limit.burst", 1, 1000000, &cfg->rate_limit_burst)))
		return rc;
	if (burst != NULL && cfg->rate_limit == 0)
		return fail(c, burst, "rate_limit.burst",
		            "needs rate_limit.rate above 0 (rate 0 turns the limit off)");
	return 0;
}

static int parse_control(struct ctx *c, const yaml_node_t *root)
{
	struct ctl_config *cfg = c->cfg;
	const yaml_node_t *n = map_get(c, root, "control"), *v;
	struct lb_addr metrics;
	unsigned idx;
	int rc;

	if (n == NULL)
		return 0;
	if ((rc = check_map(c, n, "control", control_keys)) != 0)
		return rc;
	if ((v = map_get(c, n, "api_socket")) != NULL) {
		if ((rc = get_str(c, v, "control.api_socket", cfg->api_socket,
		                  sizeof(cfg->api_socket))))
			return rc;
		/* sun_path is 108 bytes with its NUL */
		if (cfg->api_socket[0] == '\0' || strlen(cfg->api_socket) > 107)
			return fail(c, v, "control.api_socket",
			            "a socket path must have 1 to 107 characters");
	}
	if ((v = map_get(c, n, "metrics")) != NULL) {
		if ((rc = get_str(c, v, "control.metrics", cfg->metrics, sizeof(cfg->metrics))))
			return rc;
		if (cfg->metrics[0] != '\0' &&
		    (rc = get_endpoint(c, v, "control.metrics", 0, &metrics)))
			return rc;
	}
	if ((v = map_get(c, n, "log")) != NULL) {
		if ((rc = get_enum(c, v, "control.log", log_names, count_names(log_names), &idx)))
			return rc;
		snprintf(cfg->log, sizeof(cfg->log), "%s", log_names[idx]);
	}
	if ((v = map_get(c, n, "log_level")) != NULL) {
		if ((rc = get_enum(c, v, "control.log_level", log_level_names,
		                   count_names(log_level_names), &idx)))
			return rc;
		snprintf(cfg->log_level, sizeof(cfg->log_level), "%s", log_level_names[idx]);
	}
	return 0;
}

/*
 * Each worker has one RX and one TX queue on every port. DPDK 22.11's net_tap sends the file
 * descriptors of all its queues in one message that holds RTE_MP_MAX_FD_NUM (8): with more than
 * 4 queue pairs it overruns a stack buffer at port start and the daemon aborts.
 */
static int check_tap_workers(struct ctx *c, const yaml_node_t *v)
{
	const struct ctl_config *cfg = c->cfg;

	if (cfg->workers <= CTL_TAP_MAX_WORKERS)
		return 0;
	for (uint32_t i = 0; i < cfg->n_ports; i++)
		if (is_net_tap(cfg->ports[i].device))
			return fail(
			    c, v, "workers",
			    "%u workers need %u queue pairs on %.7s port %s, which supports at "
			    "most %d (DPDK's tap driver passes at most %d queue file "
			    "descriptors); use %d workers or fewer, or a "
			    "net_af_packet/net_memif/PCI port",
			    cfg->workers, cfg->workers, cfg->ports[i].device, cfg->ports[i].name,
			    CTL_TAP_MAX_WORKERS, 2 * CTL_TAP_MAX_WORKERS, CTL_TAP_MAX_WORKERS);
	return 0;
}

static int parse_root(struct ctx *c, const yaml_node_t *root)
{
	struct ctl_config *cfg = c->cfg;
	const yaml_node_t *v;
	int rc;

	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root, "", "expected a map of sections at the top level, got %s",
		            kind(root));
	if ((rc = check_map(c, root, "", root_keys)) != 0)
		return rc;
	if ((v = map_get(c, root, "eal")) != NULL && (rc = parse_eal(c, v)))
		return rc;
	if ((v = map_get(c, root, "ports")) == NULL)
		return fail(c, root, "ports", "required section is missing");
	if ((rc = parse_ports(c, v)))
		return rc;
	if ((v = map_get(c, root, "workers")) != NULL &&
	    ((rc = get_u32(c, v, "workers", 1, CTL_MAX_WORKERS, &cfg->workers)) ||
	     (rc = check_tap_workers(c, v))))
		return rc;
	if ((v = map_get(c, root, "idle_sleep_us")) != NULL &&
	    (rc = get_u32(c, v, "idle_sleep_us", 0, 100000, &cfg->idle_sleep_us)))
		return rc;
	if ((v = map_get(c, root, "burst")) != NULL &&
	    (rc = get_u32(c, v, "burst", 1, 256, &cfg->burst)))
		return rc;
	if ((rc = parse_listen(c, root)) || (rc = parse_backends(c, root)) ||
	    (rc = parse_hashing(c, root)) || (rc = parse_sip(c, root)) ||
	    (rc = parse_probe(c, root)) || (rc = parse_control(c, root)) ||
	    (rc = parse_rate_limit(c, root)))
		return rc;
	return 0;
}

/* Line (1-based) of byte offset in text, for libyaml reader errors that give only an offset. */
static size_t line_at(const char *text, size_t len, size_t offset)
{
	size_t line = 1;
	for (size_t i = 0; i < offset && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static int yaml_failure(struct ctx *c, const yaml_parser_t *parser, const char *text, size_t len)
{
	if (parser->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (c->err == NULL || c->cap == 0)
		return -EINVAL;
	const char *problem = parser->problem ? parser->problem : "unknown error";
	if (parser->error == YAML_READER_ERROR) {
		snprintf(c->err, c->cap, "%s:%zu: YAML syntax error: %s", c->name,
		         line_at(text, len, parser->problem_offset), problem);
	} else if (parser->context != NULL) {
		snprintf(c->err, c->cap, "%s:%zu: YAML syntax error: %s (%s at line %zu)", c->name,
		         parser->problem_mark.line + 1, problem, parser->context,
		         parser->context_mark.line + 1);
	} else {
		snprintf(c->err, c->cap, "%s:%zu: YAML syntax error: %s", c->name,
		         parser->problem_mark.line + 1, problem);
	}
	return -EINVAL;
}

int ctl_config_parse(const char *name, const char *text, size_t len, struct ctl_config *cfg,
                     char *err, size_t cap)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	struct ctx c = {.doc = &doc, .name = name, .err = err, .cap = cap, .cfg = cfg};
	int rc;

	ctl_config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	if (err != NULL && cap > 0)
		err[0] = '\0';
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = yaml_failure(&c, &parser, text, len);
		goto out_parser;
	}
	const yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root == NULL || is_null(root)) {
		rc = fail(&c, NULL, "",
		          "the configuration is empty (it needs at least ports, listen and "
		          "backends)");
		goto out_doc;
	}
	if (!index_key_lines(&c)) {
		rc = -ENOMEM;
		goto out_doc;
	}
	rc = parse_root(&c, root);
	if (rc != 0)
		goto out_doc;
	/* A second document would be silently ignored: refuse it (and see its syntax errors). */
	if (!yaml_parser_load(&parser, &extra)) {
		rc = yaml_failure(&c, &parser, text, len);
		goto out_doc;
	}
	const yaml_node_t *more = yaml_document_get_root_node(&extra);
	c.doc = &extra; /* its lines, not the first document's */
	free(c.key_line);
	c.key_line = NULL;
	if (more != NULL)
		rc = fail(&c, more, "", "only one YAML document is allowed (found a second one)");
	yaml_document_delete(&extra);
out_doc:
	free(c.key_line);
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	if (rc != 0)
		ctl_config_free(cfg);
	return rc;
}

int ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t cap)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int rc, fd;

	memset(cfg, 0, sizeof(*cfg));
	/*
	 * O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; the caller may be
	 * the daemon's main thread reloading. Only regular files are read, and those never block.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto err;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto err_fd;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto err_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		const char *kind = S_ISFIFO(st.st_mode)   ? "a FIFO"
		                   : S_ISCHR(st.st_mode)  ? "a character device"
		                   : S_ISBLK(st.st_mode)  ? "a block device"
		                   : S_ISSOCK(st.st_mode) ? "a socket"
		                                          : "another kind of file";
		close(fd);
		if (err != NULL && cap > 0)
			snprintf(err, cap, "%s: cannot read: not a regular file (%s)", path, kind);
		return -EINVAL;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		rc = -errno;
		goto err_fd;
	}
	if (st.st_size > (off_t)FILE_MAX_SIZE) {
		rc = -EFBIG;
		goto err_fd;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		rc = -ENOMEM;
		goto err_fd;
	}
	while (len < (size_t)st.st_size) {
		ssize_t got = read(fd, text + len, (size_t)st.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			goto err_fd;
		}
		if (got == 0)
			break; /* shrank under us: parse what is there */
		len += (size_t)got;
	}
	close(fd);
	text[len] = '\0';
	rc = ctl_config_parse(path, text, len, cfg, err, cap);
	free(text);
	return rc;

err_fd:
	close(fd);
	free(text);
err:
	if (err != NULL && cap > 0)
		snprintf(err, cap, "%s: cannot read: %s", path, strerror(-rc));
	return rc;
}
