"""Issue 11, item 5: a scan never loses resource types silently, and a whole scan has a deadline.

Discovery that fails (503, 404, a dropped connection, an answer that is not a resource list) and lists that are not
lists make the scan incomplete (exit 3, a "not scanned" entry naming the group/version or type and the reason);
``--scan-timeout`` ends a scan with slow answers on time, reporting what was scanned and listing the rest.
Real kubernetes client, real kubeconfig, the fake API server over HTTPS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pykyverno.engine.loader import load_policies
from pykyverno.server.cli import main
from pykyverno.server.scan import Scanner, ScanRequest, SnapshotSource
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig

POD_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: no-privileged}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) ||
      !c.securityContext.privileged)
    message: privileged containers are not allowed
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: deployment-replicas}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: object.spec.replicas >= 2
    message: at least two replicas
"""


def privileged_pod(ns: str = "shop", name: str = "root") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": True}}]}}


OBJECTS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    privileged_pod(),
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}},
]


@pytest.fixture
def cluster(tmp_path: Path, fake_cluster: Callable[..., FakeCluster]) -> tuple[list[str], FakeCluster]:
    alpha, beta = fake_cluster(OBJECTS), fake_cluster([])
    kubeconfig = write_standard_kubeconfig(tmp_path / "kubeconfig", alpha, beta).path
    policy = tmp_path / "policy.yaml"
    policy.write_text(POD_POLICY)
    return ["--kubeconfig", str(kubeconfig), "--policy", str(policy)], alpha


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "-o", "json"])
    return code, json.loads(capsys.readouterr().out)


def failures(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["resource"]: f for c in out["clusters"] for f in c["failures"]}


# ----------------------------------------------------------------------------- discovery
@pytest.mark.parametrize(
    ("fault", "reason"),
    [({"status": 503}, "ServiceUnavailable"), ({"status": 404}, "NotFound"), ({"drop": True}, "Unreachable")],
    ids=["503", "404", "dropped"],
)
def test_failed_core_discovery_is_not_a_clean_scan(
    cluster: tuple[list[str], FakeCluster], capsys: Any, fault: dict[str, Any], reason: str
) -> None:
    args, alpha = cluster
    alpha.add_fault(r"^/api/v1$", **fault)
    code, out = scan(capsys, *args)
    assert code == 3, "types that could not be discovered make the scan incomplete"
    assert out["incomplete"] is True
    core = failures(out)["v1"]
    assert core["reason"] == reason and "discovery of v1 failed" in core["message"]
    # The group that could be discovered is still scanned.
    assert {r["resources"][0]["kind"] for r in out["clusters"][0]["results"]} == {"Deployment"}


@pytest.mark.parametrize(
    "body",
    [{"kind": "APIResourceList", "groupVersion": "apps/v1"}, {"kind": "APIResourceList", "resources": "none"}, [],
     {"kind": "Status", "status": "Success"}],
    ids=["no-resources", "resources-not-a-list", "json-array", "status"],
)
def test_discovery_answer_that_is_not_a_resource_list_is_a_failure(
    cluster: tuple[list[str], FakeCluster], capsys: Any, body: Any
) -> None:
    args, alpha = cluster
    alpha.add_fault(r"^/apis/apps/v1$", body=body)
    code, out = scan(capsys, *args)
    assert code == 3
    apps = failures(out)["apps/v1"]
    assert apps["reason"] == "InvalidResponse" and "not scanned" in apps["message"]
    assert {r["resources"][0]["name"] for r in out["clusters"][0]["results"]} == {"root"}


@pytest.mark.parametrize(
    "body",
    [{"kind": "PodList", "apiVersion": "v1", "metadata": {}}, {"kind": "PodList", "items": {"a": 1}},
     {"kind": "Status", "status": "Success"}, {"kind": "PodList", "items": [1, 2]}, ["not", "a", "list"]],
    ids=["no-items", "items-not-a-list", "status", "items-not-objects", "json-array"],
)
def test_list_answer_that_is_not_a_list_is_a_failure(
    cluster: tuple[list[str], FakeCluster], capsys: Any, body: Any
) -> None:
    args, alpha = cluster
    alpha.add_fault(r"^/api/v1/pods$", body=body)
    code, out = scan(capsys, *args)
    assert code == 3, "an answer read as an empty list would hide the privileged Pod"
    pods = failures(out)["v1/pods"]
    assert pods["reason"] == "InvalidResponse"


def test_null_items_of_a_typed_list_are_an_empty_list(cluster: tuple[list[str], FakeCluster], capsys: Any) -> None:
    args, alpha = cluster
    alpha.add_fault(r"^/api/v1/pods$", body={"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": None})
    code, out = scan(capsys, *args)
    assert failures(out) == {} and code == 1  # Go encodes an empty typed list as null: that is a real empty list


def test_failed_discovery_of_a_group_no_policy_can_match_does_not_fail_the_scan(
    cluster: tuple[list[str], FakeCluster], capsys: Any
) -> None:
    args, alpha = cluster
    alpha.add_fault(r"^/apis/storage\.k8s\.io/v1$", status=503)
    code, out = scan(capsys, *args)
    assert failures(out) == {} and code == 1 and out["incomplete"] is False


def test_partial_discovery_is_not_reused_by_the_next_scan(cluster: tuple[list[str], FakeCluster], capsys: Any) -> None:
    args, alpha = cluster
    alpha.add_fault(r"^/api/v1$", status=503, times=1)
    assert scan(capsys, *args)[0] == 3
    code, out = scan(capsys, *args)
    assert code == 1 and failures(out) == {}
    assert {r["resources"][0]["name"] for r in out["clusters"][0]["results"]} == {"root", "web"}


# ----------------------------------------------------------------------------- deadline
def test_scan_timeout_ends_a_slow_scan_and_lists_what_was_not_scanned(
    cluster: tuple[list[str], FakeCluster], capsys: Any
) -> None:
    args, alpha = cluster
    alpha.add_fault(r"^/api/v1/pods$", delay=5.0)
    started = time.monotonic()
    code, out = scan(capsys, *args, "--scan-timeout", "1.5")
    elapsed = time.monotonic() - started
    assert elapsed < 3.5, f"the scan took {elapsed:.1f}s with --scan-timeout 1.5"
    assert code == 3 and out["incomplete"] is True and out["deadlineReached"] is True
    pods = failures(out)["v1/pods"]
    assert pods["reason"] == "DeadlineExceeded" and "--scan-timeout" in pods["message"]
    # What answered in time was scanned and reported.
    assert {r["resources"][0]["name"] for r in out["clusters"][0]["results"]} == {"web"}


def test_scan_timeout_bounds_slow_discovery(cluster: tuple[list[str], FakeCluster], capsys: Any) -> None:
    """Every answer slow (the 4-object cluster that took 47 s): the deadline holds."""
    args, alpha = cluster
    alpha.add_fault(r"^/apis?/", delay=0.8)
    started = time.monotonic()
    code, out = scan(capsys, *args, "--scan-timeout", "2")
    elapsed = time.monotonic() - started
    assert elapsed < 4.0, f"the scan took {elapsed:.1f}s with --scan-timeout 2"
    assert code == 3 and out["deadlineReached"] is True
    cut = [f for f in failures(out).values() if f["reason"] == "DeadlineExceeded"]
    assert cut or any("scan deadline" in c["error"] for c in out["clusters"])
    assert all("--scan-timeout" in f["message"] for f in cut)


def test_scan_timeout_zero_means_no_deadline(cluster: tuple[list[str], FakeCluster], capsys: Any) -> None:
    args, _ = cluster
    code, out = scan(capsys, *args, "--scan-timeout", "0")
    assert code == 1 and out["deadlineReached"] is False


def test_bad_scan_timeout_is_a_usage_error(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["scan", "--demo", "--scan-timeout", "-1"])
    assert exc.value.code == 2
    assert "--scan-timeout" in capsys.readouterr().err


def test_deadline_during_evaluation_lists_the_objects_left(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POD_POLICY)
    loaded = load_policies([str(policy)])
    pods = [privileged_pod("shop", f"p{i}") for i in range(30_000)]
    source = SnapshotSource("pods", objects=pods)
    report = Scanner(loaded.policies).scan([(source.name, lambda: source)], ScanRequest(snapshot="pods", timeout=0.3))
    [cluster] = report.clusters
    assert report.deadline_reached and report.incomplete and report.has_errors
    assert 0 < cluster.objects < 30_000
    [left] = cluster.failures
    assert left.resource == "v1/pods" and left.reason == "DeadlineExceeded"
    assert left.message.startswith(f"{30_000 - cluster.objects} of 30000 listed object(s) not evaluated")
