#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ARP and ICMP: both clients resolve the VIP and get every echo answered; the daemon does not
# answer ARP for an address that is not its own.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
fails=0

e2e_start_sipsteer
for ns in "${TOPO_CLIENTS[@]}"; do
	if e2e_ping "$ns" 5; then
		echo "$ns: 5 of 5 echoes answered by $TOPO_VIP"
	else
		echo "FAIL: $ns: ping to $TOPO_VIP: $(grep -E 'transmitted' "$TOPO_DIR/ping-$ns.log")"
		fails=$((fails + 1))
	fi
	neigh=$(ip -n "$ns" neigh show "$TOPO_VIP")
	case "$neigh" in
	*lladdr*) echo "$ns: ARP entry: $neigh" ;;
	*)
		echo "FAIL: $ns has no ARP entry for $TOPO_VIP ($neigh)"
		fails=$((fails + 1))
		;;
	esac
done
# Nobody owns 198.18.0.99: the daemon must not claim it.
if ip netns exec client ping -n -q -c 2 -i 0.2 -W 1 198.18.0.99 >/dev/null 2>&1; then
	echo "FAIL: something answered ping for 198.18.0.99"
	fails=$((fails + 1))
fi
case "$(ip -n client neigh show 198.18.0.99)" in
*lladdr*)
	echo "FAIL: 198.18.0.99 resolved by ARP: $(ip -n client neigh show 198.18.0.99)"
	fails=$((fails + 1))
	;;
*) echo "client: no ARP answer for 198.18.0.99, as it should be" ;;
esac
# The port's start line counts the TX queues it really has: one per worker, and one more for the
# control thread only where the device gave a spare one (net_tap does not).
up=$(grep -Eo '[0-9]+ RX / [0-9]+ TX queues' "$TOPO_DIR/sipsteer.log" | head -n 1)
read -r rxq _ _ txq _ <<<"$up"
want=$((rxq + 1))
grep -q 'no spare TX queue' "$TOPO_DIR/sipsteer.log" && want=$rxq
if [ -n "$up" ] && [ "$txq" = "$want" ]; then
	echo "port start line: $up"
else
	echo "FAIL: port start line '${up:-none}': expected $want TX queues"
	fails=$((fails + 1))
fi
topo_stats >/dev/null || { echo "FAIL: no stats from sipsteer"; fails=$((fails + 1)); }
[ "$fails" -eq 0 ] || e2e_fail "$fails check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "ARP and ICMP echo for the VIP"
