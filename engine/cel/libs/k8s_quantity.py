"""Kubernetes' CEL Quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go).

``quantity(s)``, ``isQuantity(s)``, ``sign()``, ``add(q|int)``, ``sub(q|int)``, ``asInteger()``,
``asApproximateFloat()``, ``isInteger()``; ``compareTo``/``isGreaterThan``/``isLessThan`` live in ``k8s_values``
(shared with semver).

Parsing follows ``resource.ParseQuantity``: ``<sign><digits>[.<digits>]<suffix>`` with decimal SI suffixes
``n u m "" k M G T P E``, binary ``Ki Mi Gi Ti Pi Ei`` and exponents ``e<int>`` / ``E<int>``. Values are exact
rationals, rounded away from zero to a multiple of 1n and capped at ±(2^63-1), as Kubernetes does. A quantity is
``{"@type": "kubernetes.Quantity", "value": "<plain decimal>"}`` (e.g. ``"1073741824"``, ``"0.5"``), so
``quantity('1Gi') == quantity('1024Mi')`` and ``quantity('1000m') == quantity('1')``.

Difference from Kubernetes: ``isInteger()``/``asInteger()`` look at the value (an integer strictly inside the int64
range), whereas Kubernetes looks at its internal representation and so reports ``quantity('1000m').isInteger()`` and
``quantity('1.0').isInteger()`` as false although both equal 1.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._k8s_types import INT64_MAX, QUANTITY, expect, is_number, no_overload, tagged, type_of

KINDS = ("*",)

_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
# Possessive runs: the same matches as with greedy ones, without the quadratic backtracking on long bad input.
_QUANTITY = re.compile(r"([+-]?)([0-9]*+)(?:\.([0-9]*+))?([eEinumkKMGTP]*+[-+]?[0-9]*+)")
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_NANO = 10**9
_EXPONENT_BOUND = 40  # beyond 10^40 every non-zero value is capped; below 10^-40 it rounds up to 1n


def _scale(number: Fraction, suffix: str, raw: str) -> Fraction:
    if suffix in _DECIMAL_SUFFIXES:
        exponent = _DECIMAL_SUFFIXES[suffix]
    elif suffix in _BINARY_SUFFIXES:
        return number * (1 << _BINARY_SUFFIXES[suffix])
    elif len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        exponent = int(suffix[1:])
    else:
        raise CelFunctionError(f"unable to parse quantity's suffix: {raw!r}")
    if number and exponent > _EXPONENT_BOUND:
        return Fraction(INT64_MAX + 1)
    if number and exponent < -_EXPONENT_BOUND:
        return Fraction(1, _NANO * 10)
    return number * Fraction(10) ** exponent


def _round_and_cap(value: Fraction) -> Fraction:
    """Round away from zero to a multiple of 1n, then cap the magnitude at 2^63-1 (Kubernetes' parse rules)."""
    magnitude = abs(value)
    nanos = math.ceil(magnitude * _NANO)
    magnitude = min(Fraction(nanos, _NANO), Fraction(INT64_MAX))
    return magnitude if value >= 0 else -magnitude


@lru_cache(maxsize=2048)
def parse_quantity(raw: str) -> Fraction:
    """The exact value of a Kubernetes quantity string."""
    match = _QUANTITY.fullmatch(raw)
    if not raw or match is None:
        raise CelFunctionError(_FORMAT_ERROR)
    sign, whole, fraction, suffix = match.groups()
    digits = (whole or "0") + "." + (fraction or "0")
    number = Fraction(Decimal(digits))
    value = _scale(number, suffix, raw)
    return _round_and_cap(-value if sign == "-" else value)


def format_value(value: Fraction) -> str:
    """Plain decimal text of a value that is a multiple of 1n (``"1.5"``, ``"-0.001"``, ``"1024"``)."""
    if value.denominator == 1:
        return str(value.numerator)
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def to_quantity(value: Fraction) -> dict[str, Any]:
    """The tagged map of a quantity value."""
    return tagged(QUANTITY, value=format_value(value))


def value_of(quantity_value: Any, function_name: str) -> Fraction:
    """The exact value held by a quantity tagged map."""
    return Fraction(Decimal(str(expect(quantity_value, QUANTITY, function_name)["value"])))


def quantity(raw: str) -> dict[str, Any]:
    """``quantity(string)``: a Quantity value, or an error."""
    return to_quantity(parse_quantity(raw))


def is_quantity(raw: str) -> bool:
    """``isQuantity(string)``: whether ``quantity(string)`` would succeed."""
    try:
        parse_quantity(raw)
    except CelFunctionError:
        return False
    return True


def sign(quantity_value: dict[str, Any]) -> int:
    """``<Quantity>.sign()``: -1, 0 or 1."""
    value = value_of(quantity_value, "sign")
    return (value > 0) - (value < 0)


def _operand(other: Any, function_name: str, receiver: Any) -> Fraction:
    if type_of(other) == QUANTITY:
        return value_of(other, function_name)
    if is_number(other) and isinstance(other, int):
        return Fraction(other)
    raise no_overload(function_name, receiver, other)


def add(quantity_value: dict[str, Any], other: Any) -> dict[str, Any]:
    """``<Quantity>.add(<Quantity> | int)``: the exact sum."""
    return to_quantity(value_of(quantity_value, "add") + _operand(other, "add", quantity_value))


def sub(quantity_value: dict[str, Any], other: Any) -> dict[str, Any]:
    """``<Quantity>.sub(<Quantity> | int)``: the exact difference."""
    return to_quantity(value_of(quantity_value, "sub") - _operand(other, "sub", quantity_value))


def _as_int64(value: Fraction) -> int | None:
    if value.denominator != 1 or not -INT64_MAX < value.numerator < INT64_MAX:
        return None
    return value.numerator


def is_integer(quantity_value: dict[str, Any]) -> bool:
    """``<Quantity>.isInteger()``: whether ``asInteger()`` would succeed."""
    return _as_int64(value_of(quantity_value, "isInteger")) is not None


def as_integer(quantity_value: dict[str, Any]) -> int:
    """``<Quantity>.asInteger()``: the value as an int; an error if it has a fraction or overflows int64."""
    result = _as_int64(value_of(quantity_value, "asInteger"))
    if result is None:
        raise CelFunctionError("cannot convert value to integer")
    return result


def as_approximate_float(quantity_value: dict[str, Any]) -> float:
    """``<Quantity>.asApproximateFloat()``: the nearest double."""
    return float(value_of(quantity_value, "asApproximateFloat"))


def compare(left: Any, right: Any) -> int:
    """-1, 0 or 1 comparing two quantity tagged maps."""
    a, b = value_of(left, "compareTo"), value_of(right, "compareTo")
    return (a > b) - (a < b)


def _member(name: str, impl: Any, result: str) -> Any:
    return function(name, overload(f"k8s_quantity_{name}", ("map",), result, impl, member=True))


LIBRARY = Library(
    "k8s_quantity",
    (
        function("quantity", overload("k8s_string_to_quantity", ("string",), "map", quantity)),
        function("isQuantity", overload("k8s_is_quantity_string", ("string",), "bool", is_quantity)),
        _member("sign", sign, "int"),
        _member("isInteger", is_integer, "bool"),
        _member("asInteger", as_integer, "int"),
        _member("asApproximateFloat", as_approximate_float, "double"),
        function(
            "add",
            overload("k8s_quantity_add", ("map", "map"), "map", add, member=True),
            overload("k8s_quantity_add_int", ("map", "int"), "map", add, member=True),
        ),
        function(
            "sub",
            overload("k8s_quantity_sub", ("map", "map"), "map", sub, member=True),
            overload("k8s_quantity_sub_int", ("map", "int"), "map", sub, member=True),
        ),
    ),
)
