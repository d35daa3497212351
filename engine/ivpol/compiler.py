"""ImageValidatingPolicy -> compiled policies (the policy plus its pod-controller autogen variants)."""

from __future__ import annotations

from ..cel import CelEnvironment, environment_for
from ..cel.libs import libraries_for
from ..cel.names import REF
from ..cel.runtime import environment
from ..common.autogen import autogen_variants
from ..common.expressions import CompiledVariables, Compiler
from ..common.model import parse_model
from ..errors import PolicyCompileError
from ..vpol.policy import CompiledValidation
from .imageverify import LIBRARY as IMAGEVERIFY
from .model import ImageValidatingPolicy, ImageValidatingPolicySpec
from .policy import CompiledImageValidatingPolicy


def policy_environment() -> CelEnvironment:
    """The ivpol environment plus the ``imageverify`` functions."""
    base = environment_for("ivpol")
    return environment(base.variable_names, (*libraries_for("ivpol"), IMAGEVERIFY))


def _compile_spec(
    policy: ImageValidatingPolicy, spec: ImageValidatingPolicySpec, autogen: str
) -> CompiledImageValidatingPolicy:
    compiler = Compiler(policy_environment())
    match_compiler = Compiler(environment_for("ivpol", extra_variables=(REF,)))
    conditions = []
    for i, cond in enumerate(spec.match_conditions):
        program = compiler.compile(cond.expression, f"spec.matchConditions[{i}].expression")
        if program is not None:
            conditions.append((cond.name, program))
    variables = CompiledVariables.compile(compiler, spec.variables, "spec.variables")
    validations = []
    for i, validation in enumerate(spec.validations):
        program = compiler.compile(validation.expression, f"spec.validations[{i}].expression")
        message_program = None
        if validation.message_expression:
            message_path = f"spec.validations[{i}].messageExpression"
            message_program = compiler.compile(validation.message_expression, message_path)
        if program is not None:
            validations.append(CompiledValidation(i, program, validation.message, message_program, validation.reason))
    extractors = []
    for i, extractor in enumerate(spec.images):
        program = compiler.compile(extractor.expression, f"spec.images[{i}].expression")
        if program is not None:
            extractors.append((extractor.name, program))
    reference_programs = []
    for i, ref in enumerate(spec.match_image_references):
        if ref.expression:
            program = match_compiler.compile(ref.expression, f"spec.matchImageReferences[{i}].expression")
            if program is not None:
                reference_programs.append(program)
    annotations = []
    for i, annotation in enumerate(spec.audit_annotations):
        program = compiler.compile(annotation.value_expression, f"spec.auditAnnotations[{i}].valueExpression")
        if program is not None:
            annotations.append((annotation.key, program))
    errors = compiler.errors + match_compiler.errors
    if errors:
        raise PolicyCompileError(policy.qualified_name, errors)
    return CompiledImageValidatingPolicy(
        policy=policy,
        env=compiler.env,
        match_env=match_compiler.env,
        match_constraints=spec.match_constraints,
        match_conditions=tuple(conditions),
        variables=variables,
        validations=tuple(validations),
        extractors=tuple(extractors),
        reference_globs=tuple(r.glob for r in spec.match_image_references if r.glob),
        reference_programs=tuple(reference_programs),
        audit_annotations=tuple(annotations),
        autogen=autogen,
    )


def compile_image_validating_policy(policy: ImageValidatingPolicy) -> list[CompiledImageValidatingPolicy]:
    """Compile a policy and its autogen variants; raise :class:`PolicyCompileError` listing bad expressions."""
    compiled = [_compile_spec(policy, policy.spec, "")]
    for variant in autogen_variants(policy.raw_spec):
        spec = parse_model(ImageValidatingPolicySpec, variant.spec, "spec")
        compiled.append(_compile_spec(policy, spec, variant.config))
    return compiled
