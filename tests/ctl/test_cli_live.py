#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sipsteerctl against the real API server and running state (ctl_test_daemon: no DPDK):
changes made through the CLI show up in `backends` and `config show`, refusals exit 1 with the
daemon's reason, stats reset, reload of an edited file, and a second daemon on the same socket
refused.

Usage: test_cli_live.py SIPSTEERCTL CTL_TEST_DAEMON
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

CTL = DAEMON = None

CONFIG = """ports:
  - name: lan0
    device: net_tap0
listen:
  ipv4: 198.18.0.10/24
backends:
  - name: be1
    address: 198.18.0.21
  - name: be2
    address: 198.18.0.22:5070
    weight: 3
"""


class Live(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sipsteerctl-live-")
        self.sock = os.path.join(self.dir, "run", "api.sock")
        self.config = os.path.join(self.dir, "sipsteer.yaml")
        with open(self.config, "w") as f:
            f.write(CONFIG)
        self.daemon = subprocess.Popen([DAEMON, self.config, self.sock], stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
        self.assertEqual(self.daemon.stdout.readline(), "ready\n")

    def tearDown(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.wait(timeout=30)
        self.daemon.stdout.close()
        self.daemon.stderr.close()
        self.assertFalse(os.path.exists(self.sock))  # removed on the way out
        shutil.rmtree(self.dir, ignore_errors=True)

    def ctl(self, *args):
        p = subprocess.run([CTL, "--socket", self.sock, *args], capture_output=True, text=True,
                           timeout=60)
        return p.returncode, p.stdout, p.stderr

    def backends(self):
        rc, out, err = self.ctl("--json", "backends")
        self.assertEqual(rc, 0, err)
        return {b["name"]: b for b in json.loads(out)}

    def test_changes(self):
        rc, out, err = self.ctl("backends")
        self.assertEqual(rc, 0, err)
        rows = [line.split() for line in out.splitlines()]
        self.assertEqual(rows[1], ["0", "be1", "198.18.0.21:5060", "1", "enabled", "unknown",
                                   "25.0%", "12.5", "0.50", "ms"])
        self.assertEqual(rows[2], ["1", "be2", "198.18.0.22:5070", "3", "enabled", "unknown",
                                   "75.0%", "-", "-"])

        rc, out, err = self.ctl("backend", "add", "be3", "198.18.0.23:5080", "weight", "4")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "backend 'be3' added: id 2, 198.18.0.23:5080, weight 4\n")
        rc, out, err = self.ctl("backend", "add", "be4", "198.18.0.23:5080")
        self.assertEqual(rc, 1)
        self.assertEqual(err, "sipsteerctl: daemon at %s: address 198.18.0.23:5080 already used "
                         "by backend 'be3'\n" % self.sock)
        rc, _, err = self.ctl("backend", "add", "be4", "2001:db8::24")
        self.assertEqual(rc, 1)
        self.assertIn("is IPv6 but the daemon has no listen.ipv6 address", err)
        rc, _, err = self.ctl("backend", "add", "be4", "224.0.0.1")
        self.assertEqual(rc, 1)
        self.assertIn("is a multicast address", err)

        self.assertEqual(self.ctl("backend", "drain", "be1")[0], 0)
        self.assertEqual(self.ctl("backend", "weight", "be2", "0")[0], 0)
        self.assertEqual(self.ctl("backend", "remove", "be3")[0], 0)
        rc, _, err = self.ctl("backend", "enable", "be3")
        self.assertEqual(rc, 1)
        self.assertIn("backend 'be3' does not exist", err)
        b = self.backends()
        self.assertEqual(sorted(b), ["be1", "be2"])
        self.assertEqual(b["be1"]["state"], "draining")
        self.assertEqual(b["be2"]["weight"], 0)
        self.assertEqual(b["be1"]["table_share"], 0)

        rc, out, err = self.ctl("config", "show")
        self.assertEqual(rc, 0, err)
        self.assertIn("state: draining", out)
        self.assertIn("weight: 0", out)
        self.assertNotIn("be3", out)

    def test_stats_reset(self):
        rc, out, err = self.ctl("--json", "stats")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["total"]["rx"], 100)
        rc, out, err = self.ctl("--json", "stats", "--reset")  # call 2: shown, then baseline
        self.assertEqual(json.loads(out)["total"]["rx"], 200)
        rc, out, err = self.ctl("stats")  # call 3: 300 - 200
        self.assertEqual(rc, 0, err)
        rows = [line.split() for line in out.splitlines()]
        self.assertIn(["W0", "1", "100", "70", "20", "-", "1", "9"], rows)
        self.assertIn(["neigh_miss", "9", "9"], rows)
        rc, out, err = self.ctl("top", "--count", "1", "--interval", "0.1")
        self.assertEqual(rc, 0, err)
        self.assertIn(["total", "100.0", "70.0", "20.0", "1.0", "9.0"],
                      [line.split() for line in out.splitlines()])

    def test_reload(self):
        self.assertEqual(self.ctl("backend", "drain", "be1")[0], 0)
        with open(self.config, "w") as f:
            f.write(CONFIG.replace("weight: 3", "weight: 5") +
                    "  - name: be3\n    address: 198.18.0.23\nworkers: 2\n")
        rc, out, err = self.ctl("reload")
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), [
            "reloaded: 2 changes",
            "  backend 'be2' weight 3 -> 5",
            "  backend 'be3' added (198.18.0.23:5060, weight 1, enabled)",
            "warning: workers: 2 in the file, 1 running: needs a restart, keeping 1"])
        b = self.backends()
        self.assertEqual(b["be1"]["state"], "draining")  # the run-time drain stays
        self.assertEqual(b["be3"]["id"], 2)
        with open(self.config, "w") as f:
            f.write(CONFIG.replace("weight: 3", "weight: 70000"))
        rc, out, err = self.ctl("reload")
        self.assertEqual(rc, 1)
        self.assertIn("sipsteer.yaml:11: backends[1].weight: 70000 is out of range 0..65535; "
                      "nothing changed", err)
        self.assertEqual(self.backends()["be2"]["weight"], 5)

    def test_too_many_clients(self):
        """With every control connection taken, sipsteerctl shows the daemon's reason (the
        daemon writes it and closes without reading, so the request's send may fail first)."""
        held = []
        try:
            for _ in range(64):  # CTL_API_MAX_CLIENTS
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.connect(self.sock)
                held.append(c)
            # the daemon has them all once it answers on one of them
            held[-1].sendall(b'{"cmd":"version"}\n')
            self.assertIn(b'"ok":true', held[-1].recv(4096))
            for _ in range(10):
                rc, _, err = self.ctl("backends")
                self.assertEqual(rc, 1, err)
                self.assertIn("too many control connections, try again", err)
        finally:
            for c in held:
                c.close()
        rc, _, err = self.ctl("backends")
        self.assertEqual(rc, 0, err)

    def test_second_daemon_refused(self):
        p = subprocess.run([DAEMON, self.config, self.sock], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("another sipsteer (pid %d) is serving %s" % (self.daemon.pid, self.sock),
                      p.stderr)
        rc, out, err = self.ctl("version")  # the first one still serves
        self.assertEqual(rc, 0, err)
        self.assertIn("sipsteer", out.splitlines()[1])


if __name__ == "__main__":
    CTL = os.path.abspath(sys.argv.pop(1))
    DAEMON = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
