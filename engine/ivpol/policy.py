"""A compiled ImageValidatingPolicy and its one ``evaluate``.

Order: matchConstraints, exceptions, matchConditions, image extraction (``images[]`` extractors, or the pod
containers by default), ``matchImageReferences`` (no matching image: the policy does not apply), then variables
and validations as in a ValidatingPolicy (stop at the first false). Functions that would contact a registry
(signature and attestation checks) make the result an ``error`` saying so; they never pass silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cel import CelEnvironment, CelEvalError, Program
from ..cel.names import ATTESTATIONS, ATTESTORS, EXCEPTIONS, IMAGES, REF
from ..common.compiled import CompiledPolicyBase, admission_data
from ..common.exceptions import PolicyException, matching_exceptions
from ..common.expressions import CompiledVariables, Scope, evaluate_conditions
from ..common.model import MatchResources
from ..request import AdmissionContext
from ..results import RuleResult
from ..vpol.policy import CompiledValidation, EvaluationOptions
from .images import default_images, filter_images
from .imageverify import REGISTRY_NEEDED, recording_registry_calls
from .model import ImageValidatingPolicy


@dataclass
class CompiledImageValidatingPolicy(CompiledPolicyBase):
    """An ImageValidatingPolicy (or autogen variant) ready to evaluate."""

    policy: ImageValidatingPolicy
    env: CelEnvironment
    match_env: CelEnvironment
    match_constraints: MatchResources | None
    match_conditions: tuple[tuple[str, Program], ...]
    variables: CompiledVariables
    validations: tuple[CompiledValidation, ...]
    extractors: tuple[tuple[str, Program], ...]
    reference_globs: tuple[str, ...]
    reference_programs: tuple[Program, ...]
    audit_annotations: tuple[tuple[str, Program], ...]
    autogen: str = ""

    def _result(self, ctx: AdmissionContext, result: str, message: str = "", **extra: Any) -> RuleResult:
        return self.make_result(ctx, result, message, actions=tuple(self.policy.spec.validation_actions), **extra)

    def _reference_matches(self, image: str) -> bool:
        for program in self.reference_programs:
            try:
                if program.evaluate(self.match_env.activation({REF: image})) is True:
                    return True
            except CelEvalError:
                continue
        return False

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate one request; ``None`` when the policy does not apply to it."""
        options = options or EvaluationOptions()
        if not self.applies_to(ctx):
            return None
        data: dict[str, Any] = {
            **admission_data(ctx),
            IMAGES: {},
            ATTESTORS: {str(a["name"]): a for a in self.policy.spec.attestors},
            ATTESTATIONS: {str(a["name"]): a for a in self.policy.spec.attestations},
        }
        scope = Scope(self.env, data, self.variables)
        if exceptions:
            policy_name = self.policy.metadata.name
            outcome = matching_exceptions(exceptions, policy_name, self.kind, self.env, scope, options.now)
            if outcome.decides:
                return self._result(ctx, outcome.result, outcome.message(), properties={"exceptions": outcome.names})
            if outcome.matched:
                data[EXCEPTIONS] = outcome.variable()
        conditions = evaluate_conditions(Scope(self.env, data, self.variables), self.match_conditions)
        if conditions.error:
            return None if self.policy.spec.failure_policy == "Ignore" else self._result(ctx, "error", conditions.error)
        if not conditions.matched:
            return None
        try:
            images = self._images(ctx, Scope(self.env, data, self.variables))
        except CelEvalError as exc:
            return self._result(ctx, "error", f"error extracting images: {exc.message}")
        selector = self._reference_matches if self.reference_programs else None
        images = filter_images(images, list(self.reference_globs), selector)
        if (self.reference_globs or self.reference_programs) and not any(images.values()):
            return None
        data[IMAGES] = images
        with recording_registry_calls() as calls:
            result = self._validate(ctx, Scope(self.env, data, self.variables), options)
        if calls:
            return self._result(ctx, "error", f"{REGISTRY_NEEDED} (called {', '.join(sorted(set(calls)))})")
        return result

    def _images(self, ctx: AdmissionContext, scope: Scope) -> dict[str, list[str]]:
        if not self.extractors:
            return default_images(ctx.subject)
        out: dict[str, list[str]] = {}
        for name, program in self.extractors:
            value = scope.evaluate(program)
            items = value if isinstance(value, list) else [value]
            out[name] = [str(item) for item in items if item is not None]
        return out

    def _validate(self, ctx: AdmissionContext, scope: Scope, options: EvaluationOptions) -> RuleResult:
        properties: dict[str, str] = {}
        for key, program in self.audit_annotations:
            try:
                value = scope.evaluate(program)
            except CelEvalError:
                continue
            if value is not None:
                properties[key] = str(value)
        for validation in self.validations:
            extra: dict[str, Any] = {
                "validation_index": validation.index,
                "expression": validation.program.source,
                "properties": {**properties, "cel.validationIndex": str(validation.index)},
            }
            try:
                verdict = scope.evaluate(validation.program)
            except CelEvalError as exc:
                return self._result(ctx, "error", f"error evaluating validation {validation.index}: {exc.message}",
                                    **extra)
            if verdict is True:
                continue
            if verdict is not False:
                message = f"validation {validation.index} returned {type(verdict).__name__}, expected bool"
                return self._result(ctx, "error", message, **extra)
            return self._result(ctx, self._failure_result(options), self._message(scope, validation), **extra)
        return self._result(ctx, "pass", "", properties=properties)

    def _failure_result(self, options: EvaluationOptions) -> str:
        actions = set(self.policy.spec.validation_actions) or {"Deny"}
        if "Deny" in actions:
            return "fail"
        if "Audit" in actions:
            return "warn" if options.audit_warn else "fail"
        return "warn"

    @staticmethod
    def _message(scope: Scope, validation: CompiledValidation) -> str:
        if validation.message_program is not None:
            try:
                value = scope.evaluate(validation.message_program)
                if isinstance(value, str) and value.strip():
                    return value
            except CelEvalError:
                pass
        return validation.message or f"failed expression: {validation.program.source.strip()}"
