"""Variables are lazy in every kind that has them (issue 14, class 1).

Kubernetes' admission policies and Kyverno's CEL policies evaluate a variable when an expression first reads it
(``k8s.io/apiserver`` ``cel/lazy``, Kyverno's ``lazy.MapValue``): a variable whose evaluation fails only fails the
evaluations that read it. The shape below is issue 14's: ``isPodController`` is an error on a Pod (``no such key:
template``), but ``podSpec`` reads it only for a pod controller.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from pykyverno.engine.cel import environment_for
from pykyverno.engine.common.expressions import CompiledVariables, Compiler, Scope
from pykyverno.engine.common.model import NamedExpression
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.results import RuleResult
from pykyverno.engine.vpol import SPEC as VALIDATING_POLICY

#: The issue's variables, as YAML list items (indented for a ``variables:`` key at four spaces).
POD_SPEC_VARIABLES = """
  - name: isPod
    expression: "object.kind == 'Pod'"
  - name: isPodController
    expression: "has(object.spec.template.spec)"
  - name: podSpec
    expression: "variables.isPod ? object.spec : (variables.isPodController ? object.spec.template.spec : {})"
"""

PODS = "- {apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [pods]}"
CONFIGMAPS = "- {apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}"


def _variables(indent: int) -> str:
    pad = " " * indent
    return "".join(f"{pad}{line}\n" for line in textwrap.dedent(POD_SPEC_VARIABLES).strip("\n").splitlines())


def pod(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.0"}], **spec},
    }


def evaluate(text: str, obj: dict[str, Any]) -> list[RuleResult]:
    policies = load_documents(parse_documents(text))
    assert not policies.issues, [str(i) for i in policies.issues]
    ctx = AdmissionContext(operation="CREATE", object=obj)
    options = EvaluationOptions()
    results = []
    for policy in policies.policies:
        result = policy.evaluate(ctx, [], options)
        if isinstance(result, list):
            results.extend(result)
        elif result is not None:
            results.append(result)
    return results


VPOL = f"""
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {{name: lazy}}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    {PODS}
  variables:
{_variables(2)}
  validations:
  - expression: "variables.podSpec.containers.all(c, c.image != '')"
    messageExpression: "'containers: ' + string(size(variables.podSpec.containers))"
"""

MPOL = f"""
apiVersion: policies.kyverno.io/v1beta1
kind: MutatingPolicy
metadata: {{name: lazy}}
spec:
  matchConstraints:
    resourceRules:
    {PODS}
  variables:
{_variables(2)}
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >
        Object{{metadata: Object.metadata{{labels: {{"containers": string(size(variables.podSpec.containers))}}}}}}
"""

GPOL = f"""
apiVersion: policies.kyverno.io/v1beta1
kind: GeneratingPolicy
metadata: {{name: lazy}}
spec:
  matchConstraints:
    resourceRules:
    {PODS}
  variables:
{_variables(2)}  - name: configMap
    expression: >
      [{{"apiVersion": dyn("v1"), "kind": dyn("ConfigMap"),
        "metadata": dyn({{"name": "p-containers", "namespace": "default"}}),
        "data": dyn({{"count": string(size(variables.podSpec.containers))}})}}]
  generate:
  - expression: generator.Apply("default", variables.configMap)
"""

DPOL = f"""
apiVersion: policies.kyverno.io/v1beta1
kind: DeletingPolicy
metadata: {{name: lazy}}
spec:
  schedule: "0 * * * *"
  matchConstraints:
    resourceRules:
    {PODS}
  variables:
{_variables(2)}
  conditions:
  - name: has-containers
    expression: "size(variables.podSpec.containers) > 0"
"""

IVPOL = f"""
apiVersion: policies.kyverno.io/v1beta1
kind: ImageValidatingPolicy
metadata: {{name: lazy}}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    {PODS}
  matchImageReferences:
  - glob: "*"
  variables:
{_variables(2)}
  validations:
  - expression: "size(variables.podSpec.containers) == size(images.containers)"
"""

VAP = f"""
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: lazy}}
spec:
  matchConstraints:
    resourceRules:
    {PODS}
  variables:
{_variables(2)}
  validations:
  - expression: "variables.podSpec.containers.all(c, c.image != '')"
"""

MAP = f"""
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata: {{name: lazy}}
spec:
  matchConstraints:
    resourceRules:
    {PODS}
  variables:
{_variables(2)}
  reinvocationPolicy: Never
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >
        Object{{metadata: Object.metadata{{labels: {{"containers": string(size(variables.podSpec.containers))}}}}}}
"""

CPOL = f"""
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: lazy}}
spec:
  validationFailureAction: Audit
  rules:
  - name: containers
    match: {{any: [{{resources: {{kinds: [Pod]}}}}]}}
    validate:
      cel:
        variables:
{_variables(8)}
        expressions:
        - expression: "variables.podSpec.containers.all(c, c.image != '')"
"""


@pytest.mark.parametrize(
    ("kind", "text"),
    [("vpol", VPOL), ("mpol", MPOL), ("gpol", GPOL), ("dpol", DPOL), ("ivpol", IVPOL), ("vap", VAP), ("map", MAP),
     ("cpol", CPOL)],
)
def test_a_variable_that_would_fail_but_is_not_read_does_not_fail_the_policy(kind: str, text: str) -> None:
    results = evaluate(text, pod())
    assert results, kind
    for result in results:
        assert result.result == "pass", (kind, result.result, result.message)


def test_mutation_reads_the_variable_on_the_path_taken() -> None:
    [result] = evaluate(MPOL, pod(initContainers=[{"name": "i", "image": "busybox"}]))
    assert result.result == "pass" and result.patched is not None
    assert result.patched["metadata"]["labels"] == {"containers": "1"}


def test_generation_reads_the_variable_on_the_path_taken() -> None:
    [result] = evaluate(GPOL, pod())
    assert result.result == "pass", result.message
    [generated] = result.generated
    assert generated["data"] == {"count": "1"}


READ_FAILURE = f"""
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {{name: read-failure}}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    {PODS}
  variables:
  - name: broken
    expression: "object.spec.template.spec"
  - name: fine
    expression: "object.spec.containers"
  - name: uses
    expression: "object.kind == 'Pod' ? variables.fine : variables.broken"
  validations:
  - expression: "size(variables.uses) == 1"
  - expression: "object.kind == 'Pod' || size(variables.broken) > 0"
  - expression: "size(variables.broken) > 0"
"""


def test_a_variable_read_on_the_path_taken_fails_with_its_error() -> None:
    [result] = evaluate(READ_FAILURE, pod())
    assert result.result == "error"
    assert "variable 'broken' failed: no such key: template" in result.message


def _scope(definitions: list[tuple[str, str]], data: dict[str, Any]) -> tuple[Compiler, Scope]:
    compiler = Compiler(environment_for(VALIDATING_POLICY.cel))
    variables = CompiledVariables.compile(
        compiler, [NamedExpression(name=n, expression=e) for n, e in definitions], "spec.variables"
    )
    assert not compiler.errors
    return compiler, Scope(compiler.env, data, variables)


DEFINITIONS = [
    ("isPod", "object.kind == 'Pod'"),
    ("isPodController", "has(object.spec.template.spec)"),
    ("podSpec", "variables.isPod ? object.spec : (variables.isPodController ? object.spec.template.spec : {})"),
    ("maybeHost", "object.spec.?hostNetwork"),
    ("hostNetwork", "variables.maybeHost.orValue(false)"),
]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Bound inline (cel.bind is lazy) ...
        ("size(variables.podSpec.containers)", 1),
        ("variables.isPod || variables.isPodController", True),
        ("variables.maybeHost.orValue(false)", False),
        ("variables.maybeHost.hasValue()", False),
        ("variables.hostNetwork", False),  # a variable reading a variable that holds an optional
        # ... and as written (a variable read dynamically cannot be bound inline): the same answers.
        ("size(variables[object.kind == 'Pod' ? 'podSpec' : 'x'].containers)", 1),
        ("variables[object.kind == 'Pod' ? 'isPod' : 'isPodController']", True),
    ],
)
def test_expressions_read_variables_lazily(expression: str, expected: Any) -> None:
    compiler, scope = _scope(DEFINITIONS, {"object": pod()})
    program = compiler.compile_expression(expression, "e")
    assert program is not None, compiler.errors
    assert scope.evaluate(program) == expected


def test_as_written_read_of_a_failed_variable_names_it() -> None:
    compiler, scope = _scope(DEFINITIONS, {"object": pod()})
    program = compiler.compile_expression("variables[object.kind == 'Pod' ? 'isPodController' : 'isPod']", "e")
    assert program is not None
    with pytest.raises(Exception, match="variable 'isPodController' failed: no such key: template"):
        scope.evaluate(program)


def test_variables_are_evaluated_once() -> None:
    compiler, scope = _scope(DEFINITIONS, {"object": pod()})
    program = compiler.compile_expression("variables[object.kind == 'Pod' ? 'isPod' : 'podSpec']", "e")
    assert program is not None
    assert scope.evaluate(program) is True
    # As written, a dynamic read may read any variable: each is evaluated once, and the ones that fail (not read
    # on this path) do not fail the expression; maybeHost holds an optional, which has no plain form there (but
    # hostNetwork, which reads it, is computed with it bound inline).
    assert set(scope.failures) == {"isPodController", "maybeHost"}
    pod_spec = scope.values["podSpec"]
    again = compiler.compile_expression("variables[object.kind == 'Pod' ? 'podSpec' : 'x']", "f")
    assert again is not None and scope.evaluate(again) == pod_spec
    assert scope.values["podSpec"] is pod_spec  # not evaluated again
