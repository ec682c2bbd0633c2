/* SPDX-License-Identifier: BSD-3-Clause */
/* The DPDK port of sipsteer-bench load: EAL, port, neighbours, frames in and out. */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "bench.h"
#include "config.h"
#include "load_dpdk.h"
#include "load_frame.h"

#define POOL_SIZE    8191
#define POOL_CACHE   256
#define RX_DESC      1024
#define TX_DESC      1024
#define BURST        64
#define MAX_RXQ      16
#define MAX_NEIGH    64
#define MAX_EAL_ARGS 96
#define LINK_WAIT_MS 10000
#define TX_RETRY_NS  1000000ull

struct neigh {
	uint32_t ip; /* network order; 0: free */
	uint8_t mac[6];
};

struct load_dpdk {
	uint16_t port;
	uint16_t n_rxq, next_rxq;
	uint16_t ip_id;
	uint8_t mac[6];
	struct rte_mempool *pool;
	uint32_t local[LOAD_DPDK_MAX_LOCAL];
	unsigned n_local;
	struct neigh neigh[MAX_NEIGH];
	unsigned n_neigh, last_neigh;
	struct rte_mbuf *held[BURST]; /* received, handed out as datagrams */
	unsigned n_held;
	struct rte_mbuf *tx[BURST];
	unsigned n_tx;
	struct load_dpdk_stats st;
	char runtime_dir[256]; /* removed at close when the prefix is ours */
	bool eal_up;
};

static bool is_local(const struct load_dpdk *d, uint32_t ip)
{
	for (unsigned i = 0; i < d->n_local; i++)
		if (d->local[i] == ip)
			return true;
	return false;
}

static const uint8_t *neigh_find(struct load_dpdk *d, uint32_t ip)
{
	if (d->n_neigh && d->neigh[d->last_neigh].ip == ip)
		return d->neigh[d->last_neigh].mac;
	for (unsigned i = 0; i < d->n_neigh; i++)
		if (d->neigh[i].ip == ip) {
			d->last_neigh = i;
			return d->neigh[i].mac;
		}
	return is_local(d, ip) ? d->mac : NULL; /* to ourselves: a looped-back port */
}

/* Remember (or move) ip at mac; a full table keeps what it has. */
static void neigh_learn(struct load_dpdk *d, uint32_t ip, const uint8_t mac[6])
{
	const uint8_t *known = neigh_find(d, ip);

	if (ip == 0 || is_local(d, ip) || (mac[0] & 1))
		return;
	if (known) {
		if (memcmp(known, mac, 6))
			memcpy(d->neigh[d->last_neigh].mac, mac, 6);
		return;
	}
	if (d->n_neigh == MAX_NEIGH)
		return;
	d->neigh[d->n_neigh].ip = ip;
	memcpy(d->neigh[d->n_neigh].mac, mac, 6);
	d->n_neigh++;
}

static void tx_frame(struct load_dpdk *d, struct rte_mbuf *m)
{
	if (d->n_tx == BURST)
		load_dpdk_flush(d);
	d->tx[d->n_tx++] = m;
}

static void send_arp(struct load_dpdk *d, uint16_t op, uint32_t sender_ip,
                     const uint8_t target_mac[6], uint32_t target_ip)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->pool);

	if (!m) {
		d->st.tx_dropped++;
		return;
	}
	size_t len = load_frame_arp(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), op,
	                            d->mac, sender_ip, target_mac, target_ip);

	m->data_len = m->pkt_len = (uint32_t)len;
	tx_frame(d, m);
	if (op == LOAD_FRAME_ARP_REPLY)
		d->st.arp_replied++;
	else
		d->st.arp_requested++;
}

unsigned load_dpdk_rx(struct load_dpdk *d, struct load_dgram *out, unsigned max)
{
	struct rte_mbuf *pkts[BURST];
	unsigned n_out = 0;

	rte_pktmbuf_free_bulk(d->held, d->n_held);
	d->n_held = 0;
	if (max > BURST)
		max = BURST;
	for (uint16_t k = 0; k < d->n_rxq && n_out < max; k++) {
		uint16_t q = d->next_rxq;
		uint16_t n = rte_eth_rx_burst(d->port, q, pkts, (uint16_t)(max - n_out));

		d->next_rxq = (uint16_t)((q + 1) % d->n_rxq);
		d->st.rx_frames += n;
		for (uint16_t i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];
			struct load_frame f;
			enum load_frame_kind kind =
			    m->nb_segs == 1 ? load_frame_parse(rte_pktmbuf_mtod(m, const uint8_t *),
			                                       m->data_len, &f)
			                    : LOAD_FRAME_BAD;

			if (kind == LOAD_FRAME_UDP && is_local(d, f.dst.sin_addr.s_addr)) {
				neigh_learn(d, f.src.sin_addr.s_addr, f.src_mac);
				out[n_out] =
				    (struct load_dgram){f.src, f.dst, f.payload, f.payload_len};
				n_out++;
				d->held[d->n_held++] = m;
				d->st.rx_datagrams++;
				continue;
			}
			if (kind == LOAD_FRAME_ARP && is_local(d, f.sender_ip)) {
				d->st.ignored++; /* our own gratuitous ARP, looped back */
			} else if (kind == LOAD_FRAME_ARP) {
				neigh_learn(d, f.sender_ip, f.sender_mac);
				if (f.arp_op == LOAD_FRAME_ARP_REQUEST && is_local(d, f.target_ip))
					send_arp(d, LOAD_FRAME_ARP_REPLY, f.target_ip, f.sender_mac,
					         f.sender_ip);
				else if (f.arp_op == LOAD_FRAME_ARP_REQUEST)
					d->st.ignored++;
			} else if (kind == LOAD_FRAME_BAD) {
				d->st.bad++;
			} else {
				d->st.ignored++;
			}
			rte_pktmbuf_free(m);
		}
	}
	if (d->n_tx)
		load_dpdk_flush(d); /* ARP replies go at once */
	return n_out;
}

bool load_dpdk_send(struct load_dpdk *d, const struct sockaddr_in *src,
                    const struct sockaddr_in *dst, const char *payload, size_t len)
{
	const uint8_t *mac = neigh_find(d, dst->sin_addr.s_addr);

	if (!mac) {
		d->st.no_neigh++;
		return false;
	}
	if (len > LOAD_FRAME_MAX_PAYLOAD) {
		d->st.too_big++;
		return false;
	}
	struct rte_mbuf *m = rte_pktmbuf_alloc(d->pool);

	if (!m) {
		d->st.tx_dropped++;
		return false;
	}
	size_t flen = load_frame_udp(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m),
	                             d->mac, mac, src, dst, payload, len, d->ip_id++);

	if (flen == 0) { /* mbufs smaller than a 1500-byte frame: not with the default pool */
		rte_pktmbuf_free(m);
		d->st.too_big++;
		return false;
	}
	m->data_len = m->pkt_len = (uint32_t)flen;
	tx_frame(d, m);
	d->st.tx_datagrams++; /* taken back in load_dpdk_flush() if the port refuses it */
	return true;
}

void load_dpdk_flush(struct load_dpdk *d)
{
	unsigned done = 0;
	uint64_t start = 0;

	while (done < d->n_tx) {
		uint16_t n = rte_eth_tx_burst(d->port, 0, d->tx + done, (uint16_t)(d->n_tx - done));

		done += n;
		d->st.tx_frames += n;
		if (done == d->n_tx)
			break;
		uint64_t now = bench_now_ns();

		if (start == 0)
			start = now;
		else if (now - start > TX_RETRY_NS)
			break;
	}
	for (unsigned i = done; i < d->n_tx; i++) {
		/* ARP frames are padded to 60 bytes; a datagram frame is at least 42 + a SIP line
		 */
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(d->tx[i], struct rte_ether_hdr *);

		if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
			d->st.tx_datagrams--;
		d->st.tx_dropped++;
	}
	if (done < d->n_tx)
		rte_pktmbuf_free_bulk(d->tx + done, d->n_tx - done);
	d->n_tx = 0;
}

int load_dpdk_resolve(struct load_dpdk *d, uint32_t ip, unsigned timeout_ms)
{
	struct load_dgram dg[BURST];
	uint64_t start = bench_now_ns(), last_ask = 0;

	while (!neigh_find(d, ip)) {
		uint64_t now = bench_now_ns();

		if (now - start > (uint64_t)timeout_ms * 1000000ull) {
			char s[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &ip, s, sizeof(s));
			fprintf(stderr, "sipsteer-bench load: no ARP reply from %s in %u ms\n", s,
			        timeout_ms);
			return -1;
		}
		if (last_ask == 0 || now - last_ask > 200000000ull) {
			send_arp(d, LOAD_FRAME_ARP_REQUEST, d->local[0], NULL, ip);
			load_dpdk_flush(d);
			last_ask = now;
		}
		if (load_dpdk_rx(d, dg, BURST) == 0 && d->st.rx_frames == 0)
			usleep(1000);
		else
			usleep(100);
	}
	rte_pktmbuf_free_bulk(d->held, d->n_held);
	d->n_held = 0;
	return 0;
}

const struct load_dpdk_stats *load_dpdk_stats(const struct load_dpdk *d)
{
	return &d->st;
}

void load_dpdk_mac(const struct load_dpdk *d, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1], d->mac[2],
	         d->mac[3], d->mac[4], d->mac[5]);
}

/* Whether the operator gave option opt ("--opt", "--opt=x", "-x", "-xVALUE"). */
static bool given(const struct load_dpdk_options *o, const char *opt)
{
	size_t len = strlen(opt);
	bool is_short = opt[1] != '-';

	for (int i = 0; i < o->eal_argc; i++)
		if (!strncmp(o->eal_argv[i], opt, len) &&
		    (is_short || o->eal_argv[i][len] == '\0' || o->eal_argv[i][len] == '='))
			return true;
	return false;
}

/*
 * The EAL's arguments: quiet logs, a file prefix of this process, no huge pages (256 MB), the
 * device, no PCI scan for a virtual device, the main lcore on the first CPU this process may
 * use (so taskset holds), then the operator's; each built one only when the operator did not
 * give it. Returns argc; strings live in store.
 */
static int eal_args(const struct load_dpdk_options *o, char **argv, char store[][64],
                    bool *own_prefix)
{
	int argc = 0, s = 0;
	cpu_set_t set;
	int cpu = 0;

	argv[argc++] = "sipsteer-bench";
	argv[argc++] = "--log-level=notice";
	if (!given(o, "--telemetry") && !given(o, "--no-telemetry"))
		argv[argc++] = "--no-telemetry";
	*own_prefix = !given(o, "--file-prefix") && !given(o, "--in-memory");
	if (*own_prefix) {
		snprintf(store[s], 64, "--file-prefix=sipsteer-bench-load-%d", (int)getpid());
		argv[argc++] = store[s++];
	}
	if (!given(o, "--huge") && !given(o, "--no-huge"))
		argv[argc++] = "--no-huge";
	if (!given(o, "--huge") && !given(o, "-m") && !given(o, "--socket-mem")) {
		argv[argc++] = "-m";
		argv[argc++] = "256";
	}
	argv[argc++] = ctl_device_is_pci(o->device) ? "-a" : "--vdev";
	argv[argc++] = (char *)o->device;
	if (!ctl_device_is_pci(o->device) && !given(o, "-a") && !given(o, "--allow") &&
	    !given(o, "--no-pci"))
		argv[argc++] = "--no-pci";
	if (!given(o, "-l") && !given(o, "-c") && !given(o, "--lcores")) {
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			while (cpu < CPU_SETSIZE - 1 && !CPU_ISSET(cpu, &set))
				cpu++;
		snprintf(store[s], 64, "--lcores=0@%d", cpu);
		argv[argc++] = store[s++];
	}
	for (int i = 0; i < o->eal_argc && argc < MAX_EAL_ARGS - 1; i++)
		if (strcmp(o->eal_argv[i], "--huge"))
			argv[argc++] = o->eal_argv[i];
	argv[argc] = NULL;
	return argc;
}

static int port_setup(struct load_dpdk *d, const struct load_dpdk_options *o)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t rx_desc = RX_DESC, tx_desc = TX_DESC;
	uint16_t nb_tx = 1;
	int rc;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "sipsteer-bench load: --dpdk %s: %u DPDK ports, want exactly 1\n",
		        o->device, rte_eth_dev_count_avail());
		return -1;
	}
	RTE_ETH_FOREACH_DEV(d->port)
	break;
	rc = rte_eth_dev_info_get(d->port, &info);
	if (rc == 0 && d->n_rxq > info.max_rx_queues) {
		fprintf(stderr, "sipsteer-bench load: --rx-queues %u: the device has %u\n",
		        d->n_rxq, info.max_rx_queues);
		return -1;
	}
	rc = rte_eth_dev_configure(d->port, d->n_rxq, nb_tx, &conf);
	if (rc < 0) { /* devices that want as many TX as RX queues (net_tap): use TX queue 0 */
		nb_tx = d->n_rxq;
		rc = rte_eth_dev_configure(d->port, d->n_rxq, nb_tx, &conf);
	}
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(d->port, &rx_desc, &tx_desc);
	for (uint16_t q = 0; rc == 0 && q < d->n_rxq; q++)
		rc = rte_eth_rx_queue_setup(d->port, q, rx_desc, (unsigned)rte_socket_id(), NULL,
		                            d->pool);
	for (uint16_t q = 0; rc == 0 && q < nb_tx; q++)
		rc = rte_eth_tx_queue_setup(d->port, q, tx_desc, (unsigned)rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(d->port);
	if (rc < 0) {
		fprintf(stderr, "sipsteer-bench load: --dpdk %s: port setup: %s\n", o->device,
		        strerror(-rc));
		return -1;
	}
	struct rte_ether_addr mac;

	rte_eth_macaddr_get(d->port, &mac);
	memcpy(d->mac, mac.addr_bytes, 6);
	rte_eth_promiscuous_enable(d->port); /* every address of ours shares this one MAC */
	return 0;
}

static int link_wait(struct load_dpdk *d, const char *device)
{
	struct rte_eth_link link;

	for (unsigned ms = 0; ms < LINK_WAIT_MS; ms += 10) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(d->port, &link) == 0 && link.link_status)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "sipsteer-bench load: --dpdk %s: link still down after %u s\n", device,
	        LINK_WAIT_MS / 1000);
	return -1;
}

/* The EAL's runtime files of our own prefix (the EAL leaves them behind). */
static void remove_runtime_dir(const char *dir)
{
	const char *base = strrchr(dir, '/');
	DIR *dh;
	struct dirent *e;

	if (!base || strncmp(base + 1, "sipsteer-bench-load-", 20) || !(dh = opendir(dir)))
		return;
	while ((e = readdir(dh)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(dh), e->d_name, 0);
	closedir(dh);
	rmdir(dir);
}

int load_dpdk_open(const struct load_dpdk_options *o, struct load_dpdk **out)
{
	struct load_dpdk *d = calloc(1, sizeof(*d));
	char *argv[MAX_EAL_ARGS];
	char store[2][64];
	bool own_prefix;

	if (!d) {
		fprintf(stderr, "sipsteer-bench load: out of memory\n");
		return -1;
	}
	*out = d;
	d->n_rxq = (uint16_t)(o->rx_queues ? o->rx_queues : 1);
	if (d->n_rxq > MAX_RXQ)
		d->n_rxq = MAX_RXQ;
	memcpy(d->local, o->local_ips, sizeof(d->local));
	d->n_local = o->n_local;
	int argc = eal_args(o, argv, store, &own_prefix);

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "sipsteer-bench load: --dpdk %s: EAL: %s\n", o->device,
		        rte_strerror(rte_errno));
		if (own_prefix) /* a failed start leaves its runtime directory behind */
			remove_runtime_dir(rte_eal_get_runtime_dir());
		return -1;
	}
	d->eal_up = true;
	if (own_prefix)
		snprintf(d->runtime_dir, sizeof(d->runtime_dir), "%s", rte_eal_get_runtime_dir());
	d->pool = rte_pktmbuf_pool_create("load_pool", POOL_SIZE, POOL_CACHE, 0,
	                                  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!d->pool) {
		fprintf(stderr, "sipsteer-bench load: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (port_setup(d, o) < 0 || link_wait(d, o->device) < 0)
		return -1;
	/* gratuitous ARP for each address: the peer knows us before the first datagram */
	for (unsigned i = 0; i < d->n_local; i++)
		send_arp(d, LOAD_FRAME_ARP_REQUEST, d->local[i], NULL, d->local[i]);
	load_dpdk_flush(d);
	return 0;
}

void load_dpdk_close(struct load_dpdk *d)
{
	if (!d)
		return;
	if (d->eal_up) {
		if (d->pool) {
			rte_pktmbuf_free_bulk(d->held, d->n_held);
			rte_pktmbuf_free_bulk(d->tx, d->n_tx);
			rte_eth_dev_stop(d->port);
			rte_eth_dev_close(d->port);
		}
		rte_eal_cleanup();
		if (d->runtime_dir[0])
			remove_runtime_dir(d->runtime_dir);
	}
	free(d);
}
