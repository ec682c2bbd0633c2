#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The benchmark scripts' arguments: bench/compare-kamailio.sh and bench/memif-sipsteer.sh must
# answer each bad argument with exit status 2 and a message naming it, before they need root,
# a network namespace or a build. --help prints the synopsis with status 0. No load is run.
# Also the e2e suite's staller, tests/e2e/stall.sh (its arguments only; it stops nothing).
#
#   tests/bench/test_bench_scripts.sh [SOURCE_ROOT]
set -u

ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
COMPARE=$ROOT/bench/compare-kamailio.sh
MEMIF=$ROOT/bench/memif-sipsteer.sh
STALL=$ROOT/tests/e2e/stall.sh
FAILED=0
RUN=0

# expect STATUS PATTERN SCRIPT ARGS...: the script exits with STATUS and its output (stdout and
# stderr) matches the extended regular expression PATTERN.
expect() {
	local want=$1 pattern=$2 script=$3 out rc
	shift 3
	RUN=$((RUN + 1))
	out=$(SIPSTEER_BUILD=/nonexistent bash "$script" "$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -Eq -- "$pattern" <<<"$out"; then
		FAILED=$((FAILED + 1))
		printf 'not ok %d - %s %s: status %d (want %d), output:\n%s\n' "$RUN" \
			"$(basename "$script")" "$*" "$rc" "$want" "$out"
		return
	fi
	printf 'ok %d - %s %s\n' "$RUN" "$(basename "$script")" "$*"
}

# --help: the synopsis with every option of the memif comparison
expect 0 '--sipsteer-port memif\|tap' "$COMPARE" --help
expect 0 '--idle-sleep-us N' "$COMPARE" --help
expect 0 'DPDK port against kernel sockets' "$COMPARE" -h
expect 0 '--idle-sleep-us N' "$MEMIF" --help

# --sipsteer-port
expect 2 "--sipsteer-port 'dpdk': want memif or tap" "$COMPARE" --sipsteer-port dpdk
expect 2 "--sipsteer-port 'MEMIF': want memif or tap" "$COMPARE" --sipsteer-port MEMIF
expect 2 "--sipsteer-port '': want memif or tap" "$COMPARE" --sipsteer-port ''
expect 2 '--sipsteer-port needs a value' "$COMPARE" --sipsteer-port

# --idle-sleep-us: 0 to 100000 (sipsteer's own limit for idle_sleep_us)
expect 2 "--idle-sleep-us '-1': want microseconds from 0 to 100000" "$COMPARE" --idle-sleep-us -1
expect 2 "--idle-sleep-us 'x': want microseconds" "$COMPARE" --idle-sleep-us x
expect 2 "--idle-sleep-us '100001': want microseconds" "$COMPARE" --idle-sleep-us 100001
expect 2 "--idle-sleep-us '1e3': want microseconds" "$COMPARE" --idle-sleep-us 1e3
expect 2 '--idle-sleep-us needs a value' "$COMPARE" --idle-sleep-us
expect 2 "--idle-sleep-us 'x': want microseconds" "$MEMIF" --idle-sleep-us x

# the rest of the schedule, the same rules in both scripts
for s in "$COMPARE" "$MEMIF"; do
	expect 2 "--step-s '0': want whole seconds" "$s" --step-s 0
	expect 2 "--start-rate 'fast': want calls/s" "$s" --start-rate fast
	expect 2 "--factor '1': want a number above 1" "$s" --factor 1
	expect 2 "--factor '1;x': want a number above 1" "$s" --factor '1;x'
	expect 2 "--max-steps '0': want a number" "$s" --max-steps 0
	expect 2 "--load-cpu 'a': want a CPU number" "$s" --load-cpu a
	expect 2 "--balancer-cpu '-1': want a CPU number" "$s" --balancer-cpu -1
	# the ranges sipsteer-bench load takes, refused before anything is built
	expect 2 "--max-steps '101': want a number from 1 to 100" "$s" --max-steps 101
	expect 2 "--factor '11': want a number above 1, at most 10" "$s" --factor 11
	expect 2 "--start-rate '20000000': want calls/s from 1 to 10000000" "$s" --start-rate 20000000
	expect 2 "--step-s '90000': want whole seconds from 1 to 86400" "$s" --step-s 90000
	expect 2 "the last step would send more than 16777216 calls" "$s" --max-steps 40
	expect 2 "unknown argument '--bogus'" "$s" --bogus
done
expect 2 "--systems: unknown system 'opensips'" "$COMPARE" --systems "sipsteer opensips"
expect 2 "--systems ' ': name at least one of sipsteer, kamailio" "$COMPARE" --systems ' '
expect 2 '--max-steps needs a value' "$MEMIF" --max-steps
expect 2 "--idle-sleep-us '100001': want microseconds" "$MEMIF" --idle-sleep-us 100001
expect 2 '--kamailio needs a value' "$MEMIF" --kamailio
expect 2 '--plot needs a value' "$COMPARE" --plot
expect 2 "unknown argument '--kamailio'" "$COMPARE" --kamailio x
expect 2 '--data needs a value' "$COMPARE" --data

# good arguments get past the parser: without a build the scripts skip (77) or, not being
# root, say so; never 2
RUN=$((RUN + 1))
SIPSTEER_BUILD=/nonexistent bash "$COMPARE" --sipsteer-port tap --idle-sleep-us 0 \
	--build /nonexistent >/dev/null 2>&1 </dev/null
rc=$?
if [ "$rc" -eq 77 ]; then
	printf 'ok %d - good arguments accepted (skipped: 77)\n' "$RUN"
else
	FAILED=$((FAILED + 1))
	printf 'not ok %d - good arguments: status %d (want 77)\n' "$RUN" "$rc"
fi

# tests/e2e/stall.sh: SECONDS a whole number; 0 ends at once without stopping anything
expect 0 'usage: .*stall.sh \[SECONDS\]' "$STALL" --help
expect 2 "SECONDS must be a whole number, got '1.5'" "$STALL" 1.5
expect 2 "SECONDS must be a whole number, got '-3'" "$STALL" -3
expect 0 '^$' "$STALL" 0

printf '1..%d\n' "$RUN"
[ "$FAILED" -eq 0 ]
