#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Large messages over IPv4, then over IPv6 (IPv6 backends): INVITEs with a 3000-byte body (and
# an 8000-byte one) arrive at the VIP in fragments, are
# reassembled, reach one backend whole (fragmented again to the 1500-byte MTU on the way out)
# with our Via; a 200 OK as large comes back whole to the client. Then bad fragments: a lone
# first fragment is given up after the reassembly timeout, a 7-byte non-last one is refused,
# both counted; the daemon still forwards and answers ping.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
FRAGCHECK=("${PYTHON3:-python3}" "$E2E_DIR/fragcheck.py")
fails=0

e2e_start_sipsteer
# The daemon learns the client from its ARP request; the first 200 OK must not race that.
e2e_ping client 1 >/dev/null || e2e_fail "no answer to ping before the calls"
# shellcheck disable=SC2046
"${FRAGCHECK[@]}" large $(e2e_daemon_args) --family 4 --size 3000 --count 20 ||
	fails=$((fails + 1))
# shellcheck disable=SC2046
"${FRAGCHECK[@]}" large $(e2e_daemon_args) --family 4 --size 8000 --count 3 ||
	fails=$((fails + 1))
# shellcheck disable=SC2046
"${FRAGCHECK[@]}" badfrag $(e2e_daemon_args) || fails=$((fails + 1))
if e2e_ping client 3; then
	echo "ping to $TOPO_VIP after the fragments: answered"
else
	echo "FAIL: sipsteer no longer answers ping"
	fails=$((fails + 1))
fi
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"

# The same over IPv6, to IPv6 backends: fragments with a Fragment header in both directions.
e2e_start_sipsteer --config "$(e2e_config ipv6_backends)"
# The daemon learns the client and the backends from their Neighbor Solicitations for the VIP
# (its own first ones may have gone out before its tap joined the bridge): no first message
# of a call may meet an unresolved next hop, nothing here retransmits.
for ns in client "${TOPO_BACKENDS[@]}"; do
	ip netns exec "$ns" ping -6 -n -q -c 1 -W 2 "$TOPO_VIP6" >/dev/null ||
		e2e_fail "no answer to ping -6 from $ns before the IPv6 calls"
done
# shellcheck disable=SC2046
"${FRAGCHECK[@]}" large $(e2e_daemon_args) --family 6 --size 3000 --count 20 ||
	fails=$((fails + 1))
# shellcheck disable=SC2046
"${FRAGCHECK[@]}" large $(e2e_daemon_args) --family 6 --size 8000 --count 3 ||
	fails=$((fails + 1))
# shellcheck disable=SC2046
"${FRAGCHECK[@]}" badfrag $(e2e_daemon_args) --family 6 || fails=$((fails + 1))
[ "$fails" -eq 0 ] || e2e_fail "$fails check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "large messages over IPv4 and IPv6 (fragments in and out)"
