#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The RFC 4475 torture messages over UDP, each against its verdict in tests/rfc4475/EXPECT.tsv:
# `forward` requests reach a backend with the Call-ID intact and our Via on top, `reject` ones
# get their stateless reply, responses fed from a backend are relayed or dropped as the RFC
# says. Afterwards the daemon still answers ping and its counters account for the drops.
set -u
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
e2e_init "$@"
CORPUS=${SIPSTEER_CORPUS:-$E2E_ROOT/tests/rfc4475}
fails=0

e2e_start_sipsteer
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" corpus $(e2e_daemon_args) --corpus "$CORPUS" --expect "$CORPUS/EXPECT.tsv" ||
	fails=$((fails + 1))
if e2e_ping client 3; then
	echo "ping to $TOPO_VIP after the corpus: answered"
else
	echo "FAIL: sipsteer no longer answers ping"
	fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] || e2e_fail "$fails check(s) failed"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "RFC 4475 corpus"
