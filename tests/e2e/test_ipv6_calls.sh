#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Calls through sipsteer to IPv6 backends: sipp UAS on 2001:db8::21-23, a sipp UAC in the client
# namespace. Mode ipv6: the UAC calls [2001:db8::10]:5060 from 2001:db8::1 (IPv6 end to end);
# mode mixed: it calls 198.18.0.10:5060 from 198.18.0.1 (IPv4 client leg, IPv6 backend leg).
# Every call succeeds, every Call-ID stays on one backend, the backends share the calls evenly,
# and the backends saw our Via with the IPv6 VIP in brackets. Health probes reach the backends
# over IPv6 (OPTIONS from the IPv6 VIP, our Via naming it bracketed): all three come up before
# the calls, and be3 goes down once its UAS is killed.
#
# Mode ipv6only: as ipv6, with a configuration that has no IPv4 VIP at all; ARP for the IPv4
# address and a SIP request to it get no answer.
#
#   test_ipv6_calls.sh SIPSTEER_BIN [ipv6|mixed|ipv6only]
set -u
# shellcheck source=tests/e2e/ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"
e2e_init "$@"
ctl_init
MODE=${2:-ipv6}
CALLS=${E2E_CALLS:-300}
RATE=${E2E_RATE:-50}
case "$MODE" in
ipv6 | ipv6only) target="[$TOPO_VIP6]:5060" local_ip=${TOPO_CLIENT_IPS6[0]} ;;
mixed) target="$TOPO_VIP:5060" local_ip=${TOPO_CLIENT_IPS[0]} ;;
*) e2e_fail "mode must be ipv6, mixed or ipv6only, not '$MODE'" ;;
esac

config=ipv6_probe
[ "$MODE" = ipv6only ] && config=ipv6_only
e2e_start_sipsteer --config "$(e2e_config "$config")"
for i in "${!TOPO_BACKENDS[@]}"; do
	ns=${TOPO_BACKENDS[$i]}
	topo_spawn "$ns" "uas-$ns" sipp -sf "$E2E_SCEN/uas.xml" -i "${TOPO_BACKEND_IPS6[$i]}" \
		-p 5060 -nostdin -aa "${TOPO_SIPP_BUF[@]}" \
		-trace_shortmsg -shortmessage_file "$TOPO_DIR/$ns.short" \
		-trace_msg -message_file "$TOPO_DIR/$ns.msg" \
		-trace_err -error_file "$TOPO_DIR/$ns.err"
	E2E_UAS_PIDS+=("$TOPO_LAST_PID")
done
for i in "${!TOPO_BACKENDS[@]}"; do
	topo_wait 10 e2e_udp_bound "${TOPO_BACKENDS[$i]}" "[${TOPO_BACKEND_IPS6[$i]}]:5060" ||
		e2e_fail "sipp UAS on ${TOPO_BACKENDS[$i]} did not bind [${TOPO_BACKEND_IPS6[$i]}]:5060"
done
ctl_all_up 10 || e2e_fail "IPv6 backends not up by their probes within 10 s: $(ctl backends)"
echo "probes over IPv6: every backend up"

echo "running $CALLS calls at $RATE calls/s: $local_ip -> $target -> IPv6 backends"
rc=0
ip netns exec client sipp "$target" -sf "$E2E_SCEN/uac.xml" -i "$local_ip" -p 5060 -nostdin \
	"${TOPO_SIPP_BUF[@]}" \
	-m "$CALLS" -r "$RATE" -l 200 -cid_str "v6$MODE-%u@%s" -timeout "$((CALLS / RATE + 60))s" \
	-timeout_error -recv_timeout 20s -trace_stat -stf "$TOPO_DIR/calls.csv" -fd 1 \
	-trace_err -error_file "$TOPO_DIR/calls.err" </dev/null >"$TOPO_DIR/calls.log" 2>&1 || rc=$?
res=$(e2e_sippstat calls)
echo "sipp UAC: exit $rc, $res"
topo_stats >/dev/null || e2e_fail "no stats from sipsteer"

fails=0
# A killed backend stops answering its probes: down after 3 x 200 ms (+ 200 ms timeout).
kill -KILL "${E2E_UAS_PIDS[2]}"
if ctl_wait_health 10 be3 down; then
	echo "be3 killed: marked down by its IPv6 probes"
else
	echo "FAIL: be3 not marked down within 10 s: $(ctl backends)"
	fails=$((fails + 1))
fi
ctl_health_is be1 up || { echo "FAIL: be1 not up: $(ctl backends)"; fails=$((fails + 1)); }
e2e_uas_stop
if grep -q "^Via: SIP/2.0/UDP \[$TOPO_VIP6\]:5060;branch=z9hG4bK-ssp-" "$TOPO_DIR/be1.msg"; then
	echo "be1 saw probes with our Via on [$TOPO_VIP6]:5060"
else
	echo "FAIL: no probe with a Via naming [$TOPO_VIP6]:5060 in be1's messages"
	fails=$((fails + 1))
fi
[ "$rc" -eq 0 ] || { echo "FAIL: sipp UAC exited with $rc"; fails=$((fails + 1)); }
[ "$(e2e_kv successful "$res")" -eq "$CALLS" ] ||
	{ echo "FAIL: $(e2e_kv successful "$res") of $CALLS calls succeeded"; fails=$((fails + 1)); }
[ "$(e2e_kv failed "$res")" -eq 0 ] ||
	{ echo "FAIL: $(e2e_kv failed "$res") calls failed"; fails=$((fails + 1)); }
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" traces $(e2e_trace_args) --require INVITE --require ACK --require BYE \
	--calls "$CALLS" --weights 1,1,1 --tolerance 0.1 || fails=$((fails + 1))
"${E2E_CHECK[@]}" stats "$TOPO_STATS" --weights 1,1,1 --tolerance 0.1 \
	--min-forwarded $((3 * CALLS)) --min-relayed $((2 * CALLS)) || fails=$((fails + 1))
# Our Via on the backend leg names the IPv6 VIP, bracketed (RFC 3261 25.1, RFC 5118 4.1).
if grep -q "^Via: SIP/2.0/UDP \[$TOPO_VIP6\]:5060;branch=z9hG4bK-sst-" "$TOPO_DIR/be1.msg"; then
	echo "be1 saw our Via with [$TOPO_VIP6]:5060"
else
	echo "FAIL: no Via naming [$TOPO_VIP6]:5060 in be1's messages"
	fails=$((fails + 1))
fi
if [ "$MODE" = ipv6only ]; then
	# Nothing IPv4 is ours: the client's ARP for the old VIP address (its kernel asks before
	# sending a datagram there) goes unanswered, counted arp_not_for_us.
	before=$("${E2E_CHECK[@]}" stats "$TOPO_STATS" --get total.drops.arp_not_for_us)
	ip netns exec client bash -c "echo probe >/dev/udp/$TOPO_VIP/5060" 2>/dev/null
	sleep 2
	topo_stats >/dev/null || e2e_fail "no stats from sipsteer"
	after=$("${E2E_CHECK[@]}" stats "$TOPO_STATS" --get total.drops.arp_not_for_us)
	neigh=$(ip -n client neigh show "$TOPO_VIP")
	if [ "$after" -gt "$before" ] && ! grep -q lladdr <<<"$neigh"; then
		echo "no IPv4 VIP: ARP for $TOPO_VIP unanswered ($((after - before)) arp_not_for_us)"
	else
		echo "FAIL: ARP for $TOPO_VIP: client's entry '$neigh', arp_not_for_us $before -> $after"
		fails=$((fails + 1))
	fi
	if grep -q "vip \[$TOPO_VIP6\]:5060;" "$TOPO_DIR/sipsteer.log"; then
		echo "the ready line names the IPv6 VIP only"
	else
		echo "FAIL: the ready line: $(grep 'ready:' "$TOPO_DIR/sipsteer.log")"
		fails=$((fails + 1))
	fi
fi
"${E2E_CHECK[@]}" stats "$TOPO_STATS" --table

[ "$fails" -eq 0 ] || e2e_fail "$fails check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "$CALLS calls over $MODE to IPv6 backends"
