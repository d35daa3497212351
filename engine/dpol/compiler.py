"""DeletingPolicy -> compiled policy (every expression compiled once, errors collected with paths)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.expressions import CompiledVariables, Compiler, compile_conditions
from ..common.kind import KindSpec
from ..common.match import without_operations
from .model import DeletingPolicy
from .policy import CompiledDeletingPolicy


def compile_deleting_policy(policy: DeletingPolicy, kind: KindSpec) -> CompiledDeletingPolicy:
    """Compile a policy; raise :class:`PolicyCompileError` listing every bad expression with its path."""
    compiler = Compiler(environment_for(kind.cel))
    variables = CompiledVariables.compile(compiler, policy.spec.variables, "spec.variables")
    conditions = compile_conditions(compiler, policy.spec.conditions, "spec.conditions")
    compiler.check(policy.qualified_name)
    constraints = policy.spec.match_constraints
    return CompiledDeletingPolicy(
        spec=kind,
        policy=policy,
        env=compiler.env,
        match_constraints=without_operations(constraints) if constraints is not None else None,
        variables=variables,
        conditions=conditions,
    )
