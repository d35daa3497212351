"""``pykyverno migrate``: kyverno.io/v1 rules rewritten as ValidatingPolicies that give the same verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.engine.loader import load_policies
from pykyverno.server.cli import main
from pykyverno.server.core.migrate import migrate_documents
from pykyverno.server.core.migrate_check import check_objects

POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: pod-rules
  annotations:
    policies.kyverno.io/title: Pod rules
    policies.kyverno.io/severity: high
spec:
  validationFailureAction: Audit
  background: false
  rules:
  - name: pinned-images
    match: {any: [{resources: {kinds: [Pod]}}]}
    exclude: {any: [{resources: {namespaces: [kube-*]}}]}
    validate:
      message: images must be pinned
      pattern:
        spec:
          containers:
          - image: "!*:latest & *:*"
            =(securityContext):
              =(privileged): false
              X(procMount): null
  - name: limits
    match: {any: [{resources: {kinds: [Pod]}}]}
    preconditions:
      all:
      - {key: "{{ request.object.metadata.labels.tier || '' }}", operator: AnyIn, value: [web, api]}
    validate:
      anyPattern:
      - spec: {containers: [{resources: {limits: {memory: "<=1Gi"}}}]}
      - metadata: {annotations: {exempt: "true"}}
  - name: no-host-ports
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      foreach:
      - list: request.object.spec.containers[].ports[]
        deny:
          conditions:
            any:
            - {key: "{{ element.hostPort || `0` }}", operator: GreaterThan, value: 0}
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: team
      variable: {jmesPath: "request.object.metadata.labels.team || 'none'"}
    validate:
      message: "team {{ team }} is not allowed"
      deny:
        conditions:
          any:
          - {key: "{{ team }}", operator: AnyIn, value: [blocked-*, none]}
  - name: psa
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      podSecurity: {level: baseline, version: latest}
"""


def pod(name: str, namespace: str = "default", image: str = "nginx:1.25", labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "c", "image": image, **spec}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {},
                         "annotations": annotations or {}},
            "spec": {"containers": [container]}}


PODS = [
    pod("good", labels={"team": "a", "tier": "web"}, resources={"limits": {"memory": "512Mi"}}),
    pod("latest", image="nginx:latest", labels={"team": "a"}),
    pod("untagged", image="nginx", labels={"team": "blocked-x"}),
    pod("privileged", labels={"team": "a"}, securityContext={"privileged": True}),
    pod("system", namespace="kube-system", image="nginx:latest"),
    pod("big", labels={"tier": "api"}, resources={"limits": {"memory": "2Gi"}}),
    pod("exempt", labels={"tier": "api"}, annotations={"exempt": "true"}, resources={"limits": {"memory": "2Gi"}}),
    pod("host-port", labels={"team": "a"}, ports=[{"containerPort": 80, "hostPort": 8080}]),
    pod("no-team"),
]


def test_converted_policies_keep_names_annotations_actions_and_say_what_is_left_out() -> None:
    migration = migrate_documents(list(yaml.safe_load_all(POLICY)))
    assert [(r.rule, r.converted_to) for r in migration.rules] == [
        ("pinned-images", "pod-rules-pinned-images"), ("limits", "pod-rules-limits"),
        ("no-host-ports", "pod-rules-no-host-ports"), ("team", "pod-rules-team"), ("psa", "")]
    assert migration.rules[-1].reason == "podSecurity profiles have no ValidatingPolicy counterpart"
    first = migration.documents[0]
    assert first["kind"] == "ValidatingPolicy" and first["spec"]["validationActions"] == ["Audit"]
    assert first["metadata"]["annotations"]["policies.kyverno.io/severity"] == "high"
    assert first["spec"]["evaluation"] == {"background": {"enabled": False}}
    assert migration.name_map() == {"pod-rules": {r.rule: r.converted_to for r in migration.rules if r.converted_to}}


def test_apply_rules_one_is_reported_not_dropped() -> None:
    """applyRules One (only the first applying rule runs) cannot survive a split into separate policies."""
    rule = {"match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "validate": {"message": "m", "pattern": {"metadata": {"labels": {"team": "?*"}}}}}
    policy = {"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "first-only"},
              "spec": {"applyRules": "One", "rules": [{"name": "a", **rule}, {"name": "b", **rule}]}}
    migration = migrate_documents([policy])
    assert migration.documents == []
    assert [(r.rule, r.converted_to) for r in migration.rules] == [("a", ""), ("b", "")]
    assert all("spec.applyRules: One" in r.reason for r in migration.rules)
    single = {**policy, "spec": {"applyRules": "One", "rules": [{"name": "a", **rule}]}}
    assert [r.converted_to for r in migrate_documents([single]).rules] == ["first-only"]


def test_converted_policies_give_the_original_verdicts() -> None:
    documents = list(yaml.safe_load_all(POLICY))
    migration = migrate_documents(documents)
    result = check_objects(documents, migration, PODS)
    assert not result.problems
    assert len(result.pairs) >= 20
    assert [p.to_dict() for p in result.differences] == []
    failing = {(p.rule, p.resource) for p in result.pairs if p.converted == "fail"}
    assert {("pinned-images", "Pod/latest"), ("pinned-images", "Pod/untagged"), ("pinned-images", "Pod/privileged"),
            ("limits", "Pod/big"), ("no-host-ports", "Pod/host-port"), ("team", "Pod/no-team"),
            ("team", "Pod/untagged")} <= failing
    assert ("pinned-images", "Pod/system") not in failing and ("limits", "Pod/exempt") not in failing


def test_autogen_applies_to_the_converted_policy() -> None:
    documents = list(yaml.safe_load_all(POLICY))
    migration = migrate_documents(documents)
    template = pod("x", image="nginx:latest", labels={"team": "a"})
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                  "spec": {"template": {"metadata": template["metadata"], "spec": template["spec"]}}}
    result = check_objects(documents, migration, [deployment])
    verdicts = {p.rule: (p.original, p.converted) for p in result.pairs}
    assert verdicts["pinned-images"] == ("fail", "fail")


def _write_test(folder: Path) -> None:
    (folder / "policy.yaml").write_text(POLICY)
    (folder / "resources.yaml").write_text(yaml.safe_dump_all(PODS))
    rows = [{"policy": "pod-rules", "rule": "pinned-images", "kind": "Pod", "resources": ["good", "system"],
             "result": "pass"},
            {"policy": "pod-rules", "rule": "pinned-images", "kind": "Pod", "resources": ["latest"], "result": "fail"},
            {"policy": "pod-rules", "rule": "team", "kind": "Pod", "resources": ["no-team"], "result": "fail"}]
    test = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "t"},
            "policies": ["policy.yaml"], "resources": ["resources.yaml"], "results": rows}
    (folder / "kyverno-test.yaml").write_text(yaml.safe_dump(test))


def test_cli_writes_policies_and_the_map_and_checks_test_files(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    _write_test(tmp_path)
    out = tmp_path / "out"
    code = main(["migrate", str(tmp_path / "policy.yaml"), "--output-dir", str(out), "--check", str(tmp_path),
                 "-o", "json"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 1  # the podSecurity rule is not converted
    assert answer["summary"] == {"rules": 5, "converted": 4, "pairs": 4, "agree": 4}
    assert json.loads((out / "migration-map.json").read_text())["pod-rules"]["team"] == "pod-rules-team"
    written = list(yaml.safe_load_all((out / "policy.yaml").read_text()))
    assert [d["metadata"]["name"] for d in written] == [
        "pod-rules-pinned-images", "pod-rules-limits", "pod-rules-no-host-ports", "pod-rules-team"]
    loaded = load_policies([out / "policy.yaml"])
    assert not loaded.issues and len({p.name for p in loaded.policies}) == 4


def test_cli_prints_yaml_with_the_rules_as_comments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    assert main(["migrate", str(tmp_path / "policy.yaml")]) == 1
    printed = capsys.readouterr().out
    assert "# pod-rules/psa (validate.podSecurity) NOT CONVERTED: podSecurity profiles" in printed
    documents = [d for d in yaml.safe_load_all(printed) if d]
    assert len(documents) == 4
    assert main(["migrate", str(tmp_path / "missing.yaml")]) == 2


EXCEPTION = """
apiVersion: kyverno.io/v2
kind: PolicyException
metadata: {name: legacy-images, namespace: kyverno}
spec:
  exceptions:
  - {policyName: pod-rules, ruleNames: [pinned-*, autogen-pinned-*]}
  match:
    any:
    - resources: {kinds: [Pod], namespaces: [legacy]}
"""


def test_v2_exceptions_become_cel_exceptions_for_the_converted_policies() -> None:
    documents = [*yaml.safe_load_all(POLICY), yaml.safe_load(EXCEPTION)]
    migration = migrate_documents(documents)
    [record] = migration.exceptions
    assert record.converted_to == "legacy-images"
    exception = migration.documents[-1]
    assert exception["spec"]["policyRefs"] == [{"name": "pod-rules-pinned-images", "kind": "ValidatingPolicy"}]
    pods = [pod("old", namespace="legacy", image="nginx:latest"), pod("new", image="nginx:latest")]
    result = check_objects(documents, migration, pods)
    assert result.differences == []
    verdicts = {(p.rule, p.resource): p.converted for p in result.pairs}
    assert verdicts[("pinned-images", "Pod/new")] == "fail"
    assert verdicts.get(("pinned-images", "Pod/old"), "skip") == "skip"


MUTATE = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: defaults}
spec:
  rules:
  - name: labels
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            owner: "{{ request.object.metadata.namespace }}"
            app.kubernetes.io/managed-by: platform
  - name: annotate
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    mutate:
      patchesJson6902: |-
        - op: replace
          path: /data
          value: {checked: "yes"}
  - name: conditional
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            +(team): none
"""


def test_mutate_rules_become_mutating_policies_with_the_same_result() -> None:
    documents = list(yaml.safe_load_all(MUTATE))
    migration = migrate_documents(documents)
    assert [(r.rule, bool(r.converted_to)) for r in migration.rules] == [
        ("labels", True), ("annotate", True), ("conditional", False)]
    assert "anchor or directive" in migration.rules[2].reason
    labels, annotate = migration.documents
    assert labels["kind"] == "MutatingPolicy"
    assert labels["spec"]["mutations"][0]["patchType"] == "ApplyConfiguration"
    assert annotate["spec"]["mutations"][0]["patchType"] == "JSONPatch"
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team-a"},
                  "data": {"k": "v"}}
    result = check_objects(documents, migration, [config_map])
    assert result.differences == [] and {p.converted for p in result.pairs} == {"pass"}


GENERATE = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: netpol}
spec:
  rules:
  - name: default-deny
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate:
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      name: default-deny
      namespace: "{{ request.object.metadata.name }}"
      synchronize: true
      data: {spec: {podSelector: {}, policyTypes: [Ingress]}}
  - name: copy
    match: {any: [{resources: {kinds: [Namespace]}}]}
    generate: {apiVersion: v1, kind: Secret, name: s, namespace: x, clone: {namespace: default, name: s}}
"""


def test_generate_rules_with_data_become_generating_policies() -> None:
    documents = list(yaml.safe_load_all(GENERATE))
    migration = migrate_documents(documents)
    assert [(r.rule, bool(r.converted_to)) for r in migration.rules] == [("default-deny", True), ("copy", False)]
    [generating] = migration.documents
    assert generating["kind"] == "GeneratingPolicy"
    assert generating["spec"]["evaluation"] == {"synchronize": {"enabled": True}}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    result = check_objects(documents, migration, [namespace])
    assert result.differences == [] and [p.converted for p in result.pairs] == ["pass"]
