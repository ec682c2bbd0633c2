#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Dialog affinity under live changes (sip.record_route on): long calls (20 s between ACK and
# BYE, 60 new calls a second, so about 1200 calls up at once) from a UAC that honours
# Record-Route (scenarios/uac_rr.xml: ACK and BYE carry the pin as their Route), backends that
# copy it into their answers (uas_rr.xml). While the calls are up: `backend add be4`, then
# `backend weight be1 3` (many Call-IDs now hash elsewhere), then `backend drain be2`.
# From the UAC's and the backends' sipp traces: every call's INVITE, ACK and BYE reached one
# backend, zero calls failed, be4 took calls started after its add, no call started after the
# drain reached be2 and the calls be2 had then got their BYE there; calls started after the
# drain follow the weights be1 3, be3 1, be4 1.
#
#   test_dialog_live.sh SIPSTEER_BIN
set -u
# shellcheck source=tests/e2e/ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"
e2e_init "$@"
ctl_init
RATE=60
HOLD_MS=20000
CALLS=2100 # 35 s of new calls; the last ends about 55 s in
now() { date +%s.%N; }

e2e_start_sipsteer --config "$(e2e_config dialog_live)"
# be4: a fourth backend namespace, unknown to the daemon until `backend add`.
topo_add_host be4 198.18.0.24
TOPO_BACKENDS+=(be4)
TOPO_BACKEND_IPS+=(198.18.0.24)
for be in "${TOPO_BACKENDS[@]}"; do
	e2e_uas "$be" uas_rr.xml -l 10000
done
e2e_uas_ready

e2e_uac live uac_rr.xml "$CALLS" "$RATE" -d "$HOLD_MS" -l 10000 -recv_timeout 10s &
uac=$!
# 21 s in, about 1200 calls are up.
sleep 21
t_add=$(now) # before: be4 takes no call started earlier
ctl backend add be4 198.18.0.24:5060 >/dev/null || e2e_fail "backend add be4 refused"
sleep 3
ctl backend weight be1 3 >/dev/null || e2e_fail "backend weight be1 3 refused"
t_weight=$(now)
sleep 3
ctl backend drain be2 >/dev/null || e2e_fail "backend drain be2 refused"
t_drain=$(now) # after: no call started later reaches be2
echo "changes: be4 added at $t_add, be1 weight 3 at $t_weight, be2 drained at $t_drain"
ctl_check '[ "$(ctl_field be2 state)" = draining ] && [ "$(ctl_field be2 table_share)" = 0.0000 ]' \
	"be2 draining, table share 0"
ctl_check '[ "$(ctl_field be4 table_share)" = 0.2000 ]' "be4 owns a fifth of the table"
wait "$uac"
res=$(e2e_sippstat live)
echo "UAC: $res"
ctl_check "[ $(e2e_kv failed "$res") -eq 0 ] && [ $(e2e_kv successful "$res") -eq $CALLS ]" \
	"all $CALLS calls successful, zero failed"
# The UAC's statistics, one line a second: the most calls it had up at once.
peak=$(python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], errors="replace"), delimiter=";"))
print(max((int(float(r.get("CurrentCall") or 0)) for r in rows), default=0))' "$TOPO_DIR/live.csv")
ctl_check "[ $peak -ge 1000 ]" "$peak calls up at once (at least 1000)"
e2e_uas_stop

# shellcheck disable=SC2046
"${E2E_CHECK[@]}" dialogs --uac "$TOPO_DIR/live.short" $(e2e_trace_args) \
	--require INVITE --require ACK --require BYE --calls "$CALLS" \
	--added "be4=$t_add" --drained "be2=$t_drain" --min-calls 100 \
	--shares-after "$t_drain" --weights be1=3,be3=1,be4=1 --tolerance 0.1 ||
	CTL_FAILS=$((CTL_FAILS + 1))
[ "$CTL_FAILS" -eq 0 ] || e2e_fail "$CTL_FAILS check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "$CALLS calls (about 1200 up) kept their backend across add, weight and drain"
