# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Helpers of the control-plane e2e tests (test_ctl_*.sh), on top of lib.sh: sipsteerctl against
# the daemon's socket in the test's private /run/sipsteer, backend fields from its JSON, waits.

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CTL_SOCKET=/run/sipsteer/sipsteer.sock

# ctl_init: find sipsteerctl next to the daemon's build tree.
ctl_init() {
	CTL_BIN=${SIPSTEERCTL_BIN:-$(dirname "$SIPSTEER_BIN")/../ctl/sipsteerctl}
	[ -x "$CTL_BIN" ] || e2e_fail "sipsteerctl not found at $CTL_BIN"
	CTL_BIN=$(readlink -f "$CTL_BIN")
}

# ctl ARGS...: run sipsteerctl on the test's socket.
ctl() {
	"$CTL_BIN" --socket "$CTL_SOCKET" "$@"
}

# ctl_field NAME FIELD: a field of one backend from `backends --json` ("" when absent).
ctl_field() {
	ctl --json backends | python3 -c '
import json, sys
for b in json.load(sys.stdin):
    if b["name"] == sys.argv[1]:
        v = b.get(sys.argv[2], "")
        print(v if not isinstance(v, float) else "%.4f" % v)
' "$1" "$2"
}

# ctl_requests NAME: requests forwarded to a backend so far (from `stats --json`).
ctl_requests() {
	ctl --json stats | python3 -c '
import json, sys
print(sum(b.get("requests", 0) for b in json.load(sys.stdin)["backends"] if b["name"] == sys.argv[1]))
' "$1"
}

ctl_health_is() {
	[ "$(ctl_field "$1" health)" = "$2" ]
}

# ctl_wait_health SECONDS NAME HEALTH: wait until the daemon reports that health.
ctl_wait_health() {
	topo_wait "$1" ctl_health_is "$2" "$3"
}

# ctl_all_up SECONDS: wait until be1..be3 are all up.
ctl_all_up() {
	local be
	for be in "${TOPO_BACKENDS[@]}"; do
		ctl_wait_health "$1" "$be" up || return 1
	done
}

# ctl_uas_all: a sipp UAS (uas.xml, answering probes) on every backend, bound.
ctl_uas_all() {
	local be
	for be in "${TOPO_BACKENDS[@]}"; do
		e2e_uas "$be" uas.xml
	done
	e2e_uas_ready
}

# ctl_now: seconds since the epoch with milliseconds (for the figures a test prints).
ctl_now() {
	date +%s.%N | cut -c1-14
}

# ctl_check COND MESSAGE: count a failed check.
CTL_FAILS=0
ctl_check() {
	if eval "$1"; then
		echo "ok: $2"
	else
		echo "FAIL: $2"
		CTL_FAILS=$((CTL_FAILS + 1))
	fi
}
