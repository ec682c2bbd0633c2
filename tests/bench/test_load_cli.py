#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipsteer-bench load as a command: every argument error exits 2 with a message naming it; a
loopback run (client and backend in one process, no balancer) completes every call with no
loss, over sockets and over a looped-back DPDK port (net_ring); --steps gives one result per
step; a backend alone answers what it can and counts what it cannot, without crashing.

    test_load_cli.py SIPSTEER_BENCH

Addresses are random ones in 127.0.0.0/8, so parallel runs do not collide. No time is asserted.
"""
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

BENCH = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, timeout=60):
    return subprocess.run([BENCH, "load"] + args, capture_output=True, text=True,
                          timeout=timeout)


def loopback():
    return "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 254),
                             random.randint(1, 254))


def test_argument_errors():
    ip = loopback()
    cases = [
        ([], "nothing to do"),
        (["--bogus"], "unknown argument '--bogus'"),
        (["--uac"], "--uac needs a value"),
        (["--uac", "198.18.0.10"], "--uac '198.18.0.10'"),
        (["--uac", "198.18.0.10:0"], "--uac '198.18.0.10:0'"),
        (["--uac", "198.18.0.10:70000"], "--uac '198.18.0.10:70000'"),
        (["--uac", "host.example:5060"], "--uac 'host.example:5060'"),
        (["--uac", "198.18.0.10:5060@ns"], "--uac '198.18.0.10:5060@ns'"),
        (["--uac", "198.18.0.10:5060", "--uac", "198.18.0.11:5060"], "given twice"),
        (["--uas", "198.18.0.21"], "--uas '198.18.0.21'"),
        (["--uas", "198.18.0.21:5060@"], "--uas '198.18.0.21:5060@'"),
        (["--uas", "198.18.0.21:5060@a/b"], "--uas '198.18.0.21:5060@a/b'"),
        (["--uas", "[::1]:5060"], "--uas '[::1]:5060'"),
        (["--uac", "198.18.0.10:5060", "--rate", "0"], "--rate '0'"),
        (["--uac", "198.18.0.10:5060", "--rate", "-5"], "--rate '-5'"),
        (["--uac", "198.18.0.10:5060", "--rate", "12x"], "--rate '12x'"),
        (["--uac", "198.18.0.10:5060", "--rate", "99999999"], "--rate '99999999'"),
        (["--uac", "198.18.0.10:5060", "--duration", "86401"], "--duration '86401'"),
        (["--uac", "198.18.0.10:5060", "--calls", "0"], "--calls '0'"),
        (["--uac", "198.18.0.10:5060", "--calls", "16777217"], "--calls '16777217'"),
        (["--uac", "198.18.0.10:5060", "--drain-ms", "x"], "--drain-ms 'x'"),
        (["--uac", "198.18.0.10:5060", "--duration", "0"], "--duration 0 needs --calls"),
        (["--uac", "198.18.0.10:5060", "--rate", "1000000", "--duration", "100"],
         "is more than 16777216 calls"),
        (["--uas", ip + ":5060", "--local", ip], "--local without --uac"),
        (["--uac", "198.18.0.10:5060", "--local", "bad"], "--local 'bad'"),
        (["--uac", "198.18.0.10:5060", "--local", "198.18.0.1", "--local", "198.18.0.1"],
         "given twice"),
        (["--uas"] + [a for i in range(17) for a in ("--uas", ip + ":%d" % (6000 + i))][1:],
         "too many backends"),
        # --dpdk and what goes with it
        (["--uas", ip + ":5060", "--dpdk"], "--dpdk needs a value"),
        (["--uas", ip + ":5060", "--dpdk", ""], "--dpdk ''"),
        (["--uas", ip + ":5060", "--dpdk", "--uac"], "--dpdk '--uac'"),
        (["--uas", ip + ":5060", "--dpdk", ",role=client"], "--dpdk ',role=client'"),
        (["--uas", ip + ":5060", "--dpdk", "net_memif0 x"], "--dpdk 'net_memif0 x'"),
        (["--uas", ip + ":5060", "--dpdk", 'net_"q'], "--dpdk 'net_\"q'"),
        (["--uas", ip + ":5060", "--dpdk", "net_ring0", "--dpdk", "net_ring1"], "given twice"),
        (["--uas", ip + ":5060", "--rx-queues", "2"], "--rx-queues without --dpdk"),
        (["--uas", ip + ":5060", "--dpdk", "net_ring0", "--rx-queues", "0"], "--rx-queues '0'"),
        (["--uas", ip + ":5060", "--dpdk", "net_ring0", "--rx-queues", "17"],
         "--rx-queues '17'"),
        (["--uas", ip + ":5060", "--dpdk", "net_ring0", "--rx-queues", "two"],
         "--rx-queues 'two'"),
        (["--uas", ip + ":5060", "--", "--no-huge"], "EAL arguments after -- without --dpdk"),
        (["--dpdk", "net_ring0", "--uac", "198.18.0.10:5060"], "needs --local"),
        (["--dpdk", "net_ring0", "--uac", "198.18.0.10:5060", "--local", "198.18.0.1@ns"],
         "--local '198.18.0.1@ns': with --dpdk"),
        (["--dpdk", "net_ring0", "--uac", "198.18.0.10:5060", "--local", "0.0.0.0"],
         "--local '0.0.0.0': with --dpdk"),
        (["--dpdk", "net_ring0", "--uas", "198.18.0.21:5060@be1"],
         "no network namespace with --dpdk"),
        # --steps, --factor, --stop-loss, --cpu-of
        (["--uac", "198.18.0.10:5060", "--steps", "0"], "--steps '0'"),
        (["--uac", "198.18.0.10:5060", "--steps", "101"], "--steps '101'"),
        (["--uas", ip + ":5060", "--steps", "3"], "--steps needs --uac and --duration"),
        (["--uac", "198.18.0.10:5060", "--calls", "10", "--steps", "3"],
         "--steps needs --uac and --duration"),
        (["--uac", "198.18.0.10:5060", "--factor", "1"], "--factor '1'"),
        (["--uac", "198.18.0.10:5060", "--factor", "11"], "--factor '11'"),
        (["--uac", "198.18.0.10:5060", "--factor", "1e1"], "--factor '1e1'"),
        (["--uac", "198.18.0.10:5060", "--factor", "nan"], "--factor 'nan'"),
        (["--uac", "198.18.0.10:5060", "--stop-loss", "-0.1"], "--stop-loss '-0.1'"),
        (["--uac", "198.18.0.10:5060", "--stop-loss", "1.5"], "--stop-loss '1.5'"),
        (["--uac", "198.18.0.10:5060", "--cpu-of", "0"], "--cpu-of '0'"),
        (["--uac", "198.18.0.10:5060", "--cpu-of", "pid"], "--cpu-of 'pid'"),
        (["--uac", "198.18.0.10:5060", "--rate", "100000", "--duration", "10", "--steps", "20",
          "--factor", "2"], "more than 16777216 calls"),
    ]
    for args, want in cases:
        r = run(args)
        check(r.returncode == 2, "%s: exit %d, want 2" % (args, r.returncode))
        check(want in r.stderr, "%s: stderr %r lacks %r" % (args, r.stderr, want))
        check(r.stdout == "", "%s: wrote to stdout" % (args,))
    r = run(["--help"])
    check(r.returncode == 0 and "usage: sipsteer-bench load" in r.stdout, "--help")


def test_setup_errors():
    ip = loopback()
    # an address this host does not have: bind fails, exit 1
    r = run(["--uas", "198.18.255.254:5060", "--duration", "1"])
    check(r.returncode == 1 and "bind 198.18.255.254:5060" in r.stderr,
          "bind failure: exit %d %r" % (r.returncode, r.stderr))
    r = run(["--uas", ip + ":5060@no-such-netns-here", "--duration", "1"])
    check(r.returncode == 1 and "netns no-such-netns-here" in r.stderr,
          "missing netns: exit %d %r" % (r.returncode, r.stderr))


def test_loopback_calls():
    ip = loopback()
    port = random.randint(20000, 60000)
    r = run(["--uac", "%s:%d" % (ip, port), "--local", ip, "--uas", "%s:%d" % (ip, port),
             "--rate", "500", "--calls", "200", "--json"])
    check(r.returncode == 0, "loopback run: exit %d %r" % (r.returncode, r.stderr))
    if r.returncode != 0:
        return
    d = json.loads(r.stdout)
    check(d["mode"] == "uac+uas", "mode %r" % d["mode"])
    check(d["calls"] == {"started": 200, "completed": 200, "failed": 0}, "calls %r" % d["calls"])
    check(d["messages"]["sent"] == 1400 and d["messages"]["delivered"] == 1400,
          "messages %r" % d["messages"])
    check(d["loss"] == 0 and d["call_loss"] == 0, "loss %r %r" % (d["loss"], d["call_loss"]))
    check(d["latency_us"]["count"] == 200, "latency samples %r" % d["latency_us"])
    check(d["latency_us"]["p50"] <= d["latency_us"]["p99"] <= d["latency_us"]["p999"] <=
          d["latency_us"]["max"], "percentiles out of order %r" % d["latency_us"])
    check(all(v == 0 for v in d["errors"].values()), "errors %r" % d["errors"])
    check(d["backend"] == {"requests": 600, "responses": 800}, "backend %r" % d["backend"])
    check("load:" in r.stderr or d["elapsed_s"] < 1, "no progress line on stderr")


def test_client_without_backend():
    # nothing answers: every call fails, counted as loss, the run still ends (exit 0)
    ip = loopback()
    port = random.randint(20000, 60000)
    r = run(["--uac", "%s:%d" % (ip, port), "--local", ip, "--rate", "100", "--calls", "20",
             "--drain-ms", "200", "--json", "--quiet"])
    check(r.returncode == 0, "unanswered run: exit %d %r" % (r.returncode, r.stderr))
    if r.returncode == 0:
        d = json.loads(r.stdout)
        check(d["calls"]["failed"] == 20 and d["loss"] == 1 and d["call_loss"] == 1,
              "unanswered: %r loss %r" % (d["calls"], d["loss"]))
        check(r.stderr == "", "--quiet still wrote %r" % r.stderr)


REQ = ("{method} sip:bench@{ip}:{port} SIP/2.0\r\n"
       "Via: SIP/2.0/UDP {via};branch=z9hG4bK-{n}\r\n"
       "Max-Forwards: 70\r\n"
       "From: <sip:t@{ip}>;tag=1\r\n"
       "To: <sip:bench@{ip}>\r\n"
       "Call-ID: test-{n}@{ip}\r\n"
       "CSeq: 1 {method}\r\n"
       "Content-Length: 0\r\n\r\n")


def test_backend_bad_input():
    ip = loopback()
    port = random.randint(20000, 60000)
    p = subprocess.Popen([BENCH, "load", "--uas", "%s:%d" % (ip, port), "--json", "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    s.settimeout(0.2)
    me = "%s:%d" % s.getsockname()
    dst = (ip, port)
    answers = []
    try:
        # wait for the backend to bind: an OPTIONS until it answers
        for n in range(100):
            s.sendto(REQ.format(method="OPTIONS", ip=ip, port=port, via=me, n="o%d" % n)
                     .encode(), dst)
            try:
                answers.append(s.recvfrom(4096)[0].decode())
                break
            except socket.timeout:
                continue
        check(answers and answers[0].startswith("SIP/2.0 200 OK"), "OPTIONS: %r" % answers)
        s.settimeout(5)
        bad = [
            b"",                                         # empty datagram
            b"\x00\xff garbage \r\n\r\n",                # not SIP
            b"INVITE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP", # truncated
            b"X" * 4000,                                 # longer than the receive buffer
            ("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-r\r\nFrom: <sip:a@b>;tag=1"
             "\r\nTo: <sip:c@d>\r\nCall-ID: r\r\nCSeq: 1 INVITE\r\n\r\n" % me).encode(),
            REQ.format(method="INVITE", ip=ip, port=port, via="client.example:5060",
                       n="h").encode(),                  # Via host is a name: no route
        ]
        for d in bad:
            s.sendto(d, dst)
        # then good requests: INVITE gets 100/180/200, BYE 200, MESSAGE 501, ACK nothing
        for method in ("INVITE", "ACK", "BYE", "MESSAGE"):
            s.sendto(REQ.format(method=method, ip=ip, port=port, via=me, n="g").encode(), dst)
        want = ["100", "180", "200", "200", "501"]
        got = []
        while len(got) < len(want):
            try:
                got.append(s.recvfrom(4096)[0].decode().split(" ", 2)[1])
            except socket.timeout:
                break
        check(got == want, "answers %r, want %r" % (got, want))
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        s.close()
    check(p.returncode == 0, "backend exit %d %r" % (p.returncode, err))
    if p.returncode != 0:
        return
    d = json.loads(out)
    check(d["mode"] == "uas", "mode %r" % d["mode"])
    e = d["errors"]
    # empty, garbage, truncated, oversized: malformed; the response: unexpected
    check(e["malformed"] == 4, "malformed %r" % e)
    check(e["unexpected"] == 1, "unexpected %r" % e)
    check(e["no_route"] == 1, "no_route %r" % e)
    check(d["loss"] is None, "a backend alone has no loss figure: %r" % d["loss"])


def test_steps_and_cpu_of():
    # three steps in one process, each its own result; --cpu-of this test's own pid
    ip = loopback()
    port = random.randint(20000, 60000)
    r = run(["--uac", "%s:%d" % (ip, port), "--local", ip, "--uas", "%s:%d" % (ip, port),
             "--rate", "100", "--duration", "1", "--steps", "3", "--factor", "1.5",
             "--stop-loss", "0.5", "--cpu-of", str(os.getpid()), "--json", "--quiet"])
    check(r.returncode == 0, "steps: exit %d %r" % (r.returncode, r.stderr))
    if r.returncode != 0:
        return
    steps = objects(r.stdout)
    check([d["step"] for d in steps] == [0, 1, 2], "steps %r" % [d.get("step") for d in steps])
    check([d["offered_calls_per_s"] for d in steps] == [100, 150, 225],
          "rates %r" % [d["offered_calls_per_s"] for d in steps])
    for d in steps:
        check(d["calls"]["failed"] == 0 and d["loss"] == 0, "step %r" % d)
        check(d["errors"]["unexpected"] == 0, "step %d: late messages counted" % d["step"])
        check(set(d["peer_cpu"]) == {"pid", "user_s", "system_s"}, "peer_cpu %r" % d)
    # a process that is gone: exit 1
    r = run(["--uac", "%s:%d" % (ip, port), "--local", ip, "--calls", "1",
             "--cpu-of", "4194304", "--quiet"])
    check(r.returncode == 1 and "--cpu-of 4194304: no such process" in r.stderr,
          "--cpu-of gone: exit %d %r" % (r.returncode, r.stderr))


def test_dpdk_loopback():
    # a net_ring port loops every frame back: the client and its backend on one DPDK port,
    # through the frame builder and parser, ARP announcements included
    r = run(["--dpdk", "net_ring0", "--uac", "198.18.0.21:5060", "--local", "198.18.0.1",
             "--uas", "198.18.0.21:5060", "--uas", "198.18.0.22:5060", "--rate", "500",
             "--calls", "200", "--json", "--quiet"])
    if r.returncode == 1 and os.geteuid() != 0:
        print("skip: the EAL did not start without root:", r.stderr.strip()[-200:])
        return
    check(r.returncode == 0, "dpdk loopback: exit %d %r" % (r.returncode, r.stderr))
    if r.returncode != 0:
        return
    d = json.loads(r.stdout)
    check(d["local"] == "198.18.0.1:5070", "local %r (default port 5070)" % d["local"])
    check(d["calls"] == {"started": 200, "completed": 200, "failed": 0}, "calls %r" % d["calls"])
    check(d["messages"]["sent"] == 1400 and d["messages"]["delivered"] == 1400,
          "messages %r" % d["messages"])
    check(all(v == 0 for v in d["errors"].values()), "errors %r" % d["errors"])
    link = d["link"]
    check(link["device"] == "net_ring0", "link %r" % link)
    check(link["tx_frames"] == link["rx_frames"], "looped frames %r" % link)
    check(link["arp_requested"] == 3 and link["arp_replied"] == 0,
          "gratuitous ARP for each address, not answered by ourselves: %r" % link)
    check(link["bad"] == 0 and link["tx_dropped"] == 0 and link["no_neighbour"] == 0,
          "link errors %r" % link)
    # a second EAL device that does not exist: setup fails, exit 1, cause named
    r = run(["--dpdk", "net_nosuchdriver0", "--uas", "198.18.0.21:5060", "--duration", "1"])
    check(r.returncode == 1 and "--dpdk net_nosuchdriver0" in r.stderr,
          "unknown vdev: exit %d %r" % (r.returncode, r.stderr[-300:]))


def objects(text):
    dec, pos, out = json.JSONDecoder(), 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return out
        obj, pos = dec.raw_decode(text, pos)
        out.append(obj)


random.seed()
for t in (test_argument_errors, test_setup_errors, test_loopback_calls,
          test_client_without_backend, test_backend_bad_input, test_steps_and_cpu_of,
          test_dpdk_loopback):
    t()
    print("done:", t.__name__)
if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("PASS")
