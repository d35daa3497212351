"""Peak memory of a large scan: 50,000 generated Pods against the 11 policies of ``pod-security-baseline`` (550,000
results, 440,000 of them passing), ``-o json`` to a file, through the real CLI process. Before passing results were
kept compact and output streamed, this scan peaked at ~480 MB with streaming alone and 2.6 GB before any of the issue-15 work (main at 73d97ff); the bound
leaves room for noise but not for results kept whole."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bench.measure import run_child
from bench.workload import generate_small_pods, write_snapshot

OBJECTS = 50_000
POLICIES = 11
#: Peak RSS bound of the CLI process (measured: ~360 MB on the development machine).
PEAK_RSS_BOUND = 420 * 2**20


def test_fifty_thousand_objects_scan_within_the_memory_bound(tmp_path: Path) -> None:
    snapshot = write_snapshot(generate_small_pods(OBJECTS), tmp_path / "pods.json")
    out = tmp_path / "scan.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    run = run_child([sys.executable, "-m", "pykyverno.server.cli", "scan", "--snapshot", str(snapshot),
                     "--policy-set", "pod-security-baseline", "-o", "json", "--output-file", str(out)], env,
                    timeout=900)
    assert run.code == 1, run.stderr  # failures found, nothing incomplete
    passes = fails = 0
    with out.open(encoding="utf-8") as lines:
        for line in lines:
            passes += line == '          "result": "pass",\n'
            fails += line == '          "result": "fail",\n'
            last = line
    assert last == "}\n"
    assert passes + fails == OBJECTS * POLICIES and fails == OBJECTS // 5
    assert run.peak_rss < PEAK_RSS_BOUND, f"peak RSS {run.peak_rss / 2**20:.0f} MB"
