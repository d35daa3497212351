"""What an expression does, read from its syntax tree: the object fields it reads, the requirements its comparisons
state, how deep its list macros nest, the functions it calls and its estimated cost. ``explain`` and ``lint`` use
this one analysis; nothing else re-reads CEL text.

Fields are patterns over the object: a tuple of keys and indexes where :data:`WILDCARD` stands for every element of
a list. Paths rooted at ``object`` are read directly; paths rooted at a macro variable (``c`` in
``object.spec.containers.all(c, ...)``) or at ``variables.x`` are followed to the lists they range over (through the
policy's variables, whose sources are given). Two comparison shapes state requirements:

- ``<field>[.orValue(d)] == true|false`` (or ``!=``): a boolean field that must hold a value. Inside ``filter`` and
  ``exists`` bodies the requirement is inverted (those macros usually find the violators).
- ``metadata.labels[<key>]`` / ``'<key>' in metadata.labels`` (and annotations): a key that must be present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .cost import DEFAULT_COST_MODEL, CostModel, estimate_cost
from .nodes import Binary, Call, Expr, Ident, Index, Literal, Select, Ternary, children
from .parser import parse
from .rewrite import rewrite
from .source import SyntaxProblem

Segment = str | int
Pattern = tuple[Segment, ...]

WILDCARD = "*"
#: Macros that range over their receiver with a variable bound to each element.
MACROS = frozenset({"all", "exists", "exists_one", "existsOne", "filter", "map", "sortBy", "transformList",
                    "transformMap", "transformMapEntry"})
#: Macros whose body usually finds the violators (a requirement stated inside is inverted).
INVERTING = frozenset({"exists", "exists_one", "existsOne", "filter"})
#: Member calls whose value is (an element of) their receiver.
_PASS_THROUGH = frozenset({"orValue", "value", "filter", "sortBy"})


@dataclass(frozen=True)
class Requirement:
    """A field pattern that must hold ``value`` (``present_only``: must be present)."""

    pattern: Pattern
    value: Any
    present_only: bool = False


@dataclass
class ExpressionAnalysis:
    """What an expression (with the variables it reads) does."""

    reads: list[Pattern] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    #: The deepest nesting of list macros (``all`` inside ``exists`` is 2).
    macro_depth: int = 0
    #: Qualified names of the functions called (``resource.List``, ``matches``...).
    calls: frozenset[str] = frozenset()
    #: The static cost estimate (the API server's model), or None when the expression does not parse.
    cost: int | None = None


@dataclass(frozen=True)
class _Binding:
    ranges: tuple[Pattern, ...]
    macro: str


def string_value(node: Literal) -> str | None:
    """The value of a string literal, or None for anything else. A literal holding a backslash gives None too: CEL's
    escapes are not Python's (``'\\?'``, ``'\\`'``), and no caller may guess a key from a wrong decoding."""
    if node.kind != "string" or "\\" in node.text:
        return None
    body = node.text.lstrip("rR")
    quote = body[:3] if body[:3] in ("'''", '"""') else body[:1]
    if quote not in ("'", '"', "'''", '"""') or len(body) < 2 * len(quote) or not body.endswith(quote):
        return None
    return body[len(quote):-len(quote)]


def _defaulted(node: Expr) -> Expr:
    """The field behind ``field.orValue(default)`` (the field itself otherwise)."""
    if isinstance(node, Call) and node.function == "orValue" and node.target is not None:
        return node.target
    return node


def _key(node: Expr) -> Segment | None:
    if isinstance(node, Literal):
        if node.kind == "string":
            return string_value(node)
        if node.kind == "int" and node.text.lstrip("-").isdigit():
            return int(node.text)
    return None


def _macro_variables(call: Call) -> tuple[list[str], Expr] | None:
    """The variables a macro call binds and its body, or None when ``call`` is not a macro."""
    if call.target is None or call.function not in MACROS or len(call.args) < 2:
        return None
    names = [arg.name for arg in call.args[:-1] if isinstance(arg, Ident)]
    if len(names) != len(call.args) - 1:
        return None
    return names, call.args[-1]


def _qualified(call: Call) -> str:
    if isinstance(call.target, Ident) and call.target.name in ("resource", "http", "regex", "image", "json", "yaml",
                                                                  "globalContext", "imagedata", "generator", "x509"):
        return f"{call.target.name}.{call.function}"
    return call.function


def parse_tree(source: str) -> Expr | None:
    """The expression's tree, or None when it does not parse."""
    try:
        return parse(source)
    except (SyntaxProblem, RecursionError):
        return None


def macro_depth(node: Expr) -> int:
    """The deepest nesting of list macros in a tree."""
    deepest = 0
    stack: list[tuple[Expr, int]] = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, Call) and _macro_variables(current) is not None:
            depth += 1
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in children(current))
    return deepest


class _Analyzer:
    def __init__(self, variables: Mapping[str, str]) -> None:
        self.variables = dict(variables)
        self.reads: list[Pattern] = []
        self.requirements: list[Requirement] = []
        self.calls: set[str] = set()
        self._values: dict[str, list[Pattern]] = {}
        self._visiting: set[str] = set()
        self._analyzed: set[str] = set()

    # -- what a variable, a path, an expression denote --------------------------------------------------------------
    def variable_values(self, name: str) -> list[Pattern]:
        """Patterns a variable's value comes from."""
        if name in self._values:
            return self._values[name]
        if name in self._visiting or name not in self.variables:
            return []
        self._visiting.add(name)
        tree = parse_tree(self.variables[name])
        found = self.values(tree, {}) if tree is not None else []
        self._visiting.discard(name)
        self._values[name] = found
        return found

    def paths(self, node: Expr, bindings: Mapping[str, _Binding]) -> tuple[list[Pattern], _Binding | None] | None:
        """The patterns a selection chain denotes and the macro binding at its root; None when ``node`` is no chain
        of plain keys from a known root."""
        segments: list[Segment] = []
        current = node
        while isinstance(current, Select | Index):
            if isinstance(current, Select):
                segments.append(current.field)
            else:
                key = _key(current.index)
                if key is None:
                    return None
                segments.append(key)
            current = current.operand
        if not isinstance(current, Ident):
            return None
        segments.reverse()
        if current.name == "object":
            return [tuple(segments)], None
        binding = bindings.get(current.name)
        if binding is not None:
            return [(*r, WILDCARD, *segments) for r in binding.ranges], binding
        if current.name == "variables" and segments and isinstance(segments[0], str):
            name = segments[0]
            if name in self.variables:
                self.analyze_source(self.variables[name])
            return [(*v, *segments[1:]) for v in self.variable_values(name)], None
        return None

    def values(self, node: Expr, bindings: Mapping[str, _Binding]) -> list[Pattern]:
        """Patterns the value of an expression comes from (lists a macro ranges over)."""
        chain = self.paths(node, bindings)
        if chain is not None:
            return chain[0]
        if isinstance(node, Call):
            if node.target is not None and (node.function in _PASS_THROUGH or node.function in MACROS):
                return self.values(node.target, bindings)
            return []
        if isinstance(node, Binary) and node.op == "+":
            return self.values(node.left, bindings) + self.values(node.right, bindings)
        if isinstance(node, Ternary):
            return self.values(node.then, bindings) + self.values(node.otherwise, bindings)
        return []

    # -- walking -------------------------------------------------------------------------------------------------------
    def analyze_source(self, source: str) -> None:
        if source in self._analyzed:
            return
        self._analyzed.add(source)
        tree = parse_tree(source)
        if tree is not None:
            self.visit(tree, {})

    def visit(self, node: Expr, bindings: Mapping[str, _Binding]) -> None:
        chain = self.paths(node, bindings)
        if chain is not None:
            self._read(chain[0])
            return
        if isinstance(node, Call):
            self._visit_call(node, bindings)
            return
        if isinstance(node, Binary):
            self._requirement(node, bindings)
        for child in children(node):
            self.visit(child, bindings)

    def _visit_call(self, node: Call, bindings: Mapping[str, _Binding]) -> None:
        self.calls.add(_qualified(node))
        macro = _macro_variables(node)
        if macro is None or node.target is None:
            for child in children(node):
                self.visit(child, bindings)
            return
        names, body = macro
        self.visit(node.target, bindings)
        ranges = tuple(self.values(node.target, bindings))
        inner = dict(bindings)
        if ranges:
            inner[names[-1]] = _Binding(ranges, node.function)
        self.visit(body, inner)

    def _read(self, patterns: list[Pattern]) -> None:
        self.reads.extend(patterns)
        for pattern in patterns:
            if len(pattern) >= 3 and pattern[-3] == "metadata" and pattern[-2] in ("labels", "annotations") \
                    and isinstance(pattern[-1], str) and pattern[-1] != WILDCARD:
                self.requirements.append(Requirement(pattern, None, present_only=True))

    def _requirement(self, node: Binary, bindings: Mapping[str, _Binding]) -> None:
        if node.op == "in" and isinstance(node.left, Literal):
            key = string_value(node.left)
            chain = self.paths(_defaulted(node.right), bindings)
            if key is not None and chain is not None:
                for pattern in chain[0]:
                    if len(pattern) >= 2 and pattern[-2] == "metadata" and pattern[-1] in ("labels", "annotations"):
                        self.requirements.append(Requirement((*pattern, key), None, present_only=True))
            return
        if node.op not in ("==", "!="):
            return
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if not (isinstance(other, Literal) and other.kind == "bool"):
                continue
            chain = self.paths(_defaulted(side), bindings)
            if chain is None:
                continue
            value = (other.text == "true") != (node.op == "!=")
            binding = chain[1]
            if binding is not None and binding.macro in INVERTING:
                value = not value
            self.requirements.extend(Requirement(p, value) for p in chain[0])


def _pruned(reads: list[Pattern]) -> list[Pattern]:
    """Distinct reads, leaving out those that are a prefix of a longer one."""
    unique = list(dict.fromkeys(reads))
    return [p for p in unique if not any(len(o) > len(p) and o[: len(p)] == p for o in unique)]


def analyze(
    source: str, variables: Mapping[str, str] | None = None, cost_model: CostModel = DEFAULT_COST_MODEL
) -> ExpressionAnalysis:
    """Analyze ``source`` (with the sources of the policy's ``variables``); an expression that does not parse gives
    an empty analysis with no cost."""
    tree = parse_tree(source)
    if tree is None:
        return ExpressionAnalysis()
    analyzer = _Analyzer(variables or {})
    analyzer.analyze_source(source)
    requirements = list(dict.fromkeys(analyzer.requirements))
    try:
        cost: int | None = estimate_cost(rewrite(tree), cost_model)
    except (SyntaxProblem, RecursionError):
        cost = None
    return ExpressionAnalysis(
        reads=_pruned(analyzer.reads),
        requirements=requirements,
        macro_depth=macro_depth(tree),
        calls=frozenset(analyzer.calls),
        cost=cost,
    )
