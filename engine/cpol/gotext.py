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
from fractions import Fraction
from typing import Any

_NANOSECOND = 1
_UNITS = {
    "ns": _NANOSECOND,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_INT64_MAX = (1 << 63) - 1
_DURATION_TERM = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL_FLOATS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
                   "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan, "+nan": math.nan,
                   "-nan": math.nan}
_INT = re.compile(r"[+-]?[0-9]+")


def parse_duration(text: str) -> int | None:
    """``time.ParseDuration``: nanoseconds, or None when ``text`` is not a Go duration (``"1h30m"``, ``"-1.5s"``)."""
    rest = text
    negative = False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        return None
    total = Fraction(0)
    while rest:
        if not (rest[0] == "." or (rest[0].isascii() and rest[0].isdigit())):
            return None
        match = _DURATION_TERM.match(rest)
        if match is None:  # pragma: no cover - the pattern always matches a digit or dot
            return None
        whole, fraction, unit = match.groups()
        if not whole and not fraction:
            return None
        if unit not in _UNITS:
            return None
        value = Fraction(int(whole or "0"))
        if fraction:
            value += Fraction(int(fraction), 10 ** len(fraction))
        total += value * _UNITS[unit]
        if total > 1 << 63:
            return None
        rest = rest[match.end():]
    nanos = int(total)
    if negative:
        return -nanos
    return nanos if nanos <= _INT64_MAX else None


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
