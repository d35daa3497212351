"""ValidatingPolicy -> compiled policies (the policy itself plus its pod-controller autogen variants)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.autogen import with_autogen
from ..common.expressions import Compiler
from ..common.kind import KindSpec
from ..common.pipeline import compile_parts
from ..common.validations import compile_audit_annotations, compile_validations
from .model import AUTHZ_MODES, ValidatingPolicy, ValidatingPolicySpec
from .policy import CompiledValidatingPolicy


def compile_validating_policy(policy: ValidatingPolicy, kind: KindSpec) -> list[CompiledValidatingPolicy]:
    """Compile a policy and its autogen variants; raise :class:`PolicyCompileError` listing every bad expression.
    Expressions bind the variables they read inline, so that every policy shares one activation per object."""

    def compile_spec(spec: ValidatingPolicySpec, autogen: str) -> CompiledValidatingPolicy:
        compiler = Compiler(environment_for(kind.cel))
        parts = compile_parts(kind, compiler, spec, spec.match_conditions, bind=True)
        variables = parts["variables"]
        compiled = CompiledValidatingPolicy(
            **parts,
            policy=policy,
            validations=compile_validations(compiler, spec.validations, "spec.validations", variables),
            audit_annotations=compile_audit_annotations(
                compiler, spec.audit_annotations, "spec.auditAnnotations", variables
            ),
            failure_policy=spec.failure_policy,
            actions=policy.validation_actions,
            background=spec.evaluation.background.enabled,
            autogen=autogen,
            payload=policy.payload_mode,
            authorization=spec.evaluation.mode in AUTHZ_MODES,
        )
        compiler.check(policy.qualified_name)
        return compiled

    return with_autogen(policy, compile_spec)
