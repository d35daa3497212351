"""ValidatingAdmissionPolicy with and without bindings: matchResources, validationActions, params, matchConditions."""

from __future__ import annotations

from typing import Any

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.cel.offline import OfflineResources
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult

POLICY = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  matchConditions:
  - {name: not-skipped, expression: "!has(object.metadata.labels) || !('skip' in object.metadata.labels)"}
  variables:
  - {name: replicas, expression: "object.spec.replicas"}
  validations:
  - expression: "variables.replicas <= 2"
    messageExpression: "'too many replicas: ' + string(variables.replicas)"
  auditAnnotations:
  - {key: replicas, valueExpression: "string(variables.replicas)"}
"""

BINDING = """
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas-binding}
spec:
  policyName: replicas
  validationActions: [{action}]
  matchResources:
    excludeResourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments], resourceNames: [excluded]}
"""


def load(text: str) -> PolicySet:
    policies = load_documents(parse_documents(text))
    assert not policies.issues, policies.issues
    return policies


def deployment(name: str, replicas: int, labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {"replicas": replicas}}


def evaluate(policies: PolicySet, obj: dict[str, Any]) -> RuleResult | None:
    [policy] = policies.policies
    return policy.evaluate(AdmissionContext(object=obj))


def test_policy_without_binding_is_evaluated() -> None:
    policies = load(POLICY)
    result = evaluate(policies, deployment("big", 5))
    assert result is not None
    assert (result.result, result.message, result.rule) == ("fail", "too many replicas: 5", "replicas")
    assert result.policy_kind == "ValidatingAdmissionPolicy" and result.properties == {"replicas": "5"}
    ok = evaluate(policies, deployment("small", 1))
    assert ok is not None and ok.result == "pass"


def test_match_conditions_false_means_not_applicable() -> None:
    assert evaluate(load(POLICY), deployment("big", 5, {"skip": "yes"})) is None


def test_binding_match_resources_and_actions() -> None:
    policies = load(POLICY + BINDING.replace("{action}", "Deny"))
    assert evaluate(policies, deployment("excluded", 5)) is None
    denied = evaluate(policies, deployment("other", 5))
    assert denied is not None and denied.result == "fail" and denied.actions == ("Deny",)
    warned = evaluate(load(POLICY + BINDING.replace("{action}", "Warn")), deployment("other", 5))
    assert warned is not None and warned.result == "warn"


def test_binding_for_another_policy_is_ignored() -> None:
    text = POLICY + BINDING.replace("{action}", "Deny").replace("policyName: replicas", "policyName: other")
    result = evaluate(load(text), deployment("excluded", 5))
    assert result is not None and result.result == "fail"


PARAMS = """
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: limits}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= int(params.data.max)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: limits}
spec:
  policyName: limits
  paramRef: {name: limits, parameterNotFoundAction: Deny}
  validationActions: [Deny]
"""

LIMITS = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "limits", "namespace": "default"},
          "data": {"max": "3"}}


def test_params_from_the_resource_provider() -> None:
    policies = load(PARAMS)
    with using_providers(Providers(resource=OfflineResources([LIMITS]))):
        small = evaluate(policies, deployment("small", 3))
        big = evaluate(policies, deployment("big", 4))
    assert small is not None and small.result == "pass"
    assert big is not None and big.result == "fail" and big.message.startswith("failed expression:")


def test_missing_params_with_deny_action_is_an_error() -> None:
    with using_providers(Providers(resource=OfflineResources([]))):
        result = evaluate(load(PARAMS), deployment("small", 1))
    assert result is not None and result.result == "error" and "no params found" in result.message


def test_evaluation_error_is_an_error_result() -> None:
    result = evaluate(load(POLICY.replace("object.spec.replicas", "object.spec.missing")), deployment("d", 1))
    assert result is not None and result.result == "error" and "resulted in error" in result.message


def test_bad_expression_is_a_load_issue() -> None:
    policies = load_documents(parse_documents(POLICY.replace("variables.replicas <= 2", "variables.replicas <=")))
    assert policies.policies == [] and policies.issues[0].path == "spec.validations[0].expression"


def test_mutating_admission_policies_are_not_dropped() -> None:
    text = """
apiVersion: admissionregistration.k8s.io/v1alpha1
kind: MutatingAdmissionPolicy
metadata: {name: m}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration: {expression: "Object{metadata: Object.metadata{labels: {'a': 'b'}}}"}
"""
    policies = load_documents(parse_documents(text))
    handled = [p.name for p in policies.policies] + [issue.name for issue in policies.issues]
    assert "m" in handled
