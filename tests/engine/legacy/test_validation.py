"""pattern / anyPattern rule outcomes and messages (engine/cpol/validation.py) and ``$(...)`` references."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cpol.outcome import RuleOutcome
from pykyverno.engine.cpol.references import PatternReferenceError, resolve_references
from pykyverno.engine.cpol.validation import validate_any_pattern, validate_pattern

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p"},
    "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]},
}
NOT_LATEST = {"spec": {"containers": [{"image": "!*:latest"}]}}


def test_pattern_pass_fail_skip_error() -> None:
    assert validate_pattern("r", POD, {"spec": {"containers": [{"name": "?*"}]}}) == RuleOutcome(
        "pass", "validation rule 'r' passed."
    )
    assert validate_pattern("r", POD, NOT_LATEST) == RuleOutcome(
        "fail", "validation error: rule r failed at path /spec/containers/0/image/"
    )
    assert validate_pattern("r", POD, NOT_LATEST, message="no latest") == RuleOutcome(
        "fail", "validation error: no latest. rule r failed at path /spec/containers/0/image/"
    )
    assert validate_pattern("r", POD, NOT_LATEST, message="no latest.").message.startswith(
        "validation error: no latest. rule r"
    )
    skipped = validate_pattern("r", POD, {"spec": {"(hostNetwork)": True, "hostPID": False}})
    assert skipped.status == "skip"
    error = validate_pattern("r", POD, {"spec": {"^(volumes)": [{"name": "x"}], "hostPID": False}}, message="m")
    assert error == RuleOutcome(
        "error",
        "validation error: m. rule r execution error: resource value '<nil>' does not match 'false' at path "
        "/spec/hostPID/",
    )


def test_pattern_substitution() -> None:
    def substitute(value: Any) -> Any:
        if value == "{{ request.object.metadata.name }} is bad":
            return "p is bad"
        if isinstance(value, dict):
            return {k: substitute(v) for k, v in value.items()}
        if isinstance(value, list):
            return [substitute(v) for v in value]
        if value == "{{ missing }}":
            raise ValueError('Unknown key "missing" in path')
        return value

    outcome = validate_pattern("r", POD, NOT_LATEST, message="{{ request.object.metadata.name }} is bad",
                               substitute=substitute)
    assert outcome.message == "validation error: p is bad. rule r failed at path /spec/containers/0/image/"
    failed = validate_pattern("r", POD, {"metadata": {"name": "{{ missing }}"}}, substitute=substitute)
    assert failed == RuleOutcome("error", 'variable substitution failed: Unknown key "missing" in path')
    bad_message = validate_pattern("r", POD, NOT_LATEST, message="{{ missing }}", substitute=substitute)
    assert bad_message == RuleOutcome(
        "fail",
        "validation error: variables substitution error in rule r execution error: resource value 'nginx:latest' "
        "does not match '!*:latest' at path /spec/containers/0/image/",
    )


def test_any_pattern() -> None:
    first_fails = [NOT_LATEST, {"metadata": {"name": "p"}}]
    assert validate_any_pattern("r", POD, first_fails) == RuleOutcome(
        "pass", "validation rule 'r' anyPattern[1] passed."
    )
    both_fail = [NOT_LATEST, {"metadata": {"name": "q"}}]
    assert validate_any_pattern("r", POD, both_fail, message="need one") == RuleOutcome(
        "fail",
        "validation error: need one. rule r[0] failed at path /spec/containers/0/image/ "
        "rule r[1] failed at path /metadata/name/",
    )
    assert validate_any_pattern("r", POD, both_fail).message.startswith("validation error: rule r[0] failed")
    fail_and_skip = [NOT_LATEST, {"spec": {"(hostNetwork)": True}}]
    assert validate_any_pattern("r", POD, fail_and_skip).status == "fail"
    all_skip = [{"spec": {"(hostNetwork)": True}}, {"spec": {"(hostPID)": True}}]
    outcome = validate_any_pattern("r", POD, all_skip)
    assert outcome.status == "skip"
    assert outcome.message.startswith("rule r[0] skipped: conditional anchor mismatch")
    assert validate_any_pattern("r", POD, {"a": 1}).status == "error"


LIMITS = {
    "spec": {
        "containers": [
            {"resources": {"requests": {"memory": "<=$(./../../limits/memory)"}, "limits": {"memory": "1Gi"}}}
        ]
    }
}


def test_references_resolve_relative_to_the_leaf() -> None:
    resolved = resolve_references(LIMITS)
    assert resolved["spec"]["containers"][0]["resources"]["requests"]["memory"] == "<=1Gi"
    assert LIMITS["spec"]["containers"][0]["resources"]["requests"]["memory"] == "<=$(./../../limits/memory)"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"a": {"=(b)": "x", "c": "$(../b)"}}, {"a": {"=(b)": "x", "c": "x"}}),
        ({"a": {"b": 3, "c": "$(../b)"}}, {"a": {"b": 3, "c": 3}}),
        ({"a": {"b": 3, "c": "$(>=../b)"}}, {"a": {"b": 3, "c": ">=3"}}),
        ({"a": {"b": 1.5, "c": "$(>../b)"}}, {"a": {"b": 1.5, "c": ">1.500000"}}),
        ({"a": {"b": "x", "c": "$(/a/b)-y"}}, {"a": {"b": "x", "c": "x-y"}}),
        ({"a": "\\$(not)"}, {"a": "$(not)"}),
        ({"a": {"c": "$(../missing)"}}, {"a": {"c": None}}),
    ],
)
def test_references(pattern: Any, expected: Any) -> None:
    assert resolve_references(pattern) == expected


def test_reference_errors() -> None:
    with pytest.raises(PatternReferenceError, match="empty reference"):
        resolve_references({"a": "$(>=)"})
    with pytest.raises(PatternReferenceError, match="cannot be converted"):
        resolve_references({"a": {"b": {"x": 1}, "c": "$(>../b)"}})


def test_pattern_with_reference_end_to_end() -> None:
    pod = {"spec": {"containers": [{"resources": {"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}}}]}}
    assert validate_pattern("r", pod, LIMITS).status == "fail"
    pod["spec"]["containers"][0]["resources"]["requests"]["memory"] = "512Mi"
    assert validate_pattern("r", pod, LIMITS).status == "pass"


def test_any_pattern_message_is_substituted_and_never_the_raw_template() -> None:
    def substitute(value: Any) -> Any:
        if value == "{{ missing }}":
            raise ValueError('Unknown key "missing" in path')
        return "named p" if value == "named {{ request.object.metadata.name }}" else value

    resolved = validate_any_pattern("r", POD, [NOT_LATEST], message="named {{ request.object.metadata.name }}",
                                    message_substitute=substitute)
    assert resolved.message.startswith("validation error: named p. rule r[0] failed")
    unresolved = validate_any_pattern("r", POD, [NOT_LATEST], message="{{ missing }}", message_substitute=substitute)
    assert unresolved == RuleOutcome("fail", "validation error: rule r[0] failed at path /spec/containers/0/image/")
