#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The daemon's start, when it goes wrong or is cut short: a device the EAL cannot parse and one
# whose driver refuses it each end in exit 1 with a message that points at the reason, and
# leave no EAL runtime directory; an unknown EAL option dumps no option list; too little memory
# for the mbuf pool says how to give more; a stop asked for during the start (SIGTERM) ends in
# exit 0 with the control socket and the runtime directory removed; a reload asked for during
# the start (SIGHUP) does not kill it; more lcores than CPUs draws a warning. No traffic is sent.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
fails=0
W=$TOPO_DIR/startup

mkdir -p "$W"
# config FILE DEVICE: a one-port configuration on DEVICE, its control socket in $W.
config() {
	cat >"$1" <<YAML
ports:
  - name: lan0
    device: "$2"
listen:
  ipv4: 198.18.0.10/24
backends:
  - name: be1
    address: 198.18.0.21:5060
probe:
  enabled: false
control:
  api_socket: $W/api.sock
  metrics: ""
YAML
}

bad() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# start NAME ARGS...: run the daemon in the background, its stderr in $W/NAME.log; sets $pid.
start() {
	local name=$1
	shift
	"$SIPSTEER_BIN" "$@" >"$W/$name.out" 2>"$W/$name.log" </dev/null &
	pid=$!
}

# finish NAME WANT: wait for $pid, check its exit status, the socket and its runtime directory.
finish() {
	local name=$1 want=$2 rc
	wait "$pid"
	rc=$?
	[ "$rc" -eq "$want" ] || bad "$name: exit status $rc, expected $want ($(tail -n 3 "$W/$name.log" | tr '\n' ' '))"
	[ ! -e "/run/dpdk/sipsteer-$pid" ] || bad "$name: /run/dpdk/sipsteer-$pid left behind"
	[ ! -S "$W/api.sock" ] || bad "$name: control socket left behind"
}

# blocked: wait (up to 10 s) until $pid has reached its start proper, where SIGTERM and SIGHUP
# wait for the handlers (blocked: bits 14 and 0 of SigBlk). Before that the process is still
# being loaded, and a signal kills it as it would any program: not what is tested here.
blocked() {
	local mask
	for _ in $(seq 1000); do
		mask=$(awk '$1 == "SigBlk:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
		[ -n "$mask" ] && [ $((0x$mask & 0x4001)) -eq $((0x4001)) ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# expect NAME PATTERN: the daemon's stderr matches the extended regex.
expect() {
	grep -Eq -- "$2" "$W/$1.log" || bad "$1: stderr does not match /$2/: $(tail -n 3 "$W/$1.log" | tr '\n' ' ')"
}

# A vdev the EAL cannot parse: its own line names it, ours says where to look.
config "$W/nosuch.yaml" net_nosuch0
start nosuch --config "$W/nosuch.yaml"
finish nosuch 1
expect nosuch "Unable to parse device 'net_nosuch0'"
expect nosuch "EAL start failed: .*the EAL's reason is in the lines above"

# An EAL option the EAL does not know: no option list dumped on stdout, a line that says
# where the refused argument came from.
start badeal --config "$W/nosuch.yaml" -- --bogus-eal-option
finish badeal 1
expect badeal "EAL start failed: Invalid argument: an argument of the 'starting EAL' line above was refused"
[ ! -s "$W/badeal.out" ] || bad "badeal: stdout has $(wc -l <"$W/badeal.out") lines: $(head -n 2 "$W/badeal.out" | tr '\n' ' ')"

# A tap on an interface that exists and is no tap: the driver refuses it at probe.
config "$W/lo.yaml" "net_tap0,iface=lo"
start lo --config "$W/lo.yaml"
finish lo 1
expect lo "port lan0: device 'net_tap0,iface=lo' did not start \(its driver's reason is in the EAL lines above\)"

# Too little memory for the mbuf pool: the line says how to give more.
config "$W/tap.yaml" "net_tap0,iface=sst0"
start small --config "$W/tap.yaml" -- -m 24
finish small 1
expect small "mbuf pool \([0-9]+ mbufs of [0-9]+ bytes for 1 workers\): .*-- -m MB"

# A stop asked for during the start, at a few moments of it: a clean exit 0 every time.
for delay in 0 0.02 0.1 0.25; do
	start "term-$delay" --config "$W/tap.yaml"
	blocked || bad "term-$delay: the daemon did not reach its start ($(tail -n 3 "$W/term-$delay.log" | tr '\n' ' '))"
	sleep "$delay"
	kill -TERM "$pid"
	finish "term-$delay" 0
done

# A reload asked for during the start: the daemon comes up and stays up.
start hup --config "$W/tap.yaml"
blocked || bad "hup: the daemon did not reach its start"
sleep 0.1
kill -HUP "$pid"
for _ in $(seq 100); do
	grep -q '^sipsteer: ready' "$W/hup.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$pid" 2>/dev/null && grep -q '^sipsteer: ready' "$W/hup.log"; then
	kill -TERM "$pid"
	finish hup 0
else
	bad "hup: the daemon did not survive a SIGHUP during its start"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
fi

# More lcores than CPUs: the start says they take turns (here one worker and the control
# thread on one CPU).
if command -v taskset >/dev/null; then
	taskset -c 0 "$SIPSTEER_BIN" --config "$W/tap.yaml" >"$W/onecpu.out" 2>"$W/onecpu.log" </dev/null &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	finish onecpu 0
	expect onecpu "warning: 1 workers and the control thread share 1 CPU: busy-polling workers take turns"
fi

[ "$fails" -eq 0 ] || e2e_fail "$fails startup checks failed"
e2e_ok "bad devices, a short pool, SIGTERM and SIGHUP during the start"
