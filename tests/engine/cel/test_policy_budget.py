"""Costing whole policies: a variable's size and cost carry into the variables and expressions that read it, and no
expression may build too many copies of its input (doubling through variables or ``cel.bind``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pykyverno.engine.cel import CelCostError, environment_for, set_cost_limit
from pykyverno.engine.documents import parse_documents
from pykyverno.engine.loader import load_documents


def _policy(variables: list[tuple[str, str]], validation: str) -> str:
    spec: dict[str, Any] = {
        "validationActions": ["Audit"],
        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                "operations": ["CREATE"], "resources": ["pods"]}]},
        "variables": [{"name": name, "expression": expression} for name, expression in variables],
        "validations": [{"expression": validation, "message": "m"}],
    }
    return json.dumps({"apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy",
                       "metadata": {"name": "doubling"}, "spec": spec})


def _issues(text: str) -> list[str]:
    return [issue.message for issue in load_documents(parse_documents(text, "policy.json")).issues]


def _doubling(first: str, count: int = 21) -> list[tuple[str, str]]:
    return [("v0", first)] + [(f"v{i}", f"variables.v{i - 1} + variables.v{i - 1}") for i in range(1, count)]


@pytest.mark.parametrize(
    ("first", "refused_at", "copies"),
    [
        # An annotation's size is unknown (up to what one object holds): 128 copies at the seventh doubling.
        ("object.metadata.annotations['note']", 7, 128),
        # A name holds at most 253 bytes: the 19th doubling (2^19 names, 127 MiB) is the first over 64 MiB.
        ("object.metadata.name", 19, 127),
    ],
)
def test_variables_doubling_an_input_string_are_refused(first: str, refused_at: int, copies: int) -> None:
    """21 variables each doubling the previous one: each alone looked cheap (5.1 GB when evaluated)."""
    issues = _issues(_policy(_doubling(first), "size(variables.v20) > 0"))
    assert len(issues) == 1
    assert f"spec.variables[{refused_at}].expression" in issues[0]
    assert f"spec.variables[{refused_at - 1}].expression" not in issues[0]
    assert f"holding {copies} copies of its input" in issues[0] and "the limit is 64" in issues[0]


def test_variables_doubling_a_literal_are_refused_by_cost() -> None:
    """The 16th doubling of a 1,000-character literal (16 MB) costs more than Kubernetes' and Kyverno's runtime
    limit on any input: each variable is its own program there, and this one could never complete."""
    issues = _issues(_policy(_doubling("'" + "x" * 1000 + "'"), "size(variables.v20) > 0"))
    assert len(issues) == 1
    assert "spec.variables[14].expression" in issues[0]
    assert "costs at least 1638" in issues[0] and "runtime cost limit of 1000000 per expression" in issues[0]


def test_a_variable_that_could_never_complete_is_refused() -> None:
    variables = [("items", "lists.range(900)"), ("pairs", "variables.items.map(i, variables.items.map(j, i + j))")]
    issues = _issues(_policy(variables, "variables.pairs.all(p, p.all(q, q >= 0))"))
    assert len(issues) == 1 and "spec.variables[1].expression" in issues[0] and "costs at least" in issues[0], issues


def test_the_opt_in_estimate_limit_costs_an_expression_with_the_variables_it_reads() -> None:
    variables = [("items", "lists.range(150)"), ("pairs", "variables.items.map(i, variables.items.map(j, i + j))")]
    policy = _policy(variables, "variables.pairs.all(p, p.all(q, q >= 0))")
    assert _issues(policy) == []  # Kyverno compiles it, and it completes within the runtime limit
    set_cost_limit(440_000)
    try:
        issues = _issues(policy)
    finally:
        set_cost_limit(None)
    assert len(issues) == 1
    assert "spec.validations[0].expression" in issues[0] and "(items, pairs)" in issues[0], issues


def test_ordinary_variables_still_load() -> None:
    variables = [
        ("containers", "object.spec.containers + object.spec.?initContainers.orValue([])"),
        ("images", "variables.containers.map(c, c.image)"),
        ("label", "object.metadata.name + '-' + object.metadata.namespace"),
    ]
    assert _issues(_policy(variables, "variables.images.all(i, !i.endsWith(':latest')) && variables.label != ''")) == []


def test_cel_bind_doubling_an_object_string_is_refused() -> None:
    """The estimator assumed 64 characters for the object's string, however often it was doubled."""
    source = "object.metadata.annotations['note']"
    for name in "abcdefg":
        source = f"cel.bind({name}, {source}, {name} + {name})"
    with pytest.raises(CelCostError, match="holding 128 copies of its input"):
        environment_for("vpol").compile(f"size({source}) > 0")
    assert environment_for("vpol").compile("cel.bind(a, object.metadata.name, a + '-' + a) != ''")


def test_repeating_an_input_string_in_a_known_range_is_refused() -> None:
    with pytest.raises(CelCostError, match="holding 9000 copies"):
        environment_for("vpol").compile("lists.range(9000).map(i, object.data.text).join('') != ''")
