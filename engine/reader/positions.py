"""Where a field of a document is written: the 1-based line and column of a key or list item, by field path."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..cel.libs.kyverno_common import yaml_key_text
from .build import MERGE_TAG, STR_TAG, Builder, Refused
from .limits import DEFAULT_LIMITS


class Locator:
    """Finds positions in one document's node tree; the tree may be produced on first use (JSON scans lazily)."""

    def __init__(self, root: Node | Callable[[], Node | None], prefix: tuple[str | int, ...] = ()) -> None:
        self._node: Node | None = None if callable(root) else root
        self._deferred: Callable[[], Node | None] | None = root if callable(root) else None
        self._prefix = prefix

    def child(self, *path: str | int) -> Locator:
        """A locator for the value at ``path`` (a ``List`` item read as a document of its own); it shares the
        node tree, scanned once."""
        source = self._node if self._node is not None else self.root
        return Locator(source, self._prefix + path)

    @property
    def deferred(self) -> bool:
        """Whether the node tree is still to be scanned (finding a position now costs a scan of the text)."""
        return self._deferred is not None

    def root(self) -> Node | None:
        """The node tree (scanned now if it was deferred); None when it cannot be had."""
        if self._deferred is not None:
            self._node, self._deferred = self._deferred(), None
        return self._node

    def position(self, path: Sequence[str | int]) -> tuple[int, int] | None:
        """(line, column) of the key (in mappings) or item (in lists) at ``path``; ``()`` gives the value itself;
        None when the path is not in the document."""
        node = self.root()
        if node is None:
            return None
        mark = node.start_mark
        for step in (*self._prefix, *path):
            found = _step(node, step)
            if found is None:
                return None
            mark, node = found[0].start_mark, found[1]
        return mark.line + 1, mark.column + 1


def _step(node: Node, step: str | int) -> tuple[Node, Node] | None:
    """(node whose position is reported, node to continue from) for one path step."""
    if type(node) is SequenceNode:
        if isinstance(step, int) and not isinstance(step, bool) and 0 <= step < len(node.value):
            return node.value[step], node.value[step]
        return None
    if type(node) is not MappingNode:
        return None
    merged: list[Node] = []
    for key_node, value_node in node.value:
        if type(key_node) is not ScalarNode:
            continue
        if key_node.tag == MERGE_TAG:
            merged = value_node.value if type(value_node) is SequenceNode else [value_node]
        elif _key(key_node) == str(step):
            return key_node, value_node
    for source in merged:  # keys taken from a merged mapping are found where that mapping writes them
        found = _step(source, step)
        if found is not None:
            return found
    return None


def _key(node: ScalarNode) -> str | None:
    if node.tag == STR_TAG:
        return str(node.value)
    try:
        return yaml_key_text(Builder(DEFAULT_LIMITS).scalar(node))
    except Refused:
        return None
