# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# sipsteer on a net_memif port, driven by `sipsteer-bench load --dpdk` on the other end: the
# shell code that bench/compare-kamailio.sh (--sipsteer-port memif) and bench/memif-sipsteer.sh
# share. Source it after scripts/lib/topology.sh and after topo_enter (it needs TOPO_DIR,
# topo_wait and topo_alive), then:
#
#   memif_sipsteer_start BIN CPU IDLE_US
#                   write the config, start sipsteer on the memif server end with every
#                   thread on CPU, wait for "ready"; sets TOPO_SIPSTEER_PID and TOPO_STATS
#   memif_steps BENCH CPU RATE STEP_S STEPS FACTOR LOSS OUT
#                   every step in one load tool process on CPU (the memif client end), one
#                   JSON object per step in OUT, the tool's stderr in $TOPO_DIR/load.log
#   memif_warmup BENCH CPU
#                   a short run that is not recorded (sipsteer learns the neighbours)
#   memif_check_survival
#                   after the load tool's exit: MEMIF_SURVIVED=1 if sipsteer is still alive
#                   (its stats then in $TOPO_DIR/sipsteer-stats.json), else 0
#   memif_steps_to_lines IN OUT
#                   the load tool's step objects as one JSON line each, with the CPU fields
#                   of bench/compare-kamailio.sh (cpu_s, cpu_user_s, cpu_system_s, wall_s)
#
# No bridge, no tap: sipsteer owns the memif server end (VIP 198.18.0.10/24, backends
# 198.18.0.21-23:5060, probing off), the load tool the client end (client 198.18.0.1 and the
# three backends in one process: it answers sipsteer's ARP for all four and resolves the VIP).
# The socket lies in the run's private $TOPO_DIR (and DPDK 22.11's memif makes it an abstract
# socket, so it is private to the run's network namespace too).
#
# DPDK 22.11's memif PMD can crash the server's worker when the client disconnects while the
# worker polls (the regions are unmapped under it, docs/performance.md): hence one load tool
# process, one connection, for every step, and a record of whether sipsteer outlived its exit.

# shellcheck disable=SC2034 # read by the scripts that source this file
MEMIF_VIP=198.18.0.10
MEMIF_PREFIX=24
MEMIF_CLIENT_IP=198.18.0.1
MEMIF_BACKEND_IPS=(198.18.0.21 198.18.0.22 198.18.0.23)
MEMIF_SURVIVED=""
# log2 of the memif rings' size: 4096 slots each way (DPDK's default is 1024), so that a
# scheduling stall of the load tool on its shared core does not overflow sipsteer's TX ring
# (counted tx_full) at once; Kamailio's socket buffers are raised likewise (maxbuffer).
MEMIF_RSIZE=12

memif_socket() {
	printf '%s/memif.sock\n' "$TOPO_DIR"
}

memif_log() {
	printf '%s: %s\n' "${MEMIF_LOG_NAME:-memif}" "$*" >&2
}

# memif_config IDLE_US: sipsteer's YAML, the built-in configuration with probing off (no
# backend listens between two load tool runs, and Kamailio runs without pings too).
memif_config() {
	local idle_us=$1 i
	cat <<-YAML
		ports:
		  - name: lan0
		    device: "net_memif0,role=server,rsize=$MEMIF_RSIZE,socket=$(memif_socket)"
		workers: 1
		idle_sleep_us: $idle_us
		listen:
		  ipv4: $MEMIF_VIP/$MEMIF_PREFIX
		  sip_ports: [5060]
		backends:
	YAML
	for i in "${!MEMIF_BACKEND_IPS[@]}"; do
		printf '  - name: be%d\n    address: %s:5060\n' $((i + 1)) "${MEMIF_BACKEND_IPS[$i]}"
	done
	cat <<-YAML
		sip:
		  secret: "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
		probe:
		  enabled: false
	YAML
}

memif_ready_logged() {
	grep -q '^sipsteer: ready' "$TOPO_DIR/sipsteer.log" 2>/dev/null
}

memif_sipsteer_start() {
	local bin=$1 cpu=$2 idle_us=$3
	memif_config "$idle_us" >"$TOPO_DIR/sipsteer.yaml"
	TOPO_STATS="$TOPO_DIR/stats.json"
	"$bin" --config "$TOPO_DIR/sipsteer.yaml" --stats-file "$TOPO_STATS" \
		-- "--lcores=0@$cpu,1@$cpu" </dev/null >"$TOPO_DIR/sipsteer.log" 2>&1 &
	TOPO_SIPSTEER_PID=$!
	if ! topo_wait 20 memif_ready_logged || ! topo_alive "$TOPO_SIPSTEER_PID"; then
		memif_log "sipsteer did not start; its log:"
		tail -n 20 "$TOPO_DIR/sipsteer.log" >&2
		return 1
	fi
	# EAL's own threads too (interrupts, memif socket): every thread on the one CPU
	taskset -a -p -c "$cpu" "$TOPO_SIPSTEER_PID" >/dev/null
}

# Its CPU figures come from the tool (--cpu-of), read before and after each step while the
# memif is still connected; the tool ends the steps by the rule of bench/compare-kamailio.sh
# (loss above LOSS, or less than 97 % of the offered rate sent).
memif_steps() {
	local bench=$1 cpu=$2 rate=$3 step_s=$4 steps=$5 factor=$6 loss=$7 out=$8 ip
	local uas=()
	for ip in "${MEMIF_BACKEND_IPS[@]}"; do
		uas+=(--uas "$ip:5060")
	done
	taskset -c "$cpu" "$bench" load --dpdk "net_memif0,role=client,rsize=$MEMIF_RSIZE,socket=$(memif_socket)" \
		--uac "$MEMIF_VIP:5060" --local "$MEMIF_CLIENT_IP:5070" "${uas[@]}" --rate "$rate" \
		--duration "$step_s" --steps "$steps" --factor "$factor" --stop-loss "$loss" \
		--cpu-of "$TOPO_SIPSTEER_PID" --drain-ms 500 --json >"$out" 2>>"$TOPO_DIR/load.log"
}

# memif_warmup BENCH CPU: one short load tool run, not recorded (as the socket runs of
# bench/compare-kamailio.sh have), so that sipsteer has learned the client's and the backends'
# MACs before the first recorded step: with an idle back-off its first calls otherwise meet
# an empty neighbour table. Costs one more memif disconnect: check memif_check_survival after.
memif_warmup() {
	local bench=$1 cpu=$2 ip
	local uas=()
	for ip in "${MEMIF_BACKEND_IPS[@]}"; do
		uas+=(--uas "$ip:5060")
	done
	taskset -c "$cpu" "$bench" load --dpdk "net_memif0,role=client,rsize=$MEMIF_RSIZE,socket=$(memif_socket)" \
		--uac "$MEMIF_VIP:5060" --local "$MEMIF_CLIENT_IP:5070" "${uas[@]}" --rate 500 \
		--duration 2 --drain-ms 500 --json >"$TOPO_DIR/warmup.json" 2>>"$TOPO_DIR/load.log"
}

memif_check_survival() {
	sleep 1
	MEMIF_SURVIVED=0
	if topo_alive "$TOPO_SIPSTEER_PID"; then
		MEMIF_SURVIVED=1
		topo_stats >/dev/null && cp "$TOPO_STATS" "$TOPO_DIR/sipsteer-stats.json"
		return 0
	fi
	memif_log "sipsteer died when the load tool disconnected; its log and the kernel's word:"
	tail -n 5 "$TOPO_DIR/sipsteer.log" >&2
	dmesg 2>/dev/null | grep -i "rte-worker.*segfault" | tail -n 1 >&2
	return 0
}

memif_steps_to_lines() {
	python3 - "$1" "$2" <<-'EOF'
		import json, sys

		with open(sys.argv[1]) as f:
		    text = f.read()
		dec, pos, rows = json.JSONDecoder(), 0, []
		while True:
		    while pos < len(text) and text[pos].isspace():
		        pos += 1
		    if pos == len(text):
		        break
		    d, pos = dec.raw_decode(text, pos)
		    cpu = d["peer_cpu"]
		    d["cpu_user_s"] = cpu["user_s"]
		    d["cpu_system_s"] = cpu["system_s"]
		    d["cpu_s"] = cpu["user_s"] + cpu["system_s"]
		    # the window --cpu-of covers: the step with its drain
		    d["wall_s"] = d["elapsed_s"]
		    rows.append(json.dumps(d))
		with open(sys.argv[2], "w") as f:
		    f.write("".join(r + "\n" for r in rows))
	EOF
}
