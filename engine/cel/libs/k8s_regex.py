"""Kubernetes' CEL regex library (k8s.io/apiserver/pkg/cel/library/regex.go): ``find`` and ``findAll``.

``'abc 123'.find('[0-9]+')`` is the first match (``''`` if none); ``'123 abc 456'.findAll('[0-9]+')`` lists all
non-overlapping matches, ``findAll(re, n)`` at most ``n`` (a negative ``n`` means all).

Kubernetes uses Go's RE2. Python's ``re`` is used here, after translating the RE2-only syntax of the common subset:
``\\z`` (end of text), ``\\Q...\\E`` (literal text), POSIX classes ``[[:alpha:]]``, and ``$`` (which in RE2 without
``(?m)`` matches only at the very end, whereas Python's also matches before a final newline). ``\\d``, ``\\w``,
``\\s`` and ``\\b`` are ASCII-only, as in RE2. Empty matches right after a previous match are dropped, as Go does.
Known differences: Unicode classes (``\\pL``, ``\\p{Greek}``) and ``(?U)`` are rejected; Python's backreferences and
lookarounds are accepted although RE2 rejects them; an invalid pattern is an evaluation error, not a compile error.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..decl import CelFunctionError, Library, function, overload

_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": "\\x00-\\x7F",
    "blank": "\\t ",
    "cntrl": "\\x00-\\x1F\\x7F",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t\\n\\v\\f\\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_MULTILINE_FLAG = re.compile(r"\(\?[a-zA-Z]*m[a-zA-Z]*[:)]")


def _translate(pattern: str) -> str:
    """Rewrite RE2 syntax that Python spells differently (see the module docstring)."""
    out: list[str] = []
    in_class = False
    multiline = bool(_MULTILINE_FLAG.search(pattern))
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if nxt == "Q":
                end = pattern.find("\\E", i + 2)
                literal = pattern[i + 2 :] if end < 0 else pattern[i + 2 : end]
                out.append(re.escape(literal))
                i = len(pattern) if end < 0 else end + 2
                continue
            if nxt in "pP":
                raise CelFunctionError("unsupported regex: Unicode classes (\\p, \\P) are not available")
            out.append("\\Z" if nxt == "z" and not in_class else pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                name = pattern[i + 2 : end] if end > 0 else ""
                negated = name.startswith("^")
                ranges = _POSIX_CLASSES.get(name.lstrip("^"))
                if ranges is None or negated:
                    raise CelFunctionError(f"invalid regex: unsupported character class [:{name}:]")
                out.append(ranges)
                i = end + 2
                continue
            if char == "]":
                in_class = False
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            i += 1
            for prefix in ("^", "]"):
                if i < len(pattern) and pattern[i] == prefix:
                    out.append("\\]" if prefix == "]" else prefix)
                    i += 1
            continue
        if char == "$" and not multiline:
            out.append("\\Z")
            i += 1
            continue
        if pattern.startswith("(?U", i):
            raise CelFunctionError("unsupported regex: the (?U) flag is not available")
        out.append(char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """Compile an RE2 pattern (translated for Python's ``re``), cached."""
    try:
        return re.compile(_translate(pattern), re.ASCII)
    except re.error as exc:
        raise CelFunctionError(f"invalid regex {pattern!r}: {exc}") from None


def find(text: str, pattern: str) -> str:
    """The leftmost match of ``pattern`` in ``text``, or ``''``."""
    match = compile_regex(pattern).search(text)
    return match.group(0) if match else ""


def find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    """All non-overlapping matches, at most ``limit`` of them when ``limit >= 0`` (Go's FindAllString)."""
    results: list[str] = []
    previous_end = -1
    for match in compile_regex(pattern).finditer(text):
        if 0 <= limit <= len(results):
            break
        start, end = match.span()
        if not (start == end == previous_end):
            results.append(match.group(0))
        previous_end = end
    return results


def find_all_limited(text: str, pattern: str, limit: int) -> list[str]:
    """``findAll`` with an explicit limit."""
    return find_all(text, pattern, limit)


LIBRARY = Library(
    "k8s_regex",
    (
        function("find", overload("k8s_string_find", ("string", "string"), "string", find, member=True)),
        function(
            "findAll",
            overload("k8s_string_findAll", ("string", "string"), "list", find_all, member=True),
            overload("k8s_string_findAll_int", ("string", "string", "int"), "list", find_all_limited, member=True),
        ),
    ),
)
