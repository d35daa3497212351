"""Peak memory of a large scan: 50,000 generated Pods against the 11 policies of ``pod-security-baseline`` (550,000
results, 440,000 of them passing), ``-o json`` to a file, through the real CLI process. Measured with
/usr/bin/time: main at 73d97ff (before the issue-15 work) 2.6 GB; streamed output without compact passes 480 MB;
now ~360 MB. The bound leaves room for noise, not for results kept whole."""

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


def test_the_peak_measured_is_the_childs_own_not_its_parents() -> None:
    held = bytearray(200 * 2**20)
    for i in range(0, len(held), 4096):
        held[i] = 1  # this process is now 200 MB larger
    run = run_child([sys.executable, "-c", "import sys; sys.exit(3)"], dict(os.environ))
    assert run.code == 3 and run.peak_rss < 100 * 2**20, f"{run.peak_rss / 2**20:.0f} MB"
