"""DeletingPolicy -> compiled policy (every expression compiled once, errors collected with paths)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.expressions import CompiledVariables, Compiler
from ..errors import PolicyCompileError
from .model import DeletingPolicy
from .policy import CompiledDeletingPolicy


def compile_deleting_policy(policy: DeletingPolicy) -> CompiledDeletingPolicy:
    """Compile a policy; raise :class:`PolicyCompileError` listing every bad expression with its path."""
    compiler = Compiler(environment_for("dpol"))
    conditions = []
    for i, cond in enumerate(policy.spec.conditions):
        program = compiler.compile(cond.expression, f"spec.conditions[{i}].expression")
        if program is not None:
            conditions.append((cond.name, program))
    variables = CompiledVariables.compile(compiler, policy.spec.variables, "spec.variables")
    if compiler.errors:
        raise PolicyCompileError(policy.qualified_name, compiler.errors)
    return CompiledDeletingPolicy(policy, compiler.env, tuple(conditions), variables)
