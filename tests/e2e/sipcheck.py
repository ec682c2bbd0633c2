#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipsteer end-to-end checks: raw SIP over UDP from several network namespaces, and the
checks on sipp traces and on the daemon's stats file.

One process opens UDP sockets in several namespaces (setns(2) around socket creation: a socket
stays in the namespace it was created in), so a test can send from a client and listen on the
backends at once. Every receive has a timeout; nothing here waits forever.

Subcommands (each exits 0 on success, 1 with a message per failed check):
  replies    Max-Forwards 0 -> 483, or (--no-backends) every request -> 503 with Retry-After
  corpus     each RFC 4475 message against its EXPECT.tsv verdict
  forged     responses whose top Via is not ours are not relayed, and are counted
  traces     sipp -trace_shortmsg logs of the backends: one backend per Call-ID, shares
  branches   sipp -trace_msg logs of the backends: CANCEL/ACK carry the INVITE's branch
  ratelimit  per-source rate limit: a flood passes burst + rate x time, a slow source all
  dialogs    UAC and backend sipp traces: calls stay on one backend across add/drain/weight
  sippstat   print the last line of a sipp -trace_stat CSV as key=value
  stats      check/print the daemon's stats file (per-backend shares)
"""

import argparse
import ctypes
import json
import os
import re
import select
import signal
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
VIP = "198.18.0.10"
SIP_PORT = 5060
# Seconds to wait for a message that must arrive. Such a wait ends as soon as it does, so only a
# machine that stalls (a busy or shared host) ever uses it up; a check that nothing arrives
# waits its own short time, and the daemon's counters confirm it.
MUST_ARRIVE_S = 10.0
CLIENT = ("client", "198.18.0.1")
CLIENT2 = ("client2", "198.18.0.2")
BACKENDS = [("be1", "198.18.0.21"), ("be2", "198.18.0.22"), ("be3", "198.18.0.23")]
OUR_BRANCH = b"z9hG4bK-sst-"

COMPACT = {
    b"i": b"call-id",
    b"v": b"via",
    b"f": b"from",
    b"t": b"to",
    b"l": b"content-length",
    b"m": b"contact",
    b"c": b"content-type",
    b"e": b"content-encoding",
    b"s": b"subject",
    b"k": b"supported",
}

_libc = ctypes.CDLL(None, use_errno=True)
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def note(msg):
    print(msg, flush=True)


def finish():
    if failures:
        note("%d check(s) failed" % len(failures))
        sys.exit(1)
    note("all checks passed")
    sys.exit(0)


# ---------------------------------------------------------------------------------------------
# Sockets in namespaces


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


def udp_socket(netns, addr, port):
    """A UDP socket bound to addr:port, created inside /run/netns/<netns>."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + netns, os.O_RDONLY)
    try:
        _setns(target)
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)
    return s


class Peers:
    """The client socket and one socket per backend, all on port 5060."""

    def __init__(self, with_backends=True):
        self.client = udp_socket(CLIENT[0], CLIENT[1], SIP_PORT)
        self.backends = {}
        if with_backends:
            for name, ip in BACKENDS:
                self.backends[name] = udp_socket(name, ip, SIP_PORT)
        self.names = {self.client: "client"}
        for name, s in self.backends.items():
            self.names[s] = name

    def all(self):
        return list(self.names)

    def drain(self):
        for s in self.all():
            s.setblocking(False)
            try:
                while True:
                    s.recvfrom(65535)
            except BlockingIOError:
                pass
            s.setblocking(True)

    def collect(self, timeout, done=None):
        """Receive on every socket for up to timeout seconds (less when done(got) is true).
        Returns a list of (receiver name, data, source)."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select(self.all(), [], [], left)
            for s in ready:
                data, src = s.recvfrom(65535)
                got.append((self.names[s], data, src))
            if done is not None and done(got):
                break
        return got


# ---------------------------------------------------------------------------------------------
# A small, lenient SIP reader for the checks (not the one under test).


class Msg:
    def __init__(self, data):
        self.data = data
        end = data.find(b"\r\n\r\n")
        if end < 0:
            head, self.body = data, b""
            self.body_off = len(data)
        else:
            head, self.body = data[:end], data[end + 4 :]
            self.body_off = end + 4
        lines = head.split(b"\r\n")
        self.start = lines[0]
        self.headers = []  # (lower-case full name, value), folded lines joined
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and self.headers:
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + b" " + line.strip())
                continue
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            self.headers.append((COMPACT.get(name, name), value.strip()))

    def get_all(self, name):
        if isinstance(name, str):
            name = name.encode()
        return [v for n, v in self.headers if n == name]

    def get(self, name):
        values = self.get_all(name)
        return values[0] if values else None

    def is_response(self):
        return self.start.startswith(b"SIP/2.0 ")

    def status(self):
        if not self.is_response():
            return None
        parts = self.start.split(b" ", 2)
        try:
            return int(parts[1])
        except (IndexError, ValueError):
            return None

    def top_via(self):
        v = self.get("via")
        return v.split(b",")[0].strip() if v is not None else None

    def max_forwards(self):
        v = self.get("max-forwards")
        try:
            return int(v) if v is not None else None
        except ValueError:
            return None


def header_lines(data, name):
    """Raw header lines (without CRLF) whose name is name (full or compact), in order."""
    out = []
    m = Msg(data)
    head = data[: m.body_off]
    for line in head.split(b"\r\n")[1:]:
        n = line.partition(b":")[0].strip().lower()
        if COMPACT.get(n, n) == name:
            out.append(line)
    return out


def is_ours(via):
    return via is not None and via.startswith(b"SIP/2.0/UDP " + VIP.encode()) and OUR_BRANCH in via


# ---------------------------------------------------------------------------------------------
# The daemon's stats file


class Stats:
    def __init__(self, pid, path):
        self.pid = pid
        self.path = path

    def _sig(self):
        try:
            st = os.stat(self.path)
            return (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            return None

    def snapshot(self):
        """SIGUSR1 the daemon, wait for the rewritten file, return it parsed."""
        before = self._sig()
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._sig() not in (None, before):
                try:
                    with open(self.path, encoding="utf-8") as f:
                        return json.load(f)
                except (json.JSONDecodeError, FileNotFoundError):
                    pass
            time.sleep(0.05)
        raise RuntimeError("no stats file from sipsteer (pid %d) after SIGUSR1" % self.pid)

    def alive(self):
        try:
            os.kill(self.pid, 0)
            return True
        except ProcessLookupError:
            return False


def total(stats, *path):
    node = stats.get("total", {})
    for p in path:
        node = node.get(p, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, int) else 0


def drops(stats):
    d = stats.get("total", {}).get("drops", {})
    return {k: v for k, v in d.items() if isinstance(v, int)}


def nonzero(counts):
    return {k: v for k, v in counts.items() if v}


def delta_map(before, after):
    keys = set(before) | set(after)
    return {k: after.get(k, 0) - before.get(k, 0) for k in keys if after.get(k, 0) != before.get(k, 0)}


def replied(stats):
    r = stats.get("total", {}).get("replied", {})
    return {k: v for k, v in r.items() if isinstance(v, int)}


def share_check(label, counts, weights, tolerance):
    """counts: {name: n}; weights: {name: w}. Each share within tolerance of w / sum(w)."""
    n = sum(counts.values())
    wsum = sum(weights.values())
    if n == 0:
        fail("%s: nothing counted" % label)
        return
    for name in sorted(weights):
        share = counts.get(name, 0) / n
        want = weights[name] / wsum
        line = "%s: %s %d of %d = %.3f (weight share %.3f)" % (label, name, counts.get(name, 0), n, share, want)
        if abs(share - want) > tolerance:
            fail(line + " off by more than %.3f" % tolerance)
        else:
            note(line)


# ---------------------------------------------------------------------------------------------
# replies


def branch():
    return "z9hG4bK-e2e-%d-%d" % (os.getpid(), time.monotonic_ns())


def make_request(method, call_id, max_forwards=70, extra=b"", via_port=SIP_PORT, rport=True):
    via = "SIP/2.0/UDP %s:%d%s;branch=%s" % (CLIENT[1], via_port, ";rport" if rport else "", branch())
    lines = [
        "%s sip:service@%s SIP/2.0" % (method, VIP),
        "Via: " + via,
        "Max-Forwards: %d" % max_forwards if max_forwards is not None else None,
        "From: <sip:e2e@%s>;tag=e2e%d" % (CLIENT[1], os.getpid()),
        "To: <sip:service@%s>" % VIP,
        "Call-ID: " + call_id,
        "CSeq: 7 " + method,
        "Contact: <sip:e2e@%s:%d>" % (CLIENT[1], SIP_PORT),
    ]
    head = "\r\n".join(line for line in lines if line is not None).encode()
    return head + b"\r\n" + extra + b"Content-Length: 0\r\n\r\n"


def expect_reply(peers, request, code, label, extra_check=None):
    peers.drain()
    peers.client.sendto(request, (VIP, SIP_PORT))
    got = peers.collect(MUST_ARRIVE_S, lambda g: any(r == "client" for r, _, _ in g))
    replies = [Msg(d) for r, d, _ in got if r == "client"]
    forwarded = [r for r, _, _ in got if r != "client"]
    req = Msg(request)
    if forwarded:
        fail("%s: request reached %s instead of being answered" % (label, ", ".join(forwarded)))
    if not replies:
        fail("%s: no reply within 3 s (want %d)" % (label, code))
        return None
    rep = replies[0]
    if rep.status() != code:
        fail("%s: reply %r, want %d" % (label, rep.start, code))
        return rep
    problems = []
    if rep.get("call-id") != req.get("call-id"):
        problems.append("Call-ID %r not echoed" % rep.get("call-id"))
    if rep.get("cseq") != req.get("cseq"):
        problems.append("CSeq %r not echoed" % rep.get("cseq"))
    top = rep.top_via() or b""
    if not top.startswith(req.top_via().split(b";")[0]) or branch_of(top) != branch_of(req.top_via()):
        problems.append("top Via %r is not the request's" % top)
    if rep.get("to") is None or b"tag=" not in rep.get("to"):
        problems.append("To %r has no tag" % rep.get("to"))
    if extra_check is not None:
        problems += extra_check(rep)
    if problems:
        fail("%s: %s" % (label, "; ".join(problems)))
    else:
        note("%s: %s" % (label, rep.start.decode(errors="replace")))
    return rep


def branch_of(via):
    for param in via.split(b";")[1:]:
        k, _, v = param.partition(b"=")
        if k.strip().lower() == b"branch":
            return v.strip()
    return None


def cmd_replies(args):
    peers = Peers(with_backends=True)
    stats = Stats(args.pid, args.stats)
    before = stats.snapshot()
    if args.no_backends:

        def retry_after(rep):
            ra = rep.get("retry-after")
            if ra is None:
                return ["no Retry-After"]
            if ra.split(b";")[0].strip() != str(args.retry_after).encode():
                return ["Retry-After %r, want %d" % (ra, args.retry_after)]
            return []

        want = {"503": 0}
        for method in ("INVITE", "OPTIONS", "REGISTER"):
            req = make_request(method, "nobe-%s-%d@e2e" % (method.lower(), os.getpid()))
            if expect_reply(peers, req, 503, "%s with no backend" % method, retry_after):
                want["503"] += 1
    else:
        want = {"483": 0}
        for method in ("INVITE", "OPTIONS", "MESSAGE"):
            req = make_request(method, "mf0-%s-%d@e2e" % (method.lower(), os.getpid()), max_forwards=0)
            if expect_reply(peers, req, 483, "%s with Max-Forwards 0" % method):
                want["483"] += 1
        # Control: Max-Forwards 1 is still forwarded, with 0 left.
        peers.drain()
        req = make_request("OPTIONS", "mf1-%d@e2e" % os.getpid(), max_forwards=1)
        peers.client.sendto(req, (VIP, SIP_PORT))
        got = peers.collect(MUST_ARRIVE_S, lambda g: bool(g))
        at = [(r, Msg(d)) for r, d, _ in got]
        if not at or at[0][0] == "client":
            fail("OPTIONS with Max-Forwards 1: not forwarded (%s)" % (at[0][1].start if at else "nothing"))
        elif at[0][1].max_forwards() != 0 or not is_ours(at[0][1].top_via()):
            fail("OPTIONS with Max-Forwards 1: forwarded with Max-Forwards %r, top Via %r" % (at[0][1].max_forwards(), at[0][1].top_via()))
        else:
            note("OPTIONS with Max-Forwards 1: forwarded to %s with Max-Forwards 0" % at[0][0])
    # An ACK is never answered (RFC 3261 17): dropped, counted by its fault.
    want_drops = {}
    if args.no_backends:
        ack = make_request("ACK", "nobe-ack-%d@e2e" % os.getpid())
        want_drops["no_backend"] = 1
        label = "ACK with no backend"
    else:
        ack = make_request("ACK", "mf0-ack-%d@e2e" % os.getpid(), max_forwards=0)
        want_drops["sip_too_many_hops"] = 1
        label = "ACK with Max-Forwards 0"
    peers.drain()
    peers.client.sendto(ack, (VIP, SIP_PORT))
    got = peers.collect(1.0)
    if got:
        fail("%s: %s got %r" % (label, got[0][0], Msg(got[0][1]).start))
    else:
        note("%s: no reply, not forwarded" % label)
    # Without rport the reply goes to the sent-by port (RFC 3261 18.2.2), not the source port.
    alt_port = SIP_PORT + 10
    alt = udp_socket(CLIENT[0], CLIENT[1], alt_port)
    peers.names[alt] = "client:%d" % alt_port
    code = 503 if args.no_backends else 483
    req = make_request("OPTIONS", "sentby-%d@e2e" % os.getpid(), max_forwards=None if args.no_backends else 0,
                       via_port=alt_port, rport=False)
    peers.drain()
    peers.client.sendto(req, (VIP, SIP_PORT))
    got = peers.collect(MUST_ARRIVE_S, lambda g: bool(g))
    where = [(r, Msg(d).start) for r, d, _ in got]
    if any(r.startswith("client") for r, _ in where):
        want[str(code)] += 1  # answered, to one port or the other
    if where and where[0][0] == peers.names[alt] and Msg(got[0][1]).status() == code:
        note("%d to a Via with sent-by port %d and no rport: sent to that port" % (code, alt_port))
    else:
        fail("%d to a Via with sent-by port %d and no rport: got %r" % (code, alt_port, where))
    after = stats.snapshot()
    d = delta_map(replied(before), replied(after))
    for code, n in want.items():
        if d.get(code, 0) != n:
            fail("stats: replied[%s] went up by %d, want %d" % (code, d.get(code, 0), n))
        else:
            note("stats: replied[%s] +%d" % (code, n))
    dd = delta_map(drops(before), drops(after))
    for name, n in want_drops.items():
        if dd.get(name, 0) != n:
            fail("stats: drops[%s] went up by %d, want %d" % (name, dd.get(name, 0), n))
        else:
            note("stats: drops[%s] +%d" % (name, n))
    finish()


# ---------------------------------------------------------------------------------------------
# corpus


def read_expect(path):
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    header = lines[0].rstrip("\r").split("\t")
    for line in lines[1:]:
        if not line.strip():
            continue
        rows.append(dict(zip(header, line.rstrip("\r").split("\t"))))
    return rows


def expected_body(orig):
    """The body a forwarded request must carry: Content-Length bytes, or the rest (none given)."""
    m = Msg(orig)
    cl = m.get("content-length")
    if cl is None:
        return orig[m.body_off :]
    try:
        n = int(cl)
    except ValueError:
        return None
    return orig[m.body_off : m.body_off + n]


def check_forwarded(label, orig, fwd, call_id):
    """Problems with a request forwarded by the balancer (empty list = fine)."""
    o, f = Msg(orig), Msg(fwd)
    problems = []
    if f.start != o.start:
        problems.append("start line changed: %r" % f.start[:80])
    cid = f.get("call-id")
    if call_id != "-" and cid != call_id.encode("utf-8"):
        problems.append("Call-ID %r, want %r" % (cid, call_id))
    vias = header_lines(fwd, b"via")
    if not vias or not is_ours(vias[0].partition(b":")[2].strip()):
        problems.append("top Via %r is not the balancer's" % (vias[0] if vias else None))
    omf, fmf = o.max_forwards(), f.max_forwards()
    want_mf = 70 if omf is None else omf - 1
    if fmf != want_mf:
        problems.append("Max-Forwards %r, want %d" % (fmf, want_mf))
    body = expected_body(orig)
    if body is not None and f.body != body:
        problems.append("body changed (%d bytes, want %d)" % (len(f.body), len(body)))
    return problems


def feed_response_via(peers, name, data, label):
    """Get a real balancer Via for response `data`: send the matching request (same Call-ID,
    CSeq and top Via) from the client and take the Via lines the balancer forwarded."""
    r = Msg(data)
    via_line = header_lines(data, b"via")[0].partition(b":")[2].strip()
    cseq = r.get("cseq")
    method = cseq.split()[1] if cseq and len(cseq.split()) > 1 else b"INVITE"
    req = b"\r\n".join(
        [
            method + b" sip:user@example.edu SIP/2.0",
            b"Via: " + via_line,
            b"Max-Forwards: 70",
            b"From: " + r.get("from"),
            b"To: " + r.get("to").split(b";tag=")[0],
            b"Call-ID: " + r.get("call-id"),
            b"CSeq: " + cseq,
            b"Content-Length: 0",
            b"",
            b"",
        ]
    )
    peers.drain()
    peers.client.sendto(req, (VIP, SIP_PORT))
    got = peers.collect(MUST_ARRIVE_S, lambda g: bool(g))
    at = [(who, d) for who, d, _ in got if who != "client"]
    if not at:
        fail("%s: the matching request was not forwarded (%s)" % (label, [Msg(d).start for _, d, _ in got]))
        return None, None
    who, fwd = at[0]
    return who, header_lines(fwd, b"via")[:2]


def cmd_corpus(args):
    peers = Peers()
    stats = Stats(args.pid, args.stats)
    before = stats.snapshot()
    rows = read_expect(args.expect)
    seen_codes = {}
    expect_drops = 0
    n_forwarded = 0
    for row in rows:
        label = "%s (%s, %s)" % (row["file"], row["kind"], row["lb_action"])
        with open(os.path.join(args.corpus, row["file"]), "rb") as f:
            data = f.read()
        if row["kind"] == "response":
            expect_drops += corpus_response(peers, row, data, label)
            continue
        action, codes = row["lb_action"], row["reply"]
        allowed = [int(c) for c in codes.split("|")] if codes not in ("-", "drop") else []
        peers.drain()
        peers.client.sendto(data, (VIP, SIP_PORT))

        def decided(got):
            return any(True for _ in got)

        got = peers.collect(MUST_ARRIVE_S if codes != "drop" else 1.0, decided)
        got += peers.collect(0.1)  # anything arriving right behind the first answer
        fwd = [(who, d) for who, d, _ in got if who != "client"]
        rep = [Msg(d) for who, d, _ in got if who == "client"]
        outcome = []
        if fwd:
            outcome.append("forwarded to " + ",".join(w for w, _ in fwd))
        if rep:
            outcome.append("replied " + ",".join(str(m.status()) for m in rep))
        outcome = "; ".join(outcome) or "nothing"
        if fwd and rep:
            fail("%s: both forwarded and replied (%s)" % (label, outcome))
            continue
        if len(fwd) > 1 or len(rep) > 1:
            fail("%s: more than one copy (%s)" % (label, outcome))
            continue
        if fwd:
            if action not in ("forward", "either"):
                fail("%s: forwarded, want reply %s" % (label, codes))
                continue
            problems = check_forwarded(label, data, fwd[0][1], row["call_id"])
            if problems:
                fail("%s: %s" % (label, "; ".join(problems)))
                continue
            n_forwarded += 1
        elif rep:
            code = rep[0].status()
            if action == "forward":
                fail("%s: replied %s, want forward" % (label, rep[0].start[:60]))
                continue
            if code not in allowed:
                fail("%s: replied %r, want %s" % (label, rep[0].start[:60], codes))
                continue
            cid = rep[0].get("call-id")
            if row["call_id"] != "-" and cid != row["call_id"].encode("utf-8"):
                fail("%s: reply Call-ID %r, want %r" % (label, cid, row["call_id"]))
                continue
            seen_codes[str(code)] = seen_codes.get(str(code), 0) + 1
        else:
            if codes != "drop":
                fail("%s: nothing came back and nothing was forwarded (want %s)" % (label, "forward" if action == "forward" else codes))
                continue
            expect_drops += 1
        note("ok   %-14s %s" % (row["file"], outcome))
    if not stats.alive():
        fail("sipsteer died during the corpus run")
        finish()
    after = stats.snapshot()
    d_drops = delta_map(drops(before), drops(after))
    d_replied = delta_map(replied(before), replied(after))
    d_fwd = total(after, "forwarded") - total(before, "forwarded")
    note("stats: forwarded +%d, replied %s, drops %s" % (d_fwd, json.dumps(d_replied, sort_keys=True), json.dumps(d_drops, sort_keys=True)))
    n_drops = sum(d_drops.values())
    if n_drops < expect_drops:
        fail("stats: drop counters went up by %d, but %d messages were dropped" % (n_drops, expect_drops))
    if d_fwd < n_forwarded:
        fail("stats: forwarded went up by %d, but %d requests arrived at backends" % (d_fwd, n_forwarded))
    for code, n in seen_codes.items():
        if code in replied(after) and d_replied.get(code, 0) != n:
            fail("stats: replied[%s] went up by %d, but %d such replies arrived" % (code, d_replied.get(code, 0), n))
    finish()


def corpus_response(peers, row, data, label):
    """Feed one corpus response from a backend; returns how many drops it must cause."""
    name = row["file"]
    feeder = "be1"
    drops_expected = 0
    if row["lb_action"] == "forward":
        # A relayable response needs a Via the balancer made: get one from a real request.
        who, vias = feed_response_via(peers, name, data, label)
        if not vias or len(vias) < 2:
            return 0
        m = Msg(data)
        start, rest = data.split(b"\r\n", 1)
        # (a) README policy: the balancer's Via on top of the file as is; the next hop is the
        # file's own sent-by (192.0.2.x, off our network), so it cannot be delivered.
        peers.drain()
        peers.backends[who].sendto(start + b"\r\n" + vias[0] + b"\r\n" + rest, (VIP, SIP_PORT))
        got = peers.collect(1.0)
        if got:
            fail("%s: a response for an off-network next hop showed up at %s" % (label, got[0][0]))
            return 0
        # (b) The Vias as the backend really received them (the client's now has received=),
        # so the relay must reach the client, reason phrase and body intact, our Via gone.
        orig_via = header_lines(data, b"via")[0]
        body = start + b"\r\n" + vias[0] + b"\r\n" + vias[1] + b"\r\n" + rest.replace(orig_via + b"\r\n", b"", 1)
        peers.drain()
        peers.backends[who].sendto(body, (VIP, SIP_PORT))
        got = peers.collect(MUST_ARRIVE_S, lambda g: bool(g))
        rel = [Msg(d) for w, d, _ in got if w == "client"]
        if not rel:
            fail("%s: relayed response never reached the client (%s)" % (label, [w for w, _, _ in got]))
            return 0
        r = rel[0]
        problems = []
        if r.start != start:
            problems.append("status line changed to %r" % r.start)
        if is_ours(r.top_via()):
            problems.append("our Via was not removed")
        if r.body != m.body:
            problems.append("body changed")
        if problems:
            fail("%s: %s" % (label, "; ".join(problems)))
            return 0
        note("ok   %-14s relayed from %s to the client, status line intact" % (name, who))
        return 0
    # Responses the RFC says to discard: feed as is; nothing may come out anywhere.
    peers.drain()
    peers.backends[feeder].sendto(data, (VIP, SIP_PORT))
    got = peers.collect(1.0)
    if got:
        fail("%s: fed response came out at %s" % (label, ",".join(w for w, _, _ in got)))
        return 0
    note("ok   %-14s dropped" % name)
    drops_expected += 1
    return drops_expected


# ---------------------------------------------------------------------------------------------
# forged


def cmd_forged(args):
    peers = Peers()
    stats = Stats(args.pid, args.stats)
    before = stats.snapshot()

    # Control: a real request, its response relayed back to the client.
    req = make_request("OPTIONS", "forged-ctl-%d@e2e" % os.getpid())
    peers.drain()
    peers.client.sendto(req, (VIP, SIP_PORT))
    got = peers.collect(MUST_ARRIVE_S, lambda g: bool(g))
    at = [(w, d) for w, d, _ in got if w != "client"]
    if not at:
        fail("control request was not forwarded")
        finish()
    who, fwd = at[0]
    vias = header_lines(fwd, b"via")
    f = Msg(fwd)

    def response(via_lines, call_id=None):
        lines = [b"SIP/2.0 200 OK"] + via_lines
        lines += [
            b"From: " + f.get("from"),
            b"To: " + f.get("to") + b";tag=be",
            b"Call-ID: " + (call_id if call_id is not None else f.get("call-id")),
            b"CSeq: " + f.get("cseq"),
            b"Content-Length: 0",
            b"",
            b"",
        ]
        return b"\r\n".join(lines)

    peers.drain()
    peers.backends[who].sendto(response(vias), (VIP, SIP_PORT))
    got = peers.collect(MUST_ARRIVE_S, lambda g: bool(g))
    if not any(w == "client" and Msg(d).status() == 200 for w, d, _ in got):
        fail("control: the genuine 200 was not relayed to the client")
    else:
        note("control: genuine 200 from %s relayed to the client" % who)

    client_via = b"Via: SIP/2.0/UDP %s:%d;rport;branch=z9hG4bKforged" % (CLIENT[1].encode(), SIP_PORT)
    forged = [
        ("top Via names the client, not the balancer", "not_our_via", [client_via]),
        (
            "top Via names another host with our branch prefix",
            "not_our_via",
            [b"Via: SIP/2.0/UDP 198.18.0.99:5060;branch=z9hG4bK-sst-0123456789abcdef", client_via],
        ),
        (
            "our host and prefix, made-up MAC",
            "bad_branch_mac",
            [b"Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-sst-0123456789abcdef" % (VIP.encode(), SIP_PORT), client_via],
        ),
        ("our real Via replayed on another Call-ID", "bad_branch_mac", vias, b"replayed-" + f.get("call-id")),
    ]
    want = {}
    for entry in forged:
        label, reason, via_lines = entry[0], entry[1], entry[2]
        call_id = entry[3] if len(entry) > 3 else None
        peers.drain()
        for name in ("be1", "be2"):
            peers.backends[name].sendto(response(via_lines, call_id), (VIP, SIP_PORT))
        got = peers.collect(1.0)
        if got:
            fail("forged (%s): came out at %s" % (label, ",".join(w for w, _, _ in got)))
        else:
            note("forged (%s): not relayed" % label)
        want[reason] = want.get(reason, 0) + 2
    after = stats.snapshot()
    d = delta_map(drops(before), drops(after))
    note("stats: drops %s" % json.dumps(d, sort_keys=True))
    counted = {r: sum(v for k, v in d.items() if r in k) for r in want}
    for r, n in want.items():
        if counted[r] != n:
            fail("stats: drops matching %r went up by %d, want %d" % (r, counted[r], n))
    if total(after, "relayed") - total(before, "relayed") != 1:
        fail("stats: relayed went up by %d, want 1 (the control)" % (total(after, "relayed") - total(before, "relayed")))
    finish()


# ---------------------------------------------------------------------------------------------
# ratelimit


def _rl_request(i, label, src_ip, bad=False):
    """Request i of a run: OPTIONS and INVITE in turn, Call-ID rl-LABEL-i@e2e, from src_ip.
    bad: SIP/3.0 on the start line (answered 505 by sipsteer itself)."""
    method = "OPTIONS" if i % 2 == 0 else "INVITE"
    # The client's address, never the VIP's (198.18.0.10), becomes src_ip.
    req = re.sub(re.escape(CLIENT[1].encode()) + rb"(?![0-9])", src_ip.encode(), make_request(method, "rl-%s-%d@e2e" % (label, i)))
    if bad:
        req = req.replace(b" SIP/2.0\r\n", b" SIP/3.0\r\n", 1)
    return req


def _rl_received(got, label):
    """Distinct Call-IDs of run LABEL that reached a backend."""
    out = set()
    for r, data, _ in got:
        if r != "client":
            cid = (Msg(data).get("call-id") or b"").decode(errors="replace")
            if cid.startswith("rl-%s-" % label):
                out.add(cid)
    return out


def cmd_ratelimit(args):
    """Per-source rate limit (rate_limit.rate/burst): a flood from the client passes only about
    burst + rate x its duration, the rest counted rate_limited; a slow second client (client2)
    sending during a flood loses nothing; a flood of bad requests gets replies only within the
    bucket. With --rate 0 (limit off) nothing is limited."""
    peers = Peers(with_backends=True)
    c2 = udp_socket(CLIENT2[0], CLIENT2[1], SIP_PORT)
    peers.names[c2] = "client2"
    for s in peers.all():
        # A flood of 200 datagrams must not overflow a receiver (root may force the size).
        s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", socket.SO_RCVBUF), 4 << 20)
    stats = Stats(args.pid, args.stats)
    limited = args.rate > 0

    def allowed(elapsed):
        # Tokens a full bucket gives over `elapsed` seconds, with 0.1 s for the daemon's own
        # delays (it sees the requests a little later and more spread out than they were sent).
        return args.burst + int(args.rate * (elapsed + 0.1)) + 1 if limited else None

    def rl_drops(before, after):
        return drops(after).get("rate_limited", 0) - drops(before).get("rate_limited", 0)

    def forwarded(before, after):
        return total(after, "forwarded") - total(before, "forwarded")

    # 1. Flood from the client, as fast as one socket sends.
    peers.drain()
    before = stats.snapshot()
    t0 = time.monotonic()
    for i in range(args.count):
        peers.client.sendto(_rl_request(i, "flood", CLIENT[1]), (VIP, SIP_PORT))
    elapsed = time.monotonic() - t0
    got = _rl_received(peers.collect(1.5), "flood")
    after = stats.snapshot()
    n, d, f = len(got), rl_drops(before, after), forwarded(before, after)
    note("flood: %d requests from %s in %.3f s: %d reached the backends, %d rate_limited, %d forwarded" % (
        args.count, CLIENT[1], elapsed, n, d, f))
    if limited:
        if not args.burst <= n <= allowed(elapsed):
            fail("flood: %d requests passed, want %d..%d (burst %d, rate %d/s over %.3f s)" % (
                n, args.burst, allowed(elapsed), args.burst, args.rate, elapsed))
    elif n != args.count:
        fail("flood with the limit off: %d of %d requests passed" % (n, args.count))
    if d != args.count - n or f != n:
        fail("flood: stats count %d rate_limited and %d forwarded, want %d and %d" % (d, f, args.count - n, n))

    # 2. The client keeps flooding (100/s) while client2 sends slowly (5/s), for 3 s.
    peers.drain()
    before = stats.snapshot()
    sent1 = sent2 = 0
    got_all = []
    t0 = time.monotonic()
    while True:
        now = time.monotonic() - t0
        if now >= 3.0:
            break
        if now >= sent1 * 0.01:
            peers.client.sendto(_rl_request(sent1, "steady", CLIENT[1]), (VIP, SIP_PORT))
            sent1 += 1
        if now >= sent2 * 0.2:
            c2.sendto(_rl_request(sent2, "slow", CLIENT2[1]), (VIP, SIP_PORT))
            sent2 += 1
        got_all += peers.collect(0.005)
    elapsed = time.monotonic() - t0
    got_all += peers.collect(1.0)
    after = stats.snapshot()
    n1, n2 = len(_rl_received(got_all, "steady")), len(_rl_received(got_all, "slow"))
    d, f = rl_drops(before, after), forwarded(before, after)
    note("steady flood: %s sent %d in %.2f s, %d passed; %s sent %d, %d passed; %d rate_limited, %d forwarded" % (
        CLIENT[1], sent1, elapsed, n1, CLIENT2[1], sent2, n2, d, f))
    if n2 != sent2:
        fail("slow client %s: %d of %d requests passed" % (CLIENT2[1], n2, sent2))
    if limited:
        if n1 > allowed(elapsed) or n1 >= sent1:
            fail("steady flood: %d of %d requests passed, want at most %d" % (n1, sent1, allowed(elapsed)))
        if n1 < min(sent1, int(args.rate * elapsed / 2)):
            fail("steady flood: only %d requests passed in %.2f s: the bucket does not refill at %d/s" % (n1, elapsed, args.rate))
    elif n1 != sent1:
        fail("steady flood with the limit off: %d of %d requests passed" % (n1, sent1))
    if d != sent1 + sent2 - n1 - n2 or f != n1 + n2:
        fail("steady flood: stats count %d rate_limited and %d forwarded, want %d and %d" % (
            d, f, sent1 + sent2 - n1 - n2, n1 + n2))

    # 3. Bad requests (SIP/3.0, answered 505) from client2, its bucket full again after 1.5 s.
    time.sleep(1.5)
    peers.drain()
    before = stats.snapshot()
    t0 = time.monotonic()
    for i in range(args.bad):
        c2.sendto(_rl_request(i, "bad", CLIENT2[1], bad=True), (VIP, SIP_PORT))
    elapsed = time.monotonic() - t0
    got = peers.collect(1.5)
    after = stats.snapshot()
    replies = [Msg(data) for r, data, _ in got if r == "client2"]
    n505 = sum(1 for m in replies if m.status() == 505)
    leaked = [r for r, _, _ in got if r not in ("client", "client2")]
    d = rl_drops(before, after)
    note("bad requests: %d from %s in %.3f s: %d answered 505, %d rate_limited" % (args.bad, CLIENT2[1], elapsed, n505, d))
    if leaked:
        fail("bad requests reached %s" % ", ".join(sorted(set(leaked))))
    if limited:
        if not args.burst <= n505 <= allowed(elapsed):
            fail("bad requests: %d answered, want %d..%d" % (n505, args.burst, allowed(elapsed)))
    elif n505 != args.bad:
        fail("bad requests with the limit off: %d of %d answered" % (n505, args.bad))
    if d != args.bad - n505:
        fail("bad requests: stats count %d rate_limited, want %d" % (d, args.bad - n505))
    print("rate_limited=%d" % drops(after).get("rate_limited", 0), flush=True)
    finish()


# ---------------------------------------------------------------------------------------------
# sipp traces and stats


def read_shortmsg(path):
    """(direction, call_id, cseq, first line) per line of a sipp -trace_shortmsg log."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 7:
                continue
            out.append((parts[3], parts[4], parts[5], parts[6]))
    return out


def read_shortmsg_timed(path):
    """(epoch seconds, direction, call_id, CSeq method, first line) per line of a sipp
    -trace_shortmsg log (its third column is the time as seconds since the epoch)."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 7:
                continue
            try:
                at = float(parts[2])
            except ValueError:
                continue
            out.append((at, parts[3], parts[4], parts[5].split(" ")[-1], parts[6]))
    return out


def _name_time(spec):
    name, _, at = spec.partition("=")
    return name, float(at)


def cmd_dialogs(args):
    """Dialogs under live changes, from the UAC's and the backends' -trace_shortmsg logs: each
    call's requests (INVITE, ACK, BYE) all reached one backend; a backend added at T got calls,
    all started after T; a backend drained at T got no call started after T, and the calls it
    had at T ended there (BYE after T); calls started after --shares-after follow --weights."""
    invite_at = {}  # call_id -> time the UAC first sent its INVITE
    for at, direction, call_id, method, first in read_shortmsg_timed(args.uac):
        if direction == "S" and method == "INVITE" and first.startswith("INVITE "):
            invite_at.setdefault(call_id, at)
    got = {}  # call_id -> {backend: {method: [times received]}}
    for spec in args.trace:
        name, _, path = spec.partition("=")
        for at, direction, call_id, method, first in read_shortmsg_timed(path):
            if direction != "R" or first.startswith("SIP/2.0"):
                continue
            got.setdefault(call_id, {}).setdefault(name, {}).setdefault(method, []).append(at)
    stray = sorted(set(got) - set(invite_at))
    if stray:
        fail("%d Call-IDs at the backends were never sent by the UAC (%s...)" % (len(stray), stray[0]))
    owner = {}
    split = unseen = incomplete = 0
    for call_id in invite_at:
        by_be = got.get(call_id, {})
        if not by_be:
            unseen += 1
            continue
        if len(by_be) != 1:
            split += 1
            if split <= 5:
                fail("Call-ID %s: requests reached %s" % (call_id, ", ".join("%s (%s)" % (b, " ".join(sorted(m))) for b, m in sorted(by_be.items()))))
            continue
        (be, methods), = by_be.items()
        owner[call_id] = be
        lacking = [m for m in args.require if m not in methods]
        if lacking:
            incomplete += 1
            if incomplete <= 5:
                fail("Call-ID %s at %s: no %s" % (call_id, be, ", ".join(lacking)))
    if unseen:
        fail("%d calls reached no backend" % unseen)
    if split:
        fail("%d calls had requests at more than one backend" % split)
    if incomplete:
        fail("%d calls lack one of %s at their backend" % (incomplete, ", ".join(args.require)))
    if args.calls is not None and len(invite_at) != args.calls:
        fail("the UAC sent %d INVITEs (Call-IDs), want %d" % (len(invite_at), args.calls))
    per_be = {}
    for be in owner.values():
        per_be[be] = per_be.get(be, 0) + 1
    note("%d calls, %d with %s all at one backend: %s" % (
        len(invite_at), len(owner), "/".join(args.require), " ".join("%s=%d" % kv for kv in sorted(per_be.items()))))
    for spec in args.added:
        name, t = _name_time(spec)
        calls = [c for c, be in owner.items() if be == name]
        early = [c for c in calls if invite_at[c] < t]
        if early:
            fail("%s: %d calls started before it was added (%s)" % (name, len(early), early[0]))
        if len(calls) < args.min_calls:
            fail("%s: %d calls after it was added, want at least %d" % (name, len(calls), args.min_calls))
        else:
            note("%s added: %d calls, every one started after the add" % (name, len(calls)))
    for spec in args.drained:
        name, t = _name_time(spec)
        calls = [c for c, be in owner.items() if be == name]
        late = [c for c in calls if invite_at[c] > t]
        if late:
            fail("%s: %d calls started after the drain reached it (%s, %.3f s after)" % (name, len(late), late[0], invite_at[late[0]] - t))
        ended = [c for c in calls if invite_at[c] <= t and max(got[c][name].get("BYE", [0.0])) > t]
        if len(ended) < args.min_calls:
            fail("%s: %d calls in progress at the drain ended there, want at least %d" % (name, len(ended), args.min_calls))
        else:
            note("%s drained: no call started after the drain reached it; %d calls in progress at the drain got their BYE there" % (name, len(ended)))
    if args.shares_after is not None and args.weights:
        weights = {k: float(v) for k, v in (kv.split("=") for kv in args.weights.split(","))}
        counts = {}
        for c, be in owner.items():
            if invite_at[c] > args.shares_after:
                counts[be] = counts.get(be, 0) + 1
        stray = sorted(set(counts) - set(weights))
        if stray:
            fail("calls after the changes reached %s, which should take none" % ", ".join("%s (%d)" % (b, counts[b]) for b in stray))
        share_check("calls after the changes", counts, weights, args.tolerance)
    finish()


def cmd_traces(args):
    per_call = {}  # call_id -> {backend: [(cseq, first line)]}
    for spec in args.trace:
        name, _, path = spec.partition("=")
        for direction, call_id, cseq, first in read_shortmsg(path):
            # The daemon's health probes (Call-ID ssp-...) are no calls.
            if direction != "R" or call_id.startswith("ssp-"):
                continue
            per_call.setdefault(call_id, {}).setdefault(name, []).append((cseq, first))
    names = [s.partition("=")[0] for s in args.trace]
    calls = {n: 0 for n in names}
    split = 0
    missing = {}
    retrans = 0
    for call_id, by_be in per_call.items():
        if len(by_be) != 1:
            split += 1
            if split <= 5:
                fail("Call-ID %s reached %s" % (call_id, ", ".join(sorted(by_be))))
            continue
        (be, msgs), = by_be.items()
        calls[be] += 1
        methods = {c.split(" ")[-1] for c, _ in msgs}
        for m in args.require:
            if m not in methods:
                missing[m] = missing.get(m, 0) + 1
        requests = [(c, first) for c, first in msgs if not first.startswith("SIP/2.0")]
        if len(requests) != len(set(requests)):
            retrans += 1
    if split:
        fail("%d Call-IDs reached more than one backend" % split)
    note("backends' side: %d Call-IDs, every one at exactly one backend: %s" % (len(per_call), "yes" if not split else "no"))
    for m, n in sorted(missing.items()):
        fail("%d calls have no %s at their backend" % (n, m))
    if args.calls is not None and len(per_call) != args.calls:
        fail("%d Call-IDs reached the backends, want %d" % (len(per_call), args.calls))
    if args.calls_min is not None and len(per_call) < args.calls_min:
        fail("%d Call-IDs reached the backends, want at least %d" % (len(per_call), args.calls_min))
    if args.calls_max is not None and len(per_call) > args.calls_max:
        fail("%d Call-IDs reached the backends, want at most %d" % (len(per_call), args.calls_max))
    note("calls with a retransmitted request at their backend: %d" % retrans)
    if args.min_retrans and retrans < args.min_retrans:
        fail("only %d calls saw a retransmission, want at least %d" % (retrans, args.min_retrans))
    if args.weights:
        weights = dict(zip(names, [float(w) for w in args.weights.split(",")]))
        share_check("backends' side (calls)", calls, weights, args.tolerance)
    finish()


def read_message_log(path):
    """Messages a sipp received, from its -trace_msg log."""
    with open(path, "rb") as f:
        text = f.read()
    out = []
    for block in text.split(b"\n----------------------------------------------- ")[0:]:
        head, _, msg = block.partition(b"\n\n")
        if b"message received" not in head:
            continue
        out.append(Msg(msg.strip(b"\n").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
    return out


def cmd_branches(args):
    """RFC 3261 16.11: the balancer's branch on a CANCEL, and on the ACK of a non-2xx, is the
    one it put on the INVITE. Checked per Call-ID on the messages the backends received."""
    per_call = {}
    for spec in args.log:
        for m in read_message_log(spec.partition("=")[2]):
            cseq = (m.get("cseq") or b"").split()
            method = cseq[1].decode() if len(cseq) > 1 else "?"
            per_call.setdefault(m.get("call-id"), {}).setdefault(method, set()).add(branch_of(m.top_via() or b""))
    bad = 0
    for call_id, by_method in per_call.items():
        invite = by_method.get("INVITE", set())
        problems = []
        if len(invite) != 1 or not next(iter(invite), b"").startswith(OUR_BRANCH):
            problems.append("INVITE branches %r" % sorted(invite))
        for method in args.method:
            if by_method.get(method) != invite:
                problems.append("%s branches %r, INVITE %r" % (method, sorted(by_method.get(method, set())), sorted(invite)))
        if problems:
            bad += 1
            if bad <= 5:
                fail("Call-ID %r: %s" % (call_id, "; ".join(problems)))
    if bad:
        fail("%d of %d calls: balancer branch not the INVITE's" % (bad, len(per_call)))
    else:
        note("%d calls: %s carry the INVITE's balancer branch" % (len(per_call), ", ".join(args.method)))
    finish()


def cmd_stats(args):
    with open(args.file, encoding="utf-8") as f:
        st = json.load(f)
    bes = st.get("backends", [])
    if args.table:
        tot = st.get("total", {})
        print("  %-6s %-18s %6s %10s %7s" % ("name", "address", "weight", "requests", "share"))
        n = sum(b.get("requests", 0) for b in bes) or 1
        for b in bes:
            print("  %-6s %-18s %6s %10d %6.1f%%" % (b.get("name"), b.get("address"), b.get("weight"), b.get("requests", 0), 100.0 * b.get("requests", 0) / n))
        why = nonzero(drops(st))
        print("  sipsteer: rx %d, tx %d, forwarded %d, relayed %d, replied %d, dropped %d%s" % (
            tot.get("rx", 0), tot.get("tx", 0), tot.get("forwarded", 0), tot.get("relayed", 0),
            sum(replied(st).values()), sum(why.values()),
            " (%s)" % ", ".join("%s %d" % (k, why[k]) for k in sorted(why)) if why else ""))
        return
    if args.get:
        node = st
        for p in args.get.split("."):
            node = node.get(p, 0) if isinstance(node, dict) else 0
        print(node if not isinstance(node, dict) else sum(v for v in node.values() if isinstance(v, int)))
        return
    weights = {b["name"]: float(w) for b, w in zip(bes, args.weights.split(","))} if args.weights else {b["name"]: float(b.get("weight", 1)) for b in bes}
    counts = {b["name"]: b.get("requests", 0) for b in bes}
    if len(bes) != len(weights):
        fail("stats file lists %d backends" % len(bes))
    share_check("sipsteer stats (requests)", counts, weights, args.tolerance)
    if args.min_forwarded is not None and total(st, "forwarded") < args.min_forwarded:
        fail("stats: forwarded %d, want at least %d" % (total(st, "forwarded"), args.min_forwarded))
    if args.min_relayed is not None and total(st, "relayed") < args.min_relayed:
        fail("stats: relayed %d, want at least %d" % (total(st, "relayed"), args.min_relayed))
    workers = st.get("workers", [])
    if args.workers is not None and len(workers) != args.workers:
        fail("stats: %d workers listed, want %d" % (len(workers), args.workers))
    if len(workers) > 1:
        # Which worker a flow lands on is the port's (the kernel's for a tap): shown, not judged.
        note("stats: per worker (lcore: rx) %s" % ", ".join(
            "%s: %d" % (w.get("lcore"), w.get("rx", 0)) for w in workers))
    note("stats: forwarded %d, relayed %d, replied %s, drops %s" % (
        total(st, "forwarded"), total(st, "relayed"), json.dumps(nonzero(replied(st)), sort_keys=True), json.dumps(nonzero(drops(st)), sort_keys=True)))
    finish()


def cmd_sippstat(args):
    """Print chosen columns of the last line of a sipp -trace_stat CSV, as key=value."""
    with open(args.file, encoding="utf-8", errors="replace") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    if len(lines) < 2:
        print("outgoing=0 successful=0 failed=0 retransmissions=0")
        return
    head = lines[0].split(";")
    last = lines[-1].split(";")
    col = dict(zip(head, last))

    def num(k):
        try:
            return int(float(col.get(k, "0")))
        except ValueError:
            return 0

    print("outgoing=%d successful=%d failed=%d retransmissions=%d current=%d" % (
        num("OutgoingCall(C)"), num("SuccessfulCall(C)"), num("FailedCall(C)"), num("Retransmissions(C)"), num("CurrentCall")))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def daemon_args(p):
        p.add_argument("--pid", type=int, required=True, help="sipsteer's pid (for SIGUSR1)")
        p.add_argument("--stats", required=True, help="sipsteer's --stats-file")

    p = sub.add_parser("replies")
    daemon_args(p)
    p.add_argument("--no-backends", action="store_true")
    p.add_argument("--retry-after", type=int, default=5)
    p.set_defaults(fn=cmd_replies)

    p = sub.add_parser("corpus")
    daemon_args(p)
    p.add_argument("--corpus", required=True)
    p.add_argument("--expect", required=True)
    p.set_defaults(fn=cmd_corpus)

    p = sub.add_parser("forged")
    daemon_args(p)
    p.set_defaults(fn=cmd_forged)

    p = sub.add_parser("ratelimit")
    daemon_args(p)
    p.add_argument("--rate", type=int, required=True, help="rate_limit.rate (0: limit off)")
    p.add_argument("--burst", type=int, default=0, help="rate_limit.burst")
    p.add_argument("--count", type=int, default=200, help="requests in the flood")
    p.add_argument("--bad", type=int, default=60, help="bad requests in the last flood")
    p.set_defaults(fn=cmd_ratelimit)

    p = sub.add_parser("traces")
    p.add_argument("--trace", action="append", required=True, help="NAME=shortmsg log")
    p.add_argument("--require", action="append", default=[], help="method every call must show")
    p.add_argument("--calls", type=int, help="Call-IDs the backends must see, exactly")
    p.add_argument("--calls-min", type=int, help="least Call-IDs the backends must see")
    p.add_argument("--calls-max", type=int, help="most Call-IDs the backends may see")
    p.add_argument("--weights")
    p.add_argument("--tolerance", type=float, default=0.05)
    p.add_argument("--min-retrans", type=int, default=0)
    p.set_defaults(fn=cmd_traces)

    p = sub.add_parser("dialogs")
    p.add_argument("--uac", required=True, help="the UAC's shortmsg log (INVITE send times)")
    p.add_argument("--trace", action="append", required=True, help="NAME=backend shortmsg log")
    p.add_argument("--require", action="append", default=[], help="method every call must show")
    p.add_argument("--calls", type=int)
    p.add_argument("--added", action="append", default=[], help="NAME=epoch seconds of its add")
    p.add_argument("--drained", action="append", default=[], help="NAME=epoch seconds of its drain")
    p.add_argument("--min-calls", type=int, default=1, help="least calls an added/drained backend shows")
    p.add_argument("--shares-after", type=float, help="epoch seconds: calls started later count for --weights")
    p.add_argument("--weights", help="NAME=W,... for calls after --shares-after")
    p.add_argument("--tolerance", type=float, default=0.1)
    p.set_defaults(fn=cmd_dialogs)

    p = sub.add_parser("branches")
    p.add_argument("--log", action="append", required=True, help="NAME=sipp -trace_msg log")
    p.add_argument("--method", action="append", default=[], help="method whose branch must be the INVITE's")
    p.set_defaults(fn=cmd_branches)

    p = sub.add_parser("stats")
    p.add_argument("file")
    p.add_argument("--weights")
    p.add_argument("--tolerance", type=float, default=0.05)
    p.add_argument("--min-forwarded", type=int)
    p.add_argument("--min-relayed", type=int)
    p.add_argument("--workers", type=int, help="workers the stats file must list")
    p.add_argument("--table", action="store_true")
    p.add_argument("--get")
    p.set_defaults(fn=cmd_stats)

    p = sub.add_parser("sippstat")
    p.add_argument("file")
    p.set_defaults(fn=cmd_sippstat)

    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
