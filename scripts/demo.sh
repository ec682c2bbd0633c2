#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: sipsteer balancing real SIP calls, in a private network that vanishes afterwards.
#
#   client (sipp UAC, 198.18.0.1) -> sipsteer (VIP 198.18.0.10) -> be1..be3 (sipp UAS)
#
# Runs the daemon on its embedded default configuration for about DEMO_SECONDS (20) seconds of
# calls at DEMO_RATE (50) calls/s, prints a progress line every second or two, then sipp's
# result and sipsteer's per-backend counts. Exit 0 when every call succeeded. Needs root
# (network namespaces), sipp and python3; the binary is ${BUILDDIR:-build}/dataplane/sipsteer.
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILDDIR=${BUILDDIR:-build}
case "$BUILDDIR" in
/*) ;;
*) BUILDDIR="$ROOT/$BUILDDIR" ;;
esac
BIN="$BUILDDIR/dataplane/sipsteer"
CTL="$BUILDDIR/ctl/sipsteerctl"
SECONDS_WANTED=${DEMO_SECONDS:-20}
RATE=${DEMO_RATE:-50}
SCEN="$ROOT/tests/e2e/scenarios"
CHECK=(python3 "$ROOT/tests/e2e/sipcheck.py")

say() { printf 'demo: %s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 1
}

[[ $SECONDS_WANTED =~ ^[1-9][0-9]{0,3}$ ]] ||
	die "DEMO_SECONDS='$SECONDS_WANTED': want whole seconds from 1 to 9999"
[[ $RATE =~ ^[1-9][0-9]{0,3}$ ]] || die "DEMO_RATE='$RATE': want calls/s from 1 to 9999"
CALLS=$((SECONDS_WANTED * RATE))

if [ -z "${SIPSTEER_TOPO_INSIDE:-}" ]; then
	[ -x "$BIN" ] || die "no sipsteer binary at $BIN: run 'make build' first (or set BUILDDIR)"
	[ "$(id -u)" -eq 0 ] || die "needs root to create network namespaces (try: sudo make demo)"
	for tool in unshare ip sipp python3; do
		command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh"
	done
fi

# shellcheck source=scripts/lib/topology.sh
. "$ROOT/scripts/lib/topology.sh"
topo_enter "$@"
trap 'say "interrupted, cleaning up"; exit 130' INT
trap 'say "terminated, cleaning up"; exit 143' TERM

say "building a private network: client 198.18.0.1, sipsteer $TOPO_VIP, backends ${TOPO_BACKEND_IPS[*]}"
topo_up
say "starting sipsteer (embedded default configuration)"
topo_sipsteer_start "$BIN" || die "sipsteer did not start (log above)"

UAS_PIDS=()
for i in "${!TOPO_BACKENDS[@]}"; do
	topo_spawn "${TOPO_BACKENDS[$i]}" "uas-${TOPO_BACKENDS[$i]}" sipp -sf "$SCEN/uas.xml" \
		-i "${TOPO_BACKEND_IPS[$i]}" -p 5060 -nostdin -aa "${TOPO_SIPP_BUF[@]}"
	UAS_PIDS+=("$TOPO_LAST_PID")
done
# -aa: the backends answer sipsteer's health probes (OPTIONS); calls start once all are up.
all_up() { [ "$("$CTL" backends --json | grep -o '"health": *"up"' | wc -l)" -eq 3 ]; }
# The backends sipsteer's probes do not find up, as "be2 (down) be3 (unknown)".
not_up() {
	[ -x "$CTL" ] || return 0
	"$CTL" backends --json 2>/dev/null | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
if isinstance(d, dict):
    d = d.get("result", d.get("backends", []))
print(" ".join("%s (%s)" % (b.get("name", "?"), b.get("health", "?"))
               for b in d if isinstance(b, dict) and b.get("health") != "up"))'
}
# Why backends are not up: a backend whose sipp ended, with the end of its log.
explain_backends() {
	local i name
	for i in "${!TOPO_BACKENDS[@]}"; do
		name=${TOPO_BACKENDS[$i]}
		topo_alive "${UAS_PIDS[$i]}" && continue
		say "backend $name: its sipp UAS is not running; the end of its log:"
		tail -n 5 "$TOPO_DIR/uas-$name.log" | sed 's/^/  /'
	done
}
if [ -x "$CTL" ]; then
	if ! topo_wait 15 all_up; then
		say "not every backend is up after 15 s: $(not_up); sipsteer sends no new calls to a backend its probes find down"
		explain_backends
	fi
	"$CTL" backends
else
	sleep 3
fi
say "placing $CALLS calls at $RATE calls/s from the client to $TOPO_VIP:5060"
topo_spawn client uac sipp "$TOPO_VIP:5060" -sf "$SCEN/uac.xml" -i "${TOPO_CLIENT_IPS[0]}" \
	-p 5060 -nostdin "${TOPO_SIPP_BUF[@]}" -m "$CALLS" -r "$RATE" -l 200 -cid_str 'demo-%u@%s' \
	-timeout "$((SECONDS_WANTED + 40))s" -timeout_error -recv_timeout 10s \
	-trace_stat -stf "$TOPO_DIR/uac.csv" -fd 1
UAC=$TOPO_LAST_PID

kv() {
	local item
	for item in $2; do
		[ "${item%%=*}" = "$1" ] && echo "${item#*=}" && return
	done
	echo 0
}

start=$SECONDS
while topo_alive "$UAC"; do
	sleep 1
	if ! topo_alive "$TOPO_SIPSTEER_PID"; then
		wait "$TOPO_SIPSTEER_PID"
		st=$?
		say "sipsteer stopped during the calls ($([ "$st" -gt 128 ] && echo "killed by signal $((st - 128))" || echo "exit status $st")); the end of its log:"
		tail -n 20 "$TOPO_DIR/sipsteer.log"
		TOPO_KEEP_DIR=1
		exit 1
	fi
	t=$((SECONDS - start))
	res=$("${CHECK[@]}" sippstat "$TOPO_DIR/uac.csv" 2>/dev/null)
	fwd="?" rel="?"
	if topo_stats >/dev/null 2>&1; then
		fwd=$("${CHECK[@]}" stats "$TOPO_STATS" --get total.forwarded 2>/dev/null)
		rel=$("${CHECK[@]}" stats "$TOPO_STATS" --get total.relayed 2>/dev/null)
	fi
	printf 'demo: [%3ds] calls %5d started %5d ok %3d failed | sipsteer %6s requests forwarded, %6s responses relayed\n' \
		"$t" "$(kv outgoing "$res")" "$(kv successful "$res")" "$(kv failed "$res")" "$fwd" "$rel"
done
rc=0
wait "$UAC" || rc=$?

res=$("${CHECK[@]}" sippstat "$TOPO_DIR/uac.csv")
echo
say "sipp: $(kv successful "$res") of $CALLS calls succeeded, $(kv failed "$res") failed, $(kv retransmissions "$res") retransmissions (exit $rc)"
if topo_stats >/dev/null; then
	say "sipsteer, per backend:"
	"${CHECK[@]}" stats "$TOPO_STATS" --table
fi
[ -x "$CTL" ] && say "sipsteerctl backends:" && "$CTL" backends
if [ "$rc" -eq 0 ] && [ "$(kv successful "$res")" -eq "$CALLS" ]; then
	say "all calls succeeded"
	exit 0
fi
down=$(not_up)
[ -z "$down" ] || say "backends not up at the end: $down"
explain_backends
say "some calls failed; sipp's and sipsteer's logs are in $TOPO_DIR"
TOPO_KEEP_DIR=1
exit 1
