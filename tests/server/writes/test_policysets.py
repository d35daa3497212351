"""Installing and uninstalling bundled policy sets through the flow: Audit by default, Enforce only with scan counts,
the version the cluster serves (with a clear error when it serves none), idempotent re-installs, and uninstalls that
remove what pykyverno installed and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from pykyverno.engine.results import ResourceRef, RuleResult
from pykyverno.server.policysets import get_set, resolve_set
from pykyverno.server.writes import WriteFlow, WriteRequest
from pykyverno.server.writes.policysets import (
    SET_LABEL,
    SOURCE_HASH,
    InstallError,
    denial_counts,
    install_changeset,
    uninstall_changeset,
)
from pykyverno.server.writes.versions import VersionError, target_version
from tests.fakeapi import FakeCluster
from tests.fakeapi.kyverno import kyverno_installed, policy_crds, report_crds
from tests.server.writes.conftest import Cluster, MakeWriteCluster, workloads

MakeCluster = Callable[..., FakeCluster]
G = "policies.kyverno.io"
BASELINE = "pod-security-baseline"


def _names(set_name: str) -> set[str]:
    return {yaml.safe_load(p.read_text(encoding="utf-8"))["metadata"]["name"] for p in resolve_set(set_name)}


def _installed(cluster: Cluster, plural: str = "validatingpolicies") -> dict[str, dict[str, Any]]:
    with cluster.fake._lock:
        return {name: obj for (_, name), obj in cluster.fake._store.get((G, plural), {}).items()}


def _install(flow: WriteFlow, cluster: Cluster, set_name: str, **kwargs: Any) -> Any:
    client = cluster.client()
    request = WriteRequest("install_policy_set", {"set": set_name, **kwargs})
    planned = flow.run(client, request, lambda: install_changeset(client, set_name, **kwargs))
    assert planned.status == "planned", planned.render()
    return flow.run(client, request, lambda: install_changeset(client, set_name, **kwargs), confirm=planned.token)


def test_install_defaults_to_audit_with_labels_and_source_hashes(cluster: Cluster, flow: WriteFlow) -> None:
    done = _install(flow, cluster, BASELINE)
    assert done.status == "applied"
    installed = _installed(cluster)
    assert set(installed) == _names(BASELINE)
    for obj in installed.values():
        assert obj["spec"]["validationActions"] == ["Audit"]
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "pykyverno" and labels[SET_LABEL] == BASELINE
        assert len(obj["metadata"]["annotations"][SOURCE_HASH]) == 16
    assert "Audit mode" in " ".join(done.plan.notes)


def test_reinstalling_is_idempotent(cluster: Cluster, flow: WriteFlow) -> None:
    _install(flow, cluster, BASELINE)
    client = cluster.client()
    again = flow.run(client, WriteRequest("install_policy_set", {"set": BASELINE}),
                     lambda: install_changeset(client, BASELINE))
    assert again.status == "unchanged" and {c.action for c in again.plan.changes} == {"unchanged"}


def test_enforce_needs_counts_for_every_validating_policy(cluster: Cluster, flow: WriteFlow) -> None:
    client = cluster.client()
    with pytest.raises(InstallError, match="Enforce needs a scan first"):
        install_changeset(client, BASELINE, mode="Enforce")
    with pytest.raises(InstallError, match=r"missing: .*disallow-host-path"):
        install_changeset(client, BASELINE, mode="Enforce", denials={"disallow-privileged-containers": 1})
    with pytest.raises(InstallError, match="mode must be Audit or Enforce"):
        install_changeset(client, BASELINE, mode="Deny")
    counts = dict.fromkeys(_names(BASELINE), 0) | {"disallow-privileged-containers": 1, "disallow-host-path": 1}
    done = _install(flow, cluster, BASELINE, mode="Enforce", denials=counts)
    assert done.status == "applied"
    assert {tuple(o["spec"]["validationActions"]) for o in _installed(cluster).values()} == {("Deny",)}
    notes = " ".join(done.plan.notes)
    assert "2 existing object(s) fail these policies" in notes and "disallow-host-path: 1 object(s)" in notes


def test_denial_counts_count_distinct_failing_objects_per_policy() -> None:
    pod = ResourceRef("v1", "Pod", "team-a", "p")
    results = [RuleResult("a", "ValidatingPolicy", "fail", pod), RuleResult("a", "ValidatingPolicy", "fail", pod),
               RuleResult("a", "ValidatingPolicy", "fail", ResourceRef("apps/v1", "Deployment", "team-a", "d")),
               RuleResult("b", "ValidatingPolicy", "pass", pod)]
    assert denial_counts(results) == {"a": 2}


def test_switching_to_enforce_shows_the_mode_change(cluster: Cluster, flow: WriteFlow) -> None:
    _install(flow, cluster, BASELINE)
    client = cluster.client()
    counts = dict.fromkeys(_names(BASELINE), 0)
    plan = flow.plan(client, "install_policy_set", install_changeset(client, BASELINE, mode="Enforce",
                                                                       denials=counts))
    assert {c.action for c in plan.changes} == {"update"}
    assert {(c.path, str(c.before), str(c.after)) for ch in plan.changes for c in ch.changes} == {
        ("spec.validationActions", "['Audit']", "['Deny']")}


def test_included_sets_come_along_with_their_own_labels(cluster: Cluster, flow: WriteFlow) -> None:
    assert BASELINE in get_set("pod-security-restricted").includes
    _install(flow, cluster, "pod-security-restricted")
    installed = _installed(cluster)
    assert set(installed) == _names("pod-security-restricted")
    assert installed["disallow-host-path"]["metadata"]["labels"][SET_LABEL] == BASELINE
    assert installed["disallow-privilege-escalation"]["metadata"]["labels"][SET_LABEL] == "pod-security-restricted"
    client = cluster.client()
    changeset = uninstall_changeset(client, "pod-security-restricted")
    assert {r.name for r in changeset.delete} == _names("pod-security-restricted") - _names(BASELINE)
    assert any("left in place" in n for n in changeset.notes)


def test_uninstall_removes_only_what_pykyverno_installed(cluster: Cluster, flow: WriteFlow) -> None:
    _install(flow, cluster, BASELINE)
    foreign = yaml.safe_load((resolve_set("best-practices")[0]).read_text(encoding="utf-8"))
    cluster.fake.add(foreign)  # installed by someone else, same API group
    client = cluster.client()
    request = WriteRequest("uninstall_policy_set", {"set": BASELINE})
    planned = flow.run(client, request, lambda: uninstall_changeset(client, BASELINE))
    assert planned.status == "planned" and {c.action for c in planned.plan.changes} == {"delete"}
    done = flow.run(client, request, lambda: uninstall_changeset(client, BASELINE), confirm=planned.token)
    assert done.status == "applied"
    assert set(_installed(cluster)) == {foreign["metadata"]["name"]}
    again = flow.run(client, request, lambda: uninstall_changeset(client, BASELINE))
    assert again.status == "unchanged" and "No policy of set" in " ".join(again.plan.notes)


def test_a_policy_that_left_the_set_is_removed_by_the_next_install(cluster: Cluster, flow: WriteFlow) -> None:
    _install(flow, cluster, BASELINE)
    stale = dict(next(iter(_installed(cluster).values())))
    stale = {**stale, "metadata": {**stale["metadata"], "name": "retired-policy"}}
    stale["metadata"].pop("uid", None)
    cluster.fake.add(stale)
    client = cluster.client()
    changeset = install_changeset(client, BASELINE)
    assert [r.name for r in changeset.delete] == ["retired-policy"]


@pytest.fixture
def old_cluster(cluster_with: MakeWriteCluster) -> Cluster:
    """Kyverno 1.14: policies.kyverno.io v1alpha1 with ValidatingPolicy, ImageValidatingPolicy, PolicyException."""
    objects = [*kyverno_installed("v1.14.3"), *workloads()]
    return cluster_with(objects)


def test_policies_are_converted_to_the_served_version(old_cluster: Cluster, flow: WriteFlow) -> None:
    done = _install(flow, old_cluster, BASELINE)
    assert done.status == "applied" and "Converted to policies.kyverno.io/v1alpha1" in " ".join(done.plan.notes)
    installed = _installed(old_cluster)
    assert set(installed) == _names(BASELINE)
    assert {o["apiVersion"] for o in installed.values()} == {"policies.kyverno.io/v1alpha1"}
    assert [r.method for r in old_cluster.fake.requests if "/v1alpha1/validatingpolicies/" in r.path
            and r.method == "PATCH"]


def test_a_kind_the_cluster_does_not_serve_is_a_clear_error(old_cluster: Cluster) -> None:
    with pytest.raises(InstallError, match=r"serves no version of policies.kyverno.io GeneratingPolicy; "
                                           r"GeneratingPolicy is served by Kyverno 1.15 and later"):
        install_changeset(old_cluster.client(), "examples")


def test_a_field_the_served_version_lacks_comes_back_invalid(cluster_with: MakeWriteCluster,
                                                             flow: WriteFlow) -> None:
    objects = [*policy_crds("1.16", without={"v1beta1": ["autogen"]}), *report_crds(), *workloads()]
    cluster = cluster_with(objects)
    client = cluster.client()
    outcome = flow.run(client, WriteRequest("install_policy_set", {"set": "best-practices"}),
                       lambda: install_changeset(client, "best-practices"))
    assert outcome.status == "blocked"
    [bad] = [c for c in outcome.plan.changes if c.verdict != "allowed"]
    assert bad.ref.name == "require-pod-probes" and bad.verdict == "invalid"
    assert ".spec.autogen: field not declared in schema" in bad.message
    assert bad.ref.api_version == "policies.kyverno.io/v1beta1"


def test_no_kyverno_at_all_is_a_clear_error(cluster_with: MakeWriteCluster) -> None:
    cluster = cluster_with(workloads())
    with pytest.raises(InstallError, match=r"serves no version of policies.kyverno.io ValidatingPolicy.*1.14"):
        install_changeset(cluster.client(), BASELINE)
    with pytest.raises(VersionError, match="context 'admin'"):
        target_version(cluster.client().discover(), "policies.kyverno.io/v1", "ValidatingPolicy",
                       context="admin")


def test_custom_documents_install_as_the_custom_set(cluster: Cluster, flow: WriteFlow) -> None:
    doc = yaml.safe_load(resolve_set("best-practices")[0].read_text(encoding="utf-8"))
    client = cluster.client()
    done = flow.apply_now(client, WriteRequest("install_policy_set", {}), install_changeset(client, None,
                                                                                            documents=[doc]))
    assert done.status == "applied"
    assert _installed(cluster)[doc["metadata"]["name"]]["metadata"]["labels"][SET_LABEL] == "custom"
    with pytest.raises(InstallError, match="name a policy set"):
        install_changeset(client, None)


def test_only_cluster_scoped_kyverno_policy_kinds_are_installed(cluster: Cluster) -> None:
    legacy = {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "old"}, "spec": {}}
    with pytest.raises(InstallError, match=r"cannot install kyverno.io/v1 ClusterPolicy 'old'"):
        install_changeset(cluster.client(), None, documents=[legacy])
