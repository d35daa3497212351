"""Kyverno's wildcard match (``ext/wildcard``: IGLOU-EU/go-wildcard v1.0.3).

``*`` matches any run of characters (also none), ``?`` exactly one character; everything else, ``[`` and ``\\``
included, is literal. The match is whole-string and case-sensitive; an empty pattern matches only the empty string.
The two-pointer scan takes at most len(pattern) * len(text) steps, whatever the pattern (no regex backtracking).
"""

from __future__ import annotations

__all__ = ["has_wildcard", "wildcard_match"]


def has_wildcard(text: str) -> bool:
    """Whether ``text`` contains ``*`` or ``?``."""
    return "*" in text or "?" in text


def wildcard_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches the wildcard ``pattern``."""
    if not has_wildcard(pattern):
        return pattern == text
    if pattern == "*":
        return True
    p = t = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star != -1:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)
