"""Kubernetes' CEL regex library (k8s.io/apiserver/pkg/cel/library/regex.go): ``find`` and ``findAll``.

``'abc 123'.find('[0-9]+')`` is the first match (``''`` if none); ``'123 abc 456'.findAll('[0-9]+')`` lists all
non-overlapping matches, ``findAll(re, n)`` at most ``n`` (a negative ``n`` means all).

Kubernetes compiles patterns with Go's ``regexp`` (RE2 syntax, matching in time linear in the input). So do we, with
Google's RE2 (``google-re2``): no backtracking, so no pattern can make a match take exponential time. Go and RE2 C++
accept the same syntax except ``\\C`` (any byte), which Go refuses and we refuse too. An invalid pattern is an
evaluation error worded as Go words it (``error parsing regexp: missing closing ): `(a```), naming the pattern.
Empty matches right after a previous match are dropped, as Go's ``FindAllString`` does.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

from ..decl import CelFunctionError, Library, function, overload

KINDS = ("*",)

#: RE2's error texts (re2/regexp.cc) -> Go's (regexp/syntax ErrorCode), so messages read as Kubernetes' do.
_GO_ERRORS = {
    "invalid escape sequence": "invalid escape sequence",
    "invalid character class": "invalid character class",
    "invalid character class range": "invalid character class range",
    "missing ]": "missing closing ]",
    "missing )": "missing closing )",
    "unexpected )": "unexpected )",
    "trailing \\": "trailing backslash at end of expression",
    "no argument for repetition operator": "missing argument to repetition operator",
    "invalid repetition size": "invalid repeat count",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid perl operator": "invalid or unsupported Perl syntax",
    "invalid UTF-8": "invalid UTF-8",
    "invalid named capture group": "invalid named capture",
    "pattern too large - compile failed": "expression too large",
}


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every invalid pattern on stderr
    return options


_OPTIONS = _options()


def _go_error(pattern: str, raw: str) -> CelFunctionError:
    """A CEL error for an invalid ``pattern`` from RE2's message (``missing ): (a``), worded as Go's."""
    code, _, fragment = raw.partition(": ")
    message = f"error parsing regexp: {_GO_ERRORS.get(code, code)}"
    if fragment:
        message += f": `{fragment}`"
    if fragment != pattern:
        message += f" (in the pattern `{pattern}`)"
    return CelFunctionError(message)


def _byte_escape(pattern: str) -> int:
    """Offset of a ``\\C`` escape outside ``\\Q...\\E`` (RE2 accepts it, Go does not), or -1."""
    i = 0
    while i < len(pattern) - 1:
        if pattern[i] != "\\":
            i += 1
            continue
        escaped = pattern[i + 1]
        if escaped == "C":
            return i
        if escaped == "Q":
            end = pattern.find("\\E", i + 2)
            if end < 0:
                return -1
            i = end + 2
            continue
        i += 2
    return -1


@lru_cache(maxsize=512)
def compile_regex(pattern: str) -> Any:
    """Compile an RE2 pattern as Go's ``regexp.Compile`` would (cached); raise a CEL error if it is invalid."""
    if _byte_escape(pattern) >= 0:
        raise CelFunctionError(f"error parsing regexp: invalid escape sequence: `\\C` (in the pattern `{pattern}`)")
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else b""
        text = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        raise _go_error(pattern, text) from None


def find(text: str, pattern: str) -> str:
    """The leftmost match of ``pattern`` in ``text``, or ``''``."""
    match = compile_regex(pattern).search(text)
    return str(match.group(0)) if match else ""


def find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    """All non-overlapping matches, at most ``limit`` of them when ``limit >= 0`` (Go's FindAllString)."""
    results: list[str] = []
    previous_end = -1
    if limit == 0:
        return results
    for match in compile_regex(pattern).finditer(text):
        start, end = match.span()
        if not (start == end == previous_end):
            results.append(str(match.group(0)))
            if 0 <= limit <= len(results):
                break
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
