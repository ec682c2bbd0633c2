#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Scrape sipsteer's /metrics, parse it with prometheus_client, compare with the stats JSON.

usage: ctl_metrics_check.py URL STATS_JSON_FILE
Counters that only calls move (forwarded, relayed, stateless replies, drops, per-backend
requests) must be equal; rx/tx and probe_replies (probes keep moving them) must be close. Exit 77
when prometheus_client is not installed."""
import json
import sys
import urllib.request

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("prometheus_client is not installed (python3-prometheus-client): skipped")
    sys.exit(77)


def main():
    url, stats_path = sys.argv[1], sys.argv[2]
    with urllib.request.urlopen(url, timeout=5) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode()
    with open(stats_path) as f:
        stats = json.load(f)
    fails = []
    if not ctype.startswith("text/plain"):
        fails.append("content type %r" % ctype)
    samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    print("metrics: %d samples parsed" % len(samples))

    def get(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))))

    for w in stats["workers"]:
        lc = str(w["lcore"])
        for metric, key in (("sipsteer_forwarded_requests_total", "forwarded"),
                            ("sipsteer_relayed_responses_total", "relayed")):
            v = get(metric, worker=lc)
            if v != w[key]:
                fails.append("%s{worker=%s} = %s, stats %s = %s" % (metric, lc, v, key, w[key]))
        for code, n in w["replied"].items():
            v = get("sipsteer_stateless_replies_total", worker=lc, code=code)
            if v != n:
                fails.append("stateless replies %s: metrics %s, stats %s" % (code, v, n))
        for metric, key in (("sipsteer_rx_packets_total", "rx"), ("sipsteer_tx_packets_total", "tx"),
                            ("sipsteer_probe_replies_total", "probe_replies")):
            v = get(metric, worker=lc)
            # Probes move these between the two reads (a few packets a second).
            if v is None or abs(v - w[key]) > 200:
                fails.append("%s{worker=%s} = %s, stats %s" % (metric, lc, v, w[key]))
        for reason, n in w["drops"].items():
            v = get("sipsteer_drops_total", worker=lc, reason=reason)
            if v != n:
                fails.append("drops %s: metrics %s, stats %s" % (reason, v, n))
    for b in stats["backends"]:
        v = get("sipsteer_backend_requests_total", backend=b["name"])
        if v != b["requests"]:
            fails.append("backend %s requests: metrics %s, stats %s" % (b["name"], v, b["requests"]))
        h = get("sipsteer_backend_health", backend=b["name"])
        if h != 1:
            fails.append("backend %s health gauge %s, want 1 (up)" % (b["name"], h))
        if get("sipsteer_backend_probe_rtt_seconds_count", backend=b["name"]) in (None, 0):
            fails.append("backend %s: no probe RTT observed" % b["name"])
    for f in fails:
        print("FAIL: " + f)
    if not fails:
        print("metrics agree with the stats: %d workers, %d backends" % (
            len(stats["workers"]), len(stats["backends"])))
    sys.exit(1 if fails else 0)


main()
