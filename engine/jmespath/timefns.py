"""Kyverno's ``time_*`` functions (``pkg/engine/jmespath/time.go``): RFC 3339 in, RFC 3339 or Go durations out."""

from __future__ import annotations

from .duration import DurationError, format_duration, parse_duration
from .errors import FunctionError
from .gotext import go_parse_int
from .gotime import RFC3339, GoTime, TimeParseError, now, parse_time
from .providers import current_jmespath_providers

__all__ = [
    "time_add", "time_after", "time_before", "time_between", "time_diff", "time_now", "time_now_utc", "time_parse",
    "time_since", "time_to_cron", "time_truncate", "time_utc",
]


def _now() -> GoTime:
    clock = current_jmespath_providers().clock
    return clock() if clock is not None else now()


def _parse(text: str, layout: str = RFC3339) -> GoTime:
    try:
        return parse_time(layout, text)
    except TimeParseError as exc:
        raise FunctionError(str(exc)) from None


def _duration(text: str) -> int:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise FunctionError(str(exc)) from None


def time_since(layout: str, start: str, end: str) -> str:
    """``time_since(layout, t1, t2)``: ``t2 - t1`` as a duration; empty layout is RFC 3339, empty ``t2`` is now."""
    chosen = layout or RFC3339
    first = _parse(start, chosen)
    second = _parse(end, chosen) if end else _now()
    return format_duration(second.sub(first))


def time_now() -> str:
    """``time_now()``: the current local time (UTC here) in RFC 3339."""
    return _now().rfc3339()


def time_now_utc() -> str:
    """``time_now_utc()``: the current UTC time in RFC 3339."""
    return _now().utc().rfc3339()


def time_add(start: str, duration: str) -> str:
    """``time_add(t, d)``."""
    return _parse(start).add(_duration(duration)).rfc3339()


def time_parse(layout: str, text: str) -> str:
    """``time_parse(layout, t)``: to RFC 3339; a numeric layout means ``t`` is a Unix time in seconds."""
    if go_parse_int(layout) is not None:
        seconds = go_parse_int(text)
        if seconds is None:
            raise FunctionError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
        return GoTime(seconds).rfc3339()
    return _parse(text, layout).rfc3339()


def time_to_cron(text: str) -> str:
    """``time_to_cron(t)``: ``"minute hour day month weekday"`` of the UTC time."""
    _, month, day, hour, minute, _, weekday = _parse(text).utc().civil()
    return f"{minute} {hour} {day} {month} {weekday}"


def time_utc(text: str) -> str:
    """``time_utc(t)``."""
    return _parse(text).utc().rfc3339()


def time_diff(start: str, end: str) -> str:
    """``time_diff(t1, t2)``: ``t2 - t1`` as a duration."""
    return format_duration(_parse(end).sub(_parse(start)))


def time_before(first: str, second: str) -> bool:
    """``time_before(a, b)``."""
    return _parse(first).total_nanos < _parse(second).total_nanos


def time_after(first: str, second: str) -> bool:
    """``time_after(a, b)``."""
    return _parse(first).total_nanos > _parse(second).total_nanos


def time_between(moment: str, start: str, end: str) -> bool:
    """``time_between(t, start, end)``: strictly after ``start`` and before ``end``."""
    value = _parse(moment).total_nanos
    return _parse(start).total_nanos < value < _parse(end).total_nanos


def time_truncate(moment: str, duration: str) -> str:
    """``time_truncate(t, d)``: round down to a multiple of ``d`` (since Go's zero time)."""
    return _parse(moment).truncate(_duration(duration)).rfc3339()
