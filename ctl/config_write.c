/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The running configuration printed back as YAML in the file's own format (docs/config.md), and
 * the equality that defines a faithful round trip: load(write(cfg)) equals cfg.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* An output buffer that counts what did not fit. */
struct out {
	char *buf;
	size_t cap;
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char *dst = o->len < o->cap ? o->buf + o->len : NULL;
	size_t room = o->len < o->cap ? o->cap - o->len : 0;

	va_start(ap, fmt);
	int n = vsnprintf(dst, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* A YAML double-quoted scalar: quotes, backslashes and control bytes escaped. */
static void put_quoted(struct out *o, const char *s)
{
	put(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(o, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			put(o, "\\x%02x", *p);
		else
			put(o, "%c", *p);
	}
	put(o, "\"");
}

static const char *ip_text(const struct lb_addr *a, char *buf, size_t cap)
{
	if (inet_ntop(a->family, a->family == AF_INET ? (const void *)a->v4 : (const void *)a->v6,
	              buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");
	return buf;
}

static void put_prefix(struct out *o, const char *key, const struct ctl_prefix *p)
{
	char ip[INET6_ADDRSTRLEN];
	if (p->addr.family != 0)
		put(o, "  %s: \"%s/%u\"\n", key, ip_text(&p->addr, ip, sizeof(ip)), p->len);
}

static void put_gateway(struct out *o, const char *key, const struct lb_addr *a)
{
	char ip[INET6_ADDRSTRLEN];
	if (a->family != 0)
		put(o, "  %s: \"%s\"\n", key, ip_text(a, ip, sizeof(ip)));
}

static bool alive(const struct ctl_config *cfg, unsigned code)
{
	return cfg->probe_alive[(code - 100) / 64] & (UINT64_C(1) << ((code - 100) % 64));
}

/* The alive bitmap as a list of codes and "lo-hi" ranges. */
static void put_alive_codes(struct out *o, const struct ctl_config *cfg)
{
	const char *sep = "";

	put(o, "  alive_codes: [");
	for (unsigned code = 100; code <= 699; code++) {
		if (!alive(cfg, code))
			continue;
		unsigned hi = code;
		while (hi < 699 && alive(cfg, hi + 1))
			hi++;
		if (hi == code)
			put(o, "%s%u", sep, code);
		else
			put(o, "%s\"%u-%u\"", sep, code, hi);
		sep = ", ";
		code = hi;
	}
	put(o, "]\n");
}

static void put_backends(struct out *o, const struct ctl_config *cfg)
{
	char ip[INET6_ADDRSTRLEN];

	if (cfg->n_backends == 0) {
		put(o, "backends: []\n");
		return;
	}
	put(o, "backends:\n");
	for (uint32_t i = 0; i < cfg->n_backends; i++) {
		const struct lb_backend_config *be = &cfg->backends[i];
		put(o, "  - name: \"%s\"\n", be->name);
		if (be->addr.family == AF_INET6)
			put(o, "    address: \"[%s]:%u\"\n", ip_text(&be->addr, ip, sizeof(ip)),
			    be->addr.port);
		else
			put(o, "    address: \"%s:%u\"\n", ip_text(&be->addr, ip, sizeof(ip)),
			    be->addr.port);
		put(o, "    weight: %u\n", be->weight);
		put(o, "    state: %s\n",
		    (unsigned)be->admin < LB_ADMIN_COUNT ? lb_admin_names[be->admin] : "enabled");
	}
}

static void put_hashing(struct out *o, const struct ctl_config *cfg)
{
	bool any = false;

	put(o, "hashing:\n");
	put(o, "  table_size: %u\n", cfg->table_size);
	put(o, "  seed: %llu\n", (unsigned long long)cfg->seed);
	for (int m = 1; m < SIP_METHOD_COUNT; m++) {
		enum lb_key k = cfg->key_by_method[m];
		if (k == LB_KEY_CALL_ID || (unsigned)k >= LB_KEY_COUNT)
			continue;
		if (!any)
			put(o, "  keys:\n");
		any = true;
		put(o, "    %s: %s\n", ctl_method_names[m], lb_key_names[k]);
	}
	if (!any)
		put(o, "  keys: {}\n");
}

bool ctl_config_aliases_equal(const struct ctl_config *a, const struct ctl_config *b)
{
	if (a->n_aliases != b->n_aliases)
		return false;
	for (uint32_t k = 0; k < a->n_aliases; k++)
		if (strcmp(a->aliases[k], b->aliases[k]))
			return false;
	return true;
}

const char *ctl_config_aliases_text(const struct ctl_config *cfg, char *out, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return out;
	out[0] = '\0';
	n += (size_t)snprintf(out + n, cap - n, "[");
	for (uint32_t k = 0; k < cfg->n_aliases && n < cap; k++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", k ? ", " : "", cfg->aliases[k]);
	if (n < cap)
		snprintf(out + n, cap - n, "]");
	return out;
}

static void put_sip(struct out *o, const struct ctl_config *cfg)
{
	put(o, "sip:\n");
	put(o, "  retry_after: %u\n", cfg->retry_after);
	put(o, "  max_forwards: %u\n", cfg->max_forwards);
	put(o, "  record_route: %s\n", cfg->record_route ? "true" : "false");
	put(o, "  path: %s\n", cfg->add_path ? "true" : "false");
	put(o, "  dialog_methods: [");
	for (int m = 1, first = 1; m < SIP_METHOD_COUNT; m++)
		if (cfg->dialog_methods & (1u << m)) {
			put(o, "%s%s", first ? "" : ", ", ctl_method_names[m]);
			first = 0;
		}
	put(o, "]\n");
	char aliases[CTL_ALIASES_TEXT_MAX];
	put(o, "  aliases: %s\n", ctl_config_aliases_text(cfg, aliases, sizeof(aliases)));
	if (cfg->secret_file[0] != '\0') {
		put(o, "  secret_file: ");
		put_quoted(o, cfg->secret_file);
		put(o, "\n");
	} else if (cfg->secret_set) {
		put(o, "  secret: \"");
		for (size_t i = 0; i < CTL_SECRET_LEN; i++)
			put(o, "%02x", cfg->secret[i]);
		put(o, "\"\n");
	}
}

int ctl_config_write(const struct ctl_config *cfg, char *buf, size_t cap)
{
	struct out o = {.buf = buf, .cap = cap, .len = 0};

	put(&o, "# sipsteer configuration\n");
	put(&o, "eal: [");
	for (uint32_t i = 0; i < cfg->n_eal_args; i++) {
		put(&o, "%s", i ? ", " : "");
		put_quoted(&o, cfg->eal_args[i]);
	}
	put(&o, "]\n");

	put(&o, "ports:\n");
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		put(&o, "  - name: \"%s\"\n", cfg->ports[i].name);
		put(&o, "    device: ");
		put_quoted(&o, cfg->ports[i].device);
		put(&o, "\n");
		if (cfg->ports[i].mtu != 0)
			put(&o, "    mtu: %u\n", cfg->ports[i].mtu);
	}
	put(&o, "workers: %u\n", cfg->workers);
	put(&o, "idle_sleep_us: %u\n", cfg->idle_sleep_us);
	put(&o, "burst: %u\n", cfg->burst);

	put(&o, "listen:\n");
	put_prefix(&o, "ipv4", &cfg->vip4);
	put_prefix(&o, "ipv6", &cfg->vip6);
	put(&o, "  sip_ports: [");
	for (uint32_t i = 0; i < cfg->n_sip_ports; i++)
		put(&o, "%s%u", i ? ", " : "", cfg->sip_ports[i]);
	put(&o, "]\n");
	put_gateway(&o, "gateway4", &cfg->gateway4);
	put_gateway(&o, "gateway6", &cfg->gateway6);

	put_backends(&o, cfg);
	put_hashing(&o, cfg);
	put_sip(&o, cfg);

	put(&o, "probe:\n");
	put(&o, "  enabled: %s\n", cfg->probe_enabled ? "true" : "false");
	put(&o, "  interval_ms: %u\n", cfg->probe_interval_ms);
	put(&o, "  timeout_ms: %u\n", cfg->probe_timeout_ms);
	put(&o, "  down_after: %u\n", cfg->probe_down_after);
	put(&o, "  up_after: %u\n", cfg->probe_up_after);
	put_alive_codes(&o, cfg);

	/* Every section written out; burst only with a rate (it needs one). */
	if (cfg->rate_limit != 0)
		put(&o, "rate_limit:\n  rate: %u\n  burst: %u\n", cfg->rate_limit,
		    cfg->rate_limit_burst);
	else
		put(&o, "rate_limit:\n  rate: 0\n");

	put(&o, "control:\n");
	put(&o, "  api_socket: ");
	put_quoted(&o, cfg->api_socket);
	put(&o, "\n  metrics: ");
	put_quoted(&o, cfg->metrics);
	put(&o, "\n  log: %s\n", cfg->log);
	put(&o, "  log_level: %s\n", cfg->log_level);

	if (buf == NULL && cap == 0)
		return o.len > INT32_MAX ? -EOVERFLOW : (int)o.len;
	if (o.len >= cap)
		return -ENOSPC;
	return (int)o.len;
}

static bool addr_equal(const struct lb_addr *a, const struct lb_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return !memcmp(a->v4, b->v4, sizeof(a->v4));
	if (a->family == AF_INET6)
		return !memcmp(a->v6, b->v6, sizeof(a->v6));
	return true;
}

static bool prefix_equal(const struct ctl_prefix *a, const struct ctl_prefix *b)
{
	return addr_equal(&a->addr, &b->addr) && a->len == b->len;
}

static bool backend_equal(const struct lb_backend_config *a, const struct lb_backend_config *b)
{
	return a->id == b->id && !strcmp(a->name, b->name) && addr_equal(&a->addr, &b->addr) &&
	       a->weight == b->weight && a->admin == b->admin && a->health == b->health;
}

bool ctl_config_equal(const struct ctl_config *a, const struct ctl_config *b)
{
	if (a->n_eal_args != b->n_eal_args || a->n_ports != b->n_ports ||
	    a->n_sip_ports != b->n_sip_ports || a->n_backends != b->n_backends)
		return false;
	for (uint32_t i = 0; i < a->n_eal_args; i++)
		if (strcmp(a->eal_args[i], b->eal_args[i]))
			return false;
	for (uint32_t i = 0; i < a->n_ports; i++)
		if (strcmp(a->ports[i].name, b->ports[i].name) ||
		    strcmp(a->ports[i].device, b->ports[i].device) ||
		    a->ports[i].mtu != b->ports[i].mtu)
			return false;
	for (uint32_t i = 0; i < a->n_backends; i++)
		if (!backend_equal(&a->backends[i], &b->backends[i]))
			return false;
	if (memcmp(a->sip_ports, b->sip_ports, a->n_sip_ports * sizeof(a->sip_ports[0])))
		return false;
	return a->workers == b->workers && a->idle_sleep_us == b->idle_sleep_us &&
	       a->burst == b->burst && prefix_equal(&a->vip4, &b->vip4) &&
	       prefix_equal(&a->vip6, &b->vip6) && addr_equal(&a->gateway4, &b->gateway4) &&
	       addr_equal(&a->gateway6, &b->gateway6) && a->table_size == b->table_size &&
	       a->seed == b->seed &&
	       !memcmp(a->key_by_method, b->key_by_method, sizeof(a->key_by_method)) &&
	       a->retry_after == b->retry_after && a->max_forwards == b->max_forwards &&
	       a->record_route == b->record_route && a->add_path == b->add_path &&
	       a->dialog_methods == b->dialog_methods && ctl_config_aliases_equal(a, b) &&
	       a->rate_limit == b->rate_limit && a->rate_limit_burst == b->rate_limit_burst &&
	       a->secret_set == b->secret_set && !memcmp(a->secret, b->secret, sizeof(a->secret)) &&
	       !strcmp(a->secret_file, b->secret_file) && a->probe_enabled == b->probe_enabled &&
	       a->probe_interval_ms == b->probe_interval_ms &&
	       a->probe_timeout_ms == b->probe_timeout_ms &&
	       a->probe_down_after == b->probe_down_after &&
	       a->probe_up_after == b->probe_up_after &&
	       !memcmp(a->probe_alive, b->probe_alive, sizeof(a->probe_alive)) &&
	       !strcmp(a->api_socket, b->api_socket) && !strcmp(a->metrics, b->metrics) &&
	       !strcmp(a->log, b->log) && !strcmp(a->log_level, b->log_level);
}
