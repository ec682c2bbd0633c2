#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipsteer-bench parser: argument errors, --help, and the shape of its JSON and table output.

Timings are never asserted: only that every (parser, message) pair was measured.

usage: test_bench_parser.py SIPSTEER_BENCH CORPUS_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

PARSERS = ["sipsteer", "sofia-sip", "osip2", "libre"]
MESSAGES = ["invite", "200ok", "rfc4475"]

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def run(exe, args, cwd=None):
    p = subprocess.run([exe, "parser"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       cwd=cwd, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def test_bad_arguments(exe, corpus, tmp):
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    big = os.path.join(tmp, "big")
    os.mkdir(big)
    with open(os.path.join(big, "huge.dat"), "wb") as f:
        f.write(b"OPTIONS sip:x SIP/2.0\r\n" + b"X" * 70000)
    cases = [
        (["--bogus"], "--bogus"),
        (["--iterations"], "needs a value"),
        (["--iterations", "0"], "'0'"),
        (["--iterations", "-5"], "'-5'"),
        (["--iterations", "12x"], "'12x'"),
        (["--iterations", ""], "''"),
        (["--iterations", "99999999999999999999"], "99999999999999999999"),
        (["--corpus"], "needs a value"),
        (["--corpus", os.path.join(tmp, "missing")], os.strerror(2)),
        (["--corpus", empty], "no .dat files"),
        (["--corpus", big], "huge.dat"),
        (["--corpus", os.path.join(corpus, "EXPECT.tsv")], os.strerror(20)),
    ]
    for args, want in cases:
        rc, out, err = run(exe, args)
        check(rc == 2 and out == "" and want in err,
              "%r: exit %d, stdout %r, stderr %r (want %r)" % (args, rc, out[:80], err, want))
    # Without --corpus the corpus is the source tree's, whatever the current directory.
    rc, out, err = run(exe, ["--iterations", "1"], cwd=tmp)
    check(rc == 0 and "rfc4475" in out, "default corpus from another directory: exit %d, %r"
          % (rc, err))


def test_help(exe):
    rc, out, err = run(exe, ["--help"])
    check(rc == 0 and out.startswith("usage: sipsteer-bench parser") and err == "",
          "--help: exit %d, %r" % (rc, out[:60]))


def test_json(exe, corpus):
    rc, out, err = run(exe, ["--json", "--iterations", "2", "--corpus", corpus])
    if not check(rc == 0, "--json: exit %d, stderr %r" % (rc, err)):
        return
    lines = out.splitlines()
    check(len(lines) == 1, "--json: %d lines, want one object" % len(lines))
    try:
        doc = json.loads(out)
    except ValueError as e:
        check(False, "--json: not JSON: %s: %r" % (e, out[:200]))
        return
    check(doc.get("bench") == "parser", "bench field %r" % doc.get("bench"))
    check(doc.get("impl") in ("avx2", "sse4.2", "scalar"), "impl %r" % doc.get("impl"))
    dats = [n for n in os.listdir(corpus) if n.endswith(".dat")]
    corpus_bytes = sum(os.path.getsize(os.path.join(corpus, n)) for n in dats)
    seen = {}
    for r in doc.get("results", []):
        key = (r.get("parser"), r.get("message"))
        check(key not in seen, "duplicate result %r" % (key,))
        seen[key] = r
        check(isinstance(r.get("ns_per_msg"), (int, float)) and r["ns_per_msg"] > 0
              and isinstance(r.get("gb_per_s"), (int, float)) and r["gb_per_s"] > 0,
              "%r: ns_per_msg/gb_per_s %r/%r" % (key, r.get("ns_per_msg"), r.get("gb_per_s")))
        best = r.get("ns_per_msg_best")
        check(isinstance(best, (int, float)) and 0 < best <= r.get("ns_per_msg", 0),
              "%r: ns_per_msg_best %r above the median %r" % (key, best, r.get("ns_per_msg")))
        check(r.get("iterations") == 2, "%r: iterations %r" % (key, r.get("iterations")))
        check(isinstance(r.get("rejected"), int) and 0 <= r["rejected"] <= r.get("messages", 0),
              "%r: rejected %r" % (key, r.get("rejected")))
        if key[1] == "rfc4475":
            check(r.get("messages") == len(dats) and r.get("bytes") == corpus_bytes,
                  "%r: %r messages, %r bytes" % (key, r.get("messages"), r.get("bytes")))
        else:
            check(r.get("messages") == 1 and 400 <= r.get("bytes", 0) <= 700,
                  "%r: %r bytes" % (key, r.get("bytes")))
    check(set(seen) == {(p, m) for p in PARSERS for m in MESSAGES},
          "results cover %r" % sorted(seen))
    for m in ("invite", "200ok"):
        sizes = {seen[(p, m)]["bytes"] for p in PARSERS if (p, m) in seen}
        check(len(sizes) == 1, "%s: parsers saw different sizes %r" % (m, sizes))
        for p in PARSERS:
            if (p, m) in seen:
                check(seen[(p, m)]["rejected"] == 0, "%s rejects the %s" % (p, m))
    for field in ("speedup_vs", "speedup_vs_best"):
        speedup = doc.get(field, {})
        check(set(speedup) == set(PARSERS[1:]), "%s keys %r" % (field, sorted(speedup)))
        check(all(isinstance(v, (int, float)) and v > 0 for v in speedup.values()),
              "%s values %r" % (field, speedup))


def test_table(exe, corpus):
    src_root = os.path.dirname(os.path.dirname(os.path.abspath(corpus)))
    rc, out, err = run(exe, ["--iterations", "1"], cwd=src_root)
    check(rc == 0, "table: exit %d, stderr %r" % (rc, err))
    rows = [l.split() for l in out.splitlines()]
    for p in PARSERS:
        for m in MESSAGES:
            check(any(r[:2] == [p, m] for r in rows), "table: no row for %s %s" % (p, m))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    exe, corpus = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="sipsteer-bench-test-")
    try:
        test_help(exe)
        test_bad_arguments(exe, corpus, tmp)
        test_json(exe, corpus)
        test_table(exe, corpus)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("sipsteer-bench parser: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
