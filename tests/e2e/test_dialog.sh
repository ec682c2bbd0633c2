#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Dialog affinity (sip.record_route, sip.path): Record-Route pins on INVITE, Path on REGISTER,
# pins steering in-dialog requests, a backend's BYE routed to the client and its 200 relayed
# back. Then 60 calls are pinned, the daemon restarts with other weights (be1 5, be2 1, be3 0:
# many Call-IDs now hash elsewhere, be3 owns no slot), and every call's BYE, carrying its
# Route, must still reach the backend that has the call.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
CHECK=("${PYTHON3:-python3}" "$E2E_DIR/relaycheck.py")

e2e_start_sipsteer --config "$(e2e_config dialog)"
# shellcheck disable=SC2046
"${CHECK[@]}" dialog $(e2e_daemon_args) || e2e_fail "dialog checks"
"${CHECK[@]}" pins-start --calls 60 "$TOPO_DIR/pins.json" || e2e_fail "pinning calls"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"

e2e_start_sipsteer --config "$(e2e_config dialog_reweighted)"
"${CHECK[@]}" pins-end "$TOPO_DIR/pins.json" || e2e_fail "pinned BYEs after the weights changed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "Record-Route pins and Path; in-dialog requests keep their backend across a change"
