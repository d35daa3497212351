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

from ..cel import CelEvalError
from ..cel.names import EXCEPTIONS, NAMESPACE_OBJECT, OBJECT, OLD_OBJECT, REQUEST
from ..common.expressions import Conditions
from ..common.options import EvaluationOptions
from ..common.pipeline import Admitted, PolicyPipeline
from ..request import AdmissionContext
from ..results import RuleResult
from .model import DeletingPolicy


def next_run(schedule: str, now: datetime | None = None) -> datetime:
    """The next time ``schedule`` (a cron expression, evaluated in UTC) fires after ``now``."""
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    value = croniter(schedule, moment).get_next(datetime)
    return value if isinstance(value, datetime) else moment


@dataclass(kw_only=True)
class CompiledDeletingPolicy(PolicyPipeline[DeletingPolicy]):
    """A DeletingPolicy ready to evaluate existing resources (``match_constraints`` without operations: a cleanup
    run is not admission)."""

    conditions: Conditions = ()

    def index_keys(self) -> set[tuple[str, str, str]]:
        """(group, version, plural) keys this policy can match (everything when it has no matchConstraints)."""
        return {("*", "*", "*")} if self.match_constraints is None else super().index_keys()

    def selects(self, ctx: AdmissionContext) -> bool:
        """matchConstraints select the resource; a policy without them selects everything (JSON payloads)."""
        return self.match_constraints is None or super().selects(ctx)

    def data(self, ctx: AdmissionContext) -> dict[str, Any]:
        """The existing object (no request, no old object) and its namespace."""
        return {
            OBJECT: ctx.subject,
            OLD_OBJECT: None,
            REQUEST: None,
            NAMESPACE_OBJECT: ctx.namespace_object,
            EXCEPTIONS: {"allowedValues": [], "allowedImages": []},
        }

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult:
        """Every condition must be true for the resource to be deleted at the next run."""
        when = next_run(self.policy.spec.schedule, options.now).isoformat()
        properties = {"schedule": self.policy.spec.schedule, "nextRun": when}
        for name, program in self.conditions:
            try:
                value = admitted.scope.evaluate(program)
            except CelEvalError as exc:
                return self.make_result(ctx, "error", f"condition {name!r}: {exc.message}", properties=properties)
            if value is not True:
                if value is False:
                    message = f"condition {name!r} is false: the resource would not be deleted"
                    return self.make_result(ctx, "fail", message, properties=properties)
                message = f"condition {name!r} returned {type(value).__name__}, not bool"
                return self.make_result(ctx, "error", message, properties=properties)
        message = f"the resource would be deleted at the next run ({when})"
        return self.make_result(ctx, "pass", message, properties=properties)
