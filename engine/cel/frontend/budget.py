"""Checking estimates against the limits: one expression, or an expression with the policy variables it reads.

Kubernetes costs a policy's expressions together with the variables they use (a variable is evaluated once, lazily,
and its result's size carries into the expressions that read it). Costing each variable alone let 21 variables,
each doubling the previous one, pass while building gigabytes. :class:`PolicyBudget` keeps the estimate of every
variable (its cost, the size and the input copies of its value) in declaration order, so a variable or expression
is refused when it, plus the variables it reads, exceeds the cost limit or builds too many copies of its input.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CelCostError
from .cost import VARIABLES_NAME, CostModel, Estimate, estimate
from .nodes import Expr, Ident, Index, Literal, Select, children
from .parser import parse
from .rewrite import rewrite
from .source import SyntaxProblem, caret_message


def cost_error(
    source: str, path: str, cost: int, model: CostModel, reads: frozenset[str] = frozenset()
) -> CelCostError:
    """The error for an estimated cost over ``model.limit``."""
    factor = cost / model.limit if cost < 10**300 else float("inf")
    what = "expression cost"
    if reads:
        what = f"cost of the expression and the variables it reads ({', '.join(sorted(reads))})"
    return CelCostError(
        caret_message(
            source,
            0,
            f"estimated {what} {cost} exceeds the budget of {model.limit} by a factor of {factor:.1f}x (try"
            " simplifying the expression: comprehensions over lists multiply the cost of their body, and lists of"
            f" unknown size count as {model.unknown_list_size} elements)",
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


def check(source: str, path: str, result: Estimate, model: CostModel) -> None:
    """Raise :class:`CelCostError` when one expression's estimate breaks a limit of ``model``."""
    if result.cost > model.limit:
        raise cost_error(source, path, result.cost, model)
    if result.peak > model.growth_limit:
        raise growth_error(source, path, result.peak, model)


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
    estimate: Estimate
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
        result, reads = parsed
        self._variables[name] = _Variable(result, reads)
        self._check(source, path, result, reads)

    def check(self, source: str, path: str = "") -> None:
        """Raise :class:`CelCostError` if ``source`` breaks a limit together with the variables it reads."""
        parsed = self._estimate(source)
        if parsed is not None and parsed[1]:
            self._check(source, path, *parsed)

    def _estimate(self, source: str) -> tuple[Estimate, frozenset[str]] | None:
        try:
            tree = rewrite(parse(source))
        except (SyntaxProblem, RecursionError):
            return None  # compiling reports it
        direct = variables_read(tree) & self._variables.keys()
        reads = set(direct)
        for name in direct:
            reads |= self._variables[name].reads
        known = {name: variable.estimate for name, variable in self._variables.items()}
        return estimate(tree, self.model, known), frozenset(reads)

    def _check(self, source: str, path: str, result: Estimate, reads: frozenset[str]) -> None:
        total = result.cost + sum(self._variables[name].estimate.cost for name in reads)
        if total > self.model.limit:
            raise cost_error(source, path, total, self.model, reads)
        if result.peak > self.model.growth_limit:
            raise growth_error(source, path, result.peak, self.model)
