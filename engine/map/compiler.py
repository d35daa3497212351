"""MutatingAdmissionPolicy -> compiled policy (bindings are attached when loaded)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.expressions import Compiler, compile_conditions
from ..common.kind import KindSpec
from ..common.mutation import compile_mutations
from ..common.pipeline import compile_parts
from .model import MutatingAdmissionPolicy
from .policy import CompiledMutatingAdmissionPolicy


def compile_mutating_admission_policy(
    policy: MutatingAdmissionPolicy, kind: KindSpec
) -> CompiledMutatingAdmissionPolicy:
    """Compile a policy; raise :class:`PolicyCompileError` listing every bad expression with its path."""
    compiler = Compiler(environment_for(kind.cel))
    spec = policy.spec
    parts = compile_parts(kind, compiler, spec)
    # Match conditions run per binding and parameter object, in the body.
    conditions = compile_conditions(compiler, spec.match_conditions, "spec.matchConditions")
    mutations = compile_mutations(compiler, spec.mutations, "spec.mutations")
    compiler.check(policy.qualified_name)
    return CompiledMutatingAdmissionPolicy(
        **parts, policy=policy, binding_conditions=conditions, mutations=mutations, failure_policy=spec.failure_policy
    )
