"""publish_reports and draft_policy_exception against fake clusters, and the seed's loop on a fake cluster: scan a
namespace, install pod-security-baseline in Audit, publish reports, read them back, draft an exception for one
workload with a 7-day expiry, apply it, and rescan showing the exception applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.results import ResourceRef, RuleResult
from pykyverno.server.policysets import find_policy, load_set
from pykyverno.server.scan.model import ScanRequest
from pykyverno.server.scan.runner import Scanner
from pykyverno.server.scan.sources import ClusterSource
from pykyverno.server.writes import WriteFlow, WriteRequest
from pykyverno.server.writes.exceptions import ExceptionError, _results, draft_policy_exception, parse_duration
from pykyverno.server.writes.policysets import install_changeset
from pykyverno.server.writes.reports import (
    MAX_REPORT_BYTES,
    OPENREPORTS,
    WGPOLICY,
    ReportError,
    build_reports,
    publish_changeset,
    read_reports,
    summarize,
)
from tests.fakeapi.kyverno import kyverno_installed
from tests.server.writes.conftest import Cluster, MakeWriteCluster, workloads

#: The engine checks ``expiresAt`` against the real clock, so drafts are made "now".
NOW = datetime.now(UTC).replace(microsecond=0)


def _stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
BASELINE = "pod-security-baseline"


def _policy(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(find_policy(name).path.read_text(encoding="utf-8"))
    return doc


def _confirmed(flow: WriteFlow, cluster: Cluster, tool: str, arguments: dict[str, Any], build: Any) -> Any:
    client = cluster.client()
    planned = flow.run(client, WriteRequest(tool, arguments), build)
    assert planned.status == "planned", planned.render()
    done = flow.run(client, WriteRequest(tool, arguments), build, confirm=planned.token)
    assert done.status == "applied", done.render()
    return done


def _scan(cluster: Cluster, namespace: str, exceptions: list[PolicyException] | None = None) -> list[RuleResult]:
    scanner = Scanner(load_set(BASELINE).policies, exceptions)
    scan = scanner.scan_source(ClusterSource(cluster.client()), ScanRequest(namespaces=(namespace,)))
    assert not scan.error and not scan.failures, (scan.error, scan.failures)
    return list(scan.results)


# ----------------------------------------------------------------------------- reports
def _result(policy: str, result: str, namespace: str, name: str, kind: str = "Pod") -> RuleResult:
    return RuleResult(policy, "ValidatingPolicy", result, ResourceRef("v1", kind, namespace, name),
                      message=f"{policy} {result}", severity="high", category="Pod Security")


def test_reports_per_namespace_with_kyverno_summaries() -> None:
    results = [_result("a", "fail", "team-a", "p1"), _result("a", "pass", "team-a", "p2"),
               _result("b", "skip", "team-a", "p1"), _result("a", "pass", "team-b", "q"),
               _result("c", "fail", "", "n1", kind="Namespace")]
    reports = build_reports(results, WGPOLICY, now=NOW)
    assert [(r["kind"], r["metadata"]["name"], r["metadata"].get("namespace")) for r in reports] == [
        ("ClusterPolicyReport", "pykyverno-cluster", None), ("PolicyReport", "pykyverno-team-a", "team-a"),
        ("PolicyReport", "pykyverno-team-b", "team-b")]
    team_a = reports[1]
    assert team_a["summary"] == {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 1}
    assert list(team_a["summary"]) == ["pass", "fail", "warn", "error", "skip"]
    first = team_a["results"][0]
    assert first["source"] == "KyvernoValidatingPolicy" and first["scored"] is True
    assert first["timestamp"] == {"seconds": int(NOW.timestamp()), "nanos": 0}
    assert first["resources"] == [{"apiVersion": "v1", "kind": "Pod", "namespace": "team-a", "name": "p1"}]
    assert all(r["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pykyverno" for r in reports)
    opened = build_reports(results, OPENREPORTS, now=NOW)
    assert [r["kind"] for r in opened] == ["ClusterReport", "Report", "Report"]
    assert opened[0]["apiVersion"] == "openreports.io/v1alpha1"


def test_large_reports_continue_in_numbered_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pykyverno.server.writes.reports.MAX_REPORT_BYTES", 2000)
    assert MAX_REPORT_BYTES == 1_000_000
    results = [_result("policy", "fail", "team-a", f"pod-{i:03d}") for i in range(40)]
    reports = build_reports(results, WGPOLICY, now=NOW)
    assert len(reports) > 1 and reports[1]["metadata"]["name"] == "pykyverno-team-a-2"
    assert sum(r["summary"]["fail"] for r in reports) == 40


def test_publishing_unchanged_results_writes_nothing(cluster: Cluster, flow: WriteFlow) -> None:
    results = _scan(cluster, "team-b")
    client = cluster.client()
    _confirmed(flow, cluster, "publish_reports", {"namespaces": ["team-b"]},
               lambda: publish_changeset(client, results, namespaces=["team-b"], now=NOW))
    later = NOW + timedelta(hours=1)
    again = flow.run(client, WriteRequest("publish_reports", {"namespaces": ["team-b"]}),
                     lambda: publish_changeset(client, _scan(cluster, "team-b"), namespaces=["team-b"], now=later))
    assert again.status == "unchanged"


def test_stale_reports_are_deleted_and_foreign_ones_kept(cluster: Cluster, flow: WriteFlow) -> None:
    client = cluster.client()
    _confirmed(flow, cluster, "publish_reports", {}, lambda: publish_changeset(
        client, [_result("a", "fail", "team-a", "p1"), _result("a", "fail", "team-b", "q")], now=NOW))
    cluster.fake.add({"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
                      "metadata": {"name": "kyverno-owned", "namespace": "team-a",
                                   "labels": {"app.kubernetes.io/managed-by": "kyverno"}},
                      "summary": {"pass": 1}, "results": []})
    changeset = publish_changeset(client, [_result("a", "fail", "team-a", "p1")], now=NOW)
    assert [str(r) for r in changeset.delete] == ["PolicyReport/team-b/pykyverno-team-b"]
    scoped = publish_changeset(client, [_result("a", "fail", "team-a", "p1")], namespaces=["team-a"], now=NOW)
    assert scoped.delete == []


def test_openreports_is_preferred_when_served(cluster_with: MakeWriteCluster, flow: WriteFlow) -> None:
    cluster = cluster_with([*kyverno_installed("v1.17.0", openreports=True), *workloads()])
    client = cluster.client()
    results = _scan(cluster, "team-b")
    _confirmed(flow, cluster, "publish_reports", {}, lambda: publish_changeset(client, results, now=NOW))
    listing = read_reports(client)
    assert listing.apis == ["openreports.io/v1alpha1", "wgpolicyk8s.io/v1alpha2"]
    assert {r.api_version for r in listing.rows} == {"openreports.io/v1alpha1"}
    assert cluster.stored("openreports.io", "reports", "pykyverno-team-b", "team-b") is not None


def test_no_report_api_is_a_clear_error(cluster_with: MakeWriteCluster) -> None:
    cluster = cluster_with(workloads())
    with pytest.raises(ReportError, match="serves no report API"):
        publish_changeset(cluster.client(), [], now=NOW)
    assert read_reports(cluster.client()).apis == []


def test_reading_reports_reports_denials_as_problems(cluster: Cluster) -> None:
    cluster.fake.deny(user="bob", verb="list", resource="clusterpolicyreports.*")
    listing = read_reports(cluster.client("bob"))
    assert listing.apis == ["wgpolicyk8s.io/v1alpha2"]
    assert len(listing.problems) == 1 and "403" in listing.problems[0]


def test_reader_accepts_the_subjects_and_description_spelling(cluster: Cluster) -> None:
    cluster.fake.add({"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
                      "metadata": {"name": "r", "namespace": "team-a"}, "summary": summarize([{"result": "fail"}]),
                      "results": [{"policy": "p", "result": "fail", "description": "d",
                                   "subjects": [{"kind": "Pod", "name": "x", "namespace": "team-a"}]}]})
    [row] = read_reports(cluster.client(), "team-a").rows
    assert (row.message, row.resources, row.managed) == ("d", [{"kind": "Pod", "name": "x", "namespace": "team-a"}],
                                                         False)


# ----------------------------------------------------------------------------- exceptions
def _workload(cluster: Cluster, kind: str, namespace: str, name: str) -> dict[str, Any]:
    for obj in workloads():
        meta = obj["metadata"]
        if (obj["kind"], meta.get("namespace"), meta["name"]) == (kind, namespace, name):
            return obj
    raise AssertionError(name)


def _logger_pod(name: str = "logger-7d9f-abcde", labels: dict[str, str] | None = None,
                owner: tuple[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "team-b", "labels": labels or {"app": "logger"}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": "u-1",
                                    "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}],
                     "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}]}}


def _deployment_pod() -> dict[str, Any]:
    """A Pod as the Deployment ``logger`` creates it: owned by its ReplicaSet ``logger-<pod-template-hash>``."""
    return _logger_pod(labels={"app": "logger", "pod-template-hash": "7d9f"}, owner=("ReplicaSet", "logger-7d9f"))


def test_exception_is_narrow_and_expires(cluster: Cluster) -> None:
    logger = _workload(cluster, "Deployment", "team-b", "logger")
    own_pod, other_pod = _deployment_pod(), _logger_pod("intruder", {"app": "intruder"})
    draft = draft_policy_exception(_policy("disallow-host-path"), [logger], reason="ships node logs",
                                   expires_in="7d", others=[own_pod, other_pod], now=NOW)
    doc = draft.document
    assert (doc["apiVersion"], doc["kind"]) == ("policies.kyverno.io/v1", "PolicyException")
    assert doc["metadata"] == {"name": "disallow-host-path-logger", "namespace": "team-b",
                               "labels": {"app.kubernetes.io/managed-by": "pykyverno"}}
    assert doc["spec"]["policyRefs"] == [{"name": "disallow-host-path", "kind": "ValidatingPolicy"}]
    assert doc["spec"]["expiresAt"] == _stamp(NOW + timedelta(days=7))
    assert doc["spec"]["properties"]["reason"] == "ships node logs"
    assert doc["spec"]["properties"]["validation"].startswith("validations[0]: 'hostPath volumes are not allowed")
    assert draft.covers == ["Deployment/team-b/logger", "Pod/team-b/logger-7d9f-abcde"]
    assert yaml.safe_load(draft.yaml) == doc
    # once expired, the engine ignores it
    loaded = PolicyException.from_dict(doc)
    assert loaded.expired(NOW + timedelta(days=8)) and not loaded.expired(NOW + timedelta(days=6))


def test_exception_covers_pods_by_owner_not_by_labels_alone(cluster: Cluster) -> None:
    """A standalone Pod given the controller's labels (or a foreign owner) is not excused; the real Pods are."""
    logger = _workload(cluster, "Deployment", "team-b", "logger")
    policy = _policy("disallow-host-path")
    draft = draft_policy_exception(policy, [logger], reason="r", expires_in="1d", now=NOW)
    labelled = _logger_pod("sneaky", {"app": "logger", "pod-template-hash": "7d9f"})
    wrong_owner = _logger_pod("sneaky-2", {"app": "logger", "pod-template-hash": "7d9f"},
                              owner=("ReplicaSet", "other-7d9f"))
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": {"name": "logger-7d9f", "namespace": "team-b",
                       "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "logger",
                                            "uid": "u-0", "controller": True}]},
          "spec": {"selector": {"matchLabels": {"app": "logger"}}, "template": logger["spec"]["template"]}}
    results = [r[0] for r in _results(policy, draft.document, [_deployment_pod(), rs, labelled, wrong_owner])]
    assert results == ["skip", "skip", "fail", "fail"]


def test_exception_for_cronjob_and_statefulset_pods_follows_the_owner() -> None:
    policy = _policy("disallow-host-path")
    template = {"metadata": {"labels": {"app": "nightly"}},
                "spec": {"containers": [{"name": "m", "image": "busybox"}],
                         "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "team-b"},
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}}
    draft = draft_policy_exception(policy, [cron], reason="r", expires_in="1d", now=NOW)
    job_pod = _logger_pod("nightly-2900-x", {"app": "nightly"}, owner=("Job", "nightly-29001234"))
    other_job_pod = _logger_pod("nightly-x", {"app": "nightly"}, owner=("Job", "nightly-evil"))
    bare = _logger_pod("nightly-y", {"app": "nightly"})
    assert [r[0] for r in _results(policy, draft.document, [job_pod, other_job_pod, bare])] == \
        ["skip", "fail", "fail"]
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "team-b"},
           "spec": {"selector": {"matchLabels": {"app": "db"}}, "template": template}}
    sts_draft = draft_policy_exception(policy, [sts], reason="r", expires_in="1d", now=NOW)
    own = _logger_pod("db-0", {"app": "db"}, owner=("StatefulSet", "db"))
    assert [r[0] for r in _results(policy, sts_draft.document, [own, _logger_pod("db-9", {"app": "db"})])] == \
        ["skip", "fail"]


def test_exception_for_a_bare_pod_and_for_several_targets(cluster: Cluster) -> None:
    privileged = _workload(cluster, "Pod", "team-a", "root-shell")
    compliant = _workload(cluster, "Pod", "team-a", "web-1")
    draft = draft_policy_exception(_policy("disallow-privileged-containers"), [privileged], reason="debugging",
                                   expires_in="12h", others=[compliant], now=NOW)
    assert draft.covers == ["Pod/team-a/root-shell"]
    assert draft.document["spec"]["expiresAt"] == _stamp(NOW + timedelta(hours=12))
    two = draft_policy_exception(_policy("disallow-host-path"), [_logger_pod("a"), _logger_pod("b")],
                                 reason="r", expires_in="1w", now=NOW)
    assert two.document["metadata"]["name"].startswith("disallow-host-path-") and len(two.covers) == 2


def test_exception_refusals() -> None:
    pod = _logger_pod()
    with pytest.raises(ExceptionError, match=r"only policies\.kyverno\.io validating policies"):
        draft_policy_exception({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "x"}},
                               [pod], reason="r", expires_in="1d")
    with pytest.raises(ExceptionError, match="a reason is required"):
        draft_policy_exception(_policy("disallow-host-path"), [pod], reason=" ", expires_in="1d")
    with pytest.raises(ExceptionError, match="does not apply to"):
        draft_policy_exception(_policy("disallow-host-path"), [{"apiVersion": "v1", "kind": "ConfigMap",
                                                                "metadata": {"name": "c", "namespace": "a"}}],
                               reason="r", expires_in="1d")
    for bad in ("", "7", "7 days", "-1d", "0h"):
        with pytest.raises(ExceptionError):
            parse_duration(bad)
    assert parse_duration("1w2d3h") == timedelta(days=9, hours=3)


def test_a_passing_target_is_warned_about() -> None:
    clean = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok", "namespace": "team-a"},
             "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}}
    draft = draft_policy_exception(_policy("disallow-host-path"), [clean], reason="r", expires_in="1d")
    assert any("does not fail disallow-host-path now" in w for w in draft.warnings)


# ----------------------------------------------------------------------------- the seed's loop
def test_the_loop_scan_install_publish_read_except_rescan(cluster: Cluster, flow: WriteFlow) -> None:
    client = cluster.client()
    # 1. scan a namespace
    results = _scan(cluster, "team-b")
    failing = {(r.policy, str(r.resource)) for r in results if r.result == "fail"}
    assert ("disallow-host-path", "Deployment/team-b/logger") in failing
    # 2. install pod-security-baseline in Audit
    _confirmed(flow, cluster, "install_policy_set", {"set": BASELINE},
               lambda: install_changeset(client, BASELINE))
    assert cluster.stored("policies.kyverno.io", "validatingpolicies", "disallow-host-path") is not None
    # 3. publish reports
    _confirmed(flow, cluster, "publish_reports", {"namespaces": ["team-b"]},
               lambda: publish_changeset(client, results, namespaces=["team-b"], now=NOW))
    # 4. read them back
    listing = read_reports(client, "team-b")
    assert listing.apis == ["wgpolicyk8s.io/v1alpha2"] and listing.reports == 1
    rows = {(r.policy, r.resources[0]["name"], r.result) for r in listing.rows}
    assert ("disallow-host-path", "logger", "fail") in rows and all(r.managed for r in listing.rows)
    assert listing.summary["fail"] == sum(1 for r in results if r.result == "fail")
    # 5. draft an exception for the workload, 7 days, and apply it through the same flow
    logger = client.get("apps", "v1", "deployments", "logger", namespace="team-b")
    draft = draft_policy_exception(_policy("disallow-host-path"), [logger], reason="ships node logs",
                                   expires_in="7d")
    _confirmed(flow, cluster, "draft_policy_exception", {"policy": "disallow-host-path"}, draft.changeset)
    # 6. rescan: the scan applies the exceptions the cluster holds, and the workload is now skipped
    rescanned = _scan(cluster, "team-b")
    [after] = [r for r in rescanned if r.policy == "disallow-host-path" and str(r.resource) ==
               "Deployment/team-b/logger"]
    assert after.result == "skip"
    assert after.message == "rule is skipped due to policy exception: team-b/disallow-host-path-logger"
    others = {(r.policy, str(r.resource)): r.result for r in rescanned}
    assert all(others[k] == r.result for r in results for k in [(r.policy, str(r.resource))]
               if k != ("disallow-host-path", "Deployment/team-b/logger"))
