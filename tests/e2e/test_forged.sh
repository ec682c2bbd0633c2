#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Forged responses: sent from backends to the VIP with a top Via the balancer did not make
# (another host, or our host with a wrong MAC, or a real Via replayed on another Call-ID).
# None may reach the client, and each is counted under not_our_via or bad_branch_mac. A genuine
# response first shows that the client would have seen a relayed one.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"

e2e_start_sipsteer
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" forged $(e2e_daemon_args) || e2e_fail "forged responses"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "forged responses dropped and counted"
