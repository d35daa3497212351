"""Scalar pattern values (engine/cpol/operators.py) and Go's number/duration text (engine/cpol/gotext.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cpol.gotext import (
    format_float_e,
    format_float_g,
    format_value,
    parse_duration,
    parse_float,
    parse_int,
)
from pykyverno.engine.cpol.operators import operator_of, value_matches

MATCHES: list[tuple[Any, Any, bool]] = [
    # bool patterns need a bool
    (True, True, True),
    (False, True, False),
    ("true", True, False),
    # numbers: pattern numbers are float64; strings are read as floats; bools are not numbers
    (3, 3, True),
    (3.0, 3, True),
    (3, 3.0, True),
    (3.5, 3, False),
    ("3", 3, True),
    ("3.0", 3, True),
    (" 3", 3, False),
    ("1_0", 10, False),
    (True, 1, False),
    (None, 0, False),
    # null pattern: null, 0, "", false
    (None, None, True),
    (0, None, True),
    (0.0, None, True),
    ("", None, True),
    (False, None, True),
    ("x", None, False),
    ({}, None, False),
    ([], None, False),
    # map pattern: any map
    ({"a": 1}, {"b": 2}, True),
    ("a", {}, False),
    # list pattern never matches a scalar
    ("a", ["a"], False),
    # plain strings and wildcards
    ("nginx", "nginx", True),
    ("nginx:1.2", "nginx:*", True),
    ("nginx", "ngin?", True),
    ("nginx", "ngin", False),
    ("", "?*", False),
    ("x", "?*", True),
    ("anything", "*", True),
    (None, "*", False),
    ("[a]", "[a]", True),
    ("a", "[a]", False),
    # negation
    ("default", "!default", False),
    ("other", "!default", True),
    ("nginx:latest", "!*:latest", False),
    (None, "!default", False),
    # alternatives and conjunctions
    ("b", "a | b", True),
    ("c", "a|b", False),
    (5, ">=3 & <=10", True),
    (11, ">=3 & <=10", False),
    (5.0, ">3&<4 | 5", True),
    # numeric comparisons go through quantities
    (2, ">1", True),
    (1, ">1", False),
    (1, ">=1", True),
    ("2", ">1", True),
    (0, "<1", True),
    ("abc", ">1", False),
    ("abc", "<1", False),
    (80.0, "80", True),
    (80, "80", True),
    ("80", 80, True),
    # quantities
    ("1024Mi", "1Gi", True),
    ("2Gi", "<=1Gi", False),
    ("512Mi", "<=1Gi", True),
    ("500m", "<1", True),
    (2, "2", True),
    # durations
    ("90m", ">1h", True),
    ("30m", ">1h", False),
    ("1h", "1h0m0s", True),
    ("3600s", "1h", True),
    # a missing value reads as 0 for durations and quantities
    (None, "<1", True),
    (None, ">0", False),
    # ranges
    (3, "1-5", True),
    (5, "1-5", True),
    (6, "1-5", False),
    (6, "1!-5", True),
    (3, "1!-5", False),
    ("1536Mi", "1Gi-2Gi", True),
    ("3Gi", "1Gi!-2Gi", True),
    (-3, "-5--1", True),
    # ordering on text is false; only = and ! use the text
    ("b", ">a", False),
    # float values print as %E for wildcard matching: "8?" does not match 80.0, but does match int 80
    (80.0, "8?", False),
    (80, "8?", True),
    (80.0, "8E+01", True),
    # bools print as true/false
    (True, "true", True),
    (False, "!true", True),
    # a map or list value never matches a string pattern
    ({"a": 1}, "?*", False),
    # a lone operator character is a plain value
    (">", ">", True),
    ("!", "!", True),
]


@pytest.mark.parametrize(("value", "pattern", "expected"), MATCHES)
def test_value_matches(value: Any, pattern: Any, expected: bool) -> None:
    assert value_matches(value, pattern) is expected


@pytest.mark.parametrize(
    ("term", "operator"),
    [
        (">=1", ">="),
        ("<=1", "<="),
        (">1", ">"),
        ("<1", "<"),
        ("!x", "!"),
        ("1-5", "-"),
        ("1Gi-2Gi", "-"),
        ("1!-5", "!-"),
        ("x", ""),
        ("!", ""),
        ("2021-01-01", ""),
    ],
)
def test_operator_of(term: str, operator: str) -> None:
    assert operator_of(term) == operator


@pytest.mark.parametrize(
    ("text", "nanos"),
    [
        ("0", 0),
        ("1h30m", 5_400_000_000_000),
        ("-1.5s", -1_500_000_000),
        ("300ms", 300_000_000),
        ("1us", 1_000),
        ("1\u00b5s", 1_000),
        (".5s", 500_000_000),
        ("1", None),
        ("", None),
        ("s", None),
        ("1 h", None),
        ("1d", None),
        ("1m1", None),
        ("+5m", 300_000_000_000),
    ],
)
def test_parse_duration(text: str, nanos: int | None) -> None:
    assert parse_duration(text) == nanos


def test_parse_numbers_are_strict_like_go() -> None:
    assert parse_float("1e3") == 1000.0
    assert parse_float("-.5") == -0.5
    assert parse_float("1_000") is None
    assert parse_float(" 1") is None
    assert parse_float("1e400") is None
    assert parse_int("42") == 42
    assert parse_int("4.2") is None
    assert parse_int("9223372036854775808") is None


@pytest.mark.parametrize(
    ("value", "shown_g", "shown_e"),
    [
        (80.0, "80", "8E+01"),
        (0.5, "0.5", "5E-01"),
        (1e6, "1e+06", "1E+06"),
        (123456.0, "123456", "1.23456E+05"),
        (1e-5, "1e-05", "1E-05"),
        (0.0, "0", "0E+00"),
        (-2.5, "-2.5", "-2.5E+00"),
    ],
)
def test_float_text(value: float, shown_g: str, shown_e: str) -> None:
    assert format_float_g(value) == shown_g
    assert format_float_e(value) == shown_e


def test_format_value_like_go_percent_v() -> None:
    assert format_value(None) == "<nil>"
    assert format_value({"b": 1, "a": [True, 2.0]}) == "map[a:[true 2] b:1]"
    assert format_value("x") == "x"
