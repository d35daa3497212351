"""Inlining a policy's ``variables`` into an expression with ``cel.bind``.

cel-cpp converts an activation's Python data lazily, on first access, once per activation: a Pod costs about 30 µs,
more than most evaluations. A policy whose expressions read ``variables`` would need an activation of its own (its
variables differ from every other policy's), paying that conversion again, and once more for the variable values.
Binding the variables an expression reads inside the expression lets every policy share one activation per object::

    variables.containers.all(c, c.name != '')
    ->  cel.bind(pkv_var_containers, object.spec.containers, pkv_var_containers.all(c, c.name != ''))

Only the variables the expression reads (and the ones those read) are bound, in declaration order, so a variable that
fails still fails only the expressions that use it, as Kyverno's lazy variables do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .nodes import Call, Expr, Ident, Index, Literal, Select, children, map_children
from .parser import MAX_EXPRESSION_LENGTH, parse
from .printer import to_source
from .source import SyntaxProblem

ALIAS_PREFIX = "pkv_var_"


def alias(name: str) -> str:
    """The identifier a variable is bound to."""
    return f"{ALIAS_PREFIX}{name}"


def _string_value(node: Literal) -> str | None:
    text = node.text
    if node.kind != "string" or len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0] or "\\" in text:
        return None
    return text[1:-1]


def _replace(node: Expr, names: Mapping[str, str]) -> Expr:
    """``node`` with each ``variables.x`` / ``variables['x']`` whose ``x`` is a key of ``names`` replaced by the
    identifier ``names[x]``."""
    rebuilt = map_children(node, lambda child: _replace(child, names))
    if not isinstance(rebuilt, Select | Index) or rebuilt.optional or not _is_variables(rebuilt.operand):
        return rebuilt
    if isinstance(rebuilt, Select):
        key: str | None = rebuilt.field
    else:
        key = _string_value(rebuilt.index) if isinstance(rebuilt.index, Literal) else None
    return Ident(names[key]) if key is not None and key in names else rebuilt


def _is_variables(node: Expr) -> bool:
    return isinstance(node, Ident) and node.name == "variables"


def _mentions_variables(node: Expr) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Ident) and current.name == "variables":
            return True
        stack.extend(children(current))
    return False


def inline_variables(source: str, needed: Sequence[str], definitions: Mapping[str, str]) -> str | None:
    """``source`` with the ``needed`` variables (in declaration order) bound inline, or None when it cannot be done
    (a variable is read dynamically, e.g. ``variables[x]``, or an expression does not parse)."""
    names = {name: alias(name) for name in needed}
    if len(source) + sum(len(definitions.get(name, "")) for name in needed) > MAX_EXPRESSION_LENGTH:
        return None  # the runtime would refuse the bound form: do not spend time building it
    try:
        body = _replace(parse(source), names)
        if _mentions_variables(body):
            return None
        bound: list[tuple[str, Expr]] = []
        for name in needed:
            value = _replace(parse(definitions[name]), names)
            if _mentions_variables(value):
                return None
            bound.append((name, value))
    except (SyntaxProblem, KeyError, RecursionError):
        return None
    tree = body
    for name, value in reversed(bound):
        tree = Call(Ident("cel"), "bind", (Ident(alias(name)), value, tree))
    return to_source(tree)


def rename_variables(source: str, names: Mapping[str, str]) -> str | None:
    """``source`` with every ``variables.x`` / ``variables['x']`` replaced by the identifier ``names[x]``, printed
    from its syntax tree; None when it does not parse or reads a variable ``names`` lacks (or reads dynamically)."""
    try:
        tree = _replace(parse(source), names)
    except (SyntaxProblem, RecursionError):
        return None
    if _mentions_variables(tree):
        return None
    return to_source(tree)
