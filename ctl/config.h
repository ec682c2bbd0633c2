/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sipsteer configuration: the YAML file (docs/config.md), loaded and validated into a
 * struct ctl_config. Pure C + libyaml, no DPDK header: the daemon, the control thread and the
 * tests all use it.
 *
 * Errors name the file, the line and the field:
 *   "sipsteer.yaml:14: backends[1].weight: 70000 is out of range 0..65535"
 */
#ifndef SIPSTEER_CTL_CONFIG_H
#define SIPSTEER_CTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb.h"

#define CTL_MAX_PORTS     8
#define CTL_MAX_SIP_PORTS 8
#define CTL_MAX_EAL_ARGS  32
#define CTL_MAX_WORKERS   64
#define CTL_DEVICE_MAX    256
#define CTL_PATH_MAX      256
#define CTL_SECRET_LEN    16  /* bytes of MAC key */
#define CTL_MAX_ALIASES   8   /* sip.aliases entries */
#define CTL_ALIAS_MAX     253 /* characters of a host name in sip.aliases */
/* ctl_config_aliases_text()'s longest text: "[", names joined by ", ", "]", NUL */
#define CTL_ALIASES_TEXT_MAX (CTL_MAX_ALIASES * (CTL_ALIAS_MAX + 2) + 3)

/* Most workers with a net_tap port: each worker takes an RX and a TX queue on it, and DPDK
 * 22.11's net_tap passes at most 8 queue file descriptors (RTE_MP_MAX_FD_NUM). */
#define CTL_TAP_MAX_WORKERS 4

/* One DPDK port. */
struct ctl_port {
	char name[LB_NAME_MAX];      /* operator's name for it, e.g. "lan0" */
	char device[CTL_DEVICE_MAX]; /* vdev string ("net_tap0,iface=sst0") or PCI address */
	uint16_t mtu;                /* 0: leave the device default (1500) */
};

/* An IP prefix: address plus prefix length. */
struct ctl_prefix {
	struct lb_addr addr; /* port unused */
	uint8_t len;
};

struct ctl_config {
	char path[CTL_PATH_MAX]; /* file it was read from, for messages */

	/* eal: extra EAL arguments, appended to the built-in ones */
	uint32_t n_eal_args;
	char *eal_args[CTL_MAX_EAL_ARGS];

	/* ports */
	uint32_t n_ports;
	struct ctl_port ports[CTL_MAX_PORTS];

	/* workers */
	uint32_t workers;       /* worker lcores, default 1 */
	uint32_t idle_sleep_us; /* longest sleep of an idle worker; 0 = busy-poll. default 100 */
	uint32_t burst;         /* rx burst size, default 32 */

	/* listen: the virtual IP(s) and SIP ports */
	struct ctl_prefix vip4; /* family 0 when absent */
	struct ctl_prefix vip6; /* family 0 when absent */
	uint32_t n_sip_ports;
	uint16_t sip_ports[CTL_MAX_SIP_PORTS]; /* default {5060} */
	struct lb_addr gateway4;               /* family 0 when absent */
	struct lb_addr gateway6;               /* family 0 when absent */

	/* backends */
	uint32_t n_backends;
	struct lb_backend_config *backends; /* malloc'd array, ids 0..n-1 in file order */

	/* hashing */
	uint32_t table_size; /* default LB_DEFAULT_TABLE, must be prime */
	uint64_t seed;       /* default 0 */
	enum lb_key key_by_method[SIP_METHOD_COUNT];

	/* sip: stateless proxy behaviour */
	uint32_t retry_after;  /* seconds in 503 Retry-After, default 5; 0 = no header */
	uint32_t max_forwards; /* value added when a request has none, default 70 */
	bool record_route;     /* insert Record-Route on dialog-creating requests */
	/* sip.path: add Path to REGISTER (RFC 3327); not `path`, which names the file above */
	bool add_path;
	/* sip.dialog_methods: more methods that get a Record-Route when sent without a To tag
	 * (INVITE, SUBSCRIBE and REFER always do): bits 1u << enum sip_method, default 0 */
	uint32_t dialog_methods;
	/* sip.aliases: host names that name this balancer in a Route URI besides its VIPs,
	 * lowercase, without a trailing dot; default none */
	uint32_t n_aliases;
	char aliases[CTL_MAX_ALIASES][CTL_ALIAS_MAX + 1];
	uint8_t secret[CTL_SECRET_LEN]; /* MAC key for Via branches and Record-Route pins */
	bool secret_set;                /* false: a random secret at start (logged as a warning) */
	char secret_file[CTL_PATH_MAX]; /* where secret was read from; "" when given inline */

	/* probe: health checks */
	bool probe_enabled;         /* default true */
	uint32_t probe_interval_ms; /* default 1000 */
	uint32_t probe_timeout_ms;  /* default = interval */
	uint32_t probe_down_after;  /* default 3 */
	uint32_t probe_up_after;    /* default 2 */
	/* status codes counted as alive: bitmap over 100..699, default every final (200..699) */
	uint64_t probe_alive[10];

	/* rate_limit: token bucket per source address on requests */
	uint32_t rate_limit;       /* rate_limit.rate: requests per second per source; 0 = off */
	uint32_t rate_limit_burst; /* rate_limit.burst: bucket size, default = rate */

	/* control */
	char api_socket[CTL_PATH_MAX]; /* default "/run/sipsteer/sipsteer.sock" */
	char metrics[CTL_PATH_MAX];    /* "127.0.0.1:9760" default; "" = off */
	char log[16];                  /* "stderr" (default) or "syslog" */
	char log_level[16];            /* "debug", "info" (default), "warning", "error" */
};

/* Fill cfg with every default (allocates nothing; cfg's old contents are not freed). */
void ctl_config_defaults(struct ctl_config *cfg);

/*
 * Load and validate a YAML file. Returns 0, or -errno with a one-line message in err
 * ("FILE:LINE: FIELD: what is wrong"). On failure cfg is left freed and zeroed. Allocates (the
 * backend array, EAL args): free with ctl_config_free. cfg's previous contents are overwritten,
 * not freed: load into a fresh struct (e.g. on reload) and free the old one yourself.
 * Errors: -EINVAL for anything wrong inside the file (syntax, schema, values, an unreadable
 * sip.secret_file), -ENOMEM, or the errno of opening/reading `path` itself ("PATH: cannot read:
 * No such file or directory"; -EFBIG above 16 MiB). Control thread / startup only.
 */
int ctl_config_load(const char *path, struct ctl_config *cfg, char *err, size_t cap);

/*
 * Same, from text[0..len) in memory (need not be NUL-terminated); `name` is used in messages in
 * place of the file name and copied into cfg->path.
 */
int ctl_config_parse(const char *name, const char *text, size_t len, struct ctl_config *cfg,
                     char *err, size_t cap);

/*
 * Write cfg as YAML in the file's format (what `sipsteerctl config show` prints): loading the
 * text gives back an equal config (ctl_config_equal). A secret read from secret_file is written as
 * that secret_file, never inline; an inline secret is written inline. Returns the length of the
 * text (without its NUL), or -ENOSPC when cap bytes are too few (out then holds a truncated,
 * NUL-terminated text). out NULL with cap 0 returns the length needed. Any thread; no allocation.
 */
int ctl_config_write(const struct ctl_config *cfg, char *out, size_t cap);

/*
 * true when a and b configure the same thing (every field but `path`; backends compared by
 * value, including their order and health). Any thread.
 */
bool ctl_config_equal(const struct ctl_config *a, const struct ctl_config *b);

/* sip.aliases of a and b the same list, in the same order? */
bool ctl_config_aliases_equal(const struct ctl_config *a, const struct ctl_config *b);

/* sip.aliases as a YAML flow list, "[lb.example.com, sip.example.com]", into out[cap]. */
const char *ctl_config_aliases_text(const struct ctl_config *cfg, char *out, size_t cap);

/* Why a cannot be a host address (unspecified, broadcast, multicast), or NULL when it can. */
const char *ctl_addr_unusable(const struct lb_addr *a);

/*
 * Why backend address a cannot be reached from cfg's listen addresses, or NULL: a loopback
 * address, the VIP itself, the network or broadcast address of the VIP's IPv4 prefix, or an
 * address off the VIP's link with no gateway of its family. The text may be written into buf.
 */
const char *ctl_backend_unreachable(const struct ctl_config *cfg, const struct lb_addr *a,
                                    char *buf, size_t cap);

/* True when a ports[].device names a PCI device ("0000:01:00.0" or "01:00.0"), false for a
 * vdev string. */
bool ctl_device_is_pci(const char *device);

/* true when `code` (100..699) counts as alive in cfg->probe_alive. */
bool ctl_config_probe_alive(const struct ctl_config *cfg, unsigned code);

/*
 * Fill an lb_config view of cfg for lb_set_build: it points into cfg->backends, so cfg must
 * outlive it. Every value was already range-checked by the loader.
 */
void ctl_config_lb(const struct ctl_config *cfg, struct lb_config *out);

/* Free what cfg holds and zero it (NULL is fine). */
void ctl_config_free(struct ctl_config *cfg);

/* Method names as the file spells them in hashing.keys and sip.dialog_methods ("" for OTHER). */
extern const char *const ctl_method_names[SIP_METHOD_COUNT];

/*
 * The default configuration the daemon runs with when started without --config (make demo): a
 * YAML text for ctl_config_parse, shown in docs/config.md.
 */
extern const char ctl_config_embedded[];

#endif
