"""check_kyverno on fake clusters: installed and healthy, degraded, absent (with install commands), partly unreadable
(never reported as absent), and which bundled sets pykyverno installed in which mode."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from pykyverno.server.writes import WriteFlow, WriteRequest
from pykyverno.server.writes.kyverno import (
    KYVERNO_CHART_VERSION,
    KYVERNO_VERSION,
    check_kyverno,
    install_commands,
)
from pykyverno.server.writes.policysets import install_changeset
from tests.fakeapi import FakeCluster
from tests.fakeapi.kyverno import kyverno_installed, policy_crds
from tests.server.writes.conftest import Cluster, MakeWriteCluster, workloads

MakeCluster = Callable[..., FakeCluster]


def test_installed_and_healthy(cluster: Cluster) -> None:
    status = check_kyverno(cluster.client())
    assert status.installed is True and status.version == "v1.17.0" and status.install is None
    assert not status.problems
    vpol = next(s for s in status.served if s.kind == "ValidatingPolicy")
    assert vpol.versions == ["v1", "v1beta1", "v1alpha1"]
    assert {c.component for c in status.controllers} == {"admission-controller", "background-controller",
                                                         "cleanup-controller", "reports-controller"}
    assert all(c.healthy for c in status.controllers)
    assert {(w.name, w.failure_policy) for w in status.webhooks} >= {("validate.kyverno.svc-fail", "Fail"),
                                                                     ("validate.kyverno.svc-ignore", "Ignore")}
    assert status.report_apis == ["wgpolicyk8s.io"]
    assert any("single replica" in w for w in status.warnings)
    text = status.render()
    assert "installed, version v1.17.0" in text and "kyverno/kyverno-admission-controller" in text
    assert status.to_dict()["controllers"][0]["healthy"] is True


def test_degraded_controllers_and_fail_webhooks_are_warned_about(cluster_with: MakeWriteCluster) -> None:
    cluster = cluster_with([*kyverno_installed("v1.16.1", ready=False), *workloads()])
    status = check_kyverno(cluster.client())
    assert status.installed is True and status.version == "v1.16.1"
    assert any("0/1 replicas ready" in w for w in status.warnings)
    assert any("not ready while webhooks with failurePolicy Fail" in w for w in status.warnings)
    assert any("policies.kyverno.io/v1 is not served" in w for w in status.warnings)


def test_high_availability_with_ignore_webhooks_has_no_warning(cluster_with: MakeWriteCluster) -> None:
    objects = [*kyverno_installed("v1.17.0", replicas=3, failure_policy="Ignore", openreports=True), *workloads()]
    cluster = cluster_with(objects)
    status = check_kyverno(cluster.client())
    assert status.warnings == [] and status.report_apis == ["openreports.io", "wgpolicyk8s.io"]


def test_absent_kyverno_gets_pinned_install_commands(cluster_with: MakeWriteCluster) -> None:
    cluster = cluster_with(workloads())
    status = check_kyverno(cluster.client())
    assert status.installed is False and status.served == [] and status.install is not None
    assert status.install.helm[-1] == (
        f"helm install kyverno kyverno/kyverno --kube-context admin --namespace kyverno --create-namespace "
        f"--version {KYVERNO_CHART_VERSION}")
    assert status.install.manifest == [
        f"kubectl --context admin create -f https://github.com/kyverno/kyverno/releases/download/"
        f"{KYVERNO_VERSION}/install.yaml"]
    assert "Install with Helm" in status.render()


def test_pinned_versions_agree_with_the_chart_convention() -> None:
    app = re.fullmatch(r"v1\.(\d+)\.(\d+)", KYVERNO_VERSION)
    chart = re.fullmatch(r"3\.(\d+)\.(\d+)", KYVERNO_CHART_VERSION)
    assert app and chart and int(chart.group(1)) + 10 == int(app.group(1)) and chart.group(2) == app.group(2)
    assert int(app.group(1)) >= 17, "the bundled policies need policies.kyverno.io/v1 (Kyverno 1.17 or later)"
    assert install_commands().helm[0] == "helm repo add kyverno https://kyverno.github.io/kyverno/"


def test_crds_without_controllers(cluster_with: MakeWriteCluster) -> None:
    cluster = cluster_with([*policy_crds("1.17"), *workloads()])
    status = check_kyverno(cluster.client())
    assert status.installed is False
    assert any("no admission controller was found" in w for w in status.warnings)


def test_unreadable_parts_are_problems_not_absence(cluster: Cluster) -> None:
    cluster.fake.deny(user="bob", verb="list", resource="deployments.apps")
    cluster.fake.deny(user="bob", verb="list", resource="validatingwebhookconfigurations.*")
    status = check_kyverno(cluster.client("bob"))
    assert status.installed is None and status.install is None
    assert any("cannot list Deployments" in p and "403" in p for p in status.problems)
    assert any("cannot read ValidatingWebhookConfigurations" in p for p in status.problems)
    assert "UNKNOWN" in status.render()


def test_installed_sets_and_their_modes(cluster: Cluster, flow: WriteFlow) -> None:
    client = cluster.client()
    flow.apply_now(client, WriteRequest("install_policy_set", {}), install_changeset(client, "pod-security-baseline"))
    flow.apply_now(client, WriteRequest("install_policy_set", {}), install_changeset(client, "rbac-best-practices"))
    # one baseline policy is edited in the cluster by pykyverno from an older bundle
    with cluster.fake._lock:
        stored = cluster.fake._store[("policies.kyverno.io", "validatingpolicies")][("", "disallow-host-path")]
        stored["metadata"]["annotations"]["pykyverno.io/source-hash"] = "0" * 16
        del cluster.fake._store[("policies.kyverno.io", "validatingpolicies")][("", "disallow-proc-mount")]
    status = check_kyverno(client)
    sets = {s.name: s for s in status.policy_sets}
    assert set(sets) == {"pod-security-baseline", "rbac-best-practices"}
    baseline = sets["pod-security-baseline"]
    total = len([p for p in Path(__file__).resolve().parents[3].joinpath(
        "server/policysets/pod-security-baseline").glob("*.yaml") if p.name != "set.yaml"])
    assert (baseline.installed, baseline.total) == (total - 1, total)
    assert baseline.missing == ["disallow-proc-mount"] and baseline.outdated == ["disallow-host-path"]
    assert baseline.modes == {"Audit": total - 1} and not baseline.complete
    assert sets["rbac-best-practices"].complete
    assert yaml.safe_dump(status.to_dict())  # plain data
