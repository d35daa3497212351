"""The functions an expression calls, read from its syntax tree (comments, spacing and line breaks play no part)."""

from __future__ import annotations

from .nodes import Call, Expr, Ident, Select, children
from .parser import parse
from .source import SyntaxProblem


def called_functions(source: str) -> frozenset[str] | None:
    """The names under which ``source`` calls functions, or None when it does not parse.

    A call gives its function's name (``f(x)``: ``f``; ``x.f()``: ``f``), and when its receiver is a qualified name,
    also that name joined to it (``resource.Get(...)``: ``Get`` and ``resource.Get``; ``a.b.f()``: ``f`` and
    ``a.b.f``), since CEL resolves such a call either as a namespaced function or as a member call. Leading dots
    (``.f()``, ``.resource.Get()``) are dropped.
    """
    try:
        tree = parse(source)
    except (SyntaxProblem, RecursionError):
        return None
    names: set[str] = set()
    stack: list[Expr] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Call):
            function = node.function.lstrip(".")
            names.add(function)
            qualifier = _qualified_name(node.target) if node.target is not None else None
            if qualifier:
                names.add(f"{qualifier}.{function}")
        stack.extend(children(node))
    return frozenset(names)


def _qualified_name(node: Expr) -> str | None:
    """``a.b.c`` for a chain of plain selections on an identifier, None for anything else."""
    parts: list[str] = []
    while isinstance(node, Select) and not node.optional:
        parts.append(node.field)
        node = node.operand
    if not isinstance(node, Ident):
        return None
    parts.append(node.name.lstrip("."))
    return ".".join(reversed(parts))
