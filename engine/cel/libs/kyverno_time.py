"""Kyverno's ``time`` library: ``time.now()``, ``time.toCron(timestamp)`` and ``time.truncate(timestamp, duration)``.

``toCron`` renders ``"<minute> <hour> <day> <month> <weekday>"`` (Sunday = 0) of the UTC timestamp. ``truncate``
rounds down to a multiple of the duration since Go's zero time (January 1, year 1 UTC), as Go's ``Time.Truncate``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from .kyverno_common import go_zero_time


def _utc(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise CelFunctionError(f"no such overload: {name} expects a timestamp")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)


def to_cron(value: Any) -> str:
    """The cron expression that fires at this minute: ``"minute hour day month weekday"``."""
    moment = _utc(value, "time.toCron")
    weekday = (moment.weekday() + 1) % 7
    return f"{moment.minute} {moment.hour} {moment.day} {moment.month} {weekday}"


def truncate(value: Any, step: Any) -> datetime:
    """Round ``value`` down to a multiple of ``step`` since Go's zero time; a non-positive step changes nothing."""
    moment = _utc(value, "time.truncate")
    if not isinstance(step, timedelta):
        raise CelFunctionError("no such overload: time.truncate expects a duration")
    if step <= timedelta(0):
        return moment
    zero = go_zero_time()
    elapsed = moment - zero
    step_us = step // timedelta(microseconds=1)
    elapsed_us = elapsed // timedelta(microseconds=1)
    if step_us == 0:
        return moment
    return zero + timedelta(microseconds=elapsed_us - elapsed_us % step_us)


LIBRARY = Library(
    "kyverno.time",
    (
        function("time.now", overload("kyverno_time_now", [], "timestamp", now)),
        function("time.toCron", overload("kyverno_time_toCron_timestamp", ["timestamp"], "string", to_cron)),
        function(
            "time.truncate",
            overload("kyverno_time_truncate_timestamp_duration", ["timestamp", "duration"], "timestamp", truncate),
        ),
    ),
)
