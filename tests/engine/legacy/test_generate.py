"""generate rules (engine/cpol/generate.py): data, clone and cloneList, labels, synchronize."""

from __future__ import annotations

from typing import Any

from pykyverno.engine.cpol.generate import (
    MANAGED_BY,
    POLICY_NAME,
    RULE_NAME,
    TRIGGER_KIND,
    Origin,
    generate,
)

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "uid": "u-1"}}
ORIGIN = Origin("add-quota", "gen-quota", NAMESPACE)


def test_data_object_with_rule_identity_and_labels() -> None:
    block = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "name": "default-quota",
        "namespace": "team-a",
        "synchronize": True,
        "data": {"metadata": {"labels": {"tier": "x"}}, "spec": {"hard": {"pods": "10"}}},
    }
    outcome = generate(ORIGIN, block)
    assert outcome.status == "pass"
    assert outcome.synchronize is True
    assert outcome.message == "generated ResourceQuota/team-a/default-quota"
    (obj,) = outcome.resources
    assert obj["apiVersion"] == "v1"
    assert obj["kind"] == "ResourceQuota"
    assert obj["metadata"]["name"] == "default-quota"
    assert obj["metadata"]["namespace"] == "team-a"
    assert obj["spec"] == {"hard": {"pods": "10"}}
    labels = obj["metadata"]["labels"]
    assert labels["tier"] == "x"
    assert labels[MANAGED_BY] == "kyverno"
    assert labels[POLICY_NAME] == "add-quota"
    assert labels[RULE_NAME] == "gen-quota"
    assert labels[TRIGGER_KIND] == "Namespace"
    assert labels["generate.kyverno.io/trigger-uid"] == "u-1"
    assert block["data"] == {"metadata": {"labels": {"tier": "x"}}, "spec": {"hard": {"pods": "10"}}}


def test_data_is_substituted_and_cluster_scoped_targets_have_no_namespace() -> None:
    def substitute(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: substitute(v) for k, v in value.items()}
        return "team-a-role" if value == "{{request.object.metadata.name}}-role" else value

    block = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "name": "{{request.object.metadata.name}}-role", "data": {"rules": []}}
    (obj,) = generate(ORIGIN, block, substitute=substitute).resources
    assert obj["metadata"]["name"] == "team-a-role"
    assert "namespace" not in obj["metadata"]
    assert generate(ORIGIN, block).synchronize is False

    def failing(value: Any) -> Any:
        raise ValueError('Unknown key "x" in path')

    failed = generate(ORIGIN, block, substitute=failing)
    assert (failed.status, failed.message) == ("error", 'variable substitution failed: Unknown key "x" in path')


SECRET = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {
        "name": "regcred",
        "namespace": "default",
        "uid": "s-1",
        "resourceVersion": "42",
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "managedFields": [{"manager": "kubectl"}],
        "ownerReferences": [{"kind": "X", "name": "y", "uid": "z"}],
        "labels": {"sync": "yes"},
    },
    "data": {".dockerconfigjson": "e30="},
}


def fetch(api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    if (api_version, kind, namespace, name) == ("v1", "Secret", "default", "regcred"):
        return SECRET
    return None


def test_clone() -> None:
    block = {"apiVersion": "v1", "kind": "Secret", "name": "regcred", "namespace": "team-a", "synchronize": True,
             "clone": {"namespace": "default", "name": "regcred"}}
    outcome = generate(ORIGIN, block, fetch=fetch)
    assert outcome.status == "pass"
    (obj,) = outcome.resources
    metadata = obj["metadata"]
    assert metadata["namespace"] == "team-a"
    for cleared in ("uid", "resourceVersion", "creationTimestamp", "managedFields", "ownerReferences"):
        assert cleared not in metadata
    assert metadata["labels"]["sync"] == "yes"
    assert metadata["labels"][MANAGED_BY] == "kyverno"
    assert obj["data"] == SECRET["data"]
    assert SECRET["metadata"]["uid"] == "s-1"


def test_clone_missing_source_and_self_clone_skip() -> None:
    missing = {"apiVersion": "v1", "kind": "Secret", "name": "x", "namespace": "team-a",
               "clone": {"namespace": "default", "name": "nope"}}
    outcome = generate(ORIGIN, missing, fetch=fetch)
    assert (outcome.status, outcome.message) == ("skip", "source resource v1 Secret/default/nope not found")
    itself = {"apiVersion": "v1", "kind": "Secret", "name": "regcred", "namespace": "default",
              "clone": {"namespace": "default", "name": "regcred"}}
    assert generate(ORIGIN, itself, fetch=fetch).status == "skip"


def test_clone_list() -> None:
    other = {**SECRET, "metadata": {"name": "other", "namespace": "default", "labels": {"sync": "no"}}}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "default",
                                                                    "labels": {"sync": "yes"}}}

    def list_objects(api_version: str, kind: str, namespace: str) -> list[dict[str, Any]]:
        objects = {"Secret": [SECRET, other], "ConfigMap": [config]}
        return objects.get(kind, []) if namespace == "default" else []

    block = {"namespace": "team-a", "synchronize": True,
             "cloneList": {"namespace": "default", "kinds": ["v1/Secret", "v1/ConfigMap"],
                           "selector": {"matchLabels": {"sync": "yes"}}}}
    outcome = generate(ORIGIN, block, list_objects=list_objects)
    assert outcome.status == "pass"
    assert [(o["kind"], o["metadata"]["name"], o["metadata"]["namespace"]) for o in outcome.resources] == [
        ("Secret", "regcred", "team-a"),
        ("ConfigMap", "cm", "team-a"),
    ]
    assert generate(ORIGIN, {**block, "cloneList": {**block["cloneList"], "kinds": ["v1/Pod"]}},
                    list_objects=list_objects).status == "skip"


def test_malformed_blocks_are_errors() -> None:
    assert generate(ORIGIN, {"kind": "Secret", "name": "x"}).status == "error"
    assert generate(ORIGIN, {"kind": "Secret", "data": {}}).status == "error"
    assert generate(ORIGIN, {"kind": "Secret", "name": "x", "data": "text"}).status == "error"
