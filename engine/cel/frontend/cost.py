"""Static cost estimate of a CEL expression, in the spirit of the Kubernetes (cel-go) cost model.

The unit follows cel-go: reading a variable or a field costs 1, building a list 10, a map 30, a message 40, most
calls 1, string work ``0.1`` per character (``StringTraversalCostFactor``), regular expressions additionally ``0.25``
per pattern character, and a comprehension costs its range plus, per element, its body. A :class:`CostModel`
supplies the size of a list, map or string whose size the expression does not show (``object.spec.containers``).

Where the limits apply (and where they do not):

* Kubernetes refuses an expression for its *estimated* cost only in CRD validation rules, whose sizes come from the
  schema (``maxItems`` / ``maxLength``). Admission policies (ValidatingAdmissionPolicy, MutatingAdmissionPolicy) are
  never refused for it: ``object`` is ``dyn`` there, so nothing bounds an estimate. Kyverno's CEL policy compilers
  (and its ``validate.cel`` rules) do not estimate costs either.
* Both enforce a *runtime* limit: every evaluation of one expression may cost at most ``PerCallLimit`` (1,000,000,
  k8s.io/apiserver/pkg/apis/cel/config.go; Kyverno's environments inherit it from the Kubernetes base environment).

So by default an expression is refused only when its cost on *every* input, lists and strings of unknown size counted
as empty (:meth:`CostModel.minimal`), exceeds the runtime limit: work on literals, ranges and values the expression
builds itself, which Kubernetes and Kyverno would stop on every evaluation. ``CostModel.limit`` adds the
stricter check on the estimate with assumed sizes (25 elements, 64 characters), for those who want it; the
estimate is also what ``lint`` reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from . import growth
from .growth import EMPTY, Content
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


#: Kubernetes' per-expression runtime cost limit (``PerCallLimit`` in k8s.io/apiserver/pkg/apis/cel/config.go).
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


#: Functions whose result holds no input data worth counting (numbers, booleans, sizes).
_SCALAR_RESULTS = frozenset(
    {
        "size", "has", "int", "uint", "double", "bool", "matches", "contains", "startsWith", "endsWith",
        "indexOf", "lastIndexOf", "isSorted", "sum", "min", "max", "all", "exists", "exists_one", "existsOne",
        "isQuantity", "isURL", "isIP", "isCIDR", "isSemver", "type", "duration", "timestamp",
        "sha256", "sha1", "md5", "compareTo", "isGreaterThan", "isLessThan",
    }
)
#: Functions whose result concatenates their arguments (and receiver).
_COPYING_RESULTS = frozenset({"join", "format", "flatten", "base64.encode", "encode", "quote", "strings.quote"})
#: The identifier policies read their variables through.
VARIABLES_NAME = "variables"


@dataclass(frozen=True)
class CostModel:
    """Sizes assumed where the expression does not show them, and the limit an expression must stay under."""

    unknown_list_size: int = 25
    unknown_string_size: int = 64
    #: Opt-in: refuse an expression whose estimate with the sizes above exceeds this (``None``: no such limit, as in
    #: Kyverno and for Kubernetes admission policies).
    limit: int | None = None
    #: Refuse an expression whose cost on every input (:meth:`minimal`) exceeds this: it would always fail.
    runtime_limit: int = DEFAULT_COST_LIMIT
    #: The most input data a value built by an expression may hold, in copies of an input value of unknown size
    #: (:func:`.growth.copies`), e.g. by doubling a string ten times with ``cel.bind`` or variables (1,024 copies of
    #: a 1 MiB annotation would be 1 GiB).
    growth_limit: int = 64

    def minimal(self) -> CostModel:
        """The model of the cheapest input: lists, maps and strings of unknown size are empty."""
        return replace(self, unknown_list_size=0, unknown_string_size=0)


DEFAULT_COST_MODEL = CostModel()


@dataclass(frozen=True)
class Estimate:
    """What the estimator knows of a (sub-)expression."""

    #: Estimated worst-case cost of evaluating it.
    cost: int
    #: Elements of a list/map or characters of a string, when statically visible.
    size: int | None = None
    #: How many references to input values (of unknown size) the value may hold: ``object.s`` is 1, ``s + s`` 2,
    #: ``cel.bind`` / variable doubling 2, 4, 8 ... (the size of strings built from the input, for the cost).
    scale: int = 0
    #: The largest :func:`.growth.copies` of any value built while evaluating (set on the estimate of a whole
    #: expression): the growth limit's measure.
    peak: int = 0
    #: The input locations the value may hold, and how often (see :mod:`.growth`).
    content: Content = field(default_factory=lambda: EMPTY, compare=False)


def estimate_cost(node: Expr, model: CostModel = DEFAULT_COST_MODEL) -> int:
    """Estimated worst-case cost of evaluating ``node`` under ``model``."""
    return _Estimator(model).estimate(node, {}).cost


def estimate(
    node: Expr,
    model: CostModel = DEFAULT_COST_MODEL,
    variables: Mapping[str, Estimate] | None = None,
    *,
    peak: bool = True,
) -> Estimate:
    """The estimate of ``node``; ``variables`` gives what ``variables.name`` stands for (a policy's variables).

    ``peak=False`` leaves :attr:`Estimate.peak` at 0 (measuring it is the slow part, and only the growth limit uses it).
    """
    estimator = _Estimator(model, variables or {}, peak)
    result = estimator.estimate(node, {})
    return replace(result, peak=max(estimator.peak, growth.copies(result.content))) if peak else result


class _Estimator:
    def __init__(self, model: CostModel, variables: Mapping[str, Estimate] | None = None, peak: bool = True) -> None:
        self.model = model
        self.variables = variables or {}
        self.measure_peak = peak
        self.peak = 0
        self.loops = 0  # comprehensions entered, for tagging their variables' content

    def list_size(self, estimate: Estimate) -> int:
        # A list built from input lists (``containers + initContainers``) still counts as one list of unknown size:
        # its copies are bounded by the growth limit instead.
        return self.model.unknown_list_size if estimate.size is None else estimate.size

    def string_size(self, estimate: Estimate) -> int:
        if estimate.size is not None:
            return estimate.size
        return self.model.unknown_string_size * max(1, estimate.scale)

    def variable(self, node: Expr) -> Estimate | None:
        """The estimate of a policy variable read as ``variables.name`` / ``variables['name']``."""
        if not self.variables or not isinstance(node, Select | Index) or node.optional:
            return None
        if not (isinstance(node.operand, Ident) and node.operand.name == VARIABLES_NAME):
            return None
        if isinstance(node, Select):
            return self.variables.get(node.field)
        if isinstance(node.index, Literal) and node.index.kind == "string":
            return self.variables.get(node.index.text[1:-1])
        return None

    def traversal(self, estimate: Estimate) -> int:
        return math.ceil(self.string_size(estimate) * STRING_TRAVERSAL_FACTOR)

    def estimate(self, node: Expr, scope: dict[str, Estimate]) -> Estimate:
        result = self._estimate(node, scope)
        if result.content and self.measure_peak:
            self.peak = max(self.peak, growth.copies(result.content))
        return result

    def _estimate(self, node: Expr, scope: dict[str, Estimate]) -> Estimate:
        if isinstance(node, Literal):
            size = _literal_size(node)
            return Estimate(0, size)
        if isinstance(node, Ident):
            bound = scope.get(node.name)
            if bound:
                return Estimate(1, bound.size, bound.scale, content=bound.content)
            name = node.name.lstrip(".")
            # What a policy variable holds is known only with the policy's other variables: PolicyBudget costs it.
            content = EMPTY if name == VARIABLES_NAME else growth.reference(name)
            return Estimate(1, None, 1, content=content)
        variable = self.variable(node)
        if variable is not None:
            # The variable's own cost is counted once for the expression (it is evaluated once, lazily).
            return Estimate(1, variable.size, variable.scale, content=variable.content)
        if isinstance(node, Select):
            operand = self.estimate(node.operand, scope)
            return Estimate(1 + operand.cost, None, operand.scale, content=growth.select(operand.content, node.field))
        if isinstance(node, Index):
            operand, index = self.estimate(node.operand, scope), self.estimate(node.index, scope)
            content = growth.select(operand.content, _index_step(node.index))
            return Estimate(1 + operand.cost + index.cost, None, operand.scale, content=content)
        if isinstance(node, ListExpr):
            parts = [self.estimate(e.value, scope) for e in node.elements]
            content = growth.add(p.content for p in parts)
            return Estimate(
                LIST_CREATE_COST + sum(p.cost for p in parts), len(parts), sum(p.scale for p in parts), content=content
            )
        if isinstance(node, MapExpr):
            keys = [self.estimate(e.key, scope) for e in node.entries]
            values = [self.estimate(e.value, scope) for e in node.entries]
            cost = sum(p.cost for p in keys) + sum(p.cost for p in values)
            content = growth.add(p.content for p in (*keys, *values))
            return Estimate(MAP_CREATE_COST + cost, len(node.entries), sum(p.scale for p in values), content=content)
        if isinstance(node, Construct):
            values = [self.estimate(f.value, scope) for f in node.fields]
            cost = sum(p.cost for p in values)
            content = growth.add(p.content for p in values)
            return Estimate(MESSAGE_CREATE_COST + cost, len(node.fields), sum(p.scale for p in values), content=content)
        if isinstance(node, Unary):
            return Estimate(1 + self.estimate(node.operand, scope).cost)
        if isinstance(node, Binary):
            return self.binary(node, scope)
        if isinstance(node, Ternary) and _is_null_guard(node):
            # ``(x == null ? optional.none() : x.?f)`` is the front end's compat guard: cost it as ``x.?f``.
            guarded = self.estimate(node.otherwise, scope)
            return Estimate(guarded.cost + 1, guarded.size, guarded.scale, content=guarded.content)
        if isinstance(node, Ternary):
            condition = self.estimate(node.condition, scope)
            then, otherwise = self.estimate(node.then, scope), self.estimate(node.otherwise, scope)
            worst = then if then.cost >= otherwise.cost else otherwise
            size, scale = _max_size(then, otherwise), max(then.scale, otherwise.scale)
            content = growth.either((then.content, otherwise.content))
            return Estimate(condition.cost + worst.cost, size, scale, content=content)
        return self.call(node, scope)

    def binary(self, node: Binary, scope: dict[str, Estimate]) -> Estimate:
        left, right = self.estimate(node.left, scope), self.estimate(node.right, scope)
        base = left.cost + right.cost
        if node.op in ("&&", "||"):
            return Estimate(base)
        if node.op == "in":
            return Estimate(base + self.list_size(right))
        if node.op in ("==", "!="):
            smaller = min(self.string_size(left), self.string_size(right))
            return Estimate(base + 1 + math.ceil(smaller * STRING_TRAVERSAL_FACTOR))
        if node.op == "+":
            size = None if left.size is None or right.size is None else left.size + right.size
            work = math.ceil((self.string_size(left) + self.string_size(right)) * STRING_TRAVERSAL_FACTOR)
            content = growth.add((left.content, right.content))
            return Estimate(base + max(1, work), size, left.scale + right.scale, content=content)
        return Estimate(base + 1)

    def call(self, node: Call, scope: dict[str, Estimate]) -> Estimate:
        name = node.function
        if node.target is not None and name in _COMPREHENSIONS and self.is_macro_call(node):
            return self.comprehension(node, scope)
        qualified = _qualified_call_name(node)
        if qualified == "cel.bind" and len(node.args) == 3 and isinstance(node.args[0], Ident):
            bound = self.estimate(node.args[1], scope)
            inner = {**scope, node.args[0].name: bound}
            body = self.estimate(node.args[2], inner)
            return Estimate(bound.cost + body.cost, body.size, body.scale, content=body.content)
        if name == "has" and node.target is None:
            return Estimate(1 + sum(self.estimate(arg, scope).cost for arg in node.args))
        receiver = None if node.target is None else self.estimate(node.target, scope)
        if receiver is not None and isinstance(node.target, Ident) and node.target.name not in scope:
            receiver = replace(receiver, content=EMPTY)  # a namespace (``lists.range``), not input data
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
            if name in ("lowerAscii", "upperAscii", "trim", "reverse", "sort", "distinct", "slice", "dyn"):
                size = subject.size
        if qualified == "lists.range" and args and isinstance(node.args[0], Literal) and node.args[0].kind == "int":
            size = _int_literal(node.args[0].text)
            cost += size
        content = self.call_content(name, receiver, args)
        return Estimate(cost, size, self.call_scale(name, receiver, args, node), content=content)

    def call_content(self, name: str, receiver: Estimate | None, args: list[Estimate]) -> Content:
        """The input a call's result may hold (as :meth:`call_scale`, by location)."""
        if name in _SCALAR_RESULTS:
            return EMPTY
        parts = ([receiver] if receiver is not None else []) + args
        if name == "replace" and receiver is not None and len(args) >= 2:
            old, new = args[0], args[1]
            if not new.content and new.size is not None and old.size is not None:
                return growth.times(receiver.content, max(1, math.ceil(new.size / max(1, old.size))))
            inserted = new.content or receiver.content
            return growth.add((receiver.content, growth.times(inserted, self.string_size(receiver))))
        if name in _COPYING_RESULTS:
            return growth.add(part.content for part in parts)
        return growth.either(part.content for part in parts)

    def call_scale(self, name: str, receiver: Estimate | None, args: list[Estimate], node: Call) -> int:
        """How many input copies a call's result may hold."""
        if name in _SCALAR_RESULTS:
            return 0
        parts = ([receiver] if receiver is not None else []) + args
        if name == "replace" and receiver is not None and len(args) >= 2:
            old, new = args[0], args[1]
            if new.scale == 0 and new.size is not None and old.size is not None:
                return receiver.scale * max(1, math.ceil(new.size / max(1, old.size)))
            return receiver.scale + self.string_size(receiver) * max(1, new.scale)
        if name in _COPYING_RESULTS:
            return sum(part.scale for part in parts)
        return max((part.scale for part in parts), default=0)

    @staticmethod
    def is_macro_call(node: Call) -> bool:
        if len(node.args) < 2:
            return False
        variables = node.args[:2] if _two_variable(node) else node.args[:1]
        return all(isinstance(v, Ident) for v in variables)

    def comprehension(self, node: Call, scope: dict[str, Estimate]) -> Estimate:
        assert node.target is not None
        iterated = self.estimate(node.target, scope)
        count = self.list_size(iterated)
        variable_count = 2 if _two_variable(node) else 1
        inner = dict(scope)
        self.loops += 1
        tag = f"{growth.TAG_PREFIX}{self.loops}"
        element = growth.enter_loop(growth.select(iterated.content, growth.WILDCARD), tag)
        for variable in node.args[:variable_count]:
            assert isinstance(variable, Ident)
            inner[variable.name] = Estimate(1, content=element)
        bodies = [self.estimate(arg, inner) for arg in node.args[variable_count:]]
        body = sum(part.cost for part in bodies)
        builds_list = _COMPREHENSIONS[node.function]
        per_element = body + _ITERATION_COST + (1 if builds_list else 0)
        if node.function == "sortBy":
            per_element *= max(1, math.ceil(math.log2(max(count, 2))))
        result_size = count if builds_list else None
        scale = 0
        content: Content = EMPTY
        if node.function in ("filter", "sortBy"):
            scale, content = iterated.scale, iterated.content
        elif builds_list and bodies:
            # Each element may copy input values: as many times as there are elements, when that is known (an
            # input list's elements are bounded by the input itself); what an element takes from itself, once.
            repeats = iterated.size if iterated.size is not None else 1
            scale = repeats * bodies[-1].scale
            content = growth.leave_loop(bodies[-1].content, tag, repeats)
        return Estimate(iterated.cost + count * per_element, result_size, scale, content=content)


def _index_step(index: Expr) -> str:
    """The path step of ``x[index]``: a literal key or position (distinct ones are distinct parts), else any element
    (:data:`.growth.WILDCARD`)."""
    if isinstance(index, Literal) and index.kind == "string" and len(index.text) >= 2 and index.text[0] in "'\"":
        return index.text[1:-1]
    if isinstance(index, Literal) and index.kind in ("int", "uint"):
        return index.text
    return growth.WILDCARD


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


def _max_size(first: Estimate, second: Estimate) -> int | None:
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
