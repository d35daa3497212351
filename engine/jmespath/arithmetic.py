"""Kyverno's arithmetic functions (``add``, ``subtract``, ``multiply``, ``divide``, ``modulo``, ``sum``, ``round``).

Each operand is classified (``ParseArithemticOperands``): a JSON number is a *scalar*; a string that parses as a
Kubernetes quantity is a *quantity* (so ``'10'`` and ``'1m'`` are quantities); else a string that parses as a Go
duration is a *duration* (``'1h'``, ``'30s'``); anything else is an invalid operand.

============  ==========  ===============  ==================  ================  =====================
operation     scalar∘sc.  quantity∘q.      quantity∘scalar     duration∘d.       duration∘scalar
============  ==========  ===============  ==================  ================  =====================
add/subtract  number      quantity text    error               duration text     error
multiply      number      error            quantity text       error             duration text
divide        number      number (ratio)   quantity text       number (ratio)    duration text
modulo        number      quantity text    error               duration text     error
============  ==========  ===============  ==================  ================  =====================

``multiply`` is commutative (scalar∘quantity and scalar∘duration work too); other scalar∘x mixes are errors.
Quantity results print in the left operand's format.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from .duration import DurationError, format_duration, parse_duration, to_int64_duration
from .errors import function_error
from .gotext import go_sprint_float, is_number
from .quantity import Quantity, QuantityError, parse_quantity

__all__ = ["add", "divide", "modulo", "multiply", "round_to", "subtract", "sum_of"]


class _Duration(int):
    """Nanoseconds of a duration operand (a distinct type so that it is not taken for a scalar)."""


Operand = float | Quantity | _Duration


def _operand(function: str, value: Any) -> Operand | None:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_quantity(value)
        except QuantityError:
            pass
        try:
            return _Duration(parse_duration(value))
        except DurationError:
            pass
    return None


def _operands(function: str, left: Any, right: Any) -> tuple[Operand, Operand]:
    first, second = _operand(function, left), _operand(function, right)
    if first is None or second is None:
        raise function_error(function, "invalid operands")
    return first, second


def _mismatch(function: str) -> Exception:
    return function_error(function, "types mismatch")


def _zero(function: str) -> Exception:
    return function_error(function, "Zero divisor passed")


def _scalar_quantity(function: str, number: float) -> Quantity:
    try:
        return parse_quantity(go_sprint_float(number))
    except QuantityError as exc:
        raise function_error(function, str(exc)) from None


def _is_scalar(value: Operand) -> bool:
    return isinstance(value, float)


def _finite(function: str, number: float) -> float:
    if math.isinf(number) or math.isnan(number):
        raise function_error(function, "result is not a finite number")
    return number


def add(left: Any, right: Any) -> Any:
    """``add(a, b)``."""
    return _add_or_subtract("add", left, right, 1)


def subtract(left: Any, right: Any) -> Any:
    """``subtract(a, b)``."""
    return _add_or_subtract("subtract", left, right, -1)


def _add_or_subtract(function: str, left: Any, right: Any, sign: int) -> Any:
    first, second = _operands(function, left, right)
    if isinstance(first, Quantity) and isinstance(second, Quantity):
        base = first if first.value != 0 else second  # Go's Quantity.Add takes y's format when q is zero
        return base.with_value(first.value + sign * second.value).canonical()
    if isinstance(first, _Duration) and isinstance(second, _Duration):
        return format_duration(_wrap_int64(first + sign * second))
    if isinstance(first, float) and isinstance(second, float):
        return _finite(function, first + sign * second)
    raise _mismatch(function)


def _wrap_int64(value: int) -> int:
    return (value + 2**63) % 2**64 - 2**63


def multiply(left: Any, right: Any) -> Any:
    """``multiply(a, b)``."""
    first, second = _operands("multiply", left, right)
    if isinstance(first, float) and not isinstance(second, float):
        first, second = second, first
    if isinstance(first, float) and isinstance(second, float):
        return _finite("multiply", first * second)
    if isinstance(first, Quantity) and isinstance(second, float):
        factor = _scalar_quantity("multiply", second)
        return first.with_value(first.value * factor.value).canonical()
    if isinstance(first, _Duration) and isinstance(second, float):
        return format_duration(to_int64_duration(float(first) * second))
    raise _mismatch("multiply")


def divide(left: Any, right: Any) -> Any:
    """``divide(a, b)``."""
    first, second = _operands("divide", left, right)
    if isinstance(first, float) and isinstance(second, float):
        if second == 0:
            raise _zero("divide")
        return first / second
    if isinstance(first, Quantity) and isinstance(second, Quantity):
        if float(second.value) == 0:
            raise _zero("divide")
        return float(first.value) / float(second.value)
    if isinstance(first, Quantity) and isinstance(second, float):
        if second == 0:
            raise _zero("divide")
        divisor = _scalar_quantity("divide", second)
        scale = max(first.scale, divisor.scale)
        return first.with_value(_truncate(first.value / divisor.value, scale), scale).canonical()
    if isinstance(first, _Duration) and isinstance(second, _Duration):
        if second == 0:
            raise _zero("divide")
        return (first / 1e9) / (second / 1e9)
    if isinstance(first, _Duration) and isinstance(second, float):
        if second == 0:
            raise _zero("divide")
        return format_duration(to_int64_duration(float(first) / second))
    raise _mismatch("divide")


def _truncate(value: Fraction, scale: int) -> Fraction:
    """Round toward zero to ``scale`` decimals (inf.Dec ``QuoRound`` with ``RoundDown``)."""
    unit = Fraction(1, 10**scale) if scale >= 0 else Fraction(10 ** -scale)
    magnitude = (abs(value) // unit) * unit
    return -magnitude if value < 0 else magnitude


def _go_int_remainder(left: int, right: int) -> int:
    """Go's ``%``: the sign of the dividend."""
    remainder = abs(left) % abs(right)
    return -remainder if left < 0 else remainder


def _integral(function: str, number: float) -> int:
    if not math.isfinite(number) or number != int(number):
        raise function_error(function, "Non-integer argument(s) passed for modulo")
    return int(number)


def modulo(left: Any, right: Any) -> Any:
    """``modulo(a, b)``."""
    first, second = _operands("modulo", left, right)
    if isinstance(first, float) and isinstance(second, float):
        dividend, divisor = _integral("modulo", first), _integral("modulo", second)
        if divisor == 0:
            raise _zero("modulo")
        return float(_go_int_remainder(dividend, divisor))
    if isinstance(first, Quantity) and isinstance(second, Quantity):
        dividend = _integral("modulo", float(first.value))
        divisor = _integral("modulo", float(second.value))
        if divisor == 0:
            raise _zero("modulo")
        return first.with_value(Fraction(_go_int_remainder(dividend, divisor)), 0).canonical()
    if isinstance(first, _Duration) and isinstance(second, _Duration):
        if second == 0:
            raise _zero("modulo")
        return format_duration(_go_int_remainder(first, second))
    raise _mismatch("modulo")


def sum_of(items: Any) -> Any:
    """``sum(list)``: ``add`` folded over the list (an empty list is an error)."""
    if not isinstance(items, list):
        raise _mismatch("sum")
    if not items:
        raise function_error("sum", "at least one element in the array is required")
    result = items[0]
    for item in items[1:]:
        result = add(result, item)
    return result


def round_to(value: Any, digits: Any) -> float:
    """``round(x, digits)``: half away from zero to ``digits`` decimals."""
    if not is_number(value):
        raise function_error("round", "1 argument is expected of Number type")
    if not is_number(digits):
        raise function_error("round", "2 argument is expected of Number type")
    if not math.isfinite(digits) or digits != int(digits):
        raise function_error("round", "Non-integer argument(s) passed for round off")
    if digits < 0:
        raise function_error("round", "Argument out of bounds (non-negative integer expected)")
    shift = math.pow(10, int(digits)) if digits < 400 else math.inf
    return _go_round(float(value) * shift) / shift if math.isfinite(shift) else float(value)


def _go_round(number: float) -> float:
    """Go's ``math.Round``: half away from zero, exact for every float."""
    if not math.isfinite(number):
        return number
    whole = float(math.trunc(number))
    if abs(number - whole) >= 0.5:
        whole += math.copysign(1.0, number)
    return whole
