"""`pykyverno scan` end to end: real kubernetes client, real kubeconfig, fake API servers over HTTPS."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pykyverno.server.cli import main
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig

POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: disallow-latest
  annotations: {policies.kyverno.io/severity: high}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: object.spec.containers.all(c, !c.image.endsWith(':latest') && c.image.contains(':'))
    message: images must be pinned
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: namespace-team-label
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [namespaces]}
  validations:
  - expression: has(object.metadata.labels) && 'team' in object.metadata.labels
    message: namespaces need a team label
"""


def namespace(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(ns: str, name: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }


def deployment(ns: str, name: str, image: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"template": {"metadata": {}, "spec": {"containers": [{"name": "c", "image": image}]}}},
    }


CLUSTER_A = [
    namespace("shop", team="web"),
    namespace("tools"),
    pod("shop", "good", "nginx:1.25"),
    pod("shop", "bad", "nginx:latest"),
    pod("tools", "untagged", "busybox"),
    deployment("shop", "web", "nginx:latest"),
]
CLUSTER_B = [namespace("team-b", team="b"), pod("team-b", "ok", "redis:7")]


@pytest.fixture
def setup(tmp_path: Path, fake_cluster: Callable[..., FakeCluster]) -> tuple[Path, Path, FakeCluster, FakeCluster]:
    alpha = fake_cluster(CLUSTER_A)
    beta = fake_cluster(CLUSTER_B)
    kubeconfig = write_standard_kubeconfig(tmp_path / "kubeconfig", alpha, beta).path
    policy = tmp_path / "policies.yaml"
    policy.write_text(POLICY)
    return kubeconfig, policy, alpha, beta


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "-o", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_scan_current_context(setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any) -> None:
    kubeconfig, policy, alpha, _ = setup
    code, out = scan(capsys, "--kubeconfig", str(kubeconfig), "--policy", str(policy))
    assert code == 1
    [cluster] = out["clusters"]
    assert cluster["context"] == "alpha" and cluster["error"] == ""
    verdicts = {(r["policy"], r["resources"][0]["name"]): r["result"] for r in cluster["results"]}
    assert verdicts == {
        ("disallow-latest", "good"): "pass",
        ("disallow-latest", "bad"): "fail",
        ("disallow-latest", "untagged"): "fail",
        ("disallow-latest", "web"): "fail",
        ("namespace-team-label", "shop"): "pass",
        ("namespace-team-label", "tools"): "fail",
    }
    assert cluster["namespaces"]["shop"]["failBySeverity"]["high"] == 2
    listed = {r.path for r in alpha.requests if r.method == "GET"}
    assert "/api/v1/pods" in listed and "/apis/apps/v1/deployments" in listed
    assert not any("services" in p or "configmaps" in p for p in listed), "only matchable types are listed"


def test_namespace_filter_and_exclusion(setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any) -> None:
    kubeconfig, policy, _, _ = setup
    _, out = scan(capsys, "--kubeconfig", str(kubeconfig), "--policy", str(policy), "-n", "tools")
    names = {r["resources"][0]["name"] for r in out["clusters"][0]["results"]}
    assert names == {"untagged", "tools"}
    _, out = scan(capsys, "--kubeconfig", str(kubeconfig), "--policy", str(policy), "--exclude-namespace", "shop")
    names = {r["resources"][0]["name"] for r in out["clusters"][0]["results"]}
    assert names == {"untagged", "tools"}


def test_two_contexts_with_one_failing(setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any) -> None:
    kubeconfig, policy, _, _ = setup
    code, out = scan(
        capsys, "--kubeconfig", str(kubeconfig), "--policy", str(policy),
        "--context", "beta", "--context", "unreachable", "--timeout", "2",
    )
    assert code == 3, "an incomplete scan exits 3"
    beta, unreachable = out["clusters"]
    assert beta["context"] == "beta" and beta["error"] == ""
    assert {r["result"] for r in beta["results"]} == {"pass"}
    assert unreachable["context"] == "unreachable" and unreachable["error"]


def test_forbidden_type_is_reported_and_rest_completes(
    setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any
) -> None:
    kubeconfig, policy, alpha, _ = setup
    alpha.deny(resource="deployments.apps")
    code, out = scan(capsys, "--kubeconfig", str(kubeconfig), "--policy", str(policy))
    assert code == 3
    cluster = out["clusters"][0]
    [failure] = cluster["failures"]
    assert failure["reason"] == "Forbidden" and failure["status"] == 403 and "deployments" in failure["resource"]
    assert {r["resources"][0]["name"] for r in cluster["results"]} >= {"good", "bad", "untagged"}


def test_server_error_on_one_type(setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any) -> None:
    kubeconfig, policy, alpha, _ = setup
    alpha.add_fault(r"^/api/v1/pods$", status=500)
    code, out = scan(capsys, "--kubeconfig", str(kubeconfig), "--policy", str(policy))
    assert code == 3
    cluster = out["clusters"][0]
    assert [f["status"] for f in cluster["failures"]] == [500]
    assert {r["resources"][0]["kind"] for r in cluster["results"]} == {"Deployment", "Namespace"}


def test_table_output_and_policy_reports(setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any) -> None:
    kubeconfig, policy, _, _ = setup
    main(["scan", "--kubeconfig", str(kubeconfig), "--policy", str(policy)])
    text = capsys.readouterr().out
    assert "COMPLIANCE SUMMARY" in text and "FINDINGS" in text and "images must be pinned" in text
    main(["scan", "--kubeconfig", str(kubeconfig), "--policy", str(policy), "-o", "policyreport"])
    import yaml

    reports = list(yaml.safe_load_all(capsys.readouterr().out))
    kinds = sorted(r["kind"] for r in reports)
    assert kinds == ["ClusterPolicyReport", "PolicyReport", "PolicyReport"]
    assert all(r["apiVersion"] == "wgpolicyk8s.io/v1alpha2" for r in reports)


def test_snapshot_scan_redacts_secrets(tmp_path: Path, capsys: Any) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: secret-has-type}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [secrets]}]
  validations:
  - expression: "object.data.password == 'c2VjcmV0'"
    messageExpression: "'value is ' + object.data.password"
"""
    )
    snapshot = tmp_path / "snap.yaml"
    snapshot.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: a}\ndata: {password: c2VjcmV0}\n"
    )
    code, out = scan(capsys, "--snapshot", str(snapshot), "--policy", str(policy))
    [result] = out["clusters"][0]["results"]
    assert result["result"] == "fail" and result["message"] == "value is <redacted>"
    assert "c2VjcmV0" not in json.dumps(out)
    assert code == 1


def test_removed_api_and_slow_type_are_reported_per_type(
    setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any
) -> None:
    kubeconfig, policy, alpha, _ = setup
    alpha.add_fault(r"^/apis/apps/v1/deployments$", status=404)
    alpha.add_fault(r"^/api/v1/namespaces$", delay=3.0)
    code, out = scan(capsys, "--kubeconfig", str(kubeconfig), "--policy", str(policy), "--timeout", "1")
    assert code == 3
    cluster = out["clusters"][0]
    reasons = sorted((f["resource"], f["reason"]) for f in cluster["failures"])
    assert reasons == [("apps/v1/deployments", "NotFound"), ("v1/namespaces", "Timeout")]
    assert {r["resources"][0]["name"] for r in cluster["results"]} == {"good", "bad", "untagged"}


def test_progress_line_on_stderr(setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any) -> None:
    kubeconfig, policy, _, _ = setup
    main(["scan", "--kubeconfig", str(kubeconfig), "--policy", str(policy), "--progress", "-o", "json"])
    captured = capsys.readouterr()
    assert "[1/1] alpha:" in captured.err
    json.loads(captured.out)


def test_unreadable_snapshot_file_makes_the_scan_incomplete(tmp_path: Path, capsys: Any) -> None:
    folder = tmp_path / "snap"
    folder.mkdir()
    (folder / "pod.yaml").write_text(yaml_dump(pod("a", "ok", "nginx:1.25")))
    (folder / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: bad\n")
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    code, out = scan(capsys, "--snapshot", str(folder), "--policy", str(policy))
    assert code == 3
    [failure] = out["clusters"][0]["failures"]
    assert failure["reason"] == "InvalidManifest" and "broken.yaml" in failure["message"]
    assert [r["resources"][0]["name"] for r in out["clusters"][0]["results"] if r["policy"] == "disallow-latest"] == [
        "ok"
    ]


def test_namespace_scan_leaves_out_cluster_scoped_objects(capsys: Any) -> None:
    code, out = scan(capsys, "--demo", "-n", "shop")
    assert code == 1
    kinds = {r["resources"][0]["kind"] for r in out["clusters"][0]["results"]}
    assert kinds and not kinds & {"ClusterRole", "ClusterRoleBinding"}
    assert {r["resources"][0].get("namespace") for r in out["clusters"][0]["results"]} <= {"shop", None}


def yaml_dump(obj: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(obj))


def test_context_deny_list_is_honoured(setup: tuple[Path, Path, FakeCluster, FakeCluster], capsys: Any) -> None:
    kubeconfig, policy, _, _ = setup
    code, out = scan(
        capsys, "--kubeconfig", str(kubeconfig), "--policy", str(policy), "--all-contexts",
        "--context-deny", "broken-*", "--context-deny", "unreachable",
    )
    assert [c["context"] for c in out["clusters"]] == ["alpha", "beta"]
    assert code == 1
    code = main(["scan", "--kubeconfig", str(kubeconfig), "--policy", str(policy), "--context", "beta",
                 "--context-allow", "alpha", "-o", "json"])
    captured = capsys.readouterr()
    [cluster] = json.loads(captured.out)["clusters"]
    assert code == 3 and "beta" in cluster["error"] and "alpha" in cluster["error"]
