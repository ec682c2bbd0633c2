#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# CANCEL and retransmissions through sipsteer. A stateless balancer keeps no transaction, so
# only the hash of the Call-ID (and the Via branch it derives the same way) sends the CANCEL,
# the ACK of the 487 and every retransmission to the INVITE's backend.
#   1. cancelled calls: INVITE, 100, 180, CANCEL, 200, 487, ACK; all of them must succeed, each
#      call's INVITE, CANCEL and ACK must reach one backend, with the INVITE's balancer branch.
#   2. basic calls under 10% packet loss (tc netem on the client's link when the kernel has it,
#      else sipp's own -lost 10 on the client): the retransmissions must reach the call's backend.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
CALLS=${E2E_CANCEL_CALLS:-300}
LOSS_CALLS=${E2E_LOSS_CALLS:-300}
RATE=${E2E_RATE:-100}
fails=0

e2e_start_sipsteer

echo "1. $CALLS cancelled calls"
msglogs=()
for be in "${TOPO_BACKENDS[@]}"; do
	e2e_uas "$be" uas_cancel.xml -trace_msg -message_file "$TOPO_DIR/$be.msg"
	msglogs+=(--log "$be=$TOPO_DIR/$be.msg")
done
e2e_uas_ready
rc=0
e2e_uac cancel uac_cancel.xml "$CALLS" "$RATE" || rc=$?
res=$(e2e_sippstat cancel)
echo "sipp UAC: exit $rc, $res"
e2e_uas_stop
[ "$rc" -eq 0 ] || { echo "FAIL: sipp UAC exited with $rc"; fails=$((fails + 1)); }
[ "$(e2e_kv successful "$res")" -eq "$CALLS" ] ||
	{ echo "FAIL: $(e2e_kv successful "$res") of $CALLS cancelled calls completed"; fails=$((fails + 1)); }
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" traces $(e2e_trace_args) --require INVITE --require CANCEL --require ACK \
	--calls "$CALLS" || fails=$((fails + 1))
# RFC 3261 16.11: the balancer's Via branch on the CANCEL and on the ACK of the 487 is the one
# it put on the INVITE (its MAC covers Call-ID, CSeq number and the client's branch only).
"${E2E_CHECK[@]}" branches "${msglogs[@]}" --method CANCEL --method ACK || fails=$((fails + 1))

echo "2. $LOSS_CALLS calls with 10% loss"
lossarg=()
if tc qdisc add dev vclient root netem loss 10% 2>/dev/null &&
	ip netns exec client tc qdisc add dev eth0 root netem loss 10% 2>/dev/null; then
	echo "loss: tc netem on both directions of the client's link"
else
	tc qdisc del dev vclient root 2>/dev/null
	lossarg=(-lost 10)
	echo "loss: this kernel has no netem; sipp -lost 10 on the client instead"
fi
for be in "${TOPO_BACKENDS[@]}"; do
	e2e_uas "$be" uas.xml
done
e2e_uas_ready
rc=0
e2e_uac loss uac.xml "$LOSS_CALLS" "$RATE" "${lossarg[@]}" || rc=$?
res=$(e2e_sippstat loss)
echo "sipp UAC: exit $rc, $res"
e2e_uas_stop
# Lost ACKs and BYEs can fail a few calls on sipp's side (it keeps no transaction after a call
# ends); what this part checks is where the retransmissions went.
ok=$(e2e_kv successful "$res")
[ "$ok" -ge $((LOSS_CALLS * 9 / 10)) ] ||
	{ echo "FAIL: only $ok of $LOSS_CALLS calls succeeded under loss"; fails=$((fails + 1)); }
[ "$(e2e_kv retransmissions "$res")" -gt 0 ] ||
	{ echo "FAIL: the client retransmitted nothing, so the loss did not work"; fails=$((fails + 1)); }
# A call whose INVITE and every retransmission of it were lost never reaches a backend, so
# the backends must see every successful call and no more calls than the client made.
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" traces $(e2e_trace_args) --require INVITE --calls-min "$ok" \
	--calls-max "$LOSS_CALLS" --min-retrans 1 || fails=$((fails + 1))

topo_stats >/dev/null || e2e_fail "no stats from sipsteer"
"${E2E_CHECK[@]}" stats "$TOPO_STATS" --table
[ "$fails" -eq 0 ] || e2e_fail "$fails check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "cancel and retransmissions stay with the INVITE's backend"
