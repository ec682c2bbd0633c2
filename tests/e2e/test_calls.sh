#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Calls through sipsteer: a sipp UAC in the client namespace, three sipp UAS as backends.
# Every call succeeds; each backend gets its weight's share of the calls (checked on the
# daemon's stats and on the backends' traces); every message of a call reaches one backend.
#
#   test_calls.sh SIPSTEER_BIN [CONFIG WEIGHTS [WORKERS]]
#   (default: embedded config, weights 1,1,1, one worker; WORKERS: what CONFIG says)
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
CONFIG=${2:-}
WEIGHTS=${3:-1,1,1}
WORKERS=${4:-1}
CALLS=${E2E_CALLS:-5000}
RATE=${E2E_RATE:-250}

if [ -n "$CONFIG" ]; then
	e2e_start_sipsteer --config "$(e2e_config "$CONFIG")"
else
	e2e_start_sipsteer
fi
for be in "${TOPO_BACKENDS[@]}"; do
	e2e_uas "$be" uas.xml
done
e2e_uas_ready

echo "running $CALLS calls at $RATE calls/s through $TOPO_VIP (weights $WEIGHTS)"
rc=0
e2e_uac calls uac.xml "$CALLS" "$RATE" || rc=$?
res=$(e2e_sippstat calls)
echo "sipp UAC: exit $rc, $res"
topo_stats >/dev/null || e2e_fail "no stats from sipsteer"
e2e_uas_stop

fails=0
[ "$rc" -eq 0 ] || { echo "FAIL: sipp UAC exited with $rc"; fails=$((fails + 1)); }
[ "$(e2e_kv successful "$res")" -eq "$CALLS" ] ||
	{ echo "FAIL: $(e2e_kv successful "$res") of $CALLS calls succeeded"; fails=$((fails + 1)); }
[ "$(e2e_kv failed "$res")" -eq 0 ] ||
	{ echo "FAIL: $(e2e_kv failed "$res") calls failed"; fails=$((fails + 1)); }

# Every call sends INVITE, ACK and BYE: each must reach the call's one backend.
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" traces $(e2e_trace_args) --require INVITE --require ACK --require BYE \
	--calls "$CALLS" --weights "$WEIGHTS" --tolerance 0.05 || fails=$((fails + 1))
# 3 requests per call forwarded (INVITE, ACK, BYE); of the 4 responses per call, the 100 and
# 180 are optional to the caller, the two 200s are not.
"${E2E_CHECK[@]}" stats "$TOPO_STATS" --weights "$WEIGHTS" --tolerance 0.05 \
	--min-forwarded $((3 * CALLS)) --min-relayed $((2 * CALLS)) --workers "$WORKERS" ||
	fails=$((fails + 1))
"${E2E_CHECK[@]}" stats "$TOPO_STATS" --table

[ "$fails" -eq 0 ] || e2e_fail "$fails check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "$CALLS calls, weights $WEIGHTS, $WORKERS worker(s)"
