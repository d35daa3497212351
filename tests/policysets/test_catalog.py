"""The set manifests, resolving sets with includes, loading, and the metadata every bundled policy must carry."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pykyverno.engine.request import AdmissionContext
from pykyverno.server.policysets import (
    SETS_ROOT,
    PolicySetError,
    available_sets,
    describe_policy,
    find_policy,
    load_set,
    policy_locations,
    remediation_for,
    resolve_set,
    set_names,
)

EXPECTED_SETS = {
    "pod-security-baseline": 11,
    "pod-security-restricted": 6,
    "best-practices": 15,
    "rbac-best-practices": 8,
    "ai-agent-safeguards": 9,
    "examples": 3,
}
SEVERITIES = {"low", "medium", "high", "critical"}
POLICY_FILES = sorted(p for p in SETS_ROOT.glob("*/*.yaml") if p.name != "set.yaml")


def test_sets_and_counts() -> None:
    sets = available_sets()
    assert {name: len(info.own_files()) for name, info in sets.items()} == EXPECTED_SETS
    assert [n for n, i in sets.items() if i.experimental] == []
    assert all(info.description for info in sets.values())


def test_restricted_includes_baseline() -> None:
    restricted = resolve_set("pod-security-restricted")
    baseline = resolve_set("pod-security-baseline")
    assert restricted[: len(baseline)] == baseline
    assert len(restricted) == 17 and len(set(restricted)) == 17
    loaded = load_set("pod-security-restricted")
    assert not loaded.issues and len(loaded.names()) == 17


def test_unknown_set_lists_available_sets() -> None:
    with pytest.raises(PolicySetError) as info:
        resolve_set("kubernetes-best-practices")
    message = str(info.value)
    assert "unknown policy set 'kubernetes-best-practices'" in message
    assert all(name in message for name in EXPECTED_SETS)


def test_unknown_policy() -> None:
    with pytest.raises(PolicySetError, match="unknown policy 'nope'"):
        find_policy("nope")
    assert remediation_for("nope") == ""


@pytest.mark.parametrize("name", sorted(set(EXPECTED_SETS) - {"examples"}))
def test_each_set_loads_without_issues(name: str) -> None:
    loaded = load_set(name)
    assert not loaded.issues, [str(i) for i in loaded.issues]



def test_examples_set_loads_and_evaluates_every_template() -> None:
    """The three templates load, and the mutation and generation evaluate on real objects."""
    loaded = load_set("examples")
    assert not loaded.issues, [str(i) for i in loaded.issues]
    assert set(loaded.names()) == {
        "protect-critical-resource-deletion",
        "add-pod-run-as-non-root",
        "add-default-deny-networkpolicy",
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "apps"},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
    }
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}
    mutated = [
        r for p in loaded.policies if p.kind == "MutatingPolicy" and (r := p.evaluate(AdmissionContext(object=pod)))
    ]
    assert [r.patched["spec"]["securityContext"]["runAsNonRoot"] for r in mutated if r.patched] == [True]
    generated = [
        g
        for p in loaded.policies
        if p.kind == "GeneratingPolicy"
        for r in [p.evaluate(AdmissionContext(object=namespace))]
        if r
        for g in r.generated
    ]
    assert [(g["kind"], g["metadata"]["namespace"]) for g in generated] == [("NetworkPolicy", "apps")]


@pytest.mark.parametrize("path", POLICY_FILES, ids=[p.stem for p in POLICY_FILES])
def test_policy_file_metadata(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    assert len(docs) == 1, "one policy per file"
    doc = docs[0]
    assert doc["apiVersion"] == "policies.kyverno.io/v1"
    assert doc["metadata"]["name"] == path.stem
    annotations = doc["metadata"]["annotations"]
    for key in (
        "policies.kyverno.io/title",
        "policies.kyverno.io/category",
        "policies.kyverno.io/description",
        "pykyverno.io/remediation",
    ):
        assert str(annotations.get(key, "")).strip(), f"missing {key}"
    assert annotations["policies.kyverno.io/severity"] in SEVERITIES
    spec = doc["spec"]
    if doc["kind"] == "ValidatingPolicy":
        assert spec["validationActions"] == ["Audit"]
        deletes_only = all(r.get("operations") == ["DELETE"] for r in spec["matchConstraints"]["resourceRules"])
        assert spec["evaluation"]["background"]["enabled"] is (not deletes_only)


def test_policy_names_are_unique_across_sets() -> None:
    names = [p.stem for p in POLICY_FILES]
    assert len(names) == len(set(names))
    assert set(policy_locations()) == set(names)


def test_pod_policies_get_autogen() -> None:
    for path in POLICY_FILES:
        description = describe_policy(path.stem)
        if description.kind != "ValidatingPolicy" or description.matches != ["pods (core/v1) on CREATE, UPDATE"]:
            continue
        assert "Deployment" in description.autogen, path.stem
        if path.stem != "require-pod-probes":
            assert "CronJob" in description.autogen, path.stem


def test_describe_policy() -> None:
    description = describe_policy("require-pod-probes")
    assert description.set_name == "best-practices"
    assert description.severity == "medium"
    assert sorted(description.autogen) == ["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"]
    assert description.match_conditions[0].message == "not-a-job-pod"
    assert description.checks[0].expression == "size(variables.missing) == 0"
    assert "readinessProbe" in description.remediation
    data = description.to_dict()
    assert data["set"] == "best-practices" and data["checks"][0]["expression"]
    assert remediation_for("require-pod-probes") == description.remediation
    assert set_names() == sorted(EXPECTED_SETS)
