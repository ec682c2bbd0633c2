#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipsteer end-to-end checks of large messages (IP fragments), over IPv4 or IPv6.

  large    INVITEs with a body of --size bytes from the client to the VIP (the kernel sends them
           as fragments): each must reach one backend whole, with the balancer's Via on top and
           the client's below it; that backend answers 200 OK with a body as large, which must
           reach the client whole with the balancer's Via popped. Then the stats must show no
           fragment drop.
  badfrag  raw fragments (IPv4, or IPv6 with a Fragment header): a lone first fragment must be
           given up after the reassembly timeout (frag_timeout) and a non-last fragment of 7
           bytes refused (frag_bad); the daemon keeps forwarding afterwards.

Exits 0 when every check passed, 1 with one line per failed check.
"""

import argparse
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipcheck  # noqa: E402
from sipcheck import Msg, Stats, fail, finish, header_lines, note  # noqa: E402

FAMILIES = {
    4: {
        "af": socket.AF_INET,
        "vip": "198.18.0.10",
        "client": "198.18.0.1",
        "backends": [("be1", "198.18.0.21"), ("be2", "198.18.0.22"), ("be3", "198.18.0.23")],
    },
    6: {
        "af": socket.AF_INET6,
        "vip": "2001:db8::10",
        "client": "2001:db8::1",
        "backends": [("be1", "2001:db8::21"), ("be2", "2001:db8::22"), ("be3", "2001:db8::23")],
    },
}
PORT = 5060


def in_netns(netns, fn):
    """Run fn() inside /run/netns/<netns> (sockets stay in the namespace they were made in)."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + netns, os.O_RDONLY)
    try:
        sipcheck._setns(target)
        try:
            return fn()
        finally:
            sipcheck._setns(home)
    finally:
        os.close(target)
        os.close(home)


def udp_socket(netns, af, addr):
    def make():
        s = socket.socket(af, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, PORT))
        return s

    return in_netns(netns, make)


class Peers(sipcheck.Peers):
    """The client socket and one socket per backend, all on port 5060, in one family."""

    def __init__(self, fam):
        self.client = udp_socket("client", fam["af"], fam["client"])
        self.backends = {name: udp_socket(name, fam["af"], ip) for name, ip in fam["backends"]}
        self.names = {self.client: "client"}
        for name, s in self.backends.items():
            self.names[s] = name


def host(addr):
    return "[%s]" % addr if ":" in addr else addr


def body_of(size, seed):
    line = ("a=x-pad:%s-" % seed).encode()
    out = bytearray()
    while len(out) < size:
        out += line + b"%06d\r\n" % len(out)
    return bytes(out[:size])


def invite(fam, call_id, size):
    body = body_of(size, call_id)
    head = "\r\n".join(
        [
            "INVITE sip:service@%s SIP/2.0" % host(fam["vip"]),
            "Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK-frag-%s" % (host(fam["client"]), PORT, call_id.split("@")[0]),
            "Max-Forwards: 70",
            "From: <sip:e2e@%s>;tag=f%d" % (host(fam["client"]), os.getpid()),
            "To: <sip:service@%s>" % host(fam["vip"]),
            "Call-ID: " + call_id,
            "CSeq: 1 INVITE",
            "Contact: <sip:e2e@%s:%d>" % (host(fam["client"]), PORT),
            "Content-Type: application/sdp",
            "Content-Length: %d" % len(body),
        ]
    ).encode()
    return head + b"\r\n\r\n" + body


def answer(req, size):
    """200 OK to req (as the backend received it) with a body of size bytes."""
    m = Msg(req)
    body = body_of(size, "answer")
    lines = [b"SIP/2.0 200 OK"] + header_lines(req, b"via")
    lines += [
        b"From: " + m.get("from"),
        b"To: " + m.get("to") + b";tag=be",
        b"Call-ID: " + m.get("call-id"),
        b"CSeq: " + m.get("cseq"),
        b"Content-Type: application/sdp",
        b"Content-Length: %d" % len(body),
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def via_value(line):
    return line.partition(b":")[2].strip()


def same_via(a, b):
    """Same sent-by and branch (the balancer may add received/rport values)."""
    a, b = via_value(a), via_value(b)
    return a.split(b";")[0] == b.split(b";")[0] and sipcheck.branch_of(a) == sipcheck.branch_of(b)


def one_call(peers, fam, i, size):
    label = "call %d (%d-byte body)" % (i, size)
    call_id = "frag-%d-%d@e2e" % (os.getpid(), i)
    req = invite(fam, call_id, size)
    peers.drain()
    peers.client.sendto(req, (fam["vip"], PORT))
    got = peers.collect(3.0, lambda g: any(w != "client" for w, _, _ in g))
    fwd = [(w, d) for w, d, _ in got if w != "client"]
    if len(fwd) != 1:
        back = [Msg(d).start[:60] for w, d, _ in got if w == "client"]
        fail("%s: request reached %d backends, want 1 (client got %s)" % (label, len(fwd), back))
        return False
    who, data = fwd[0]
    f, o = Msg(data), Msg(req)
    vias = header_lines(data, b"via")
    problems = []
    if f.start != o.start:
        problems.append("start line %r" % f.start[:80])
    if f.get("call-id") != call_id.encode():
        problems.append("Call-ID %r" % f.get("call-id"))
    if len(vias) != 2 or b"z9hG4bK-sst-" not in vias[0] or not via_value(vias[0]).startswith(
        b"SIP/2.0/UDP " + host(fam["vip"]).encode()
    ):
        problems.append("top Via %r is not the balancer's" % (vias[:1],))
    if len(vias) != 2 or same_via(vias[1], header_lines(req, b"via")[0]) is False:
        problems.append("client's Via not kept below ours: %r" % (vias[1:],))
    if f.body != o.body:
        problems.append("body changed (%d bytes, want %d)" % (len(f.body), len(o.body)))
    if problems:
        fail("%s: forwarded to %s: %s" % (label, who, "; ".join(problems)))
        return False

    resp = answer(data, size)
    peers.drain()
    peers.backends[who].sendto(resp, (fam["vip"], PORT))
    got = peers.collect(3.0, lambda g: any(w == "client" for w, _, _ in g))
    back = [d for w, d, _ in got if w == "client"]
    if len(back) != 1:
        fail("%s: the %d-byte 200 OK reached the client %d times" % (label, len(resp), len(back)))
        return False
    r = Msg(back[0])
    rvias = header_lines(back[0], b"via")
    if r.status() != 200 or len(rvias) != 1 or not same_via(rvias[0], vias[1]):
        fail("%s: relayed response %r with Vias %r" % (label, r.start[:40], rvias))
        return False
    if r.body != Msg(resp).body:
        fail("%s: response body changed (%d bytes, want %d)" % (label, len(r.body), size))
        return False
    note("ok   %s: %d bytes to %s, %d-byte 200 OK back" % (label, len(req), who, len(back[0])))
    return True


def frag_drops(stats):
    return {k: v for k, v in sipcheck.drops(stats).items() if k.startswith("frag") or k in ("multi_seg", "no_mbuf")}


def cmd_large(args):
    fam = FAMILIES[args.family]
    peers = Peers(fam)
    stats = Stats(args.pid, args.stats)
    before = stats.snapshot()
    ok = sum(1 for i in range(args.count) if one_call(peers, fam, i, args.size))
    after = stats.snapshot()
    note("drops during the run: %r" % sipcheck.nonzero(sipcheck.delta_map(sipcheck.drops(before), sipcheck.drops(after))))
    d = sipcheck.delta_map(frag_drops(before), frag_drops(after))
    if sipcheck.nonzero(d):
        fail("stats: fragment drops %r" % sipcheck.nonzero(d))
    note("%d of %d large calls went through over IPv%d" % (ok, args.count, args.family))
    finish()


def ip4_header(src, dst, ident, flags_off, payload_len):
    hdr = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident, flags_off, 64, socket.IPPROTO_UDP, 0,
        socket.inet_aton(src), socket.inet_aton(dst),
    )
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]


def ip6_fragment(src, dst, ident, offset, more, data):
    """An IPv6 header, a Fragment header (next header UDP) and data (RFC 8200 4.5)."""
    hdr = struct.pack(
        "!IHBB16s16s", 6 << 28, 8 + len(data), 44, 64,
        socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst),
    )
    frag = struct.pack("!BBHI", socket.IPPROTO_UDP, 0, offset | (1 if more else 0), ident)
    return hdr + frag + data


def cmd_badfrag(args):
    fam = FAMILIES[args.family]
    peers = Peers(fam)
    stats = Stats(args.pid, args.stats)
    raw = in_netns("client", lambda: socket.socket(fam["af"], socket.SOCK_RAW, socket.IPPROTO_RAW))
    before = sipcheck.drops(stats.snapshot())
    if args.family == 4:
        # A first fragment (UDP header and 1472 bytes, MF) whose rest never comes.
        udp = struct.pack("!HHHH", PORT, PORT, 8 + 3000, 0) + b"x" * 1472
        raw.sendto(ip4_header(fam["client"], fam["vip"], 0x5151, 0x2000, len(udp)) + udp, (fam["vip"], 0))
        # A non-last fragment of 7 bytes.
        raw.sendto(ip4_header(fam["client"], fam["vip"], 0x5152, 0x2000, 7) + b"y" * 7, (fam["vip"], 0))
    else:
        # The same over IPv6 (IPPROTO_RAW: the header is ours): a first fragment alone, then a
        # non-last fragment of 7 bytes.
        udp = struct.pack("!HHHH", PORT, PORT, 8 + 3000, 0) + b"x" * 1392
        raw.sendto(ip6_fragment(fam["client"], fam["vip"], 0x51515151, 0, True, udp), (fam["vip"], 0))
        raw.sendto(ip6_fragment(fam["client"], fam["vip"], 0x51515152, 0, True, b"y" * 7), (fam["vip"], 0))
    time.sleep(args.timeout + 1.0)
    # A call now: the daemon still forwards (and its loop turn gives the lone fragment up).
    one_call(peers, fam, 0, 3000)
    after = sipcheck.drops(stats.snapshot())
    for name, want in (("frag_timeout", 1), ("frag_bad", 1)):
        got = after.get(name, 0) - before.get(name, 0)
        if got != want:
            fail("stats: %s went up by %d, want %d" % (name, got, want))
        else:
            note("ok   %s +%d" % (name, got))
    finish()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, fn in (("large", cmd_large), ("badfrag", cmd_badfrag)):
        p = sub.add_parser(name)
        p.add_argument("--pid", type=int, required=True, help="sipsteer's pid (for SIGUSR1)")
        p.add_argument("--stats", required=True, help="sipsteer's --stats-file")
        p.set_defaults(fn=fn)
        p.add_argument("--family", type=int, choices=(4, 6), default=4)
        if name == "large":
            p.add_argument("--size", type=int, default=3000)
            p.add_argument("--count", type=int, default=20)
        else:
            p.add_argument("--timeout", type=float, default=2.0, help="the daemon's reassembly timeout, s")
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
