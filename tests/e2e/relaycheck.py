#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end checks of sipsteer's signed relay and Record-Route pins, with python peers in the
private topology (sipcheck.py's sockets, stats and SIP reader).

  security    responses with a Via branch made under another secret, aimed at the client or at
              a third party, or on our address with another port: none relayed, all counted; a
              branch made with the configured secret for a request this instance never saw
              (a peer instance) is relayed.
  dialog      Record-Route with a pin on INVITE (stable over a retransmission), Path on
              REGISTER, a pin steering a BYE to its backend whatever the table says, a forged
              pin ignored, a backend's BYE routed to the client and its 200 relayed back, a
              backend's request to a host name dropped and counted.
  pins-start  send N INVITEs and save each call's pinned backend to FILE
  pins-end    after a restart with other weights: each call's BYE, carrying its Route, must
              reach the backend of its pin, while some Call-IDs now hash elsewhere.
"""
import argparse
import json
import os
import re
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipcheck as sc  # noqa: E402

SECRET = bytes.fromhex("5f1e0c7b2a9d48e6b3c4d5e6f7a8b9c0")
OTHER_SECRET = bytes.fromhex("00112233445566778899aabbccddeeff")
PIN_TWEAK = 0x72722D70696E2D31  # "rr-pin-1", dataplane/sip_proxy.c
BACKEND_ID = {name: i for i, (name, _) in enumerate(sc.BACKENDS)}
M64 = (1 << 64) - 1


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(k0, k1, data):
    """SipHash-2-4 (reference algorithm) of bytes under the key words k0, k1."""
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573

    def rounds(n):
        nonlocal v0, v1, v2, v3
        for _ in range(n):
            v0 = (v0 + v1) & M64
            v1 = _rotl(v1, 13) ^ v0
            v0 = _rotl(v0, 32)
            v2 = (v2 + v3) & M64
            v3 = _rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & M64
            v3 = _rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & M64
            v1 = _rotl(v1, 17) ^ v2
            v2 = _rotl(v2, 32)

    tail = len(data) % 8
    for i in range(0, len(data) - tail, 8):
        (m,) = struct.unpack_from("<Q", data, i)
        v3 ^= m
        rounds(2)
        v0 ^= m
    b = (len(data) & 0xFF) << 56
    for i in range(tail):
        b |= data[len(data) - tail + i] << (8 * i)
    v3 ^= b
    rounds(2)
    v0 ^= b
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


def key_words(secret):
    return struct.unpack("<QQ", secret)


def sent_by(via):
    """host:port of a Via value as the branch MAC covers it: IPv6 without brackets, 5060 when
    the port is absent."""
    hostport = via.split(None, 1)[1].split(b";", 1)[0].strip()
    if hostport.startswith(b"["):
        host, _, rest = hostport[1:].partition(b"]")
        port = rest[1:] if rest.startswith(b":") else b"5060"
    else:
        host, _, port = hostport.partition(b":")
    return host + b":" + (port or b"5060")


def branch_for(secret, call_id, cseq_num, client_branch, from_tag, client_via, dest=None):
    """Our Via branch as dataplane/sip_proxy.c makes it (client branch with the cookie): where
    the responses go (dest: IPv4 address and port, by default the test client's 5060) and the
    client's sent-by (from its Via value) are covered too."""
    k0, k1 = key_words(secret)
    ip, port = dest or (sc.CLIENT[1], sc.SIP_PORT)
    data = (b"\x04" + socket.inet_aton(ip) + struct.pack(">H", port) +
            call_id + b"\0" + str(cseq_num).encode() + b"\0" + sent_by(client_via) + b"\0" +
            client_branch + b"\0" + from_tag)
    return b"z9hG4bK-sst-%016x" % siphash24(k0, k1, data)


def pin_for(secret, call_id, backend_id):
    """The pin of backend_id (named as in sc.BACKENDS): its MAC covers the name too."""
    k0, k1 = key_words(secret)
    ident = str(backend_id).encode()
    name = sc.BACKENDS[backend_id][0].encode()
    return ident + b".%016x" % siphash24(k0 ^ PIN_TWEAK, k1, call_id + b"\0" + ident + b"\0" + name)


def param(value, name):
    m = re.search(rb";" + name + rb"=([^;>,\s]+)", value, re.I)
    return m.group(1) if m else None


def response_to(req, via_lines, code=200, to_tag=b";tag=be"):
    f = sc.Msg(req)
    to = f.get("to")
    lines = [b"SIP/2.0 %d OK" % code] + via_lines
    lines += [
        b"From: " + f.get("from"),
        b"To: " + to + (to_tag if b"tag=" not in to else b""),
        b"Call-ID: " + f.get("call-id"),
        b"CSeq: " + f.get("cseq"),
        b"Content-Length: 0",
        b"",
        b"",
    ]
    return b"\r\n".join(lines)


def send_collect(peers, sock, data, timeout=2.0, want=None):
    peers.drain()
    sock.sendto(data, (sc.VIP, sc.SIP_PORT))
    return peers.collect(timeout, (lambda g: any(w == want for w, _, _ in g)) if want else None)


def forwarded_to_backend(peers, req):
    peers.drain()
    peers.client.sendto(req, (sc.VIP, sc.SIP_PORT))
    got = peers.collect(sc.MUST_ARRIVE_S, lambda g: any(w != "client" for w, _, _ in g))
    at = [(w, d) for w, d, _ in got if w != "client"]
    return at[0] if at else (None, None)


# ---------------------------------------------------------------------------------------------


def cmd_security(args):
    peers = sc.Peers()
    stats = sc.Stats(args.pid, args.stats)
    before = stats.snapshot()

    req = sc.make_request("OPTIONS", "sec-%d@e2e" % os.getpid())
    who, fwd = forwarded_to_backend(peers, req)
    if who is None:
        sc.fail("control request was not forwarded")
        sc.finish()
    f, r = sc.Msg(fwd), sc.Msg(req)
    vias = sc.header_lines(fwd, b"via")
    ours = param(vias[0], b"branch")
    from_tag = param(r.get("from"), b"tag")
    cseq = int(r.get("cseq").split()[0])
    client_branch = param(r.top_via(), b"branch")
    mine = branch_for(SECRET, r.get("call-id"), cseq, client_branch, from_tag, r.top_via())
    if mine != ours:
        sc.fail("branch algorithm: computed %r, the balancer wrote %r" % (mine, ours))
    else:
        sc.note("branch recomputed from the message and the secret: %s" % ours.decode())
    client_via = vias[1]

    third = b"Via: SIP/2.0/UDP 198.18.0.77:5060;branch=" + client_branch
    third_rcvd = client_via + b";received=198.18.0.78"
    # the client's Via as forwarded ("...;rport=5060;...;received=198.18.0.1"), the response
    # sent elsewhere by its rport or its received
    moved_port = client_via.replace(b"rport=%d" % sc.SIP_PORT, b"rport=%d" % (sc.SIP_PORT + 39))
    moved_host = client_via.replace(b"received=" + sc.CLIENT[1].encode(), b"received=198.18.0.78")
    if moved_port == client_via or moved_host == client_via:
        sc.fail("the forwarded client Via %r has no rport=%d and received=%s" % (client_via, sc.SIP_PORT, sc.CLIENT[1]))
    other = branch_for(OTHER_SECRET, f.get("call-id"), cseq, client_branch, from_tag, r.top_via())
    cases = [
        ("another secret's branch, client below", "proxy_bad_branch_mac",
         [b"Via: SIP/2.0/UDP %s:5060;branch=%s" % (sc.VIP.encode(), other), client_via]),
        ("another secret's branch, third party below", "proxy_bad_branch_mac",
         [b"Via: SIP/2.0/UDP %s:5060;branch=%s" % (sc.VIP.encode(), other), third]),
        ("another secret's branch, received= a third party", "proxy_bad_branch_mac",
         [b"Via: SIP/2.0/UDP %s:5060;branch=%s" % (sc.VIP.encode(), other), third_rcvd]),
        ("made-up MAC, third party below", "proxy_bad_branch_mac",
         [b"Via: SIP/2.0/UDP %s;branch=z9hG4bK-sst-%016x" % (sc.VIP.encode(), os.getpid()), third]),
        ("our own branch, the client's Via below rewritten to a third party", "proxy_bad_branch_mac",
         [b"Via: SIP/2.0/UDP %s:5060;branch=%s" % (sc.VIP.encode(), ours), third]),
        ("our own branch, the client's rport below changed", "proxy_bad_branch_mac",
         [b"Via: SIP/2.0/UDP %s:5060;branch=%s" % (sc.VIP.encode(), ours), moved_port]),
        ("our own branch, the client's received below changed", "proxy_bad_branch_mac",
         [b"Via: SIP/2.0/UDP %s:5060;branch=%s" % (sc.VIP.encode(), ours), moved_host]),
        ("our branch on our address but another port", "proxy_not_our_via",
         [b"Via: SIP/2.0/UDP %s:5070;branch=%s" % (sc.VIP.encode(), ours), third]),
        ("our branch under a third party's Via", "proxy_not_our_via",
         [b"Via: SIP/2.0/UDP 198.18.0.77:5060;branch=%s" % ours, client_via]),
    ]
    want = {}
    for label, reason, via_lines in cases:
        got = []
        for name in ("be1", "be2", "be3"):
            got += send_collect(peers, peers.backends[name], response_to(fwd, via_lines), 0.5)
        got += peers.collect(0.5)
        if got:
            sc.fail("%s: came out at %s" % (label, ",".join(w for w, _, _ in got)))
        else:
            sc.note("%s: not relayed" % label)
        want[reason] = want.get(reason, 0) + 3

    # A peer instance with the same secret: a branch for a request this one never forwarded.
    peer_req = sc.make_request("OPTIONS", "sec-peer-%d@e2e" % os.getpid())
    pr = sc.Msg(peer_req)
    peer_branch = branch_for(SECRET, pr.get("call-id"), 7, param(pr.top_via(), b"branch"),
                             param(pr.get("from"), b"tag"), pr.top_via())
    resp = response_to(peer_req, [b"Via: SIP/2.0/UDP %s:5060;branch=%s" % (sc.VIP.encode(), peer_branch),
                                  b"Via: " + pr.top_via()])
    got = send_collect(peers, peers.backends["be2"], resp, sc.MUST_ARRIVE_S, "client")
    if not any(w == "client" and sc.Msg(d).status() == 200 for w, d, _ in got):
        sc.fail("a branch made with the same secret elsewhere was not relayed")
    else:
        sc.note("a branch made with the same secret by a peer instance: relayed to the client")

    after = stats.snapshot()
    d = sc.delta_map(sc.drops(before), sc.drops(after))
    sc.note("stats: drops %s" % json.dumps(sc.nonzero(d), sort_keys=True))
    for reason, n in want.items():
        if d.get(reason, 0) != n:
            sc.fail("stats: %s went up by %d, want %d" % (reason, d.get(reason, 0), n))
    relayed = sc.total(after, "relayed") - sc.total(before, "relayed")
    if relayed != 1:
        sc.fail("stats: relayed went up by %d, want 1 (the peer instance's)" % relayed)
    sc.finish()


# ---------------------------------------------------------------------------------------------


def invite(call_id, extra=b""):
    req = sc.make_request("INVITE", call_id, extra=extra)
    return req.replace(b"CSeq: 7 INVITE", b"CSeq: 1 INVITE")


def bye_with_route(call_id, route, to_tag=b"be"):
    req = sc.make_request("BYE", call_id, extra=b"Route: " + route + b"\r\n")
    return req.replace(b"To: <sip:service@%s>" % sc.VIP.encode(),
                       b"To: <sip:service@%s>;tag=%s" % (sc.VIP.encode(), to_tag))


def record_route_of(fwd):
    """The first Record-Route value (without the header name), or None."""
    rr = sc.header_lines(fwd, b"record-route")
    return rr[0].partition(b":")[2].strip() if rr else None


def cmd_dialog(args):
    peers = sc.Peers()
    stats = sc.Stats(args.pid, args.stats)
    before = stats.snapshot()
    vip = sc.VIP.encode()

    # INVITE: Record-Route right after our Via, naming the backend that got it; stable.
    cid = b"dlg-%d@e2e" % os.getpid()
    req = invite(cid.decode())
    who, fwd = forwarded_to_backend(peers, req)
    if who is None:
        sc.fail("INVITE not forwarded")
        sc.finish()
    lines = fwd.split(b"\r\n")
    want_rr = b"Record-Route: <sip:%s:5060;lr;sst=%s>" % (vip, pin_for(SECRET, cid, BACKEND_ID[who]))
    if lines[2] != want_rr:
        sc.fail("INVITE at %s: line 3 is %r, want %r" % (who, lines[2], want_rr))
    else:
        sc.note("INVITE at %s carries %s" % (who, want_rr.decode()))
    who2, fwd2 = forwarded_to_backend(peers, req)
    if (who2, fwd2) != (who, fwd):
        sc.fail("retransmitted INVITE forwarded differently (%s)" % who2)
    else:
        sc.note("retransmission: byte-identical at %s" % who)

    # REGISTER: Path, no Record-Route.
    reg = sc.make_request("REGISTER", "reg-%d@e2e" % os.getpid())
    rwho, rfwd = forwarded_to_backend(peers, reg)
    paths = sc.header_lines(rfwd or b"", b"path")
    if paths != [b"Path: <sip:%s:5060;lr>" % vip] or record_route_of(rfwd or b"") is not None:
        sc.fail("REGISTER at %s: Path %r, Record-Route %r" % (rwho, paths, record_route_of(rfwd or b"")))
    else:
        sc.note("REGISTER at %s carries Path: <sip:%s:5060;lr>" % (rwho, sc.VIP))

    # A pin naming each backend in turn steers the BYE there; the table's choice is `who`.
    for name, ident in BACKEND_ID.items():
        route = b"<sip:%s:5060;lr;sst=%s>" % (vip, pin_for(SECRET, cid, ident))
        bwho, bfwd = forwarded_to_backend(peers, bye_with_route(cid.decode(), route))
        if bwho != name:
            sc.fail("BYE pinned to %s reached %s" % (name, bwho))
        elif sc.header_lines(bfwd, b"route"):
            sc.fail("BYE pinned to %s still has a Route" % name)
    sc.note("BYEs pinned to each backend reached it, our Route popped")
    # sip.aliases: a Route by the balancer's host name is ours, popped; a pin there works too.
    for name, ident in BACKEND_ID.items():
        route = b"<sip:LB.example.com;lr;sst=%s>" % pin_for(SECRET, cid, ident)
        bwho, bfwd = forwarded_to_backend(peers, bye_with_route(cid.decode(), route))
        if bwho != name or sc.header_lines(bfwd or b"", b"route"):
            sc.fail("BYE pinned to %s through Route %r reached %s, Route %r" % (
                name, route, bwho, sc.header_lines(bfwd or b"", b"route")))
    other = b"<sip:lb.example.net;lr>"
    _, bfwd = forwarded_to_backend(peers, bye_with_route(cid.decode(), other))
    if sc.header_lines(bfwd or b"", b"route") != [b"Route: " + other]:
        sc.fail("BYE with Route %r (not an alias): at the backend Route %r" % (
            other, sc.header_lines(bfwd or b"", b"route")))
    sc.note("Routes by the alias lb.example.com popped (pins kept); lb.example.net left alone")
    forged = b"<sip:%s:5060;lr;sst=%s>" % (vip, pin_for(OTHER_SECRET, cid, (BACKEND_ID[who] + 1) % 3))
    bwho, _ = forwarded_to_backend(peers, bye_with_route(cid.decode(), forged))
    if bwho != who:
        sc.fail("BYE with a forged pin reached %s, want the table's %s" % (bwho, who))
    else:
        sc.note("forged pin ignored: the table's backend %s" % who)

    # A backend's BYE towards the client: Request-URI the client's Contact.
    be = peers.backends[who]
    be_ip = dict(sc.BACKENDS)[who]
    bye = b"\r\n".join([
        b"BYE sip:e2e@%s:5060 SIP/2.0" % sc.CLIENT[1].encode(),
        b"Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKbe-bye-%d" % (be_ip.encode(), os.getpid()),
        b"Route: <sip:%s:5060;lr;sst=%s>" % (vip, pin_for(SECRET, cid, BACKEND_ID[who])),
        b"Max-Forwards: 70",
        b"From: <sip:service@%s>;tag=be" % vip,
        b"To: " + sc.Msg(req).get("from"),
        b"Call-ID: " + cid,
        b"CSeq: 1 BYE",
        b"Content-Length: 0",
        b"", b""])
    got = send_collect(peers, be, bye, sc.MUST_ARRIVE_S, "client")
    at_client = [d for w, d, _ in got if w == "client"]
    if not at_client:
        sc.fail("backend's BYE did not reach the client (got at %s)" % [w for w, _, _ in got])
    else:
        cb = at_client[0]
        cvias = sc.header_lines(cb, b"via")
        if not cvias or not sc.is_ours(cvias[0].partition(b":")[2].strip()) or sc.header_lines(cb, b"route"):
            sc.fail("backend's BYE at the client: Vias %r, Route %r" % (cvias, sc.header_lines(cb, b"route")))
        ok = response_to(cb, cvias, to_tag=b"")
        got = send_collect(peers, peers.client, ok, sc.MUST_ARRIVE_S, who)
        if not any(w == who and sc.Msg(d).status() == 200 for w, d, _ in got):
            sc.fail("the client's 200 to the backend's BYE did not reach %s" % who)
        else:
            sc.note("backend %s's BYE reached the client; its 200 came back to %s" % (who, who))
    # ... and one to a host name: dropped, counted.
    named = bye.replace(b"BYE sip:e2e@%s:5060" % sc.CLIENT[1].encode(), b"BYE sip:e2e@client.example")
    got = send_collect(peers, be, named, 1.0)
    if got:
        sc.fail("backend's BYE to a host name came out at %s" % [w for w, _, _ in got])
    after = stats.snapshot()
    d = sc.delta_map(sc.drops(before), sc.drops(after))
    sc.note("stats: drops %s" % json.dumps(sc.nonzero(d), sort_keys=True))
    if d.get("proxy_route_host_name", 0) != 1:
        sc.fail("stats: proxy_route_host_name went up by %d, want 1" % d.get("proxy_route_host_name", 0))
    sc.finish()


def cmd_pins_start(args):
    peers = sc.Peers()
    calls = {}
    for n in range(args.calls):
        cid = "pin-%d@e2e" % n
        who, fwd = forwarded_to_backend(peers, invite(cid))
        rr = record_route_of(fwd or b"")
        if who is None or rr is None:
            sc.fail("call %s: INVITE forwarded to %s with Record-Route %r" % (cid, who, rr))
            continue
        calls[cid] = {"backend": who, "route": rr.decode()}
    with open(args.file, "w", encoding="utf-8") as f:
        json.dump(calls, f)
    sc.note("%d calls pinned: %s" % (len(calls), json.dumps(
        {b: sum(1 for c in calls.values() if c["backend"] == b) for b, _ in sc.BACKENDS})))
    sc.finish()


def cmd_pins_end(args):
    peers = sc.Peers()
    with open(args.file, encoding="utf-8") as f:
        calls = json.load(f)
    moved = wrong = 0
    for cid, c in calls.items():
        # Without the Route, where would the table send this Call-ID now?
        now, _ = forwarded_to_backend(peers, invite(cid + ".probe").replace(
            (cid + ".probe").encode(), cid.encode()))
        moved += now != c["backend"]
        who, _ = forwarded_to_backend(peers, bye_with_route(cid, c["route"].encode()))
        if who != c["backend"]:
            wrong += 1
            sc.fail("call %s: BYE reached %s, pinned to %s" % (cid, who, c["backend"]))
    sc.note("%d calls: %d now hash to another backend, every BYE reached its pinned one"
            % (len(calls), moved) if not wrong else "%d BYEs went astray" % wrong)
    if moved == 0:
        sc.fail("no Call-ID moved with the new weights: the check proves nothing")
    sc.finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("security", "dialog"):
        p = sub.add_parser(name)
        p.add_argument("--pid", type=int, required=True)
        p.add_argument("--stats", required=True)
    p = sub.add_parser("pins-start")
    p.add_argument("--calls", type=int, default=60)
    p.add_argument("file")
    p = sub.add_parser("pins-end")
    p.add_argument("file")
    args = ap.parse_args()
    {"security": cmd_security, "dialog": cmd_dialog, "pins-start": cmd_pins_start,
     "pins-end": cmd_pins_end}[args.cmd](args)


if __name__ == "__main__":
    main()
