"""ValidatingPolicy evaluation: Kyverno's order, actions, exceptions, autogen and error handling."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult

POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: require-team-label
  annotations:
    policies.kyverno.io/severity: medium
    policies.kyverno.io/category: Best Practices
spec:
  validationActions: [{action}]
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [pods]
  variables:
  - name: labels
    expression: object.metadata.?labels.orValue({{}})
  - name: team
    expression: variables.labels[?'team'].orValue('')
  validations:
  - expression: variables.team != ''
    messageExpression: "'pod ' + object.metadata.name + ' has no team label'"
  - expression: variables.team.startsWith('t-')
    message: team must start with t-
"""


def load(text: str) -> PolicySet:
    policies = load_documents(parse_documents(text, "inline.yaml"))
    assert not policies.issues, [str(i) for i in policies.issues]
    return policies


def pod(name: str = "p", labels: dict[str, str] | None = None, namespace: str = "default") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [{"name": "c", "image": "x"}]}}


def deployment(labels: dict[str, str] | None = None) -> dict[str, Any]:
    template = pod("ignored", labels)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"template": {"metadata": template["metadata"], "spec": template["spec"]}},
    }


def evaluate(policies: PolicySet, obj: dict[str, Any], **kwargs: Any) -> list[RuleResult]:
    options = kwargs.pop("options", None)
    ctx = AdmissionContext(object=obj, **kwargs)
    out = []
    for policy in policies.policies:
        result = policy.evaluate(ctx, policies.exceptions, options)
        if result is not None:
            out.append(result)
    return out


def test_pass_fail_and_message_expression() -> None:
    policies = load(POLICY.format(action="Audit"))
    assert [r.result for r in evaluate(policies, pod(labels={"team": "t-a"}))] == ["pass"]
    [failed] = evaluate(policies, pod("web"))
    assert failed.result == "fail"
    assert failed.message == "pod web has no team label"
    assert failed.properties["cel.validationIndex"] == "0"
    assert failed.severity == "medium" and failed.category == "Best Practices"


def test_validations_stop_at_first_false() -> None:
    policies = load(POLICY.format(action="Audit"))
    [failed] = evaluate(policies, pod(labels={"team": "ops"}))
    assert failed.validation_index == 1
    assert failed.message == "team must start with t-"


@pytest.mark.parametrize(
    ("action", "audit_warn", "expected"),
    [("Deny", False, "fail"), ("Audit", False, "fail"), ("Audit", True, "warn"), ("Warn", False, "warn")],
)
def test_validation_actions(action: str, audit_warn: bool, expected: str) -> None:
    policies = load(POLICY.format(action=action))
    [result] = evaluate(policies, pod(), options=EvaluationOptions(audit_warn=audit_warn))
    assert result.result == expected


def test_autogen_covers_deployments_and_rewrites_paths() -> None:
    policies = load(POLICY.format(action="Audit"))
    assert {p.autogen for p in policies.policies} == {"", "defaults", "cronjobs"}
    assert [r.result for r in evaluate(policies, deployment({"team": "t-x"}))] == ["pass"]
    [failed] = evaluate(policies, deployment({}))
    assert failed.result == "fail" and failed.resource.kind == "Deployment"


def test_operation_not_matched_gives_no_result() -> None:
    policies = load(POLICY.format(action="Audit"))
    assert evaluate(policies, pod(), operation="DELETE") == []


EXCEPTION = """
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata:
  name: {name}
  namespace: kyverno
  labels:
    polex.kyverno.io/priority: "{priority}"
spec:
  reportResult: {report}
  policyRefs:
  - name: require-team-label
    kind: ValidatingPolicy
  matchConditions:
  - name: legacy
    expression: object.metadata.name.startsWith('legacy-')
"""


def test_exception_skips_or_passes_by_priority() -> None:
    text = POLICY.format(action="Deny") + "---" + EXCEPTION.format(name="low", priority=1, report="skip")
    text += "---" + EXCEPTION.format(name="high", priority=5, report="pass")
    policies = load(text)
    [result] = evaluate(policies, pod("legacy-app"))
    assert result.result == "pass"
    assert result.message == "rule is passed due to policy exception: kyverno/high,kyverno/low"
    [other] = evaluate(policies, pod("new-app"))
    assert other.result == "fail"


def test_expired_exception_is_ignored() -> None:
    text = POLICY.format(action="Deny") + "---" + EXCEPTION.format(name="old", priority=1, report="skip")
    text += "  expiresAt: '2020-01-01T00:00:00Z'\n"
    [result] = evaluate(load(text), pod("legacy-app"))
    assert result.result == "fail"


def test_exception_allowed_values_are_exposed() -> None:
    text = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: allowed-images}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: object.spec.containers.all(c, c.image in ['safe'] || c.image in exceptions.allowedValues)
---
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: allow-x}
spec:
  policyRefs: [{name: allowed-images, kind: ValidatingPolicy}]
  allowedValues: [x]
"""
    [result] = evaluate(load(text), pod())
    assert result.result == "pass"


def test_match_conditions_and_failure_policy() -> None:
    text = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: guarded}
spec:
  failurePolicy: {policy}
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  matchConditions:
  - name: only-prod
    expression: object.metadata.labels.env == 'prod'
  validations:
  - expression: "false"
"""
    fail = load(text.replace("{policy}", "Fail"))
    [error] = evaluate(fail, pod(labels={}))
    assert error.result == "error" and "no such key: env" in error.message
    assert evaluate(fail, pod(labels={"env": "dev"})) == []
    assert [r.result for r in evaluate(fail, pod(labels={"env": "prod"}))] == ["fail"]
    assert evaluate(load(text.replace("{policy}", "Ignore")), pod(labels={})) == []


def test_namespaced_policy_applies_only_in_its_namespace() -> None:
    text = POLICY.format(action="Audit").replace("kind: ValidatingPolicy", "kind: NamespacedValidatingPolicy")
    text = text.replace("  name: require-team-label\n", "  name: require-team-label\n  namespace: team-a\n")
    policies = load(text)
    assert evaluate(policies, pod(namespace="team-b")) == []
    [result] = evaluate(policies, pod(namespace="team-a"))
    assert result.policy == "team-a/require-team-label"


def test_namespace_selector_uses_namespace_object() -> None:
    text = POLICY.format(action="Audit").replace(
        "    resourceRules:", "    namespaceSelector:\n      matchLabels: {tier: prod}\n    resourceRules:"
    )
    policies = load(text)
    prod = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default", "labels": {"tier": "prod"}}}
    dev = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default", "labels": {"tier": "dev"}}}
    assert len(evaluate(policies, pod(), namespace_object=prod)) == 1
    assert evaluate(policies, pod(), namespace_object=dev) == []


def test_failing_variable_only_fails_expressions_that_use_it() -> None:
    text = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: vars}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  variables:
  - {name: broken, expression: object.spec.missing.field}
  - {name: fine, expression: size(object.spec.containers)}
  validations:
  - expression: variables.fine == 1
  - expression: variables.broken == 1
"""
    [result] = evaluate(load(text), pod())
    assert result.result == "error"
    assert result.validation_index == 1
    assert "variable 'broken' failed: no such key: missing" in result.message


def test_bad_documents_are_reported_and_the_rest_loads() -> None:
    text = POLICY.format(action="Audit") + """
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: bad-cel}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: object.metadata.name ==
---
apiVersion: policies.kyverno.io/v1
kind: Frobnicator
metadata: {name: what}
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: bad-schema}
spec:
  failurePolicy: Sometimes
  validations: [{expression: "true"}]
"""
    policies = load_documents(parse_documents(text, "mixed.yaml"))
    messages = sorted(str(i) for i in policies.issues)
    assert len(messages) == 3
    assert "mixed.yaml (document 2)" in messages[0] and "spec.validations[0].expression" in messages[0]
    assert "^" in messages[0]
    assert "mixed.yaml (document 3)" in messages[1] and "unknown policy kind 'Frobnicator'" in messages[1]
    assert "mixed.yaml (document 4)" in messages[2] and "spec.failurePolicy" in messages[2]
    assert policies.names() == ["require-team-label"]
    assert [r.result for r in evaluate(policies, pod())] == ["fail"]


def test_estimated_cost_limit_is_opt_in(tmp_path: Any) -> None:
    """Kyverno compiles an expression whatever its estimated cost; --cel-cost-limit refuses it on request."""
    from pykyverno.engine.cel import cost_limit, set_cost_limit
    from pykyverno.server.cli import main

    nested = "object.spec.containers.all(a, object.spec.containers.all(b, object.spec.containers.all(c, "
    nested += "object.spec.containers.all(d, a.name + b.name + c.name != d.name))))"
    text = POLICY.format(action="Audit").replace("variables.team != ''", nested)
    assert not load_documents(parse_documents(text, "costly.yaml")).issues
    path = tmp_path / "costly.yaml"
    path.write_text(text)
    resource = tmp_path / "pod.yaml"
    resource.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n")
    default = cost_limit()
    try:
        # loaded and evaluated (the pod fails a later check: an Audit failure exits 1, as in Kyverno's CLI)
        assert main(["apply", str(path), "-r", str(resource), "-o", "json"]) == 1
        assert main(["--cel-cost-limit", "1000000", "apply", str(path), "-r", str(resource), "-o", "json"]) != 0
        [issue] = load_documents(parse_documents(text, "costly.yaml")).issues
        assert "spec.validations[0].expression" in str(issue) and "estimated expression cost" in str(issue)
    finally:
        set_cost_limit(default)
