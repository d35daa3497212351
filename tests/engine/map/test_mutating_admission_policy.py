"""Kubernetes MutatingAdmissionPolicy + binding (engine/map)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.cel.offline import OfflineResources
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.map import SPEC
from pykyverno.engine.map.policy import CompiledMutatingAdmissionPolicy
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext

POLICY = """
apiVersion: admissionregistration.k8s.io/v1alpha1
kind: MutatingAdmissionPolicy
metadata:
  name: add-label
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps"]
  matchConditions:
  - name: not-opted-out
    expression: "object.metadata.?labels['opt-out'].orValue('') != 'true'"
  variables:
  - name: value
    expression: "'kyverno'"
  failurePolicy: Fail
  reinvocationPolicy: Never
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >
        object.metadata.?labels["mentorship"].hasValue() ? {} :
        {"metadata": {"labels": {"mentorship": variables.value}}}
"""

BINDING = """
---
apiVersion: admissionregistration.k8s.io/v1alpha1
kind: MutatingAdmissionPolicyBinding
metadata:
  name: add-label-binding
spec:
  policyName: add-label
  matchResources:
{match}
"""


def load(text: str) -> PolicySet:
    into = PolicySet()
    SPEC.load(parse_documents(text), into)
    assert not into.issues, [str(i) for i in into.issues]
    return into


def config_map(name: str = "cm", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "labels": dict(labels)},
        "data": {"k": "v"},
    }


def evaluate(policies: PolicySet, obj: dict[str, Any], operation: str = "CREATE") -> Any:
    [policy] = policies.policies
    return policy.evaluate(AdmissionContext(operation=operation, object=obj))


def test_policy_without_binding_mutates() -> None:
    result = evaluate(load(POLICY), config_map(color="red"))
    assert result.result == "pass"
    assert result.policy_kind == "MutatingAdmissionPolicy"
    assert result.patched["metadata"]["labels"] == {"color": "red", "mentorship": "kyverno"}
    assert result.patched["data"] == {"k": "v"}


def test_empty_apply_configuration_keeps_the_object() -> None:
    obj = config_map(mentorship="other")
    result = evaluate(load(POLICY), obj)
    assert result.result == "pass" and result.patched == obj


def test_match_conditions_and_constraints() -> None:
    policies = load(POLICY)
    assert evaluate(policies, config_map(**{"opt-out": "true"})) is None
    assert evaluate(policies, config_map(), operation="UPDATE") is None
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}}
    assert evaluate(policies, secret) is None


def test_binding_object_selector() -> None:
    policies = load(POLICY + BINDING.format(match="    objectSelector:\n      matchLabels:\n        color: red"))
    assert evaluate(policies, config_map(color="blue")) is None
    assert evaluate(policies, config_map(color="red")).result == "pass"


def test_binding_exclude_resource_rules() -> None:
    match = """    excludeResourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps"]
      resourceNames: ["skipped"]"""
    policies = load(POLICY + BINDING.format(match=match))
    assert evaluate(policies, config_map("skipped")) is None
    assert evaluate(policies, config_map("kept")).result == "pass"


PARAM_POLICY = """
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata:
  name: replicas
spec:
  paramKind:
    apiVersion: v1
    kind: ConfigMap
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["deployments"]
  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: >
        [{"op": "replace", "path": "/spec/replicas", "value": int(PARAMS_EXPR)}]
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicyBinding
metadata:
  name: replicas-binding
spec:
  policyName: replicas
  paramRef:
    PARAM_REF
"""


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    }


def params(name: str, replicas: str, namespace: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"type": "param"}},
        "data": {"replicas": replicas},
    }


def param_policy(expr: str, ref: str) -> PolicySet:
    return load(PARAM_POLICY.replace("PARAMS_EXPR", expr).replace("PARAM_REF", ref))


def test_param_ref_by_name_from_the_resource_provider() -> None:
    policies = param_policy("params.data.replicas", "name: big")
    store = OfflineResources([params("small", "2"), params("big", "10")])
    with using_providers(Providers(resource=store)):
        result = evaluate(policies, deployment())
    assert result.result == "pass"
    assert result.patched["spec"]["replicas"] == 10


def test_param_ref_selector_gives_a_list_in_document_order() -> None:
    policies = param_policy("params.items[0].data.replicas", "selector:\n      matchLabels:\n        type: param")
    policy = policies.policies[0]
    assert isinstance(policy, CompiledMutatingAdmissionPolicy)
    policy.params = [params("zz-first", "7"), params("aa-second", "3"), params("elsewhere", "1", "other")]
    result = evaluate(policies, deployment())
    assert result.patched["spec"]["replicas"] == 7


def test_missing_params_deny_by_default_and_allow_skips() -> None:
    with using_providers(Providers(resource=OfflineResources([]))):
        denied = evaluate(param_policy("params.data.replicas", "name: nope"), deployment())
        allowed = evaluate(
            param_policy("params.data.replicas", "name: nope\n    parameterNotFoundAction: Allow"), deployment()
        )
    assert denied.result == "error" and "no params found" in denied.message
    assert allowed is None


def test_mutation_error_is_an_error_result() -> None:
    policies = param_policy("params.data.missing", "name: big")
    with using_providers(Providers(resource=OfflineResources([params("big", "10")]))):
        result = evaluate(policies, deployment())
    assert result.result == "error"
    assert "mutation 0" in result.message


def test_binding_to_an_unknown_policy_is_an_issue() -> None:
    into = PolicySet()
    SPEC.load(parse_documents(BINDING.format(match="    objectSelector: {}")), into)
    assert into.policies == []
    assert "add-label" in str(into.issues[0])


def test_compile_errors_name_the_field() -> None:
    into = PolicySet()
    SPEC.load(parse_documents(POLICY.replace("variables.value}}}", "variables.value}}}}")), into)
    assert into.policies == []
    assert "spec.mutations[0].applyConfiguration.expression" in str(into.issues[0])


def test_kyverno_test_rows_with_params_in_file_order_and_no_resource_list(tmp_path: Path) -> None:
    from pykyverno.server.testrunner import parse_test_file, run_test

    policy = PARAM_POLICY.replace("PARAMS_EXPR", "params.items[0].data.replicas").replace(
        "PARAM_REF", "namespace: default\n    selector:\n      matchLabels:\n        type: param"
    )
    (tmp_path / "policy.yaml").write_text(policy)
    (tmp_path / "params.yaml").write_text(yaml.safe_dump_all([params("zz-first", "7"), params("aa-second", "3")]))
    (tmp_path / "resource.yaml").write_text(yaml.safe_dump(deployment()))
    patched = deployment()
    patched["spec"]["replicas"] = 7
    (tmp_path / "patched.yaml").write_text(yaml.safe_dump(patched))
    test_file = tmp_path / "kyverno-test.yaml"
    test_file.write_text(
        "apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata:\n  name: t\npolicies: [policy.yaml]\n"
        "resources: [resource.yaml]\nparamResources: [params.yaml]\nresults:\n- isMutatingAdmissionPolicy: true\n"
        "  kind: Deployment\n  policy: replicas\n  patchedResources: patched.yaml\n  result: pass\n"
    )
    [test] = parse_test_file(test_file)
    [outcome] = run_test(test).outcomes
    assert outcome.passed, outcome
