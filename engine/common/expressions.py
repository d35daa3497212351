"""Compiling a policy's expressions once (collecting every error with its field path) and evaluating them.

Variables are lazy, as in Kyverno and Kubernetes admission policies: a variable is evaluated when an expression first
reads it, once per object, and a variable whose evaluation would fail fails only the evaluations that read it. An
expression that reads variables is compiled with them bound inline (``cel.bind``, see ``cel/frontend/inline.py``),
which cel-cpp evaluates on first read; the expression as written is the fallback (a variable read dynamically, or
naming the variable that failed), and :class:`Scope` evaluates its variables lazily too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..cel import Activation, CelEnvironment, CelError, CelEvalError, Program
from ..cel.frontend import PolicyBudget
from ..cel.frontend.inline import inline_variables
from ..cel.names import VARIABLES
from ..diagnostics import Diagnostic
from ..errors import PolicyCompileError
from .model import NamedExpression

_VARIABLE_REF = re.compile(r"\bvariables\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
_VARIABLES_NAME = re.compile(r"\bvariables\b")


@lru_cache(maxsize=8192)
def referenced_variables(source: str) -> frozenset[str]:
    """Names of ``variables.x`` / ``variables['x']`` read by an expression."""
    return frozenset(a or b for a, b in _VARIABLE_REF.findall(source))


@lru_cache(maxsize=8192)
def reads_variables_dynamically(source: str) -> bool:
    """True if an expression uses ``variables`` other than as ``variables.x`` / ``variables['x']`` (e.g.
    ``variables[name]``): it may read any variable."""
    return len(_VARIABLES_NAME.findall(source)) > len(_VARIABLE_REF.findall(source))


class BoundProgram:
    """An expression that reads ``variables``, compiled twice: as written, and with the variables it needs bound
    inline (``cel.bind``) so that it runs on the activation every policy shares (see ``cel/frontend/inline.py``).

    The inlined form may be given as ``build``, compiled on first use: inlining never fails a policy (an expression
    that cannot be inlined is evaluated as written), so deferring it changes no result, and a scan never pays for
    the forms it does not run (those of autogen variants when no pod controller is scanned, for example)."""

    __slots__ = ("_build", "_inlined", "program")

    def __init__(self, program: Program, inlined: Program | None = None,
                 build: Callable[[], Program | None] | None = None) -> None:
        self.program = program
        self._inlined = inlined
        self._build = build

    @property
    def inlined(self) -> Program | None:
        """The expression with its variables bound inline, or None when that cannot be done."""
        build = self._build
        if build is not None:
            self._inlined = build()
            self._build = None
        return self._inlined

    @property
    def source(self) -> str:
        """The expression as written."""
        return self.program.source

    @property
    def path(self) -> str:
        """Its field path."""
        return self.program.path

    def __repr__(self) -> str:
        return f"BoundProgram({self.program.path!r})"


@dataclass
class Compiler:
    """Compiles expressions in one environment, collecting errors instead of stopping at the first."""

    env: CelEnvironment
    errors: list[Diagnostic] = field(default_factory=list)
    #: The policy's variables, once compiled: expressions that read them are costed together with them.
    budget: PolicyBudget | None = None
    #: The policy's variables, once compiled: :meth:`compile_expression` binds the ones an expression reads.
    variables: CompiledVariables | None = None

    def compile(self, source: str, path: str) -> Program | None:
        """Compile, or record the error (with ``path``) and return ``None``."""
        try:
            program = self.env.compile(source, path)
            if self.budget is not None and referenced_variables(source):
                self.budget.check(source, path)
            return program
        except CelError as exc:
            self.errors.extend(exc.diagnostics())
            return None

    def check(self, policy: str) -> None:
        """Raise :class:`PolicyCompileError` for ``policy`` when any expression failed to compile."""
        if self.errors:
            raise PolicyCompileError(policy, self.errors)

    def compile_expression(self, source: str, path: str) -> Program | BoundProgram | None:
        """Compile an expression that may read the policy's variables (bound inline once they are compiled)."""
        if self.variables is None:
            return self.compile(source, path)
        return self.compile_bound(source, path, self.variables)

    def compile_bound(self, source: str, path: str, variables: CompiledVariables) -> Program | BoundProgram | None:
        """Compile an expression of a policy with ``variables``, binding the ones it reads inline when possible."""
        program = self.compile(source, path)
        if program is None or not variables.programs:
            return program
        needed = variables.closure(source)
        if not needed:
            return program
        return BoundProgram(program, build=lambda: self.inline(source, path, variables, needed))

    def inline(self, source: str, path: str, variables: CompiledVariables, needed: set[str]) -> Program | None:
        """``source`` compiled with the ``needed`` variables bound inline, or None when that cannot be done."""
        ordered = [name for name in variables.order if name in needed]
        if len(ordered) != len(needed) or any(name in variables.broken for name in ordered):
            return None
        inlined_source = inline_variables(source, ordered, variables.sources)
        if inlined_source is None:
            return None
        try:
            return self.env.compile(inlined_source, path)
        except CelError:
            return None  # e.g. deeper than the runtime allows once bound: evaluate as written


@dataclass(frozen=True)
class CompiledVariables:
    """A policy's ``variables`` in order, with their transitive dependencies on each other."""

    programs: tuple[tuple[str, Program], ...]
    depends: Mapping[str, frozenset[str]]
    #: Declaration order and source of every variable (for inlining), and the ones that failed to compile.
    order: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()
    #: Variables that read other variables, compiled with those bound inline: a variable that reads one holding
    #: an optional (which has no plain form) is still computed when an expression reads it as written.
    inlined: Mapping[str, Program] = field(default_factory=dict)

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
                    compiler.errors.extend(exc.diagnostics())
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
        inlined: dict[str, Program] = {}
        compiled = cls(
            tuple(programs),
            depends,
            tuple(v.name for v in variables),
            {v.name: v.expression for v in variables},
            frozenset(broken),
            inlined,
        )
        for i, var in enumerate(variables):
            needed = depends.get(var.name, frozenset())
            if var.name not in broken and needed and var.name not in needed:
                program = compiler.inline(var.expression, f"{prefix}[{i}].expression", compiled, set(needed))
                if program is not None:
                    inlined[var.name] = program
        compiler.variables = compiled
        return compiled

    def closure(self, source: str) -> set[str]:
        """Variables an expression needs, transitively."""
        names = referenced_variables(source)
        out = set(names)
        for name in names:
            out |= self.depends.get(name, frozenset())
        return out


class Scope:
    """The evaluation state of one policy on one object: base data, and the variables read so far (each evaluated
    at most once, when first needed) with their values or errors."""

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
        self._programs = dict(variables.programs)
        self._pending: set[str] = set()
        self._activation: Activation | None = None
        self._activation_names: frozenset[str] = frozenset()
        self._base_activation = base

    def _base(self) -> Activation:
        if self._base_activation is None:
            self._base_activation = self.env.activation({**self.data, VARIABLES: {}})
        return self._base_activation

    def _variable(self, name: str) -> None:
        """Evaluate variable ``name`` unless done already (an unknown or cyclic name stays unset)."""
        if name in self.values or name in self.failures or name in self._pending:
            return
        program = self._programs.get(name)
        if program is None:
            return
        inlined = self.variables.inlined.get(name)
        if inlined is not None:
            try:
                self.values[name] = inlined.evaluate(self._base())
                return
            except CelEvalError:
                pass  # evaluate as written, so that the error names the variable that failed
        self._pending.add(name)
        try:
            reads = self._reads(program.source)
            try:
                self.values[name] = program.evaluate(self._activation_with(reads))
            except CelEvalError as exc:
                failed = self._failed_variable(exc, reads)
                self.failures[name] = failed[1] if failed is not None else exc
        finally:
            self._pending.discard(name)

    def _reads(self, source: str) -> frozenset[str]:
        """The variables ``source`` may read (all of them when it reads ``variables`` dynamically)."""
        if reads_variables_dynamically(source):
            return frozenset(self.variables.order)
        return referenced_variables(source)

    def _activation_with(self, names: frozenset[str]) -> Activation:
        """An activation holding the values of ``names`` that evaluate (a failed one is absent: reading it gives
        ``no such key``, which :meth:`_failed_variable` attributes to the variable)."""
        if not names:
            return self._base()
        for name in names:
            self._variable(name)
        available = frozenset(n for n in names if n in self.values)
        if self._activation is None or not available <= self._activation_names:
            self._activation_names = frozenset(self.values)
            self._activation = self.env.activation({**self.data, VARIABLES: dict(self.values)})
        return self._activation

    def _failed_variable(self, error: CelEvalError, reads: frozenset[str]) -> tuple[str, CelEvalError] | None:
        """The variable among ``reads`` whose absence (it failed) caused ``error``, and its failure, if any."""
        for name in reads:
            failure = self.failures.get(name)
            if failure is not None and error.message == f"no such key: {name}":
                return name, failure
        return None

    def evaluate(self, program: Program | BoundProgram) -> Any:
        """Evaluate ``program``; a variable it reads that failed makes it fail with that variable's error."""
        if isinstance(program, BoundProgram):
            if program.inlined is None:
                return self._evaluate_as_written(program.program)
            try:
                return program.inlined.evaluate(self._base())
            except CelEvalError as exc:
                # Evaluate as written, so that the message names the variable that failed; an error there that
                # the bound form did not have (a variable holding an optional has no plain form) is not the answer.
                try:
                    self._evaluate_as_written(program.program)
                except CelEvalError as written:
                    if _NO_PLAIN_FORM not in written.message:
                        raise written from None
                raise exc from None
        return self._evaluate_as_written(program)

    def _evaluate_as_written(self, program: Program) -> Any:
        reads = self._reads(program.source) if self.variables.programs else frozenset()
        try:
            return program.evaluate(self._activation_with(reads))
        except CelEvalError as exc:
            failed = self._failed_variable(exc, reads)
            if failed is None:
                raise
            name, failure = failed
            raise CelEvalError(
                f"variable {name!r} failed: {failure.message}", expression=program.source, path=program.path
            ) from None


#: Part of the message of a value that cannot leave the CEL runtime (see ``cel/runtime.py``).
_NO_PLAIN_FORM = "which has no plain form"


Conditions = tuple[tuple[str, Program | BoundProgram], ...]


def compile_conditions(
    compiler: Compiler,
    conditions: Sequence[NamedExpression],
    prefix: str,
    variables: CompiledVariables | None = None,
) -> Conditions:
    """Compile named conditions (paths ``{prefix}[i].expression``), binding the variables they read inline when
    ``variables`` is given; the ones that fail are recorded in the compiler and left out."""
    compiled: list[tuple[str, Program | BoundProgram]] = []
    for i, cond in enumerate(conditions):
        path = f"{prefix}[{i}].expression"
        if variables is None:
            program = compiler.compile_expression(cond.expression, path)
        else:
            program = compiler.compile_bound(cond.expression, path, variables)
        if program is not None:
            compiled.append((cond.name, program))
    return tuple(compiled)


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
