"""Go's ``time.Parse`` with reference layouts, and RFC 3339 output, for Kyverno's ``time_*`` functions.

A time is held as Unix seconds, nanoseconds and the zone offset it was written with (Go keeps the offset, and
``time_add``/``time_truncate`` print in it). Layouts use Go's reference time ``Mon Jan 2 15:04:05 MST 2006``:
``2006 06 01 1 Jan January 02 2 _2 002 __2 15 03 3 04 4 05 5 PM pm Mon Monday MST -0700 -07:00 -07 -070000
-07:00:00 Z0700 Z07:00 Z07 Z070000 Z07:00:00 .000 .999 ,000``. As in Go, a fractional second may follow the seconds
even when the layout has none, a named zone other than UTC/GMT±h gets offset 0 (the local zone is UTC here), and
the year defaults to 0. The machine's local time zone is taken to be UTC.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass

__all__ = ["RFC3339", "GoTime", "TimeParseError", "now", "parse_time"]

RFC3339 = "2006-01-02T15:04:05Z07:00"
_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LONG_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December")
_SHORT_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_LONG_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_ZERO_TIME_UNIX = -62135596800  # January 1, year 1, 00:00:00 UTC
_NUMERIC_ZONES = (("-070000", "num_seconds"), ("-07:00:00", "num_colon_seconds"), ("-0700", "num"),
                  ("-07:00", "num_colon"), ("-07", "num_short"))
_ISO_ZONES = (("Z070000", "iso_seconds"), ("Z07:00:00", "iso_colon_seconds"), ("Z0700", "iso"),
              ("Z07:00", "iso_colon"), ("Z07", "iso_short"))
_TWO_DIGIT = {"1": "zero_month", "2": "zero_day", "3": "zero_hour12", "4": "zero_minute", "5": "zero_second",
              "6": "year"}


class TimeParseError(ValueError):
    """Go's ``time.ParseError`` text."""


def _days_from_civil(year: int, month: int, day: int) -> int:
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    year = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return year + (month <= 2), month, day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in(month: int, year: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


@dataclass(frozen=True)
class GoTime:
    """An instant (Unix seconds + nanoseconds) with the zone offset (seconds east of UTC) it is shown in."""

    seconds: int
    nanos: int = 0
    offset: int = 0

    @property
    def total_nanos(self) -> int:
        """Nanoseconds since the Unix epoch."""
        return self.seconds * 1_000_000_000 + self.nanos

    @classmethod
    def from_nanos(cls, nanos: int, offset: int = 0) -> GoTime:
        """The instant ``nanos`` after the Unix epoch, shown at ``offset``."""
        seconds, rest = divmod(nanos, 1_000_000_000)
        return cls(seconds, rest, offset)

    def add(self, nanos: int) -> GoTime:
        """``t.Add(d)``."""
        return GoTime.from_nanos(self.total_nanos + nanos, self.offset)

    def utc(self) -> GoTime:
        """``t.UTC()``."""
        return GoTime(self.seconds, self.nanos, 0)

    def sub(self, other: GoTime) -> int:
        """``t.Sub(u)`` in nanoseconds, saturated to the int64 range as Go does."""
        return max(-(2**63), min(2**63 - 1, self.total_nanos - other.total_nanos))

    def truncate(self, step: int) -> GoTime:
        """``t.Truncate(d)``: round down to a multiple of ``d`` since Go's zero time."""
        if step <= 0:
            return self
        since_zero = self.total_nanos - _ZERO_TIME_UNIX * 1_000_000_000
        return self.add(-(since_zero % step))

    def civil(self) -> tuple[int, int, int, int, int, int, int]:
        """(year, month, day, hour, minute, second, weekday with Sunday = 0) in the time's own offset."""
        local = self.seconds + self.offset
        days, rest = divmod(local, 86400)
        year, month, day = _civil_from_days(days)
        return year, month, day, rest // 3600, rest // 60 % 60, rest % 60, (days + 4) % 7

    def rfc3339(self) -> str:
        """``t.Format(time.RFC3339)``."""
        year, month, day, hour, minute, second, _ = self.civil()
        year_text = f"{year:04d}" if year >= 0 else f"-{-year:04d}"
        if self.offset == 0:
            zone = "Z"
        else:
            sign = "+" if self.offset > 0 else "-"
            magnitude = abs(self.offset) // 60
            zone = f"{sign}{magnitude // 60:02d}:{magnitude % 60:02d}"
        return f"{year_text}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{zone}"


def now() -> GoTime:
    """The current time (UTC)."""
    return GoTime.from_nanos(_time.time_ns())


def _starts_lower(text: str) -> bool:
    return bool(text) and "a" <= text[0] <= "z"


def _next_chunk(layout: str) -> tuple[str, str, str]:
    """Go's ``nextStdChunk``: (literal prefix, element name or "", rest of the layout)."""
    i = 0
    n = len(layout)
    while i < n:
        c = layout[i]
        head, rest3 = layout[:i], layout[i:]
        if c == "J" and rest3.startswith("Jan"):
            if rest3.startswith("January"):
                return head, "long_month", layout[i + 7:]
            if not _starts_lower(layout[i + 3:]):
                return head, "month", layout[i + 3:]
        elif c == "M":
            if rest3.startswith("Mon"):
                if rest3.startswith("Monday"):
                    return head, "long_weekday", layout[i + 6:]
                if not _starts_lower(layout[i + 3:]):
                    return head, "weekday", layout[i + 3:]
            if rest3.startswith("MST"):
                return head, "tz", layout[i + 3:]
        elif c == "0":
            if i + 1 < n and "1" <= layout[i + 1] <= "6":
                return head, _TWO_DIGIT[layout[i + 1]], layout[i + 2:]
            if rest3.startswith("002"):
                return head, "zero_yday", layout[i + 3:]
        elif c == "1":
            if i + 1 < n and layout[i + 1] == "5":
                return head, "hour", layout[i + 2:]
            return head, "num_month", layout[i + 1:]
        elif c == "2":
            if rest3.startswith("2006"):
                return head, "long_year", layout[i + 4:]
            return head, "day", layout[i + 1:]
        elif c == "_":
            if i + 1 < n and layout[i + 1] == "2":
                if layout[i + 1:i + 5] == "2006":
                    return layout[:i + 1], "long_year", layout[i + 5:]
                return head, "under_day", layout[i + 2:]
            if rest3.startswith("__2"):
                return head, "under_yday", layout[i + 3:]
        elif c in "345":
            return head, {"3": "hour12", "4": "minute", "5": "second"}[c], layout[i + 1:]
        elif c == "P" and rest3.startswith("PM"):
            return head, "PM", layout[i + 2:]
        elif c == "p" and rest3.startswith("pm"):
            return head, "pm", layout[i + 2:]
        elif c in "-Z":
            for token, name in _NUMERIC_ZONES if c == "-" else _ISO_ZONES:
                if rest3.startswith(token):
                    return head, name, layout[i + len(token):]
        elif c in ".," and i + 1 < n and layout[i + 1] in "09":
            digit = layout[i + 1]
            j = i + 1
            while j < n and layout[j] == digit:
                j += 1
            if not (j < n and layout[j].isdigit()):
                return head, f"frac{digit}:{j - i - 1}", layout[j:]
        i += 1
    return layout, "", ""


def _getnum(value: str, fixed: bool, width: int = 2) -> tuple[int, str]:
    if not value[:1].isdigit() or not value[:1].isascii():
        raise ValueError
    digits = 1
    while digits < width and value[digits:digits + 1].isdigit() and value[digits:digits + 1].isascii():
        digits += 1
    if fixed and digits < width:
        raise ValueError
    return int(value[:digits]), value[digits:]


def _lookup(names: tuple[str, ...], value: str) -> tuple[int, str]:
    for index, name in enumerate(names):
        if len(value) >= len(name) and value[:len(name)].lower() == name.lower():
            return index, value[len(name):]
    raise ValueError


def _nanoseconds(value: str, width: int) -> int:
    if value[:1] not in (".", ","):
        raise ValueError
    digits = value[1:width]
    if not digits.isdigit() or not digits.isascii():
        raise ValueError
    return int(digits[:9].ljust(9, "0"))


def _zone_name_length(value: str) -> int:
    if len(value) < 3:
        return 0
    if value[:4] in ("ChST", "MeST"):
        return 4
    if value.startswith("GMT"):
        rest = value[3:]
        if rest[:1] in ("+", "-") and rest[1:3].isdigit():
            return 3 + 1 + (2 if rest[1:3].isdigit() and len(rest) > 2 and rest[2].isdigit() else 1)
        return 3
    upper = 0
    while upper < 6 and upper < len(value) and "A" <= value[upper] <= "Z":
        upper += 1
    if upper == 3:
        return 3
    if upper == 4 and (value[3] == "T" or value[:4] == "WITA"):
        return 4
    if upper == 5 and value[4] == "T":
        return 5
    return 0


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_time(layout: str, value: str) -> GoTime:
    """``time.Parse(layout, value)``; raise :class:`TimeParseError` with Go's message."""
    original_layout, original_value = layout, value
    year, month, day, yday = 0, -1, -1, -1
    hour = minute = second = nanos = 0
    offset: int | None = None
    pm = am = False

    def cannot(layout_elem: str, value_elem: str) -> TimeParseError:
        return TimeParseError(f"parsing time {_quote(original_value)} as {_quote(original_layout)}: cannot parse "
                              f"{_quote(value_elem)} as {_quote(layout_elem)}")

    def out_of_range(what: str) -> TimeParseError:
        return TimeParseError(f"parsing time {_quote(original_value)}: {what} out of range")

    while True:
        prefix, element, suffix = _next_chunk(layout)
        element_text = layout[len(prefix):len(layout) - len(suffix)]
        stripped = prefix.strip(" ")
        if prefix:
            # Go's skip(): spaces in the layout match any run of spaces; the rest must match exactly.
            rest_value = value
            for char in prefix:
                if char == " ":
                    if not rest_value.startswith(" ") and stripped:
                        raise cannot(prefix, value)
                    rest_value = rest_value.lstrip(" ")
                elif rest_value.startswith(char):
                    rest_value = rest_value[1:]
                else:
                    raise cannot(prefix, value)
            value = rest_value
        if not element:
            if value:
                raise TimeParseError(f"parsing time {_quote(original_value)}: extra text: {_quote(value)}")
            break
        layout = suffix
        hold = value
        try:
            if element == "year":
                if len(value) < 2 or not value[:2].isdigit():
                    raise ValueError
                year = int(value[:2]) + (1900 if int(value[:2]) >= 69 else 2000)
                value = value[2:]
            elif element == "long_year":
                if len(value) < 4 or not value[:4].isdigit() or not value[:4].isascii():
                    raise ValueError
                year, value = int(value[:4]), value[4:]
            elif element in ("month", "long_month"):
                index, value = _lookup(_SHORT_MONTHS if element == "month" else _LONG_MONTHS, value)
                month = index + 1
            elif element in ("num_month", "zero_month"):
                month, value = _getnum(value, element == "zero_month")
                if not 1 <= month <= 12:
                    raise out_of_range("month")
            elif element in ("weekday", "long_weekday"):
                _, value = _lookup(_SHORT_DAYS if element == "weekday" else _LONG_DAYS, value)
            elif element in ("day", "under_day", "zero_day"):
                if element == "under_day" and value.startswith(" "):
                    value = value[1:]
                day, value = _getnum(value, element == "zero_day")
            elif element in ("under_yday", "zero_yday"):
                for _ in range(2):
                    if element == "under_yday" and value.startswith(" "):
                        value = value[1:]
                yday, value = _getnum(value, element == "zero_yday", 3)
            elif element == "hour":
                hour, value = _getnum(value, False)
                if hour >= 24:
                    raise out_of_range("hour")
            elif element in ("hour12", "zero_hour12"):
                hour, value = _getnum(value, element == "zero_hour12")
                if hour > 12:
                    raise out_of_range("hour")
            elif element in ("minute", "zero_minute"):
                minute, value = _getnum(value, element == "zero_minute")
                if minute >= 60:
                    raise out_of_range("minute")
            elif element in ("second", "zero_second"):
                second, value = _getnum(value, element == "zero_second")
                if second >= 60:
                    raise out_of_range("second")
                if len(value) >= 2 and value[0] in ".," and value[1].isdigit():
                    _, following, _ = _next_chunk(layout)
                    if not following.startswith("frac"):
                        width = 2
                        while width < len(value) and value[width].isdigit():
                            width += 1
                        nanos, value = _nanoseconds(value, width), value[width:]
            elif element in ("PM", "pm"):
                marker = value[:2]
                expected = ("PM", "AM") if element == "PM" else ("pm", "am")
                if marker not in expected:
                    raise ValueError
                pm, am, value = marker == expected[0], marker == expected[1], value[2:]
            elif element.startswith(("iso", "num")):
                if element.startswith("iso") and value.startswith("Z"):
                    value, offset = value[1:], 0
                else:
                    kind = element.split("_", 1)[1] if "_" in element else ""
                    if kind == "colon":
                        if len(value) < 6 or value[3] != ":":
                            raise ValueError
                        parts, value = (value[0], value[1:3], value[4:6], "00"), value[6:]
                    elif kind == "short":
                        if len(value) < 3:
                            raise ValueError
                        parts, value = (value[0], value[1:3], "00", "00"), value[3:]
                    elif kind == "colon_seconds":
                        if len(value) < 9 or value[3] != ":" or value[6] != ":":
                            raise ValueError
                        parts, value = (value[0], value[1:3], value[4:6], value[7:9]), value[9:]
                    elif kind == "seconds":
                        if len(value) < 7:
                            raise ValueError
                        parts, value = (value[0], value[1:3], value[3:5], value[5:7]), value[7:]
                    else:
                        if len(value) < 5:
                            raise ValueError
                        parts, value = (value[0], value[1:3], value[3:5], "00"), value[5:]
                    sign, hours_text, minutes_text, seconds_text = parts
                    hours, _ = _getnum(hours_text, True)
                    minutes, _ = _getnum(minutes_text, True)
                    seconds, _ = _getnum(seconds_text, True)
                    if hours > 24:
                        raise out_of_range("time zone offset hour")
                    if minutes > 60:
                        raise out_of_range("time zone offset minute")
                    if seconds > 60:
                        raise out_of_range("time zone offset second")
                    if sign not in "+-":
                        raise ValueError
                    offset = ((hours * 60 + minutes) * 60 + seconds) * (-1 if sign == "-" else 1)
            elif element == "tz":
                if value.startswith("UTC"):
                    value, offset = value[3:], 0
                else:
                    length = _zone_name_length(value)
                    if not length:
                        raise ValueError
                    name, value = value[:length], value[length:]
                    offset = 0
                    if name.startswith("GMT") and len(name) > 3:
                        offset = int(name[3:]) * 3600
            elif element.startswith("frac"):
                digit, count = element[4], int(element.split(":")[1])
                if digit == "0":
                    if len(value) < count + 1:
                        raise ValueError
                    nanos, value = _nanoseconds(value, count + 1), value[count + 1:]
                elif len(value) >= 2 and value[0] in ".," and value[1].isdigit():
                    width = 1
                    while width < len(value) and value[width].isdigit():
                        width += 1
                    nanos, value = _nanoseconds(value, width), value[width:]
        except TimeParseError:
            raise
        except (ValueError, IndexError):
            raise cannot(element_text, hold) from None
    if pm and hour < 12:
        hour += 12
    elif am and hour == 12:
        hour = 0
    if yday >= 0:
        if yday == 0 or yday > (366 if _is_leap(year) else 365):
            raise out_of_range("day-of-year")
        if month < 0:
            month, remaining = 1, yday
            while remaining > _days_in(month, year):
                remaining -= _days_in(month, year)
                month += 1
            day = remaining
    month = 1 if month < 0 else month
    day = 1 if day < 0 else day
    if day < 1 or day > _days_in(month, year):
        raise TimeParseError(f"parsing time {_quote(original_value)}: day out of range")
    local = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    zone = offset or 0
    return GoTime(local - zone, nanos, zone)
