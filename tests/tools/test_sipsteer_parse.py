#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipsteer-parse end to end: the RFC 4475 corpus against EXPECT.tsv, JSON escaping, exit codes.

usage: test_sipsteer_parse.py SIPSTEER_PARSE CORPUS_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

# RFC 4475 README: responses relay to the Via below the balancer's own, so these two get one.
LB_VIA = b"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-lb-test\r\n"
PREPEND_LB_VIA = {"unreason.dat", "noreason.dat"}

VIA_KEYS = {"value", "protocol", "transport", "host", "host_kind", "port", "branch",
            "received", "rport", "params"}
OK_KEYS = {"file", "ok", "kind", "start_line", "call_id", "via_count", "vias", "top_via",
           "top_via_line", "max_forwards", "max_forwards_value", "cseq", "from", "from_tag",
           "to", "to_tag", "to_uri", "route", "route_line", "record_route", "content_length",
           "headers_end", "body", "consumed", "trailing"}
ERR_KEYS = {"file", "ok", "error", "message", "reply"}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


def run(exe, args, stdin=b""):
    p = subprocess.run([exe] + args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def json_lines(out, what):
    """Every stdout line must be strict UTF-8 holding one JSON object."""
    objs = []
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, "%s: stdout is not valid UTF-8: %s" % (what, e))
        return objs
    check(text.endswith("\n") or text == "", "%s: output does not end with a newline" % what)
    for n, line in enumerate(text.splitlines(), 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            check(False, "%s: line %d is not JSON: %s: %r" % (what, n, e, line[:200]))
            continue
        if check(isinstance(obj, dict), "%s: line %d is not an object" % (what, n)):
            objs.append(obj)
    return objs


def check_shape(obj, what):
    """Keys and types of one result object."""
    if not obj.get("ok"):
        check(ERR_KEYS <= set(obj), "%s: error object lacks %s" % (what, ERR_KEYS - set(obj)))
        check(obj.get("reply") == "drop" or isinstance(obj.get("reply"), int),
              "%s: reply %r is neither a code nor \"drop\"" % (what, obj.get("reply")))
        if obj.get("kind") == "response":
            check(obj.get("reply") == "drop", "%s: a response must be dropped" % what)
        return
    check(OK_KEYS <= set(obj), "%s: result lacks %s" % (what, OK_KEYS - set(obj)))
    if obj.get("kind") == "request":
        check(isinstance(obj.get("method"), str) and isinstance(obj.get("request_uri"), str),
              "%s: request without method/request_uri" % what)
        check(obj["start_line"].startswith(obj["method"] + " "),
              "%s: method %r is not the start line's" % (what, obj["method"]))
    else:
        check(isinstance(obj.get("status"), int) and isinstance(obj.get("reason"), str),
              "%s: response without status/reason" % what)
        check(isinstance(obj.get("next_hop"), dict) and VIA_KEYS <= set(obj["next_hop"]),
              "%s: response without a next_hop Via" % what)
    check(isinstance(obj.get("top_via"), dict) and VIA_KEYS <= set(obj["top_via"]),
          "%s: top_via lacks keys" % what)
    check(obj["top_via"]["host_kind"] in ("name", "ipv4", "ipv6"), "%s: host_kind" % what)
    check(isinstance(obj["vias"], list) and len(obj["vias"]) == min(obj["via_count"], 64)
          and obj["via_count"] >= 1, "%s: vias/via_count disagree" % what)
    check(obj["vias"] and obj["top_via"]["value"] == obj["vias"][0],
          "%s: top_via is not vias[0]" % what)
    cseq = obj.get("cseq")
    check(isinstance(cseq, dict) and isinstance(cseq.get("number"), int)
          and isinstance(cseq.get("method"), str), "%s: cseq" % what)
    for k in ("max_forwards", "content_length"):
        check(obj[k] is None or isinstance(obj[k], int), "%s: %s type" % (what, k))
    body = obj["body"]
    check(body["offset"] + body["length"] <= obj["consumed"] and
          obj["consumed"] + obj["trailing"] > 0, "%s: body/consumed out of range" % what)
    if obj["content_length"] is not None:
        check(body["length"] == obj["content_length"], "%s: body length != Content-Length" % what)


def load_expect(corpus):
    rows = []
    with open(os.path.join(corpus, "EXPECT.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                rows.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    return rows


def message_bytes(corpus, name):
    with open(os.path.join(corpus, name), "rb") as f:
        data = f.read()
    if name in PREPEND_LB_VIA:
        eol = data.index(b"\r\n") + 2
        data = data[:eol] + LB_VIA + data[eol:]
    return data


def test_corpus(exe, corpus):
    rows = load_expect(corpus)
    check(len(rows) == 49, "EXPECT.tsv has %d rows, not 49" % len(rows))

    # All files in one run: one valid JSON line each, in order; some are rejects, so exit 1.
    names = sorted(r["file"] for r in rows)
    rc, out, err = run(exe, [os.path.join(corpus, n) for n in names])
    objs = json_lines(out, "whole corpus")
    check(rc == 1, "whole corpus: exit %d, want 1 (stderr %r)" % (rc, err))
    check(len(objs) == len(names), "whole corpus: %d lines for %d files" % (len(objs), len(names)))
    for name, obj in zip(names, objs):
        check(obj.get("file") == os.path.join(corpus, name), "%s: file is %r" % (name, obj.get("file")))
        check_shape(obj, name)

    # One file at a time against its EXPECT.tsv row.
    results = {}
    for row in rows:
        name = row["file"]
        rc, out, err = run(exe, ["-"], message_bytes(corpus, name))
        objs = json_lines(out, name)
        if not check(len(objs) == 1, "%s: %d lines" % (name, len(objs))):
            continue
        obj = objs[0]
        results[name] = obj
        check_shape(obj, name)
        check(obj["file"] == "-", "%s: stdin is not named '-'" % name)
        check(rc == (0 if obj["ok"] else 1), "%s: exit %d with ok=%r" % (name, rc, obj["ok"]))
        check(obj.get("kind") == row["kind"],
              "%s: kind %r, want %r" % (name, obj.get("kind"), row["kind"]))
        action = row["lb_action"]
        if action == "forward":
            check(obj["ok"] is True, "%s: rejected (%s), want forward" % (name, obj.get("error")))
        elif action == "reject":
            want = ["drop"] if row["reply"] == "drop" else [int(x) for x in row["reply"].split("|")]
            if check(obj["ok"] is False, "%s: accepted, want reject %s" % (name, row["reply"])):
                check(obj["reply"] in want,
                      "%s: reply %r (%s), want %s" % (name, obj["reply"], obj["error"], row["reply"]))
        if row["call_id"] != "-" and (obj["ok"] or "call_id" in obj):
            check(obj.get("call_id") == row["call_id"],
                  "%s: call_id %r, want %r" % (name, obj.get("call_id"), row["call_id"]))
    return results


def test_fields(results):
    """Spot checks of values the RFC 4475 README calls out."""
    r = results.get("wsinv.dat")
    if r and r["ok"]:
        check(r["max_forwards"] == 68 and r["max_forwards_value"] == "0068", "wsinv: Max-Forwards")
        check(r["cseq"]["number"] == 9 and r["cseq"]["method"] == "INVITE", "wsinv: CSeq")
        check(r["top_via"]["host"] == "192.0.2.2" and r["top_via"]["host_kind"] == "ipv4"
              and r["top_via"]["transport"] == "UDP", "wsinv: top Via %r" % r["top_via"])
        check(r["via_count"] >= 2, "wsinv: comma-joined Via gives %d values" % r["via_count"])
    r = results.get("inv2543.dat")
    if r and r["ok"]:
        check(r["max_forwards"] is None and r["content_length"] is None,
              "inv2543: Max-Forwards/Content-Length should be absent")
        check(r["body"]["length"] == 105 and r["top_via"]["branch"] is None
              and r["from_tag"] is None, "inv2543: body 105, no branch, no From tag")
    r = results.get("dblreq.dat")
    if r and r["ok"]:
        check(r["trailing"] > 0 and r["body"]["length"] == 0, "dblreq: trailing bytes not split")
    r = results.get("longreq.dat")
    if r and r["ok"]:
        check(r["via_count"] == 34 and len(r["vias"]) == 34, "longreq: 34 Vias")
        check(r["top_via"]["host"] == "sip33.example.com" and r["top_via"]["transport"] == "TCP"
              and r["top_via"]["branch"] is None, "longreq: top Via %r" % r["top_via"])
    r = results.get("intmeth.dat")
    if r and r["ok"]:
        check("\x07" in r["to"] and "\x00" in r["to"] and "\x7f" in r["to"],
              "intmeth: BEL/NUL/DEL lost from To: %r" % r["to"])
        check("\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439" in r["from"],
              "intmeth: UTF-8 From parameter not passed through: %r" % r["from"])
    r = results.get("unreason.dat")
    if r and r["ok"]:
        check(r["status"] == 200 and "\u043d\u043e" in r["reason"], "unreason: reason %r" % r["reason"])
        check(r["next_hop"]["value"] == r["vias"][1], "unreason: next hop is not the second Via")
    r = results.get("noreason.dat")
    if r and r["ok"]:
        check(r["status"] == 100 and r["reason"] == "", "noreason: reason %r" % r["reason"])
    r = results.get("zeromf.dat")
    if r:
        check(r.get("error") == "too_many_hops", "zeromf: error %r" % r.get("error"))
    r = results.get("bcast.dat")
    if r:
        check(r.get("error") == "relay_target", "bcast: error %r" % r.get("error"))


def test_escaping(exe, corpus, tmp):
    """File names carry control bytes, quotes, backslashes and invalid UTF-8 into the output."""
    with open(os.path.join(corpus, "esc01.dat"), "rb") as f:
        data = f.read()
    raw = os.path.join(tmp.encode(), b'q"b\\s\x01\x1f\t\n\x7f \xff\xfe\xc0\xaf\xed\xa0\x80 \xd0\xb6.dat')
    with open(raw, "wb") as f:
        f.write(data)
    p = subprocess.run([exe.encode(), raw], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    objs = json_lines(p.stdout, "escaping")
    if check(len(objs) == 1, "escaping: %d lines" % len(objs)):
        # Bytes that are not UTF-8 come back as U+00XX, valid UTF-8 (U+0436) as itself.
        want = raw.decode("latin-1")[:-len(" \xd0\xb6.dat")] + " \u0436.dat"
        check(objs[0]["file"] == want, "escaping: file %r, want %r" % (objs[0]["file"], want))
    check(b"\\u0001" in p.stdout and b"\\u001f" in p.stdout and b"\\u007f" in p.stdout
          and b"\\u00ff" in p.stdout and b'q\\"b\\\\s' in p.stdout,
          "escaping: raw output %r" % p.stdout[:120])


def test_exit_codes(exe, corpus, tmp):
    good = os.path.join(corpus, "esc01.dat")
    bad = os.path.join(corpus, "clerr.dat")

    rc, out, err = run(exe, [])
    check(rc == 2 and out == b"" and "usage" in err, "no args: exit %d, stderr %r" % (rc, err))
    rc, out, err = run(exe, ["--help"])
    check(rc == 0 and out.startswith(b"usage: sipsteer-parse") and err == "",
          "--help: exit %d, out %r" % (rc, out[:40]))
    rc, out, err = run(exe, ["--bogus", good])
    check(rc == 2 and out == b"" and "--bogus" in err, "unknown option: exit %d, %r" % (rc, err))
    rc, out, err = run(exe, [good])
    check(rc == 0 and len(json_lines(out, "good")) == 1, "good file: exit %d" % rc)
    rc, out, err = run(exe, [good, bad])
    check(rc == 1 and len(json_lines(out, "good+bad")) == 2, "good+rejected: exit %d" % rc)
    rc, out, err = run(exe, ["--", good])
    check(rc == 0, "-- then a file: exit %d" % rc)

    missing = os.path.join(tmp, "missing.dat")
    rc, out, err = run(exe, [missing])
    check(rc == 2 and out == b"" and missing in err and os.strerror(2) in err,
          "missing file: exit %d, stderr %r" % (rc, err))
    # An I/O error does not hide the other files' results, and wins over a reject.
    rc, out, err = run(exe, [bad, missing, good])
    check(rc == 2 and len(json_lines(out, "mixed")) == 2, "rejected+missing+good: exit %d" % rc)

    rc, out, err = run(exe, [tmp])
    check(rc == 2 and out == b"" and tmp in err and os.strerror(21) in err,
          "directory: exit %d, stderr %r" % (rc, err))

    if os.geteuid() != 0:
        locked = os.path.join(tmp, "locked.dat")
        shutil.copy(good, locked)
        os.chmod(locked, 0)
        rc, out, err = run(exe, [locked])
        check(rc == 2 and locked in err and os.strerror(13) in err,
              "unreadable file: exit %d, stderr %r" % (rc, err))
    # Opens fine, fails on read (offset 0 of a process's memory is never mapped): EIO even for
    # root, who may read a mode-000 file.
    if os.path.exists("/proc/self/mem"):
        rc, out, err = run(exe, ["/proc/self/mem"])
        check(rc == 2 and out == b"" and "/proc/self/mem" in err and os.strerror(5) in err,
              "unreadable file: exit %d, stderr %r" % (rc, err))

    with open(good, "rb") as f:
        msg = f.read()
    big = os.path.join(tmp, "big.dat")
    with open(big, "wb") as f:
        f.write(msg + b" " * (65536 - len(msg)))
    rc, out, err = run(exe, [big])
    check(rc == 2 and out == b"" and big in err and "65535" in err,
          "65536-byte file: exit %d, stderr %r" % (rc, err))
    rc, out, err = run(exe, ["-"], msg + b" " * (65536 - len(msg)))
    check(rc == 2 and out == b"", "65536 bytes on stdin: exit %d" % rc)
    # The largest datagram is read whole (the padding is after the body: trailing noise).
    limit = os.path.join(tmp, "limit.dat")
    with open(limit, "wb") as f:
        f.write(msg + b" " * (65535 - len(msg)))
    rc, out, err = run(exe, [limit])
    objs = json_lines(out, "65535-byte file")
    check(rc in (0, 1) and len(objs) == 1, "65535-byte file: exit %d, %r" % (rc, err))

    # A failed write of the results is an I/O error too.
    if os.path.exists("/dev/full"):
        with open("/dev/full", "wb") as full:
            p = subprocess.run([exe, good], stdout=full, stderr=subprocess.PIPE, timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        check(p.returncode == 2 and "standard output" in err and os.strerror(28) in err,
              "stdout on /dev/full: exit %d, stderr %r" % (p.returncode, err))

    empty = os.path.join(tmp, "empty.dat")
    open(empty, "wb").close()
    rc, out, err = run(exe, [empty])
    objs = json_lines(out, "empty")
    check(rc == 1 and len(objs) == 1 and objs[0].get("error") == "empty"
          and objs[0].get("reply") == "drop" and "kind" not in objs[0],
          "empty file: exit %d, %r" % (rc, objs))


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    exe, corpus = os.path.abspath(sys.argv[1]), sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="sipsteer-parse-test-")
    try:
        results = test_corpus(exe, corpus)
        test_fields(results)
        test_escaping(exe, corpus, tmp)
        test_exit_codes(exe, corpus, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("sipsteer-parse: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
