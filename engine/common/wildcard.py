"""Kyverno's wildcard matching (``pkg/utils/wildcard``): ``*`` is any run of characters, ``?`` one character."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z", re.S)


def wildcard_match(pattern: str, value: str) -> bool:
    """Whether ``value`` matches ``pattern`` (an exact comparison when the pattern has no wildcard)."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == value
    return _glob(pattern).match(value) is not None


def has_wildcard(pattern: str) -> bool:
    """Whether ``pattern`` holds ``*`` or ``?``."""
    return "*" in pattern or "?" in pattern
