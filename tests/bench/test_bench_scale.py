"""Smoke test of the scale benchmark (bench/bench_scale.py) on a tiny snapshot: every row is measured, and the
hand-written controls agree with the engine on every (Pod, policy) pair. Not a timed test: no figure is checked
against a target."""

from __future__ import annotations

import json
import random
from pathlib import Path

from bench import bench_scale
from bench.pss_python import CONTROLS, verdicts
from bench.workload import generate_pod


def test_bench_scale_runs_every_row_on_a_tiny_snapshot(tmp_path: Path, capsys: object) -> None:
    out = tmp_path / "figures.json"
    figures = bench_scale.main(["--pods", "40", "--repeat", "1", "--repeat-startup", "1", "--json-out", str(out)])
    agree, total = figures["agreement"]
    assert total == 40 * len(CONTROLS) and agree == total, "hand-written controls and engine disagree"
    for row in ("json", "table"):
        assert figures[row]["seconds"]["median"] > 0 and figures[row]["peak_rss"]["median"] > 10 * 2**20
    assert figures["policies_list"]["seconds"]["median"] > 0 and figures["json"]["cpu_seconds"]["median"] > 0
    assert figures["mcp"]["tools"] > 0 and figures["mcp"]["wire_chars"] > 1000
    assert figures["mcp"]["raw_seconds"]["median"] > 0 and figures["mcp"]["sdk_seconds"]["median"] > 0
    assert json.loads(out.read_text())["pods"] == 40


def test_workload_mixes_compliant_and_violating_pods() -> None:
    rng = random.Random(1)
    pods = [generate_pod(rng, i) for i in range(600)]
    expected = verdicts(pods)
    failing_pods = {(ns, name) for (ns, name, _), v in expected.items() if v == "fail"}
    assert 0.3 * len(pods) < len(failing_pods) < 0.9 * len(pods)
    # Every control fails on some Pod and passes on others, so each policy's both outcomes are exercised.
    for policy in CONTROLS:
        outcomes = {v for (_, _, p), v in expected.items() if p == policy}
        assert outcomes == {"pass", "fail"}, policy
