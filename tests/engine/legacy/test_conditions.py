"""Condition operators and any/all evaluation of ``preconditions`` / ``deny.conditions`` (spec section 6)."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from pykyverno.engine.cpol.condition_operators import UnknownOperatorError, evaluate_operator
from pykyverno.engine.cpol.conditions import (
    ConditionError,
    ConditionsResult,
    deny_message,
    evaluate_conditions,
    precondition_skip_message,
)
from pykyverno.engine.cpol.context import JsonContext, request_context
from pykyverno.engine.cpol.variables import empty_on_error_resolver
from pykyverno.engine.request import AdmissionContext

OPERATOR_TABLE: list[tuple[str, Any, Any, bool]] = [
    # Equals: booleans
    ("Equals", True, True, True),
    ("Equals", True, "true", False),
    ("Equals", False, False, True),
    # numbers (YAML ints arrive as float64), numeric strings
    ("Equals", 1.0, 1, True),
    ("Equals", 1.0, "1", True),
    ("Equals", 1.5, "1.5", True),
    ("Equals", 1.0, "one", False),
    ("Equals", 1.0, None, False),
    # strings: wildcards in the value
    ("Equals", "nginx", "nginx", True),
    ("Equals", "nginx", "ngi*", True),
    ("Equals", "nginx", "ngin?", True),
    ("Equals", "ngi*", "nginx", False),
    ("Equals", "Nginx", "nginx", False),
    ("Equals", "", "", True),
    ("Equals", "", "?*", False),
    ("Equals", "x", "?*", True),
    # quantities
    ("Equals", "1Gi", "1024Mi", True),
    ("Equals", "1000m", "1", True),
    ("Equals", "10", "1*", False),  # a quantity key compares as a quantity: "1*" is not one
    ("Equals", "10", 10, False),
    # durations (a number on the other side counts as seconds)
    ("Equals", "1h", "60m", True),
    ("Equals", "1h", 3600, True),
    ("Equals", "90s", "1m30s", True),
    ("Equals", "1h", "3600", False),
    # maps and lists: deep equality
    ("Equals", {"a": 1}, {"a": 1.0}, True),
    ("Equals", {"a": 1}, {"a": 2}, False),
    ("Equals", ["a", "b"], ["a", "b"], True),
    ("Equals", ["a", "b"], ["b", "a"], False),
    ("Equals", ["a"], "a", False),
    ("Equals", None, None, False),
    ("Equal", "a", "a", True),
    ("equals", "a", "a", True),
    ("EQUALS", "a", "a", True),
    # NotEquals is the negation
    ("NotEquals", "nginx", "ngi*", False),
    ("NotEquals", "nginx", "redis", True),
    ("NotEquals", 1.0, "1", False),
    ("NotEqual", "a", "b", True),
    ("NotEquals", None, "x", True),
    # In / NotIn (deprecated)
    ("In", "a", ["a", "b"], True),
    ("In", "a", ["x*"], False),
    ("In", "abc", ["a*"], True),
    ("In", "a*", ["abc"], True),  # wildcard both ways
    ("In", 8080.0, ["8080"], True),
    ("In", True, ["true"], True),
    ("In", "a", "a", True),
    ("In", "a", '["a", "b"]', True),
    ("In", "a", "b", False),
    ("NotIn", "a", "b", False),  # a plain non-matching string value is invalid: both false
    ("NotIn", "c", ["a", "b"], True),
    ("NotIn", "a", ["a", "b"], False),
    ("In", ["a", "b"], ["a", "b", "c"], True),
    ("In", ["a", "d"], ["a", "b"], False),
    ("In", ["a"], "a", True),
    ("NotIn", ["a", "d"], ["a", "b"], True),
    ("NotIn", ["a"], ["a", "b"], False),
    ("In", "a", 5, False),
    ("NotIn", "a", 5, False),
    ("In", {"a": 1}, ["a"], False),
    # AnyIn / AllIn / AnyNotIn / AllNotIn
    ("AnyIn", ["a", "x"], ["a", "b"], True),
    ("AnyIn", ["x", "y"], ["a", "b"], False),
    ("AnyIn", "a", ["a", "b"], True),
    ("AnyIn", ["kube-system"], ["kube-*"], True),
    ("AnyIn", ["kube-*"], ["kube-system"], True),
    ("AnyIn", ["NET_ADMIN", "SYS_TIME"], '["NET_ADMIN"]', True),
    ("AnyIn", ["a"], "a", True),
    ("AnyIn", "a", "b", False),
    ("AnyIn", [80.0, 443.0], ["443"], True),
    ("AnyIn", 8080.0, "8000-9000", True),
    ("AnyIn", 9001.0, "8000-9000", False),
    ("AnyIn", "1536Mi", "1Gi-2Gi", True),
    ("AnyIn", [], ["a"], False),
    ("AnyIn", "a", 5, False),
    ("AnyIn", "5", 5, True),
    ("AllIn", ["a", "b"], ["a", "b", "c"], True),
    ("AllIn", ["a", "x"], ["a", "b"], False),
    ("AllIn", ["app-1", "app-2"], ["app-*"], True),
    ("AllIn", [], ["a"], True),
    ("AllIn", "a", "a", True),
    ("AllIn", [80.0, 8080.0], "1-9000", True),
    ("AnyNotIn", ["a", "x"], ["a", "b"], True),
    ("AnyNotIn", ["a", "b"], ["a", "b"], False),
    ("AnyNotIn", "a", "b", True),
    ("AnyNotIn", [80.0, 8080.0], "8000-9000", True),
    ("AnyNotIn", [8080.0], "8000-9000", False),
    ("AnyNotIn", [], ["a"], False),
    ("AllNotIn", ["x", "y"], ["a", "b"], True),
    ("AllNotIn", ["a", "y"], ["a", "b"], False),
    ("AllNotIn", [], ["a"], True),
    ("AnyIn", "a", '{"a": 1}', False),
    ("AnyIn", "a", '["a", 1]', False),
    # numeric comparisons: durations, quantities, numbers, semver
    ("GreaterThan", 5.0, 3.0, True),
    ("GreaterThan", 3.0, 3.0, False),
    ("GreaterThanOrEquals", 3.0, 3.0, True),
    ("LessThan", 2.0, "3", True),
    ("LessThanOrEquals", "3", 3.0, True),
    ("GreaterThan", "2Gi", "1Gi", True),
    ("GreaterThan", "500m", "1", False),
    ("LessThan", "100Mi", "1Gi", True),
    ("GreaterThan", "2h", "90m", True),
    ("GreaterThan", "2h", 3600.0, True),
    ("LessThan", 30.0, "1m", True),
    ("GreaterThan", "0", "1s", False),  # "0" is not a duration: 0 vs "1s" compares as... nothing applicable
    ("GreaterThan", "1.10.0", "1.9.0", True),
    ("LessThan", "1.2.3", "1.2.4", True),
    ("GreaterThan", "abc", "abd", False),
    ("GreaterThan", True, False, False),
    ("GreaterThan", 5.0, None, False),
    ("greaterthan", 5.0, 3.0, True),
    # deprecated duration operators
    ("DurationGreaterThan", "2h", "1h", True),
    ("DurationGreaterThanOrEquals", "1h", 3600.0, True),
    ("DurationLessThan", 30.0, "1m", True),
    ("DurationLessThanOrEquals", "1m", "1m0s", True),
    ("DurationGreaterThan", "abc", "1h", False),
]


@pytest.mark.parametrize(("operator", "key", "value", "expected"), OPERATOR_TABLE)
def test_operator(operator: str, key: Any, value: Any, expected: bool) -> None:
    assert evaluate_operator(operator, key, value) is expected


def test_unknown_operator() -> None:
    with pytest.raises(UnknownOperatorError, match="'Matches' is not supported"):
        evaluate_operator("Matches", "a", "a")


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web"}},
       "spec": {"containers": [{"name": "c", "image": "nginx:latest"}], "hostNetwork": False}}


@pytest.fixture
def ctx() -> JsonContext:
    return request_context(AdmissionContext(object=copy.deepcopy(POD)))


def _condition(key: Any, operator: str, value: Any, message: str = "") -> dict[str, Any]:
    return {"key": key, "operator": operator, "value": value, **({"message": message} if message else {})}


def test_any_and_all(ctx: JsonContext) -> None:
    yes = _condition("{{ request.object.metadata.name }}", "Equals", "web", "named web")
    no = _condition("{{ request.object.metadata.namespace }}", "Equals", "dev", "in dev")
    assert evaluate_conditions({"any": [no, yes]}, ctx) == ConditionsResult(True, ("named web",))
    assert evaluate_conditions({"any": [no, no]}, ctx) == ConditionsResult(False, ("in dev", "in dev"))
    assert evaluate_conditions({"all": [yes, no, yes]}, ctx) == ConditionsResult(False, ("in dev",))
    assert evaluate_conditions({"all": [yes, yes]}, ctx).passed
    assert not evaluate_conditions({"any": [yes], "all": [no]}, ctx).passed
    assert not evaluate_conditions({"any": [no], "all": [yes]}, ctx).passed
    assert evaluate_conditions({"any": [yes], "all": [yes]}, ctx).passed
    assert evaluate_conditions({}, ctx).passed
    assert evaluate_conditions(None, ctx).passed
    assert not evaluate_conditions({"any": []}, ctx).passed  # an empty any block has no passing condition
    assert evaluate_conditions([yes, yes], ctx).passed  # the deprecated bare list means all
    assert not evaluate_conditions([yes, no], ctx).passed


def test_typed_keys_and_values(ctx: JsonContext) -> None:
    conditions = {"all": [
        _condition("{{ request.object.spec.hostNetwork }}", "Equals", False),
        _condition("{{ length(request.object.spec.containers) }}", "GreaterThanOrEquals", 1),
        _condition("{{ request.object.spec.containers[].image }}", "AnyIn", ["*:latest"]),
        _condition("{{ request.object.metadata.labels }}", "Equals", {"app": "web"}),
        _condition(5, "LessThan", "{{ `10` }}"),
    ]}
    assert evaluate_conditions(conditions, ctx).passed


def test_unresolvable_variables_are_errors_even_in_conditions_not_reached(ctx: JsonContext) -> None:
    conditions = {"any": [
        _condition("{{ request.object.metadata.name }}", "Equals", "web"),
        _condition("{{ request.object.metadata.labels.team }}", "Equals", "x"),
    ]}
    with pytest.raises(ConditionError, match='Unknown key "team" in path'):
        evaluate_conditions(conditions, ctx)
    assert evaluate_conditions(conditions, ctx, resolver=empty_on_error_resolver).passed
    defaulted = {"all": [_condition("{{ request.object.metadata.labels.team || '' }}", "Equals", "")]}
    assert evaluate_conditions(defaulted, ctx).passed


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"any": [_condition("a", "Matches", "a")]}, "any[0]: operator 'Matches' is not supported"),
        ({"all": [{"key": "a", "value": "a"}]}, "all[0].operator: required"),
        ({"all": ["a"]}, "all[0]: a condition must be a mapping"),
        ({"none": []}, "unknown field"),
        ({"all": {"key": "a"}}, "conditions.all: must be a list"),
        ("text", "must be a mapping"),
    ],
)
def test_malformed_conditions(ctx: JsonContext, conditions: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=re.escape(message)):
        evaluate_conditions(conditions, ctx)


def test_messages(ctx: JsonContext) -> None:
    failed = ConditionsResult(False, ("not prod", "", "no label"))
    assert precondition_skip_message(failed) == "preconditions not met; not prod; no label"
    assert precondition_skip_message(ConditionsResult(False)) == "preconditions not met"
    held = ConditionsResult(True, ("uses latest",))
    assert deny_message("check", "", held, ctx) == "validation error: rule check failed; uses latest"
    assert deny_message("check", "Pod {{ request.object.metadata.name }} denied", ConditionsResult(True), ctx) == (
        "Pod web denied")
    assert deny_message("check", "{{ request.object.nope }}", held, ctx) == "uses latest"
    # never the raw template as a finding's message
    assert deny_message("check", "{{ request.object.nope }}", ConditionsResult(True), ctx) == (
        'validation error: rule check failed (its message could not be built: Unknown key "nope" in path)')
    assert deny_message("check", "{{ request.object.metadata.labels }}", ConditionsResult(True), ctx) == (
        "the produced message didn't resolve to a string, check your policy definition.")


def test_condition_messages_are_substituted(ctx: JsonContext) -> None:
    conditions = {"all": [_condition("{{ request.object.metadata.namespace }}", "NotEquals", "prod",
                                     "namespace {{ request.object.metadata.namespace }} is protected")]}
    result = evaluate_conditions(conditions, ctx)
    assert result == ConditionsResult(False, ("namespace prod is protected",))
