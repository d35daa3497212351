"""GeneratingPolicy -> compiled policy (every expression and template placeholder compiled once)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.expressions import CompiledVariables, Compiler
from ..errors import PolicyCompileError
from .model import GeneratingPolicy
from .policy import CompiledGeneratingPolicy, CompiledGeneration
from .template import CompiledTemplate


def compile_generating_policy(policy: GeneratingPolicy) -> CompiledGeneratingPolicy:
    """Compile a policy; raise :class:`PolicyCompileError` listing every bad expression with its path."""
    compiler = Compiler(environment_for("gpol"))
    spec = policy.spec
    conditions = []
    for i, cond in enumerate(spec.match_conditions):
        program = compiler.compile(cond.expression, f"spec.matchConditions[{i}].expression")
        if program is not None:
            conditions.append((cond.name, program))
    variables = CompiledVariables.compile(compiler, spec.variables, "spec.variables")
    generations = []
    for i, generation in enumerate(spec.generate):
        if generation.template is not None:
            template = CompiledTemplate.compile(
                compiler, generation.template.value, generation.template.interpolate, f"spec.generate[{i}].template"
            )
            generations.append(CompiledGeneration(i, template=template))
            continue
        program = compiler.compile(generation.expression, f"spec.generate[{i}].expression")
        if program is not None:
            generations.append(CompiledGeneration(i, program=program))
    if compiler.errors:
        raise PolicyCompileError(policy.qualified_name, compiler.errors)
    return CompiledGeneratingPolicy(policy, compiler.env, tuple(conditions), variables, tuple(generations))
