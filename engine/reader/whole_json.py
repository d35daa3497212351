"""Reading a whole JSON text at C speed, with the guarantees of the careful reader or not at all.

:mod:`orjson` decodes much faster than :mod:`json`, but keeps the last of duplicate keys, turns integers beyond 64
bits into floats, and nests up to 1024 levels. :func:`read_whole` accepts its value only when cheap checks, run at
C speed too, prove that none of that happened; otherwise it answers ``None`` and the careful reader
(:func:`~.streams.json_documents`' own path) reads the text and names what is wrong where. A ``None`` only costs
time: it is what any doubt gives.

- **Duplicate keys.** Outside strings, a JSON text has a colon exactly where a key ends, and a string holds the same
  colons in the text as in the value unless one is written ``\\u003a``. So when the text has no such escape, the
  colons of the text equal those of the value's compact re-encoding exactly when no key was dropped.
- **Nesting.** ``orjson.dumps`` refuses values nested deeper than a fixed number of levels: wrapping a value in
  that many levels less the limit makes the encoder refuse exactly the values nested deeper than the limit.
- **Integers.** An integer token of 19 digits or more (where orjson may make a float of an integer) sends the text
  to the careful reader; a pattern finds every such token (and possibly a few inside strings).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import orjson

from .limits import ReadLimits

#: Digits orjson keeps as an integer for sure (it reads integers from -2**63 to 2**64 - 1, which have 19 and 20
#: digits; longer or larger ones become floats).
_SAFE_INT_DIGITS = 18
#: Chunks are encoded one by one below this depth, so that no re-encoding of the whole text is held at once.
_CHUNK_DEPTH = 3


@cache
def _encoder_depth() -> int | None:
    """The deepest nesting ``orjson.dumps`` encodes (None when it is not the value this module was checked with, so
    that a change of orjson can only make reading slower, never less strict)."""
    for depth in (254,):
        deepest: list[Any] = []
        for _ in range(depth - 1):
            deepest = [deepest]
        try:
            orjson.dumps(deepest)
        except orjson.JSONEncodeError:
            return None
        try:
            orjson.dumps([deepest])
        except orjson.JSONEncodeError:
            return depth
    return None


#: Bytes an integer token may follow or be followed by (a digit run elsewhere is inside a string or a longer number).
_BEFORE_NUMBER = b":,[ \t\n\r-"
_AFTER_INTEGER = b",]} \t\n\r"
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_DIGIT_RUN = re.compile(b"[0-9]*")
#: Bytes translated at a time (so that no second copy of a large text is made).
_CHUNK = 1 << 22


def _has_long_integer(data: bytes, digits: int) -> bool:
    """Whether the UTF-8 text ``data`` may hold an integer token of at least ``digits`` digits: every run of that
    many digits is looked at, and one is let go only when it cannot be a token (a digest's digits in a string)."""
    window = b"0" * digits
    resume = 0
    for chunk_start in range(0, len(data), _CHUNK):
        low = max(resume, chunk_start - digits + 1)
        piece = data[low:chunk_start + _CHUNK].translate(_DIGITS_TO_ZERO)
        found = piece.find(window)
        while found >= 0:
            start = low + found
            while start > 0 and 48 <= data[start - 1] <= 57:
                start -= 1
            end = _DIGIT_RUN.match(data, low + found).end()  # type: ignore[union-attr]
            if (start == 0 or data[start - 1] in _BEFORE_NUMBER) and (end == len(data) or data[end] in _AFTER_INTEGER):
                return True
            resume = end
            found = piece.find(window, end - low)
    return False


class _Shape:
    """Walks a decoded value: colons of its compact encoding, and whether it nests within the limit."""

    def __init__(self, max_depth: int, encoder_depth: int) -> None:
        self.max_depth = max_depth
        self.encoder_depth = encoder_depth
        self.colons = 0
        #: Per depth of a chunk, the nest of lists wrapping it (reused: only the innermost item changes).
        self._wrappers: dict[int, tuple[list[Any], list[Any]]] = {}

    def within(self, value: Any, depth: int = 1) -> bool:
        """Whether ``value``, at ``depth`` (the root is 1), nests within the limit; counts its colons."""
        if type(value) is str:
            self.colons += value.count(":")
            return True
        if type(value) is not dict and type(value) is not list:
            return True
        if depth > self.max_depth:
            return False
        if depth < _CHUNK_DEPTH:
            if type(value) is dict:
                self.colons += len(value) + sum(key.count(":") for key in value)
                return all(self.within(item, depth + 1) for item in value.values())
            return all(self.within(item, depth + 1) for item in value)
        outer, inner = self._wrapper(depth)
        inner[0] = value
        try:
            encoded = orjson.dumps(outer)
        except orjson.JSONEncodeError:
            return False
        finally:
            inner[0] = None
        self.colons += encoded.count(b":")
        return True

    def _wrapper(self, depth: int) -> tuple[list[Any], list[Any]]:
        """Lists that leave the value at ``depth`` exactly ``max_depth - depth + 1`` levels of the encoder's."""
        found = self._wrappers.get(depth)
        if found is None:
            inner: list[Any] = [None]
            outer = inner
            for _ in range(self.encoder_depth - (self.max_depth - depth + 1) - 1):
                outer = [outer]
            found = self._wrappers[depth] = (outer, inner)
        return found


def read_whole(text: str | bytes, limits: ReadLimits, *, unique_keys: bool) -> tuple[Any] | None:
    """``(value,)`` of a text holding one JSON value, when it is proven to be what the careful reader gives and
    within ``limits``; None when the careful reader must read it (a syntax error, several values, a possible
    duplicate key, over-long integer or too deep nesting, or limits beyond what the checks can prove). ``bytes``
    are UTF-8 (orjson refuses anything else, as a strict decoder does)."""
    encoder_depth = _encoder_depth()
    if encoder_depth is None or not _CHUNK_DEPTH <= limits.max_depth < encoder_depth - 1:
        return None
    digits = min(_SAFE_INT_DIGITS + 1, limits.max_int_digits + 1)
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    if unique_keys and b"\\u003" in data:  # a colon written as an escape (or another escape near it)
        return None
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if _has_long_integer(data, digits):
        return None
    shape = _Shape(limits.max_depth, encoder_depth)
    if not shape.within(value):
        return None
    if unique_keys and shape.colons != data.count(b":"):
        return None
    return (value,)
