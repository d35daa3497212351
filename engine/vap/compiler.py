"""ValidatingAdmissionPolicy -> compiled policy (every expression compiled once, errors collected with paths)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.admission import AdmissionValidator
from ..common.expressions import Compiler
from ..common.kind import KindSpec
from .model import ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding
from .policy import CompiledValidatingAdmissionPolicy


def compile_validating_admission_policy(
    policy: ValidatingAdmissionPolicy, kind: KindSpec, bindings: tuple[ValidatingAdmissionPolicyBinding, ...] = ()
) -> CompiledValidatingAdmissionPolicy:
    """Compile a policy (with the bindings that name it); raise :class:`PolicyCompileError` on bad expressions."""
    compiler = Compiler(environment_for(kind.cel))
    spec = policy.spec
    validator = AdmissionValidator.compile(
        compiler, spec.match_conditions, spec.variables, spec.validations, spec.audit_annotations, spec.failure_policy
    )
    compiler.check(policy.qualified_name)
    return CompiledValidatingAdmissionPolicy(
        spec=kind,
        policy=policy,
        env=compiler.env,
        match_constraints=spec.match_constraints,
        failure_policy=spec.failure_policy,
        validator=validator,
        bindings=bindings,
    )
