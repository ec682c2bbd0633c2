#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sipsteerctl against the live daemon: every command works and its --json output parses; bad
# arguments and refused changes exit non-zero with a clear message; a second daemon on the same
# socket refuses to start; the Prometheus endpoint parses (prometheus_client) and agrees with
# `sipsteerctl stats --json`; DPDK telemetry has the sipsteer commands registered.
#
#   test_ctl_cli.sh SIPSTEER_BIN
set -u
# shellcheck source=tests/e2e/ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"
e2e_init "$@"
ctl_init
CONFIG="$E2E_DIR/configs/ctl.yaml"
e2e_start_sipsteer --config "$CONFIG"
ctl_uas_all
ctl_all_up 10 || e2e_fail "backends not up within 10 s: $(ctl backends)"

e2e_uac calls uac.xml 300 100 || e2e_fail "calls failed: $(e2e_sippstat calls)"
echo "sipp UAC: $(e2e_sippstat calls)"

json_ok() { ctl --json "$@" | python3 -c 'import json,sys; json.load(sys.stdin)'; }
for cmd in "version" "backends" "stats" "config show" "top --count 1 --interval 0.2"; do
	# shellcheck disable=SC2086
	ctl_check "ctl $cmd >/dev/null" "sipsteerctl $cmd"
	# shellcheck disable=SC2086
	ctl_check "json_ok $cmd" "sipsteerctl --json $cmd parses"
done
ctl_check '[ "$(ctl --json version | python3 -c "import json,sys; print(json.load(sys.stdin)[\"name\"])")" = sipsteer ]' \
	"version names sipsteer"
ctl_check '[ "$(ctl_field be1 health)" = up ] && [ "$(ctl_field be1 state)" = enabled ]' \
	"backends: be1 enabled and up"
ctl_check '[ -n "$(ctl_field be1 rtt_ms)" ] && [ -n "$(ctl_field be1 table_share)" ]' \
	"backends: probe RTT and table share shown"
ctl_check 'ctl config show | grep -q "interval_ms: 200"' "config show prints the running config"

# Changes, and back.
ctl_check "ctl backend add be4 198.18.0.24:5060 weight 0 >/dev/null" "backend add (weight 0)"
ctl_check "ctl backend weight be4 0 >/dev/null" "backend weight"
ctl_check "ctl backend disable be4 >/dev/null && [ \"\$(ctl_field be4 state)\" = disabled ]" \
	"backend disable"
ctl_check "ctl backend enable be4 >/dev/null && [ \"\$(ctl_field be4 state)\" = enabled ]" \
	"backend enable"
ctl_check "ctl backend remove be4 >/dev/null && [ -z \"\$(ctl_field be4 name)\" ]" "backend remove"

# Refusals: exit 1 with the daemon's message; usage errors: exit 2.
expect_fail() { # RC PATTERN ARGS...
	local want=$1 pat=$2 rc=0 err
	shift 2
	err=$(ctl "$@" 2>&1 >/dev/null) || rc=$?
	if [ "$rc" -eq "$want" ] && printf '%s' "$err" | grep -q -- "$pat"; then
		echo "ok: sipsteerctl $* -> exit $rc: $err"
	else
		echo "FAIL: sipsteerctl $* -> exit $rc: $err (want exit $want and /$pat/)"
		CTL_FAILS=$((CTL_FAILS + 1))
	fi
}
expect_fail 1 "does not exist" backend drain nosuch
expect_fail 1 "already" backend add be1 198.18.0.29:5060
expect_fail 1 "already\|used" backend add be9 198.18.0.21:5060
expect_fail 2 "weight" backend weight be1 70000
expect_fail 2 "" backend add
expect_fail 2 "" frobnicate
# Nothing changed by the refusals.
ctl_check '[ "$(ctl --json backends | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 3 ]' \
	"three backends after the refusals"

# A second daemon on the same socket refuses to start, and the first one keeps serving.
rc=0
"$SIPSTEER_BIN" --config "$CONFIG" >"$TOPO_DIR/second.log" 2>&1 || rc=$?
ctl_check "[ $rc -ne 0 ] && grep -q 'another sipsteer' '$TOPO_DIR/second.log'" \
	"second daemon refused: $(tr '\n' ' ' <"$TOPO_DIR/second.log" | cut -c1-200)"
ctl_check "ctl version >/dev/null" "first daemon still answers"

# stats --reset: counters start again from zero.
ctl stats --reset >/dev/null
ctl_check '[ "$(ctl --json stats | python3 -c "import json,sys; print(json.load(sys.stdin)[\"total\"][\"forwarded\"])")" = 0 ]' \
	"stats --reset: forwarded back to 0"

# Metrics (counters never reset) against the raw stats; wait for a refresh after the calls.
sleep 1.5
ctl --json stats >/dev/null
stats_file=$(topo_stats) || e2e_fail "no stats file"
PY=python3
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null && PY=/usr/bin/python3
rc=0
"$PY" "$E2E_DIR/ctl_metrics_check.py" http://127.0.0.1:9760/metrics "$stats_file" || rc=$?
[ "$rc" -eq 77 ] || ctl_check "[ $rc -eq 0 ]" "metrics parse and agree with the stats"

# DPDK telemetry: the daemon's socket under its runtime directory answers our commands.
tel=$(ls /run/dpdk/sipsteer-"$TOPO_SIPSTEER_PID"/dpdk_telemetry.v2 2>/dev/null)
if [ -n "$tel" ]; then
	out=$(python3 - "$tel" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(16384).decode())
out = {}
for cmd in ("/sipsteer/stats", "/sipsteer/backends", "/sipsteer/backend,be1", "/sipsteer/workers"):
    s.send(cmd.encode())
    out.update(json.loads(s.recv(65536).decode()))
print(json.dumps(out))
PY
	)
	ctl_check "printf '%s' '$out' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"/sipsteer/stats\"][\"forwarded\"] > 0 and \"be1\" in d[\"/sipsteer/backends\"] and d[\"/sipsteer/backend\"][\"health\"] == \"up\"'" \
		"DPDK telemetry: /sipsteer/stats, /sipsteer/backends, /sipsteer/backend,be1"
else
	ctl_check false "DPDK telemetry socket under /run/dpdk/sipsteer-$TOPO_SIPSTEER_PID"
fi

e2e_uas_stop
[ "$CTL_FAILS" -eq 0 ] || e2e_fail "$CTL_FAILS check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "sipsteerctl against the live daemon, metrics, telemetry"
