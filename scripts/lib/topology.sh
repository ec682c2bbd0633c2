# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# The private test network of sipsteer, shared by `make demo` (scripts/demo.sh) and the
# end-to-end suite (tests/e2e/). Source it from a bash script, then:
#
#   topo_enter "$@"          re-exec the calling script inside `unshare --net --mount`
#   topo_up                  build the bridge and the client/backend namespaces
#   topo_sipsteer_start BIN [ARGS...]
#                            run the daemon, attach its tap to the bridge, wait for "ready"
#   topo_spawn NS NAME CMD...
#                            run CMD in namespace NS in the background (killed at exit)
#   topo_stats               ask the daemon for a fresh stats file (SIGUSR1) and print its path
#
# Everything it creates lives in a network and mount namespace of its own: the host sees no
# interface, no netns and no file under /run, and several runs can go side by side. Cleanup runs
# on EXIT, INT and TERM: the daemon gets SIGTERM then SIGKILL, every spawned process is killed,
# every netns deleted; leaving the unshare removes the rest.
#
#   ns client   198.18.0.1/24  (veth vclient <-> br0)
#   ns client2  198.18.0.2/24  (veth vclient2 <-> br0)
#   ns be1..be3 198.18.0.21-23/24 (veth vbe1..vbe3 <-> br0)
#   sipsteer    tap sst0 in the outer namespace, enslaved to br0; VIP 198.18.0.10
#
# Every host has an IPv6 address too, on the same links: client 2001:db8::1, client2
# 2001:db8::2, be1..be3 2001:db8::21-23, VIP 2001:db8::10 (prefix /64; added with nodad, usable
# at once).
#
# Only RFC 2544 benchmarking addresses (198.18.0.0/15) and the IPv6 documentation prefix
# (2001:db8::/32) are used.

# shellcheck disable=SC2034 # the variables below are for the scripts that source this file
TOPO_VIP=198.18.0.10
TOPO_PREFIX=24
TOPO_CLIENTS=(client client2)
TOPO_CLIENT_IPS=(198.18.0.1 198.18.0.2)
TOPO_BACKENDS=(be1 be2 be3)
TOPO_BACKEND_IPS=(198.18.0.21 198.18.0.22 198.18.0.23)
TOPO_VIP6=2001:db8::10
TOPO_PREFIX6=64
TOPO_CLIENT_IPS6=(2001:db8::1 2001:db8::2)
TOPO_BACKEND_IPS6=(2001:db8::21 2001:db8::22 2001:db8::23)
TOPO_TAP=sst0
TOPO_BRIDGE=br0
TOPO_TAP_MAC=02:00:c6:12:00:fe # kernel side of the tap, never the daemon's own MAC
# sipp's socket buffers (SO_RCVBUF and SO_SNDBUF, up to net.core.rmem_max/wmem_max): sipp asks
# for 64 KiB, about 55 small datagrams, which a burst overflows when the machine stalls for a
# moment and the daemon then forwards what queued up meanwhile.
TOPO_SIPP_BUF=(-buff_size 4194304)

# Seconds to wait for the daemon's tap and its "ready" line.
TOPO_START_TIMEOUT=${TOPO_START_TIMEOUT:-60}

TOPO_DIR=""          # scratch directory of this run (logs, stats, traces)
TOPO_SIPSTEER_PID="" # the daemon, while it runs
TOPO_PIDS=()         # every other background process started through topo_spawn
TOPO_NETNS=()        # namespaces created by topo_up
TOPO_KEEP_DIR=${TOPO_KEEP_DIR:-0}

topo_log() {
	printf '%s\n' "$*" >&2
}

topo_die() {
	topo_log "error: $*"
	exit 1
}

# Re-exec the calling script in private network, mount and PID namespaces (once), then make
# /run's netns, sipsteer and dpdk folders private tmpfs mounts and install the cleanup trap.
# The script runs as the PID namespace's first process: when it ends, or when the unshare
# process above it is killed (even with SIGKILL, which no trap sees), the kernel kills every
# process it started, so no daemon or sipp outlives it in a namespace nobody can reach.
topo_enter() {
	if [ -z "${SIPSTEER_TOPO_INSIDE:-}" ]; then
		[ "$(id -u)" -eq 0 ] || topo_die "must run as root (network namespaces)"
		command -v unshare >/dev/null || topo_die "unshare (util-linux) is missing"
		export SIPSTEER_TOPO_INSIDE=1
		exec unshare --net --mount --pid --fork --kill-child --mount-proc --propagation private \
			-- "${BASH:-bash}" "$0" "$@"
	fi
	local d
	for d in /run/netns /run/sipsteer /run/dpdk; do
		mkdir -p "$d"
		mount -t tmpfs -o mode=0755 tmpfs "$d" || topo_die "cannot mount a private tmpfs on $d"
	done
	TOPO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sipsteer-topo.XXXXXX")
	trap topo_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

topo_sysctl() {
	# $1 = namespace ("" for the outer one), then key=value pairs; missing keys are not fatal
	local ns=$1 kv
	shift
	for kv in "$@"; do
		if [ -n "$ns" ]; then
			ip netns exec "$ns" sysctl -qw "$kv" >/dev/null 2>&1 || true
		else
			sysctl -qw "$kv" >/dev/null 2>&1 || true
		fi
	done
}

# One namespace with one veth into the bridge; $3, when given, is its IPv6 address.
topo_add_host() {
	local ns=$1 ip=$2 ip6=${3:-} port="v$1"
	ip netns add "$ns" || topo_die "cannot create netns $ns"
	TOPO_NETNS+=("$ns")
	# Addresses usable at once, no router solicitation noise towards the daemon.
	topo_sysctl "$ns" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
	ip link add name "$port" type veth peer name eth0 netns "$ns" ||
		topo_die "cannot create veth $port"
	ip link set "$port" master "$TOPO_BRIDGE" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$ip/$TOPO_PREFIX" dev eth0
	# nodad: no duplicate address detection, so the address is not tentative for a second.
	[ -z "$ip6" ] || ip -n "$ns" addr add "$ip6/$TOPO_PREFIX6" dev eth0 nodad
	ip -n "$ns" link set eth0 up
}

# Bridge plus every client and backend namespace.
topo_up() {
	# Bridge ports need no IPv6 of their own: keep their link-local chatter off the wire.
	topo_sysctl "" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip link set lo up
	ip link add name "$TOPO_BRIDGE" type bridge forward_delay 0 mcast_snooping 0 ||
		topo_die "cannot create bridge $TOPO_BRIDGE"
	ip link set "$TOPO_BRIDGE" up
	local i
	for i in "${!TOPO_CLIENTS[@]}"; do
		topo_add_host "${TOPO_CLIENTS[$i]}" "${TOPO_CLIENT_IPS[$i]}" "${TOPO_CLIENT_IPS6[$i]:-}"
	done
	for i in "${!TOPO_BACKENDS[@]}"; do
		topo_add_host "${TOPO_BACKENDS[$i]}" "${TOPO_BACKEND_IPS[$i]}" "${TOPO_BACKEND_IPS6[$i]:-}"
	done
}

# topo_wait SECONDS CMD...: run CMD every 0.1 s until it succeeds; 1 on timeout.
topo_wait() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

topo_alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null
}

# topo_spawn NS NAME CMD...: start CMD in namespace NS ("" = outer), stdout+stderr to
# $TOPO_DIR/NAME.log. Sets TOPO_LAST_PID.
topo_spawn() {
	local ns=$1 name=$2
	shift 2
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@" </dev/null >"$TOPO_DIR/$name.log" 2>&1 &
	else
		"$@" </dev/null >"$TOPO_DIR/$name.log" 2>&1 &
	fi
	TOPO_LAST_PID=$!
	TOPO_PIDS+=("$TOPO_LAST_PID")
}

topo_log_tap() {
	printf '%s\n' "$*" >>"$TOPO_DIR/topology.log"
}

topo_tap_present() {
	ip link show dev "$TOPO_TAP" >/dev/null 2>&1
}

topo_ready_logged() {
	grep -q '^sipsteer: ready' "$TOPO_DIR/sipsteer.log" 2>/dev/null
}

topo_sipsteer_check_alive() {
	topo_alive "$TOPO_SIPSTEER_PID" && return 0
	topo_log "sipsteer exited early; its log:"
	tail -n 30 "$TOPO_DIR/sipsteer.log" >&2
	return 1
}

# topo_sipsteer_start BIN [ARGS...]: run the daemon in the outer namespace with a stats file in
# $TOPO_DIR, wait for its tap and for "sipsteer: ready", then enslave the tap to the bridge.
topo_sipsteer_start() {
	local bin=$1
	shift
	[ -x "$bin" ] || topo_die "sipsteer binary not found at $bin (build it first)"
	TOPO_STATS="$TOPO_DIR/stats.json"
	"$bin" --stats-file "$TOPO_STATS" "$@" </dev/null >"$TOPO_DIR/sipsteer.log" 2>&1 &
	TOPO_SIPSTEER_PID=$!
	local deadline=$((SECONDS + TOPO_START_TIMEOUT))
	until topo_tap_present; do
		topo_sipsteer_check_alive || return 1
		[ "$SECONDS" -lt "$deadline" ] || {
			topo_log "sipsteer created no $TOPO_TAP within ${TOPO_START_TIMEOUT}s; its log:"
			tail -n 30 "$TOPO_DIR/sipsteer.log" >&2
			return 1
		}
		sleep 0.1
	done
	until topo_ready_logged; do
		topo_sipsteer_check_alive || return 1
		[ "$SECONDS" -lt "$deadline" ] || {
			topo_log "sipsteer not ready within ${TOPO_START_TIMEOUT}s; its log:"
			tail -n 30 "$TOPO_DIR/sipsteer.log" >&2
			return 1
		}
		sleep 0.1
	done
	# DPDK's net_tap gives the kernel side of the tap the port's own MAC (again when the port
	# starts). Enslaved with that MAC, the bridge would take the address as its own and never
	# forward the daemon's frames out of the port: give the kernel side another one.
	topo_log_tap "tap $TOPO_TAP up with $(ip -br link show dev "$TOPO_TAP" | awk '{print $3}')"
	ip link set "$TOPO_TAP" address "$TOPO_TAP_MAC" || return 1
	ip link set "$TOPO_TAP" master "$TOPO_BRIDGE" up || return 1
	# The daemon resolves its backends by ARP (each backend then knows the VIP): give it a
	# moment so the first calls do not race the resolution. Not fatal: a config may have none.
	topo_wait 5 topo_backends_know_vip || topo_log_tap "not every backend was resolved in 5 s"
	return 0
}

topo_backends_know_vip() {
	local ns
	for ns in "${TOPO_BACKENDS[@]}"; do
		ip -n "$ns" neigh show "$TOPO_VIP" | grep -q lladdr || return 1
	done
}

# Ask the daemon to rewrite its stats file (SIGUSR1) and wait until it has; print the path.
topo_stats() {
	[ -n "${TOPO_STATS:-}" ] || return 1
	topo_sipsteer_check_alive || return 1
	local before=""
	[ -f "$TOPO_STATS" ] && before=$(stat -c '%i %Y.%y' "$TOPO_STATS")
	kill -USR1 "$TOPO_SIPSTEER_PID" || return 1
	# The file is replaced atomically (rename), so a new inode tells a fresh one.
	topo_wait 10 topo_stats_changed "$before" || {
		topo_log "sipsteer wrote no stats file after SIGUSR1"
		return 1
	}
	printf '%s\n' "$TOPO_STATS"
}

topo_stats_changed() {
	[ -f "$TOPO_STATS" ] && [ "$(stat -c '%i %Y.%y' "$TOPO_STATS")" != "$1" ]
}

# Packets the kernel dropped outside the daemon, one line: frames for the daemon that the tap's
# queue had no room for (they never reached it), and UDP datagrams each namespace's sockets had
# no buffer room for. A failed test prints it, so that a loss is placed.
topo_drops() {
	local out="" ns n
	n=$(awk -v dev="$TOPO_TAP:" '$1 == dev { print $13 }' /proc/net/dev)
	[ -z "$n" ] || out="tap $TOPO_TAP queue full $n"
	for ns in "${TOPO_NETNS[@]}"; do
		# shellcheck disable=SC2016 # awk's own $ fields
		n=$(ip netns exec "$ns" awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $6 }' \
			/proc/net/snmp 2>/dev/null)
		out="$out${out:+, }$ns udp rcvbuf ${n:-?}"
	done
	printf 'kernel drops: %s\n' "$out"
}

# Stop the daemon: SIGTERM, then SIGKILL after 10 s. Returns its exit status (or 137).
topo_sipsteer_stop() {
	local pid=$TOPO_SIPSTEER_PID rc=0
	[ -n "$pid" ] || return 0
	if topo_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! topo_wait 10 topo_dead "$pid"; then
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null || rc=$?
	TOPO_SIPSTEER_PID=""
	return "$rc"
}

topo_dead() {
	! kill -0 "$1" 2>/dev/null
}

# Stop one spawned process: SIGTERM (or the signal given), SIGKILL after 5 s.
topo_kill() {
	local pid=$1 sig=${2:-TERM}
	topo_alive "$pid" || {
		wait "$pid" 2>/dev/null
		return 0
	}
	kill -"$sig" "$pid" 2>/dev/null
	topo_wait 5 topo_dead "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

topo_cleanup() {
	local rc=$? pid ns
	trap - EXIT INT TERM
	topo_sipsteer_stop >/dev/null 2>&1
	for pid in "${TOPO_PIDS[@]}"; do
		topo_kill "$pid" >/dev/null 2>&1
	done
	for ns in "${TOPO_NETNS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$TOPO_DIR" ] && [ -d "$TOPO_DIR" ]; then
		# Kept for a failure, not for an interrupt (130, 143: the operator asked to stop).
		if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "$rc" -ne 130 ] && [ "$rc" -ne 143 ] ||
			[ "$TOPO_KEEP_DIR" = 1 ]; then
			topo_log "logs kept in $TOPO_DIR"
		else
			rm -rf "$TOPO_DIR"
		fi
	fi
	exit "$rc"
}
