#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# IPv6 on the link: with listen.ipv6 set, every client and backend resolves the IPv6 VIP by
# Neighbor Discovery (the daemon answers solicitations to the VIP's solicited-node group with its
# port MAC) and gets ICMPv6 echo replies from it; IPv4 keeps working beside it. Solicitations
# for another address are not answered (counted not_for_us6: their group is not the VIP's).
# At start the daemon announces both VIPs (gratuitous ARP, unsolicited NA): a neighbour that
# still holds another MAC for them (a previous instance's) takes the port MAC without asking.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
fails=0

old_mac=02:00:5e:00:53:99
ip -n client2 neigh replace "$TOPO_VIP" lladdr "$old_mac" dev eth0 nud stale
ip -n client2 -6 neigh replace "$TOPO_VIP6" lladdr "$old_mac" dev eth0 nud stale
e2e_start_sipsteer --config "$(e2e_config ipv6)"
mac=$(awk '/ready: port/ {for (i = 1; i <= NF; i++) if ($i == "mac") print tolower($(i + 1))}' \
	"$TOPO_DIR/sipsteer.log" | tr -d ';' | head -n 1)
if grep -q "ready: .* vip $TOPO_VIP:5060 \[$TOPO_VIP6\]:5060;" "$TOPO_DIR/sipsteer.log"; then
	echo "the ready line names both VIPs"
else
	echo "FAIL: the ready line does not name $TOPO_VIP:5060 and [$TOPO_VIP6]:5060:"
	grep "ready:" "$TOPO_DIR/sipsteer.log"
	fails=$((fails + 1))
fi
lladdr_of() { ip -n client2 "$@" | awk '{for (i = 1; i <= NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
announced() { [ "$(lladdr_of neigh show "$TOPO_VIP")" = "$mac" ] &&
	[ "$(lladdr_of -6 neigh show "$TOPO_VIP6")" = "$mac" ]; }
if [ -n "$mac" ] && topo_wait 5 announced; then
	echo "client2: the announcements replaced $old_mac by $mac for both VIPs"
else
	echo "FAIL: client2 still has $TOPO_VIP at '$(lladdr_of neigh show "$TOPO_VIP")'," \
		"$TOPO_VIP6 at '$(lladdr_of -6 neigh show "$TOPO_VIP6")', want '$mac'"
	fails=$((fails + 1))
fi
for ns in "${TOPO_CLIENTS[@]}" "${TOPO_BACKENDS[@]}"; do
	if ip netns exec "$ns" ping -6 -n -q -c 3 -i 0.2 -W 2 "$TOPO_VIP6" >"$TOPO_DIR/ping6-$ns.log" 2>&1; then
		echo "ping $TOPO_VIP6 from $ns: answered"
	else
		echo "FAIL: ping $TOPO_VIP6 from $ns: $(tail -n 2 "$TOPO_DIR/ping6-$ns.log" | tr '\n' ' ')"
		fails=$((fails + 1))
	fi
	got=$(ip -n "$ns" -6 neigh show "$TOPO_VIP6" | awk '{for (i = 1; i <= NF; i++) if ($i == "lladdr") print $(i + 1)}')
	if [ -n "$mac" ] && [ "$got" = "$mac" ]; then
		echo "$ns: $TOPO_VIP6 is at $got"
	else
		echo "FAIL: $ns resolved $TOPO_VIP6 to '$got', want the port MAC '$mac'"
		fails=$((fails + 1))
	fi
done
# A solicitation for an address nobody has: no answer, counted.
ip netns exec client ping -6 -n -q -c 1 -W 1 2001:db8::99 >/dev/null 2>&1
ns_miss=$("${E2E_CHECK[@]}" stats "$(topo_stats)" --get total.drops.not_for_us6 2>/dev/null || echo 0)
if [ "${ns_miss:-0}" -ge 1 ]; then
	echo "solicitations for 2001:db8::99 dropped: $ns_miss"
else
	echo "FAIL: not_for_us6 is '$ns_miss', want at least 1"
	fails=$((fails + 1))
fi
e2e_ping client 3 || {
	echo "FAIL: IPv4 ping beside IPv6"
	fails=$((fails + 1))
}
[ "$fails" -eq 0 ] || e2e_fail "$fails check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "IPv6 neighbour discovery and echo for the VIP"
