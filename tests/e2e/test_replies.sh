#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stateless replies: Max-Forwards 0 gets 483 (and Max-Forwards 1 is still forwarded); with
# `backends: []` every request gets 503 with Retry-After. Each reply must echo the request's
# Via, Call-ID and CSeq, add a To tag, and be counted in the stats file. A reply to a Via
# without rport goes to its sent-by port; an ACK is never answered (dropped and counted).
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
fails=0

echo "1. Max-Forwards 0 (embedded config)"
e2e_start_sipsteer
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" replies $(e2e_daemon_args) || fails=$((fails + 1))
topo_sipsteer_stop || { echo "FAIL: sipsteer exited with an error status"; fails=$((fails + 1)); }

echo "2. no backend (configs/nobackends.yaml)"
e2e_start_sipsteer --config "$(e2e_config nobackends)"
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" replies $(e2e_daemon_args) --no-backends --retry-after 5 || fails=$((fails + 1))
topo_sipsteer_stop || { echo "FAIL: sipsteer exited with an error status"; fails=$((fails + 1)); }
# The log says why every call gets 503.
if grep -q "warning: no backend takes new calls .*: every new call is answered 503" "$TOPO_DIR/sipsteer.log"; then
	echo "the log says no backend takes new calls"
else
	echo "FAIL: no warning in the log that no backend takes new calls"
	fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] || e2e_fail "$fails part(s) failed"
e2e_ok "483 and 503 replies"
