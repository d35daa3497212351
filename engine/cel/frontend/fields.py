"""Which fields of a variable a set of expressions can ever read, proven from their syntax trees.

A scan hands cel-cpp the same large object for every policy, and cel-cpp converts the whole value of a variable on
its first read. When every use of ``object`` in the expressions is a chain of selections with constant names
(``object.spec.containers``, ``object.?metadata``, ``object['kind']``, ``has(object.status)``), the fields outside
those chains can never be read, and the runtime may be handed a copy without them (see :func:`prune`): every read
gives the same value, a missing key the same error.

A use of the variable that is not such a chain (passed whole to a function or a macro, compared, indexed with a
computed key, iterated) needs the whole value; so does any expression the parser cannot read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

from .analysis import string_value
from .nodes import Expr, Ident, Index, Literal, Select, children
from .parser import parse
from .source import SyntaxProblem

#: The fields read below one level: a name maps to the fields read below it, or None when its value is read whole.
FieldTree: TypeAlias = dict[str, "FieldTree | None"]
#: Per variable, the fields of it that can be read (None: the whole value).
ReadFields: TypeAlias = dict[str, FieldTree | None]


def read_fields(sources: Iterable[str], variables: Iterable[str], depth: int = 2) -> ReadFields:
    """For each of ``variables``, the fields ``sources`` can read down to ``depth`` levels (below that level a
    field is kept whole), or None when the variable may be read whole. A variable no source names maps to ``{}``."""
    names = frozenset(variables)
    trees: ReadFields = {name: {} for name in names}
    for source in sources:
        try:
            tree = parse(source)
        except (SyntaxProblem, RecursionError):
            return dict.fromkeys(names)
        try:
            _visit(tree, names, depth, trees)
        except RecursionError:
            return dict.fromkeys(names)
    return trees


def _visit(node: Expr, names: frozenset[str], depth: int, trees: ReadFields) -> None:
    keys: list[str] = []
    base = node
    while True:
        key = _field_name(base) if isinstance(base, Select) else \
            string_value(base.index) if isinstance(base, Index) and isinstance(base.index, Literal) else None
        if key is None:  # no chain, or a key not known for certain: what is below is read whole
            break
        assert isinstance(base, Select | Index)
        keys.append(key)
        base = base.operand
    if isinstance(base, Ident) and base.name.lstrip(".") in names:
        _record(trees, base.name.lstrip("."), list(reversed(keys))[:depth])
        return
    for child in children(base):
        _visit(child, names, depth, trees)


def _field_name(node: Select) -> str | None:
    """The key a selection reads: a quoted name (``a.`b.c` ``) without its backticks; None for anything else the
    lexer may hand over as a name."""
    name = node.field
    if name.startswith("`"):
        name = name[1:-1] if len(name) >= 2 and name.endswith("`") else ""
        return name if name and "`" not in name and "\\" not in name else None
    return name


def _record(trees: ReadFields, name: str, path: list[str]) -> None:
    """Mark the field at ``path`` of variable ``name`` as read whole (an empty path: the variable itself)."""
    tree = trees[name]
    if tree is None:
        return
    if not path:
        trees[name] = None
        return
    for key in path[:-1]:
        if key not in tree:
            tree[key] = {}
        below = tree[key]
        if below is None:  # already read whole
            return
        tree = below
    tree[path[-1]] = None


def prune(value: Any, fields: FieldTree | None) -> Any:
    """``value`` without the map keys ``fields`` proves unread: shallow copies of the maps along the read paths,
    every value read whole kept as it is (the same object). Anything but a dict is returned unchanged."""
    if fields is None or not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    for key, below in fields.items():
        if key in value:
            kept[key] = prune(value[key], below)
    return kept
