"""ClusterPolicy / Policy ``validate.cel`` rules: match/exclude, autogen, failure actions, params; other rule types."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.cel.offline import OfflineResources
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.common.wildcard import wildcard_match
from pykyverno.engine.cpol.autogen import autogen_rule_name
from pykyverno.engine.cpol.match import KindSelector
from pykyverno.engine.cpol.policy import CompiledRule
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult

POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: disallow-host-path
  annotations: {annotations}
spec:
  validationFailureAction: {action}
  rules:
  - name: host-path
    match:
      any:
      - resources:
          kinds: [Pod]
          operations: [CREATE, UPDATE]
    celPreconditions:
    - name: red
      expression: "object.metadata.?labels.color.orValue('') == 'red'"
    validate:
      cel:
        expressions:
        - expression: "!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))"
          message: HostPath volumes are forbidden.
"""


def load(text: str) -> PolicySet:
    return load_documents(parse_documents(text))


def policy_set(annotations: str = "{}", action: str = "Audit") -> PolicySet:
    policies = load(POLICY.format(annotations=annotations, action=action))
    assert not policies.issues, policies.issues
    return policies


def pod(name: str, color: str = "red", host_path: bool = True) -> dict[str, Any]:
    volume = {"name": "v", "hostPath": {"path": "/var"}} if host_path else {"name": "v", "emptyDir": {}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"color": color}},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], "volumes": [volume]},
    }


def deployment(name: str, host_path: bool = True) -> dict[str, Any]:
    template = pod(name, host_path=host_path)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"template": {"metadata": template["metadata"], "spec": template["spec"]}},
    }


def cronjob(name: str) -> dict[str, Any]:
    template = pod(name)
    job_template = {"spec": {"template": {"metadata": template["metadata"], "spec": template["spec"]}}}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"schedule": "* * * * *", "jobTemplate": job_template},
    }


def rule_names(policies: PolicySet) -> list[str]:
    return sorted(p.rule.name for p in policies.policies if isinstance(p, CompiledRule))


def evaluate(
    policies: PolicySet, obj: dict[str, Any], operation: str = "CREATE", **options: Any
) -> list[RuleResult]:
    ctx = AdmissionContext(operation=operation, object=obj)
    results = [p.evaluate(ctx, [], EvaluationOptions(**options)) for p in policies.policies]
    return [r for r in results if r is not None]


def test_pass_fail_and_precondition_skip() -> None:
    policies = policy_set()
    [fail] = evaluate(policies, pod("bad"))
    assert (fail.result, fail.rule, fail.message) == ("fail", "host-path", "HostPath volumes are forbidden.")
    assert fail.policy_kind == "ClusterPolicy" and fail.actions == ("Audit",)
    [ok] = evaluate(policies, pod("good", host_path=False))
    assert ok.result == "pass" and ok.message == "Validation rule 'host-path' passed."
    [skipped] = evaluate(policies, pod("blue", color="blue"))
    assert skipped.result == "skip"


def test_operations_restrict_matching() -> None:
    assert evaluate(policy_set(), pod("bad"), operation="DELETE") == []


def test_autogen_rules_for_controllers_and_cronjobs() -> None:
    policies = policy_set()
    rules = rule_names(policies)
    assert rules == ["autogen-cronjob-host-path", "autogen-host-path", "host-path"]
    [dep] = evaluate(policies, deployment("d"))
    assert (dep.rule, dep.result) == ("autogen-host-path", "fail")
    [good] = evaluate(policies, deployment("d2", host_path=False))
    assert good.result == "pass"
    [cron] = evaluate(policies, cronjob("c"))
    assert (cron.rule, cron.result) == ("autogen-cronjob-host-path", "fail")


def test_autogen_annotation_none_and_subset() -> None:
    none = policy_set('{"pod-policies.kyverno.io/autogen-controllers": none}')
    assert rule_names(none) == ["host-path"]
    assert evaluate(none, deployment("d")) == []
    only = policy_set('{"pod-policies.kyverno.io/autogen-controllers": "Deployment"}')
    assert rule_names(only) == ["autogen-host-path", "host-path"]
    assert evaluate(only, cronjob("c")) == []


def test_autogen_rule_names_are_cut_to_63_characters() -> None:
    assert autogen_rule_name("autogen-cronjob", "x" * 80) == ("autogen-cronjob-" + "x" * 80)[:63]


def test_failure_action_enforce_and_audit_warn() -> None:
    [enforced] = evaluate(policy_set(action="enforce"), pod("bad"))
    assert enforced.result == "fail" and enforced.actions == ("Deny",)
    [warned] = evaluate(policy_set(), pod("bad"), audit_warn=True)
    assert warned.result == "warn"


def test_invalid_failure_action_is_a_load_issue() -> None:
    policies = load(POLICY.format(annotations="{}", action="Block"))
    assert policies.policies == [] and "must be Audit or Enforce" in policies.issues[0].message


@pytest.mark.parametrize(
    ("selector", "gvk", "expected"),
    [
        ("Pod", ("", "v1", "Pod"), True),
        ("v1/Pod", ("", "v1", "Pod"), True),
        ("v2/Pod", ("", "v1", "Pod"), False),
        ("apps/v1/Deployment", ("apps", "v1", "Deployment"), True),
        ("networking.k8s.io/v1/Ingress", ("extensions", "v1", "Ingress"), False),
        ("*", ("x.io", "v1", "Widget"), True),
        ("Dep*", ("apps", "v1", "Deployment"), True),
        ("Pod/exec", ("", "v1", "Pod"), False),
    ],
)
def test_kind_selectors(selector: str, gvk: tuple[str, str, str], expected: bool) -> None:
    assert KindSelector.parse(selector).matches(*gvk) is expected


def test_wildcards() -> None:
    assert wildcard_match("kube-*", "kube-system") and wildcard_match("a?c", "abc")
    assert not wildcard_match("kube-*", "default") and not wildcard_match("a.c", "abc")


MATCHING = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: scoped}
spec:
  rules:
  - name: scoped
    match:
      all:
      - resources:
          kinds: [v1/ConfigMap]
          namespaces: ["team-*"]
          selector: {matchLabels: {tier: "fr*"}}
    exclude:
      any:
      - resources: {names: ["skip-*"]}
      - subjects: [{kind: User, name: admin}]
    validate:
      cel:
        expressions:
        - expression: "'ok' in object.data"
"""


def configmap(name: str, namespace: str = "team-a", tier: str = "front") -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace, "labels": {"tier": tier}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"ok": "1"}}


def test_match_all_namespaces_selector_and_exclusions() -> None:
    policies = load(MATCHING)
    assert [r.result for r in evaluate(policies, configmap("a"))] == ["pass"]
    assert evaluate(policies, configmap("a", namespace="prod")) == []
    assert evaluate(policies, configmap("a", tier="back")) == []
    assert evaluate(policies, configmap("skip-me")) == []
    ctx = AdmissionContext(object=configmap("a"), user_info={"username": "admin"})
    assert all(p.evaluate(ctx) is None for p in policies.policies)


LEGACY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: legacy}
spec:
  rules:
  - name: pattern
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate: {pattern: {metadata: {name: "?*"}}}
  - name: deny
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate: {deny: {conditions: {any: []}}}
  - name: mutate
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {a: b}}}}
  - name: images
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    verifyImages: [{imageReferences: ["*"]}]
"""


def test_legacy_rule_types_are_evaluated_and_unsupported_ones_are_errors() -> None:
    results = evaluate(load(LEGACY), configmap("a"))
    assert [(r.rule, r.result, r.message) for r in results] == [
        ("pattern", "pass", "validation rule 'pattern' passed."),
        ("deny", "pass", "validation rule 'deny' passed."),
        ("mutate", "pass", "mutated ConfigMap/a in namespace team-a"),
        ("images", "error", "unsupported rule type: verifyImages"),
    ]
    assert results[2].patched is not None and results[2].patched["metadata"]["labels"]["a"] == "b"


EVAL_ERROR = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: broken}
spec:
  rules:
  - name: missing-key
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      cel:
        variables:
        - {name: value, expression: "object.data.missing"}
        expressions:
        - expression: "variables.value == 'x'"
"""


def test_evaluation_error_fails_under_failure_policy_fail() -> None:
    [result] = evaluate(load(EVAL_ERROR), configmap("a"))
    assert result.result == "fail" and "resulted in error" in result.message


def test_compile_errors_are_load_issues_with_paths() -> None:
    policies = load(EVAL_ERROR.replace("variables.value == 'x'", "variables.value =="))
    assert policies.policies == []
    assert policies.issues[0].path == "spec.rules[0].validate.cel.expressions[0].expression"


PARAMS = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: replicas}
spec:
  rules:
  - name: max-replicas
    match: {any: [{resources: {kinds: [Deployment]}}]}
    validate:
      cel:
        paramKind: {apiVersion: v1, kind: ConfigMap}
        paramRef: {name: limits, parameterNotFoundAction: Deny}
        expressions:
        - expression: "object.spec.replicas <= int(params.data.max)"
          messageExpression: "'at most ' + params.data.max + ' replicas'"
"""


def test_params_from_the_resource_provider() -> None:
    policies = load(PARAMS)
    limits = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits", "namespace": "default"},
              "data": {"max": "3"}}
    big = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "default"},
           "spec": {"replicas": 5}}
    with using_providers(Providers(resource=OfflineResources([limits]))):
        [result] = evaluate(policies, big)
    assert (result.result, result.message) == ("fail", "at most 3 replicas")
    with using_providers(Providers(resource=OfflineResources([]))):
        [missing] = evaluate(policies, big)
    assert missing.result == "error" and "no params found" in missing.message


NAMESPACED = """
apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: local, namespace: team-a}
spec:
  rules:
  - name: local
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    validate:
      cel:
        expressions: [{expression: "true"}]
"""


def test_policy_applies_only_in_its_namespace() -> None:
    policies = load(NAMESPACED)
    [result] = evaluate(policies, configmap("a"))
    assert result.policy == "team-a/local" and result.policy_kind == "Policy"
    assert evaluate(policies, configmap("a", namespace="team-b")) == []
