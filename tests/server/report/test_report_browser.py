"""The HTML report in headless Chromium: the demo scan, and a scan of three contexts of fake API servers (one with a
forbidden resource type, one unreachable). No console error, no request leaves the page, every figure equals the
JSON scan's, the filters and the search select the right findings, the charts are drawn, and it prints."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pykyverno.server.cli import main
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig

from .browser import (
    check_charts,
    check_details,
    check_figures,
    check_filters,
    check_print,
    load,
    required_figures,
    screenshots,
)
from .clusters import ALPHA, BETA


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def scan_both(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[dict[str, Any], Path, int]:
    """The JSON document and the HTML page of the same scan (two runs over the same inputs)."""
    code, out = run_cli(capsys, "scan", *args, "-o", "json")
    page = folder / "report.html"
    html_code, printed = run_cli(capsys, "scan", *args, "-o", "html", "--output-file", str(page))
    assert html_code == code and printed == ""
    return json.loads(out), page, code


def test_demo_report(chromium: Any, artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc, page, code = scan_both(capsys, tmp_path, "--demo")
    assert code == 1, "the demo has failing policies"
    loaded = load(chromium, page)
    assert loaded.errors == []
    assert loaded.requests == []
    check_figures(loaded, doc, required_figures(doc))
    check_charts(loaded, clusters_with_scores=1)
    check_filters(loaded, doc)
    check_details(loaded, doc)
    assert loaded.page.locator(".banner.incomplete").count() == 0
    text = loaded.page.inner_text("#high-risk")
    for expected in ("Deployment/shop/cache", "privileged container: redis", "ClusterRole/everything",
                     "ClusterRoleBinding/anonymous-view", "system:anonymous", "CronJob/payments/nightly-report"):
        assert expected in text
    shutil.copy(page, artifacts / "demo.html")
    shots = screenshots(loaded, artifacts, "demo")
    check_print(loaded, artifacts / "demo.pdf")
    print(f"screenshots: {', '.join(map(str, shots))}; ready in {loaded.ready_ms} ms", file=sys.stderr)
    assert all(p.stat().st_size > 10_000 for p in shots)
    assert loaded.errors == []


def test_multi_context_report(
    chromium: Any, artifacts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    fake_cluster: Callable[..., FakeCluster],
) -> None:
    alpha, beta = fake_cluster(ALPHA), fake_cluster(BETA)
    alpha.deny(resource="cronjobs.batch")
    kubeconfig = write_standard_kubeconfig(tmp_path / "kubeconfig", alpha, beta).path
    doc, page, code = scan_both(capsys, tmp_path, "--kubeconfig", str(kubeconfig), "--context", "alpha",
                                "--context", "beta", "--context", "unreachable", "--timeout", "2")
    assert code == 3, "a forbidden type and an unreachable cluster make the scan incomplete"
    assert [c["context"] for c in doc["clusters"]] == ["alpha", "beta", "unreachable"]
    loaded = load(chromium, page)
    assert loaded.errors == [] and loaded.requests == []
    check_figures(loaded, doc, required_figures(doc))
    check_charts(loaded, clusters_with_scores=2)
    check_filters(loaded, doc)
    check_details(loaded, doc)
    p = loaded.page
    banner = p.inner_text(".banner.incomplete")
    assert "alpha" in banner and "unreachable" in banner
    failures = p.inner_text("#scope table.failures")
    assert "cronjobs" in failures and "Forbidden" in failures and "unreachable" in failures
    boxes = [p.locator("article.cluster").nth(i).bounding_box() for i in range(3)]
    assert all(b is not None for b in boxes) and boxes[0]["y"] == boxes[1]["y"], "clusters side by side"
    risky = p.inner_text("#high-risk")
    assert "Deployment/shop/agent" in risky and "(and 3 owned objects)" in risky
    assert "Pod/shop/agent-5d8-x1" not in risky, "pods count on their controller"
    assert "container runtime (/var/run/docker.sock)" in risky
    assert "ClusterRole/do-anything" in risky and "ClusterRoleBinding/everyone-does-anything" in risky
    assert "system:authenticated" in risky
    alpha_risk = doc["posture"]["clusters"][0]["highRisk"]
    assert [e["name"] for e in alpha_risk["rbac"]] == ["do-anything", "everyone-does-anything"]
    # The cluster filter narrows the table to one context.
    p.select_option("#f-cluster", "1")
    assert loaded.matching() == sum(r["result"] in ("fail", "error", "warn", "skip")
                                    for r in doc["clusters"][1]["results"])
    p.click("#f-reset")
    # A heat map cell lists its namespace and category.
    cell = p.locator("table.heatmap td.heat a").first
    expected = int(cell.inner_text().replace(",", ""))
    cell.click()
    assert loaded.matching() == expected
    shutil.copy(page, artifacts / "multi.html")
    shots = screenshots(loaded, artifacts, "multi")
    check_print(loaded, artifacts / "multi.pdf")
    print(f"screenshots: {', '.join(map(str, shots))}; ready in {loaded.ready_ms} ms", file=sys.stderr)
    assert loaded.errors == []


HOSTILE = "x</script><img src=https://attacker.example/p.png onerror=alert(1)><!--"


def test_hostile_strings_stay_text(chromium: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Names, labels and messages come from clusters and manifests: the page shows them as text, never as markup,
    and its Content-Security-Policy would block a script or a fetch that slipped through."""
    snapshot = tmp_path / "hostile.yaml"
    snapshot.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": HOSTILE, "namespace": "ns<b>bold</b>"},
         "spec": {"containers": [{"name": HOSTILE, "image": "busybox", "securityContext": {"privileged": True}}]}},
    ]}))
    page = tmp_path / "hostile.html"
    run_cli(capsys, "scan", "--snapshot", str(snapshot), "-o", "html", "--output-file", str(page))
    text = page.read_text()
    assert HOSTILE not in text and "<img" not in text and "<b>bold" not in text
    assert text.count("<script") == 2, "the data block and the report's own script"
    loaded = load(chromium, page)
    assert loaded.errors == [] and loaded.requests == []
    assert loaded.page.evaluate("() => document.querySelectorAll('img, b').length") == 0
    loaded.page.fill("#f-q", "onerror")
    loaded.page.wait_for_function("() => document.querySelector('#f-count').dataset.matching !== '0'")
    assert HOSTILE in loaded.page.inner_text("#findings-body")
    assert "Pod/ns<b>bold</b>/" + HOSTILE in loaded.page.inner_text("#high-risk")


def test_ten_thousand_objects(chromium: Any, artifacts: Path, tmp_path: Path) -> None:
    """A 10,000-object scan (bundled default sets) makes a report under 5 MB that is interactive within 1 s."""
    from bench.bench_scan import objects
    from pykyverno.server.commands.scan_cmd import resolve_policies
    from pykyverno.server.report.html import render_html
    from pykyverno.server.scan import Scanner, ScanRequest, SnapshotSource

    generated = objects(8000, 2000)
    policies = resolve_policies([], [])
    scanner = Scanner(policies.policies, policies.exceptions)
    request = ScanRequest(snapshot="generated")
    report = scanner.scan([("generated", lambda: SnapshotSource("generated", objects=generated))], request)
    doc = report.to_dict()
    assert doc["clusters"][0]["objects"] >= 10_000
    page = tmp_path / "large.html"
    page.write_text(render_html(doc), encoding="utf-8")
    size = page.stat().st_size
    assert size < 5 * 1024 * 1024, f"{size} bytes"
    loaded = load(chromium, page)
    assert loaded.errors == [] and loaded.requests == []
    assert loaded.ready_ms < 1000, f"interactive after {loaded.ready_ms} ms"
    listed = sum(doc["summary"][k] for k in ("fail", "error", "warn", "skip"))
    assert loaded.matching() == listed > 50_000
    took = loaded.page.evaluate("""() => {
        const started = performance.now();
        const select = document.querySelector('#f-severity');
        select.value = 'critical';
        select.dispatchEvent(new Event('change'));
        return performance.now() - started;
    }""")
    assert loaded.matching() == doc["posture"]["overall"]["failBySeverity"]["critical"] + sum(
        r["result"] in ("error", "warn", "skip") and r.get("severity") == "critical"
        for r in doc["clusters"][0]["results"])
    assert took < 500, f"filtering {listed} findings took {took:.0f} ms"
    loaded.page.screenshot(path=str(artifacts / "large-top.png"))
    print(f"10k objects: {size} bytes, interactive in {loaded.ready_ms} ms, filter in {took:.0f} ms", file=sys.stderr)
