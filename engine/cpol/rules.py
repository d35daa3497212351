"""One kyverno.io/v1 rule (not ``validate.cel``) on one matched request, in Kyverno's order.

context entries -> preconditions (error: ``error``; false: ``skip``) -> kyverno.io/v2 PolicyExceptions (``skip``)
-> the handler of the rule's type (validate, mutate, generate). ``None`` means Kyverno reports nothing for the rule
(a foreach that applied to no element, a pattern rule on a DELETE request).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..common.policy_exception import PolicyException
from ..jmespath import JMESPathError
from ..request import AdmissionContext
from .conditions import evaluate_conditions, precondition_skip_message
from .context import ContextLoadError, JsonContext
from .outcome import ERROR, SKIP, RuleOutcome
from .pss import validate_pod_security
from .rulecontext import load_rule_context, rule_context
from .validate_rule import ValidateScope, validate_block


@dataclass(frozen=True)
class RuleRequest:
    """A rule to run: its policy (name as Values files name it, namespace for a Policy) and the rule document."""

    policy: str
    policy_namespace: str
    rule: Mapping[str, Any]
    #: The name of the resource under evaluation (Values are given per resource name).
    resource_name: str = ""

    @property
    def name(self) -> str:
        """The rule's name."""
        return str(self.rule.get("name") or "")


@dataclass(frozen=True)
class RuleRun:
    """A rule's outcome and what it produced (the mutated resource, generated objects)."""

    outcome: RuleOutcome
    patched: dict[str, Any] | None = None
    generated: tuple[dict[str, Any], ...] = field(default_factory=tuple)


#: Finds the kyverno.io/v2 PolicyExceptions that apply to the rule (empty when none does).
ExceptionCheck = Callable[[JsonContext], list[PolicyException]]


def _uses_old_object(rule: Mapping[str, Any]) -> bool:
    return "request.oldObject" in json.dumps(rule.get("validate"), default=str)


def _validate(request: RuleRequest, admission: AdmissionContext, ctx: JsonContext,
              resource: Mapping[str, Any]) -> RuleRun | None:
    validate = request.rule.get("validate")
    if not isinstance(validate, Mapping):
        return RuleRun(RuleOutcome(ERROR, "validate must be a mapping"))
    is_pattern = validate.get("pattern") is not None or validate.get("anyPattern") is not None
    if admission.operation == "DELETE" and (is_pattern or validate.get("podSecurity") is not None) \
            and not _uses_old_object(request.rule):
        return None
    scope = ValidateScope(request.policy, request.name, ctx, resource, admission.resource().name)
    outcome = validate_block(scope, validate)
    return None if outcome is None else RuleRun(outcome)


Handler = Callable[[RuleRequest, AdmissionContext, JsonContext, Mapping[str, Any]], "RuleRun | None"]


def run_rule(
    request: RuleRequest,
    admission: AdmissionContext,
    resource: Mapping[str, Any],
    handler: Handler | None = None,
    exceptions: ExceptionCheck | None = None,
) -> RuleRun | None:
    """Run one rule whose match/exclude selected the request; ``resource`` is the object under evaluation (the
    output of earlier mutations for later rules). ``handler`` defaults to the validate handler."""
    ctx = rule_context(admission, request.policy, request.name)
    if resource is not admission.subject and admission.operation != "DELETE":
        ctx.set("request.object", dict(resource))
    try:
        load_rule_context(ctx, request.rule.get("context"), request.policy, request.name, admission.resource().name)
    except ContextLoadError as exc:
        return RuleRun(RuleOutcome(ERROR, f"failed to load context: {exc}"))
    try:
        conditions = evaluate_conditions(request.rule.get("preconditions"), ctx)
    except JMESPathError as exc:
        return RuleRun(RuleOutcome(ERROR, f"failed to evaluate preconditions: {exc}"))
    if not conditions.passed:
        return RuleRun(RuleOutcome(SKIP, precondition_skip_message(conditions)))
    matched = exceptions(ctx) if exceptions is not None else []
    keys = [exception.qualified_name for exception in matched]
    pod_security = request.rule.get("validate", {}).get("podSecurity") if handler is None else None
    if matched and pod_security is not None and any(e.spec.pod_security for e in matched):
        # podSecurity rules: the exceptions' controls exempt violations; the rule is skipped if none is left
        excludes = [entry for e in matched for entry in e.spec.pod_security]
        outcome = validate_pod_security(request.name, resource, pod_security, exception_excludes=excludes,
                                        exception_keys=keys)
        return RuleRun(outcome)
    if matched:
        return RuleRun(RuleOutcome(SKIP, "rule is skipped due to policy exceptions" + ", ".join(keys)))
    try:
        return (handler or _validate)(request, admission, ctx, resource)
    except ContextLoadError as exc:
        return RuleRun(RuleOutcome(ERROR, f"failed to load context: {exc}"))
