"""The CEL abstract syntax tree: small frozen dataclasses with [start, end) source offsets.

Nodes made by a rewrite (not read from the source) carry ``start == end == -1``; the printer re-emits a parsed node
whose subtree is unchanged straight from the source text, and prints synthetic ones structurally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

#: Literal kinds, as :attr:`Literal.kind` holds them.
LITERAL_KINDS = frozenset({"int", "uint", "double", "string", "bytes", "bool", "null"})
NUMERIC_KINDS = frozenset({"int", "uint", "double"})


@dataclass(frozen=True)
class Literal:
    """A constant; ``text`` is the exact source text (``-1``, ``0x1Fu``, ``r'a\\b'``, ``true``)."""

    kind: str
    text: str
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Ident:
    """A (possibly leading-dot) identifier: ``object``, ``.object``."""

    name: str
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Select:
    """Field selection ``operand.field`` or, when ``optional``, ``operand.?field``."""

    operand: Expr
    field: str
    optional: bool = False
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Index:
    """Indexing ``operand[index]`` or, when ``optional``, ``operand[?index]``."""

    operand: Expr
    index: Expr
    optional: bool = False
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Call:
    """A global call ``f(args)`` (``target`` is None) or a member call ``target.f(args)``; macros included."""

    target: Expr | None
    function: str
    args: tuple[Expr, ...]
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class ListElement:
    """An element of a list literal; ``optional`` for ``[?x]``."""

    value: Expr
    optional: bool = False


@dataclass(frozen=True)
class ListExpr:
    """A list literal ``[a, ?b]``."""

    elements: tuple[ListElement, ...]
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class MapEntry:
    """An entry of a map literal; ``optional`` for ``{?k: v}``."""

    key: Expr
    value: Expr
    optional: bool = False


@dataclass(frozen=True)
class MapExpr:
    """A map literal ``{k: v, ?k2: v2}``."""

    entries: tuple[MapEntry, ...]
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class FieldInit:
    """A field initializer in message construction; ``optional`` for ``?field: value``."""

    name: str
    value: Expr
    optional: bool = False
    start: int = -1


@dataclass(frozen=True)
class Construct:
    """Message construction ``Type.name{field: value}``."""

    type_name: str
    fields: tuple[FieldInit, ...]
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Unary:
    """``!operand`` or ``-operand``."""

    op: str
    operand: Expr
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Binary:
    """An infix operator: ``||``, ``&&``, relations (``==``, ``<``, ``in`` ...), ``+ - * / %``."""

    op: str
    left: Expr
    right: Expr
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class Ternary:
    """``condition ? then : otherwise``."""

    condition: Expr
    then: Expr
    otherwise: Expr
    start: int = -1
    end: int = -1


Expr: TypeAlias = Literal | Ident | Select | Index | Call | ListExpr | MapExpr | Construct | Unary | Binary | Ternary


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``node``, in source order."""
    if isinstance(node, Select):
        return (node.operand,)
    if isinstance(node, Index):
        return (node.operand, node.index)
    if isinstance(node, Call):
        return node.args if node.target is None else (node.target, *node.args)
    if isinstance(node, ListExpr):
        return tuple(element.value for element in node.elements)
    if isinstance(node, MapExpr):
        return tuple(part for entry in node.entries for part in (entry.key, entry.value))
    if isinstance(node, Construct):
        return tuple(init.value for init in node.fields)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Ternary):
        return (node.condition, node.then, node.otherwise)
    return ()


def qualified_name(node: Expr) -> str | None:
    """``a.b.c`` for an identifier or a chain of plain selections on one, else None."""
    parts: list[str] = []
    current: Expr = node
    while isinstance(current, Select) and not current.optional:
        parts.append(current.field)
        current = current.operand
    if not isinstance(current, Ident):
        return None
    parts.append(current.name)
    return ".".join(reversed(parts))


def map_children(node: Expr, transform: Callable[[Expr], Expr]) -> Expr:
    """``node`` with ``transform`` applied to each direct sub-expression.

    Returns ``node`` itself when every child comes back unchanged (identity); otherwise a copy without source
    offsets, which the printer prints structurally.
    """
    if isinstance(node, Select):
        operand = transform(node.operand)
        return node if operand is node.operand else Select(operand, node.field, node.optional)
    if isinstance(node, Index):
        operand, index = transform(node.operand), transform(node.index)
        return node if operand is node.operand and index is node.index else Index(operand, index, node.optional)
    if isinstance(node, Call):
        target = None if node.target is None else transform(node.target)
        args = tuple(transform(arg) for arg in node.args)
        if target is node.target and _same(args, node.args):
            return node
        return Call(target, node.function, args)
    if isinstance(node, ListExpr):
        values = tuple(transform(e.value) for e in node.elements)
        if _same(values, tuple(e.value for e in node.elements)):
            return node
        return ListExpr(tuple(ListElement(v, e.optional) for v, e in zip(values, node.elements, strict=True)))
    if isinstance(node, MapExpr):
        keys = tuple(transform(e.key) for e in node.entries)
        values = tuple(transform(e.value) for e in node.entries)
        if _same(keys, tuple(e.key for e in node.entries)) and _same(values, tuple(e.value for e in node.entries)):
            return node
        return MapExpr(tuple(
            MapEntry(k, v, e.optional) for k, v, e in zip(keys, values, node.entries, strict=True)
        ))
    if isinstance(node, Construct):
        values = tuple(transform(f.value) for f in node.fields)
        if _same(values, tuple(f.value for f in node.fields)):
            return node
        return Construct(node.type_name, tuple(
            FieldInit(f.name, v, f.optional) for v, f in zip(values, node.fields, strict=True)
        ))
    if isinstance(node, Unary):
        operand = transform(node.operand)
        return node if operand is node.operand else Unary(node.op, operand)
    if isinstance(node, Binary):
        left, right = transform(node.left), transform(node.right)
        return node if left is node.left and right is node.right else Binary(node.op, left, right)
    if isinstance(node, Ternary):
        parts = (transform(node.condition), transform(node.then), transform(node.otherwise))
        if _same(parts, (node.condition, node.then, node.otherwise)):
            return node
        return Ternary(*parts)
    return node


def _same(new: tuple[Expr, ...], old: tuple[Expr, ...]) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))
