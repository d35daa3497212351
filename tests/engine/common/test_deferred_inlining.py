"""The inlined form of an expression that reads variables is compiled on first use: a policy evaluated only on Pods
never compiles its pod-controller variants' inlined forms, and deferring changes no result."""

from __future__ import annotations

from typing import Any

from pykyverno.engine.common.expressions import BoundProgram
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.request import AdmissionContext

POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: no-privileged}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]
  variables:
  - name: containers
    expression: object.spec.containers
  validations:
  - expression: "!variables.containers.exists(c, c.?securityContext.?privileged.orValue(false))"
    message: privileged
"""


def _bound(policy: Any) -> list[BoundProgram]:
    return [v.program for v in policy.validations if isinstance(v.program, BoundProgram)]


def _pod(privileged: bool) -> dict[str, Any]:
    container = {"name": "c", "image": "nginx", "securityContext": {"privileged": privileged}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
            "spec": {"containers": [container]}}


def test_inlined_forms_are_compiled_when_first_evaluated_and_only_then() -> None:
    loaded = load_documents(parse_documents(POLICY))
    assert not loaded.issues and len(loaded.policies) > 1  # the Pod policy and its autogen variants
    pod_policy, *variants = loaded.policies
    assert all(p._build is not None for policy in loaded.policies for p in _bound(policy))  # nothing compiled yet
    results = [pod_policy.evaluate(AdmissionContext(operation="CREATE", object=_pod(flag))) for flag in (True, False)]
    assert [r.result for r in results if r is not None] == ["fail", "pass"]
    assert all(p._build is None and p.inlined is not None for p in _bound(pod_policy))
    assert all(p._build is not None for variant in variants for p in _bound(variant))  # never needed


def test_a_deferred_form_is_built_once() -> None:
    calls: list[int] = []
    loaded = load_documents(parse_documents(POLICY))
    program = _bound(loaded.policies[0])[0]
    built = program.inlined

    def build() -> Any:
        calls.append(1)
        return built

    deferred = BoundProgram(program.program, build=build)
    assert deferred.inlined is built and deferred.inlined is built and calls == [1]
