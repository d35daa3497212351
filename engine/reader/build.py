"""Turning a composed node tree (YAML, or JSON scanned into the same nodes) into plain values, strictly and within
limits.

The values are what Kubernetes' decoders give: mappings with string keys (``1: a`` has the key ``"1"``), lists,
strings, integers, floats, booleans and ``null``; timestamps stay strings. Beyond that the builder refuses, with the
line and column of the offending node:

- duplicate keys in a mapping (as Kubernetes' strict decoding does);
- an alias used inside the node it names (a recursive structure);
- alias expansion beyond :meth:`ReadLimits.aliasing_allowed` (billion laughs);
- nesting deeper than ``max_depth`` and integers longer than ``max_int_digits``;
- tags other than YAML's core types (``!!binary``, ``!!set``, ``!custom``...).

Aliases are expanded into independent copies, as Kubernetes' decoder does, so that changing one place never changes
another.
"""

from __future__ import annotations

import math
from typing import Any

from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..cel.libs.kyverno_common import yaml_key_text
from .limits import ReadLimits

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_VALUE_TAG = "tag:yaml.org,2002:value"
_BOOLEANS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


class Refused(Exception):
    """A document the builder will not turn into values; ``mark`` is where (0-based, as yaml marks are)."""

    def __init__(self, message: str, mark: Mark | None, note: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.note = note

    def located(self) -> str:
        """The message with its 1-based line and column, then the note."""
        where = "" if self.mark is None else f" at line {self.mark.line + 1}, column {self.mark.column + 1}"
        return f"{self.message}{where}{self.note}"


def short_tag(tag: str) -> str:
    """``!!binary`` for ``tag:yaml.org,2002:binary``; other tags as written."""
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


class Builder:
    """Builds the value of one document. Create one per document: it counts the document's nodes."""

    def __init__(self, limits: ReadLimits, *, unique_keys: bool = True) -> None:
        self.limits = limits
        #: False keeps the last of duplicate keys, as Go's non-strict decoders do.
        self.unique_keys = unique_keys
        #: Nodes of the document once aliases are expanded, and how many of them came from aliases.
        self.nodes = 0
        self.aliased = 0
        #: Containers already built (by node identity): value, node count and height, for aliases to copy.
        self._built: dict[int, tuple[Any, int, int]] = {}
        self._open: set[int] = set()
        self._deepest = 0

    def build(self, node: Node) -> Any:
        """The value of a document's root node."""
        return self._value(node, 1)

    def _value(self, node: Node, depth: int) -> Any:
        if type(node) is ScalarNode:
            self.nodes += 1
            if depth > self._deepest:
                self._deepest = depth
            return node.value if node.tag == STR_TAG else self.scalar(node)
        if depth > self.limits.max_depth:
            raise Refused(f"nesting deeper than {self.limits.max_depth} levels", node.start_mark)
        key = id(node)
        done = self._built.get(key)
        if done is not None:
            return self._expand_alias(node, depth, *done)
        if key in self._open:
            raise Refused("recursive alias to the node", node.start_mark,
                          " (an alias used inside the node its anchor names)")
        self._open.add(key)
        before, outer_deepest = self.nodes, self._deepest
        self.nodes += 1
        self._deepest = depth
        if type(node) is MappingNode:
            value: Any = self._mapping(node, depth)
        elif type(node) is SequenceNode:
            if node.tag != SEQ_TAG:
                raise Refused(f"unsupported tag {short_tag(node.tag)}", node.start_mark)
            value = [self._value(item, depth + 1) for item in node.value]
        else:  # pragma: no cover - composers produce only the three node types
            raise Refused(f"unexpected node {type(node).__name__}", node.start_mark)
        self._open.discard(key)
        self._built[key] = (value, self.nodes - before, self._deepest - depth + 1)
        self._deepest = max(outer_deepest, self._deepest)
        return value

    def _expand_alias(self, node: Node, depth: int, value: Any, nodes: int, height: int) -> Any:
        """A copy of an already-built container, once the copy is known to stay within the limits."""
        if depth + height - 1 > self.limits.max_depth:
            raise Refused(f"nesting deeper than {self.limits.max_depth} levels once the alias of the node",
                          node.start_mark, " is expanded")
        self.nodes += nodes
        self.aliased += nodes
        if not self.limits.aliasing_allowed(self.nodes, self.aliased):
            raise Refused("excessive aliasing: aliases of the node", node.start_mark,
                          f" and others expand to {self.aliased} of the document's {self.nodes} nodes")
        self._deepest = max(self._deepest, depth + height - 1)
        return _copy(value)

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        if node.tag != MAP_TAG:
            raise Refused(f"unsupported tag {short_tag(node.tag)}", node.start_mark)
        result: dict[str, Any] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                raise Refused("a mapping key must be a string, not a mapping or a list", key_node.start_mark)
            if key_node.tag == MERGE_TAG:
                if merges:
                    raise Refused("duplicate key '<<'", key_node.start_mark)
                merges = value_node.value if type(value_node) is SequenceNode else [value_node]
                continue
            key = key_node.value if key_node.tag == STR_TAG else yaml_key_text(self.scalar(key_node))
            if key in result and self.unique_keys:
                raise Refused(f"duplicate key {key!r}", key_node.start_mark)
            self.nodes += 1
            result[key] = self._value(value_node, depth + 1)
        for source in merges:
            if type(source) is not MappingNode:
                raise Refused("a merge key ('<<') takes a mapping or a list of mappings", source.start_mark)
            for key, value in self._value(source, depth).items():
                result.setdefault(key, value)
        return result

    def scalar(self, node: ScalarNode) -> Any:
        """The value of a scalar node by its tag (``!!str`` scalars are their text)."""
        tag, text = node.tag, node.value
        try:
            if tag == STR_TAG or tag in (_TIMESTAMP_TAG, MERGE_TAG, _VALUE_TAG):
                return text
            if tag == NULL_TAG:
                return None
            if tag == BOOL_TAG:
                return _BOOLEANS[text.lower()]
            if tag == INT_TAG:
                return self._integer(text, node)
            if tag == FLOAT_TAG:
                return _float(text)
        except (KeyError, ValueError):
            raise Refused(f"{text[:40]!r} is not a valid {short_tag(tag)}", node.start_mark) from None
        raise Refused(f"unsupported tag {short_tag(tag)}", node.start_mark)

    def _integer(self, text: str, node: ScalarNode) -> int:
        if len(text) > self.limits.max_int_digits:
            raise Refused(f"an integer of {len(text)} digits is longer than the {self.limits.max_int_digits} "
                          "allowed", node.start_mark)
        return _int(text)


def _int(text: str) -> int:
    """A YAML 1.1 integer (as Kubernetes' YAML decoder reads them): ``0x1F``, ``0b101``, ``017`` (octal),
    ``1_000``, ``1:30`` (base 60)."""
    if text.isascii() and text.isdigit() and (text[0] != "0" or len(text) == 1):
        return int(text)
    value = text.replace("_", "")
    sign = -1 if value[:1] == "-" else 1
    value = value.lstrip("+-")
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if len(value) > 1 and value[0] == "0" and value.isdigit():
        return sign * int(value, 8)
    if ":" in value:
        total = 0
        for part in value.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(value)


def _float(text: str) -> float:
    """A YAML 1.1 float: ``1.5``, ``-.inf``, ``.NaN``, ``1_000.5``, ``1:30.5`` (base 60)."""
    value = text.replace("_", "").lower()
    sign = -1.0 if value[:1] == "-" else 1.0
    value = value.lstrip("+-")
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    if ":" in value:
        total = 0.0
        for part in value.split(":"):
            total = total * 60 + float(part)
        return sign * total
    return sign * float(value)


def _copy(value: Any) -> Any:
    """A deep copy of a built value (its depth is bounded by the limits, so recursion is safe)."""
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy(item) for item in value]
    return value
