"""A compiled ValidatingPolicy and its one ``evaluate``: Kyverno's order and result rules.

Order: matchConstraints, exceptions, matchConditions, variables (lazily), validations (stopping at the first false).
One policy gives one result with an empty rule name; a failure or error carries ``cel.validationIndex``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..cel import Activation, CelEnvironment, CelEvalError, Program
from ..cel.libs.kyverno_authz import is_response
from ..cel.names import EXCEPTIONS, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, REQUEST, VARIABLES
from ..common.compiled import CompiledPolicyBase, admission_data
from ..common.exceptions import PolicyException, matching_exceptions
from ..common.expressions import BoundProgram, CompiledVariables, Scope, evaluate_conditions
from ..common.model import MatchResources
from ..request import AdmissionContext
from ..results import RuleResult
from .model import ValidatingPolicy

PAYLOAD_MODES = ("JSON", "HTTP", "Envoy")


@dataclass(frozen=True)
class CompiledValidation:
    """One validation: its expression, and message or message expression."""

    index: int
    program: Program | BoundProgram
    message: str
    message_program: Program | BoundProgram | None
    reason: str


@dataclass(frozen=True)
class EvaluationOptions:
    """Knobs of an evaluation that are not part of the request."""

    audit_warn: bool = False
    now: datetime | None = None


@dataclass
class CompiledValidatingPolicy(CompiledPolicyBase):
    """A ValidatingPolicy (or one of its autogen variants) ready to evaluate many resources."""

    policy: ValidatingPolicy
    env: CelEnvironment
    match_constraints: MatchResources | None
    match_conditions: tuple[tuple[str, Program | BoundProgram], ...]
    variables: CompiledVariables
    validations: tuple[CompiledValidation, ...]
    audit_annotations: tuple[tuple[str, Program | BoundProgram], ...]
    autogen: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def json_mode(self) -> bool:
        """``evaluation.mode`` JSON, HTTP or Envoy: the object is a payload, not a Kubernetes resource."""
        return self.policy.spec.evaluation.mode in PAYLOAD_MODES

    @property
    def authz_mode(self) -> bool:
        """HTTP and Envoy modes: validations return authorization responses (or null to defer)."""
        return self.policy.spec.evaluation.mode in ("HTTP", "Envoy")

    def _result(self, ctx: AdmissionContext, result: str, message: str = "", **extra: Any) -> RuleResult:
        return self.make_result(ctx, result, message, actions=tuple(self.policy.spec.validation_actions), **extra)

    def data(self, ctx: AdmissionContext) -> dict[str, Any]:
        """The CEL variables for a request (``variables`` is added by the scope)."""
        if self.json_mode:
            return {OBJECT: ctx.object, OLD_OBJECT: None, REQUEST: None, NAMESPACE_OBJECT: None, EXCEPTIONS: {}}
        return admission_data(ctx)

    def _shared_activation(self, ctx: AdmissionContext, data: dict[str, Any]) -> Activation:
        """One activation per request and environment, shared by every policy without its own variables:
        cel-cpp converts the object lazily per activation, which costs more than most evaluations."""
        key = f"activation:{id(self.env)}:{self.json_mode}"
        activation = ctx.cache.get(key)
        if activation is None:
            activation = self.env.activation({**data, VARIABLES: {}})
            ctx.cache[key] = activation
        return activation

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate one request; ``None`` when the policy does not apply to it."""
        options = options or EvaluationOptions()
        if not self.json_mode and not self.applies_to(ctx):
            return None
        data = self.data(ctx)
        scope = Scope(self.env, data, self.variables, self._shared_activation(ctx, data))
        if exceptions:
            outcome = matching_exceptions(
                exceptions, self.policy.metadata.name, self.kind, self.env, scope, options.now
            )
            if outcome.decides:
                return self._result(
                    ctx, outcome.result, outcome.message(), rule="", properties={"exceptions": outcome.names}
                )
            if outcome.matched:
                data[EXCEPTIONS] = outcome.variable()
                scope = Scope(self.env, data, self.variables)
        conditions = evaluate_conditions(scope, self.match_conditions)
        if conditions.error:
            if self.policy.spec.failure_policy == "Ignore":
                return None
            return self._result(ctx, "error", conditions.error)
        if not conditions.matched:
            return None
        return self._validate(ctx, scope, options)

    def _authorize(self, ctx: AdmissionContext, scope: Scope) -> RuleResult:
        """HTTP/Envoy modes: the first validation returning a response decides; Allowed passes, Denied fails."""
        for validation in self.validations:
            try:
                verdict = scope.evaluate(validation.program)
            except CelEvalError as exc:
                return self._result(ctx, "error", f"error evaluating validation {validation.index}: {exc.message}",
                                    validation_index=validation.index, expression=validation.program.source)
            if verdict is None:
                continue
            if not is_response(verdict):
                return self._result(ctx, "error", f"validation {validation.index} must return a response or null",
                                    validation_index=validation.index, expression=validation.program.source)
            if verdict["allowed"]:
                return self._result(ctx, "pass", "")
            message = verdict.get("reason") or f"denied with status {verdict.get('status')}"
            return self._result(ctx, "fail", str(message), validation_index=validation.index,
                                expression=validation.program.source)
        return self._result(ctx, "pass", "no validation returned a response")

    def _validate(self, ctx: AdmissionContext, scope: Scope, options: EvaluationOptions) -> RuleResult:
        if self.authz_mode:
            return self._authorize(ctx, scope)
        properties = self._audit_annotations(scope)
        for validation in self.validations:
            try:
                verdict = scope.evaluate(validation.program)
            except CelEvalError as exc:
                return self._result(
                    ctx,
                    "error",
                    f"error evaluating validation {validation.index}: {exc.message}",
                    validation_index=validation.index,
                    expression=validation.program.source,
                    properties={**properties, "cel.validationIndex": str(validation.index)},
                )
            if verdict is True:
                continue
            if verdict is not False:
                return self._result(
                    ctx,
                    "error",
                    f"validation {validation.index} returned {type(verdict).__name__}, expected bool",
                    validation_index=validation.index,
                    expression=validation.program.source,
                    properties={**properties, "cel.validationIndex": str(validation.index)},
                )
            return self._result(
                ctx,
                self._failure_result(options),
                self._message(scope, validation),
                validation_index=validation.index,
                expression=validation.program.source,
                properties={**properties, "cel.validationIndex": str(validation.index)},
            )
        return self._result(ctx, "pass", "", properties=properties)

    def _failure_result(self, options: EvaluationOptions) -> str:
        actions = set(self.policy.spec.validation_actions) or {"Audit"}
        if "Deny" in actions:
            return "fail"
        if "Audit" in actions:
            return "warn" if options.audit_warn else "fail"
        return "warn"

    def _message(self, scope: Scope, validation: CompiledValidation) -> str:
        if validation.message_program is not None:
            try:
                value = scope.evaluate(validation.message_program)
                if isinstance(value, str) and value.strip():
                    return value
            except CelEvalError:
                pass
        if validation.message:
            return validation.message
        return f"failed expression: {validation.program.source.strip()}"

    def _audit_annotations(self, scope: Scope) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, program in self.audit_annotations:
            try:
                value = scope.evaluate(program)
            except CelEvalError:
                continue
            if value is not None:
                out[key] = str(value)
        return out
