"""Scalar pattern values of kyverno.io/v1 patterns (Kyverno's ``pkg/engine/pattern`` and ``pkg/engine/operator``).

:func:`value_matches` decides whether one resource value satisfies one pattern leaf:

* bool, number and null patterns compare by type (a null pattern accepts null, ``0``, ``""`` and ``false``);
  numbers in a pattern are float64 in Kyverno (the policy is JSON-decoded), so a string value is read as a float;
* a string pattern is first compared for plain equality, then split on ``|`` (any) and ``&`` (all); each term
  is ``>=``, ``<=``, ``>``, ``<``, ``!`` followed by an operand, a range ``a-b`` / ``a!-b``, or a plain operand;
* an operand is compared as a Go duration when both sides are durations, else as a Kubernetes quantity when both
  are quantities, else (``=`` and ``!`` only) by wildcard match against the value's text. Ordering operators on
  other values are false.

Values follow Go's JSON types: a Python ``int`` stands for Go's ``int64`` (``kyverno apply``), a ``float`` for
``float64`` (``kyverno test`` converts every resource integer to float64 before evaluating).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ..cel.decl import CelFunctionError
from ..cel.libs.k8s_quantity import parse_quantity
from .gotext import format_float_e, format_float_f, parse_duration, parse_float
from .match import wildcard_match

EQUAL = ""
MORE_EQUAL = ">="
LESS_EQUAL = "<="
MORE = ">"
LESS = "<"
NOT_EQUAL = "!"
IN_RANGE = "-"
NOT_IN_RANGE = "!-"

_ENDPOINT = r"[+-]?\d+(?:\.\d+)?[A-Za-z]*"
IN_RANGE_PATTERN = re.compile(rf"^({_ENDPOINT})-({_ENDPOINT})$")
NOT_IN_RANGE_PATTERN = re.compile(rf"^({_ENDPOINT})!-({_ENDPOINT})$")


def operator_of(term: str) -> str:
    """The operator a pattern term starts with (``GetOperatorFromStringPattern``); ``""`` is equality."""
    if len(term) < 2:
        return EQUAL
    for prefix in (MORE_EQUAL, LESS_EQUAL, MORE, LESS, NOT_EQUAL):
        if term.startswith(prefix):
            return prefix
    if IN_RANGE_PATTERN.match(term):
        return IN_RANGE
    if NOT_IN_RANGE_PATTERN.match(term):
        return NOT_IN_RANGE
    return EQUAL


def value_matches(value: Any, pattern: Any) -> bool:
    """Whether the resource ``value`` satisfies the scalar (or map) ``pattern`` (Kyverno's ``pattern.Validate``)."""
    if isinstance(pattern, bool):
        return isinstance(value, bool) and value == pattern
    if isinstance(pattern, int | float):
        return _number_matches(value, float(pattern))
    if pattern is None:
        return value is None or value == "" or (not isinstance(value, dict | list) and value in (0, False))
    if isinstance(pattern, dict):
        return isinstance(value, Mapping)
    if isinstance(pattern, str):
        return string_pattern_matches(value, pattern)
    return False


def _number_matches(value: Any, pattern: float) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == pattern
    if isinstance(value, str):
        parsed = parse_float(value)
        return parsed is not None and parsed == pattern
    return False


def string_pattern_matches(value: Any, pattern: str) -> bool:
    """A string pattern: plain equality, else ``|`` alternatives of ``&`` conjunctions of terms."""
    if isinstance(value, str) and value == pattern:
        return True
    return any(
        all(_term_matches(value, term.strip(" ")) for term in alternative.strip(" ").split("&"))
        for alternative in pattern.split("|")
    )


def _term_matches(value: Any, term: str) -> bool:
    op = operator_of(term)
    if op == IN_RANGE:
        left, right = IN_RANGE_PATTERN.match(term).groups()  # type: ignore[union-attr]
        return _term_matches(value, f">= {left}") and _term_matches(value, f"<= {right}")
    if op == NOT_IN_RANGE:
        left, right = NOT_IN_RANGE_PATTERN.match(term).groups()  # type: ignore[union-attr]
        return _term_matches(value, f"< {left}") or _term_matches(value, f"> {right}")
    return compare_operand(value, term[len(op):].strip(), op)


def _number_text(value: Any) -> str | None:
    """Kyverno's ``convertNumberToString``: null is ``"0"``, floats print with ``%f``."""
    if value is None:
        return "0"
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return format_float_f(value)
    if isinstance(value, int):
        return str(value)
    return None


def _quantity(text: str) -> Fraction | None:
    try:
        return parse_quantity(text)
    except CelFunctionError:
        return None


def _ordered(left: Any, right: Any, op: str) -> bool:
    if op == EQUAL:
        return bool(left == right)
    if op == NOT_EQUAL:
        return bool(left != right)
    if op == MORE:
        return bool(left > right)
    if op == LESS:
        return bool(left < right)
    if op == MORE_EQUAL:
        return bool(left >= right)
    return bool(left <= right)


def compare_operand(value: Any, operand: str, op: str) -> bool:
    """One term: duration comparison, else quantity comparison, else wildcard (in)equality of the value's text."""
    text = _number_text(value)
    pattern_duration = parse_duration(operand)
    if pattern_duration is not None and text is not None:
        value_duration = parse_duration(text)
        if value_duration is not None:
            return _ordered(value_duration, pattern_duration, op)
    pattern_quantity = _quantity(operand)
    if pattern_quantity is not None and text is not None:
        value_quantity = _quantity(text)
        if value_quantity is not None:
            return _ordered(value_quantity, pattern_quantity, op)
    if op not in (EQUAL, NOT_EQUAL):
        return False
    shown = _wildcard_text(value)
    if shown is None:
        return False
    matched = wildcard_match(operand, shown)
    return not matched if op == NOT_EQUAL else matched


def _wildcard_text(value: Any) -> str | None:
    """How Kyverno's ``compareString`` prints a value for wildcard matching (None: never matches)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return format_float_e(value)
    if isinstance(value, int):
        return str(value)
    return None
