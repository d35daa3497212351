"""Checking estimates against the limits: one expression, or an expression with the policy variables it reads.

Three limits (see :mod:`.cost` for where Kubernetes and Kyverno apply which):

* the runtime limit, on the cost of an expression on every input (its ``minimal`` estimate): over it, Kubernetes and
  Kyverno would stop every evaluation;
* the growth limit, on the copies of its input an expression can build (memory: doubling through variables or
  ``cel.bind``);
* the opt-in estimate limit (``CostModel.limit``), on the estimate with assumed sizes, counting the variables an
  expression reads.

A variable is evaluated once, lazily, and its result's size carries into the expressions that read it: costing each
variable alone let 21 variables, each doubling the previous one, pass while building gigabytes. :class:`PolicyBudget`
keeps the estimates of every variable (cost, size and input copies of its value) in declaration order, so each
variable and expression is checked with the sizes of the variables it reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CelCostError
from .cost import VARIABLES_NAME, CostModel, Estimate, estimate
from .nodes import Expr, Ident, Index, Literal, Select, children
from .rewrite import parsed_and_rewritten
from .source import SyntaxProblem, caret_message


def _factor(cost: int, limit: int) -> str:
    return f"{cost / limit:.1f}x" if cost < 10**300 else "inf"


def cost_error(
    source: str, path: str, cost: int, limit: int, model: CostModel, reads: frozenset[str] = frozenset()
) -> CelCostError:
    """The error for an estimate (with assumed sizes) over the opt-in ``limit``."""
    what = "expression cost"
    if reads:
        what = f"cost of the expression and the variables it reads ({', '.join(sorted(reads))})"
    return CelCostError(
        caret_message(
            source,
            0,
            f"estimated {what} {cost} exceeds the budget of {limit} by a factor of {_factor(cost, limit)} (try"
            " simplifying the expression: comprehensions over lists multiply the cost of their body, and lists of"
            f" unknown size count as {model.unknown_list_size} elements)",
        ),
        expression=source,
        path=path,
    )


def runtime_cost_error(source: str, path: str, cost: int, limit: int) -> CelCostError:
    """The error for an expression whose cost on every input exceeds the runtime limit."""
    return CelCostError(
        caret_message(
            source,
            0,
            f"the expression costs at least {cost} on any input (work on literals, ranges and the values it builds"
            f" itself), {_factor(cost, limit)} the runtime cost limit of {limit} per expression that Kubernetes and"
            " Kyverno enforce: no evaluation could complete",
        ),
        expression=source,
        path=path,
    )


def growth_error(source: str, path: str, scale: int, model: CostModel) -> CelCostError:
    """The error for an expression that can build more than ``model.growth_limit`` copies of its input."""
    return CelCostError(
        caret_message(
            source,
            0,
            f"the expression can build a value holding {scale} copies of its input (strings or lists concatenated"
            f" with themselves through cel.bind or variables, or repeated in a list); the limit is"
            f" {model.growth_limit}",
        ),
        expression=source,
        path=path,
    )


def check(source: str, path: str, tree: Expr, model: CostModel) -> None:
    """Raise :class:`CelCostError` when one expression (its rewritten ``tree``) breaks a limit of ``model``."""
    minimal = estimate(tree, model.minimal(), peak=False)
    _check_limits(source, path, _Estimates(estimate(tree, model), minimal), model)


@dataclass(frozen=True)
class _Estimates:
    """An expression's estimate with the model's assumed sizes, and on the cheapest input."""

    assumed: Estimate
    minimal: Estimate


def _check_limits(
    source: str, path: str, estimates: _Estimates, model: CostModel, reads_cost: int = 0,
    reads: frozenset[str] = frozenset(),
) -> None:
    if estimates.minimal.cost > model.runtime_limit:
        raise runtime_cost_error(source, path, estimates.minimal.cost, model.runtime_limit)
    if estimates.assumed.peak > model.growth_limit:
        raise growth_error(source, path, estimates.assumed.peak, model)
    total = estimates.assumed.cost + reads_cost
    if model.limit is not None and total > model.limit:
        raise cost_error(source, path, total, model.limit, model, reads)


def variables_read(tree: Expr) -> set[str]:
    """Names read as ``variables.name`` or ``variables['name']``."""
    names: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Select | Index) and isinstance(node.operand, Ident) and node.operand.name == VARIABLES_NAME:
            if isinstance(node, Select):
                names.add(node.field)
            elif isinstance(node.index, Literal) and node.index.kind == "string":
                names.add(node.index.text[1:-1])
        stack.extend(children(node))
    return names


@dataclass(frozen=True)
class _Variable:
    estimates: _Estimates
    reads: frozenset[str]  # variables it reads, transitively


class PolicyBudget:
    """The estimates of one policy's variables, for costing its expressions as a whole."""

    def __init__(self, model: CostModel) -> None:
        self.model = model
        self._variables: dict[str, _Variable] = {}

    def add_variable(self, name: str, source: str, path: str = "") -> None:
        """Record variable ``name`` (in declaration order); raise :class:`CelCostError` if it breaks a limit
        together with the variables it reads (it is recorded either way, so later ones see its size)."""
        parsed = self._estimate(source)
        if parsed is None:
            return
        estimates, reads = parsed
        self._variables[name] = _Variable(estimates, reads)
        self._check(source, path, estimates, reads)

    def check(self, source: str, path: str = "") -> None:
        """Raise :class:`CelCostError` if ``source`` breaks a limit together with the variables it reads."""
        parsed = self._estimate(source, reading_only=True)
        if parsed is not None and parsed[1]:
            self._check(source, path, *parsed)

    def _estimate(self, source: str, reading_only: bool = False) -> tuple[_Estimates, frozenset[str]] | None:
        """The estimates of ``source`` and the variables it reads (directly or through others); None when it does
        not parse or, with ``reading_only``, reads no variable (nothing to check beyond the expression alone)."""
        try:
            tree = parsed_and_rewritten(source)
        except (SyntaxProblem, RecursionError):
            return None  # compiling reports it
        direct = variables_read(tree) & self._variables.keys()
        if reading_only and not direct:
            return None
        reads = set(direct)
        for name in direct:
            reads |= self._variables[name].reads
        assumed = {name: variable.estimates.assumed for name, variable in self._variables.items()}
        minimal = {name: variable.estimates.minimal for name, variable in self._variables.items()}
        estimates = _Estimates(
            estimate(tree, self.model, assumed), estimate(tree, self.model.minimal(), minimal, peak=False)
        )
        return estimates, frozenset(reads)

    def _check(self, source: str, path: str, estimates: _Estimates, reads: frozenset[str]) -> None:
        # Each variable is its own program at run time (its own runtime limit); the opt-in estimate limit counts the
        # variables an expression reads with it.
        reads_cost = sum(self._variables[name].estimates.assumed.cost for name in reads)
        _check_limits(source, path, estimates, self.model, reads_cost, reads)
