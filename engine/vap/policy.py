"""A compiled ValidatingAdmissionPolicy with its bindings, and its one ``evaluate``.

As in Kyverno's CLI: the policy's ``matchConstraints`` must select the request; then each binding whose
``matchResources`` selects it is evaluated with the binding's parameters and ``validationActions``. A policy
without bindings is evaluated on its own (no parameters). A false match condition means the policy does not apply;
an evaluation error is an ``error`` result; a false validation a ``fail`` (``warn`` for a Warn-only binding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cel.names import AUTHORIZER, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, PARAMS, REQUEST
from ..common.exceptions import PolicyException
from ..common.match import index_keys, matches
from ..common.model import MatchResources, ResourceRule
from ..request import AdmissionContext
from ..results import ResourceRef, RuleResult
from ..vpol.policy import EvaluationOptions
from .model import ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding
from .params import ParamError, resolve_params
from .validator import DENY, ERROR, AdmissionValidator

_ANY_RULE = ResourceRule(api_groups=["*"], api_versions=["*"], resources=["*"], operations=["*"])
_ORDER = ("error", "fail", "warn", "pass", "skip")


def binding_matches(match_resources: MatchResources | None, ctx: AdmissionContext) -> bool:
    """A binding's ``matchResources`` (absent, or without resourceRules, means every request the policy matches)."""
    if match_resources is None:
        return True
    if not match_resources.resource_rules:
        match_resources = match_resources.model_copy(update={"resource_rules": [_ANY_RULE]})
    return matches(match_resources, ctx)


@dataclass
class CompiledValidatingAdmissionPolicy:
    """A ValidatingAdmissionPolicy ready to evaluate, with the bindings that refer to it."""

    policy: ValidatingAdmissionPolicy
    validator: AdmissionValidator
    bindings: tuple[ValidatingAdmissionPolicyBinding, ...] = ()
    autogen: str = ""

    @property
    def name(self) -> str:
        """The policy name."""
        return self.policy.qualified_name

    @property
    def kind(self) -> str:
        """``ValidatingAdmissionPolicy``."""
        return self.policy.kind

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys of ``matchConstraints``."""
        return index_keys(self.policy.spec.match_constraints)

    def _result(self, ctx: AdmissionContext, result: str, message: str, actions: list[str], **extra: Any) -> RuleResult:
        return RuleResult(
            policy=self.name,
            policy_kind=self.kind,
            result=result,
            resource=ResourceRef.of(ctx.subject),
            rule=self.name,
            message=message,
            actions=tuple(actions),
            **extra,
        )

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate one request; ``None`` when neither the policy nor any binding applies."""
        options = options or EvaluationOptions()
        if not matches(self.policy.spec.match_constraints, ctx):
            return None
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
        actions: list[str] = [str(a) for a in binding.spec.validation_actions] if binding is not None else ["Deny"]
        extra: dict[str, Any] = {"properties": {"binding": binding.metadata.name}} if binding is not None else {}
        params: list[dict[str, Any] | None] = [None]
        kind = self.policy.spec.param_kind
        if kind is not None and binding is not None and binding.spec.param_ref is not None:
            ref = binding.spec.param_ref
            try:
                found = resolve_params(kind, ref, ctx.resource().namespace)
            except ParamError as exc:
                return self._result(ctx, "error", f"failed to resolve params: {exc}", actions, **extra)
            if not found:
                if ref.parameter_not_found_action == "Deny":
                    message = "no params found for policy binding with `Deny` parameterNotFoundAction"
                    return self._result(ctx, "error", message, actions, **extra)
                return None
            params = list(found)
        data = {
            OBJECT: ctx.object,
            OLD_OBJECT: ctx.old_object,
            REQUEST: ctx.request(),
            NAMESPACE_OBJECT: ctx.namespace_object,
            AUTHORIZER: None,
        }
        properties: dict[str, str] = dict(extra.get("properties") or {})
        matched_any = False
        for param in params:
            outcome = self.validator.validate({**data, PARAMS: param})
            if not outcome.matched:
                continue
            matched_any = True
            properties.update(outcome.audit_annotations or {})
            for decision in outcome.decisions:
                if decision.evaluation == ERROR:
                    return self._result(
                        ctx, "error", decision.message, actions,
                        validation_index=decision.index, expression=decision.expression, properties=properties,
                    )
                if decision.action == DENY:
                    return self._result(
                        ctx, self._failure_result(actions, options), decision.message, actions,
                        validation_index=decision.index, expression=decision.expression, properties=properties,
                    )
        if not matched_any:
            return None
        return self._result(ctx, "pass", "", actions, properties=properties)

    @staticmethod
    def _failure_result(actions: list[str], options: EvaluationOptions) -> str:
        chosen = set(actions) or {"Deny"}
        if "Deny" in chosen:
            return "fail"
        if "Audit" in chosen:
            return "warn" if options.audit_warn else "fail"
        return "warn"
