"""AST -> CEL source.

With the original ``source`` given, a parsed node (``start >= 0``) is re-emitted verbatim from the source text, so an
unchanged sub-expression keeps its exact spelling; nodes built by a rewrite (``start == -1``) are printed
structurally, with parentheses only where precedence needs them. Literals always keep their source text.
"""

from __future__ import annotations

from .nodes import (
    Binary,
    Call,
    Construct,
    Expr,
    Ident,
    Index,
    ListExpr,
    Literal,
    MapExpr,
    Select,
    Ternary,
    Unary,
)

_TERNARY, _OR, _AND, _RELATION, _ADDITIVE, _MULTIPLICATIVE, _UNARY, _MEMBER = range(1, 9)

_BINARY_PRECEDENCE = {
    "||": _OR,
    "&&": _AND,
    "<": _RELATION, "<=": _RELATION, ">": _RELATION, ">=": _RELATION, "==": _RELATION, "!=": _RELATION,
    "in": _RELATION,
    "+": _ADDITIVE, "-": _ADDITIVE,
    "*": _MULTIPLICATIVE, "/": _MULTIPLICATIVE, "%": _MULTIPLICATIVE,
}
_ASSOCIATIVE = frozenset({"||", "&&"})
_NUMBER_STARTS = frozenset("0123456789.")


def to_source(node: Expr, source: str | None = None) -> str:
    """CEL text for ``node``; parsed nodes come verbatim from ``source`` when it is given."""
    return _Printer(source).text(node)


def _precedence(node: Expr) -> int:
    if isinstance(node, Ternary):
        return _TERNARY
    if isinstance(node, Binary):
        return _BINARY_PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return _UNARY
    if isinstance(node, Literal) and node.text.startswith("-"):
        return _UNARY
    return _MEMBER


class _Printer:
    def __init__(self, source: str | None) -> None:
        self.source = source

    def verbatim(self, node: Expr) -> str | None:
        if self.source is None or node.start < 0:
            return None
        return self.source[node.start: node.end]

    def parenthesised(self, node: Expr) -> bool:
        """True when a parsed node's text is one parenthesised group: the parser widened its span to the
        parentheses, so it starts before its first operand (decided from offsets, without re-reading the text)."""
        if self.source is None or node.start < 0 or self.source[node.start] != "(":
            return False
        if isinstance(node, Binary):
            return node.start < node.left.start
        if isinstance(node, Ternary):
            return node.start < node.condition.start
        return True  # a unary operator or a negative literal starts with its own sign otherwise

    def operand(self, node: Expr, minimum: int) -> str:
        """Text of ``node`` used where precedence ``minimum`` is required (parenthesised if looser)."""
        original = self.verbatim(node)
        if original is not None:
            if _precedence(node) >= minimum or self.parenthesised(node):
                return original
            return f"({original})"
        text = self.structural(node)
        return text if _precedence(node) >= minimum else f"({text})"

    def text(self, node: Expr) -> str:
        original = self.verbatim(node)
        return original if original is not None else self.structural(node)

    def structural(self, node: Expr) -> str:
        if isinstance(node, Literal):
            return node.text
        if isinstance(node, Ident):
            return node.name
        if isinstance(node, Select):
            return f"{self.operand(node.operand, _MEMBER)}.{'?' if node.optional else ''}{node.field}"
        if isinstance(node, Index):
            index = self.text(node.index)
            return f"{self.operand(node.operand, _MEMBER)}[{'?' if node.optional else ''}{index}]"
        if isinstance(node, Call):
            args = ", ".join(self.text(arg) for arg in node.args)
            if node.target is None:
                return f"{node.function}({args})"
            return f"{self.operand(node.target, _MEMBER)}.{node.function}({args})"
        if isinstance(node, ListExpr):
            items = ", ".join(f"{'?' if e.optional else ''}{self.text(e.value)}" for e in node.elements)
            return f"[{items}]"
        if isinstance(node, MapExpr):
            entries = ", ".join(
                f"{'?' if e.optional else ''}{self.text(e.key)}: {self.text(e.value)}" for e in node.entries
            )
            return "{" + entries + "}"
        if isinstance(node, Construct):
            fields = ", ".join(f"{'?' if f.optional else ''}{f.name}: {self.text(f.value)}" for f in node.fields)
            return f"{node.type_name}{{{fields}}}"
        if isinstance(node, Unary):
            operand = self.operand(node.operand, _MEMBER)
            if node.op == "-" and operand[:1] in _NUMBER_STARTS:
                operand = f"({operand})"  # "-1" or "-1.a" would read as a negative literal
            return f"{node.op}{operand}"
        if isinstance(node, Binary):
            precedence = _BINARY_PRECEDENCE[node.op]
            right_minimum = precedence if node.op in _ASSOCIATIVE else precedence + 1
            left = self.operand(node.left, precedence)
            right = self.operand(node.right, right_minimum)
            return f"{left} {node.op} {right}"
        if isinstance(node, Ternary):
            condition = self.operand(node.condition, _OR)
            then = self.operand(node.then, _OR)
            otherwise = self.operand(node.otherwise, _TERNARY)
            return f"{condition} ? {then} : {otherwise}"
        raise TypeError(f"not a CEL node: {node!r}")
