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

from ..cel import CelEnvironment, CelEvalError, Program
from ..common.expressions import BoundProgram, CompiledVariables, Compiler, Scope, evaluate_conditions
from ..common.model import AuditAnnotation, NamedExpression, Validation
from ..vpol.policy import CompiledValidation

ADMIT = "admit"
DENY = "deny"
ERROR = "error"


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

    def first_problem(self) -> Decision | None:
        """The first decision that is an error or a deny, in validation order (Kyverno reads them this way)."""
        return next((d for d in self.decisions if d.evaluation == ERROR or d.action == DENY), None)


@dataclass(frozen=True)
class AdmissionValidator:
    """Compiled match conditions, variables, validations and audit annotations of one admission policy."""

    env: CelEnvironment
    match_conditions: tuple[tuple[str, Program | BoundProgram], ...]
    variables: CompiledVariables
    validations: tuple[CompiledValidation, ...]
    audit_annotations: tuple[tuple[str, Program | BoundProgram], ...]
    failure_policy: str = "Fail"

    @classmethod
    def compile(
        cls,
        compiler: Compiler,
        *,
        match_conditions: Sequence[NamedExpression] = (),
        variables: Sequence[NamedExpression] = (),
        validations: Sequence[Validation] = (),
        audit_annotations: Sequence[AuditAnnotation] = (),
        failure_policy: str = "Fail",
        paths: dict[str, str] | None = None,
    ) -> AdmissionValidator:
        """Compile every expression with ``compiler`` (errors collect in ``compiler.errors``).

        ``paths`` overrides the field path prefixes (keys ``matchConditions``, ``variables``, ``validations``,
        ``auditAnnotations``; defaults ``spec.<key>``).
        """
        where = {key: f"spec.{key}" for key in ("matchConditions", "variables", "validations", "auditAnnotations")}
        where.update(paths or {})
        compiled_variables = CompiledVariables.compile(compiler, list(variables), where["variables"])
        conditions = []
        for i, cond in enumerate(match_conditions):
            path = f"{where['matchConditions']}[{i}].expression"
            program = compiler.compile_bound(cond.expression, path, compiled_variables)
            if program is not None:
                conditions.append((cond.name, program))
        compiled = []
        for i, validation in enumerate(validations):
            path = f"{where['validations']}[{i}]"
            program = compiler.compile_bound(validation.expression, f"{path}.expression", compiled_variables)
            message_program = None
            if validation.message_expression:
                message_program = compiler.compile_bound(
                    validation.message_expression, f"{path}.messageExpression", compiled_variables
                )
            if program is not None:
                compiled.append(CompiledValidation(i, program, validation.message, message_program, validation.reason))
        annotations = []
        for i, annotation in enumerate(audit_annotations):
            path = f"{where['auditAnnotations']}[{i}].valueExpression"
            program = compiler.compile_bound(annotation.value_expression, path, compiled_variables)
            if program is not None:
                annotations.append((annotation.key, program))
        return cls(
            compiler.env, tuple(conditions), compiled_variables, tuple(compiled), tuple(annotations), failure_policy
        )

    def _error_action(self) -> str:
        return ADMIT if self.failure_policy == "Ignore" else DENY

    def validate(self, data: dict[str, Any]) -> ValidationOutcome:
        """Evaluate against ``data`` (``object``, ``oldObject``, ``request``, ``namespaceObject``, ``params``...)."""
        scope = Scope(self.env, data, self.variables)
        conditions = evaluate_conditions(scope, self.match_conditions)
        if conditions.error:
            return ValidationOutcome(True, (Decision(self._error_action(), ERROR, conditions.error),))
        if not conditions.matched:
            return ValidationOutcome(False)
        decisions = tuple(self._decide(scope, validation) for validation in self.validations)
        return ValidationOutcome(True, decisions, self._annotations(scope))

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
        return Decision(DENY, DENY, self._message(scope, validation), validation.index, source)

    @staticmethod
    def _message(scope: Scope, validation: CompiledValidation) -> str:
        if validation.message_program is not None:
            try:
                value = scope.evaluate(validation.message_program)
            except CelEvalError:
                value = None
            if isinstance(value, str) and value.strip() and "\n" not in value:
                return value.strip()
        if validation.message.strip():
            return validation.message.strip()
        return f"failed expression: {validation.program.source.strip()}"

    def _annotations(self, scope: Scope) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, program in self.audit_annotations:
            try:
                value = scope.evaluate(program)
            except CelEvalError:
                continue
            if value is not None:
                out[key] = str(value)
        return out
