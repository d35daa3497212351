"""Go's text forms of numbers and durations, as Kyverno's Go code reads and prints them.

Kyverno compares pattern values through Go's ``strconv`` and ``time`` packages and prints values with ``fmt``'s
``%v``; the few forms its legacy engine relies on are reproduced here: ``time.ParseDuration``,
``strconv.ParseFloat``/``ParseInt`` (strict: no spaces, no ``_``), ``%v``, ``%E`` and ``%f`` of a float64.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..jmespath.duration import DurationError
from ..jmespath.duration import parse_duration as go_parse_duration

_INT64_MAX = (1 << 63) - 1
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL_FLOATS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                   "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan, "+nan": math.nan,
                   "-nan": math.nan}
_INT = re.compile(r"[+-]?[0-9]+")


def parse_duration(text: str) -> int | None:
    """``time.ParseDuration``: nanoseconds, or None when ``text`` is not a Go duration (``"1h30m"``, ``"-1.5s"``)."""
    try:
        return go_parse_duration(text)
    except DurationError:
        return None


def parse_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)`` without its hexadecimal forms: None when Go would return an error."""
    special = _SPECIAL_FLOATS.get(text.lower())
    if special is not None:
        return special
    if not _FLOAT.fullmatch(text):
        return None
    value = float(text)
    return None if math.isinf(value) else value


def parse_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``: None when Go would return an error."""
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if -(1 << 63) <= value <= _INT64_MAX else None


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-tripping decimal digits of ``abs(value)`` and the exponent of the first digit."""
    _sign, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(str(d) for d in digits) or "0"
    if text == "0":
        return "0", 0
    return text, len(text) - 1 + int(exponent)


def _exponent_form(value: float, letter: str) -> str:
    digits, exponent = _shortest_digits(value)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    return f"{sign}{mantissa}{letter}{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


def format_float_e(value: float) -> str:
    """``strconv.FormatFloat(value, 'E', -1, 64)``: ``80`` -> ``8E+01``."""
    if math.isnan(value) or math.isinf(value):
        return _special(value)
    return _exponent_form(value, "E")


def format_float_f(value: float) -> str:
    """``fmt.Sprintf("%f", value)``: six decimals."""
    if math.isnan(value) or math.isinf(value):
        return _special(value)
    return f"{value:.6f}"


def format_float_g(value: float) -> str:
    """``%v`` of a float64 (``strconv`` ``'g'`` with the shortest digits): ``80`` -> ``80``, ``1e6`` -> ``1e+06``."""
    if math.isnan(value) or math.isinf(value):
        return _special(value)
    digits, exponent = _shortest_digits(value)
    if exponent < -4 or exponent >= 6:
        return _exponent_form(value, "e")
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if exponent >= len(digits) - 1:
        return sign + digits + "0" * (exponent - len(digits) + 1)
    if exponent >= 0:
        return sign + digits[: exponent + 1] + "." + digits[exponent + 1:]
    return sign + "0." + "0" * (-exponent - 1) + digits


def _special(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def format_value(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` of a JSON value as Go holds it (maps print with sorted keys)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float_g(value)
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{format_value(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(format_value(item) for item in value) + "]"
    return str(value)


def type_name(value: Any) -> str:
    """``fmt.Sprintf("%T", value)`` of a JSON value decoded by Go (``int`` counts as ``int64``)."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__
