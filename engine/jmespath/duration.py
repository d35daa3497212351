"""Go ``time.Duration``: ``time.ParseDuration`` and ``Duration.String`` on integer nanoseconds.

Syntax: an optional sign, then one or more ``<number><unit>`` with decimal fractions allowed (``1h30m``,
``1.5h``, ``-300ms``), units ``ns us µs μs ms s m h``; ``"0"`` alone is zero. Printing gives Go's canonical
form: ``1h0m0s``, ``1m30s``, ``1.5s``, ``500ms``, ``2µs``, ``0s``.
"""

from __future__ import annotations

__all__ = ["DurationError", "format_duration", "is_duration", "parse_duration", "to_int64_duration"]

NANOSECOND = 1
MICROSECOND = 1000
MILLISECOND = 1000 * MICROSECOND
SECOND = 1000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
_INT64_MAX = 2**63 - 1
_UNITS = {"ns": NANOSECOND, "us": MICROSECOND, "µs": MICROSECOND, "μs": MICROSECOND, "ms": MILLISECOND,
          "s": SECOND, "m": MINUTE, "h": HOUR}


class DurationError(ValueError):
    """The text is not a Go duration."""


def _leading_int(text: str) -> tuple[int, str]:
    i = 0
    while i < len(text) and text[i].isascii() and text[i].isdigit():
        i += 1
    value = int(text[:i]) if i else 0
    if value > 2**63:
        raise OverflowError
    return value, text[i:]


def _leading_fraction(text: str) -> tuple[int, float, str]:
    i = 0
    value, scale, overflow = 0, 1.0, False
    while i < len(text) and text[i].isascii() and text[i].isdigit():
        if not overflow:
            if value > _INT64_MAX // 10:
                overflow = True
            else:
                value = value * 10 + int(text[i])
                scale *= 10
        i += 1
    return value, scale, text[i:]


def parse_duration(text: str) -> int:
    """Nanoseconds of a Go duration string; raise :class:`DurationError` with Go's message otherwise."""
    original, rest, negative = text, text, False
    if rest[:1] in ("-", "+"):
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise DurationError(f'time: invalid duration "{original}"')
    total = 0
    while rest:
        if not (rest[0] == "." or (rest[0].isascii() and rest[0].isdigit())):
            raise DurationError(f'time: invalid duration "{original}"')
        before = len(rest)
        try:
            whole, rest = _leading_int(rest)
        except OverflowError:
            raise DurationError(f'time: invalid duration "{original}"') from None
        consumed = before != len(rest)
        fraction, scale, fraction_digits = 0, 1.0, False
        if rest[:1] == ".":
            rest = rest[1:]
            before = len(rest)
            fraction, scale, rest = _leading_fraction(rest)
            fraction_digits = before != len(rest)
        if not consumed and not fraction_digits:
            raise DurationError(f'time: invalid duration "{original}"')
        i = 0
        while i < len(rest) and rest[i] != "." and not (rest[i].isascii() and rest[i].isdigit()):
            i += 1
        if i == 0:
            raise DurationError(f'time: missing unit in duration "{original}"')
        unit_text, rest = rest[:i], rest[i:]
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise DurationError(f'time: unknown unit "{unit_text}" in duration "{original}"')
        if whole > 2**63 // unit:
            raise DurationError(f'time: invalid duration "{original}"')
        value = whole * unit
        if fraction > 0:
            value += int(fraction * (unit / scale))
        total += value
        if total > 2**63:
            raise DurationError(f'time: invalid duration "{original}"')
    if negative:
        return -total
    if total > _INT64_MAX:
        raise DurationError(f'time: invalid duration "{original}"')
    return total


def is_duration(text: str) -> bool:
    """Whether ``time.ParseDuration`` accepts the text."""
    try:
        parse_duration(text)
    except DurationError:
        return False
    return True


def to_int64_duration(nanoseconds: float) -> int:
    """``time.Duration(x)`` for a float: truncation toward zero, saturated to the int64 range."""
    if nanoseconds != nanoseconds:  # NaN
        return -(2**63)
    if nanoseconds >= 2**63:
        return _INT64_MAX
    if nanoseconds < -(2**63):
        return -(2**63)
    return int(nanoseconds)


def _frac(value: int, precision: int) -> tuple[str, int]:
    digits = ""
    printed = False
    for _ in range(precision):
        digit = value % 10
        printed = printed or digit != 0
        if printed:
            digits = str(digit) + digits
        value //= 10
    return ("." + digits if printed else ""), value


def format_duration(nanoseconds: int) -> str:
    """``Duration.String()``."""
    negative = nanoseconds < 0
    u = -nanoseconds if negative else nanoseconds
    if u < SECOND:
        if u == 0:
            return "0s"
        if u < MICROSECOND:
            unit, precision = "ns", 0
        elif u < MILLISECOND:
            unit, precision = "µs", 3
        else:
            unit, precision = "ms", 6
        fraction, u = _frac(u, precision)
        text = f"{u}{fraction}{unit}"
    else:
        fraction, u = _frac(u, 9)
        text = f"{u % 60}{fraction}s"
        u //= 60
        if u > 0:
            text = f"{u % 60}m{text}"
            u //= 60
            if u > 0:
                text = f"{u}h{text}"
    return "-" + text if negative else text
