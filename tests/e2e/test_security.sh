#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Relay security: responses whose top Via branch was made under another secret (recomputed here
# with the published algorithm), aimed at the client or at a third party, and our branch under
# a Via that is not ours: none relayed, each counted (proxy_bad_branch_mac, proxy_not_our_via).
# A branch made with the configured secret for a request this instance never forwarded (a peer
# instance sharing the secret) is relayed.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"

e2e_start_sipsteer
# shellcheck disable=SC2046
"${PYTHON3:-python3}" "$E2E_DIR/relaycheck.py" security $(e2e_daemon_args) ||
	e2e_fail "relay security"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "forged and foreign branches dropped and counted; a peer's branch relayed"
