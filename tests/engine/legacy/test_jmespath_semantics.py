"""Kyverno's go-jmespath fork semantics: unknown keys, comparisons, Go-style built-ins (spec section 5.1)."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.jmespath import (
    FunctionError,
    JMESPathError,
    NotFoundError,
    QuerySyntaxError,
    compile_query,
    function_names,
    search,
)

POD: dict[str, Any] = {
    "metadata": {"name": "web", "labels": {"app": "nginx", "app.kubernetes.io/name": "web"}},
    "spec": {
        "containers": [
            {"name": "a", "image": "nginx:1.25"},
            {"name": "b", "image": "busybox", "securityContext": {"privileged": True}},
        ],
        "replicas": 3,
    },
    "nothing": None,
}
DATA = {"request": {"object": POD}}


@pytest.mark.parametrize(
    ("expression", "missing"),
    [
        ("request.object.metadata.labels.team", "team"),
        ("request.object.spec.containers[0].resources", "resources"),
        ("request.object.spec.initContainers", "initContainers"),
        ("missing", "missing"),
        ("request.object.metadata.labels.team.name", "team"),
    ],
)
def test_unknown_key_is_an_error_through_plain_paths(expression: str, missing: str) -> None:
    with pytest.raises(NotFoundError) as info:
        search(expression, DATA)
    assert str(info.value) == f'Unknown key "{missing}" in path'


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # || && ! swallow the error
        ("request.object.metadata.labels.team || 'none'", "none"),
        ("request.object.metadata.labels.team && 'x'", None),
        ("!(request.object.metadata.labels.team)", True),
        # comparisons
        ("request.object.metadata.labels.team == 'x'", False),
        ("request.object.metadata.labels.team != 'x'", True),
        # function arguments
        ("to_string(request.object.metadata.labels.team)", "null"),
        ("not_null(request.object.metadata.labels.team, 'default')", "default"),
        # projections, per element
        ("request.object.spec.containers[].securityContext.privileged", [True]),
        ("request.object.spec.containers[*].securityContext", [{"privileged": True}]),
        # ...and their base
        ("request.object.spec.initContainers[].image", None),
        ("request.object.spec.initContainers[*].image", None),
        ("request.object.spec.initContainers[?name == 'x']", None),
        ("request.object.metadata.annotations.*", None),
        ("request.userInfo.groups[?contains(@, ':') == `false`][].join('-', [@, '*'])", None),
        ("request.object.metadata.labels.*.missing", []),
        # filter conditions
        ("request.object.spec.containers[?securityContext.privileged].name", ["b"]),
        # multi-selects
        ("request.object.spec.[containers, initContainers][].name", ["a", "b"]),
        ("request.object.metadata.{team: labels.team, app: labels.app}", {"team": None, "app": "nginx"}),
        # pipe stages
        ("request.object.metadata.labels.team | length(@ || '')", 0),
        # lookups on null or non-objects give null
        ("request.object.nothing.deeper", None),
        ("request.object.metadata.name.deeper", None),
        ("request.object.spec.containers.name", None),
        # quoted identifiers and function calls after a dot
        ('request.object.metadata.labels."app.kubernetes.io/name"', "web"),
        ("request.object.metadata.keys(@).contains(@, 'labels')", True),
        ("request.object.metadata.labels || `{}` | merge(@, {extra: null})",
         {"app": "nginx", "app.kubernetes.io/name": "web", "extra": None}),
    ],
)
def test_unknown_key_becomes_null_where_the_fork_swallows_it(expression: str, expected: Any) -> None:
    assert search(expression, DATA) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("`2` < `3`", True),
        ("`3` <= `3.0`", True),
        ("'a' < 'b'", None),  # ordering is for numbers only
        ("`true` > `false`", None),
        ("`1` == `1.0`", True),
        ("`true` == `1`", False),
        ("`[1, true]` == `[1.0, true]`", True),
        ("`{\"a\": 1}` == `{\"a\": 1.0}`", True),
        ("`0` || 'x'", 0),  # numbers are truthy
        ("!`0`", False),
        ("'' || 'x'", "x"),
    ],
)
def test_comparisons_and_truthiness_follow_go(expression: str, expected: Any) -> None:
    result = search(expression, {})
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("to_string(`2`)", "2"),
        ("to_string(`2.5`)", "2.5"),
        ("to_string(`1e21`)", "1e+21"),
        ("to_string(`{\"b\": 1, \"a\": \"<x>\"}`)", '{"a":"\\u003cx\\u003e","b":1}'),
        ("to_string(`[true, null]`)", "[true,null]"),
        ("to_string('s')", "s"),
        ("to_number('12')", 12.0),
        ("to_number('1.5e3')", 1500.0),
        ("to_number('1_000')", None),
        ("to_number(' 12')", None),
        ("to_number('abc')", None),
        ("to_number(`true`)", None),
        ("contains(`[1, 2]`, `1`)", True),
        ("contains(`[true]`, `1`)", False),
        ("contains('kyverno', 'verno')", True),
        ("length('héllo')", 5),
        ("sum(`[1, 2, 3]`)", 6.0),
    ],
)
def test_builtins_behave_as_in_go(expression: str, expected: Any) -> None:
    assert search(expression, {}) == expected


def test_function_type_errors_are_errors() -> None:
    with pytest.raises(FunctionError):
        search("length(missing_or_null)", {"missing_or_null": None})
    with pytest.raises(FunctionError, match="to_upper"):
        search("to_upper(`1`)", {})
    with pytest.raises(FunctionError, match="unknown function"):
        search("no_such_function(@)", {})
    with pytest.raises(FunctionError):
        search("contains('abc', `1`)", {})


def test_syntax_errors_name_the_problem() -> None:
    with pytest.raises(QuerySyntaxError):
        compile_query("request.object.[")
    with pytest.raises(QuerySyntaxError):
        compile_query("")
    assert issubclass(QuerySyntaxError, JMESPathError)


def test_compiled_queries_are_cached_and_reusable() -> None:
    assert compile_query("a.b") is compile_query("a.b")
    query = compile_query("a.b")
    assert query.search({"a": {"b": 1}}) == 1
    assert query.search({"a": {"b": 2}}) == 2


def test_deep_data_fails_cleanly() -> None:
    nested: Any = 0
    for _ in range(5000):
        nested = [nested]
    with pytest.raises(JMESPathError):
        search("to_string(@)", nested)
    deep_expression = "(" * 5000 + "a" + ")" * 5000
    with pytest.raises(QuerySyntaxError):
        compile_query(deep_expression)


KYVERNO_FUNCTIONS = [
    "add", "base64_decode", "base64_encode", "compare", "divide", "equal_fold", "image_normalize", "is_external_url",
    "items", "label_match", "lookup", "md5", "modulo", "multiply", "object_from_lists", "parse_json", "parse_yaml",
    "path_canonicalize", "pattern_match", "random", "regex_match", "regex_replace_all", "regex_replace_all_literal",
    "replace", "replace_all", "round", "semver_compare", "sha1", "sha256", "split", "subtract", "sum", "time_add",
    "time_after", "time_before", "time_between", "time_diff", "time_now", "time_now_utc", "time_parse", "time_since",
    "time_to_cron", "time_truncate", "time_utc", "to_boolean", "to_lower", "to_upper", "trim", "trim_prefix",
    "truncate", "x509_decode",
]
JMESPATH_BUILTINS = [
    "abs", "avg", "ceil", "contains", "ends_with", "floor", "join", "keys", "length", "map", "max", "max_by", "merge",
    "min", "min_by", "not_null", "reverse", "sort", "sort_by", "starts_with", "sum", "to_array", "to_number",
    "to_string", "type", "values",
]


def test_every_documented_function_is_in_the_table() -> None:
    assert set(KYVERNO_FUNCTIONS + JMESPATH_BUILTINS) <= set(function_names())
