#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# sipsteer without the kernel in its path: one worker on a net_memif port, driven by
# `sipsteer-bench load --dpdk` on the other end of the memif (client, backends and the whole
# L2/L3 link in one process), with the stepped method of bench/compare-kamailio.sh.
#
#   bench/memif-sipsteer.sh [--build DIR] [--step-s N] [--start-rate N] [--factor F]
#                           [--max-steps N] [--idle-sleep-us N] [--kamailio COMPARE.json]
#                           [--load-cpu N] [--balancer-cpu N] [--data DIR]
#
# Runs in a private `unshare --net --mount` namespace (scripts/lib/topology.sh: private
# /run/sipsteer, /run/dpdk; the memif socket is abstract, so private to the netns). No bridge,
# no tap: sipsteer owns the memif server end (VIP 198.18.0.10/24, backends 198.18.0.21-23:5060,
# probing off, idle_sleep_us from --idle-sleep-us, default 0), the load tool the client end; it
# answers sipsteer's ARP for 198.18.0.1 and 198.18.0.21-23 and resolves the VIP. The memif
# part is bench/lib/memif.sh, shared with bench/compare-kamailio.sh --sipsteer-port memif,
# which measures Kamailio in the same run; this script is sipsteer alone.
#
# Cores: the load tool on --load-cpu (default 0), every thread of sipsteer on --balancer-cpu
# (default 1). The offered load starts at --start-rate calls/s (7 messages each; default 5000, at
# most 10000000) and grows by --factor (default 1.3, above 1, at most 10) per step of --step-s
# seconds (default 3, at most 86400; at most --max-steps, default 15, at most 100, none above
# 16777216 calls), all steps in one load tool process (`--steps`: the
# memif stays connected, see below); the steps end when message loss exceeds 0.1 %, when the
# load tool cannot keep the offered rate, or after --max-steps. sipsteer's CPU per step is the
# utime + stime delta of its process (/proc/PID/stat, every thread), read by the load tool
# (`--cpu-of`). Latency at half load: the step nearest half the highest loss-free rate.
#
# Prints one JSON object on stdout: every step, the highest loss-free messages/s, messages per
# core-second of sipsteer's CPU, and Kamailio's figure from the socket comparison's JSON
# (--kamailio, default docs/img/compare/compare.json) next to it. Not the same topology:
# Kamailio cannot use memif and runs over kernel sockets; each figure is the best that system
# can do on this machine. --data DIR also writes memif.json and sipsteer-memif.tsv there.
#
# Needs root, unshare, taskset, python3 and the built sipsteer and sipsteer-bench.
# Exit status: 0 done, 1 sipsteer did not start or a step failed, 2 bad arguments, 77 a
# prerequisite is missing.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SIPSTEER_BUILD:-$ROOT/build}
STEP_S=3
START_RATE=5000
FACTOR=1.3
MAX_STEPS=15
IDLE_US=0
KAM_JSON=$ROOT/docs/img/compare/compare.json
DATA_DIR=""
LOAD_CPU=0
BAL_CPU=1
LOSS_LIMIT=0.001
ARGS=("$@")

usage() {
	sed -n '4,/^set -u/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
}

# shellcheck source=bench/lib/steps.sh
. "$ROOT/bench/lib/steps.sh"
STEPS_NAME=memif-sipsteer

while [ $# -gt 0 ]; do
	case $1 in
	--kamailio) [ $# -ge 2 ] || steps_die "$1 needs a value"
		KAM_JSON=$2 && shift ;;
	-h | --help) usage && exit 0 ;;
	*)
		steps_option $# "$@" || { usage >&2 && steps_die "unknown argument '$1'"; }
		shift ;;
	esac
	shift
done
steps_check

SIPSTEER=$BUILD/dataplane/sipsteer
BENCH=$BUILD/bench/sipsteer-bench

skip() {
	echo "memif-sipsteer: skipped: $*" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespace, DPDK)"
for tool in unshare taskset python3; do
	command -v "$tool" >/dev/null || skip "$tool is missing"
done
[ -x "$BENCH" ] || skip "no $BENCH (build it first, or give --build DIR)"
[ -x "$SIPSTEER" ] || skip "no $SIPSTEER"
if [ "$(nproc)" -lt 2 ]; then
	LOAD_CPU=0
	BAL_CPU=0
fi

# shellcheck source=scripts/lib/topology.sh
. "$ROOT/scripts/lib/topology.sh"
topo_enter "${ARGS[@]}"
# shellcheck source=bench/lib/memif.sh
. "$ROOT/bench/lib/memif.sh"
MEMIF_LOG_NAME=memif-sipsteer

log() {
	printf 'memif-sipsteer: %s\n' "$*" >&2
}

log "starting sipsteer (1 worker on net_memif, idle_sleep_us $IDLE_US, on CPU $BAL_CPU)"
memif_sipsteer_start "$SIPSTEER" "$BAL_CPU" "$IDLE_US" || exit 1
if ! memif_steps "$BENCH" "$LOAD_CPU" "$START_RATE" "$STEP_S" "$MAX_STEPS" "$FACTOR" \
	"$LOSS_LIMIT" "$TOPO_DIR/steps"; then
	log "a step failed to run; load tool log:"
	tail -n 20 "$TOPO_DIR/load.log" >&2
	exit 1
fi
memif_check_survival
SURVIVED=$MEMIF_SURVIVED
topo_sipsteer_stop

[ -z "$DATA_DIR" ] || mkdir -p "$DATA_DIR"
python3 - "$TOPO_DIR" "$DATA_DIR" "$LOSS_LIMIT" "$STEP_S" "$START_RATE" "$FACTOR" "$IDLE_US" \
	"$LOAD_CPU" "$BAL_CPU" "$KAM_JSON" "$SURVIVED" <<'EOF' || exit 1
import json, os, platform, sys

topo, data_dir, loss_limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
step_s, start_rate, factor = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
idle_us, load_cpu, bal_cpu, kam_json = int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]), \
    sys.argv[10]
survived = sys.argv[11] == "1"

def objects(path):
    """The JSON objects of a file, one after the other."""
    with open(path) as f:
        text = f.read()
    dec, pos, out = json.JSONDecoder(), 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return out
        obj, pos = dec.raw_decode(text, pos)
        out.append(obj)

def cpu_model():
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                return l.split(":", 1)[1].strip()
    return platform.processor()

def step_row(d):
    delivered = d["messages"]["delivered"]
    cpu = d["peer_cpu"]["user_s"] + d["peer_cpu"]["system_s"]
    return {
        "offered_calls_per_s": d["offered_calls_per_s"],
        "offered_msgs_per_s": 7 * d["offered_calls_per_s"],
        "calls_per_s": round(d["calls_per_s"], 1),
        "msgs_per_s": round(d["msgs_per_s"], 1),
        "loss": d["loss"],
        "call_loss": d["call_loss"],
        "latency_us": d["latency_us"],
        "balancer_cpu_s": round(cpu, 3),
        "balancer_cpu_user_s": d["peer_cpu"]["user_s"],
        "balancer_cpu_system_s": d["peer_cpu"]["system_s"],
        "balancer_cpu_util": round(cpu / d["elapsed_s"], 3) if d["elapsed_s"] else None,
        "msgs_per_core_s": round(delivered / cpu, 1) if cpu > 0 else None,
        "link": d.get("link"),
        "errors": d["errors"],
    }

steps = [step_row(d) for d in objects(os.path.join(topo, "steps"))]
ok = [r for r in steps if r["loss"] <= loss_limit]
best = max(ok, key=lambda r: r["msgs_per_s"]) if ok else None
last = steps[-1] if steps else None
if not last:
    stop = "no_steps"
elif last["loss"] > loss_limit:
    stop = "loss"
elif last["calls_per_s"] < 0.97 * last["offered_calls_per_s"]:
    stop = "generator"
else:
    stop = "max_steps"
# latency at about half the highest loss-free rate: the step nearest to it
half = (min(ok, key=lambda r: abs(r["offered_calls_per_s"] - best["offered_calls_per_s"] / 2))
        if best else None)
out = {
    "machine": {"cpu_model": cpu_model(), "cores": os.cpu_count(),
                "kernel": platform.release()},
    "settings": {"step_s": step_s, "start_calls_per_s": start_rate, "factor": factor,
                 "loss_limit": loss_limit, "load_cpu": load_cpu, "balancer_cpu": bal_cpu,
                 "idle_sleep_us": idle_us, "messages_per_call": 7,
                 "port": "net_memif (sipsteer server, sipsteer-bench load --dpdk client)"},
    "sipsteer_memif": {
        "stopped_by": stop,
        "max_loss_free_msgs_per_s": best["msgs_per_s"] if best else 0,
        "at_offered_calls_per_s": best["offered_calls_per_s"] if best else 0,
        "msgs_per_core_s": best["msgs_per_core_s"] if best else None,
        "balancer_cpu_util": best["balancer_cpu_util"] if best else None,
        "half_load": half,
        "sipsteer_survived_disconnect": survived,
        "steps": steps,
    },
}
try:
    with open(kam_json) as f:
        kam = json.load(f)["systems"]["kamailio"]
    out["kamailio_sockets"] = {
        "from": os.path.relpath(kam_json),
        "note": "not the same topology: Kamailio over kernel UDP sockets (bridge, veth), "
                "sipsteer over memif; each is the best that system can do on this machine",
        "max_loss_free_msgs_per_s": kam["max_loss_free_msgs_per_s"],
        "msgs_per_core_s": kam["msgs_per_core_s"],
    }
    a, b = out["sipsteer_memif"]["msgs_per_core_s"], kam["msgs_per_core_s"]
    out["ratio_msgs_per_core_s"] = round(a / b, 2) if a and b else None
    out["goal"] = {"msgs_per_core_s_ratio": 10,
                   "met": bool(out["ratio_msgs_per_core_s"] and
                               out["ratio_msgs_per_core_s"] >= 10)}
except (OSError, KeyError, ValueError) as e:
    out["kamailio_sockets"] = {"from": kam_json, "error": str(e)}
text = json.dumps(out, indent=1)
print(text)
if data_dir:
    with open(os.path.join(data_dir, "memif.json"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(data_dir, "sipsteer-memif.tsv"), "w") as f:
        f.write("# offered_msgs_per_s msgs_per_s loss p50_us p99_us p999_us "
                "cpu_util msgs_per_core_s\n")
        for r in steps:
            lat = r["latency_us"]
            f.write("%d %.1f %.9f %.1f %.1f %.1f %.3f %.1f\n" % (
                r["offered_msgs_per_s"], r["msgs_per_s"], r["loss"], lat["p50"], lat["p99"],
                lat["p999"], r["balancer_cpu_util"] or 0, r["msgs_per_core_s"] or 0))
EOF
exit 0
