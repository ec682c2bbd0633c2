#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Per-source request rate limit (rate_limit: rate 20/s, burst 20; configs/ratelimit.yaml):
# 200 requests (OPTIONS and INVITE) sent back to back from 198.18.0.1 pass only burst + rate x
# their duration, the rest are dropped and counted `rate_limited` (stats file and
# `sipsteerctl stats --json`); a steady flood from 198.18.0.1 does not touch 198.18.0.2 sending
# 5 requests a second (a bucket per source); a flood of bad requests gets 505s only within the
# bucket. Then the daemon restarts without rate_limit (off by default): nothing is limited.
# The backends are python sockets that only count (sipcheck.py ratelimit).
#
#   test_ratelimit.sh SIPSTEER_BIN
set -u
# shellcheck source=tests/e2e/ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"
e2e_init "$@"
ctl_init

# ctl_rate_limited: the rate_limited drops in `sipsteerctl stats --json`.
ctl_rate_limited() {
	ctl --json stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["total"]["drops"].get("rate_limited", 0))'
}

# Resolve the VIP from both clients first (ICMP is never limited), so the kernel queues no
# flood behind an ARP request, and wait until the daemon has resolved every backend (each then
# knows the VIP): a request to an unresolved backend is dropped as neigh_miss.
warm_up() {
	e2e_ping client 2 || e2e_fail "the VIP does not answer ping from client"
	e2e_ping client2 2 || e2e_fail "the VIP does not answer ping from client2"
	topo_wait 10 topo_backends_know_vip || e2e_fail "sipsteer did not resolve its backends"
}

# Forget the first daemon's MAC everywhere, so that the wait above means the second one.
forget_vip() {
	local ns
	for ns in "${TOPO_CLIENTS[@]}" "${TOPO_BACKENDS[@]}"; do
		ip -n "$ns" neigh flush to "$TOPO_VIP"
	done
}

e2e_start_sipsteer --config "$(e2e_config ratelimit)"
warm_up
# shellcheck disable=SC2046
out=$("${E2E_CHECK[@]}" ratelimit $(e2e_daemon_args) --rate 20 --burst 20 --count 200) ||
	CTL_FAILS=$((CTL_FAILS + 1))
printf '%s\n' "$out"
file=$(printf '%s\n' "$out" | sed -n 's/^rate_limited=//p')
api=$(ctl_rate_limited)
ctl_check "[ -n '$file' ] && [ '$file' -gt 0 ] && [ '$api' = '$file' ]" \
	"rate_limited: $file in the stats file, $api in sipsteerctl stats --json"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"

forget_vip
e2e_start_sipsteer --config "$(e2e_config ratelimit_off)"
warm_up
# shellcheck disable=SC2046
"${E2E_CHECK[@]}" ratelimit $(e2e_daemon_args) --rate 0 --count 200 || CTL_FAILS=$((CTL_FAILS + 1))
api=$(ctl_rate_limited)
ctl_check "[ '$api' = 0 ]" "limit off: rate_limited $api in sipsteerctl stats --json"
topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"

[ "$CTL_FAILS" -eq 0 ] || e2e_fail "$CTL_FAILS check(s) failed"
e2e_ok "rate limit: floods cut to burst + rate x time per source, counted; off by default"
