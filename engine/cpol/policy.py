"""One compiled ClusterPolicy/Policy rule and its ``evaluate`` (Kyverno's ``validate.cel`` handler).

Each rule (and each autogen copy) is its own compiled policy object carrying the policy name, so that a policy gives
one :class:`RuleResult` per rule, named after the rule. Order: policy namespace (Policy), match/exclude, then for
``validate.cel`` the parameter objects, ``celPreconditions`` (skip when false), variables and expressions. The
first expression that is false (or fails under failurePolicy Fail) makes the rule fail; otherwise it passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cel import CelEnvironment
from ..cel.names import AUTHORIZER, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, PARAMS, REQUEST
from ..common.compiled import CATEGORY_ANNOTATION, SCORED_ANNOTATION, SEVERITY_ANNOTATION
from ..common.exceptions import PolicyException
from ..request import AdmissionContext
from ..resources import DEFAULT_CATALOG, guess_plural
from ..results import ResourceRef, RuleResult
from ..vap.params import ParamError, resolve_params
from ..vap.validator import ADMIT, DENY, ERROR, AdmissionValidator
from ..vpol.policy import EvaluationOptions
from .match import KindSelector, MatchSubject, rule_matches
from .model import ClusterPolicy, Rule


def _plural_of(kind: str) -> str:
    for resource_type in DEFAULT_CATALOG.types():
        if resource_type.kind == kind:
            return resource_type.plural
    return guess_plural(kind)


@dataclass
class CompiledRule:
    """A ClusterPolicy rule (or autogen copy) ready to evaluate; ``unsupported`` names a rule type not evaluated."""

    policy: ClusterPolicy
    rule: Rule
    env: CelEnvironment
    validator: AdmissionValidator | None
    unsupported: str = ""
    autogen: str = ""

    @property
    def name(self) -> str:
        """The policy name reports use (``ns/name`` for Policy)."""
        return self.policy.qualified_name

    @property
    def kind(self) -> str:
        """``ClusterPolicy`` or ``Policy``."""
        return self.policy.kind

    @property
    def rule_name(self) -> str:
        """The rule name (``autogen-...`` for autogen copies)."""
        return self.rule.name

    @property
    def failure_action(self) -> str:
        """``Audit`` or ``Enforce``: the rule's ``validate.failureAction`` or the policy's default."""
        action = (self.rule.validation.failure_action if self.rule.validation else "") or (
            self.policy.spec.validation_failure_action
        )
        return "Enforce" if action.lower() == "enforce" else "Audit"

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys of the kinds the rule matches (``*`` for wildcards and unknowns)."""
        keys: set[tuple[str, str, str]] = set()
        kinds = self.rule.match.kinds()
        if not kinds:
            return {("*", "*", "*")}
        for text in kinds:
            selector = KindSelector.parse(text)
            wild = any(c in selector.kind for c in "*?")
            group = "*" if any(c in selector.group for c in "*?") else selector.group
            version = "*" if any(c in selector.version for c in "*?") else selector.version
            keys.add((group, version, "*" if wild else _plural_of(selector.kind)))
        return keys

    def _result(self, ctx: AdmissionContext, result: str, message: str, **extra: Any) -> RuleResult:
        annotations = self.policy.metadata.annotations
        scored = annotations.get(SCORED_ANNOTATION, "true") != "false"
        if result == "fail" and not scored:
            result = "warn"
        return RuleResult(
            policy=self.name,
            policy_kind=self.kind,
            result=result,
            resource=ResourceRef.of(ctx.subject),
            rule=self.rule.name,
            message=message,
            severity=annotations.get(SEVERITY_ANNOTATION, ""),
            category=annotations.get(CATEGORY_ANNOTATION, ""),
            scored=scored,
            actions=("Deny",) if self.failure_action == "Enforce" else ("Audit",),
            **extra,
        )

    def applies_to(self, ctx: AdmissionContext) -> bool:
        """The policy namespace (for Policy) and the rule's match/exclude select the request."""
        if self.policy.namespaced and ctx.resource().namespace != self.policy.metadata.namespace:
            return False
        return rule_matches(self.rule.match, self.rule.exclude, MatchSubject.of(ctx))

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate the rule on one request; ``None`` when it does not match."""
        options = options or EvaluationOptions()
        if not self.applies_to(ctx):
            return None
        if self.unsupported or self.validator is None:
            return self._result(ctx, "error", f"unsupported rule type: {self.unsupported or 'unknown'}")
        cel = self.rule.validation.cel if self.rule.validation else None
        params: list[dict[str, Any] | None] = [None]
        if cel is not None and cel.param_kind is not None and cel.param_ref is not None:
            try:
                found = resolve_params(cel.param_kind, cel.param_ref, ctx.resource().namespace)
            except ParamError as exc:
                return self._result(ctx, "error", f"error in parameterized resource: {exc}")
            if not found and cel.param_ref.parameter_not_found_action == "Deny":
                return self._result(ctx, "error", "error in parameterized resource: no params found")
            params = list(found)
        return self._validate(ctx, self.validator, params, options)

    def _validate(
        self,
        ctx: AdmissionContext,
        validator: AdmissionValidator,
        params: list[dict[str, Any] | None],
        options: EvaluationOptions,
    ) -> RuleResult:
        base = {
            OBJECT: ctx.object,
            OLD_OBJECT: ctx.old_object,
            REQUEST: ctx.request(),
            NAMESPACE_OBJECT: ctx.namespace_object,
            AUTHORIZER: None,
        }
        properties: dict[str, str] = {}
        for param in params:
            outcome = validator.validate({**base, PARAMS: param})
            if not outcome.matched:
                return self._result(ctx, "skip", "cel preconditions not met")
            properties.update(outcome.audit_annotations or {})
            for decision in outcome.decisions:
                extra: dict[str, Any] = {
                    "validation_index": decision.index,
                    "expression": decision.expression,
                    "properties": dict(properties),
                }
                if decision.action == ADMIT and decision.evaluation == ERROR:
                    return self._result(ctx, "error", decision.message, **extra)
                if decision.action == DENY:
                    result = "fail"
                    if options.audit_warn and self.failure_action == "Audit":
                        result = "warn"
                    return self._result(ctx, result, decision.message, **extra)
        return self._result(ctx, "pass", f"Validation rule '{self.rule.name}' passed.", properties=properties)
