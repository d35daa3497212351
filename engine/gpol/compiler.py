"""GeneratingPolicy -> compiled policy (every expression and template placeholder compiled once)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.expressions import Compiler
from ..common.kind import KindSpec
from ..common.pipeline import compile_parts
from .model import GeneratingPolicy
from .policy import CompiledGeneratingPolicy, CompiledGeneration
from .template import CompiledTemplate


def compile_generating_policy(policy: GeneratingPolicy, kind: KindSpec) -> CompiledGeneratingPolicy:
    """Compile a policy; raise :class:`PolicyCompileError` listing every bad expression with its path."""
    compiler = Compiler(environment_for(kind.cel))
    spec = policy.spec
    parts = compile_parts(kind, compiler, spec, spec.match_conditions)
    generations = []
    for i, generation in enumerate(spec.generate):
        if generation.template is not None:
            template = CompiledTemplate.compile(
                compiler, generation.template.value, generation.template.interpolate, f"spec.generate[{i}].template"
            )
            generations.append(CompiledGeneration(i, template=template))
            continue
        program = compiler.compile_expression(generation.expression, f"spec.generate[{i}].expression")
        if program is not None:
            generations.append(CompiledGeneration(i, program=program))
    compiler.check(policy.qualified_name)
    return CompiledGeneratingPolicy(**parts, policy=policy, generations=tuple(generations))
