"""A scan with the speed and memory optimisations (collector tuning, compact passes, streamed and masked output
through orjson) gives what the plain path gives: every (object, policy) evaluated one by one and the whole document
serialised at once with ``json.dumps``."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.workload import generate_pods, write_snapshot
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import ResourceRef, RuleResult
from pykyverno.server import cli
from pykyverno.server.core.policies import resolve_policies
from pykyverno.server.output import policy_report_parts, policy_reports
from pykyverno.server.output_stream import write_scan_json, write_scan_yaml, write_yaml_documents
from pykyverno.server.redaction import mask_data, remember, secret_scope
from pykyverno.server.scan import Scanner, ScanReport, ScanRequest, SnapshotSource
from pykyverno.server.scan.model import ClusterScan
from pykyverno.server.scan.result_store import ResultStore

POLICY_SET = "pod-security-restricted"
PODS = 1200


def _canonical(results: list[dict[str, Any]]) -> Counter[str]:
    return Counter(json.dumps(r, sort_keys=True) for r in results)


def _snapshot(directory: Path, count: int) -> Path:
    pods = generate_pods(count, seed=7)
    pods[3]["metadata"]["name"] = "caf\u00e9-\U0001f600"  # non-ASCII travels through the ASCII-escaping encoder
    return write_snapshot(pods, directory / "pods.json")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _snapshot(tmp_path_factory.mktemp("equivalence"), PODS)


@pytest.fixture(scope="module")
def small_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Fewer Pods where Python's pure YAML and JSON writers are the reference (they are slow)."""
    return _snapshot(tmp_path_factory.mktemp("equivalence-small"), 150)


def _plain_results(snapshot: Path) -> list[dict[str, Any]]:
    """Every Pod against every policy of the set, one evaluation at a time, as PolicyReport results."""
    policies = resolve_policies([POLICY_SET], [])
    index = PolicyIndex(Scanner(policies.policies).policies)
    pods = json.loads(snapshot.read_text())["items"]
    out = []
    for pod in pods:
        ctx = AdmissionContext(operation="CREATE", object=pod, plural="pods")
        for policy in index.for_type("", "v1", "pods"):
            result = policy.evaluate(ctx, policies.exceptions)
            if result is not None:
                out.append(result.to_report())
    return list(mask_data(out))


def test_cli_scan_gives_the_plain_path_results(snapshot: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    code = cli.main(["scan", "--snapshot", str(snapshot), "--policy-set", POLICY_SET, "-o", "json",
                     "--output-file", str(out)])
    assert code == 1  # failures found, nothing incomplete
    document = json.loads(out.read_text(encoding="utf-8"))
    results = document["clusters"][0]["results"]
    plain = _plain_results(snapshot)
    assert len(results) == len(plain) == PODS * 17
    assert _canonical(results) == _canonical(plain)
    assert document["summary"] == dict(Counter(r["result"] for r in plain)) | {
        k: 0 for k in ("warn", "error", "skip") if k not in {r["result"] for r in plain}}
    assert out.read_text(encoding="utf-8").isascii()


def _scanned(snapshot: Path) -> ScanReport:
    policies = resolve_policies([POLICY_SET], [])
    request = ScanRequest(snapshot=str(snapshot))
    return Scanner(policies.policies, policies.exceptions).scan([("s", lambda: SnapshotSource(snapshot))], request)


def test_streamed_outputs_are_the_whole_document_serialised(small_snapshot: Path) -> None:
    report = _scanned(small_snapshot)
    assert isinstance(report.clusters[0].results, ResultStore)
    whole = mask_data(report.to_dict())
    streamed = io.StringIO()
    write_scan_json(report, streamed)
    assert streamed.getvalue() == json.dumps(whole, indent=2) + "\n"
    streamed = io.StringIO()
    write_scan_yaml(report, streamed)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert yaml.load(streamed.getvalue(), Loader=loader) == yaml.load(yaml.safe_dump(whole, sort_keys=False),
                                                                     Loader=loader)
    streamed = io.StringIO()
    write_yaml_documents(policy_report_parts(report.results), streamed)
    assert streamed.getvalue() == yaml.safe_dump_all(mask_data(policy_reports(report.results)), sort_keys=False)


def test_compact_and_plain_results_serialise_alike(small_snapshot: Path) -> None:
    report = _scanned(small_snapshot)
    plain = ScanReport(clusters=[ClusterScan(context=c.context, server=c.server, results=list(c.results),
                                             scanned=c.scanned, posture=c.posture) for c in report.clusters],
                       policies=report.policies, request=report.request, started_at=report.started_at)
    compact, whole = io.StringIO(), io.StringIO()
    write_scan_json(report, compact)
    write_scan_json(plain, whole)
    assert json.loads(compact.getvalue())["clusters"][0]["results"] == json.loads(whole.getvalue())["clusters"][0][
        "results"]


def test_streamed_output_is_masked() -> None:
    ref = ResourceRef("v1", "Pod", "prod", "web")
    with secret_scope():
        remember("s3cr3t-remembered-value")
        results = ResultStore([
            RuleResult(policy="p", policy_kind="ValidatingPolicy", result="pass", resource=ref),
            RuleResult(policy="p", policy_kind="ValidatingPolicy", result="fail", resource=ref,
                       message="env DB_URL holds s3cr3t-remembered-value", properties={"db_password": "hunter2"}),
            RuleResult(policy="s3cr3t-remembered-value", policy_kind="ValidatingPolicy", result="pass", resource=ref),
        ])
        report = ScanReport(clusters=[ClusterScan(context="c", results=results)], policies=["p"])
        out = io.StringIO()
        write_scan_json(report, out)
        expected = json.dumps(mask_data(report.to_dict()), indent=2) + "\n"
    text = out.getvalue()
    assert "s3cr3t-remembered-value" not in text and "hunter2" not in text
    assert text == expected
