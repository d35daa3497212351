"""CEL parser: tokens -> :mod:`nodes` AST (recursive descent, CEL's precedence and associativity).

Precedence, loosest first: ``?:`` (right-associative), ``||``, ``&&``, relations (``< <= >= > == != in``), ``+ -``,
``* / %``, unary ``! -``, then member access (``.f``, ``.?f``, ``.f()``, ``[i]``, ``[?i]``, ``T{...}``).

Like cel-go, chains of ``||`` / ``&&`` become balanced trees and an even run of ``!`` or ``-`` cancels out; a ``-``
directly before a numeric literal makes a negative literal.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from .lexer import Token, tokenize
from .nodes import (
    Binary,
    Call,
    Construct,
    Expr,
    FieldInit,
    Ident,
    Index,
    ListElement,
    ListExpr,
    Literal,
    MapEntry,
    MapExpr,
    Select,
    Ternary,
    Unary,
    qualified_name,
)
from .source import SyntaxProblem

#: Nesting of parenthesised / bracketed sub-expressions beyond which parsing stops (cel-cpp's limit is 32).
MAX_PARSE_NESTING = 64
#: Longest expression accepted, in code points: cel-go's default ``ExpressionSizeCodePointLimit``, which Kubernetes
#: keeps (cel-cpp has the same default).
MAX_EXPRESSION_LENGTH = 100_000

_RELATIONS = frozenset({"<", "<=", ">=", ">", "==", "!=", "in"})
_ADDITIVE = frozenset({"+", "-"})
_MULTIPLICATIVE = frozenset({"*", "/", "%"})
_LITERAL_TOKENS = {"INT": "int", "UINT": "uint", "DOUBLE": "double", "STRING": "string", "BYTES": "bytes"}
_KEYWORD_LITERALS = {"true": "bool", "false": "bool", "null": "null"}


class NestingProblem(SyntaxProblem):
    """The expression nests deeper than the parser follows."""


class SizeProblem(SyntaxProblem):
    """The expression is longer than :data:`MAX_EXPRESSION_LENGTH` code points."""


def parse(source: str) -> Expr:
    """Parse CEL ``source`` into an AST; raise :class:`SyntaxProblem` with the offending offset."""
    return _parsed(source, True)[0]


def parse_with_nesting(source: str, *, limit_length: bool = True) -> tuple[Expr, int]:
    """Parse ``source``; also return how deep sub-expressions nest (parentheses, brackets, arguments; 0 = none).

    ``limit_length=False`` parses text longer than :data:`MAX_EXPRESSION_LENGTH` (the front end's own output).
    """
    return _parsed(source, limit_length)


@lru_cache(maxsize=32)
def _parsed(source: str, limit_length: bool) -> tuple[Expr, int]:
    """One parse per text: compiling an expression reads it several times (rewrites, inlining, cost, optionals),
    and the trees are immutable, so they are shared. Only the last few texts are kept (the reads of one expression
    follow each other; keeping every policy's trees would hold megabytes for the rest of a scan). Texts that do not
    parse are not remembered."""
    parser = _Parser(source, limit_length)
    return parser.parse_all(), parser.deepest - 1


def balanced(op: str, operands: list[Expr], *, keep_offsets: bool = True) -> Expr:
    """Combine ``operands`` with the associative ``op`` into a balanced tree (order preserved).

    With ``keep_offsets`` the new nodes span their operands' source text (a parsed chain); without, they are
    synthetic (a regrouping the printer must spell out).
    """
    if len(operands) == 1:
        return operands[0]
    middle = len(operands) // 2
    left = balanced(op, operands[:middle], keep_offsets=keep_offsets)
    right = balanced(op, operands[middle:], keep_offsets=keep_offsets)
    if not keep_offsets:
        return Binary(op, left, right)
    return Binary(op, left, right, left.start, right.end)


class _Parser:
    """One parse of one source string."""

    def __init__(self, source: str, limit_length: bool = True) -> None:
        if limit_length and len(source) > MAX_EXPRESSION_LENGTH:
            raise SizeProblem(
                f"expression code point size exceeds limit: size: {len(source)}, limit {MAX_EXPRESSION_LENGTH}", 0
            )
        self.source = source
        self.tokens = tokenize(source)
        # What ``at`` compares: an operator's text, or a marker no operator text equals (a NUL and the kind).
        self.keys = [token.text if token.kind == "OP" else "\0" + token.kind for token in self.tokens]
        self.last = len(self.tokens) - 1
        self.position = 0
        self.nesting = 0
        self.deepest = 0

    # -- token helpers ---------------------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.position]

    def at(self, text: str) -> bool:
        return self.keys[self.position] == text

    def advance(self) -> Token:
        token = self.tokens[self.position]
        if self.position < self.last:
            self.position += 1
        return token

    def expect(self, text: str) -> Token:
        if not self.at(text):
            self.fail(f"expected '{text}'")
        return self.advance()

    def fail(self, message: str) -> None:
        token = self.token
        found = "<EOF>" if token.kind == "EOF" else repr(token.text)
        raise SyntaxProblem(f"Syntax error: {message}, found {found}", token.start)

    def expect_ident(self) -> Token:
        if self.token.kind != "IDENT":
            self.fail("expected an identifier")
        return self.advance()

    # -- grammar ---------------------------------------------------------------------------------------------

    def parse_all(self) -> Expr:
        expr = self.expression()
        if self.token.kind != "EOF":
            self.fail("unexpected input after the expression")
        return expr

    def expression(self) -> Expr:
        self.nesting += 1
        self.deepest = max(self.deepest, self.nesting)
        if self.nesting > MAX_PARSE_NESTING:
            raise NestingProblem(
                f"expression nesting exceeds {MAX_PARSE_NESTING} levels", self.token.start
            )
        try:
            condition = self.logical("||")
            if not self.at("?"):
                return condition
            self.advance()
            then = self.logical("||")
            self.expect(":")
            otherwise = self.expression()
            return Ternary(condition, then, otherwise, condition.start, otherwise.end)
        finally:
            self.nesting -= 1

    def logical(self, op: str) -> Expr:
        operands = [self.relation() if op == "&&" else self.logical("&&")]
        while self.at(op):
            self.advance()
            operands.append(self.relation() if op == "&&" else self.logical("&&"))
        return balanced(op, operands)

    def relation(self) -> Expr:
        left = self.additive()
        while self.keys[self.position] in _RELATIONS or (
            self.keys[self.position] == "\0IDENT" and self.tokens[self.position].text == "in"
        ):
            op = self.advance().text
            right = self.additive()
            left = Binary(op, left, right, left.start, right.end)
        return left

    def additive(self) -> Expr:
        left = self.multiplicative()
        while self.keys[self.position] in _ADDITIVE:
            op = self.advance().text
            right = self.multiplicative()
            left = Binary(op, left, right, left.start, right.end)
        return left

    def multiplicative(self) -> Expr:
        left = self.unary()
        while self.keys[self.position] in _MULTIPLICATIVE:
            op = self.advance().text
            right = self.unary()
            left = Binary(op, left, right, left.start, right.end)
        return left

    def unary(self) -> Expr:
        if not (self.at("!") or self.at("-")):
            return self.member()
        op_token = self.token
        count = 0
        while self.at(op_token.text):
            self.advance()
            count += 1
        if op_token.text == "-" and self.token.kind in ("INT", "DOUBLE"):
            minus_start = self.tokens[self.position - 1].start
            literal = self.advance()
            operand: Expr = Literal(_LITERAL_TOKENS[literal.kind], "-" + literal.text, minus_start, literal.end)
            count -= 1
            operand = self.postfix(operand)
        else:
            operand = self.unary()
        if count % 2 == 0:
            return operand
        return Unary(op_token.text, operand, op_token.start, operand.end)

    def member(self) -> Expr:
        return self.postfix(self.primary())

    def postfix(self, expr: Expr) -> Expr:
        while True:
            if self.at("."):
                self.advance()
                optional = self.at("?")
                if optional:
                    self.advance()
                name = self.expect_ident()
                if self.at("(") and not optional:
                    args, end = self.call_args()
                    expr = Call(expr, name.text, args, expr.start, end)
                else:
                    expr = Select(expr, name.text, optional, expr.start, name.end)
            elif self.at("["):
                self.advance()
                optional = self.at("?")
                if optional:
                    self.advance()
                index = self.expression()
                end = self.expect("]").end
                expr = Index(expr, index, optional, expr.start, end)
            elif self.at("{") and qualified_name(expr) is not None:
                expr = self.construct(expr)
            else:
                return expr

    def call_args(self) -> tuple[tuple[Expr, ...], int]:
        self.expect("(")
        args: list[Expr] = []
        if not self.at(")"):
            args.append(self.expression())
            while self.at(","):
                self.advance()
                args.append(self.expression())
        end = self.expect(")").end
        return tuple(args), end

    def construct(self, type_expr: Expr) -> Expr:
        type_name = qualified_name(type_expr)
        assert type_name is not None
        self.expect("{")
        fields: list[FieldInit] = []
        while not self.at("}"):
            start = self.token.start
            optional = self.at("?")
            if optional:
                self.advance()
            name = self.expect_ident()
            self.expect(":")
            value = self.expression()
            fields.append(FieldInit(name.text, value, optional, start))
            if not self.at(","):
                break
            self.advance()
        end = self.expect("}").end
        return Construct(type_name, tuple(fields), type_expr.start, end)

    def primary(self) -> Expr:
        token = self.token
        if token.kind in _LITERAL_TOKENS:
            self.advance()
            return Literal(_LITERAL_TOKENS[token.kind], token.text, token.start, token.end)
        if token.kind == "IDENT":
            if token.text in _KEYWORD_LITERALS:
                self.advance()
                return Literal(_KEYWORD_LITERALS[token.text], token.text, token.start, token.end)
            return self.identifier("", token.start)
        if self.at("."):
            self.advance()
            return self.identifier(".", token.start)
        if self.at("("):
            self.advance()
            inner = self.expression()
            end = self.expect(")").end
            return replace(inner, start=token.start, end=end)
        if self.at("["):
            return self.list_literal()
        if self.at("{"):
            return self.map_literal()
        self.fail("expected an expression")
        raise AssertionError("unreachable")

    def identifier(self, dot: str, start: int) -> Expr:
        name = self.expect_ident()
        if name.text in _KEYWORD_LITERALS or name.text == "in":
            raise SyntaxProblem(f"Syntax error: reserved identifier: {name.text}", name.start)
        if self.at("("):
            args, end = self.call_args()
            return Call(None, dot + name.text, args, start, end)
        return Ident(dot + name.text, start, name.end)

    def list_literal(self) -> Expr:
        start = self.expect("[").start
        elements: list[ListElement] = []
        while not self.at("]"):
            optional = self.at("?")
            if optional:
                self.advance()
            elements.append(ListElement(self.expression(), optional))
            if not self.at(","):
                break
            self.advance()
        end = self.expect("]").end
        return ListExpr(tuple(elements), start, end)

    def map_literal(self) -> Expr:
        start = self.expect("{").start
        entries: list[MapEntry] = []
        while not self.at("}"):
            optional = self.at("?")
            if optional:
                self.advance()
            key = self.expression()
            self.expect(":")
            value = self.expression()
            entries.append(MapEntry(key, value, optional))
            if not self.at(","):
                break
            self.advance()
        end = self.expect("}").end
        return MapExpr(tuple(entries), start, end)
