#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipsteerctl: argument errors (exit 2, nothing sent), an unreachable daemon (exit 1, the path
named), and with a fake daemon every command's request JSON and its rendering, human and --json.

Usage: test_cli.py SIPSTEERCTL
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_daemon import FakeDaemon  # noqa: E402

CTL = None


def run(*args, env=None):
    e = dict(os.environ)
    e.pop("SIPSTEER_SOCKET", None)
    if env:
        e.update(env)
    p = subprocess.run([CTL, *args], capture_output=True, text=True, timeout=60, env=e)
    return p.returncode, p.stdout, p.stderr


# As the daemon sends them (docs/cli.md shows the same): a draining backend owns no table slots,
# and `rate` is always there; `rtt_ms` only after a probe was answered.
BACKENDS = [
    {"id": 0, "name": "be1", "address": "198.18.0.21:5060", "weight": 1, "state": "enabled",
     "health": "up", "table_share": 1.0, "rate": 5.5, "rtt_ms": 1.25},
    {"id": 1, "name": "be2", "address": "[2001:db8::22]:5070", "weight": 3,
     "state": "draining", "health": "unknown", "table_share": 0.0, "rate": 0.0},
]


def stats_reply(n):
    """Counters after n calls: rx grows by 100 per call, drops by 2, uptime by 1 s."""
    def worker(lcore, k):
        return {"lcore": lcore, "rx": 100 * n * k, "tx": 90 * n * k, "forwarded": 60 * n * k,
                "relayed": 30 * n * k, "probe_replies": n * k, "replied": {"400": n * k, "503": n * k},
                "drops": {"neigh_miss": 2 * n * k, "bad_udp": 0}}
    w = [worker(1, 1), worker(2, 2)]
    total = {k: w[0][k] + w[1][k] for k in ("rx", "tx", "forwarded", "relayed", "probe_replies")}
    total["replied"] = {"400": 3 * n, "503": 3 * n}
    total["drops"] = {"neigh_miss": 6 * n, "bad_udp": 0}
    return {"uptime_s": float(n), "workers": w, "total": total,
            "backends": [{"name": "be1", "requests": 40 * n}, {"name": "be2", "requests": 20 * n}]}


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sipsteerctl-")
        self.sock = os.path.join(self.dir, "api.sock")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def ctl(self, *args):
        return run("--socket", self.sock, *args)


class Usage(Base):
    """Bad command lines: exit 2 with the bad argument named; no daemon needed."""

    CASES = [
        ([], "Usage: sipsteerctl"),
        (["--bogus", "backends"], "unknown option '--bogus'"),
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["backend"], "backend: missing subcommand (add, remove, weight, drain, enable, disable)"),
        (["backend", "frob", "be1"], "backend: unknown subcommand 'frob'"),
        (["config"], "config: missing subcommand (show)"),
        (["config", "edit"], "config: unknown subcommand 'edit' (show)"),
        (["backends", "extra"], "backends: unexpected 'extra'"),
        (["backend", "add"], "backend add: missing NAME"),
        (["backend", "add", "be1"], "backend add: missing ADDR[:PORT]"),
        (["backend", "add", "b e", "198.18.0.21"], "'b e' is not a valid NAME: use 1 to 63 of"),
        (["backend", "add", "", "198.18.0.21"], "'' is not a valid NAME"),
        (["backend", "add", "x" * 64, "198.18.0.21"], "is not a valid NAME"),
        (["backend", "add", "be1", "host.example"],
         "'host.example' is not a valid ADDR[:PORT]: not an IPv4 address (host names are not "
         "resolved)"),
        (["backend", "add", "be1", "198.18.0.300"], "'198.18.0.300' is not a valid ADDR"),
        (["backend", "add", "be1", "198.18.0.21:0"], "PORT must be a number from 1 to 65535"),
        (["backend", "add", "be1", "198.18.0.21:70000"], "PORT must be a number from 1 to 65535"),
        (["backend", "add", "be1", "198.18.0.21:50x"], "PORT must be a number"),
        (["backend", "add", "be1", "198.18.0.21:"], "PORT must be a number"),
        (["backend", "add", "be1", "[2001:db8::21"], "missing ']' after the IPv6 address"),
        (["backend", "add", "be1", "[2001:db8::21]5060"], "expected ':PORT' after ']'"),
        (["backend", "add", "be1", "[198.18.0.21]:5060"], "not an IPv6 address inside [ ]"),
        (["backend", "add", "be1", "2001:db8::zz"], "not an IPv4 or IPv6 address"),
        (["backend", "add", "be1", "[2001:db8::21]:0"], "PORT must be a number"),
        (["backend", "add", "be1", "198.18.0.21", "weight"], "'weight' needs a value: weight W"),
        (["backend", "add", "be1", "198.18.0.21", "wieght", "3"],
         "unexpected 'wieght' (expected 'weight W')"),
        # a stray argument where 'weight' belongs is named, not taken for a keyword
        (["backend", "add", "be4", "198.18.0.24", "3"], "unexpected '3' (expected 'weight W')"),
        (["backend", "add", "be4", "198.18.0.24", "extra"],
         "unexpected 'extra' (expected 'weight W')"),
        (["backend", "add", "be4", "198.18.0.24", "3", "extra"],
         "unexpected '3' (expected 'weight W')"),
        (["backend", "add", "be1", "198.18.0.21", "weight", "70000"],
         "'70000' is not a valid weight: use 0 to 65535"),
        (["backend", "add", "be1", "198.18.0.21", "weight", "-1"], "'-1' is not a valid weight"),
        (["backend", "add", "be1", "198.18.0.21", "weight", "2", "extra"], "unexpected 'extra'"),
        (["backend", "remove"], "backend remove: missing NAME"),
        (["backend", "remove", "be1", "be2"], "backend remove: unexpected 'be2'"),
        (["backend", "remove", "be/1"], "'be/1' is not a valid NAME"),
        (["backend", "weight", "be1"], "backend weight: missing W"),
        (["backend", "weight", "be1", "x"], "'x' is not a valid weight"),
        (["backend", "weight", "be1", "65536"], "'65536' is not a valid weight"),
        (["backend", "weight", "b!", "5"], "'b!' is not a valid NAME"),
        (["backend", "drain"], "backend drain: missing NAME"),
        (["backend", "drain", "a b"], "'a b' is not a valid NAME"),
        (["backend", "enable", "be1", "now"], "backend enable: unexpected 'now'"),
        (["backend", "disable", ""], "'' is not a valid NAME"),
        (["stats", "--bogus"], "stats: unexpected '--bogus'"),
        (["stats", "--reset", "--reset"], "stats: unexpected '--reset'"),
        (["top", "--count"], "top: --count needs a value"),
        (["top", "--count", "0"], "--count '0' is not a number from 1 to 1000000"),
        (["top", "--count", "x"], "--count 'x' is not a number"),
        (["top", "--interval", "0.01"], "--interval '0.01' is not a number of seconds"),
        (["top", "--interval", "soon"], "--interval 'soon' is not a number of seconds"),
        (["top", "now"], "top: unexpected 'now'"),
        (["reload", "now"], "reload: unexpected 'now'"),
        (["config", "show", "all"], "config show: unexpected 'all'"),
        (["version", "2"], "version: unexpected '2'"),
        (["--socket"], "--socket needs a PATH"),
        (["--socket=", "backends"], "--socket needs a PATH"),
        (["--timeout", "0", "backends"], "--timeout '0' is not a number of seconds"),
        (["--timeout=x", "backends"], "--timeout 'x' is not a number of seconds"),
    ]

    def test_usage_errors(self):
        for args, message in self.CASES:
            with self.subTest(args=args):
                rc, out, err = self.ctl(*args)
                self.assertEqual(rc, 2, err)
                self.assertIn(message, err)
                self.assertEqual(out, "")
                self.assertNotIn("cannot reach", err)  # nothing was sent

    def test_help(self):
        rc, out, err = run("--help")
        self.assertEqual(rc, 0)
        for cmd in ("backends", "backend add NAME ADDR[:PORT] [weight W]", "stats [--reset]",
                    "top [--count N]", "reload", "config show", "version"):
            self.assertIn(cmd, out)
        for args in (["backends"], ["backend", "add"], ["backend", "remove", "x"],
                     ["backend", "weight"], ["backend", "drain"], ["backend", "enable"],
                     ["backend", "disable"], ["stats"], ["top"], ["reload"], ["config", "show"],
                     ["version"]):
            with self.subTest(args=args):
                rc, out, err = self.ctl(*args, "--help")
                self.assertEqual(rc, 0, err)
                words = " ".join(args[:2]) if args[0] in ("backend", "config") else args[0]
                self.assertIn("Usage: sipsteerctl [--socket PATH] [--json] [--timeout SECONDS] "
                              + words, out)
        rc, out, _ = self.ctl("backend", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("backend drain NAME", out)
        # reload's help names every section: applied now, and restart-only.
        rc, out, _ = self.ctl("reload", "--help")
        self.assertEqual(rc, 0)
        for section in ("backends", "hashing", "sip", "rate_limit", "probe", "eal", "ports",
                        "workers", "idle_sleep_us", "burst", "listen", "control"):
            self.assertIn(section, out)

    def test_usage_lines(self):
        # A bad argument of a known command: its usage line, every global option included.
        rc, out, err = self.ctl("backends", "extra")
        self.assertEqual(rc, 2)
        self.assertIn("\nUsage: sipsteerctl [--socket PATH] [--json] [--timeout SECONDS] "
                      "backends\n", err)
        # Not a known command, or a bad global option: a pointer to --help instead.
        for args in (["frobnicate"], ["--bogus", "backends"], ["backend"],
                     ["--timeout", "0", "backends"]):
            with self.subTest(args=args):
                rc, out, err = self.ctl(*args)
                self.assertEqual(rc, 2)
                self.assertIn("Run 'sipsteerctl --help' for the commands.", err)
                self.assertNotIn("Usage:", err)
        # No command at all: the whole help, on stderr.
        rc, out, err = self.ctl()
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertIn("Commands:", err)

    def test_version_option(self):
        for opt in ("--version", "-V"):
            with self.subTest(opt=opt):
                rc, out, err = run("--socket", "/nonexistent/sipsteer.sock", opt)
                self.assertEqual(rc, 0, err)
                self.assertRegex(out, r"^sipsteerctl [0-9]+\.[0-9]+\.[0-9]+\n$")
                self.assertEqual(err, "")  # nothing was sent


class Unreachable(Base):
    COMMANDS = [["backends"], ["backend", "add", "be1", "198.18.0.21"],
                ["backend", "remove", "be1"], ["backend", "weight", "be1", "2"],
                ["backend", "drain", "be1"], ["backend", "enable", "be1"],
                ["backend", "disable", "be1"], ["stats"], ["stats", "--reset"],
                ["top", "--count", "1"], ["reload"], ["config", "show"], ["version"]]

    def test_no_socket(self):
        for args in self.COMMANDS:
            with self.subTest(args=args):
                rc, out, err = self.ctl(*args)
                self.assertEqual(rc, 1, err)
                self.assertIn("cannot reach the daemon at %s: No such file or directory" %
                              self.sock, err)
                self.assertIn("is sipsteer running?", err)

    def test_nobody_listening(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.sock)
        s.close()  # a stale socket file
        rc, _, err = self.ctl("backends")
        self.assertEqual(rc, 1)
        self.assertIn("cannot reach the daemon at %s: Connection refused" % self.sock, err)

    def test_turned_away(self):
        """A daemon with too many clients writes its reason and closes without reading the
        request: the reason is shown. Against this Python stand-in the request's send almost
        always succeeds before the close, so this covers reading the reason after a sent
        request; test_cli_live.py's test_too_many_clients, against the C server, covers the
        send that fails with EPIPE first."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.sock)
        s.listen(8)
        busy = b'{"ok":false,"error":"too many control connections, try again"}\n'

        def turn_away():
            for _ in range(5):
                c, _ = s.accept()
                c.sendall(busy)
                c.close()

        t = threading.Thread(target=turn_away, daemon=True)
        t.start()
        try:
            for _ in range(5):
                rc, _, err = self.ctl("backends")
                self.assertEqual(rc, 1, err)
                self.assertIn("too many control connections, try again", err)
                self.assertNotIn("sending the request failed", err)
        finally:
            t.join(5)
            s.close()

    def test_not_a_socket(self):
        for path, kind in ((self.sock + ".file", "file"), (os.path.dirname(self.sock), "directory")):
            if kind == "file":
                with open(path, "w"):
                    pass
            rc, _, err = run("--socket", path, "backends")
            self.assertEqual(rc, 1, err)
            self.assertIn("cannot reach the daemon at %s: it is a %s, not a socket" % (path, kind),
                          err)
            self.assertNotIn("is sipsteer running?", err)

    def test_env_socket(self):
        rc, _, err = run("backends", env={"SIPSTEER_SOCKET": self.sock + ".env"})
        self.assertEqual(rc, 1)
        self.assertIn(self.sock + ".env", err)

    def test_default_socket(self):
        rc, _, err = run("--socket", "/nonexistent/dir/sipsteer.sock", "version")
        self.assertEqual(rc, 1)
        self.assertIn("/nonexistent/dir/sipsteer.sock", err)


class WithFake(Base):
    def fake(self, replies):
        return FakeDaemon(self.sock, replies)

    def test_backends(self):
        with self.fake({"backends": BACKENDS}) as d:
            rc, out, err = self.ctl("backends")
            self.assertEqual(rc, 0, err)
            self.assertEqual(d.requests, [{"cmd": "backends"}])
            lines = out.splitlines()
            self.assertEqual(lines[0].split(), ["ID", "NAME", "ADDRESS", "WEIGHT", "STATE",
                                                "HEALTH", "SHARE", "MSG/S", "RTT"])
            self.assertEqual(lines[1].split(), ["0", "be1", "198.18.0.21:5060", "1", "enabled",
                                                "up", "100.0%", "5.5", "1.25", "ms"])
            self.assertEqual(lines[2].split(), ["1", "be2", "[2001:db8::22]:5070", "3",
                                                "draining", "unknown", "0.0%", "0.0", "-"])
            # Aligned: every row as wide as the header up to the last column.
            self.assertEqual(lines[0].index("ADDRESS"), lines[1].index("198.18"))
            rc, out, err = self.ctl("--json", "backends")
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out), BACKENDS)
            # --json is also accepted after the command.
            rc, out, err = self.ctl("backends", "--json")
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out), BACKENDS)
        # A field the daemon does not send is shown as '-'.
        sparse = [{"id": 0, "name": "be1", "address": "198.18.0.21:5060", "weight": 1,
                   "state": "enabled", "health": "up"}]
        with self.fake({"backends": sparse}):
            rc, out, err = self.ctl("backends")
            self.assertEqual(rc, 0, err)
            self.assertEqual(out.splitlines()[1].split(),
                             ["0", "be1", "198.18.0.21:5060", "1", "enabled", "up", "-", "-",
                              "-"])
        with self.fake({"backends": []}):
            rc, out, _ = self.ctl("backends")
            self.assertEqual(rc, 0)
            self.assertIn("no backends", out)

    def test_backend_commands(self):
        added = {"id": 2, "name": "be3", "address": "198.18.0.23:5080", "weight": 2,
                 "state": "enabled", "health": "unknown", "table_share": 0.2}
        replies = {c: added for c in ("backend.add", "backend.remove", "backend.weight",
                                      "backend.drain", "backend.enable", "backend.disable")}
        cases = [
            (["backend", "add", "be3", "198.18.0.23:5080", "weight", "2"],
             {"cmd": "backend.add",
              "args": {"name": "be3", "address": "198.18.0.23:5080", "weight": 2}},
             "backend 'be3' added: id 2, 198.18.0.23:5080, weight 2"),
            (["backend", "add", "be3", "198.18.0.23"],
             {"cmd": "backend.add", "args": {"name": "be3", "address": "198.18.0.23"}}, None),
            (["backend", "add", "v6", "[2001:db8::23]:5080"],
             {"cmd": "backend.add", "args": {"name": "v6", "address": "[2001:db8::23]:5080"}},
             None),
            (["backend", "add", "v6", "2001:db8::23"],
             {"cmd": "backend.add", "args": {"name": "v6", "address": "2001:db8::23"}}, None),
            (["backend", "add", "be3", "198.18.0.23", "weight", "0"],
             {"cmd": "backend.add",
              "args": {"name": "be3", "address": "198.18.0.23", "weight": 0}}, None),
            (["backend", "remove", "be3"], {"cmd": "backend.remove", "args": {"name": "be3"}},
             "backend 'be3' removed"),
            (["backend", "weight", "be3", "65535"],
             {"cmd": "backend.weight", "args": {"name": "be3", "weight": 65535}},
             "backend 'be3' weight 2"),
            (["backend", "drain", "be3"], {"cmd": "backend.drain", "args": {"name": "be3"}},
             "backend 'be3' draining"),
            (["backend", "enable", "be3"], {"cmd": "backend.enable", "args": {"name": "be3"}},
             "backend 'be3' enabled"),
            (["backend", "disable", "be3"], {"cmd": "backend.disable", "args": {"name": "be3"}},
             "backend 'be3' disabled"),
        ]
        with self.fake(replies) as d:
            for args, request, output in cases:
                with self.subTest(args=args):
                    d.requests.clear()
                    rc, out, err = self.ctl(*args)
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(d.requests, [request])
                    if output:
                        self.assertEqual(out.strip(), output)
                    rc, out, err = self.ctl("--json", *args)
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(json.loads(out), added)

    def test_daemon_says_no(self):
        def no(args):
            return {"ok": False, "error": "backend '%s' does not exist" % args["name"]}
        with self.fake({"backend.drain": no}):
            rc, out, err = self.ctl("backend", "drain", "be9")
            self.assertEqual(rc, 1)
            self.assertEqual(out, "")
            self.assertEqual(err.strip(), "sipsteerctl: daemon at %s: backend 'be9' does not "
                             "exist" % self.sock)
            rc, out, err = self.ctl("--json", "backend", "drain", "be9")
            self.assertEqual(rc, 1)
            self.assertIn("backend 'be9' does not exist", err)

    def test_bad_replies(self):
        replies = {"version": lambda a: b"this is not json\n",
                   "backends": lambda a: b'{"result": 1}\n',
                   "stats": lambda a: None,  # hang up
                   "reload": lambda a: b""}  # never answer
        with self.fake(replies):
            rc, _, err = self.ctl("version")
            self.assertEqual(rc, 1)
            self.assertIn("daemon at %s: the reply is not an API reply" % self.sock, err)
            rc, _, err = self.ctl("backends")
            self.assertEqual(rc, 1)
            self.assertIn("the reply is not an API reply", err)
            rc, _, err = self.ctl("stats")
            self.assertEqual(rc, 1)
            self.assertIn("connection closed before the reply", err)
            # A change whose connection closed before the reply may have been done.
            rc, _, err = self.ctl("stats", "--reset")
            self.assertEqual(rc, 1)
            self.assertIn("connection closed before the reply; the request was sent and may "
                          "still be carried out: check with 'sipsteerctl stats'", err)
            rc, _, err = run("--socket", self.sock, "--timeout", "0.2", "reload")
            self.assertEqual(rc, 1)
            self.assertIn("daemon at %s: no reply within 200 ms" % self.sock, err)

    def test_no_reply(self):
        """A change that got no reply was sent: the message says it may still be carried out."""
        never = lambda a: b""  # accept, read, never answer
        replies = {c: never for c in ("backends", "backend.add", "backend.remove",
                                      "backend.weight", "backend.drain", "backend.enable",
                                      "backend.disable", "stats", "reload", "config.show",
                                      "version")}
        no_reply = "sipsteerctl: daemon at %s: no reply within 200 ms" % self.sock
        sent = "; the request was sent and may still be carried out: check with %s before " \
               "repeating it"
        changes = [
            (["backend", "add", "be4", "198.18.0.24", "weight", "3"], "'sipsteerctl backends'"),
            (["backend", "remove", "be1"], "'sipsteerctl backends'"),
            (["backend", "weight", "k1", "4"], "'sipsteerctl backends'"),
            (["backend", "drain", "be1"], "'sipsteerctl backends'"),
            (["backend", "enable", "be1"], "'sipsteerctl backends'"),
            (["backend", "disable", "be1"], "'sipsteerctl backends'"),
            (["reload"], "'sipsteerctl config show' or the daemon's log"),
            (["stats", "--reset"], "'sipsteerctl stats'"),
        ]
        read_only = [["backends"], ["stats"], ["config", "show"], ["--json", "version"]]
        with self.fake(replies):
            for args, check in changes:
                with self.subTest(args=args):
                    rc, out, err = run("--socket", self.sock, "--timeout", "0.2", *args)
                    self.assertEqual(rc, 1)
                    self.assertEqual(out, "")
                    self.assertEqual(err.strip(), no_reply + sent % check)
            for args in read_only:
                with self.subTest(args=args):
                    rc, out, err = run("--socket", self.sock, "--timeout", "0.2", *args)
                    self.assertEqual(rc, 1)
                    self.assertEqual(err.strip(), no_reply)

    def test_stats(self):
        with self.fake({"stats": stats_reply(3)}) as d:
            rc, out, err = self.ctl("stats")
            self.assertEqual(rc, 0, err)
            self.assertEqual(d.requests, [{"cmd": "stats"}])
            rows = [line.split() for line in out.splitlines()]
            self.assertEqual(rows[0], ["uptime", "3.0", "s"])
            self.assertEqual(rows[1], ["WORKER", "LCORE", "RECEIVED", "FORWARDED", "RELAYED",
                                       "PROBES", "REPLIED", "DROPPED"])
            self.assertEqual(rows[2], ["W0", "1", "300", "180", "90", "3", "6", "6"])
            self.assertEqual(rows[3], ["W1", "2", "600", "360", "180", "6", "12", "12"])
            self.assertEqual(rows[4], ["total", "900", "540", "270", "9", "18", "18"])
            self.assertIn(["DROP", "REASON", "W0", "W1", "TOTAL"], rows)
            self.assertIn(["neigh_miss", "6", "12", "18"], rows)
            self.assertNotIn("bad_udp", out)  # zero: not shown
            d.requests.clear()
            rc, out, err = self.ctl("stats", "--reset")
            self.assertEqual(rc, 0, err)
            self.assertEqual(d.requests, [{"cmd": "stats", "args": {"reset": True}}])
            self.assertIn("counters reset", out)
            rc, out, err = self.ctl("--json", "stats")
            self.assertEqual(json.loads(out), stats_reply(3))
        # After a reset the daemon says since when the counters count.
        reply = dict(stats_reply(3), since_reset_s=1.25)
        with self.fake({"stats": reply}):
            rc, out, err = self.ctl("stats")
            self.assertEqual(rc, 0, err)
            self.assertEqual(out.splitlines()[0],
                             "uptime 3.0 s, counters since a reset 1.2 s ago")
        # A daemon that sends fewer fields: '-' where they are missing.
        with self.fake({"stats": {"workers": [{"rx": 5}], "total": {"rx": 5}}}):
            rc, out, err = self.ctl("stats")
            self.assertEqual(rc, 0, err)
            self.assertIn(["W0", "-", "5", "-", "-", "-", "-", "-"],
                          [line.split() for line in out.splitlines()])
            self.assertIn("no drop counters in the reply", out)
            self.assertNotIn("uptime", out)
        with self.fake({"stats": stats_reply(0)}):
            rc, out, err = self.ctl("stats")
            self.assertEqual(rc, 0, err)
            self.assertIn("no drops", out)

    def test_top(self):
        calls = []

        def stats(args):
            calls.append(args)
            return {"ok": True, "result": stats_reply(len(calls))}
        with self.fake({"stats": stats}) as d:
            rc, out, err = self.ctl("top", "--count", "2", "--interval", "0.1")
            self.assertEqual(rc, 0, err)
            self.assertEqual(len(d.requests), 3)
            self.assertTrue(all(r == {"cmd": "stats"} for r in d.requests))
            self.assertNotIn("\033", out)  # not a terminal: no escape sequences
            frames = out.split("\n\nsipsteer top")
            self.assertEqual(len(frames), 2)
            for frame in frames:
                rows = [line.split() for line in frame.splitlines()]
                # Rates from successive replies (uptime 1 s apart), not totals.
                self.assertIn(["W0", "1", "100.0", "60.0", "30.0", "2.0", "2.0"], rows)
                self.assertIn(["W1", "2", "200.0", "120.0", "60.0", "4.0", "4.0"], rows)
                self.assertIn(["total", "300.0", "180.0", "90.0", "6.0", "6.0"], rows)
                self.assertIn(["be1", "40.0", "66.7%"], rows)
                self.assertIn(["be2", "20.0", "33.3%"], rows)
            calls.clear()
            rc, out, err = self.ctl("--json", "top", "--count", "2", "--interval", "0.1")
            self.assertEqual(rc, 0, err)
            lines = out.splitlines()
            self.assertEqual([json.loads(x) for x in lines], [stats_reply(2), stats_reply(3)])

    def test_top_daemon_fails(self):
        calls = []

        def stats(args):
            calls.append(args)
            if len(calls) > 1:
                return {"ok": False, "error": "stats are not available from this daemon"}
            return {"ok": True, "result": stats_reply(1)}
        with self.fake({"stats": stats}):
            rc, out, err = self.ctl("top", "--count", "3", "--interval", "0.1")
            self.assertEqual(rc, 1)
            self.assertIn("stats are not available", err)

    def test_reload(self):
        result = {"changed": ["backend 'be3' added (198.18.0.23:5060, weight 1, enabled)",
                              "sip.max_forwards 70 -> 20"],
                  "warnings": ["workers: 2 in the file, 1 running: needs a restart, keeping 1"]}
        with self.fake({"reload": result}) as d:
            rc, out, err = self.ctl("reload")
            self.assertEqual(rc, 0, err)
            self.assertEqual(d.requests, [{"cmd": "reload"}])
            self.assertEqual(out.splitlines(), [
                "reloaded: 2 changes",
                "  backend 'be3' added (198.18.0.23:5060, weight 1, enabled)",
                "  sip.max_forwards 70 -> 20",
                "warning: workers: 2 in the file, 1 running: needs a restart, keeping 1"])
            rc, out, _ = self.ctl("--json", "reload")
            self.assertEqual(json.loads(out), result)
        with self.fake({"reload": {"changed": [], "warnings": []}}):
            rc, out, _ = self.ctl("reload")
            self.assertEqual(out, "reloaded: nothing changed\n")

        def refused(args):
            return {"ok": False, "error": "sipsteer.yaml:9: backends[0].weight: 70000 is out "
                                          "of range 0..65535; nothing changed"}
        with self.fake({"reload": refused}):
            rc, out, err = self.ctl("reload")
            self.assertEqual(rc, 1)
            self.assertIn("sipsteer.yaml:9: backends[0].weight", err)
            self.assertIn("nothing changed", err)

    def test_config_show(self):
        yaml = "# sipsteer configuration\nworkers: 1\nbackends: []\n"
        with self.fake({"config.show": {"path": "/etc/sipsteer.yaml", "yaml": yaml}}) as d:
            rc, out, err = self.ctl("config", "show")
            self.assertEqual(rc, 0, err)
            self.assertEqual(d.requests, [{"cmd": "config.show"}])
            self.assertEqual(out, yaml)
            rc, out, _ = self.ctl("--json", "config", "show")
            self.assertEqual(json.loads(out), {"path": "/etc/sipsteer.yaml", "yaml": yaml})

    def test_version(self):
        result = {"name": "sipsteer", "version": "9.8.7", "api": 1}
        with self.fake({"version": result}) as d:
            rc, out, err = self.ctl("version")
            self.assertEqual(rc, 0, err)
            self.assertEqual(d.requests, [{"cmd": "version"}])
            lines = out.splitlines()
            self.assertRegex(lines[0], r"^sipsteerctl \S+$")
            self.assertEqual(lines[1], "sipsteer 9.8.7 (control API 1)")
            rc, out, _ = self.ctl("--json", "version")
            self.assertEqual(json.loads(out), result)
        # Unreachable: the client's version still shows.
        rc, out, err = self.ctl("version")
        self.assertEqual(rc, 1)
        self.assertRegex(out, r"^sipsteerctl \S+\n$")


if __name__ == "__main__":
    CTL = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
