#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Parse sipsteer's Prometheus exposition with the Prometheus Python client's own parser.

Usage: check_exposition.py TEST_METRICS
TEST_METRICS --render prints the exposition of a fixed snapshot, --expect the samples it must hold
(JSON: name, labels, value). Checks: the text parses; every family has HELP and a known TYPE;
counter samples end in _total; histograms have cumulative buckets ending in le="+Inf" equal to
_count; the samples are exactly the expected ones, values included. Exit 77 (skipped) when the
prometheus_client module is missing (Debian: python3-prometheus-client).
"""
import json
import math
import subprocess
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print("prometheus_client is not installed (python3-prometheus-client): skipped")
    sys.exit(77)


def run(exe, mode):
    return subprocess.run([exe, mode], check=True, capture_output=True, text=True).stdout


def key(name, labels):
    return (name, tuple(sorted(labels.items())))


def main():
    exe = sys.argv[1]
    text = run(exe, "--render")
    expected = {key(s["name"], s["labels"]): s["value"] for s in json.loads(run(exe, "--expect"))}
    errors = []
    got = {}
    families = list(text_string_to_metric_families(text))
    names = [f.name for f in families]
    if len(names) != len(set(names)):
        errors.append(f"a family appears twice: {names}")
    for fam in families:
        if fam.type not in ("counter", "gauge", "histogram"):
            errors.append(f"{fam.name}: type {fam.type}")
        if not fam.documentation:
            errors.append(f"{fam.name}: no HELP")
        buckets = {}
        for s in fam.samples:
            k = key(s.name, s.labels)
            if k in got:
                errors.append(f"duplicate sample {k}")
            got[k] = s.value
            if fam.type == "counter" and not s.name.endswith("_total"):
                errors.append(f"counter sample {s.name} does not end in _total")
            if fam.type == "histogram" and s.name.endswith("_bucket"):
                rest = tuple(sorted((n, v) for n, v in s.labels.items() if n != "le"))
                buckets.setdefault(rest, []).append((float(s.labels["le"]), s.value))
        for rest, bs in buckets.items():
            les = [le for le, _ in bs]
            if les != sorted(les) or les[-1] != math.inf:
                errors.append(f"{fam.name}{rest}: buckets out of order or no +Inf: {les}")
            values = [v for _, v in bs]
            if values != sorted(values):
                errors.append(f"{fam.name}{rest}: buckets not cumulative: {values}")
            count = got.get(key(fam.name + "_count", dict(rest)))
            if count != values[-1]:
                errors.append(f"{fam.name}{rest}: +Inf {values[-1]} != _count {count}")
    for k, v in expected.items():
        if k not in got:
            errors.append(f"missing {k}")
        elif not math.isclose(got[k], v, rel_tol=1e-12, abs_tol=1e-12):
            errors.append(f"{k}: {got[k]} != {v}")
    for k in got:
        if k not in expected:
            errors.append(f"unexpected {k} = {got[k]}")
    for e in errors:
        print(e)
    print(f"{len(families)} families, {len(got)} samples, {len(expected)} expected: "
          f"{'FAIL' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
