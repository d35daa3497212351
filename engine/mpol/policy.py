"""A compiled MutatingPolicy and its ``evaluate``: Kyverno's order and result rules for mutations.

Order: matchConstraints (and the namespace of a NamespacedMutatingPolicy), exceptions, matchConditions, then the
mutations in order, each seeing the object as the previous one left it. With ``reinvocationPolicy: IfNeeded`` the
mutations run once more on a changed object. A policy that applied gives one ``pass`` result carrying the mutated
object in ``patched`` (Kyverno reports mutations as pass); an evaluation error gives ``error`` (``None`` under
``failurePolicy: Ignore``); a policy that does not apply gives ``None`` (reported as skip).

With ``evaluation.mutateExisting.enabled`` the triggering object is not mutated: :meth:`evaluate_targets` mutates
the targets selected by ``targetMatchConstraints`` (its CEL ``expression``, or its rules over candidate objects).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..cel import CelEvalError, Program
from ..cel.names import OBJECT, OLD_OBJECT
from ..common.expressions import BoundProgram, Conditions, Scope, evaluate_conditions
from ..common.match import matches, without_operations
from ..common.model import MatchResources
from ..common.mutation import CompiledMutation, MutationError, mutate
from ..common.options import EvaluationOptions
from ..common.pipeline import Admitted, PolicyPipeline
from ..common.policy_exception import PolicyException
from ..request import AdmissionContext
from ..results import RuleResult
from .model import MutatingPolicy, TargetMatchConstraints


@dataclass(kw_only=True)
class CompiledMutatingPolicy(PolicyPipeline[MutatingPolicy]):
    """A MutatingPolicy (or one of its autogen variants) ready to evaluate many resources."""

    mutations: tuple[CompiledMutation, ...] = ()
    target_constraints: TargetMatchConstraints | None = None
    target_expression: Program | BoundProgram | None = None
    target_conditions: Conditions = ()

    @property
    def mutate_existing(self) -> bool:
        """Whether the policy mutates existing targets rather than the triggering object."""
        return self.policy.spec.mutate_existing and self.target_constraints is not None

    def handles(self, ctx: AdmissionContext) -> bool:
        """An object to mutate, and a policy that mutates it rather than existing targets."""
        return ctx.object is not None and not self.mutate_existing

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult | None:
        """The mutations, applied to the object under admission."""
        assert ctx.object is not None
        return self._mutate(ctx.object, admitted.data, ctx.object)

    def _mutate(self, obj: dict[str, Any], data: dict[str, Any], subject: dict[str, Any]) -> RuleResult | None:
        try:
            patched = mutate(
                self.env, data, self.variables, self.mutations, obj,
                reinvocation_policy=self.policy.spec.reinvocation_policy, autogen=self.autogen,
            )
        except MutationError as exc:
            if self.failure_policy == "Ignore":
                return None
            message = f"error applying mutation {exc.index}: {exc.message}"
            return self.make_result(None, "error", message, subject=subject, expression=exc.expression)
        return self.make_result(None, "pass", "", subject=subject, patched=patched)

    def evaluate_targets(
        self,
        ctx: AdmissionContext,
        candidates: Iterable[dict[str, Any]] = (),
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> list[RuleResult]:
        """Mutate-existing preview: the results on each target selected for the triggering request ``ctx``.

        Targets come from ``targetMatchConstraints.expression`` (evaluated on the trigger; an object or a list of
        objects) or, without an expression, from the ``candidates`` its rules and selectors select.
        """
        options = options or EvaluationOptions()
        if not self.mutate_existing or not self.applies_to(ctx):
            return []
        admitted = self.admit(ctx, exceptions, options)
        if not isinstance(admitted, Admitted):
            return [admitted] if admitted is not None else []
        try:
            targets = self._targets(ctx, admitted.data, candidates)
        except CelEvalError as exc:
            return [self.make_result(ctx, "error", f"error selecting targets: {exc.message}")]
        results = []
        for target in targets:
            target_data = {**admitted.data, OBJECT: target, OLD_OBJECT: target}
            if self.target_conditions:
                outcome = evaluate_conditions(Scope(self.env, target_data, self.variables), self.target_conditions)
                if outcome.error:
                    results.append(self.make_result(None, "error", outcome.error, subject=target))
                    continue
                if not outcome.matched:
                    continue
            result = self._mutate(target, target_data, target)
            if result is not None:
                results.append(result)
        return results

    def _targets(
        self, ctx: AdmissionContext, data: dict[str, Any], candidates: Iterable[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        if self.target_expression is not None:
            value = Scope(self.env, data, self.variables).evaluate(self.target_expression)
            items = value if isinstance(value, list) else [value]
            out: list[dict[str, Any]] = []
            for item in items:
                if isinstance(item, dict) and _is_list_object(item):
                    out.extend(i for i in item["items"] if isinstance(i, dict))
                elif isinstance(item, dict) and item:
                    out.append(item)
            return out
        constraints = self.target_constraints
        selected = []
        for candidate in candidates:
            target_ctx = AdmissionContext(
                operation="UPDATE",
                object=candidate,
                old_object=candidate,
                user_info=ctx.user_info,
                namespace_object=None,
            )
            if constraints is not None and _target_matches(constraints, target_ctx):
                selected.append(candidate)
        return selected


def _is_list_object(obj: dict[str, Any]) -> bool:
    """A ``...List`` object (or a bare ``{"items": [...]}``) as ``resource.List`` returns."""
    if not isinstance(obj.get("items"), list):
        return False
    return "kind" not in obj or str(obj.get("kind", "")).endswith("List")


def _target_matches(constraints: MatchResources, ctx: AdmissionContext) -> bool:
    """Target rules select by resource and selectors; their operations do not apply to existing objects."""
    return matches(without_operations(constraints), ctx)
