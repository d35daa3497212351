"""The Kubernetes admission-policy validator: match conditions, variables, validations and audit annotations.

This is the evaluation Kubernetes performs for a ValidatingAdmissionPolicy (``k8s.io/apiserver`` ``validating``
package), which Kyverno reuses for ClusterPolicy ``validate.cel`` rules. Unlike a ValidatingPolicy, every validation
is evaluated and yields one decision; the caller decides which decision becomes the result. An evaluation error
becomes a *deny* decision under ``failurePolicy: Fail`` (the default) and an *admit* decision under ``Ignore``; both
are marked ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..cel import CelEnvironment, CelEvalError
from ..cel.names import AUTHORIZER, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, PARAMS, REQUEST
from ..request import AdmissionContext
from .expressions import CompiledVariables, Compiler, Conditions, Scope, compile_conditions, evaluate_conditions
from .match import matches
from .model import AuditAnnotation, MatchResources, NamedExpression, ResourceRule, Validation
from .validations import (
    Annotations,
    CompiledValidation,
    audit_annotations,
    compile_audit_annotations,
    compile_validations,
    failure_message,
)

ADMIT = "admit"
DENY = "deny"
ERROR = "error"

_ANY_RULE = ResourceRule(api_groups=["*"], api_versions=["*"], resources=["*"], operations=["*"])


def admission_policy_data(ctx: AdmissionContext) -> dict[str, Any]:
    """The CEL variables of Kubernetes admission policies for a request (``params`` is added per parameter
    object; ``authorizer`` is not available offline)."""
    return {
        OBJECT: ctx.object,
        OLD_OBJECT: ctx.old_object,
        REQUEST: ctx.request(),
        NAMESPACE_OBJECT: ctx.namespace_object,
        AUTHORIZER: None,
    }


def binding_matches(match_resources: MatchResources | None, ctx: AdmissionContext) -> bool:
    """A binding's ``matchResources`` (absent, or without resourceRules, means every request the policy matches)."""
    if match_resources is None:
        return True
    if not match_resources.resource_rules:
        match_resources = match_resources.model_copy(update={"resource_rules": [_ANY_RULE]})
    return matches(match_resources, ctx)


@dataclass(frozen=True)
class Decision:
    """What one validation (or a failed match condition) decided.

    ``action`` is ``admit`` or ``deny``; ``evaluation`` is ``admit``, ``deny`` or ``error``.
    """

    action: str
    evaluation: str
    message: str = ""
    index: int | None = None
    expression: str = ""


@dataclass(frozen=True)
class ValidationOutcome:
    """All decisions of one evaluation; ``matched`` is false when a match condition was false (no decisions)."""

    matched: bool
    decisions: tuple[Decision, ...] = ()
    audit_annotations: dict[str, str] | None = None


@dataclass(frozen=True)
class AdmissionValidator:
    """Compiled match conditions, variables, validations and audit annotations of one admission policy."""

    env: CelEnvironment
    match_conditions: Conditions
    variables: CompiledVariables
    validations: tuple[CompiledValidation, ...]
    audit_annotations: Annotations
    failure_policy: str = "Fail"

    @classmethod
    def compile(
        cls,
        compiler: Compiler,
        match_conditions: Sequence[NamedExpression] = (),
        variables: Sequence[NamedExpression] = (),
        validations: Sequence[Validation] = (),
        audit_annotations: Sequence[AuditAnnotation] = (),
        failure_policy: str = "Fail",
        *,
        paths: dict[str, str] | None = None,
    ) -> AdmissionValidator:
        """Compile every expression with ``compiler`` (errors collect in ``compiler.errors``).

        ``paths`` overrides the field path prefixes (keys ``matchConditions``, ``variables``, ``validations``,
        ``auditAnnotations``; defaults ``spec.<key>``).
        """
        where = {key: f"spec.{key}" for key in ("matchConditions", "variables", "validations", "auditAnnotations")}
        where.update(paths or {})
        declared = CompiledVariables.compile(compiler, list(variables), where["variables"])
        return cls(
            compiler.env,
            compile_conditions(compiler, match_conditions, where["matchConditions"], declared),
            declared,
            compile_validations(compiler, validations, where["validations"], declared),
            compile_audit_annotations(compiler, audit_annotations, where["auditAnnotations"], declared),
            failure_policy,
        )

    def _error_action(self) -> str:
        return ADMIT if self.failure_policy == "Ignore" else DENY

    def validate(self, data: dict[str, Any], params: Any = None) -> ValidationOutcome:
        """Evaluate against ``data`` (:func:`admission_policy_data`) with one parameter object (or None)."""
        scope = Scope(self.env, {**data, PARAMS: params}, self.variables)
        conditions = evaluate_conditions(scope, self.match_conditions)
        if conditions.error:
            return ValidationOutcome(True, (Decision(self._error_action(), ERROR, conditions.error),))
        if not conditions.matched:
            return ValidationOutcome(False)
        decisions = tuple(self._decide(scope, validation) for validation in self.validations)
        return ValidationOutcome(True, decisions, audit_annotations(scope, self.audit_annotations))

    def _decide(self, scope: Scope, validation: CompiledValidation) -> Decision:
        source = validation.program.source
        try:
            verdict = scope.evaluate(validation.program)
        except CelEvalError as exc:
            message = f"expression '{source.strip()}' resulted in error: {exc.message}"
            return Decision(self._error_action(), ERROR, message, validation.index, source)
        if verdict is True:
            return Decision(ADMIT, ADMIT, "", validation.index, source)
        if verdict is not False:
            message = f"expression '{source.strip()}' resulted in error: expected bool, got {type(verdict).__name__}"
            return Decision(self._error_action(), ERROR, message, validation.index, source)
        return Decision(DENY, DENY, failure_message(scope, validation), validation.index, source)
