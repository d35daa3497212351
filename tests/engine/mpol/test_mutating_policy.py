"""MutatingPolicy: loading, evaluation order, ApplyConfiguration/JSONPatch, autogen, exceptions, mutate-existing."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.documents import parse_documents, read_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.mpol.policy import CompiledMutatingPolicy
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed"


def load(text: str) -> PolicySet:
    policies = load_documents(parse_documents(text))
    assert not policies.issues, [str(i) for i in policies.issues]
    return policies


def seed_policies() -> PolicySet:
    policies = load_documents(read_documents(SEED / "add-pod-run-as-non-root.yaml"))
    assert not policies.issues, [str(i) for i in policies.issues]
    return policies


def pod(security_context: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "nginx"}]}
    if security_context is not None:
        spec["securityContext"] = security_context
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", **meta},
        "spec": spec,
    }


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "app", "image": "nginx"}]},
            },
        },
    }


def evaluate(policies: PolicySet, obj: dict[str, Any], operation: str = "CREATE", **kwargs: Any) -> list[Any]:
    ctx = AdmissionContext(operation=operation, object=obj, old_object=obj if operation == "UPDATE" else None)
    results = [p.evaluate(ctx, **kwargs) for p in policies.policies]
    return [r for r in results if r is not None]


# -- the seed article's add-pod-run-as-non-root -------------------------------------------------------------------


def test_seed_policy_adds_run_as_non_root() -> None:
    [result] = evaluate(seed_policies(), pod())
    assert result.result == "pass"
    assert result.policy_kind == "MutatingPolicy"
    assert result.patched["spec"]["securityContext"] == {"runAsNonRoot": True}
    assert result.patched["spec"]["containers"] == [{"name": "app", "image": "nginx"}]


def test_seed_policy_keeps_run_as_non_root_false() -> None:
    original = pod({"runAsNonRoot": False, "fsGroup": 2000})
    [result] = evaluate(seed_policies(), original)
    assert result.result == "pass"
    assert result.patched["spec"]["securityContext"] == {"runAsNonRoot": False, "fsGroup": 2000}
    assert original["spec"]["securityContext"] == {"runAsNonRoot": False, "fsGroup": 2000}


def test_seed_policy_adds_to_an_existing_security_context() -> None:
    [result] = evaluate(seed_policies(), pod({"runAsUser": 1000}), operation="UPDATE")
    assert result.patched["spec"]["securityContext"] == {"runAsUser": 1000, "runAsNonRoot": True}


def test_seed_policy_autogen_mutates_a_deployment_pod_template() -> None:
    policies = seed_policies()
    assert sorted(p.autogen for p in policies.policies) == ["", "cronjobs", "defaults"]
    [result] = evaluate(policies, deployment())
    template = result.patched["spec"]["template"]
    assert template["spec"]["securityContext"] == {"runAsNonRoot": True}
    assert "securityContext" not in result.patched["spec"]
    assert template["metadata"] == {"labels": {"app": "d"}}


def test_seed_policy_does_not_touch_other_kinds() -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}}
    assert evaluate(seed_policies(), config_map) == []


# -- conditions, variables, JSONPatch ----------------------------------------------------------------------------

LABELLER = """
apiVersion: policies.kyverno.io/v1beta1
kind: MutatingPolicy
metadata:
  name: labeller
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["pods"]
  matchConditions:
  - name: dev-only
    expression: object.metadata.namespace == 'dev'
  variables:
  - name: team
    expression: "'platform'"
  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: |
        has(object.metadata.labels)
          ? [{"op": "add", "path": "/metadata/labels/" + jsonpatch.escapeKey("team/name"), "value": variables.team}]
          : [{"op": "add", "path": "/metadata/labels", "value": {"team/name": variables.team}}]
  - patchType: JSONPatch
    jsonPatch:
      expression: |
        [{"op": "add", "path": "/metadata/annotations", "value": {"labels": string(size(object.metadata.labels))}}]
"""


def test_match_condition_false_does_not_apply() -> None:
    assert evaluate(load(LABELLER), pod()) == []


def test_json_patch_mutations_run_in_order_with_variables() -> None:
    obj = pod()
    obj["metadata"]["namespace"] = "dev"
    [result] = evaluate(load(LABELLER), obj)
    assert result.result == "pass"
    assert result.patched["metadata"]["labels"] == {"team/name": "platform"}
    assert result.patched["metadata"]["annotations"] == {"labels": "1"}, "second mutation sees the first's result"


def test_json_patch_error_is_an_error_result() -> None:
    text = LABELLER.replace('"/metadata/annotations"', '"/metadata/missing/annotations"')
    obj = pod()
    obj["metadata"]["namespace"] = "dev"
    [result] = evaluate(load(text), obj)
    assert result.result == "error"
    assert "mutation 1" in result.message and "missing path" in result.message


def test_failure_policy_ignore_swallows_errors() -> None:
    text = LABELLER.replace('"/metadata/annotations"', '"/metadata/missing/annotations"')
    text = text.replace("  matchConditions:", "  failurePolicy: Ignore\n  matchConditions:")
    obj = pod()
    obj["metadata"]["namespace"] = "dev"
    assert evaluate(load(text), obj) == []


def test_compile_errors_are_reported_with_paths() -> None:
    text = LABELLER.replace("variables.team}]", "variables.team}]]")
    policies = load_documents(parse_documents(text))
    assert len(policies.issues) == 1
    assert "spec.mutations[0].jsonPatch.expression" in str(policies.issues[0])


# -- reinvocation --------------------------------------------------------------------------------------------------

COUNTER = """
apiVersion: policies.kyverno.io/v1
kind: MutatingPolicy
metadata:
  name: counter
spec:
  reinvocationPolicy: {policy}
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps"]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        {{"data": {{"count": string(int(object.?data.?count.orValue("0")) + 1)}}}}
"""


def config_map() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}}


def test_reinvocation_if_needed_runs_the_mutations_again() -> None:
    [never] = evaluate(load(COUNTER.format(policy="Never")), config_map())
    [again] = evaluate(load(COUNTER.format(policy="IfNeeded")), config_map())
    assert never.patched["data"] == {"count": "1"}
    assert again.patched["data"] == {"count": "2"}


# -- exceptions ------------------------------------------------------------------------------------------------------

EXCEPTION = """
apiVersion: policies.kyverno.io/v1beta1
kind: PolicyException
metadata:
  name: skip-system
  namespace: kyverno
spec:
  policyRefs:
  - name: add-pod-run-as-non-root
    kind: MutatingPolicy
  matchConditions:
  - name: system
    expression: object.metadata.namespace == 'kube-system'
"""


def exceptions(report_result: str = "skip") -> list[PolicyException]:
    data = yaml.safe_load(EXCEPTION)
    data["spec"]["reportResult"] = report_result
    return [PolicyException.from_dict(data)]


def test_exception_skips_matching_resources() -> None:
    obj = pod()
    obj["metadata"]["namespace"] = "kube-system"
    [result] = evaluate(seed_policies(), obj, exceptions=exceptions())
    assert result.result == "skip"
    assert result.patched is None
    assert "kyverno/skip-system" in result.message


def test_exception_with_pass_report_result() -> None:
    obj = pod()
    obj["metadata"]["namespace"] = "kube-system"
    [result] = evaluate(seed_policies(), obj, exceptions=exceptions("pass"))
    assert result.result == "pass" and result.patched is None


def test_exception_not_matching_lets_the_mutation_apply() -> None:
    [result] = evaluate(seed_policies(), pod(), exceptions=exceptions())
    assert result.result == "pass"
    assert result.patched["spec"]["securityContext"] == {"runAsNonRoot": True}


# -- namespaced policies and mutate-existing ---------------------------------------------------------------------


def test_namespaced_policy_applies_only_in_its_namespace() -> None:
    text = (SEED / "add-pod-run-as-non-root.yaml").read_text()
    text = text.replace("kind: MutatingPolicy", "kind: NamespacedMutatingPolicy").replace(
        "name: add-pod-run-as-non-root", "name: nonroot\n  namespace: team-a"
    )
    policies = load(text)
    assert policies.policies[0].name == "team-a/nonroot"
    assert evaluate(policies, pod()) == []
    obj = pod()
    obj["metadata"]["namespace"] = "team-a"
    [result] = evaluate(policies, obj)
    assert result.result == "pass"


MUTATE_EXISTING = """
apiVersion: policies.kyverno.io/v1beta1
kind: MutatingPolicy
metadata:
  name: label-configmaps
spec:
  evaluation:
    mutateExisting:
      enabled: true
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["secrets"]
  targetMatchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["configmaps"]
    objectSelector:
      matchLabels:
        watched: "yes"
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: '{"metadata": {"labels": {"trigger": request.name}}}'
"""


def test_mutate_existing_mutates_selected_targets_only() -> None:
    [policy] = load(MUTATE_EXISTING).policies
    assert isinstance(policy, CompiledMutatingPolicy)
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}}
    watched = config_map()
    watched["metadata"]["labels"] = {"watched": "yes"}
    ignored = copy.deepcopy(config_map())
    ignored["metadata"]["name"] = "other"
    ctx = AdmissionContext(operation="CREATE", object=secret)
    assert policy.evaluate(ctx) is None, "the trigger itself is not mutated"
    [result] = policy.evaluate_targets(ctx, [watched, ignored])
    assert result.resource.name == "c"
    assert result.patched is not None
    assert result.patched["metadata"]["labels"] == {"watched": "yes", "trigger": "s"}


def test_invalid_policies_are_load_issues() -> None:
    text = LABELLER.replace("patchType: JSONPatch", "patchType: Merge", 1)
    policies = load_documents(parse_documents(text))
    assert policies.policies == []
    assert "patchType" in str(policies.issues[0])
    missing = LABELLER.replace(
        "    jsonPatch:\n      expression: |\n        has",
        "    other:\n      expression: |\n        has",
    )
    policies = load_documents(parse_documents(missing))
    assert "jsonPatch.expression: required" in str(policies.issues[0])


# -- kyverno-test.yaml: patchedResources comparison and mutate-existing targets ----------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_patched_comparison_tidies_and_defaults_the_namespace(tmp_path: Path) -> None:
    from pykyverno.server.testrunner.patched import patched_verdict, tidy

    assert tidy({"a": None, "b": {}, "c": [], "d": [{}], "e": {"f": 0}}) == {"e": {"f": 0}}
    expected = write(
        tmp_path,
        "patched.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: nginx\n"
        "    resources: {}\n  securityContext:\n    runAsNonRoot: true\n",
    )
    [result] = evaluate(seed_policies(), pod())
    assert patched_verdict(expected, pod(), [result]) == ("pass", "")
    [kept] = evaluate(seed_policies(), pod({"runAsNonRoot": False}))
    verdict, reason = patched_verdict(expected, pod(), [kept])
    assert verdict == "fail" and "runAsNonRoot" in reason


def test_patched_comparison_falls_back_to_the_content_of_a_differently_named_object(tmp_path: Path) -> None:
    from pykyverno.server.testrunner.patched import patched_verdict

    expected = write(
        tmp_path, "patched.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: other\nspec:\n  containers:\n"
        "  - name: app\n    image: nginx\n  securityContext:\n    runAsNonRoot: true\n"
    )
    [result] = evaluate(seed_policies(), pod())
    assert patched_verdict(expected, pod(), [result]) == ("pass", "")


TARGET_TEST = """
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: mutate-existing
policies: [policy.yaml]
resources: [trigger.yaml]
targetResources: [target.yaml]
results:
- isMutatingPolicy: true
  kind: ConfigMap
  policy: label-configmaps
  resources: [default/c]
  patchedResources: patched.yaml
  result: pass
- isMutatingPolicy: true
  kind: ConfigMap
  policy: label-configmaps
  resources: [default/other]
  result: skip
"""


def test_mutate_existing_rows_name_target_resources(tmp_path: Path) -> None:
    from pykyverno.server.testrunner import parse_test_file, run_test

    write(tmp_path, "policy.yaml", MUTATE_EXISTING)
    write(tmp_path, "trigger.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n")
    write(
        tmp_path,
        "target.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    watched: 'yes'\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n",
    )
    write(
        tmp_path,
        "patched.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    watched: 'yes'\n    trigger: s\n",
    )
    [test] = parse_test_file(write(tmp_path, "kyverno-test.yaml", TARGET_TEST))
    outcomes = run_test(test).outcomes
    assert [(o.actual, o.passed) for o in outcomes] == [("pass", True), ("skip", True)], outcomes
