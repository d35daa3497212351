"""ValidatingAdmissionPolicy -> compiled policy (every expression compiled once, errors collected with paths)."""

from __future__ import annotations

from ..cel import environment_for
from ..common.expressions import Compiler
from ..errors import PolicyCompileError
from .model import ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding
from .policy import CompiledValidatingAdmissionPolicy
from .validator import AdmissionValidator


def compile_validating_admission_policy(
    policy: ValidatingAdmissionPolicy, bindings: tuple[ValidatingAdmissionPolicyBinding, ...] = ()
) -> CompiledValidatingAdmissionPolicy:
    """Compile a policy (with the bindings that name it); raise :class:`PolicyCompileError` on bad expressions."""
    compiler = Compiler(environment_for("vap"))
    spec = policy.spec
    validator = AdmissionValidator.compile(
        compiler,
        match_conditions=spec.match_conditions,
        variables=spec.variables,
        validations=spec.validations,
        audit_annotations=spec.audit_annotations,
        failure_policy=spec.failure_policy,
    )
    if compiler.errors:
        raise PolicyCompileError(policy.qualified_name, compiler.errors)
    return CompiledValidatingAdmissionPolicy(policy, validator, bindings)
