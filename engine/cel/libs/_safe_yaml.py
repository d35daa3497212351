"""Reading YAML from CEL (``yaml.parse``) without alias bombs or self-referencing anchors.

PyYAML shares the node of an anchor among its aliases, so a 300-byte "billion laughs" document composes to a few
nodes but expands to billions once converted to plain values. Before constructing, the composed document is walked
once (without recursion): an anchor that contains an alias to itself is refused, and so is a document whose aliases
expand too much, by the rule of Kubernetes' YAML decoder (go-yaml's ``allowedAliasRatio``: past 1,000 decoded nodes
and 100 from aliases, aliases may make up 99% of the nodes of a document of up to 400,000 nodes, falling to 10% at
4,000,000). No ``LIBRARY`` here, so library discovery skips this module.

The same check fits any YAML reader (``engine/documents.py`` is hardened separately).
"""

from __future__ import annotations

from typing import Any

import yaml

_RATIO_LOW = 400_000
_RATIO_HIGH = 4_000_000


class YamlBomb(ValueError):
    """The document is recursive or expands too much through aliases."""


def _allowed_alias_ratio(decoded: int) -> float:
    if decoded <= _RATIO_LOW:
        return 0.99
    if decoded >= _RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _RATIO_LOW) / (_RATIO_HIGH - _RATIO_LOW)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_aliasing(root: yaml.Node) -> None:
    """Raise :class:`YamlBomb` if ``root`` refers to itself or its aliases expand too much."""
    expanded: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    distinct = 0
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            expanded[key] = 1 + sum(expanded[id(child)] for child in _children(node))
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise YamlBomb(f"yaml: anchor value contains itself (line {node.start_mark.line + 1})")
        on_path.add(key)
        distinct += 1
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise YamlBomb(f"yaml: anchor value contains itself (line {child.start_mark.line + 1})")
            if id(child) not in expanded:
                stack.append((child, False))
    decoded = expanded[id(root)]
    from_aliases = decoded - distinct
    if from_aliases > 100 and decoded > 1000 and from_aliases / decoded > _allowed_alias_ratio(decoded):
        raise YamlBomb(
            f"yaml: document contains excessive aliasing ({distinct} nodes expand to {decoded} through aliases)"
        )


def load_first(text: str, loader_class: type[yaml.SafeLoader]) -> Any:
    """The first document of ``text`` as plain values (None if there is none), checked by :func:`check_aliasing`.

    Raises :class:`YamlBomb`, ``yaml.YAMLError`` or ``RecursionError`` (nesting deeper than the composer follows).
    """
    loader = loader_class(text)
    try:
        if not loader.check_node():
            return None
        node = loader.get_node()
        if node is None:
            return None
        check_aliasing(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
