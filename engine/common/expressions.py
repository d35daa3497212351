"""Compiling a policy's expressions once (collecting every error with its field path) and evaluating them.

Variables are evaluated in declaration order; a variable whose evaluation fails does not stop the policy: only the
expressions that reference it (directly or through other variables) fail, with the variable's error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..cel import Activation, CelEnvironment, CelError, CelEvalError, Program
from ..cel.frontend import PolicyBudget
from ..cel.frontend.inline import inline_variables
from ..cel.names import VARIABLES
from .model import NamedExpression

_VARIABLE_REF = re.compile(r"\bvariables\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")


@lru_cache(maxsize=8192)
def referenced_variables(source: str) -> frozenset[str]:
    """Names of ``variables.x`` / ``variables['x']`` read by an expression."""
    return frozenset(a or b for a, b in _VARIABLE_REF.findall(source))


@dataclass(frozen=True)
class BoundProgram:
    """An expression that reads ``variables``, compiled twice: as written, and with the variables it needs bound
    inline (``cel.bind``) so that it runs on the activation every policy shares (see ``cel/frontend/inline.py``)."""

    program: Program
    inlined: Program | None

    @property
    def source(self) -> str:
        """The expression as written."""
        return self.program.source

    @property
    def path(self) -> str:
        """Its field path."""
        return self.program.path


@dataclass
class Compiler:
    """Compiles expressions in one environment, collecting errors instead of stopping at the first."""

    env: CelEnvironment
    errors: list[str] = field(default_factory=list)
    #: The policy's variables, once compiled: expressions that read them are costed together with them.
    budget: PolicyBudget | None = None

    def compile(self, source: str, path: str) -> Program | None:
        """Compile, or record the error (with ``path``) and return ``None``."""
        try:
            program = self.env.compile(source, path)
            if self.budget is not None and referenced_variables(source):
                self.budget.check(source, path)
            return program
        except CelError as exc:
            self.errors.append(str(exc))
            return None

    def compile_bound(self, source: str, path: str, variables: CompiledVariables) -> Program | BoundProgram | None:
        """Compile an expression of a policy with ``variables``, binding the ones it reads inline when possible."""
        program = self.compile(source, path)
        if program is None or not variables.programs:
            return program
        needed = variables.closure(source)
        if not needed:
            return program
        ordered = [name for name in variables.order if name in needed]
        if len(ordered) != len(needed) or any(name in variables.broken for name in ordered):
            return program
        inlined_source = inline_variables(source, ordered, variables.sources)
        inlined = None
        if inlined_source is not None:
            try:
                inlined = self.env.compile(inlined_source, path)
            except CelError:
                inlined = None  # e.g. deeper than the runtime allows once bound: evaluate as written
        return BoundProgram(program, inlined)


@dataclass(frozen=True)
class CompiledVariables:
    """A policy's ``variables`` in order, with their transitive dependencies on each other."""

    programs: tuple[tuple[str, Program], ...]
    depends: Mapping[str, frozenset[str]]
    #: Declaration order and source of every variable (for inlining), and the ones that failed to compile.
    order: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()

    @classmethod
    def compile(cls, compiler: Compiler, variables: Sequence[NamedExpression], prefix: str) -> CompiledVariables:
        """Compile ``variables`` (paths ``{prefix}[i].expression``)."""
        programs = []
        depends: dict[str, frozenset[str]] = {}
        broken = set()
        budget = PolicyBudget(compiler.env.cost_model)
        for i, var in enumerate(variables):
            path = f"{prefix}[{i}].expression"
            program = compiler.compile(var.expression, path)
            try:
                budget.add_variable(var.name, var.expression, path)
            except CelError as exc:
                if program is not None:
                    compiler.errors.append(str(exc))
                program = None
            if program is None:
                broken.add(var.name)
            direct = referenced_variables(var.expression)
            closure = set(direct)
            for name in direct:
                closure |= depends.get(name, frozenset())
            depends[var.name] = frozenset(closure)
            if program is not None:
                programs.append((var.name, program))
        compiler.budget = budget
        return cls(
            tuple(programs),
            depends,
            tuple(v.name for v in variables),
            {v.name: v.expression for v in variables},
            frozenset(broken),
        )

    def closure(self, source: str) -> set[str]:
        """Variables an expression needs, transitively."""
        names = referenced_variables(source)
        out = set(names)
        for name in names:
            out |= self.depends.get(name, frozenset())
        return out


class Scope:
    """The evaluation state of one policy on one object: base data, variable values and their errors."""

    def __init__(
        self,
        env: CelEnvironment,
        data: dict[str, Any],
        variables: CompiledVariables,
        base: Activation | None = None,
    ) -> None:
        self.env = env
        self.data = data
        self.variables = variables
        self.values: dict[str, Any] = {}
        self.failures: dict[str, CelEvalError] = {}
        self._activation: Activation | None = None
        self._base_activation = base
        self._evaluated = False

    def _evaluate_variables(self) -> None:
        if self._evaluated:
            return
        self._evaluated = True
        for name, program in self.variables.programs:
            needed = self.variables.depends.get(name, frozenset())
            broken = next((n for n in needed if n in self.failures), None)
            if broken is not None:
                self.failures[name] = self.failures[broken]
                continue
            activation = self.env.activation({**self.data, VARIABLES: dict(self.values)}) if needed else self._base()
            try:
                self.values[name] = program.evaluate(activation)
            except CelEvalError as exc:
                self.failures[name] = exc

    def _base(self) -> Activation:
        if self._base_activation is None:
            self._base_activation = self.env.activation({**self.data, VARIABLES: {}})
        return self._base_activation

    def activation(self) -> Activation:
        """The activation with every variable that could be computed."""
        self._evaluate_variables()
        if self._activation is None:
            self._activation = self.env.activation({**self.data, VARIABLES: dict(self.values)})
        return self._activation

    def evaluate(self, program: Program | BoundProgram) -> Any:
        """Evaluate ``program``; raise the error of a variable it needs if that variable failed."""
        if isinstance(program, BoundProgram):
            if program.inlined is not None:
                try:
                    return program.inlined.evaluate(self._base())
                except CelEvalError:
                    pass  # evaluate as written, so that the message names the variable that failed
            program = program.program
        if self.variables.programs:
            needed = self.variables.closure(program.source)
            if needed:
                self._evaluate_variables()
                for name in needed:
                    if name in self.failures:
                        failure = self.failures[name]
                        raise CelEvalError(
                            f"variable {name!r} failed: {failure.message}", expression=program.source, path=program.path
                        )
                return program.evaluate(self.activation())
        return program.evaluate(self._activation or self._base_cached())

    def _base_cached(self) -> Activation:
        if self._activation is None:
            if self.variables.programs:
                return self.activation()
            return self._base()
        return self._activation


@dataclass(frozen=True)
class ConditionOutcome:
    """Result of a list of match conditions: matched, or not, or an error."""

    matched: bool
    error: str = ""


def evaluate_conditions(scope: Scope, conditions: Sequence[tuple[str, Program | BoundProgram]]) -> ConditionOutcome:
    """Kubernetes semantics: any false -> no match; otherwise any error -> error; otherwise match."""
    errors = []
    for name, program in conditions:
        try:
            value = scope.evaluate(program)
        except CelEvalError as exc:
            errors.append(f"matchCondition {name!r}: {exc.message}")
            continue
        if value is not True:
            if value is False:
                return ConditionOutcome(False)
            errors.append(f"matchCondition {name!r} returned {type(value).__name__}, not bool")
    if errors:
        return ConditionOutcome(False, "; ".join(errors))
    return ConditionOutcome(True)
