"""Functions the CEL front end's rewrites call (``engine/cel/frontend/rewrite.py``); not meant for policy authors.

``m.transformMap(k, v, e)`` is rewritten to ``pykyverno.pairsToMap(m.transformList(k, v, [k, e]))`` and
``m.transformMapEntry(k, v, e)`` to ``pykyverno.mergeEntries(m.transformList(k, v, e))``, because cel-cpp compiles
those macros but has no runtime ``cel.@mapInsert``. ``lists.range(n)`` becomes ``lists.range(pykyverno.rangeLength(n))``
for a computed ``n``, which refuses lengths over the limit. The ``pykyverno.`` prefix keeps the names clear of user
code.
"""

from __future__ import annotations

from typing import Any

from ..decl import CelFunctionError, Library, function, overload
from ._limits import MAX_LIST_LENGTH, too_large

KINDS = ("*",)


def pairs_to_map(pairs: list[Any]) -> dict[Any, Any]:
    """Build a map from ``[[key, value], ...]`` (later keys cannot repeat: they come from a map or list index)."""
    result: dict[Any, Any] = {}
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            raise CelFunctionError(f"transformMap: expected a [key, value] pair, got {pair!r}")
        key, value = pair
        result[key] = value
    return result


def merge_entries(entries: list[Any]) -> dict[Any, Any]:
    """Merge the maps ``transformMapEntry`` produced per element; a key produced twice is an error, as in cel-go."""
    result: dict[Any, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise CelFunctionError(f"transformMapEntry: the expression must produce a map, got {entry!r}")
        for key, value in entry.items():
            if key in result:
                raise CelFunctionError(f"insert failed: key {key} already exists")
            result[key] = value
    return result


def range_length(length: int) -> int:
    """``length`` if ``lists.range`` may build a list that long; a CEL error naming the limit otherwise."""
    if length > MAX_LIST_LENGTH:
        raise too_large("lists.range", "length", length, MAX_LIST_LENGTH, "elements")
    return length


LIBRARY = Library(
    name="frontend_helpers",
    functions=(
        function("pykyverno.pairsToMap", overload("pykyverno_pairs_to_map_list", ("list",), "map", pairs_to_map)),
        function("pykyverno.mergeEntries", overload("pykyverno_merge_entries_list", ("list",), "map", merge_entries)),
        function("pykyverno.rangeLength", overload("pykyverno_range_length_int", ("int",), "int", range_length)),
    ),
)
