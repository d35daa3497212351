"""Semantic versions and ranges as blang/semver (v3/v4) parses them, for ``semver_compare`` and the numeric operators.

A version is strict ``MAJOR.MINOR.PATCH[-pre.release][+build]`` (no ``v`` prefix, no leading zeros). A range is
space-separated comparisons (all must hold) joined by ``||`` (any group): ``>=1.2.0 <2.0.0 || 3.0.0``. Operators
``= == != ! > >= < <=`` (none means ``=``); ``x`` wildcards (``1.2.x``, ``1.x``) expand as blang does, including its
quirk that ``!=1.2.x`` can never hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["SemverError", "Version", "parse_range", "parse_version"]

_ALNUM = re.compile(r"[0-9A-Za-z-]+")


class SemverError(ValueError):
    """Not a version or not a range."""


@dataclass(frozen=True)
class Version:
    """A parsed version; ``pre`` items are ints (numeric identifiers) or strings."""

    major: int = 0
    minor: int = 0
    patch: int = 0
    pre: tuple[int | str, ...] = field(default=())

    def compare(self, other: Version) -> int:
        """-1, 0 or 1 by semver precedence (build metadata ignored)."""
        left, right = (self.major, self.minor, self.patch), (other.major, other.minor, other.patch)
        if left != right:
            return -1 if left < right else 1
        if not self.pre or not other.pre:
            return (not self.pre) - (not other.pre)
        for a, b in zip(self.pre, other.pre, strict=False):
            if a == b:
                continue
            if isinstance(a, int) and isinstance(b, int):
                return -1 if a < b else 1
            if isinstance(a, int):
                return -1
            if isinstance(b, int):
                return 1
            return -1 if a < b else 1
        return (len(self.pre) > len(other.pre)) - (len(self.pre) < len(other.pre))


def _number(text: str, what: str, raw: str) -> int:
    if not text or not text.isascii() or not text.isdigit():
        raise SemverError(f"Invalid character(s) found in {what} number {text!r}")
    if len(text) > 1 and text[0] == "0":
        raise SemverError(f"{what.capitalize()} number must not contain leading zeroes {text!r}")
    return int(text)


@lru_cache(maxsize=1024)
def parse_version(text: str) -> Version:
    """``semver.Parse``."""
    if not text:
        raise SemverError("Version string empty")
    parts = text.split(".", 2)
    if len(parts) != 3:
        raise SemverError("No Major.Minor.Patch elements found")
    major = _number(parts[0], "major", text)
    minor = _number(parts[1], "minor", text)
    rest = parts[2]
    build: list[str] = []
    if "+" in rest:
        rest, _, meta = rest.partition("+")
        build = meta.split(".")
    pre_text = None
    if "-" in rest:
        rest, _, pre_text = rest.partition("-")
    patch = _number(rest, "patch", text)
    pre: list[int | str] = []
    if pre_text is not None:
        for item in pre_text.split("."):
            if not item or not _ALNUM.fullmatch(item):
                raise SemverError(f"Invalid character(s) found in prerelease {item!r}")
            if item.isdigit():
                if len(item) > 1 and item[0] == "0":
                    raise SemverError(f"Version segment starts with 0: {item!r}")
                pre.append(int(item))
            else:
                pre.append(item)
    for item in build:
        if not item or not _ALNUM.fullmatch(item):
            raise SemverError(f"Invalid character(s) found in build meta data {item!r}")
    return Version(major, minor, patch, tuple(pre))


def _split_and_trim(text: str) -> list[str]:
    result: list[str] = []
    last, last_char = 0, ""
    for i, char in enumerate(text):
        if char == " " and last_char not in (">", "<", "="):
            if last < i - 1:
                result.append(text[last:i])
            last = i + 1
        elif char != " ":
            last_char = char
    if last < len(text) - 1:
        result.append(text[last:])
    return [item.replace(" ", "") for item in result]


def _split_comparator(text: str) -> tuple[str, str]:
    for i, char in enumerate(text):
        if char.isdigit():
            return text[:i].strip(), text[i:]
    raise SemverError(f"Could not get version from string: {text!r}")


def _flat_wildcard(version: str) -> tuple[str, str]:
    parts = version.split(".")
    kind = "patch" if len(parts) == 3 and parts[2] == "x" else "minor" if parts[1:2] == ["x"] else ""
    flat = version.replace(".x", ".0")
    if flat.count(".") == 1:
        flat += ".0"
    return kind, flat


def _increment(flat: str, kind: str) -> str:
    major, minor, _ = (int(p) for p in flat.split(".")[:3])
    return f"{major + 1}.0.0" if kind == "minor" else f"{major}.{minor + 1}.0"


def _expand_wildcards(group: list[str]) -> list[str]:
    expanded: list[str] = []
    for part in group:
        if "x" not in part:
            expanded.append(part)
            continue
        operator, version = _split_comparator(part)
        kind, flat = _flat_wildcard(version)
        bump = False
        if operator == ">":
            result_op, bump = ">=", True
        elif operator == ">=":
            result_op = ">="
        elif operator == "<":
            result_op = "<"
        elif operator == "<=":
            result_op, bump = "<", True
        elif operator in ("", "=", "=="):
            expanded.append(">=" + flat)
            result_op, bump = "<", True
        elif operator in ("!=", "!"):
            expanded.append("<" + flat)
            result_op, bump = ">=", True
        else:
            raise SemverError(f"Could not parse comparator {operator!r} in {part!r}")
        try:
            target = _increment(flat, kind) if bump and kind else flat
        except ValueError:
            raise SemverError(f"Could not parse version {version!r} in {part!r}") from None
        expanded.append(result_op + target)
    return expanded


_COMPARATORS: dict[str, Callable[[int], bool]] = {
    "": lambda c: c == 0, "=": lambda c: c == 0, "==": lambda c: c == 0,
    "!": lambda c: c != 0, "!=": lambda c: c != 0,
    ">": lambda c: c > 0, ">=": lambda c: c >= 0, "<": lambda c: c < 0, "<=": lambda c: c <= 0,
}


@lru_cache(maxsize=512)
def parse_range(text: str) -> Callable[[Version], bool]:
    """``semver.ParseRange``: a predicate on versions."""
    parts = _split_and_trim(text)
    groups: list[list[str]] = []
    last = 0
    for i, part in enumerate(parts):
        if part == "||":
            if i == 0:
                raise SemverError("First element in range is '||'")
            groups.append(parts[last:i])
            last = i + 1
    if last == len(parts):
        raise SemverError("Last element in range is '||'")
    groups.append(parts[last:])
    alternatives: list[list[tuple[Callable[[int], bool], Version]]] = []
    for group in groups:
        checks = []
        for part in _expand_wildcards(group):
            operator, version = _split_comparator(part)
            if operator not in _COMPARATORS:
                raise SemverError(f"Could not parse comparator {operator!r} in {part!r}")
            checks.append((_COMPARATORS[operator], parse_version(version)))
        alternatives.append(checks)

    def matches(version: Version) -> bool:
        return any(all(check(version.compare(bound)) for check, bound in group) for group in alternatives)

    return matches
