"""Validations, written once for every validating kind: compiling them with their field paths, the message of a
failure, the result a failure gives under ``validationActions``, and audit annotations.

The message follows the Kubernetes validator (``k8s.io/apiserver`` ``validating``), which Kyverno's CEL policies and
``validate.cel`` rules share: the ``messageExpression`` value when it evaluates to a non-blank string of one line
(trimmed); otherwise the static ``message`` (trimmed); otherwise ``failed expression: <expression>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..cel import CelEvalError, Program
from ..request import AdmissionContext
from ..results import RuleResult
from .expressions import BoundProgram, CompiledVariables, Compiler, Scope
from .model import AuditAnnotation, Validation
from .options import EvaluationOptions
from .pipeline import PolicyPipeline, PolicyT

Annotations = tuple[tuple[str, Program | BoundProgram], ...]
#: :meth:`ValidatingPipeline.failure_at` evaluates the message expression itself.
NOT_EVALUATED: Any = object()


@dataclass(frozen=True)
class CompiledValidation:
    """One validation: its index in the list, its expression, and its message or message expression."""

    index: int
    program: Program | BoundProgram
    message: str
    message_program: Program | BoundProgram | None
    reason: str


def _compile(
    compiler: Compiler, source: str, path: str, variables: CompiledVariables | None
) -> Program | BoundProgram | None:
    if variables is None:
        return compiler.compile_expression(source, path)
    return compiler.compile_bound(source, path, variables)


def compile_validations(
    compiler: Compiler,
    validations: Sequence[Validation],
    prefix: str,
    variables: CompiledVariables | None = None,
) -> tuple[CompiledValidation, ...]:
    """Compile ``validations`` (paths ``{prefix}[i].expression`` and ``.messageExpression``); with ``variables``, the
    variables each expression reads are bound inline. Failures are recorded in the compiler and left out."""
    compiled = []
    for i, validation in enumerate(validations):
        program = _compile(compiler, validation.expression, f"{prefix}[{i}].expression", variables)
        message_program = None
        if validation.message_expression:
            message_program = _compile(
                compiler, validation.message_expression, f"{prefix}[{i}].messageExpression", variables
            )
        if program is not None:
            compiled.append(CompiledValidation(i, program, validation.message, message_program, validation.reason))
    return tuple(compiled)


def compile_audit_annotations(
    compiler: Compiler,
    annotations: Sequence[AuditAnnotation],
    prefix: str,
    variables: CompiledVariables | None = None,
) -> Annotations:
    """Compile ``auditAnnotations`` (paths ``{prefix}[i].valueExpression``)."""
    compiled = []
    for i, annotation in enumerate(annotations):
        program = _compile(compiler, annotation.value_expression, f"{prefix}[{i}].valueExpression", variables)
        if program is not None:
            compiled.append((annotation.key, program))
    return tuple(compiled)


def audit_annotations(scope: Scope, annotations: Annotations) -> dict[str, str]:
    """The audit annotations that evaluate to a value (an erroring or null one is left out)."""
    out: dict[str, str] = {}
    for key, program in annotations:
        try:
            value = scope.evaluate(program)
        except CelEvalError:
            continue
        if value is not None:
            out[key] = str(value)
    return out


def failure_message(scope: Scope, validation: CompiledValidation) -> str:
    """The message of a validation that returned false (see the module docstring for the rules)."""
    value = None
    if validation.message_program is not None:
        try:
            value = scope.evaluate(validation.message_program)
        except CelEvalError:
            value = None
    return message_of(validation, value)


def message_of(validation: CompiledValidation, value: Any) -> str:
    """The message of a validation that returned false, given the value of its ``messageExpression`` (None when it
    has none or it failed)."""
    if isinstance(value, str) and value.strip() and "\n" not in value.strip():
        return value.strip()
    if validation.message.strip():
        return validation.message.strip()
    return f"failed expression: {validation.program.source.strip()}"


def failure_result(actions: Iterable[str], audit_warn: bool = False) -> str:
    """The result a failed validation gives: ``fail`` under Deny; under Audit ``fail`` (``warn`` with
    ``--audit-warn``); ``warn`` under Warn alone. No actions count as Deny."""
    chosen = set(actions) or {"Deny"}
    if "Deny" in chosen:
        return "fail"
    if "Audit" in chosen:
        return "warn" if audit_warn else "fail"
    return "warn"


@dataclass(kw_only=True)
class ValidatingPipeline(PolicyPipeline[PolicyT]):
    """A policy whose body is ``validations[]`` (ValidatingPolicy, ImageValidatingPolicy): evaluated in order,
    stopping at the first false; one result with an empty rule name; a failure or error carries
    ``cel.validationIndex`` and the audit annotations as properties."""

    validations: tuple[CompiledValidation, ...] = ()
    audit_annotations: Annotations = field(default=())

    def validate(self, ctx: AdmissionContext, scope: Scope, options: EvaluationOptions) -> RuleResult:
        """Run the validations on an admitted request."""
        properties = audit_annotations(scope, self.audit_annotations)
        for validation in self.validations:
            try:
                verdict = scope.evaluate(validation.program)
            except CelEvalError as exc:
                message = f"error evaluating validation {validation.index}: {exc.message}"
                return self._validation_result(ctx, "error", message, validation, properties)
            if verdict is True:
                continue
            if verdict is not False:
                message = f"validation {validation.index} returned {type(verdict).__name__}, expected bool"
                return self._validation_result(ctx, "error", message, validation, properties)
            result = failure_result(self.actions, options.audit_warn)
            return self._validation_result(ctx, result, failure_message(scope, validation), validation, properties)
        return self.make_result(ctx, "pass", "", properties=properties)

    def failure_at(
        self, ctx: AdmissionContext, position: int, options: EvaluationOptions, message: Any = NOT_EVALUATED
    ) -> RuleResult:
        """The result :meth:`validate` gives on an admitted request when the validations before ``validations
        [position]`` returned true and that one returned false (a batch program found it, see ``batch.py``);
        ``message``: the value of its ``messageExpression`` when the caller evaluated it."""
        validation = self.validations[position]
        result = failure_result(self.actions, options.audit_warn)
        if message is not NOT_EVALUATED and not self.audit_annotations:
            return self._validation_result(ctx, result, message_of(validation, message), validation, {})
        scope = self.scope(ctx, self.data(ctx))
        properties = audit_annotations(scope, self.audit_annotations)
        text = failure_message(scope, validation) if message is NOT_EVALUATED else message_of(validation, message)
        return self._validation_result(ctx, result, text, validation, properties)

    def _validation_result(
        self,
        ctx: AdmissionContext,
        result: str,
        message: str,
        validation: CompiledValidation,
        properties: dict[str, str],
    ) -> RuleResult:
        """A result decided by one validation: its index and expression, ``cel.validationIndex`` in properties."""
        return self.make_result(
            ctx, result, message, validation_index=validation.index, expression=validation.program.source,
            properties={**properties, "cel.validationIndex": str(validation.index)},
        )
