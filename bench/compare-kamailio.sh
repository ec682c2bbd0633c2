#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# sipsteer next to Kamailio 5.6 (dispatcher, algorithm 0 = Call-ID hash, stateless forward()),
# in one run, on this machine, with the same load, the same backends and the same core.
#
#   bench/compare-kamailio.sh [--build DIR] [--sipsteer-port memif|tap] [--idle-sleep-us N]
#                             [--step-s N] [--start-rate N] [--factor F] [--max-steps N]
#                             [--systems "sipsteer kamailio"] [--load-cpu N]
#                             [--balancer-cpu N] [--data DIR] [--plot DIR]
#
# Topology (scripts/lib/topology.sh, a private `unshare --net --mount` namespace): Kamailio runs
# in netns kam (198.18.0.11) on a bridge; the load tool drives it over UDP sockets from netns
# client (198.18.0.1) and opens its three backend sockets in netns be1..be3 (198.18.0.21-23), so
# one single-threaded process is both client and backends and checks every message of every
# call. sipsteer (VIP 198.18.0.10, same backend addresses) gets, by --sipsteer-port:
#   memif (default)  a net_memif server port (bench/lib/memif.sh); the load tool drives it
#                    through a DPDK port (`sipsteer-bench load --dpdk net_memif...,role=client`)
#                    as client and backends, no kernel in the path
#   tap              the tap sst0 on the same bridge, driven over sockets like Kamailio
# With memif the two I/O paths differ by design (DPDK port against kernel sockets): each
# system gets the path it would get in production on this machine.
#
# Cores: the load tool is pinned to --load-cpu (default 0), the balancer to --balancer-cpu
# (default 1): sipsteer with one worker (its control lcore on the same CPU) that sleeps up to
# --idle-sleep-us (default 100; 0 = busy polling) when idle, Kamailio with -n 1 (one UDP
# receiver process, plus its timer processes on the same CPU).
#
# The offered load starts at --start-rate calls/s (7 messages each; default 2000, at most
# 10000000) and grows by --factor each (default 1.4, above 1, at most 10) step of --step-s seconds
# (default 3, at most 86400), at most --max-steps (default 12, at most 100) steps, none of them
# above 16777216 calls. A system's steps end when message loss exceeds 0.1 %, when the load
# tool itself cannot keep the offered rate, or after --max-steps. With tap the systems take
# turns at each rate (the one not measured is stopped with SIGSTOP, so it takes no CPU), then
# one step at half of each one's highest loss-free rate measures latency. With memif, DPDK
# 22.11's memif driver can crash the server when the client disconnects, so all of sipsteer's
# steps run in one load tool process (--steps; whether sipsteer outlived the disconnect is
# recorded), sipsteer is stopped, and Kamailio's steps follow; latency at half load is then the
# recorded step nearest half the highest loss-free rate, for both systems. The balancer's CPU
# time per step is the utime + stime delta (/proc/PID/stat) of all its threads and processes.
# Prints one JSON object on stdout; --data DIR also writes it (compare.json) and one TSV per
# system for bench/plot/*.gp; --plot DIR draws throughput.png, latency.png and cpu.png there
# with gnuplot.
#
# Needs root, unshare, ip, taskset, python3, kamailio and the built sipsteer and sipsteer-bench.
# Exit status: 0 done, 1 a system did not start or a step failed to run, 2 bad arguments,
# 77 a prerequisite is missing.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SIPSTEER_BUILD:-$ROOT/build}
PORT=memif
IDLE_US=100
STEP_S=3
START_RATE=2000
FACTOR=1.4
MAX_STEPS=12
SYSTEMS="sipsteer kamailio"
DATA_DIR=""
PLOT_DIR=""
LOAD_CPU=0
BAL_CPU=1
LOSS_LIMIT=0.001
ARGS=("$@") # for the re-exec inside the private namespaces

# The synopsis (after a bad argument), or with --help the whole comment above.
usage() {
	sed -n '7,10p' "$0" | sed 's/^# \{0,1\}//'
}

help() {
	sed -n '4,/^set -u/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'
}

# shellcheck source=bench/lib/steps.sh
. "$ROOT/bench/lib/steps.sh"
STEPS_NAME=compare-kamailio

while [ $# -gt 0 ]; do
	case $1 in
	--sipsteer-port) [ $# -ge 2 ] || steps_die "$1 needs a value"
		PORT=$2 && shift ;;
	--systems) [ $# -ge 2 ] || steps_die "$1 needs a value"
		SYSTEMS=$2 && shift ;;
	--plot) [ $# -ge 2 ] || steps_die "$1 needs a value"
		PLOT_DIR=$2 && shift ;;
	-h | --help) help && exit 0 ;;
	*)
		steps_option $# "$@" || { usage >&2 && steps_die "unknown argument '$1'"; }
		shift ;;
	esac
	shift
done
[ "$PORT" = memif ] || [ "$PORT" = tap ] ||
	steps_die "--sipsteer-port '$PORT': want memif or tap"
steps_check
for s in $SYSTEMS; do
	[ "$s" = sipsteer ] || [ "$s" = kamailio ] || steps_die "--systems: unknown system '$s'"
done
[ -n "${SYSTEMS// /}" ] || steps_die "--systems '$SYSTEMS': name at least one of sipsteer, kamailio"

SIPSTEER=$BUILD/dataplane/sipsteer
BENCH=$BUILD/bench/sipsteer-bench
KAM_DIR=$ROOT/bench/peers/kamailio
KAM_IP=198.18.0.11

skip() {
	echo "compare-kamailio: skipped: $*" >&2
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, DPDK)"
for tool in unshare ip taskset python3; do
	command -v "$tool" >/dev/null || skip "$tool is missing"
done
[[ " $SYSTEMS " != *" kamailio "* ]] || command -v kamailio >/dev/null ||
	skip "kamailio is missing (scripts/install-deps.sh installs it)"
[ -x "$BENCH" ] || skip "no $BENCH (build it first, or give --build DIR)"
[[ " $SYSTEMS " != *" sipsteer "* ]] || [ -x "$SIPSTEER" ] || skip "no $SIPSTEER"
if [ -n "$PLOT_DIR" ]; then
	command -v gnuplot >/dev/null || skip "gnuplot is missing (Debian: gnuplot-nox)"
	[ -n "$DATA_DIR" ] || DATA_DIR=$PLOT_DIR
fi
if [ "$(nproc)" -lt 2 ]; then
	LOAD_CPU=0
	BAL_CPU=0
fi

# shellcheck source=scripts/lib/topology.sh
. "$ROOT/scripts/lib/topology.sh"
topo_enter "${ARGS[@]}"
topo_up
topo_add_host kam "$KAM_IP"
TICKS=$(getconf CLK_TCK)
# shellcheck source=bench/lib/memif.sh
. "$ROOT/bench/lib/memif.sh"
MEMIF_LOG_NAME=compare-kamailio
SURVIVED=""        # memif: 1 if sipsteer outlived the stepped run's disconnect, 0 if not
WARMUP_SURVIVED="" # memif: the same for each warm-up run's disconnect, one word per run

log() {
	printf 'compare-kamailio: %s\n' "$*" >&2
}

# CPU ticks "utime stime" of the given processes, every thread included.
cpu_ticks() {
	local p u=0 s=0 t
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		# fields after the command name: state is 1, utime 12, stime 13
		t=$(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12, $13}') || continue
		u=$((u + ${t% *}))
		s=$((s + ${t#* }))
	done
	echo "$u $s"
}

balancer_pids() {
	case $1 in
	sipsteer) echo "$TOPO_SIPSTEER_PID" ;;
	kamailio) ip netns pids kam ;;
	esac
}

target_of() {
	case $1 in
	sipsteer) echo "$TOPO_VIP:5060" ;;
	kamailio) echo "$KAM_IP:5060" ;;
	esac
}

# run_step SYSTEM RATE SECONDS: one load run; prints the load tool's JSON with the balancer's
# CPU seconds and the wall time added (one line).
run_step() {
	local sys=$1 rate=$2 secs=$3 pids t0 t1 w0 w1 out i
	local uas=()
	for i in "${!TOPO_BACKENDS[@]}"; do
		uas+=(--uas "${TOPO_BACKEND_IPS[$i]}:5060@${TOPO_BACKENDS[$i]}")
	done
	# shellcheck disable=SC2207
	pids=($(balancer_pids "$sys"))
	t0=$(cpu_ticks "${pids[@]}")
	w0=$(date +%s.%N)
	out=$(ip netns exec client taskset -c "$LOAD_CPU" "$BENCH" load --uac "$(target_of "$sys")" \
		--local "${TOPO_CLIENT_IPS[0]}" "${uas[@]}" --rate "$rate" --duration "$secs" \
		--drain-ms 500 --json --quiet 2>>"$TOPO_DIR/load.log") || return 1
	w1=$(date +%s.%N)
	t1=$(cpu_ticks "${pids[@]}")
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
u0, s0 = map(int, sys.argv[2].split())
u1, s1 = map(int, sys.argv[3].split())
hz = int(sys.argv[4])
d["cpu_s"] = (u1 - u0 + s1 - s0) / hz
d["cpu_user_s"] = (u1 - u0) / hz
d["cpu_system_s"] = (s1 - s0) / hz
d["wall_s"] = float(sys.argv[6]) - float(sys.argv[5])
print(json.dumps(d))' "$out" "$t0" "$t1" "$TICKS" "$w0" "$w1"
}

# Summary of one step for the log and the stop rule: "loss generator_limited".
step_verdict() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
rate = d["offered_calls_per_s"]
print("%.9f %d" % (d["loss"], d["calls_per_s"] < 0.97 * rate))' "$1"
}

# Only the measured system runs: the other one is stopped (SIGSTOP) so that it takes no CPU.
focus() {
	local sys=$1 other pids
	for other in $SYSTEMS; do
		# shellcheck disable=SC2207
		pids=($(balancer_pids "$other"))
		[ ${#pids[@]} -gt 0 ] || continue
		if [ "$other" = "$sys" ]; then
			kill -CONT "${pids[@]}" 2>/dev/null
		else
			kill -STOP "${pids[@]}" 2>/dev/null
		fi
	done
}

# step SYSTEM RATE: one recorded step; sets STOP[SYSTEM] when the system is done.
step() {
	local sys=$1 rate=$2 line loss gen
	focus "$sys"
	line=$(run_step "$sys" "$rate" "$STEP_S") || return 1
	echo "$line" >>"$TOPO_DIR/$sys.steps"
	read -r loss gen <<<"$(step_verdict "$line")"
	log "$sys: offered $rate calls/s: loss $loss, generator-limited $gen"
	if python3 -c "import sys; sys.exit(not $loss > $LOSS_LIMIT)"; then
		STOP[$sys]=loss
		return 0
	fi
	BEST[$sys]=$rate
	[ "$gen" = 0 ] || STOP[$sys]=generator
}

# measure_all "SYSTEMS" HALF: the stepped run over sockets, the systems taking turns at each
# offered rate (so that the other work on this machine falls on all alike). Writes
# $TOPO_DIR/SYSTEM.steps (one JSON per line), SYSTEM.half (with HALF=1, a step at half the
# highest loss-free rate; else left empty) and SYSTEM.stop (why its steps ended).
declare -A STOP BEST
measure_all() {
	local systems=$1 half=$2 sys rate=$START_RATE n=0 active pids
	for sys in $systems; do
		: >"$TOPO_DIR/$sys.steps"
		: >"$TOPO_DIR/$sys.half"
		BEST[$sys]=0
		# warm-up: neighbours learned, caches hot; not recorded
		focus "$sys"
		run_step "$sys" 500 1 >/dev/null || return 1
	done
	while [ "$n" -lt "$MAX_STEPS" ]; do
		active=0
		for sys in $systems; do
			[ -z "${STOP[$sys]:-}" ] || continue
			active=1
			sleep 1
			step "$sys" "$rate" || return 1
		done
		[ "$active" = 1 ] || break
		n=$((n + 1))
		rate=$(python3 -c "print(int($rate * $FACTOR))")
	done
	for sys in $systems; do
		echo "${STOP[$sys]:-max_steps}" >"$TOPO_DIR/$sys.stop"
		if [ "$half" != 1 ] || [ "${BEST[$sys]}" -eq 0 ]; then
			continue
		fi
		sleep 1
		focus "$sys"
		rate=$((BEST[$sys] / 2 > 0 ? BEST[$sys] / 2 : 1))
		run_step "$sys" "$rate" "$STEP_S" >"$TOPO_DIR/$sys.half" || return 1
		log "$sys: half load $rate calls/s done"
	done
	for sys in $systems; do
		# shellcheck disable=SC2207
		pids=($(balancer_pids "$sys"))
		[ ${#pids[@]} -eq 0 ] || kill -CONT "${pids[@]}" 2>/dev/null
	done
}

# The built-in configuration (docs/config.md) with probing off, as Kamailio runs without
# dispatcher pings: between two steps no backend listens, and both must keep all backends.
write_sipsteer_config() {
	local i
	cat <<-YAML
		ports:
		  - name: lan0
		    device: "net_tap0,iface=$TOPO_TAP"
		workers: 1
		idle_sleep_us: $IDLE_US
		listen:
		  ipv4: $TOPO_VIP/$TOPO_PREFIX
		  sip_ports: [5060]
		backends:
	YAML
	for i in "${!TOPO_BACKENDS[@]}"; do
		printf '  - name: %s\n    address: %s:5060\n' "${TOPO_BACKENDS[$i]}" \
			"${TOPO_BACKEND_IPS[$i]}"
	done
	cat <<-YAML
		sip:
		  secret: "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
		probe:
		  enabled: false
	YAML
}

start_kamailio() {
	topo_spawn kam kamailio bash -c "cd '$KAM_DIR' && exec taskset -c $BAL_CPU kamailio \
		-f kamailio.cfg -w '$KAM_DIR' -DD -E -n 1 -m 256 -M 16 -P '$TOPO_DIR/kamailio.pid'"
	KAM_PID=$TOPO_LAST_PID
	topo_wait 20 kam_bound || {
		log "kamailio did not bind $KAM_IP:5060; its log:"
		tail -n 20 "$TOPO_DIR/kamailio.log" >&2
		return 1
	}
}

# shellcheck disable=SC2317 # called through topo_wait
kam_bound() {
	ip netns exec kam ss -Hlun "src $KAM_IP:5060" 2>/dev/null | grep -q .
}

# memif: a warm-up run (not recorded; sipsteer restarted, up to 3 times, if the warm-up's
# disconnect killed it), then sipsteer's steps, all in one load tool process over one memif
# connection, then sipsteer stopped. Writes sipsteer.steps (the socket run's line format),
# sipsteer.stop and an empty sipsteer.half; sets WARMUP_SURVIVED ("0 1": one word per try) and
# SURVIVED.
measure_sipsteer_memif() {
	local try
	for try in 1 2 3; do
		log "starting sipsteer (1 worker on net_memif, idle_sleep_us $IDLE_US, on CPU $BAL_CPU)"
		memif_sipsteer_start "$SIPSTEER" "$BAL_CPU" "$IDLE_US" || return 1
		if ! memif_warmup "$BENCH" "$LOAD_CPU"; then
			log "the load tool's warm-up failed; its log:"
			tail -n 20 "$TOPO_DIR/load.log" >&2
			return 1
		fi
		memif_check_survival
		WARMUP_SURVIVED="${WARMUP_SURVIVED:+$WARMUP_SURVIVED }$MEMIF_SURVIVED"
		[ "$MEMIF_SURVIVED" = 0 ] || break
		log "sipsteer died when the warm-up disconnected (try $try of 3)"
		topo_sipsteer_stop
	done
	[ "$MEMIF_SURVIVED" = 1 ] || return 1
	log "sipsteer: at most $MAX_STEPS steps from $START_RATE calls/s in one load tool process"
	if ! memif_steps "$BENCH" "$LOAD_CPU" "$START_RATE" "$STEP_S" "$MAX_STEPS" "$FACTOR" \
		"$LOSS_LIMIT" "$TOPO_DIR/sipsteer.raw"; then
		log "the load tool failed; its log:"
		tail -n 20 "$TOPO_DIR/load.log" >&2
		return 1
	fi
	memif_check_survival
	SURVIVED=$MEMIF_SURVIVED
	log "sipsteer survived the load tool's disconnect: $SURVIVED"
	topo_sipsteer_stop
	memif_steps_to_lines "$TOPO_DIR/sipsteer.raw" "$TOPO_DIR/sipsteer.steps" || return 1
	: >"$TOPO_DIR/sipsteer.half"
	# the load tool's --stop-loss applies the rule of step(): name what ended the steps
	python3 - "$TOPO_DIR/sipsteer.steps" "$LOSS_LIMIT" >"$TOPO_DIR/sipsteer.stop" <<-'EOF'
		import json, sys
		with open(sys.argv[1]) as f:
		    steps = [json.loads(l) for l in f if l.strip()]
		for d in steps:
		    print("compare-kamailio: sipsteer: offered %d calls/s: loss %.9f, %.0f msgs/s"
		          % (d["offered_calls_per_s"], d["loss"], d["msgs_per_s"]), file=sys.stderr)
		last = steps[-1] if steps else None
		if not last:
		    print("no_steps")
		elif last["loss"] > float(sys.argv[2]):
		    print("loss")
		elif last["calls_per_s"] < 0.97 * last["offered_calls_per_s"]:
		    print("generator")
		else:
		    print("max_steps")
	EOF
}

start_balancers_tap() {
	local sys
	for sys in $SYSTEMS; do
		case $sys in
		sipsteer)
			log "starting sipsteer (1 worker on net_tap, idle_sleep_us $IDLE_US, on CPU $BAL_CPU)"
			write_sipsteer_config >"$TOPO_DIR/sipsteer.yaml"
			topo_sipsteer_start "$SIPSTEER" --config "$TOPO_DIR/sipsteer.yaml" \
				-- "--lcores=0@$BAL_CPU,1@$BAL_CPU" || return 1
			# EAL's own threads too (interrupts, multi-process): every thread on the one CPU
			taskset -a -p -c "$BAL_CPU" "$TOPO_SIPSTEER_PID" >/dev/null
			;;
		kamailio)
			log "starting kamailio (-n 1, on CPU $BAL_CPU)"
			start_kamailio || return 1
			;;
		esac
	done
}

if [ "$PORT" = tap ]; then
	start_balancers_tap || exit 1
	if ! measure_all "$SYSTEMS" 1; then
		log "a step failed to run; load tool log:"
		tail -n 20 "$TOPO_DIR/load.log" >&2
		exit 1
	fi
	if [[ " $SYSTEMS " == *" sipsteer "* ]]; then
		topo_stats >/dev/null && cp "$TOPO_STATS" "$TOPO_DIR/sipsteer-stats.json"
		topo_sipsteer_stop
	fi
else
	# sipsteer first and alone (Kamailio not started yet), then Kamailio alone (sipsteer gone)
	if [[ " $SYSTEMS " == *" sipsteer "* ]]; then
		measure_sipsteer_memif || exit 1
	fi
	if [[ " $SYSTEMS " == *" kamailio "* ]]; then
		log "starting kamailio (-n 1, on CPU $BAL_CPU)"
		start_kamailio || exit 1
		if ! measure_all kamailio 0; then
			log "a step failed to run; load tool log:"
			tail -n 20 "$TOPO_DIR/load.log" >&2
			exit 1
		fi
	fi
fi
[[ " $SYSTEMS " != *" kamailio "* ]] || topo_kill "$KAM_PID"

[ -z "$DATA_DIR" ] || mkdir -p "$DATA_DIR"
# shellcheck disable=SC2086 # one argument per system
if ! python3 - "$TOPO_DIR" "$DATA_DIR" "$LOSS_LIMIT" "$STEP_S" "$START_RATE" "$FACTOR" \
	"$LOAD_CPU" "$BAL_CPU" "$PORT" "$IDLE_US" "$SURVIVED" "$WARMUP_SURVIVED" "$MAX_STEPS" $SYSTEMS <<'EOF'
import json, os, platform, shutil, sys

topo, data_dir, loss_limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
step_s, start_rate, factor = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
load_cpu, bal_cpu = int(sys.argv[7]), int(sys.argv[8])
port, idle_us, survived = sys.argv[9], int(sys.argv[10]), sys.argv[11]
warmup_survived = [w == "1" for w in sys.argv[12].split()]
max_steps, systems = int(sys.argv[13]), sys.argv[14:]

PORTS = {
    "memif": "net_memif server port (DPDK); sipsteer-bench load --dpdk "
             "net_memif0,role=client on the other end is client and backends",
    "tap": "net_tap port sst0 on the bridge; sipsteer-bench load over kernel UDP sockets "
           "(netns client, be1..be3)",
    "kamailio": "kernel UDP sockets (netns kam on the bridge); sipsteer-bench load over "
                "kernel UDP sockets (netns client, be1..be3)",
}

def lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def cpu_model():
    with open("/proc/cpuinfo") as f:
        for l in f:
            if l.startswith("model name"):
                return l.split(":", 1)[1].strip()
    return platform.processor()

def step_row(d):
    delivered = d["messages"]["delivered"]
    return {
        "offered_calls_per_s": d["offered_calls_per_s"],
        "offered_msgs_per_s": 7 * d["offered_calls_per_s"],
        "calls_per_s": round(d["calls_per_s"], 1),
        "msgs_per_s": round(d["msgs_per_s"], 1),
        "loss": d["loss"],
        "call_loss": d["call_loss"],
        "latency_us": d["latency_us"],
        "balancer_cpu_s": round(d["cpu_s"], 3),
        "balancer_cpu_user_s": round(d["cpu_user_s"], 3),
        "balancer_cpu_system_s": round(d["cpu_system_s"], 3),
        "balancer_cpu_util": round(d["cpu_s"] / d["wall_s"], 3) if d["wall_s"] else None,
        "msgs_per_core_s": round(delivered / d["cpu_s"], 1) if d["cpu_s"] > 0 else None,
        # the balancer's own code only: the kernel's socket, tap and bridge work left out
        "msgs_per_user_core_s": (round(delivered / d["cpu_user_s"], 1)
                                 if d["cpu_user_s"] > 0 else None),
        "errors": d["errors"],
    }

out = {
    "machine": {"cpu_model": cpu_model(), "cores": os.cpu_count(),
                "kernel": platform.release()},
    "settings": {"step_s": step_s, "start_calls_per_s": start_rate, "factor": factor,
                 "max_steps": max_steps, "loss_limit": loss_limit, "load_cpu": load_cpu,
                 "balancer_cpu": bal_cpu, "messages_per_call": 7, "sipsteer_port": port,
                 "sipsteer_idle_sleep_us": idle_us,
                 "order": ("the systems take turns at each offered rate" if port == "tap" else
                           "all of sipsteer's steps in one load tool process (one memif "
                           "connection), then Kamailio's steps"),
                 "half_load": ("a separate step at half the highest loss-free rate"
                               if port == "tap" else
                               "the recorded step nearest half the highest loss-free rate")},
    "systems": {},
}
if port == "memif":
    out["note"] = ("the I/O paths differ by design: sipsteer on a DPDK port (net_memif, no "
                   "kernel in its path), Kamailio on kernel UDP sockets; same load, same "
                   "schedule, same stop rule, same core; each system on the path it would "
                   "use in production on this machine")
for s in systems:
    steps = [step_row(d) for d in lines(os.path.join(topo, s + ".steps"))]
    with open(os.path.join(topo, s + ".stop")) as f:
        stop = f.read().strip()
    half = lines(os.path.join(topo, s + ".half"))
    ok = [r for r in steps if r["loss"] <= loss_limit]
    best = max(ok, key=lambda r: r["msgs_per_s"]) if ok else None
    if half:
        half_row = step_row(half[0])
    elif best:
        target = best["offered_calls_per_s"] / 2
        half_row = min(ok, key=lambda r: abs(r["offered_calls_per_s"] - target))
    else:
        half_row = None
    out["systems"][s] = {
        "port": PORTS[port if s == "sipsteer" else s],
        "stopped_by": stop,
        "max_loss_free_msgs_per_s": best["msgs_per_s"] if best else 0,
        "at_offered_calls_per_s": best["offered_calls_per_s"] if best else 0,
        "msgs_per_core_s": best["msgs_per_core_s"] if best else None,
        "msgs_per_user_core_s": best["msgs_per_user_core_s"] if best else None,
        "balancer_cpu_util": best["balancer_cpu_util"] if best else None,
        "half_load": half_row,
        "steps": steps,
    }
    if s == "sipsteer":
        out["systems"][s]["idle_sleep_us"] = idle_us
        if port == "memif":
            # the stepped run's disconnect, and each warm-up run's before it
            out["systems"][s]["survived_disconnect"] = survived == "1"
            out["systems"][s]["warmup_survived_disconnect"] = warmup_survived
        stats = os.path.join(topo, "sipsteer-stats.json")
        if data_dir and os.path.exists(stats):
            shutil.copyfile(stats, os.path.join(data_dir, "sipsteer-stats.json"))
    if data_dir:
        with open(os.path.join(data_dir, s + ".tsv"), "w") as f:
            f.write("# offered_msgs_per_s msgs_per_s loss p50_us p99_us p999_us "
                    "cpu_util msgs_per_core_s\n")
            for r in steps:
                lat = r["latency_us"]
                f.write("%d %.1f %.9f %.1f %.1f %.1f %.3f %.1f\n" % (
                    r["offered_msgs_per_s"], r["msgs_per_s"], r["loss"], lat["p50"],
                    lat["p99"], lat["p999"], r["balancer_cpu_util"] or 0,
                    r["msgs_per_core_s"] or 0))
if "sipsteer" in out["systems"] and "kamailio" in out["systems"]:
    a, b = out["systems"]["sipsteer"], out["systems"]["kamailio"]
    def ratio(x, y):
        return round(x / y, 2) if x and y else None
    out["ratio"] = {
        "max_loss_free_msgs_per_s": ratio(a["max_loss_free_msgs_per_s"],
                                          b["max_loss_free_msgs_per_s"]),
        "msgs_per_core_s": ratio(a["msgs_per_core_s"], b["msgs_per_core_s"]),
        "msgs_per_user_core_s": ratio(a["msgs_per_user_core_s"], b["msgs_per_user_core_s"]),
    }
    out["goal"] = {"msgs_per_core_s_ratio": 10,
                   "met": bool(out["ratio"]["msgs_per_core_s"] and
                               out["ratio"]["msgs_per_core_s"] >= 10)}
text = json.dumps(out, indent=1)
print(text)
if data_dir:
    with open(os.path.join(data_dir, "compare.json"), "w") as f:
        f.write(text + "\n")
EOF
then
	exit 1
fi

if [ -n "$PLOT_DIR" ]; then
	mkdir -p "$PLOT_DIR"
	for gp in throughput latency cpu; do
		gnuplot -e "data='$DATA_DIR'; out='$PLOT_DIR/$gp.png'; port='net_$PORT'" \
			"$ROOT/bench/plot/$gp.gp" || log "gnuplot failed on $gp.gp"
	done
fi
exit 0
