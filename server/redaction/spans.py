"""Replacing found secrets with ``<redacted>`` without breaking the syntax of the text they were found in.

Masking runs on text whose format it does not know: a table, a log line, markdown, or printed JSON or YAML. A span
to mask (a remembered value, a credential pattern's value) is therefore cut into *parts* that can be replaced
whatever the format is:

- a part never holds a line break, a quote that is not escaped (``"``; every ``'``, which YAML doubles inside
  single-quoted strings), a flow or table separator (``, [ ] { } |``, a backtick), ``: `` or `` #``: whatever
  delimits a string or a structure stays;
- leading and trailing blanks and YAML indicators (``- ? : # & * ! | > % @``) stay, so indentation, list items,
  keys, anchors and tags keep their meaning;
- a part starts and ends between escape sequences (``\\"``, ``\\\\``, ``\\n``, ``\\u00e9``...) and character
  references (``&quot;``, ``&#39;``): a part that would cut one is widened over it, except an escaped line break,
  which stays;
- a part that could be a bare JSON or YAML scalar (a number, ``true``, ``false``, ``null`` between ``:``, ``,`` or
  ``[`` and ``,``, ``]``, ``}`` or a line end) is left alone: replacing it by a word would change JSON's syntax; a part
  without any letter or digit is left alone too.

In valid JSON every part that remains lies inside a string, whose syntax ``<redacted>`` cannot break; in YAML it lies
inside a scalar. In markup (XML such as JUnit reports, HTML) a part never holds ``<`` or ``>`` nor touches a tag or
attribute name, and the replacement is ``&lt;redacted&gt;`` (:func:`replacement_for`), which text and attribute
values can hold. Cutting costs only the separators of a secret (``ab"cd`` shows as ``<redacted>"<redacted>``). All of
it is linear in the length of the spans (plus the blanks next to them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "<redacted>"
#: The replacement in markup, where ``<`` would open a tag.
REDACTED_MARKUP = "&lt;redacted&gt;"
_MARKUP = re.compile(r"</[A-Za-z]|/>|<!|<\?xml")

#: What a part never holds (an escaped quote is not a cut: see :func:`_is_escaped`).
_CUT = re.compile(r"[\n\r\"'`,\[\]{}|<>\x00]|:(?=\s)|\s#")
_REFERENCE = re.compile(r"&#?[A-Za-z0-9]{1,10};")
_LEAD = " \t-?:#&*!|>%@"
_TRAIL = " \t:"
#: Scalars JSON writes without quotes (and YAML reads as numbers, booleans or null), with the characters around
#: which they stand bare (``None`` is the start or end of the line).
_BARE_SCALAR = re.compile(r"-?\d[\w.+\-]*|true|false|null", re.I)
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_")
_BEFORE_BARE = frozenset(":,[\n\r")
_AFTER_BARE = frozenset(",]}\n\r")
_HEX = frozenset("0123456789abcdefABCDEF")
#: Lengths of escape sequences whose letter is followed by hex digits (``\\u00e9``, ``\\x41``, ``\\U0001F600``).
_HEX_ESCAPES = {"u": 6, "x": 4, "U": 10}


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans sorted, overlapping and touching ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _backslashes_before(text: str, i: int) -> int:
    n = 0
    while i - n - 1 >= 0 and text[i - n - 1] == "\\":
        n += 1
    return n


def _is_escaped(text: str, i: int) -> bool:
    """Whether ``text[i]`` follows an escaping backslash (an odd run of backslashes)."""
    return _backslashes_before(text, i) % 2 == 1


def _escape_end(text: str, j: int) -> int:
    """The end of the escape sequence whose backslash is at ``j``."""
    letter = text[j + 1] if j + 1 < len(text) else ""
    size = _HEX_ESCAPES.get(letter, 2)
    if (size > 2 and not all(c in _HEX for c in text[j + 2:j + size])) or j + size > len(text):
        size = 2
    return min(j + size, len(text))


def _escape_around(text: str, i: int) -> tuple[int, int] | None:
    """The escape sequence that ``i`` falls strictly inside (``start < i < end``), if any."""
    for j in range(i - 1, max(-1, i - 10), -1):
        if text[j] != "\\":
            if text[j] not in _HEX and text[j] not in "uxU":
                return None
            continue
        if _is_escaped(text, j):
            return None  # the second backslash of a ``\\\\`` pair, which ends before ``i``
        end = _escape_end(text, j)
        return (j, end) if i < end else None
    return None


def _reference_around(text: str, i: int) -> tuple[int, int] | None:
    """The character reference (``&quot;``) that ``i`` falls strictly inside, if any."""
    amp = text.rfind("&", max(0, i - 12), i)
    if amp < 0:
        return None
    match = _REFERENCE.match(text, amp)
    return (amp, match.end()) if match and i < match.end() else None


def _aligned(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``/``end`` moved off the inside of escape sequences and character references: a start widened back to
    the backslash or ``&``, an end widened over the sequence, or cut before it when the escaped character delimits
    something (a line break)."""
    around = _escape_around(text, start) or _reference_around(text, start)
    if around is not None:
        start = around[0]
    around = _escape_around(text, end)
    if around is not None:
        escaped = text[around[0] + 1:around[0] + 2]
        end = around[0] if escaped != '"' and _CUT.match(escaped + " ") else around[1]
    around = _reference_around(text, end)
    if around is not None:
        end = around[1]
    return start, end


def _markup_name(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` touches a tag name (after ``<`` or ``</``) or an attribute name (before ``=``)."""
    before = text[max(0, start - 2):start]
    return before.endswith("<") or before == "</" or text.startswith("=", end)


def _bare_scalar(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]``, widened to the token it is part of, could be a JSON scalar outside a string."""
    while start > 0 and text[start - 1] in _TOKEN_CHARS:
        start -= 1
    while end < len(text) and text[end] in _TOKEN_CHARS:
        end += 1
    if not _BARE_SCALAR.fullmatch(text, start, end):
        return False
    before = start - 1
    while before >= 0 and text[before] in " \t":
        before -= 1
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    return (before < 0 or text[before] in _BEFORE_BARE) and (after >= len(text) or text[after] in _AFTER_BARE)


def _masked_already(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is the word of a ``<redacted>`` (or ``&lt;redacted&gt;``) already there."""
    return text[start:end] == "redacted" and (
        (text[start - 1:start] == "<" and text[end:end + 1] == ">")
        or (text[max(0, start - 4):start] == "&lt;" and text[end:end + 4] == "&gt;"))


def _part(text: str, start: int, end: int, markup: bool) -> tuple[int, int] | None:
    while start < end and text[start] in _LEAD:
        start += 1
    while end > start and text[end - 1] in _TRAIL:
        end -= 1
    if start >= end:
        return None
    start, end = _aligned(text, start, end)
    if not any(c.isalnum() for c in text[start:end]) or _bare_scalar(text, start, end):
        return None
    if (markup and _markup_name(text, start, end)) or _masked_already(text, start, end):
        return None
    return start, end


def safe_parts(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``spans`` (see the module docstring) that can be replaced in ``text`` without changing its
    syntax, sorted and disjoint."""
    spans = merge(spans)
    if not spans:
        return []
    markup = replacement_for(text) == REDACTED_MARKUP
    parts: list[tuple[int, int]] = []
    for start, end in spans:
        pos = start
        for cut in _CUT.finditer(text, start, end):
            if text[cut.start()] == '"' and _is_escaped(text, cut.start()):
                continue
            part = _part(text, pos, cut.start(), markup)
            if part is not None:
                parts.append(part)
            pos = cut.end()
        part = _part(text, pos, end, markup)
        if part is not None:
            parts.append(part)
    return merge(parts)


def replacement_for(text: str) -> str:
    """What replaces a secret in ``text``: ``<redacted>``, or ``&lt;redacted&gt;`` in markup (closing tags, empty
    tags, ``<!DOCTYPE``, comments or an XML declaration show it)."""
    return REDACTED_MARKUP if _MARKUP.search(text) else REDACTED


def replace(text: str, parts: list[tuple[int, int]], replacement: str | None = None) -> str:
    """``text`` with each of ``parts`` (sorted, disjoint) replaced by ``replacement`` (by default
    :func:`replacement_for` the text)."""
    if not parts:
        return text
    replacement = replacement or replacement_for(text)
    out: list[str] = []
    done = 0
    for start, end in parts:
        out.append(text[done:start])
        out.append(replacement)
        done = end
    out.append(text[done:])
    return "".join(out)


def mask_spans(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with ``spans`` masked without changing its syntax (see the module docstring)."""
    return replace(text, safe_parts(text, spans))


__all__ = ["REDACTED", "REDACTED_MARKUP", "mask_spans", "merge", "replace", "replacement_for", "safe_parts"]
