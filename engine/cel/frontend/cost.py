"""Static cost estimate of a CEL expression, in the spirit of the Kubernetes (cel-go) cost model.

The API server refuses a policy whose expressions' *estimated* cost exceeds a budget before any object is seen; this
module does the same over our AST. The unit follows cel-go: reading a variable or a field costs 1, building a list
10, a map 30, a message 40, most calls 1, string work ``0.1`` per character (``StringTraversalCostFactor``),
regular expressions additionally ``0.25`` per pattern character, and a comprehension costs its range plus, per
element, its body. Kubernetes takes list and string sizes from the OpenAPI schema (``maxItems`` / ``maxLength``);
our variables are untyped, so a :class:`CostModel` supplies the assumed size of a list, map or string whose size is
not visible in the expression (``object.spec.containers``).

With the defaults, an expression nesting comprehensions over object lists three levels deep is refused while
everything in the Kyverno policy corpus stays well under the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def _is_null_guard(node: Ternary) -> bool:
    condition, then = node.condition, node.then
    return (
        isinstance(condition, Binary)
        and condition.op == "=="
        and isinstance(condition.right, Literal)
        and condition.right.kind == "null"
        and isinstance(then, Call)
        and then.function == "none"
        and isinstance(then.target, Ident)
        and then.target.name == "optional"
    )


#: Kubernetes' per-expression cost limit (``PerCallLimit`` in k8s.io/apiserver/pkg/apis/cel/config.go).
DEFAULT_COST_LIMIT = 1_000_000
#: Kubernetes' cost budget for all expressions of one policy evaluation (``RuntimeCELCostBudget``).
DEFAULT_POLICY_COST_LIMIT = 10_000_000

STRING_TRAVERSAL_FACTOR = 0.1
REGEX_LENGTH_FACTOR = 0.25
LIST_CREATE_COST = 10
MAP_CREATE_COST = 30
MESSAGE_CREATE_COST = 40
#: Per element of a comprehension: the loop condition, the accumulator update and reading the variable.
_ITERATION_COST = 3

#: Macros that iterate over their receiver: name -> whether the result is a list built per element.
_COMPREHENSIONS = {
    "all": False,
    "exists": False,
    "exists_one": False,
    "existsOne": False,
    "map": True,
    "filter": True,
    "transformList": True,
    "transformMap": True,
    "transformMapEntry": True,
    "sortBy": True,
}
#: Functions whose work is linear in the size of their receiver (or first argument) string.
_STRING_TRAVERSALS = frozenset(
    {
        "contains",
        "startsWith",
        "endsWith",
        "lowerAscii",
        "upperAscii",
        "trim",
        "replace",
        "split",
        "indexOf",
        "lastIndexOf",
        "substring",
        "charAt",
        "join",
        "format",
        "quote",
        "reverse",
        "find",
        "findAll",
        "base64.encode",
        "base64.decode",
        "extract",
        "extractAll",
        "isURL",
        "url",
        "isIP",
        "ip",
        "isCIDR",
        "cidr",
        "quantity",
        "isQuantity",
        "semver",
        "isSemver",
        "json.unmarshal",
        "yaml.parse",
        "sha256",
        "sha1",
        "md5",
    }
)
_REGEX_FUNCTIONS = frozenset({"matches", "find", "findAll", "regex.replace", "regex.extract", "regex.extractAll"})
#: Functions whose work is linear in the size of their receiver (or first argument) list.
_LIST_TRAVERSALS = frozenset(
    {
        "sort",
        "distinct",
        "flatten",
        "reverse",
        "sum",
        "min",
        "max",
        "isSorted",
        "indexOf",
        "lastIndexOf",
        "slice",
        "sets.contains",
        "sets.equivalent",
        "sets.intersects",
        "join",
        "listObjToMap",
        "transform.listObjToMap",
    }
)


@dataclass(frozen=True)
class CostModel:
    """Sizes assumed where the expression does not show them, and the limit an expression must stay under."""

    unknown_list_size: int = 25
    unknown_string_size: int = 64
    limit: int = DEFAULT_COST_LIMIT


DEFAULT_COST_MODEL = CostModel()


@dataclass(frozen=True)
class _Estimate:
    cost: int
    size: int | None = None  # elements of a list/map or characters of a string, when statically visible


def estimate_cost(node: Expr, model: CostModel = DEFAULT_COST_MODEL) -> int:
    """Estimated worst-case cost of evaluating ``node`` under ``model``."""
    return _Estimator(model).estimate(node, {}).cost


class _Estimator:
    def __init__(self, model: CostModel) -> None:
        self.model = model

    def list_size(self, estimate: _Estimate) -> int:
        return self.model.unknown_list_size if estimate.size is None else estimate.size

    def string_size(self, estimate: _Estimate) -> int:
        return self.model.unknown_string_size if estimate.size is None else estimate.size

    def traversal(self, estimate: _Estimate) -> int:
        return math.ceil(self.string_size(estimate) * STRING_TRAVERSAL_FACTOR)

    def estimate(self, node: Expr, scope: dict[str, _Estimate]) -> _Estimate:
        if isinstance(node, Literal):
            size = _literal_size(node)
            return _Estimate(0, size)
        if isinstance(node, Ident):
            bound = scope.get(node.name)
            return _Estimate(1, bound.size if bound else None)
        if isinstance(node, Select):
            return _Estimate(1 + self.estimate(node.operand, scope).cost)
        if isinstance(node, Index):
            operand, index = self.estimate(node.operand, scope), self.estimate(node.index, scope)
            return _Estimate(1 + operand.cost + index.cost)
        if isinstance(node, ListExpr):
            parts = [self.estimate(e.value, scope) for e in node.elements]
            return _Estimate(LIST_CREATE_COST + sum(p.cost for p in parts), len(parts))
        if isinstance(node, MapExpr):
            cost = sum(self.estimate(e.key, scope).cost + self.estimate(e.value, scope).cost for e in node.entries)
            return _Estimate(MAP_CREATE_COST + cost, len(node.entries))
        if isinstance(node, Construct):
            cost = sum(self.estimate(f.value, scope).cost for f in node.fields)
            return _Estimate(MESSAGE_CREATE_COST + cost, len(node.fields))
        if isinstance(node, Unary):
            return _Estimate(1 + self.estimate(node.operand, scope).cost)
        if isinstance(node, Binary):
            return self.binary(node, scope)
        if isinstance(node, Ternary) and _is_null_guard(node):
            # ``(x == null ? optional.none() : x.?f)`` is the front end's compat guard: cost it as ``x.?f``.
            guarded = self.estimate(node.otherwise, scope)
            return _Estimate(guarded.cost + 1, guarded.size)
        if isinstance(node, Ternary):
            condition = self.estimate(node.condition, scope)
            then, otherwise = self.estimate(node.then, scope), self.estimate(node.otherwise, scope)
            worst = then if then.cost >= otherwise.cost else otherwise
            return _Estimate(condition.cost + worst.cost, _max_size(then, otherwise))
        return self.call(node, scope)

    def binary(self, node: Binary, scope: dict[str, _Estimate]) -> _Estimate:
        left, right = self.estimate(node.left, scope), self.estimate(node.right, scope)
        base = left.cost + right.cost
        if node.op in ("&&", "||"):
            return _Estimate(base)
        if node.op == "in":
            return _Estimate(base + self.list_size(right))
        if node.op in ("==", "!="):
            smaller = min(self.string_size(left), self.string_size(right))
            return _Estimate(base + 1 + math.ceil(smaller * STRING_TRAVERSAL_FACTOR))
        if node.op == "+":
            size = None if left.size is None or right.size is None else left.size + right.size
            work = math.ceil((self.string_size(left) + self.string_size(right)) * STRING_TRAVERSAL_FACTOR)
            return _Estimate(base + max(1, work), size)
        return _Estimate(base + 1)

    def call(self, node: Call, scope: dict[str, _Estimate]) -> _Estimate:
        name = node.function
        if node.target is not None and name in _COMPREHENSIONS and self.is_macro_call(node):
            return self.comprehension(node, scope)
        qualified = _qualified_call_name(node)
        if qualified == "cel.bind" and len(node.args) == 3 and isinstance(node.args[0], Ident):
            bound = self.estimate(node.args[1], scope)
            inner = {**scope, node.args[0].name: bound}
            body = self.estimate(node.args[2], inner)
            return _Estimate(bound.cost + body.cost, body.size)
        if name == "has" and node.target is None:
            return _Estimate(1 + sum(self.estimate(arg, scope).cost for arg in node.args))
        receiver = None if node.target is None else self.estimate(node.target, scope)
        args = [self.estimate(arg, scope) for arg in node.args]
        cost = 1 + sum(a.cost for a in args) + (receiver.cost if receiver else 0)
        subject = receiver if receiver is not None else (args[0] if args else None)
        size: int | None = None
        if subject is not None:
            if name in _REGEX_FUNCTIONS or qualified in _REGEX_FUNCTIONS:
                pattern = args[0] if receiver is not None and args else (args[1] if len(args) > 1 else None)
                pattern_cost = math.ceil(self.string_size(pattern) * REGEX_LENGTH_FACTOR) if pattern else 1
                cost += self.traversal(subject) * max(1, pattern_cost)
            elif name in _STRING_TRAVERSALS or qualified in _STRING_TRAVERSALS:
                cost += self.traversal(subject)
            if name in _LIST_TRAVERSALS or qualified in _LIST_TRAVERSALS:
                cost += self.list_size(subject)
            if name in ("lowerAscii", "upperAscii", "trim", "reverse", "sort", "distinct", "slice"):
                size = subject.size
        if qualified == "lists.range" and args and isinstance(node.args[0], Literal) and node.args[0].kind == "int":
            size = _int_literal(node.args[0].text)
            cost += size
        return _Estimate(cost, size)

    @staticmethod
    def is_macro_call(node: Call) -> bool:
        if len(node.args) < 2:
            return False
        variables = node.args[:2] if _two_variable(node) else node.args[:1]
        return all(isinstance(v, Ident) for v in variables)

    def comprehension(self, node: Call, scope: dict[str, _Estimate]) -> _Estimate:
        assert node.target is not None
        iterated = self.estimate(node.target, scope)
        count = self.list_size(iterated)
        variable_count = 2 if _two_variable(node) else 1
        inner = dict(scope)
        for variable in node.args[:variable_count]:
            assert isinstance(variable, Ident)
            inner[variable.name] = _Estimate(1)
        body = sum(self.estimate(arg, inner).cost for arg in node.args[variable_count:])
        builds_list = _COMPREHENSIONS[node.function]
        per_element = body + _ITERATION_COST + (1 if builds_list else 0)
        if node.function == "sortBy":
            per_element *= max(1, math.ceil(math.log2(max(count, 2))))
        result_size = count if builds_list else None
        return _Estimate(iterated.cost + count * per_element, result_size)


def _two_variable(node: Call) -> bool:
    """Two iteration variables: ``all/exists/existsOne(k, v, p)``, ``transformList/Map*(k, v, [f,] e)``."""
    if node.function in ("transformList", "transformMap", "transformMapEntry"):
        return len(node.args) >= 3
    if node.function in ("all", "exists", "exists_one", "existsOne"):
        return len(node.args) == 3
    return False


def _qualified_call_name(node: Call) -> str:
    """``cel.bind`` for ``cel.bind(...)`` (a namespaced function), else the plain function name."""
    if isinstance(node.target, Ident):
        return f"{node.target.name}.{node.function}"
    return node.function


def _literal_size(node: Literal) -> int | None:
    if node.kind not in ("string", "bytes"):
        return None
    text = node.text.lstrip("rRbB")
    quote = 3 if text[:3] in ("'''", '"""') else 1
    return max(0, len(text) - 2 * quote)


def _max_size(first: _Estimate, second: _Estimate) -> int | None:
    if first.size is None or second.size is None:
        return None
    return max(first.size, second.size)


#: Larger than any int64: what an integer literal too long to be one counts as.
_HUGE = 2**64


def _int_literal(text: str) -> int:
    """The value of an int literal's text, at most :data:`_HUGE` (longer ones do not compile anyway)."""
    digits = text.lstrip("-")
    if len(digits) > 20:
        return _HUGE
    return min(int(text, 0), _HUGE)
