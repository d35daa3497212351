"""Reading a whole JSON text fast, with the guarantees of the careful reader or not at all.

The careful reader decodes with :mod:`json` and a hook that refuses duplicate keys, then walks the value for its
depth: both in Python, object by object. :func:`read_whole` decodes without the hook (C speed, the same values) and
proves the same guarantees with checks that also run at C speed; when one fails, or anything is in doubt, it answers
``None`` and the careful reader reads the text and names what is wrong where. A ``None`` only costs time.

- **Duplicate keys.** Outside strings, a JSON text has a colon exactly where a key ends, and a string holds the same
  colons in the text as in the value unless one is written ``\\u003a``. So when the text has no such escape, the
  colons of the text equal those of the value's compact encoding (by :mod:`orjson`) exactly when no key was dropped.
- **Nesting.** ``orjson.dumps`` refuses values nested deeper than a fixed number of levels: wrapping a value in
  that many levels less the limit makes the encoder refuse exactly the values nested deeper than the limit.
- Anything the encoder refuses (integers beyond 64 bits, lone surrogates) is left to the careful reader too.

orjson's own decoder is not used: it builds a document of its own before the values (a peak of twice the text).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from .limits import ReadLimits

# orjson is imported when a JSON text is first read whole: commands that read none start without it.

#: A colon written as an escape (other escapes, such as the ``\\u003c`` of ``<`` that Go's encoder writes, are fine).
_ESCAPED_COLON = re.compile(r"\\u003[aA]")
#: Chunks are encoded one by one below this depth, so that no encoding of the whole text is held at once.
_CHUNK_DEPTH = 3


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


@cache
def _encoder_depth() -> int | None:
    """The deepest nesting ``orjson.dumps`` encodes (None when it is not the value this module was checked with, so
    that a change of orjson can only make reading slower, never less strict)."""
    import orjson

    depth = 254
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


class _Shape:
    """Walks a decoded value: colons of its compact encoding, and whether it nests within the limit."""

    def __init__(self, max_depth: int, encoder_depth: int) -> None:
        self.max_depth = max_depth
        self.encoder_depth = encoder_depth
        self.colons = 0
        #: Per depth of a chunk, the nest of lists wrapping it (reused: only the innermost item changes).
        self._wrappers: dict[int, tuple[list[Any], list[Any]]] = {}

    def within(self, value: Any, depth: int = 1) -> bool:
        """Whether ``value``, at ``depth`` (the root is 1), nests within the limit and can be encoded; counts its
        colons."""
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
        import orjson

        outer, inner = self._wrapper(depth)
        inner[0] = value
        try:
            encoded = orjson.dumps(outer)
        except orjson.JSONEncodeError:  # too deep, or an integer beyond 64 bits, or a lone surrogate
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


def read_whole(text: str, limits: ReadLimits, *, unique_keys: bool) -> tuple[Any] | None:
    """``(value,)`` of a text holding one JSON value, when it is proven to be what the careful reader gives and
    within ``limits``; None when the careful reader must read it (a syntax error, several values, a possible
    duplicate key, too deep nesting, or limits beyond what the checks can prove)."""
    encoder_depth = _encoder_depth()
    if encoder_depth is None or not _CHUNK_DEPTH <= limits.max_depth < encoder_depth - 1:
        return None
    if unique_keys and _ESCAPED_COLON.search(text):
        return None
    try:
        value = _DECODER.decode(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        return None
    shape = _Shape(limits.max_depth, encoder_depth)
    if not shape.within(value):
        return None
    if unique_keys and shape.colons != text.count(":"):
        return None
    return (value,)
