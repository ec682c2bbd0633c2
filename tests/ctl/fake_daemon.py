# SPDX-License-Identifier: BSD-3-Clause
"""A tiny stand-in for sipsteer's control API: a UNIX socket speaking one JSON object per line.

It records every request it gets and answers from a table: cmd -> result, or cmd -> callable(args)
returning a whole reply object ({"ok": ..., ...}) or raw bytes to send as they are (to test bad
replies). Runs in a thread of the test process.
"""
import json
import os
import socket
import threading


class FakeDaemon:
    def __init__(self, path, replies):
        self.path = path
        self.replies = replies
        self.requests = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if os.path.exists(path):
            os.unlink(path)
        self.sock.bind(path)
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)

    def answer(self, line):
        req = json.loads(line)
        self.requests.append(req)
        handler = self.replies.get(req.get("cmd"))
        if handler is None:
            return json.dumps({"ok": False, "error": "unknown command '%s'" % req.get("cmd")})
        if callable(handler):
            rep = handler(req.get("args", {}))
            if rep is None or isinstance(rep, bytes):
                return rep
            return json.dumps(rep)
        return json.dumps({"ok": True, "result": handler})

    def serve_one(self, conn):
        buf = b""
        conn.settimeout(0.1)
        while not self.stop.is_set():
            try:
                data = conn.recv(65536)
            except socket.timeout:
                continue
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                out = self.answer(line.decode())
                if out is None:
                    return  # hang up without a reply
                if out == b"":
                    continue  # never reply
                conn.sendall(out if isinstance(out, bytes) else out.encode() + b"\n")

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                self.serve_one(conn)
