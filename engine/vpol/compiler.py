"""ValidatingPolicy -> compiled policies (the policy itself plus its pod-controller autogen variants)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.autogen import autogen_variants
from ..common.expressions import CompiledVariables, Compiler
from ..common.model import parse_model
from ..errors import PolicyCompileError
from .model import ValidatingPolicy, ValidatingPolicySpec
from .policy import CompiledValidatingPolicy, CompiledValidation


def _compile_spec(policy: ValidatingPolicy, spec: ValidatingPolicySpec, autogen: str) -> CompiledValidatingPolicy:
    env = environment_for("vpol")
    compiler = Compiler(env)
    variables = CompiledVariables.compile(compiler, spec.variables, "spec.variables")
    conditions = []
    for i, cond in enumerate(spec.match_conditions):
        program = compiler.compile_bound(cond.expression, f"spec.matchConditions[{i}].expression", variables)
        if program is not None:
            conditions.append((cond.name, program))
    validations = []
    for i, validation in enumerate(spec.validations):
        program = compiler.compile_bound(validation.expression, f"spec.validations[{i}].expression", variables)
        message_program = None
        if validation.message_expression:
            message_program = compiler.compile_bound(
                validation.message_expression, f"spec.validations[{i}].messageExpression", variables
            )
        if program is not None:
            validations.append(CompiledValidation(i, program, validation.message, message_program, validation.reason))
    annotations = []
    for i, annotation in enumerate(spec.audit_annotations):
        program = compiler.compile_bound(
            annotation.value_expression, f"spec.auditAnnotations[{i}].valueExpression", variables
        )
        if program is not None:
            annotations.append((annotation.key, program))
    if compiler.errors:
        raise PolicyCompileError(policy.qualified_name, compiler.errors)
    return CompiledValidatingPolicy(
        policy=policy,
        env=env,
        match_constraints=spec.match_constraints,
        match_conditions=tuple(conditions),
        variables=variables,
        validations=tuple(validations),
        audit_annotations=tuple(annotations),
        autogen=autogen,
    )


def compile_validating_policy(policy: ValidatingPolicy) -> list[CompiledValidatingPolicy]:
    """Compile a policy and its autogen variants; raise :class:`PolicyCompileError` listing every bad expression."""
    compiled = [_compile_spec(policy, policy.spec, "")]
    for variant in autogen_variants(policy.raw_spec):
        spec = parse_model(ValidatingPolicySpec, variant.spec, "spec")
        compiled.append(_compile_spec(policy, spec, variant.config))
    return compiled
