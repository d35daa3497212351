"""A scan (batched, with objects pruned to the fields policies read) gives what ``apply`` gives on the same objects,
for policies whose keys are written with quoting or escapes, and an object with malformed labels errs, not aborts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.server.cli import main

RULES = [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"]}]


def _policy(name: str, expression: str, selector: dict[str, Any] | None = None) -> dict[str, Any]:
    constraints: dict[str, Any] = {"resourceRules": RULES}
    if selector is not None:
        constraints["objectSelector"] = selector
    return {"apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy", "metadata": {"name": name},
            "spec": {"validationActions": ["Audit"], "matchConstraints": constraints,
                     "validations": [{"expression": expression, "message": "debug must be off"}]}}


def _config_map(data: dict[str, str], labels: Any = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "app", "namespace": "default"}
    if labels is not None:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {**data, "other": "x"}}


def _results(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    main(argv)
    data = json.loads(capsys.readouterr().out)
    results = data["results"] if "results" in data else [r for c in data["clusters"] for r in c["results"]]
    return [(r["policy"], r["result"]) for r in results]


def _legacy_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: dict[str, Any],
                 objects: list[dict[str, Any]]) -> tuple[int, list[tuple[str, str, str]]]:
    """Scan ``objects`` against one kyverno.io/v1 ``policy``: the exit code and (policy, result, message) of each."""
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    (tmp_path / "objects.yaml").write_text(yaml.safe_dump_all(objects))
    code = main(["scan", "--snapshot", str(tmp_path / "objects.yaml"), "--policy", str(tmp_path / "policy.yaml"),
                 "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    return code, [(r["policy"], r["result"], r["message"]) for c in data["clusters"] for r in c["results"]]


@pytest.mark.parametrize(("expression", "data"), [
    ("!object.data.?`config.yaml`.orValue('').contains('debug: true')", {"config.yaml": "debug: true"}),
    ("object.data[?'debug\\?'].orValue('no') != 'yes'", {"debug?": "yes"}),
])
def test_keys_written_with_quoting_or_escapes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expression: str, data: dict[str, str]
) -> None:
    policy, objects = tmp_path / "policy.yaml", tmp_path / "objects.yaml"
    policy.write_text(yaml.safe_dump(_policy("no-debug", expression)))
    objects.write_text(yaml.safe_dump(_config_map(data)))
    applied = _results(["apply", str(policy), "-r", str(objects), "-o", "json"], capsys)
    scanned = _results(["scan", "--snapshot", str(objects), "--policy", str(policy), "-o", "json"], capsys)
    assert applied == scanned == [("no-debug", "fail")]


def test_an_object_whose_labels_are_not_a_map_errs_for_the_policies_that_select(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policies, objects = tmp_path / "policies.yaml", tmp_path / "objects.yaml"
    policies.write_text(yaml.safe_dump_all([_policy("selects", "true", {"matchLabels": {"team": "x"}}),
                                            _policy("all", "true")]))
    objects.write_text(yaml.safe_dump(_config_map({}, labels=[1, 2])))
    code = main(["scan", "--snapshot", str(objects), "--policy", str(policies), "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    results = {r["policy"]: r for c in data["clusters"] for r in c["results"]}
    assert code != 0
    assert results["selects"]["result"] == "error"
    assert "metadata.labels is not a map" in results["selects"]["message"]
    assert results["all"]["result"] == "pass"


@pytest.mark.parametrize("selector", ["selector", "namespaceSelector"])
def test_a_legacy_rule_selecting_on_labels_that_are_not_a_map_errs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], selector: str
) -> None:
    policy = {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "legacy"},
              "spec": {"validationFailureAction": "Audit", "rules": [{
                  "name": "r", "match": {"any": [{"resources": {"kinds": ["ConfigMap"],
                                                               selector: {"matchLabels": {"team": "x"}}}}]},
                  "validate": {"message": "m", "pattern": {"metadata": {"name": "?*"}}}}]}}
    labels = [1, 2] if selector == "selector" else None
    namespace = {"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": "default", "labels": "team=x" if labels is None else {}}}
    code, results = _legacy_scan(tmp_path, capsys, policy, [namespace, _config_map({}, labels=labels)])
    what = "the object" if labels is not None else "namespace default"
    assert code != 0
    message = f"cannot match the policy's selectors: {what}: metadata.labels is not a map"
    assert results == [("legacy", "error", message)]


def test_a_legacy_rule_matching_annotations_that_are_not_a_map_errs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "legacy"},
              "spec": {"validationFailureAction": "Audit", "rules": [{
                  "name": "r", "match": {"any": [{"resources": {"kinds": ["ConfigMap"],
                                                               "annotations": {"team": "x"}}}]},
                  "validate": {"message": "m", "pattern": {"metadata": {"name": "?*"}}}}]}}
    config_map = _config_map({})
    config_map["metadata"]["annotations"] = ["team=x"]
    code, results = _legacy_scan(tmp_path, capsys, policy, [config_map])
    assert code != 0
    assert results == [("legacy", "error",
                        "cannot match the policy's selectors: the object: metadata.annotations is not a map")]


def test_a_failure_action_override_on_namespace_labels_that_are_not_a_map_errs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "legacy"},
              "spec": {"validationFailureAction": "Audit",
                       "validationFailureActionOverrides": [{"action": "Enforce",
                                                             "namespaceSelector": {"matchLabels": {"team": "x"}}}],
                       "rules": [{"name": "r", "match": {"any": [{"resources": {"kinds": ["ConfigMap"]}}]},
                                  "validate": {"message": "m", "pattern": {"metadata": {"labels": {"app": "?*"}}}}}]}}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default", "labels": "team=x"}}
    code, results = _legacy_scan(tmp_path, capsys, policy, [namespace, _config_map({})])
    assert code != 0
    assert results == [("legacy", "error",
                        "cannot decide the rule's failure action: namespace default: metadata.labels is not a map")]
