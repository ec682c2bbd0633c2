# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Common part of the end-to-end tests: prerequisites (skip with 77), the private topology
# (scripts/lib/topology.sh), sipp peers and the daemon. A test script does:
#
#   . "$(dirname "$0")/lib.sh"
#   e2e_init "$@"                  # $1 = the sipsteer binary (from meson)
#   e2e_start_sipsteer [ARGS...]   # default config unless --config FILE
#   ...checks...; e2e_ok "summary"

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_DIR/../.." && pwd)
E2E_SCEN="$E2E_DIR/scenarios"
E2E_CHECK=("${PYTHON3:-python3}" "$E2E_DIR/sipcheck.py")
# shellcheck source=scripts/lib/topology.sh
. "$E2E_ROOT/scripts/lib/topology.sh"

e2e_skip() {
	echo "SKIP: $*"
	exit 77
}

e2e_fail() {
	echo "FAIL: $*"
	[ "${#TOPO_NETNS[@]}" -gt 0 ] && topo_drops
	e2e_sipp_errors
	[ -n "${TOPO_DIR:-}" ] && [ -f "$TOPO_DIR/sipsteer.log" ] && {
		echo "--- sipsteer log (last 20 lines)"
		tail -n 20 "$TOPO_DIR/sipsteer.log"
	}
	exit 1
}

# What sipp's error files say, per file: the three most frequent events, Call-IDs and times
# left out (a UAS's end-of-call "receive timeout ..., jumping to label" notes are not errors).
e2e_sipp_errors() {
	[ -n "${TOPO_DIR:-}" ] || return 0
	local f name events
	# An aborted call and what arrived instead; a call whose wait ran out; a message for a call
	# already over; an unexpected request outside any call.
	events="unexpected message for Call-Id '[^']*': [^']*'[^']*'[^']*'[A-Z0-9/.]+ ?[0-9]*"
	events="$events|receive timeout on message [^:]*:[0-9]+ without|Dead call [^']*"
	events="$events|unexpected [A-Z]+ for call"
	for f in "$TOPO_DIR"/*.err; do
		[ -s "$f" ] || continue
		name=$(basename "$f")
		tr -d '\r' <"$f" | grep -oE "$events" |
			sed -E "s/ for Call-Id '[^']*'//; s/ without$//; s/^Dead call [^ ]+/Dead call/" |
			sort | uniq -c | sort -rn | head -n 3 | sed "s|^|sipp errors, $name: |"
	done
}

e2e_ok() {
	echo "PASS: $*"
	exit 0
}

# e2e_init BIN [ARGS...]: check prerequisites, enter the private namespaces, build the topology.
e2e_init() {
	SIPSTEER_BIN=${1:-${SIPSTEER_BIN:-${SIPSTEER_BUILD:-$E2E_ROOT/build}/dataplane/sipsteer}}
	[ "$(id -u)" -eq 0 ] || e2e_skip "needs root (network namespaces)"
	local tool
	for tool in unshare ip sipp python3 ping; do
		command -v "$tool" >/dev/null || e2e_skip "$tool is missing"
	done
	[ -x "$SIPSTEER_BIN" ] || e2e_fail "sipsteer binary not found at $SIPSTEER_BIN"
	SIPSTEER_BIN=$(readlink -f "$SIPSTEER_BIN")
	export SIPSTEER_BIN
	topo_enter "$@"
	topo_up
}

# e2e_start_sipsteer [ARGS...]: start the daemon (its log and stats file live in $TOPO_DIR).
# Without --config it runs configs/embedded.yaml: the built-in configuration with health
# probing off, since the python peers of those tests answer no OPTIONS.
# shellcheck disable=SC2120 # arguments are optional
e2e_start_sipsteer() {
	[[ " $* " == *" --config "* ]] || set -- --config "$E2E_DIR/configs/embedded.yaml" "$@"
	topo_sipsteer_start "$SIPSTEER_BIN" "$@" || e2e_fail "sipsteer did not start"
}

# Arguments for sipcheck.py subcommands that talk to the daemon.
e2e_daemon_args() {
	echo --pid "$TOPO_SIPSTEER_PID" --stats "$TOPO_STATS"
}

# e2e_config NAME: a config file from tests/e2e/configs, with its secret and socket private.
e2e_config() {
	local src="$E2E_DIR/configs/$1.yaml"
	[ -f "$src" ] || e2e_fail "no config $src"
	echo "$src"
}

# e2e_uas NAME SCENARIO [SIPP ARGS...]: a sipp UAS in backend namespace NAME on its address,
# port 5060, tracing every message it sees to $TOPO_DIR/NAME.short. Sets E2E_UAS_PIDS.
# -aa: it answers the daemon's health probes (OPTIONS outside any call) with 200.
E2E_UAS_PIDS=()
e2e_uas() {
	local ns=$1 scen=$2 ip="" i
	shift 2
	for i in "${!TOPO_BACKENDS[@]}"; do
		[ "${TOPO_BACKENDS[$i]}" = "$ns" ] && ip=${TOPO_BACKEND_IPS[$i]}
	done
	topo_spawn "$ns" "uas-$ns" sipp -sf "$E2E_SCEN/$scen" -i "$ip" -p 5060 -nostdin -aa \
		"${TOPO_SIPP_BUF[@]}" \
		-trace_shortmsg -shortmessage_file "$TOPO_DIR/$ns.short" \
		-trace_err -error_file "$TOPO_DIR/$ns.err" "$@"
	E2E_UAS_PIDS+=("$TOPO_LAST_PID")
	E2E_UAS_NS+=("$ns")
}

# Wait until every UAS started with e2e_uas listens on its port (sipp binds at start).
E2E_UAS_NS=()
e2e_uas_ready() {
	local i
	for i in "${!TOPO_BACKENDS[@]}"; do
		[[ " ${E2E_UAS_NS[*]} " == *" ${TOPO_BACKENDS[$i]} "* ]] || continue
		topo_wait 10 e2e_udp_bound "${TOPO_BACKENDS[$i]}" "${TOPO_BACKEND_IPS[$i]}:5060" ||
			e2e_fail "sipp UAS on ${TOPO_BACKENDS[$i]} did not bind 5060"
	done
}

e2e_udp_bound() {
	ip netns exec "$1" ss -Hlun "src $2" 2>/dev/null | grep -q .
}

# Stop every UAS gracefully (SIGUSR1 lets sipp finish and flush its traces).
e2e_uas_stop() {
	local pid
	for pid in "${E2E_UAS_PIDS[@]}"; do
		topo_kill "$pid" USR1
	done
	E2E_UAS_PIDS=()
	E2E_UAS_NS=()
}

# e2e_uac NAME SCENARIO CALLS RATE [SIPP ARGS...]: run a sipp UAC in the client namespace
# towards the VIP until CALLS calls are done (bounded by -timeout); its statistics go to
# $TOPO_DIR/NAME.csv. Returns sipp's exit status. Call-IDs are NAME-<n>@198.18.0.1, the same
# in every run.
e2e_uac() {
	local name=$1 scen=$2 calls=$3 rate=$4 limit
	shift 4
	limit=$((calls / rate + 60))
	ip netns exec client sipp "$TOPO_VIP:5060" -sf "$E2E_SCEN/$scen" -i "${TOPO_CLIENT_IPS[0]}" \
		"${TOPO_SIPP_BUF[@]}" \
		-p 5060 -nostdin -m "$calls" -r "$rate" -l 200 -cid_str "$name-%u@%s" \
		-timeout "${limit}s" -timeout_error -recv_timeout 20s \
		-trace_stat -stf "$TOPO_DIR/$name.csv" -fd 1 \
		-trace_shortmsg -shortmessage_file "$TOPO_DIR/$name.short" \
		-trace_err -error_file "$TOPO_DIR/$name.err" "$@" \
		</dev/null >"$TOPO_DIR/$name.log" 2>&1
}

# e2e_sippstat NAME: "outgoing=.. successful=.. failed=.. retransmissions=.." of a UAC run.
e2e_sippstat() {
	"${E2E_CHECK[@]}" sippstat "$TOPO_DIR/$1.csv"
}

# e2e_kv KEY "k=v k=v": the value of KEY.
e2e_kv() {
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && echo "${kv#*=}" && return
	done
	echo 0
}

# The backends' trace arguments for `sipcheck.py traces`.
e2e_trace_args() {
	local ns
	for ns in "${TOPO_BACKENDS[@]}"; do
		echo --trace "$ns=$TOPO_DIR/$ns.short"
	done
}

# e2e_ping NS COUNT: ping the VIP from NS; 0 when every echo was answered.
e2e_ping() {
	ip netns exec "$1" ping -n -q -c "$2" -i 0.2 -W 2 "$TOPO_VIP" >"$TOPO_DIR/ping-$1.log" 2>&1
}
