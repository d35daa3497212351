"""Policy settings read from the right place (issue 13): ClusterPolicy background and failurePolicy, the default
validationActions of a ValidatingPolicy, PolicyExceptions whose CEL does not compile, and one message rule."""

from __future__ import annotations

from typing import Any

from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.request import admission_request

CLUSTER_POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: cp}}
spec:
  {settings}
  rules:
  - name: r
    match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}
    validate:
      cel:
        expressions:
        - expression: "object.spec.missing.field == 'x'"
          message: needs the field
"""

VALIDATING_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: vp}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  validations:
  - expression: "has(object.metadata.labels)"
    message: static message
    messageExpression: "'first line\\\\nsecond line'"
"""


def pod(**labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default", "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def test_cluster_policy_background_false_is_read_from_spec_background() -> None:
    loaded = load_documents(parse_documents(CLUSTER_POLICY.format(settings="background: false")))
    assert not loaded.issues and loaded.policies
    assert all(p.background is False for p in loaded.policies)
    default = load_documents(parse_documents(CLUSTER_POLICY.format(settings="background: true")))
    assert all(p.background is True for p in default.policies)


def test_cluster_policy_failure_policy_is_honoured() -> None:
    results = {}
    for failure_policy in ("Fail", "Ignore"):
        loaded = load_documents(parse_documents(CLUSTER_POLICY.format(settings=f"failurePolicy: {failure_policy}")))
        [policy] = [p for p in loaded.policies if not p.autogen]
        result = policy.evaluate(admission_request(pod()))
        assert result is not None
        results[failure_policy] = result.result
    # Kyverno's validate.cel handler: an error denies under Fail (a failure) and is admitted as an error under Ignore.
    assert results == {"Fail": "fail", "Ignore": "error"}


def test_validating_policy_without_validation_actions_denies() -> None:
    [policy, *_] = load_documents(parse_documents(VALIDATING_POLICY)).policies
    ctx = admission_request({**pod(), "metadata": {"name": "p", "namespace": "default"}})
    result = policy.evaluate(ctx, [], EvaluationOptions(audit_warn=True))
    assert result is not None
    assert (result.result, result.actions) == ("fail", ("Deny",))


def test_multi_line_message_expression_falls_back_to_the_message() -> None:
    [policy, *_] = load_documents(parse_documents(VALIDATING_POLICY)).policies
    result = policy.evaluate(admission_request({**pod(), "metadata": {"name": "p", "namespace": "default"}}))
    assert result is not None and result.message == "static message"


def test_exception_whose_cel_does_not_compile_is_a_load_issue() -> None:
    text = """
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: broken, namespace: default}
spec:
  policyRefs: [{name: vp, kind: ValidatingPolicy}]
  matchConditions:
  - name: typo
    expression: "object.metadata.name == "
"""
    loaded = load_documents(parse_documents(text))
    assert loaded.exceptions == []
    [issue] = loaded.issues
    assert (issue.kind, issue.name, issue.path) == ("PolicyException", "broken", "spec.matchConditions[0].expression")
    assert issue.expression_line == 1 and issue.expression_column is not None


def test_diagnostics_take_the_position_of_their_field_from_the_document() -> None:
    from collections.abc import Sequence

    from pykyverno.engine.diagnostics import Diagnostic
    from pykyverno.engine.documents import Document

    class Positioned(Document):
        def position(self, path: Sequence[str | int]) -> tuple[int, int] | None:
            return (7, 5) if tuple(path) == ("spec", "validations", 0, "expression") else None

    doc = Positioned({"kind": "ValidatingPolicy", "metadata": {"name": "vp"}}, "policy.yaml", 2)
    placed = Diagnostic("bad", path="spec.validations[0].expression").located(doc)
    assert (placed.file, placed.document, placed.kind, placed.name) == ("policy.yaml", 2, "ValidatingPolicy", "vp")
    assert (placed.line, placed.column) == (7, 5)
    assert str(placed).startswith("policy.yaml (document 3): ValidatingPolicy 'vp': spec.validations[0].expression")


def test_a_missing_field_is_placed_at_its_nearest_present_parent() -> None:
    from collections.abc import Sequence

    from pykyverno.engine.diagnostics import Diagnostic
    from pykyverno.engine.documents import Document

    class Positioned(Document):
        def position(self, path: Sequence[str | int]) -> tuple[int, int] | None:
            known: dict[tuple[str | int, ...], tuple[int, int]] = {(): (1, 1), ("spec",): (5, 1)}
            return known.get(tuple(path))

    doc = Positioned({"kind": "ValidatingPolicy", "spec": {}}, "policy.yaml", 0)
    assert Diagnostic("required", path="spec.matchConstraints").located(doc).line == 5
    assert Diagnostic("unsupported kind").located(doc).line == 1
