/* SPDX-License-Identifier: BSD-3-Clause */
/* Port setup: queues, RSS, MTU, start; and shutdown. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <rte_ethdev.h>

#include "frag.h"
#include "log.h"
#include "port.h"

/* The DPDK name of a port: a vdev string up to its first comma ("net_tap0"), or the PCI
 * address as written. */
static void device_name(const char *device, char *out, size_t cap)
{
	size_t n = strcspn(device, ",");

	if (n >= cap)
		n = cap - 1;
	memcpy(out, device, n);
	out[n] = '\0';
}

static uint16_t frame_mtu(const struct ctl_config *cfg)
{
	uint16_t mtu = RTE_ETHER_MTU;

	for (uint32_t i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].mtu > mtu)
			mtu = cfg->ports[i].mtu;
	return mtu;
}

uint16_t dp_pool_data_room(const struct ctl_config *cfg)
{
	uint32_t frame =
	    (uint32_t)frame_mtu(cfg) + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + 2 * RTE_VLAN_HLEN;
	uint32_t room = RTE_PKTMBUF_HEADROOM + frame;

	if (room < RTE_MBUF_DEFAULT_BUF_SIZE)
		room = RTE_MBUF_DEFAULT_BUF_SIZE;
	return (uint16_t)room;
}

unsigned int dp_pool_size(const struct ctl_config *cfg)
{
	unsigned int per_port =
	    cfg->workers * (DP_RX_DESC + DP_TX_DESC + DP_TX_BUF + DP_MAX_BURST) + DP_TX_DESC;
	/* Reassembly may hold up to DP_FRAG_HELD received fragments per worker. */
	unsigned int n = cfg->n_ports * per_port + cfg->workers * DP_FRAG_HELD + 4096;

	/* Best for rte_mempool: 2^q - 1 elements. */
	unsigned int size = 1;
	while (size - 1 < n)
		size *= 2;
	return size - 1;
}

static int port_configure(struct dp_ctx *ctx, struct dp_port *p, const struct ctl_port *cp,
                          char *err, size_t cap)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	uint16_t nb_rxq = (uint16_t)ctx->n_workers;
	uint16_t nb_txq = (uint16_t)(ctx->n_workers + 1);
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc < 0) {
		snprintf(err, cap, "port %s (%s): cannot read device info: %s", cp->name,
		         cp->device, strerror(-rc));
		return rc;
	}
	if (nb_rxq > info.max_rx_queues || nb_txq > info.max_tx_queues) {
		snprintf(err, cap,
		         "port %s (%s): %u workers need %u RX and %u TX queues, the device has %u "
		         "and %u",
		         cp->name, cp->device, ctx->n_workers, nb_rxq, nb_txq, info.max_rx_queues,
		         info.max_tx_queues);
		return -EINVAL;
	}
	if (nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
		    (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	} else if (nb_rxq > 1) {
		log_warn(
		    "port %s (%s): no RSS; the device spreads packets over the %u RX queues itself",
		    cp->name, cp->device, nb_rxq);
	}
	/* Link changes as interrupts where the device raises them; else worker 0 polls. */
	p->link.lsc = info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC) != 0;
	conf.intr_conf.lsc = p->link.lsc;
	/* Multi-segment mbufs are refused on RX; we send only what fits one segment. */
	conf.txmode.offloads = info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

	/* net_tap is known to want as many TX as RX queues: not asked first for a spare one it
	 * would refuse with error lines in the log. */
	bool equal_queues = info.driver_name != NULL && strcmp(info.driver_name, "net_tap") == 0;
	rc = equal_queues ? -EINVAL : rte_eth_dev_configure(p->port_id, nb_rxq, nb_txq, &conf);
	if (rc < 0) {
		/* Some devices (net_tap) want as many TX as RX queues: then the control thread's
		 * packets go out through worker 0 (ctx->ctl_tx ring). */
		nb_txq = nb_rxq;
		rc = rte_eth_dev_configure(p->port_id, nb_rxq, nb_txq, &conf);
		if (rc == 0)
			log_info("port %s (%s): no spare TX queue for the control thread; it sends "
			         "through worker 0",
			         cp->name, cp->device);
	}
	if (rc < 0) {
		snprintf(err, cap, "port %s (%s): configure: %s", cp->name, cp->device,
		         strerror(-rc));
		return rc;
	}
	if (cp->mtu != 0) {
		rc = rte_eth_dev_set_mtu(p->port_id, cp->mtu);
		if (rc < 0) {
			snprintf(err, cap, "port %s (%s): mtu %u: %s", cp->name, cp->device,
			         cp->mtu, strerror(-rc));
			return rc;
		}
	}
	uint16_t rx_desc = DP_RX_DESC, tx_desc = DP_TX_DESC;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rx_desc, &tx_desc);
	if (rc < 0) {
		snprintf(err, cap, "port %s (%s): descriptors: %s", cp->name, cp->device,
		         strerror(-rc));
		return rc;
	}
	int socket = rte_eth_dev_socket_id(p->port_id);
	if (socket < 0)
		socket = 0;
	for (uint16_t q = 0; q < nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, rx_desc, (unsigned int)socket, NULL,
		                            ctx->pool);
		if (rc < 0) {
			snprintf(err, cap, "port %s (%s): RX queue %u: %s", cp->name, cp->device, q,
			         strerror(-rc));
			return rc;
		}
	}
	for (uint16_t q = 0; q < nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(p->port_id, q, tx_desc, (unsigned int)socket, NULL);
		if (rc < 0) {
			snprintf(err, cap, "port %s (%s): TX queue %u: %s", cp->name, cp->device, q,
			         strerror(-rc));
			return rc;
		}
	}
	p->ctl_txq = nb_txq > ctx->n_workers ? (uint16_t)ctx->n_workers : DP_CTL_TXQ_NONE;
	return 0;
}

/*
 * A net_tap port and its kernel interface share one MAC. Once that interface joins a bridge,
 * the bridge takes the MAC as its own and keeps every frame sent to it: nothing unicast would
 * reach the port. Give the kernel side another (locally administered) MAC; the port keeps its
 * own, which is what we answer ARP with.
 */
static void tap_split_mac(const struct dp_port *p)
{
	struct rte_eth_dev_info info;
	struct ifreq ifr;
	char ifname[IF_NAMESIZE];

	if (strncmp(p->device, "net_tap", 7) != 0 || rte_eth_dev_info_get(p->port_id, &info) != 0 ||
	    info.if_index == 0 || if_indextoname(info.if_index, ifname) == NULL)
		return;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0 &&
	    memcmp(ifr.ifr_hwaddr.sa_data, p->mac.addr_bytes, RTE_ETHER_ADDR_LEN) == 0) {
		ifr.ifr_hwaddr.sa_data[0] = (char)((ifr.ifr_hwaddr.sa_data[0] | 0x02) & ~0x01);
		ifr.ifr_hwaddr.sa_data[5] ^= 0x5a;
		if (ioctl(fd, SIOCSIFHWADDR, &ifr) != 0)
			log_warn(
			    "port %s: cannot give %s its own MAC: %s (bridging it will not work)",
			    p->name, ifname, strerror(errno));
	}
	close(fd);
}

/* Read p's link state from its device and publish it; logs a change. Any thread. */
static void link_refresh(struct dp_port *p)
{
	struct rte_eth_link link;
	bool down = false;

	/* A device that cannot say (no link_update) is taken as up. */
	memset(&link, 0, sizeof(link));
	if (rte_eth_link_get_nowait(p->port_id, &link) == 0)
		down = link.link_status == RTE_ETH_LINK_DOWN;
	bool was = __atomic_exchange_n(&p->link.down, down, __ATOMIC_RELEASE);
	if (was != down)
		__atomic_fetch_add(&p->link.changes, 1, __ATOMIC_RELAXED);
}

/*
 * RTE_ETH_EVENT_INTR_LSC callback, run in DPDK's interrupt thread. It runs after the driver has
 * handled the change: for a peer that went away, possibly after the driver released the rings
 * (net_memif). Workers see the flag at their next loop turn.
 */
static int link_event(uint16_t port_id, enum rte_eth_event_type event, void *arg, void *ret)
{
	struct dp_ctx *ctx = arg;

	(void)ret;
	if (event != RTE_ETH_EVENT_INTR_LSC)
		return 0;
	for (uint16_t i = 0; i < ctx->n_ports; i++)
		if (ctx->ports[i].port_id == port_id)
			link_refresh(&ctx->ports[i]);
	return 0;
}

void dp_ports_link_poll(struct dp_ctx *ctx)
{
	for (uint16_t i = 0; i < ctx->n_ports; i++)
		if (!ctx->ports[i].link.lsc)
			link_refresh(&ctx->ports[i]);
}

int dp_ports_start(struct dp_ctx *ctx, char *err, size_t cap)
{
	const struct ctl_config *cfg = ctx->cfg;
	int rc;

	ctx->n_ports = 0;
	for (uint32_t i = 0; i < cfg->n_ports; i++) {
		const struct ctl_port *cp = &cfg->ports[i];
		struct dp_port *p = &ctx->ports[i];
		char name[RTE_ETH_NAME_MAX_LEN];

		device_name(cp->device, name, sizeof(name));
		snprintf(p->name, sizeof(p->name), "%s", cp->name);
		snprintf(p->device, sizeof(p->device), "%s", cp->device);
		if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
			/* The EAL probed every --vdev and -a: a device missing here failed its
			 * probe, and the driver said why in the EAL lines above. */
			snprintf(
			    err, cap,
			    "port %s: device '%s' did not start (its driver's reason is in the "
			    "EAL lines above)",
			    cp->name, cp->device);
			return -ENODEV;
		}
		rc = port_configure(ctx, p, cp, err, cap);
		if (rc < 0)
			return rc;
		ctx->n_ports++;
		rc = rte_eth_macaddr_get(p->port_id, &p->mac);
		if (rc < 0) {
			snprintf(err, cap, "port %s (%s): MAC: %s", cp->name, cp->device,
			         strerror(-rc));
			return rc;
		}
		if (p->link.lsc) {
			rc = rte_eth_dev_callback_register(p->port_id, RTE_ETH_EVENT_INTR_LSC,
			                                   link_event, ctx);
			if (rc < 0) {
				snprintf(err, cap, "port %s (%s): link state callback: %s",
				         cp->name, cp->device, strerror(-rc));
				return rc;
			}
		}
		rc = rte_eth_dev_start(p->port_id);
		if (rc < 0) {
			snprintf(err, cap, "port %s (%s): start: %s", cp->name, cp->device,
			         strerror(-rc));
			return rc;
		}
		link_refresh(p);
		__atomic_store_n(&p->link.changes, 0, __ATOMIC_RELAXED);
		tap_split_mac(p);
		/* Only frames for our MAC (and broadcasts for ARP). */
		rc = rte_eth_promiscuous_disable(p->port_id);
		if (rc < 0 && rc != -ENOTSUP)
			log_warn("port %s (%s): cannot turn promiscuous mode off: %s", cp->name,
			         cp->device, strerror(-rc));
		/* IPv6 neighbour solicitations for the VIP go to its solicited-node group
		 * (33:33:ff:xx:xx:xx): accept multicast frames. */
		if (cfg->vip6.addr.family == AF_INET6) {
			rc = rte_eth_allmulticast_enable(p->port_id);
			if (rc < 0 && rc != -ENOTSUP)
				log_warn(
				    "port %s (%s): cannot accept multicast frames (IPv6 neighbour "
				    "discovery may fail): %s",
				    cp->name, cp->device, strerror(-rc));
		}
		char mac[RTE_ETHER_ADDR_FMT_SIZE];
		rte_ether_format_addr(mac, sizeof(mac), &p->mac);
		log_info("port %s (%s) up: dpdk port %u, mac %s, %u RX / %u TX queues, link %s "
		         "(%s)",
		         cp->name, cp->device, p->port_id, mac, ctx->n_workers,
		         ctx->n_workers + (p->ctl_txq != DP_CTL_TXQ_NONE),
		         dp_port_link_up(p) ? "up" : "down",
		         p->link.lsc ? "change interrupts" : "polled");
	}
	return 0;
}

void dp_ports_stop(struct dp_ctx *ctx)
{
	for (uint16_t i = 0; i < ctx->n_ports; i++) {
		struct dp_port *p = &ctx->ports[i];
		if (p->link.lsc)
			rte_eth_dev_callback_unregister(p->port_id, RTE_ETH_EVENT_INTR_LSC,
			                                link_event, ctx);
		int rc = rte_eth_dev_stop(p->port_id);
		if (rc < 0)
			log_warn("port %s: stop: %s", p->name, strerror(-rc));
		rte_eth_dev_close(p->port_id);
	}
	ctx->n_ports = 0;
}
