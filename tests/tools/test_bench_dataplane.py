#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipsteer-bench dataplane as a command: every argument error exits 2 with a message naming
it (and `all` refuses every option but --json); a short run on each port kind (net_memif pair,
the same with zero-copy, net_ring, and the one-core loop), and with two workers on net_ring and
net_memif, prints one JSON object with the fields docs/tools.md lists, forwards messages on
every worker and drops none for a parse or proxy reason.

    test_bench_dataplane.py SIPSTEER_BENCH

Needs what the daemon needs (DPDK EAL with --no-huge, root for the memif socket). No time or
rate is asserted: only that messages went through.
"""
import json
import subprocess
import sys

BENCH = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, timeout=120):
    return subprocess.run([BENCH, "dataplane"] + args, capture_output=True, text=True,
                          timeout=timeout)


def test_argument_errors():
    cases = [
        (["--port"], "--port needs a value"),
        (["--port", "tap"], "--port: memif, memif-zc, ring or loop, not 'tap'"),
        (["--port", "loop", "--workers", "2"], "--port loop runs one worker, not 2"),
        (["--workers", "0"], "--workers '0': want a number from 1 to 8"),
        (["--workers", "9"], "--workers '9': want a number from 1 to 8"),
        (["--workers", "2x"], "--workers '2x': want a number from 1 to 8"),
        (["--workers", "4294967297"], "--workers '4294967297': want a number from 1 to 8"),
        (["--seconds", "0"], "--seconds '0': want a number of seconds, 0 < N <= 3600"),
        (["--seconds", "nan"], "--seconds 'nan': want a number of seconds"),
        (["--seconds", "5abc"], "--seconds '5abc': want a number of seconds"),
        (["--seconds", "1e-300"], "--seconds '1e-300': want a number of seconds"),
        (["--seconds", "-1"], "--seconds '-1': want a number of seconds"),
        (["--seconds"], "--seconds needs a value"),
        (["--rounds", "0"], "--rounds '0': want a number from 1 to 50"),
        (["--rounds", "51"], "--rounds '51': want a number from 1 to 50"),
        (["--rounds", "2x"], "--rounds '2x': want a number from 1 to 50"),
        (["--rounds", " 3"], "--rounds ' 3': want a number from 1 to 50"),
        (["--rounds", ""], "--rounds '': want a number from 1 to 50"),
        (["--rounds"], "--rounds needs a value"),
        (["--workers"], "--workers needs a value"),
        (["--bogus"], "unknown argument '--bogus'"),
    ]
    for args, want in cases:
        r = run(args)
        check(r.returncode == 2, "%s: exit %d, want 2" % (args, r.returncode))
        check(want in r.stderr, "%s: stderr %r lacks %r" % (args, r.stderr, want))
    # `all` takes only --json: another option stops it before any benchmark runs.
    for args in (["--seconds", "1"], ["--picks", "1000"], ["--bogus"]):
        r = subprocess.run([BENCH, "all"] + args, capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and r.stdout == "" and
              "all takes only --json" in r.stderr and repr(args[0])[1:-1] in r.stderr,
              "all %s: exit %d, stdout %r, stderr %r" % (args, r.returncode, r.stdout,
                                                         r.stderr))
    r = run(["--help"])
    check(r.returncode == 0 and all("--port " + k in r.stdout
                                    for k in ("memif", "memif-zc", "ring", "loop")),
          "--help: %r" % r.stdout)


def test_run(port, workers=1):
    r = run(["--port", port, "--workers", str(workers), "--seconds", "0.4", "--rounds", "2",
             "--json"])
    check(r.returncode == 0, "--port %s: exit %d: %s" % (port, r.returncode, r.stderr[-2000:]))
    if r.returncode != 0:
        return
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    check(len(lines) == 1, "--port %s: one JSON line, got %r" % (port, r.stdout))
    d = json.loads(lines[-1])
    for key in ("bench", "workers", "msgs_per_s", "raw_ceiling_msgs_per_s", "ratio",
                "per_worker_msgs_per_s", "worker_cpu_ns_per_msg", "drops", "drop_reasons",
                "port", "parser", "rounds", "round_ratios", "round_msgs_per_s",
                "round_raw_ceiling_msgs_per_s"):
        check(key in d, "--port %s: no %s in %r" % (port, key, d))
    # two alternated rounds a side, each round's figures listed
    check(d.get("rounds") == 2, "--port %s: rounds %r" % (port, d.get("rounds")))
    for key in ("round_ratios", "round_msgs_per_s", "round_raw_ceiling_msgs_per_s"):
        check(len(d.get(key, [])) == 2, "--port %s: %s %r" % (port, key, d.get(key)))
    check(all(x > 0 for x in d.get("round_msgs_per_s", [0])),
          "--port %s: a round forwarded nothing: %r" % (port, d))
    check(d.get("port") == "net_" + port, "--port %s: port %r" % (port, d.get("port")))
    check(d.get("msgs_per_s", 0) > 0, "--port %s: nothing forwarded: %r" % (port, d))
    check(d.get("raw_ceiling_msgs_per_s", 0) > 0, "--port %s: no ceiling: %r" % (port, d))
    # every worker (its own queue pair, one published backend set for all) handled messages
    per = d.get("per_worker_msgs_per_s", [])
    check(d.get("workers") == workers and len(per) == workers and all(x > 0 for x in per),
          "--port %s --workers %d: workers %r, per worker %r" % (port, workers,
                                                                d.get("workers"), per))
    # Only a full TX queue (the generator's CPU is shared) may drop: never the SIP path.
    for reason, n in d.get("drop_reasons", {}).items():
        check(reason == "tx_full", "--port %s: %d dropped for %s" % (port, n, reason))


def test_loop():
    r = run(["--port", "loop", "--seconds", "0.4", "--rounds", "2", "--json"])
    check(r.returncode == 0, "--port loop: exit %d: %s" % (r.returncode, r.stderr[-2000:]))
    if r.returncode != 0:
        return
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    check(len(lines) == 1, "--port loop: one JSON line, got %r" % r.stdout)
    d = json.loads(lines[-1])
    for key in ("bench", "port", "workers", "ns_per_msg", "ns_per_msg_best",
                "one_core_msgs_per_s", "rounds", "round_ns_per_msg", "messages", "drops",
                "drop_reasons", "parser"):
        check(key in d, "--port loop: no %s in %r" % (key, d))
    check(d.get("port") == "loop" and d.get("workers") == 1, "--port loop: %r" % d)
    check(len(d.get("round_ns_per_msg", [])) == 2, "--port loop: rounds %r" % d)
    check(all(x > 0 for x in d.get("round_ns_per_msg", [0])), "--port loop: a round is 0: %r" % d)
    check(d.get("messages", 0) > 0, "--port loop: nothing forwarded: %r" % d)
    # one core, the output taken back after every poll: nothing may be dropped at all
    check(d.get("drops") == 0 and d.get("drop_reasons") == {}, "--port loop: drops in %r" % d)
    r = run(["--port", "loop", "--seconds", "0.2", "--rounds", "1"])
    check(r.returncode == 0 and "ns/msg" in r.stdout, "--port loop, text: %r" % r.stdout)


test_argument_errors()
test_run("memif")
test_run("memif-zc")
test_run("ring")
# Two workers (three lcores on however many CPUs: a functional check, no scaling measured).
test_run("ring", 2)
test_run("memif", 2)
test_loop()
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")
