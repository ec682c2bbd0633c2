#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Build the parser fuzzer with clang (libFuzzer + ASan + UBSan) into build-fuzz/ and run it for
# SECONDS (default 60) from a work corpus seeded with the RFC 4475 messages. Prints one summary
# line; exits non-zero when the fuzzer finds a crash (the input is kept in build-fuzz/).
# Usage, from anywhere in the repository: tests/fuzz/run.sh [SECONDS] [extra libFuzzer flags]
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/build-fuzz"
corpus="$out/corpus"
bin="$out/fuzz_parser"
log="$out/fuzz.log"
CC=${CLANG:-clang}

mkdir -p "$out" "$corpus"
"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Werror -Wno-unused-parameter \
	-I"$root/parser" -I"$root/tests" \
	"$root/tests/fuzz/fuzz_parser.c" "$root"/parser/sip_parse*.c "$root/parser/sip_via.c" \
	"$root/parser/sip_names.c" -o "$bin"

# Seed once; the corpus then grows across runs (never under tests/).
for f in "$root"/tests/rfc4475/*.dat; do
	cp -n "$f" "$corpus/" 2>/dev/null || true
done

status=0
"$bin" -max_total_time="$seconds" -print_final_stats=1 -dict="$root/tests/fuzz/sip.dict" \
	-artifact_prefix="$out/" -max_len=4096 "$@" "$corpus" >"$log" 2>&1 || status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
files=$(ls "$corpus" | wc -l)
if [ "$status" -ne 0 ]; then
	crash=$(ls -t "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null | head -n 1)
	echo "fuzz_parser: FAILED (status $status) after ${execs:-?} runs; input: ${crash:-none}; log: $log"
	tail -n 30 "$log" >&2
	exit 1
fi
echo "fuzz_parser: ok, ${execs:-0} runs in ${seconds}s, coverage ${cov:-?}, corpus $files files"
