"""Kyverno's ``math`` library: ``math.round(double, int) -> double`` (rounding to a number of decimal places).

cel-go's ``math.round(double)`` (one argument) is native; this two-argument overload does not collide with it.
Kyverno rounds half away from zero: ``math.Round(value * 10^p) / 10^p``.
"""

from __future__ import annotations

import math
from typing import Any

from ..decl import CelFunctionError, Library, function, overload


def round_to(value: Any, precision: Any) -> float:
    """Round ``value`` to ``precision`` decimal places, halves away from zero (Go ``math.Round``)."""
    if not isinstance(value, float) or isinstance(precision, bool) or not isinstance(precision, int):
        raise CelFunctionError("no such overload: math.round(double, int)")
    if math.isnan(value) or math.isinf(value):
        return value
    factor = math.pow(10, precision)
    scaled = value * factor
    if math.isinf(scaled):
        return value
    rounded = float(math.trunc(scaled))
    if abs(scaled - rounded) >= 0.5:
        rounded += math.copysign(1.0, scaled)
    return rounded / factor


LIBRARY = Library(
    "kyverno.math",
    (function("math.round", overload("kyverno_math_round_double_int", ["double", "int"], "double", round_to)),),
)
