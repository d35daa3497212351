"""Reading a YAML stream or JSON text document by document: each one parsed, or refused with its position.

A refused document does not stop the others: only a syntax error ends the stream (nothing after it can be told
apart). YAML is composed by libyaml when PyYAML has it (C speed), and the values are built by
:class:`~.build.Builder`; JSON is decoded by :mod:`json` and scanned again only to locate a problem or, lazily, a
field's position.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .build import MAP_TAG, SEQ_TAG, STR_TAG, Builder, Refused
from .json_nodes import scan_json
from .limits import ReadLimits
from .positions import Locator
from .whole_json import read_whole


@dataclass(frozen=True)
class ParsedDocument:
    """One document's value, the 1-based line where it starts, and its positions when they were asked for."""

    index: int
    data: Any
    line: int
    locator: Locator | None


@dataclass(frozen=True)
class RefusedDocument:
    """A document that was not read; ``message`` names the line and column when they are known."""

    index: int
    message: str
    line: int | None
    column: int | None
    #: A syntax error: the rest of the text could not be read either.
    ends_stream: bool


class _Composer(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Composes YAML into nodes with YAML 1.1 tags; timestamps stay strings, as in Kubernetes' decoder.

    The composer asks for the tag of every node; plain scalars repeat a lot (keys, names, images), so their tags are
    remembered for the text being read (never longer: the values may be secrets), and the hooks for path resolvers
    (never used here) do nothing.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(value) <= 64:
                    self._plain_tags[value] = tag
            return tag
        return _DEFAULT_TAGS[kind]

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


_DEFAULT_TAGS = {ScalarNode: STR_TAG, SequenceNode: SEQ_TAG, MappingNode: MAP_TAG}


_Composer.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _refused(index: int, exc: Refused, ends_stream: bool = False) -> RefusedDocument:
    mark = exc.mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    return RefusedDocument(index, exc.located(), line, column, ends_stream)


def yaml_documents(
    text: str, limits: ReadLimits, *, positions: bool = True, unique_keys: bool = True
) -> Generator[ParsedDocument | RefusedDocument, None, None]:
    """Every document of a YAML stream (empty documents included, as ``None``), in order."""
    composer = _Composer(text)
    index = 0
    try:
        while True:
            try:
                if not composer.check_node():
                    return
                node = composer.get_node()
            except yaml.YAMLError as exc:
                yield _syntax_error(index, exc, text)
                return
            except RecursionError:  # only the pure-Python composer recurses; libyaml stops at depth 1000
                yield RefusedDocument(index, f"nesting deeper than {limits.max_depth} levels", None, None, True)
                return
            yield _build(index, node, limits, positions, unique_keys)
            index += 1
    finally:
        composer.dispose()


def _build(
    index: int, node: Node, limits: ReadLimits, positions: bool, unique_keys: bool
) -> ParsedDocument | RefusedDocument:
    try:
        data = Builder(limits, unique_keys=unique_keys).build(node)
    except Refused as exc:
        return _refused(index, exc)
    return ParsedDocument(index, data, node.start_mark.line + 1, Locator(node) if positions else None)


def _syntax_error(index: int, exc: yaml.YAMLError, text: str) -> RefusedDocument:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    position = getattr(exc, "position", None)  # a ReaderError (a character YAML does not allow) has an offset
    if mark is None and isinstance(position, int):
        line, column = text.count("\n", 0, position) + 1, position - text.rfind("\n", 0, position)
        reason = getattr(exc, "reason", problem)
        return RefusedDocument(index, f"invalid YAML at line {line}, column {column}: {reason}", line, column,
                               True)
    if mark is None:
        return RefusedDocument(index, f"invalid YAML: {problem}", None, None, True)
    line, column = _text_position(text, mark)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None:
        started = _text_position(text, context_mark)
        if started != (line, column):
            opened = re.sub(r"^while (?:parsing|scanning) (?:an? )?", "", context)
            problem += f" (in the {opened} that starts at line {started[0]}, column {started[1]})"
    return RefusedDocument(index, f"invalid YAML at line {line}, column {column}: {problem}", line, column, True)


def _text_position(text: str, mark: Any) -> tuple[int, int]:
    """1-based line and column of a mark; the end of the text is placed after its last character (libyaml puts it on
    a line of its own, which a text without a final newline does not have)."""
    if mark.index >= len(text) and not text.endswith("\n"):
        last_line_start = text.rfind("\n") + 1
        return text.count("\n") + 1, len(text) - last_line_start + 1
    return mark.line + 1, mark.column + 1


class _DuplicateKey(Exception):
    pass


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _DuplicateKey
    return mapping


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# NaN and Infinity are not JSON: refusing them sends the text to the scanner, which names their position.
_STRICT = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
_LENIENT = json.JSONDecoder(parse_constant=_no_constant)
_WHITESPACE = " \t\n\r"


def _whole_document(
    text: str, pos: int, limits: ReadLimits, positions: bool, unique_keys: bool
) -> ParsedDocument | None:
    """The one document of a text holding one JSON value (at ``pos``), read by :func:`~.whole_json.read_whole`;
    None when it must be read value by value."""
    whole = read_whole(text, limits, unique_keys=unique_keys)
    if whole is None:
        return None
    locator = Locator(lambda: _node_at(text, pos)) if positions else None
    return ParsedDocument(0, whole[0], 1 + text.count("\n", 0, pos), locator)


def json_documents(
    text: str, limits: ReadLimits, *, positions: bool = True, unique_keys: bool = True, split_lists: bool = True,
    whole: bool = True,
) -> Iterator[ParsedDocument | RefusedDocument]:
    """Every JSON value of ``text`` in order (several may follow each other); with ``split_lists`` the items of a
    top-level array are documents of their own. A text of one value (not split) is read whole first
    (:mod:`.whole_json`) unless ``whole`` is False."""
    decoder = _STRICT if unique_keys else _LENIENT
    index, pos, line, counted = 0, _skip(text, 0), 1, 0
    if whole and not (split_lists and text.startswith("[", pos)):
        read = _whole_document(text, pos, limits, positions, unique_keys)
        if read is not None:
            yield read
            return
    in_list = False
    if split_lists and text.startswith("[", pos):
        in_list, pos = True, _skip(text, pos + 1)
        if text.startswith("]", pos):
            in_list, pos = False, _skip(text, pos + 1)
    while pos < len(text):
        line += text.count("\n", counted, pos)
        counted = pos
        document, end = _json_value(text, pos, index, line, decoder, limits, positions, unique_keys)
        yield document
        if end is None:
            return
        index, pos = index + 1, _skip(text, end)
        if in_list:
            if text.startswith(",", pos):
                pos = _skip(text, pos + 1)
            elif text.startswith("]", pos):
                in_list, pos = False, _skip(text, pos + 1)
            else:
                yield _json_syntax(index, text, pos, "expected ',' or ']'")
                return
    if in_list:
        yield _json_syntax(index, text, pos, "expected ']'")


def _json_value(
    text: str, pos: int, index: int, line: int, decoder: json.JSONDecoder, limits: ReadLimits, positions: bool,
    unique_keys: bool,
) -> tuple[ParsedDocument | RefusedDocument, int | None]:
    """The document at ``pos`` and the offset after it (None when the rest of the text cannot be read)."""
    try:
        data, end = decoder.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        return _json_syntax(index, text, exc.pos, exc.msg), None
    except (_DuplicateKey, ValueError, RecursionError):
        data, end = None, -1  # located by the scanner below
    if end >= 0 and _depth_within(data, limits.max_depth):
        locator = Locator(lambda: _node_at(text, pos)) if positions else None
        return ParsedDocument(index, data, line, locator), end
    try:
        node, end = scan_json(text, pos, limits.max_depth)
    except Refused as exc:
        if exc.message.startswith("nesting deeper"):
            return _refused(index, exc), _end_of_value(text, pos)
        return _refused(index, exc, ends_stream=True), None
    return _build(index, node, limits, positions, unique_keys), end


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _end_of_value(text: str, pos: int) -> int | None:
    """Where the container at ``pos`` closes (None when it does not), counting brackets outside strings: enough to
    go on after a document refused for its depth (the next document is checked as usual)."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text, pos):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
        elif bracket in ("]", "}"):
            depth -= 1
            if depth == 0:
                return token.end()
    return None


def _node_at(text: str, pos: int) -> Node | None:
    try:
        return scan_json(text, pos)[0]
    except Refused:
        return None


def _json_syntax(index: int, text: str, pos: int, problem: str) -> RefusedDocument:
    line = text.count("\n", 0, pos) + 1
    column = pos - text.rfind("\n", 0, pos)
    return RefusedDocument(index, f"invalid JSON at line {line}, column {column}: {problem}", line, column, True)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _depth_within(value: Any, limit: int) -> bool:
    """Whether mappings and lists in ``value`` nest at most ``limit`` deep (level by level, without recursion)."""
    level = [value]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return False
        below = []
        for item in level:
            children = item.values() if type(item) is dict else item if type(item) is list else ()
            for child in children:
                if type(child) is dict or type(child) is list:
                    below.append(child)
        level = below
    return True
