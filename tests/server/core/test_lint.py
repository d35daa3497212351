"""Lint reports every problem in one pass, as structured diagnostics (issue 13: lint that stops at the first error)."""

from __future__ import annotations

from pykyverno.server.core.lint import lint

POLICY = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: two-problems
  annotations:
    policies.kyverno.io/severity: low
    pykyverno.io/remediation: Fix it.
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expresion: "has(object.metadata.labels)"
    message: needs labels
  - expression: "object.spec.containers.all(c, c.image ==)"
    message: broken CEL
"""


def test_schema_error_unknown_field_and_cel_error_in_one_pass() -> None:
    report = lint(POLICY)
    assert not report.valid
    found = {(d.path, d.message) for d in report.errors}
    assert ("spec.validations[0].expresion", "unknown field 'expresion' (did you mean 'expression'?)") in found
    assert ("spec.validations[0].expression", "Field required") in found
    [cel] = [d for d in report.errors if d.path == "spec.validations[1].expression"]
    assert cel.expression_line == 1 and cel.expression_column == 41 and "^" in cel.snippet
    assert all(d.document == 0 and d.kind == "ValidatingPolicy" and d.name == "two-problems" for d in report.errors)


def test_wrong_shapes_are_errors_not_crashes() -> None:
    report = lint(POLICY.replace(
        '    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]\n', ""
    ).replace("  matchConstraints:\n", "  matchConstraints: [1, 2]\n"))
    assert any(d.path == "spec.matchConstraints" and "dictionary" in d.message for d in report.errors)


def test_a_broken_exception_is_an_error() -> None:
    report = lint("""
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: broken, namespace: default}
spec:
  policyRefs: [{name: two-problems, kind: ValidatingPolicy}]
  matchConditions:
  - {name: typo, expression: "object.metadata.name =="}
""")
    [error] = report.errors
    assert (error.kind, error.path) == ("PolicyException", "spec.matchConditions[0].expression")


def test_advice_and_costs_for_a_valid_policy() -> None:
    fixed = POLICY.replace("expresion", "expression").replace("c.image ==)", "c.image != '')")
    report = lint(fixed.replace("  validationActions: [Deny]\n", ""))
    assert report.valid and report.policies == ["two-problems"]
    assert [d.path for d in report.advice] == ["spec"] and "validationActions" in report.advice[0].message
    assert [c.path for c in report.costs] == ["spec.validations[0].expression", "spec.validations[1].expression"]
    assert all(c.cost is not None and c.level == "low" for c in report.costs)


def test_yaml_errors_have_their_position() -> None:
    report = lint("a: [b")
    [error] = report.errors
    assert (error.line, error.column) == (1, 6) and "invalid YAML" in error.message


def test_cel_errors_are_placed_in_the_file_after_their_key() -> None:
    """Once the reader gives the key's position, the CEL position inside the expression becomes a file position:
    plain and quoted scalars on the key's line, literal blocks on the lines below."""
    from pykyverno.engine.diagnostics import Diagnostic
    from pykyverno.server.core.lint import place_in_file

    lines = [*POLICY.splitlines(), "  - expression: |", "      object.spec.containers.all(c,", "        c.image ==)"]
    plain = Diagnostic("bad", line=15, column=5, expression_line=1, expression_column=41)
    assert lines[14][4:14] == "expression"
    placed = place_in_file(plain, lines)
    assert (placed.line, placed.column) == (15, 17 + 41)  # the value starts after `expression: "` at column 17
    block = Diagnostic("bad", line=len(lines) - 2, column=5, expression_line=2, expression_column=17)
    placed = place_in_file(block, lines)
    assert (placed.line, placed.column) == (len(lines), 7 + 17 - 1)
    assert place_in_file(Diagnostic("no key position", expression_line=1, expression_column=3), lines).line is None


CLUSTER_POLICY_WITH_TYPOS = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: typos}
spec:
  bogusTop: 1
  rules:
  - name: r
    bogusRule: 1
    match:
      any:
      - resources:
          kinds: [Pod]
          bogusRes: 1
    exlude:
      any:
      - resources: {namespace: [kube-system]}
    context:
    - name: n
      variable: {jmesPath: "bogus_fn(request.object)"}
    validate:
      message: "x {{ bogus_fn(request.object.metadata.name) }}"
      deny:
        conditions:
          any:
          - key: "{{ request.object.metadata.name }}"
            operator: Bogus
            value: x
"""


def test_cluster_policy_unknown_fields_operators_and_functions_are_errors() -> None:
    report = lint(CLUSTER_POLICY_WITH_TYPOS)
    errors = {(d.path, d.line): d.message for d in report.diagnostics if d.severity == "error"}
    assert errors[("spec.bogusTop", 5)] == "unknown field 'bogusTop'"
    assert errors[("spec.rules[0].bogusRule", 8)] == "unknown field 'bogusRule'"
    assert errors[("spec.rules[0].match.any[0].resources.bogusRes", 13)] == "unknown field 'bogusRes'"
    assert errors[("spec.rules[0].exlude", 14)] == "unknown field 'exlude' (did you mean 'exclude'?)"
    assert "bogus_fn()" in errors[("spec.rules[0].context[0].variable.jmesPath", 19)]
    assert "bogus_fn()" in errors[("spec.rules[0].validate.message", 21)]
    assert errors[("spec.rules[0].validate.deny.conditions.any[0].operator", 26)] == "unknown operator 'Bogus'"
    fixed = CLUSTER_POLICY_WITH_TYPOS.replace("exlude", "exclude").replace("namespace:", "namespaces:")
    assert ("spec.rules[0].exclude.any[0].resources.namespaces", 17) not in {
        (d.path, d.line) for d in lint(fixed).diagnostics}
    misspelt = lint(fixed.replace("namespaces:", "namespace:"))
    assert any(d.path == "spec.rules[0].exclude.any[0].resources.namespace" and "did you mean 'namespaces'" in d.message
               for d in misspelt.diagnostics)
