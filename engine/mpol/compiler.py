"""MutatingPolicy -> compiled policies (the policy itself plus its pod-controller autogen variants)."""

from __future__ import annotations

from ..cel import Program, environment_for
from ..common.autogen import autogen_variants
from ..common.expressions import CompiledVariables, Compiler
from ..common.model import NamedExpression, parse_model
from ..errors import PolicyCompileError
from .model import MutatingPolicy, MutatingPolicySpec, Mutation
from .mutate import CompiledMutation
from .policy import CompiledMutatingPolicy


def compile_conditions(
    compiler: Compiler, conditions: list[NamedExpression], prefix: str
) -> tuple[tuple[str, Program], ...]:
    """Compile named conditions (paths ``{prefix}[i].expression``), skipping the ones that fail."""
    compiled = []
    for i, cond in enumerate(conditions):
        program = compiler.compile(cond.expression, f"{prefix}[{i}].expression")
        if program is not None:
            compiled.append((cond.name, program))
    return tuple(compiled)


def compile_mutations(compiler: Compiler, mutations: list[Mutation], prefix: str) -> tuple[CompiledMutation, ...]:
    """Compile ``mutations[]`` (paths ``{prefix}[i].applyConfiguration.expression`` / ``.jsonPatch.expression``)."""
    compiled = []
    for i, mutation in enumerate(mutations):
        program = compiler.compile(mutation.expression, f"{prefix}[{i}].{mutation.field}.expression")
        if program is not None:
            compiled.append(CompiledMutation(i, mutation.patch_type, program))
    return tuple(compiled)


def _compile_spec(policy: MutatingPolicy, spec: MutatingPolicySpec, autogen: str) -> CompiledMutatingPolicy:
    env = environment_for("mpol")
    compiler = Compiler(env)
    conditions = compile_conditions(compiler, spec.match_conditions, "spec.matchConditions")
    variables = CompiledVariables.compile(compiler, spec.variables, "spec.variables")
    mutations = compile_mutations(compiler, spec.mutations, "spec.mutations")
    target_expression = None
    targets = spec.target_match_constraints
    if targets is not None and targets.expression.strip():
        target_expression = compiler.compile(targets.expression, "spec.targetMatchConstraints.expression")
    target_conditions = compile_conditions(compiler, spec.target_match_conditions, "spec.targetMatchConditions")
    if compiler.errors:
        raise PolicyCompileError(policy.qualified_name, compiler.errors)
    return CompiledMutatingPolicy(
        policy=policy,
        env=env,
        match_constraints=spec.match_constraints,
        match_conditions=conditions,
        variables=variables,
        mutations=mutations,
        target_constraints=targets,
        target_expression=target_expression,
        target_conditions=target_conditions,
        autogen=autogen,
    )


def compile_mutating_policy(policy: MutatingPolicy) -> list[CompiledMutatingPolicy]:
    """Compile a policy and its autogen variants; raise :class:`PolicyCompileError` listing every bad expression."""
    compiled = [_compile_spec(policy, policy.spec, "")]
    for variant in autogen_variants(policy.raw_spec):
        spec = parse_model(MutatingPolicySpec, variant.spec, "spec")
        compiled.append(_compile_spec(policy, spec, variant.config))
    return compiled
