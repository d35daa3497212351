"""Scanning one JSON value into YAML nodes with line and column marks.

The fast path reads JSON with :mod:`json`; this scanner is for what that cannot tell: where a duplicate key, an
over-long integer or too deep a nesting sits, and the positions of fields for error messages. It accepts exactly
JSON (RFC 8259), keeps duplicate keys and number texts as written (the :class:`~.build.Builder` judges them), and
uses no recursion, so any nesting depth is safe.
"""

from __future__ import annotations

import json.decoder
import re
from collections.abc import Callable

from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .build import BOOL_TAG, FLOAT_TAG, INT_TAG, MAP_TAG, NULL_TAG, SEQ_TAG, STR_TAG, Refused

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
#: The standard library's JSON string scanner (C speed; not in the type stubs).
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_LITERALS = {"true": BOOL_TAG, "false": BOOL_TAG, "null": NULL_TAG}


class _Marks:
    """Line and column of offsets in one text, computed as the scanner moves forward."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self._offset = 0
        self._line = 0
        self._line_start = 0

    def at(self, offset: int) -> Mark:
        text = self.text
        if offset < self._offset:
            self._offset = self._line = self._line_start = 0
        newlines = text.count("\n", self._offset, offset)
        if newlines:
            self._line += newlines
            self._line_start = text.rfind("\n", self._offset, offset) + 1
        self._offset = offset
        return Mark(self.name, offset, self._line, offset - self._line_start, None, 0)


def scan_json(text: str, pos: int = 0, max_depth: int | None = None, name: str = "<json>") -> tuple[Node, int]:
    """The node of the JSON value starting at ``pos`` (leading whitespace allowed) and the offset after it.

    Raises :class:`~.build.Refused` with the position of the first syntax error, or of the first container nested
    deeper than ``max_depth``.
    """
    marks = _Marks(text, name)
    #: Open containers, innermost last; for a mapping, the key node waiting for its value.
    stack: list[tuple[MappingNode | SequenceNode, list[ScalarNode]]] = []
    while True:
        pos = _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]
        char = text[pos:pos + 1]
        value: Node
        if char in ("{", "["):
            if max_depth is not None and len(stack) >= max_depth:
                raise Refused(f"nesting deeper than {max_depth} levels", marks.at(pos))
            container: MappingNode | SequenceNode = (
                MappingNode(MAP_TAG, [], marks.at(pos)) if char == "{" else SequenceNode(SEQ_TAG, [], marks.at(pos))
            )
            pos = _WHITESPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
            if text[pos:pos + 1] != ("}" if char == "{" else "]"):
                key: list[ScalarNode] = []
                if char == "{":
                    pos = _key(text, pos, marks, key)
                stack.append((container, key))
                continue
            pos += 1
            value = container
        else:
            value, pos = _scalar(text, pos, marks)
        # Attach the finished value to its container; close containers that end here.
        while True:
            if not stack:
                return value, pos
            container, key = stack[-1]
            if type(container) is MappingNode:
                container.value.append((key.pop(), value))
            else:
                container.value.append(value)
            pos = _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]
            char = text[pos:pos + 1]
            closing = "}" if type(container) is MappingNode else "]"
            if char == ",":
                pos += 1
                if type(container) is MappingNode:
                    pos = _key(text, pos, marks, key)
                break
            if char != closing:
                raise Refused(f"expected ',' or '{closing}'", marks.at(pos))
            stack.pop()
            pos += 1
            value = container


def _key(text: str, pos: int, marks: _Marks, into: list[ScalarNode]) -> int:
    """Read ``"key" :`` at ``pos``; the key node goes to ``into``; return the offset of the value."""
    pos = _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]
    if text[pos:pos + 1] != '"':
        raise Refused("expected a string key", marks.at(pos))
    node, pos = _string(text, pos, marks)
    into.append(node)
    pos = _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]
    if text[pos:pos + 1] != ":":
        raise Refused("expected ':' after a key", marks.at(pos))
    return pos + 1


def _string(text: str, pos: int, marks: _Marks) -> tuple[ScalarNode, int]:
    try:
        value, end = _scanstring(text, pos + 1, True)
    except ValueError as exc:
        raise Refused(f"invalid string: {str(exc).split(':', 1)[0]}", marks.at(pos)) from None
    return ScalarNode(STR_TAG, value, marks.at(pos)), end


def _scalar(text: str, pos: int, marks: _Marks) -> tuple[ScalarNode, int]:
    char = text[pos:pos + 1]
    if char == '"':
        return _string(text, pos, marks)
    number = _NUMBER.match(text, pos)
    if number:
        tag = FLOAT_TAG if number.group(1) or number.group(2) else INT_TAG
        return ScalarNode(tag, number.group(), marks.at(pos)), number.end()
    for word, tag in _LITERALS.items():
        if text.startswith(word, pos):
            return ScalarNode(tag, word, marks.at(pos)), pos + len(word)
    raise Refused("expected a value" if char else "unexpected end of the text", marks.at(pos))
