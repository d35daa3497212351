"""How Go prints and parses the scalars Kyverno's JMESPath and conditions handle.

Kyverno holds every JSON number as a float64. Where its code turns a value into text the result depends on the Go
call used: ``fmt.Sprint`` (``%v``: shortest digits, exponent form from 1e21 on and below 1e-4), JSON encoding
(shortest digits, exponent form from 1e21 on and below 1e-6), and ``strconv.FormatFloat(f, 'f', -1, 32)`` for
numbers passed to string functions (float32 precision, never an exponent).
"""

from __future__ import annotations

import math
import re
import struct
from decimal import Decimal
from typing import Any

from ..cel.libs.kyverno_common import go_json_encode

__all__ = ["go_float32_text", "go_json", "go_parse_float", "go_parse_int", "go_sprint", "go_sprint_float", "is_number"]

_GO_FLOAT = re.compile(r"[+-]?(?:\d+(?:_\d+)*\.?(?:\d+(?:_\d+)*)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+)?")
_GO_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf, "+infinity": math.inf,
               "-infinity": -math.inf, "nan": math.nan}


def is_number(value: Any) -> bool:
    """A JSON number (``bool`` is not one, unlike in Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits and decimal exponent of a finite non-zero float (value = 0.d1d2... * 10^exp)."""
    _, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    return text, len(text) + exponent


def _format_g(value: float, exponent_limit: int, low_limit: int) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _shortest_digits(value)
    sign = "-" if value < 0 else ""
    exp = point - 1
    if exp < low_limit or exp >= exponent_limit:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def go_sprint_float(value: float) -> str:
    """``fmt.Sprint(float64)``: ``%g`` with the shortest digits (``1e+06``, ``123456``, ``0.5``, ``1e-05``)."""
    return _format_g(float(value), 6, -4)


def go_sprint(value: Any) -> str:
    """``fmt.Sprint`` of a JSON value as Kyverno's operators use it for scalars (numbers are float64)."""
    if value is None:
        return "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return value
    if is_number(value):
        return go_sprint_float(float(value))
    if isinstance(value, list):
        return "[" + " ".join(go_sprint(item) for item in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{go_sprint(value[key])}" for key in sorted(value)) + "]"
    return str(value)


def go_float32_text(value: float) -> str:
    """``strconv.FormatFloat(f, 'f', -1, 32)``: shortest digits that identify the float32, no exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    try:
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return "+Inf" if value > 0 else "-Inf"
    if single == 0:
        return "-0" if math.copysign(1.0, single) < 0 else "0"
    target = struct.pack("<f", single)
    for precision in range(1, 18):
        text = f"{single:.{precision}g}"
        if struct.pack("<f", float(text)) == target:
            break
    return format(Decimal(text), "f")


def go_json(value: Any) -> str:
    """``json.Marshal`` of a JSON value (sorted keys, compact, integral floats without ``.0``)."""
    return go_json_encode(value)


def go_parse_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)``, or ``None`` when Go would refuse the text."""
    lowered = text.lower()
    if lowered in _GO_SPECIAL:
        return _GO_SPECIAL[lowered]
    if not _GO_FLOAT.fullmatch(text) or "_" in text:
        return None
    try:
        return float(text)
    except ValueError:  # pragma: no cover - the pattern only admits decimal floats
        return None


def go_parse_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``, or ``None``."""
    if not re.fullmatch(r"[+-]?\d+", text):
        return None
    number = int(text)
    return number if -(2**63) <= number < 2**63 else None
