#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Reload applies the sip section live, and backend ids stay by name:
#   1. record_route off: a forwarded INVITE has no Record-Route; `reload` of the file with
#      record_route on: the next INVITE's forwarded copy carries a pin, without a restart;
#   2. a reload that removes be1 from the top of the list: be2 and be3 keep ids 1 and 2, and a
#      BYE pinned to be3 before the reload still reaches be3;
#   3. a reload to `backends: []` with retry_after 7: the next INVITE is answered 503 with
#      Retry-After: 7.
#
#   test_ctl_reload.sh SIPSTEER_BIN
set -u
# shellcheck source=tests/e2e/ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"
e2e_init "$@"
ctl_init
CONF="$TOPO_DIR/sipsteer.yaml"
# rewrite NAME: the dialog config (python peers, probing off) with the changes NAME names.
rewrite() {
	python3 - "$(e2e_config dialog)" "$CONF" "$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
mode = sys.argv[3]
text = text.replace("  record_route: true\n", "  record_route: %s\n" % ("false" if mode == "off" else "true"))
text = text.replace("  path: true\n", "  path: false\n")
if mode in ("no_be1", "empty"):
    text = text.replace("  - name: be1\n    address: 198.18.0.21:5060\n    weight: 1\n", "")
if mode == "empty":
    start = text.index("backends:\n")
    end = text.index("sip:\n")
    text = text[:start] + "backends: []\n" + text[end:]
    text = text.replace("sip:\n", "sip:\n  retry_after: 7\n", 1)
open(sys.argv[2], "w").write(text)
PY
}
# check MODE: the python peers' side of each step (relaycheck.py's pins and messages).
check() {
	python3 - "$E2E_DIR" "$@" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
import relaycheck as rc
import sipcheck as sc

mode = sys.argv[2]
peers = sc.Peers()
cid = "reload-%s-%d@e2e" % (mode, os.getpid())
if mode in ("rr-off", "rr-on"):
    who, fwd = rc.forwarded_to_backend(peers, rc.invite(cid))
    if who is None:
        sc.fail("%s: INVITE not forwarded" % mode)
        sc.finish()
    rr = rc.record_route_of(fwd)
    if mode == "rr-off" and rr is not None:
        sc.fail("record_route off: the INVITE at %s carries %r" % (who, rr))
    elif mode == "rr-on":
        want = b"<sip:%s:5060;lr;sst=%s>" % (sc.VIP.encode(), rc.pin_for(rc.SECRET, cid.encode(), rc.BACKEND_ID[who]))
        if rr != want:
            sc.fail("record_route on after the reload: the INVITE at %s carries %r, want %r" % (who, rr, want))
    sc.note("%s: INVITE at %s, Record-Route %r" % (mode, who, rr))
elif mode == "pin-be3":
    route = b"<sip:%s:5060;lr;sst=%s>" % (sc.VIP.encode(), rc.pin_for(rc.SECRET, b"pinned@e2e", rc.BACKEND_ID["be3"]))
    who, _ = rc.forwarded_to_backend(peers, rc.bye_with_route("pinned@e2e", route))
    if who != "be3":
        sc.fail("BYE pinned to be3 reached %s" % who)
    sc.note("BYE pinned to be3 (id 2) reached %s" % who)
elif mode == "retry":
    peers.drain()
    peers.client.sendto(rc.invite(cid), (sc.VIP, sc.SIP_PORT))
    got = peers.collect(3.0, lambda g: any(w == "client" for w, _, _ in g))
    replies = [sc.Msg(d) for w, d, _ in got if w == "client"]
    if not replies or replies[0].status() != 503 or replies[0].get("retry-after") != b"7":
        sc.fail("backends: [] with retry_after 7: got %r" % [(m.status(), m.get("retry-after")) for m in replies])
    else:
        sc.note("503 with Retry-After: 7")
sc.finish()
PY
}

rewrite off
e2e_start_sipsteer --config "$CONF"
check rr-off || e2e_fail "record_route off at start"
check pin-be3 || e2e_fail "pinned BYE before any reload"

rewrite on
out=$(ctl reload 2>&1) || e2e_fail "reload refused: $out"
echo "$out"
printf '%s' "$out" | grep -q "sip.record_route false -> true" || e2e_fail "reload did not report record_route"
printf '%s' "$out" | grep -qi "restart" && e2e_fail "reload says the sip change needs a restart: $out"
check rr-on || e2e_fail "record_route turned on by a reload is not applied live"

rewrite no_be1
out=$(ctl reload 2>&1) || e2e_fail "reload refused: $out"
echo "$out"
[ "$(ctl_field be2 id)" = 1 ] && [ "$(ctl_field be3 id)" = 2 ] ||
	e2e_fail "ids moved: be2 $(ctl_field be2 id), be3 $(ctl_field be3 id)"
check pin-be3 || e2e_fail "BYE pinned to be3 after be1 was removed from the top of the list"

rewrite empty
out=$(ctl reload 2>&1) || e2e_fail "reload refused: $out"
echo "$out"
check retry || e2e_fail "retry_after changed by a reload is not applied live"

# Every reload through sipsteerctl is in the daemon's log, the refused one too.
printf 'workers: [\n' >>"$CONF"
out=$(ctl reload 2>&1) && e2e_fail "a broken file was reloaded: $out"
n=$(grep -c "info: reload of $CONF: " "$TOPO_DIR/sipsteer.log")
[ "$n" -eq 3 ] || e2e_fail "$n 'reload of' lines in the log for 3 reloads"
grep -q "error: reload refused: .*nothing changed" "$TOPO_DIR/sipsteer.log" ||
	e2e_fail "the refused reload is not in the log"

topo_sipsteer_stop || e2e_fail "sipsteer exited with an error status on SIGTERM"
e2e_ok "reload applies sip.record_route and sip.retry_after live; backend ids stay by name; every reload is logged"
