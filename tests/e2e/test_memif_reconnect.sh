#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# net_memif peer disconnects: sipsteer (one worker, memif server) keeps running while the load
# tool (sipsteer-bench load --dpdk, memif client, client and backends in one process) connects,
# sends calls for 2 s and is killed with SIGKILL mid-traffic, CYCLES times (default 8).
# Then one more connection must complete calls through the daemon, and the stats must show the
# link_down drop reason (a disconnect between bursts leaves nothing buffered, so its count may
# be 0).
#
#   tests/e2e/test_memif_reconnect.sh [SIPSTEER_BIN [CYCLES [IDLE_US]]]
#
# CYCLES: connect/kill cycles (else MEMIF_CYCLES, default 8); IDLE_US: the worker's
# idle_sleep_us (else MEMIF_IDLE_US, default 100; 0 polls without pause, as
# bench/memif-sipsteer.sh does, which keeps the worker inside its bursts most of the time: the
# e2e suite runs 10 cycles with 0). SIPSTEER_BUILD: where sipsteer-bench is.
# Exit status: 0 pass, 1 fail, 77 skipped (not root, no unshare/python3/sipsteer-bench).
set -u
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_DIR/../.." && pwd)
SIPSTEER_BIN=${1:-${SIPSTEER_BUILD:-$E2E_ROOT/build}/dataplane/sipsteer}
CYCLES=${2:-${MEMIF_CYCLES:-8}}
IDLE_US=${3:-${MEMIF_IDLE_US:-100}}

skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	[ -n "${TOPO_DIR:-}" ] && [ -f "$TOPO_DIR/sipsteer.log" ] && {
		echo "--- sipsteer log (last 20 lines)"
		tail -n 20 "$TOPO_DIR/sipsteer.log"
	}
	exit 1
}

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, DPDK)"
for tool in unshare python3; do
	command -v "$tool" >/dev/null || skip "$tool is missing"
done
[[ $CYCLES =~ ^[1-9][0-9]*$ ]] || fail "cycles '$CYCLES': want a number >= 1"
[[ $IDLE_US =~ ^[0-9]+$ ]] || fail "idle_sleep_us '$IDLE_US': want a number >= 0"
[ -x "$SIPSTEER_BIN" ] || fail "sipsteer binary not found at $SIPSTEER_BIN"
SIPSTEER_BIN=$(readlink -f "$SIPSTEER_BIN")
BUILD_ROOT=${SIPSTEER_BUILD:-$(dirname "$(dirname "$SIPSTEER_BIN")")}
BENCH=$BUILD_ROOT/bench/sipsteer-bench
[ -x "$BENCH" ] || skip "no $BENCH (build the bench target)"
BENCH=$(readlink -f "$BENCH")
export SIPSTEER_BUILD=$BUILD_ROOT MEMIF_CYCLES=$CYCLES MEMIF_IDLE_US=$IDLE_US

# shellcheck source=scripts/lib/topology.sh
. "$E2E_ROOT/scripts/lib/topology.sh"
topo_enter "$SIPSTEER_BIN"
# The socket is abstract (DPDK's default), so private to this network namespace.
SOCK="$TOPO_DIR/memif.sock"
UAS=(--uas 198.18.0.21:5060 --uas 198.18.0.22:5060)

cat >"$TOPO_DIR/sipsteer.yaml" <<YAML
ports:
  - name: lan0
    device: "net_memif0,role=server,socket=$SOCK"
workers: 1
idle_sleep_us: $IDLE_US
listen:
  ipv4: 198.18.0.10/24
  sip_ports: [5060]
backends:
  - name: be1
    address: 198.18.0.21:5060
  - name: be2
    address: 198.18.0.22:5060
sip:
  secret: "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
probe:
  enabled: false
YAML

TOPO_STATS="$TOPO_DIR/stats.json"
"$SIPSTEER_BIN" --config "$TOPO_DIR/sipsteer.yaml" --stats-file "$TOPO_STATS" \
	</dev/null >"$TOPO_DIR/sipsteer.log" 2>&1 &
TOPO_SIPSTEER_PID=$!
topo_wait 30 topo_ready_logged || fail "sipsteer did not start"
topo_sipsteer_check_alive || fail "sipsteer exited at start"

# load NAME DURATION: one load tool run on the memif client end, in the background.
load() {
	"$BENCH" load --dpdk "net_memif0,role=client,socket=$SOCK" --uac 198.18.0.10:5060 \
		--local 198.18.0.1:5070 "${UAS[@]}" --rate 300 --duration "$2" --drain-ms 500 \
		--json --quiet -- --file-prefix "load$1" </dev/null >"$TOPO_DIR/$1.json" \
		2>"$TOPO_DIR/$1.log" &
	LOAD_PID=$!
	TOPO_PIDS+=("$LOAD_PID")
}

for i in $(seq 1 "$CYCLES"); do
	load "cycle$i" 30
	sleep 2
	kill -KILL "$LOAD_PID" 2>/dev/null
	wait "$LOAD_PID" 2>/dev/null
	# The disconnect is handled in the daemon's interrupt thread: give it a moment.
	sleep 0.5
	topo_alive "$TOPO_SIPSTEER_PID" ||
		fail "sipsteer died after disconnect $i of $CYCLES ($(dmesg 2>/dev/null |
			grep -i 'segfault' | tail -n 1))"
	echo "cycle $i: load tool killed mid-traffic, sipsteer alive"
done

load final 2
wait "$LOAD_PID" || fail "the last load run failed: $(tail -n 5 "$TOPO_DIR/final.log")"
topo_alive "$TOPO_SIPSTEER_PID" || fail "sipsteer died during the last run"
python3 - "$TOPO_DIR/final.json" <<'EOF' || fail "no calls through sipsteer after $CYCLES reconnections"
import json, sys
d = json.load(open(sys.argv[1]))
done = d["calls"]["completed"] if isinstance(d.get("calls"), dict) else d.get("completed", 0)
print("last connection: %s calls/s, loss %s, completed %s" % (d["calls_per_s"], d["loss"], done))
sys.exit(0 if done and done > 0 else 1)
EOF
stats=$(topo_stats) || fail "no stats from sipsteer"
python3 - "$stats" <<'EOF' || fail "stats: link state not reported"
import json, sys
s = json.load(open(sys.argv[1]))
drops = s["total"]["drops"]
print("stats: link_down drops %d" % drops["link_down"])
EOF
topo_sipsteer_stop || fail "sipsteer exited with an error status on SIGTERM"
echo "PASS: sipsteer survived $CYCLES memif disconnects and forwarded on the next connection"
exit 0
