"""MutatingPolicy -> compiled policies (the policy itself plus its pod-controller autogen variants)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.autogen import with_autogen
from ..common.expressions import Compiler, compile_conditions
from ..common.kind import KindSpec
from ..common.mutation import compile_mutations
from ..common.pipeline import compile_parts
from .model import MutatingPolicy, MutatingPolicySpec
from .policy import CompiledMutatingPolicy


def compile_mutating_policy(policy: MutatingPolicy, kind: KindSpec) -> list[CompiledMutatingPolicy]:
    """Compile a policy and its autogen variants; raise :class:`PolicyCompileError` listing every bad expression."""

    def compile_spec(spec: MutatingPolicySpec, autogen: str) -> CompiledMutatingPolicy:
        compiler = Compiler(environment_for(kind.cel))
        parts = compile_parts(kind, compiler, spec, spec.match_conditions)
        targets = spec.target_match_constraints
        target_expression = None
        if targets is not None and targets.expression.strip():
            target_path = "spec.targetMatchConstraints.expression"
            target_expression = compiler.compile_expression(targets.expression, target_path)
        compiled = CompiledMutatingPolicy(
            **parts,
            policy=policy,
            mutations=compile_mutations(compiler, spec.mutations, "spec.mutations"),
            target_constraints=targets,
            target_expression=target_expression,
            target_conditions=compile_conditions(compiler, spec.target_match_conditions, "spec.targetMatchConditions"),
            failure_policy=spec.failure_policy,
            background=spec.evaluation.background.enabled,
            autogen=autogen,
        )
        compiler.check(policy.qualified_name)
        return compiled

    return with_autogen(policy, compile_spec)
