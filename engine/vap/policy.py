"""A compiled ValidatingAdmissionPolicy with its bindings: the shared pipeline with the bindings as its body.

As in Kyverno's CLI: the policy's ``matchConstraints`` must select the request; then each binding whose
``matchResources`` selects it is evaluated with the binding's parameters and ``validationActions``. A policy
without bindings is evaluated on its own (no parameters). A false match condition means the policy does not apply;
an evaluation error is an ``error`` result; a false validation a ``fail`` (``warn`` for a Warn-only binding).
PolicyExceptions do not apply to Kubernetes admission policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..common.admission import DENY, ERROR, AdmissionValidator, admission_policy_data, binding_matches
from ..common.options import EvaluationOptions
from ..common.params import ParamError, resolve_params
from ..common.pipeline import Admitted, PolicyPipeline
from ..common.validations import failure_result
from ..request import AdmissionContext
from ..results import RuleResult
from .model import ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding

_ORDER = ("error", "fail", "warn", "pass", "skip")


@dataclass(kw_only=True)
class CompiledValidatingAdmissionPolicy(PolicyPipeline[ValidatingAdmissionPolicy]):
    """A ValidatingAdmissionPolicy ready to evaluate, with the bindings that refer to it."""

    exceptions_apply = False
    validator: AdmissionValidator
    bindings: tuple[ValidatingAdmissionPolicyBinding, ...] = ()

    @property
    def rule_name(self) -> str:
        """Results carry the policy name as their rule, as Kyverno's CLI reports admission policies."""
        return self.name

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult | None:
        """Every binding that selects the request; the most severe result wins."""
        if not self.bindings:
            return self._evaluate_binding(ctx, None, options)
        results = [
            result
            for binding in self.bindings
            if binding_matches(binding.spec.match_resources, ctx)
            and (result := self._evaluate_binding(ctx, binding, options)) is not None
        ]
        if not results:
            return None
        return min(results, key=lambda r: _ORDER.index(r.result))

    def _evaluate_binding(
        self, ctx: AdmissionContext, binding: ValidatingAdmissionPolicyBinding | None, options: EvaluationOptions
    ) -> RuleResult | None:
        actions = tuple(str(a) for a in binding.spec.validation_actions) if binding is not None else ("Deny",)
        properties: dict[str, str] = {"binding": binding.metadata.name} if binding is not None else {}
        extra: dict[str, Any] = {"actions": actions}
        params: list[dict[str, Any] | None] = [None]
        kind = self.policy.spec.param_kind
        if kind is not None and binding is not None and binding.spec.param_ref is not None:
            ref = binding.spec.param_ref
            try:
                found = resolve_params(kind, ref, ctx.resource().namespace)
            except ParamError as exc:
                message = f"failed to resolve params: {exc}"
                return self.make_result(ctx, "error", message, properties=dict(properties), **extra)
            if not found:
                if ref.parameter_not_found_action == "Deny":
                    message = "no params found for policy binding with `Deny` parameterNotFoundAction"
                    return self.make_result(ctx, "error", message, properties=dict(properties), **extra)
                return None
            params = list(found)
        data = admission_policy_data(ctx)
        matched_any = False
        for param in params:
            outcome = self.validator.validate(data, param)
            if not outcome.matched:
                continue
            matched_any = True
            properties.update(outcome.audit_annotations or {})
            for decision in outcome.decisions:
                where: dict[str, Any] = {
                    "validation_index": decision.index, "expression": decision.expression, "properties": properties
                }
                if decision.evaluation == ERROR:
                    return self.make_result(ctx, "error", decision.message, **where, **extra)
                if decision.action == DENY:
                    result = failure_result(actions, options.audit_warn)
                    return self.make_result(ctx, result, decision.message, **where, **extra)
        if not matched_any:
            return None
        return self.make_result(ctx, "pass", "", properties=properties, **extra)
