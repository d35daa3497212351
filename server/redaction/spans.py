"""Replacing found secrets with ``<redacted>`` without breaking the syntax of the text they were found in.

Masking runs on text whose format it does not know: a table, a log line, markdown, or printed JSON or YAML. A span
to mask (a remembered value, a credential pattern's value) is therefore cut into *parts* that can be replaced
whatever the format is:

- a part never holds a line break, a quote that is not escaped (``"``; every ``'``, which YAML doubles inside
  single-quoted strings), a flow or table separator (``, [ ] { } |``), a backtick, ``<``, ``>``, ``: `` or `` #``
  (nor, in markup, a blank): whatever delimits a string or a structure stays;
- leading and trailing blanks and YAML indicators (``- ? : # & * ! | > % @``) stay, so indentation, list items,
  keys, anchors and tags keep their meaning (the names of anchors, aliases and tags too);
- a part starts and ends between escape sequences (``\\"``, ``\\\\``, ``\\n``, ``\\u00e9``...) and character
  references (``&quot;``, ``&#39;``): a part that would cut one is widened over it, except an escaped line break,
  which stays;
- a part that could be a bare JSON or YAML scalar (a number, ``true``, ``false``, ``null``, ``.inf``... after ``:``,
  ``,``, ``[``, ``- `` or a line start, before ``,``, ``]``, ``}`` or a line end) is left alone: replacing it by a word
  would change JSON's syntax or YAML's types; a part without any letter or digit is left alone too.

In valid JSON every part that remains lies inside a string, whose syntax ``<redacted>`` cannot break; in YAML it lies
inside a scalar. In markup (XML such as JUnit reports, HTML) a part never holds ``<`` or ``>`` nor touches a tag or
attribute name, and the replacement is ``&lt;redacted&gt;`` (see :func:`is_markup`), which text and attribute
values can hold. Cutting costs only the separators of a secret (``ab"cd`` shows as ``<redacted>"<redacted>``). All of
it is linear in the length of the spans (plus the blanks next to them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "<redacted>"
#: The replacement in markup, where ``<`` would open a tag.
REDACTED_MARKUP = "&lt;redacted&gt;"
_MARKUP = re.compile(r"\s*<(?:\?xml\s|!doctype\s|html[\s>])", re.I)

#: What a part never holds (an escaped quote is not a cut: see :func:`_is_escaped`).
_CUT = re.compile(r"[\n\r\"'`,\[\]{}|<>\x00]|:(?=\s)|\s#")
_CUT_MARKUP = re.compile(_CUT.pattern + r"|\s")
_REFERENCE = re.compile(r"&#?[A-Za-z0-9]{1,10};")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:")
#: How far back a markup part looks for the tag it may be inside.
_TAG_WINDOW = 4096
_ANCHOR_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!")
_QUOTE = re.compile("[\"']")
_LEAD = " \t-?:#&*!|>%@"
_TRAIL = " \t:-?"
#: Scalars JSON and YAML write without quotes (numbers, booleans, null; YAML's ``.inf``, ``.nan``, ``~``), and the
#: characters before and after which they stand bare (also the start or end of the line; ``-`` and ``?`` are YAML's
#: list item and key).
_BARE_SCALAR = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[-+]?\.inf|\.nan|true|false|null|~", re.I)
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-_~")
_BEFORE_BARE = frozenset(":,[-?\n\r")
_AFTER_BARE = frozenset(",]}\n\r")
_HEX = frozenset("0123456789abcdefABCDEF")
_LOW_SURROGATE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
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
    """The end of the escape sequence whose backslash is at ``j`` (a UTF-16 surrogate pair, ``\\ud83d\\ude00``, is
    one sequence)."""
    letter = text[j + 1] if j + 1 < len(text) else ""
    size = _HEX_ESCAPES.get(letter, 2)
    if (size > 2 and not all(c in _HEX for c in text[j + 2:j + size])) or j + size > len(text):
        size = 2
    if size == 6 and text[j + 2] in "dD" and text[j + 3] in "89abAB" and _LOW_SURROGATE.match(text, j + 6):
        size = 12
    return min(j + size, len(text))


def _escape_around(text: str, i: int) -> tuple[int, int] | None:
    """The escape sequence that ``i`` falls strictly inside (``start < i < end``), if any."""
    for j in range(i - 1, max(-1, i - 16), -1):
        if text[j] != "\\":
            if text[j] not in _HEX and text[j] not in "uxU":
                return None
            continue
        if _is_escaped(text, j):
            return None  # the second backslash of a ``\\\\`` pair, which ends before ``i``
        end = _escape_end(text, j)
        if j >= 6 and _LOW_SURROGATE.match(text, j) and _escape_end(text, j - 6) == end and text[j - 6] == "\\" \
                and not _is_escaped(text, j - 6):
            j = j - 6  # the second half of a surrogate pair
        return (j, end) if i < end else None
    return None


def _reference_around(text: str, i: int) -> tuple[int, int] | None:
    """The character reference (``&quot;``) that ``i`` falls strictly inside, if any."""
    amp = text.rfind("&", max(0, i - 12), i)
    if amp < 0:
        return None
    match = _REFERENCE.match(text, amp)
    return (amp, match.end()) if match and i < match.end() else None


def _aligned(text: str, start: int, end: int, markup: bool) -> tuple[int, int]:
    """``start``/``end`` moved off the inside of escape sequences and character references: a start widened back to
    the backslash or ``&``, an end widened over the sequence, or cut before it when the escaped character delimits
    something (a line break; in markup, where a backslash escapes nothing, a quote)."""
    if _near(text, start):
        around = _escape_around(text, start) or _reference_around(text, start)
        if around is not None:
            start = around[0]
    if _near(text, end):
        around = _escape_around(text, end)
        if around is not None:
            escaped = text[around[0] + 1:around[0] + 2]
            end = around[0] if (markup or escaped != '"') and _CUT.match(escaped + " ") else around[1]
        around = _reference_around(text, end)
        if around is not None:
            end = around[1]
    return start, end


def _near(text: str, i: int) -> bool:
    """Whether an escape sequence or a character reference could cover ``i`` (the cheap test first)."""
    before = text[max(0, i - 16):i]
    return "\\" in before or "&" in before


def _in_quotes(text: str, start: int, end: int) -> bool:
    """Whether ``end`` is inside a quoted value that opens after ``start`` (either quote; the other one is text)."""
    pos = start
    while True:
        quote = _QUOTE.search(text, pos, end)
        if quote is None:
            return False
        close = text.find(quote.group(), quote.end(), end)
        if close < 0:
            return True
        pos = close + 1


def _markup_syntax(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (one word: markup parts end at blanks) is part of markup's syntax: anything inside
    a tag but outside quoted attribute values (tag and attribute names, ``<input disabled>``), and anything inside a
    declaration, a doctype, a comment or a processing instruction (``<?xml version="1.0"?>``)."""
    window = max(0, start - _TAG_WINDOW)
    opened, closed = text.rfind("<", window, start), text.rfind(">", window, start)
    if opened > closed:
        return text[opened + 1:opened + 2] in ("?", "!") or not _in_quotes(text, opened, start)
    if closed >= 0:
        return False  # text between tags
    while start > 0 and text[start - 1] in _NAME_CHARS:  # no tag in sight: a name is what touches ``<`` or ``=``
        start -= 1
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    return text[max(0, start - 2):start].rstrip("/?!").endswith("<") or text[end:end + 8].lstrip().startswith("=")


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


def _yaml_anchor(text: str, start: int) -> bool:
    """Whether ``text[start:]`` is the name of a YAML anchor, alias or tag: after ``&``, ``*`` or ``!`` that starts a
    node (at a line start, or after ``: ``, ``- ``, ``? ``), and ended by a blank or the line end."""
    if start == 0 or text[start - 1] not in "&*!":
        return False
    end = start
    while end < len(text) and text[end] in _ANCHOR_CHARS:
        end += 1
    if end < len(text) and text[end] not in " \t\n\r":
        return False
    before = start - 2
    while before >= 0 and text[before] in "!":  # ``!!str``
        before -= 1
    if before < 0 or text[before] in "\n\r":
        return True
    if text[before] not in " \t":
        return False
    while before >= 0 and text[before] in " \t":
        before -= 1
    return before < 0 or text[before] in ":-?\n\r"


def _masked_already(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is the word of a ``<redacted>`` (or ``&lt;redacted&gt;``) already there."""
    return text[start:end] == "redacted" and (
        (text[start - 1:start] == "<" and text[end:end + 1] == ">")
        or (text[max(0, start - 4):start] == "&lt;" and text[end:end + 4] == "&gt;"))


def _part(text: str, start: int, end: int, markup: bool) -> tuple[int, int] | None:
    while start < end and text[start] in _LEAD:
        start += 1
    if not markup and _yaml_anchor(text, start):
        while start < end and text[start] in _ANCHOR_CHARS:  # a YAML anchor, alias or tag: its name stays
            start += 1
        while start < end and text[start] in _LEAD:
            start += 1
    while end > start and text[end - 1] in _TRAIL:
        end -= 1
    if start >= end:
        return None
    start, end = _aligned(text, start, end, markup)
    if not any(c.isalnum() for c in text[start:end]) or _bare_scalar(text, start, end):
        return None
    if (markup and _markup_syntax(text, start, end)) or _masked_already(text, start, end):
        return None
    return start, end


def safe_parts(text: str, spans: Iterable[tuple[int, int]], markup: bool = False) -> list[tuple[int, int]]:
    """The parts of ``spans`` (see the module docstring) that can be replaced in ``text`` (``markup`` or not)
    without changing its syntax, sorted and disjoint."""
    spans = merge(spans)
    if not spans:
        return []
    parts: list[tuple[int, int]] = []
    for start, end in spans:
        pos = start
        for cut in (_CUT_MARKUP if markup else _CUT).finditer(text, start, end):
            if not markup and text[cut.start()] == '"' and _is_escaped(text, cut.start()):
                continue
            part = _part(text, pos, cut.start(), markup)
            if part is not None:
                parts.append(part)
            pos = cut.end()
        part = _part(text, pos, end, markup)
        if part is not None:
            parts.append(part)
    return merge(parts)


def is_markup(text: str) -> bool:
    """Whether ``text`` is markup: an XML or HTML document (it starts with an XML declaration, a doctype or an
    ``<html>`` tag), where a secret is replaced by ``&lt;redacted&gt;``."""
    return _MARKUP.match(text) is not None


def replace(text: str, parts: list[tuple[int, int]], markup: bool = False) -> str:
    """``text`` with each of ``parts`` (sorted, disjoint) replaced by ``<redacted>`` (``&lt;redacted&gt;`` in
    ``markup``)."""
    if not parts:
        return text
    replacement = REDACTED_MARKUP if markup else REDACTED
    out: list[str] = []
    done = 0
    for start, end in parts:
        out.append(text[done:start])
        out.append(replacement)
        done = end
    out.append(text[done:])
    return "".join(out)


def mask_spans(text: str, spans: Iterable[tuple[int, int]], markup: bool | None = None) -> str:
    """``text`` with ``spans`` masked without changing its syntax (see the module docstring); ``markup`` by default
    when the text :func:`is_markup`."""
    markup = is_markup(text) if markup is None else markup
    return replace(text, safe_parts(text, spans, markup), markup)


__all__ = ["REDACTED", "REDACTED_MARKUP", "is_markup", "mask_spans", "merge", "replace", "safe_parts"]
