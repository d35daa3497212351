"""ImageValidatingPolicy -> compiled policies (the policy plus its pod-controller autogen variants)."""

from __future__ import annotations

from ..cel import environment_for
from ..cel.names import REF
from ..common.autogen import with_autogen
from ..common.expressions import Compiler
from ..common.kind import KindSpec
from ..common.pipeline import compile_parts
from ..common.validations import compile_audit_annotations, compile_validations
from .model import ImageValidatingPolicy, ImageValidatingPolicySpec
from .policy import CompiledImageValidatingPolicy


def compile_image_validating_policy(
    policy: ImageValidatingPolicy, kind: KindSpec
) -> list[CompiledImageValidatingPolicy]:
    """Compile a policy and its autogen variants; raise :class:`PolicyCompileError` listing bad expressions."""

    def compile_spec(spec: ImageValidatingPolicySpec, autogen: str) -> CompiledImageValidatingPolicy:
        compiler = Compiler(environment_for(kind.cel))
        match_compiler = Compiler(environment_for(kind.cel, extra_variables=(REF,)), compiler.errors)
        parts = compile_parts(kind, compiler, spec, spec.match_conditions)
        validations = compile_validations(compiler, spec.validations, "spec.validations")
        extractors = []
        for i, extractor in enumerate(spec.images):
            program = compiler.compile_expression(extractor.expression, f"spec.images[{i}].expression")
            if program is not None:
                extractors.append((extractor.name, program))
        references = []
        for i, ref in enumerate(spec.match_image_references):
            if ref.expression:
                program = match_compiler.compile(ref.expression, f"spec.matchImageReferences[{i}].expression")
                if program is not None:
                    references.append(program)
        compiled = CompiledImageValidatingPolicy(
            **parts,
            policy=policy,
            match_env=match_compiler.env,
            validations=validations,
            audit_annotations=compile_audit_annotations(compiler, spec.audit_annotations, "spec.auditAnnotations"),
            extractors=tuple(extractors),
            reference_globs=tuple(r.glob for r in spec.match_image_references if r.glob),
            reference_programs=tuple(references),
            failure_policy=spec.failure_policy,
            actions=policy.validation_actions,
            background=spec.evaluation.background.enabled,
            autogen=autogen,
        )
        compiler.check(policy.qualified_name)
        return compiled

    return with_autogen(policy, compile_spec)
