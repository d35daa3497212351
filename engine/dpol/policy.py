"""A compiled DeletingPolicy and its one ``evaluate``: would the next scheduled run delete this resource?

Kyverno's cleanup controller lists the resources selected by ``matchConstraints`` (operations play no part: it is
not admission) and deletes those for which every condition is true. Results, as ``kyverno test`` reports them:
``pass`` when the resource would be deleted, ``fail`` when a condition is false, ``error`` when a condition fails to
evaluate; ``None`` (skip) when the policy does not select the resource. The message and the ``nextRun`` property
give the next run time of ``schedule``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from croniter import croniter

from ..cel import CelEnvironment, CelEvalError, Program
from ..cel.names import EXCEPTIONS, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, REQUEST
from ..common.compiled import CompiledPolicyBase
from ..common.exceptions import PolicyException, matching_exceptions
from ..common.expressions import CompiledVariables, Scope
from ..common.match import index_keys, matches
from ..common.model import MatchResources
from ..request import AdmissionContext
from ..results import RuleResult
from ..vpol.policy import EvaluationOptions
from .model import DeletingPolicy


def next_run(schedule: str, now: datetime | None = None) -> datetime:
    """The next time ``schedule`` (a cron expression, evaluated in UTC) fires after ``now``."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    value = croniter(schedule, moment).get_next(datetime)
    return value if isinstance(value, datetime) else moment


def _without_operations(constraints: MatchResources | None) -> MatchResources | None:
    if constraints is None:
        return None
    rules = [rule.model_copy(update={"operations": []}) for rule in constraints.resource_rules]
    excluded = [rule.model_copy(update={"operations": []}) for rule in constraints.exclude_resource_rules]
    return constraints.model_copy(update={"resource_rules": rules, "exclude_resource_rules": excluded})


@dataclass
class CompiledDeletingPolicy(CompiledPolicyBase):
    """A DeletingPolicy ready to evaluate existing resources."""

    policy: DeletingPolicy
    env: CelEnvironment
    conditions: tuple[tuple[str, Program], ...]
    variables: CompiledVariables
    autogen: str = ""

    def __post_init__(self) -> None:
        self._constraints = _without_operations(self.policy.spec.match_constraints)

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys this policy can match (everything when it has no matchConstraints)."""
        if self.policy.spec.match_constraints is None:
            return {("*", "*", "*")}
        return index_keys(self.policy.spec.match_constraints)

    def applies_to(self, ctx: AdmissionContext) -> bool:
        """matchConstraints (ignoring operations) and the policy namespace select the resource.

        A policy without matchConstraints selects everything (JSON payloads)."""
        res = ctx.resource()
        if self.policy.namespaced and res.namespace != self.policy.metadata.namespace:
            return False
        return self._constraints is None or matches(self._constraints, ctx, res)

    def _result(self, ctx: AdmissionContext, result: str, message: str = "", **extra: Any) -> RuleResult:
        return self.make_result(ctx, result, message, **extra)

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate one existing resource; ``None`` when the policy does not select it."""
        options = options or EvaluationOptions()
        if not self.applies_to(ctx):
            return None
        subject = ctx.subject
        data: dict[str, Any] = {
            OBJECT: subject,
            OLD_OBJECT: None,
            REQUEST: None,
            NAMESPACE_OBJECT: ctx.namespace_object,
            EXCEPTIONS: {"allowedValues": [], "allowedImages": []},
        }
        scope = Scope(self.env, data, self.variables)
        if exceptions:
            policy_name = self.policy.metadata.name
            outcome = matching_exceptions(exceptions, policy_name, self.kind, self.env, scope, options.now)
            if outcome.decides:
                return self._result(ctx, outcome.result, outcome.message(), properties={"exceptions": outcome.names})
            if outcome.matched:
                data[EXCEPTIONS] = outcome.variable()
                scope = Scope(self.env, data, self.variables)
        when = next_run(self.policy.spec.schedule, options.now).isoformat()
        properties = {"schedule": self.policy.spec.schedule, "nextRun": when}
        for name, program in self.conditions:
            try:
                value = scope.evaluate(program)
            except CelEvalError as exc:
                return self._result(ctx, "error", f"condition {name!r}: {exc.message}", properties=properties)
            if value is not True:
                if value is False:
                    message = f"condition {name!r} is false: the resource would not be deleted"
                    return self._result(ctx, "fail", message, properties=properties)
                message = f"condition {name!r} returned {type(value).__name__}, not bool"
                return self._result(ctx, "error", message, properties=properties)
        message = f"the resource would be deleted at the next run ({when})"
        return self._result(ctx, "pass", message, properties=properties)
