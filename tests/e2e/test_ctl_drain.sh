#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `sipsteerctl backend drain be1` under a load of long calls (2 s each): from the drain on no
# new call reaches be1 (it owns no slot of the Maglev table: table share 0, no request counted
# for it) while the others take every new call without failure; `backend enable` gives it its
# share back.
#
# In-dialog requests follow the table by Call-ID unless sip.record_route pins them (off in
# configs/ctl.yaml): the BYE of a call that was on be1 when it was drained reaches another
# backend, which never saw the call (sipp's UAS answers it all the same; a real one answers
# 481). The test allows failures for at most the calls in progress on be1 and checks that no
# request at all reaches be1 after the drain; with Record-Route pinning their BYE reaches be1.
#
#   test_ctl_drain.sh SIPSTEER_BIN
set -u
# shellcheck source=tests/e2e/ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"
e2e_init "$@"
ctl_init
RATE=100
e2e_start_sipsteer --config "$E2E_DIR/configs/ctl.yaml"
ctl_uas_all
ctl_all_up 10 || e2e_fail "backends not up within 10 s: $(ctl backends)"

# Phase A: 600 calls of 2 s; be1 drained 3 s in (about 60 calls in progress on it).
e2e_uac drainA uac_long.xml 600 "$RATE" -d 2000 -recv_timeout 5s &
uac=$!
sleep 3
ctl backend drain be1 >/dev/null || e2e_fail "backend drain be1 refused"
sleep 0.2
at_drain=$(ctl_requests be1)
ctl_check '[ "$(ctl_field be1 state)" = draining ] && [ "$(ctl_field be1 table_share)" = 0.0000 ]' \
	"be1 draining, table share 0"
wait "$uac"
resA=$(e2e_sippstat drainA)
after=$(ctl_requests be1)
echo "phase A (be1 drained 3 s in): $resA; be1 requests after the drain: $((after - at_drain))"
ctl_check "[ $after -eq $at_drain ]" "no request reached be1 after the drain"
failedA=$(e2e_kv failed "$resA")
# Only the calls in progress on be1 at the drain: a third of 2 s x RATE, with margin.
ctl_check "[ $failedA -le $((2 * RATE / 3 + 20)) ]" "phase A: $failedA failed calls (in progress on be1)"

# Phase B: still drained: every call succeeds on be2/be3.
e2e_uac drainB uac.xml 300 "$RATE" || true
resB=$(e2e_sippstat drainB)
echo "phase B (be1 drained): $resB"
ctl_check "[ $(e2e_kv failed "$resB") -eq 0 ] && [ $(ctl_requests be1) -eq $after ]" \
	"phase B: zero failed calls, none on be1"

# Phase C: enabled again, be1 gets its share back.
ctl backend enable be1 >/dev/null || e2e_fail "backend enable be1 refused"
before=$(ctl_requests be1)
e2e_uac drainC uac.xml 300 "$RATE" || true
resC=$(e2e_sippstat drainC)
got=$(($(ctl_requests be1) - before))
echo "phase C (be1 enabled): $resC; be1 got $got of $((3 * 300)) requests"
ctl_check "[ $(e2e_kv failed "$resC") -eq 0 ] && [ $got -ge 200 ] && [ $got -le 400 ]" \
	"phase C: zero failed calls, be1 back near a third"

e2e_uas_stop
[ "$CTL_FAILS" -eq 0 ] || e2e_fail "$CTL_FAILS check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "drain: nothing reaches be1 after the drain, $failedA failed calls"
