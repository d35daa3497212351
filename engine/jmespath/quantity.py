"""Kubernetes ``resource.Quantity`` as Kyverno's arithmetic and operators see it: value, format and printing.

:func:`parse_quantity` follows ``resource.ParseQuantity``: an optional sign, digits with an optional fraction, and
a suffix (decimal SI ``n u m k M G T P E``, binary ``Ki Mi Gi Ti Pi Ei``, or an exponent ``e3``/``E-2``). Besides
the exact value a quantity keeps its *format* (binary, decimal SI, decimal exponent: results print in it) and the
scale of its decimal representation (``100m`` has 3 decimals, ``1k`` has -3), which Kyverno's ``divide`` uses to
round. :meth:`Quantity.canonical` is ``Quantity.String()``: ``1536Mi``, ``1500m``, ``2k``, ``1e3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["BINARY_SI", "DECIMAL_EXPONENT", "DECIMAL_SI", "Quantity", "QuantityError", "parse_quantity"]

BINARY_SI = "BinarySI"
DECIMAL_SI = "DecimalSI"
DECIMAL_EXPONENT = "DecimalExponent"

_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIX = {exponent: suffix for suffix, exponent in _DECIMAL.items()}
_BINARY_SUFFIX = {exponent // 10: suffix for suffix, exponent in _BINARY.items()}
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_NANO_SCALE = 9
_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_INT64_MAX = 2**63 - 1
_MAX_EXPONENT = 1000  # beyond this an exponent suffix would build numbers of absurd size


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


@dataclass(frozen=True)
class Quantity:
    """An exact quantity value with its print format and decimal scale (digits after the point, may be < 0)."""

    value: Fraction
    format: str = DECIMAL_SI
    scale: int = 0

    def canonical(self) -> str:
        """``Quantity.String()``."""
        if self.value == 0:
            return "0"
        form = self.format
        if form == BINARY_SI:
            if -1024 < self.value < 1024 or self.value.denominator != 1:
                form = DECIMAL_SI
            else:
                return _base1024(self.value.numerator)
        return _base10(self.value, form)

    def with_value(self, value: Fraction, scale: int | None = None) -> Quantity:
        """A quantity of this format holding ``value``."""
        return Quantity(value, self.format, self.scale if scale is None else scale)


def _base1024(number: int) -> str:
    exponent = 0
    while number % 1024 == 0 and exponent < 6:
        number //= 1024
        exponent += 1
    return f"{number}{_BINARY_SUFFIX.get(exponent, '') if exponent else ''}"


def _base10(value: Fraction, form: str) -> str:
    # value = mantissa * 10^exponent with the mantissa an integer free of trailing zeros, then the exponent lowered
    # to a multiple of 3 (as AsCanonicalBytes does).
    exponent = 0
    numerator, denominator = value.numerator, value.denominator
    while denominator != 1:
        numerator *= 10
        exponent -= 1
        common = math.gcd(numerator, denominator)
        numerator //= common
        denominator //= common
        if exponent < -60:  # not a terminating decimal: cannot happen for values built from decimals
            break
    while numerator % 10 == 0:
        numerator //= 10
        exponent += 1
    while exponent % 3:
        numerator *= 10
        exponent -= 1
    if form == DECIMAL_EXPONENT:
        return f"{numerator}e{exponent}" if exponent else str(numerator)
    return f"{numerator}{_DECIMAL_SUFFIX.get(exponent, '')}"


def _split(text: str) -> tuple[bool, str, str, str, str]:
    """``parseQuantityString``: (positive, signed value text, numerator digits, fraction digits, suffix)."""
    positive, pos, end = True, 0, len(text)
    if text[:1] in ("-", "+"):
        positive = text[0] == "+"
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "0", "", ""
    start = pos
    while pos < end and text[pos].isascii() and text[pos].isdigit():
        pos += 1
    numerator = text[start:pos] or "0"
    if pos >= end:
        return positive, text, numerator, "", ""
    fraction = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos].isascii() and text[pos].isdigit():
            pos += 1
        fraction = text[start:pos]
        if pos >= end:
            return positive, text, numerator, fraction, ""
    value_text, suffix_start = text[:pos], pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos].isascii() and text[pos].isdigit():
        pos += 1
    if pos != end:
        raise QuantityError(_FORMAT_ERROR)
    return positive, value_text, numerator, fraction, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], DECIMAL_SI
    if suffix in _BINARY:
        return 2, _BINARY[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        digits = suffix[1:]
        if digits.lstrip("+-").isdigit() and len(digits.lstrip("+-")) == len(digits) - (digits[0] in "+-"):
            exponent = int(digits)
            if abs(exponent) <= _MAX_EXPONENT:
                return 10, exponent, DECIMAL_EXPONENT
    raise QuantityError("unable to parse quantity's suffix")


def parse_quantity(text: str) -> Quantity:
    """``resource.ParseQuantity``; raise :class:`QuantityError` when the text is not a quantity."""
    if not text:
        raise QuantityError(_FORMAT_ERROR)
    if text == "0":
        return Quantity(Fraction(0), DECIMAL_SI, 0)
    positive, _, numerator, fraction, suffix = _split(text)
    base, exponent, form = _interpret(suffix)
    magnitude = Fraction(int(numerator + fraction), 10 ** len(fraction))
    magnitude = magnitude * (Fraction(10) ** exponent if base == 10 else 2**exponent)
    # The int64 fast path keeps the written scale; anything else is an inf.Dec rounded up to nanos (scale 9).
    if form == BINARY_SI:
        fast = not fraction and 15 - len(numerator) - int(exponent * 3 / 10) - 1 >= 0
        written_scale = 0
    else:
        fast = 18 - (len(numerator) + len(fraction)) >= 0
        written_scale = exponent - len(fraction)
    if fast and written_scale >= -_NANO_SCALE and magnitude.numerator // magnitude.denominator <= _INT64_MAX:
        value = magnitude if positive else -magnitude
        return Quantity(value, form, -written_scale)
    nanos = math.ceil(magnitude * 10**_NANO_SCALE)
    magnitude = Fraction(nanos, 10**_NANO_SCALE)
    if form == BINARY_SI:
        magnitude = min(magnitude, Fraction(_INT64_MAX))
        if 0 < magnitude < 1:
            form = DECIMAL_SI
    return Quantity(magnitude if positive else -magnitude, form, _NANO_SCALE)


def is_quantity(text: str) -> bool:
    """Whether ``resource.ParseQuantity`` accepts the text."""
    try:
        parse_quantity(text)
    except QuantityError:
        return False
    return True
