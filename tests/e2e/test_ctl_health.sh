#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Health probing under load: one backend's sipp UAS is killed while calls run; the daemon marks
# it down after probe.down_after missed probes (configs/ctl.yaml: 3 x 200 ms + 200 ms timeout)
# and logs one line; the calls that fail are only those on it or started before detection;
# afterwards no call fails and it gets no request; restarted, it is up again and gets its share.
#
#   test_ctl_health.sh SIPSTEER_BIN
set -u
# shellcheck source=tests/e2e/ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"
e2e_init "$@"
ctl_init
RATE=100
e2e_start_sipsteer --config "$E2E_DIR/configs/ctl.yaml"
ctl_uas_all
ctl_all_up 10 || e2e_fail "backends not up within 10 s: $(ctl backends)"

# Phase A: 800 calls; be2 dies 3 s in.
e2e_uac phaseA uac.xml 800 "$RATE" -recv_timeout 5s &
uac=$!
sleep 3
be2_pid=${E2E_UAS_PIDS[1]}
t_kill=$(ctl_now)
kill -KILL "$be2_pid"
ctl_wait_health 10 be2 down || e2e_fail "be2 not marked down within 10 s"
t_down=$(ctl_now)
wait "$uac"
resA=$(e2e_sippstat phaseA)
detect=$(python3 -c "print('%.2f' % ($t_down - $t_kill))")
echo "phase A (be2 killed): $resA; be2 down $detect s after the kill (bound 0.2 x 3 + 0.2 = 0.8 s, plus polling)"
grep -q "backend be2 (198.18.0.22:5060) down: 3 probes timed out" "$TOPO_DIR/sipsteer.log"
ctl_check "[ $? -eq 0 ]" "one log line: be2 down after 3 missed probes"
failedA=$(e2e_kv failed "$resA")
# At most the calls hashed to be2 (a third) before detection, at RATE calls/s.
ctl_check "[ $failedA -le $((800 / 3 + 20)) ]" "phase A: $failedA failed calls, all of them be2's"

# Phase B: be2 down, no call fails and none reaches it.
before=$(ctl_requests be2)
e2e_uac phaseB uac.xml 500 "$RATE" || true
resB=$(e2e_sippstat phaseB)
echo "phase B (be2 down): $resB"
ctl_check "[ $(e2e_kv failed "$resB") -eq 0 ] && [ $(e2e_kv successful "$resB") -eq 500 ]" \
	"phase B: zero failed calls"
ctl_check "[ $(ctl_requests be2) -eq $before ]" "phase B: no request reached be2"

# Phase C: be2 back; it is up after 2 good probes and gets its share.
e2e_uas be2 uas.xml
e2e_uas_ready
ctl_wait_health 10 be2 up || e2e_fail "be2 not up again within 10 s"
before=$(ctl_requests be2)
total_before=$(ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["forwarded"])')
e2e_uac phaseC uac.xml 600 "$RATE" || true
resC=$(e2e_sippstat phaseC)
got=$(($(ctl_requests be2) - before))
total=$(($(ctl --json stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["forwarded"])') - total_before))
echo "phase C (be2 back): $resC; be2 got $got of $total requests"
ctl_check "[ $(e2e_kv failed "$resC") -eq 0 ]" "phase C: zero failed calls"
ctl_check "[ $((got * 100)) -ge $((total * 25)) ] && [ $((got * 100)) -le $((total * 42)) ]" \
	"phase C: be2's share back near a third"
ctl backends
# Probe replies are counted on their own, never as a drop.
ctl_check "ctl --json stats | python3 -c 'import json,sys; t=json.load(sys.stdin)[\"total\"]; \
sys.exit(0 if t[\"probe_replies\"] > 0 and \"probe_reply\" not in t[\"drops\"] else 1)'" \
	"probe replies counted in probe_replies, not as a drop"

e2e_uas_stop
[ "$CTL_FAILS" -eq 0 ] || e2e_fail "$CTL_FAILS check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "backend down in ${detect}s, calls moved to the others, back with its share"
