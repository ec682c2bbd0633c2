#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stall the end-to-end tests' processes now and then, as a busy or shared host does: every
# 4-6 s, stop the daemon and every test peer (sipp, sipcheck.py, sipsteerctl) with SIGSTOP for
# 0.6-1.0 s, then continue them. Run it beside the e2e suite to find a test that a stall breaks:
#
#   sudo tests/e2e/stall.sh 900 & sudo meson test -C build --suite e2e
#
# It matches processes by command line on the whole machine: run it where no other sipp runs.
set -u

usage() {
	echo "usage: $0 [SECONDS]   (default 900; stops after that long)"
}

case "${1:-}" in
-h | --help)
	usage
	exit 0
	;;
"" | *[!0-9]*)
	[ -z "${1:-}" ] || {
		usage >&2
		echo "$0: SECONDS must be a whole number, got '$1'" >&2
		exit 2
	}
	;;
esac
DURATION=${1:-900}
# The daemon as the tests start it (scripts/lib/topology.sh), and the peers.
PATTERN='sipsteer --stats-file|^sipp |sipcheck\.py|sipsteerctl'
stopped=""

resume() {
	# shellcheck disable=SC2086 # one pid per word
	[ -z "$stopped" ] || kill -CONT $stopped 2>/dev/null
	stopped=""
}
trap 'resume; exit 0' INT TERM
trap resume EXIT

end=$((SECONDS + DURATION))
while [ "$SECONDS" -lt "$end" ]; do
	sleep $((4 + RANDOM % 3))
	stopped=$(pgrep -f "$PATTERN" | tr '\n' ' ')
	[ -n "$stopped" ] || continue
	# shellcheck disable=SC2086 # one pid per word
	kill -STOP $stopped 2>/dev/null
	ms=$((600 + RANDOM % 401))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	resume
done
