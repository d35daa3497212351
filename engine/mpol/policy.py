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

from ..cel import CelEnvironment, CelEvalError, Program
from ..cel.names import EXCEPTIONS, OBJECT, OLD_OBJECT
from ..common.compiled import CompiledPolicyBase, admission_data
from ..common.exceptions import PolicyException, matching_exceptions
from ..common.expressions import CompiledVariables, Scope, evaluate_conditions
from ..common.match import matches
from ..common.model import MatchResources
from ..request import AdmissionContext
from ..results import RuleResult
from ..vpol.policy import EvaluationOptions
from .model import MutatingPolicy, TargetMatchConstraints
from .mutate import CompiledMutation, MutationError, run_mutations


@dataclass
class CompiledMutatingPolicy(CompiledPolicyBase):
    """A MutatingPolicy (or one of its autogen variants) ready to evaluate many resources."""

    policy: MutatingPolicy
    env: CelEnvironment
    match_constraints: MatchResources | None
    match_conditions: tuple[tuple[str, Program], ...]
    variables: CompiledVariables
    mutations: tuple[CompiledMutation, ...]
    target_constraints: TargetMatchConstraints | None = None
    target_expression: Program | None = None
    target_conditions: tuple[tuple[str, Program], ...] = ()
    autogen: str = ""

    @property
    def mutate_existing(self) -> bool:
        """Whether the policy mutates existing targets rather than the triggering object."""
        return self.policy.spec.mutate_existing and self.target_constraints is not None

    def data(self, ctx: AdmissionContext) -> dict[str, Any]:
        """The CEL variables for a request (``variables`` is added by the scope)."""
        return admission_data(ctx)

    def _result(self, subject: dict[str, Any], result: str, message: str = "", **extra: Any) -> RuleResult:
        return self.make_result(None, result, message, subject=subject, **extra)

    def _admit(
        self, ctx: AdmissionContext, exceptions: list[PolicyException] | None, options: EvaluationOptions
    ) -> tuple[dict[str, Any], RuleResult | None, bool]:
        """Match, exceptions and conditions: (CEL data, a final result if decided, whether to go on)."""
        data = self.data(ctx)
        scope = Scope(self.env, data, self.variables)
        if exceptions:
            name = self.policy.metadata.name
            outcome = matching_exceptions(exceptions, name, self.kind, self.env, scope, options.now)
            if outcome.decides:
                decided = self._result(
                    ctx.subject, outcome.result, outcome.message(), properties={"exceptions": outcome.names}
                )
                return data, decided, False
            if outcome.matched:
                data[EXCEPTIONS] = outcome.variable()
                scope = Scope(self.env, data, self.variables)
        conditions = evaluate_conditions(scope, self.match_conditions)
        if conditions.error:
            if self.policy.spec.failure_policy == "Ignore":
                return data, None, False
            return data, self._result(ctx.subject, "error", conditions.error), False
        return data, None, conditions.matched

    def evaluate(
        self,
        ctx: AdmissionContext,
        exceptions: list[PolicyException] | None = None,
        options: EvaluationOptions | None = None,
    ) -> RuleResult | None:
        """Evaluate one request; ``None`` when the policy does not apply to it."""
        options = options or EvaluationOptions()
        if ctx.object is None or not self.applies_to(ctx) or self.mutate_existing:
            return None
        data, decided, go_on = self._admit(ctx, exceptions, options)
        if not go_on:
            return decided
        return self._mutate(ctx.object, data, ctx.object)

    def _mutate(self, obj: dict[str, Any], data: dict[str, Any], subject: dict[str, Any]) -> RuleResult | None:
        try:
            patched = run_mutations(self.env, data, self.variables, self.mutations, obj, self.autogen)
            if self.policy.spec.reinvocation_policy == "IfNeeded" and patched != obj:
                patched = run_mutations(self.env, data, self.variables, self.mutations, patched, self.autogen)
        except MutationError as exc:
            if self.policy.spec.failure_policy == "Ignore":
                return None
            return self._result(
                subject,
                "error",
                f"error applying mutation {exc.index}: {exc.message}",
                expression=exc.expression,
            )
        return self._result(subject, "pass", "", patched=patched)

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
        data, decided, go_on = self._admit(ctx, exceptions, options)
        if decided is not None:
            return [decided]
        if not go_on:
            return []
        try:
            targets = self._targets(ctx, data, candidates)
        except CelEvalError as exc:
            return [self._result(ctx.subject, "error", f"error selecting targets: {exc.message}")]
        results = []
        for target in targets:
            target_data = {**data, OBJECT: target, OLD_OBJECT: target}
            if self.target_conditions:
                scope = Scope(self.env, target_data, self.variables)
                outcome = evaluate_conditions(scope, self.target_conditions)
                if outcome.error:
                    results.append(self._result(target, "error", outcome.error))
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
    relaxed = constraints.model_copy(
        update={
            "resource_rules": [r.model_copy(update={"operations": []}) for r in constraints.resource_rules],
            "exclude_resource_rules": [
                r.model_copy(update={"operations": []}) for r in constraints.exclude_resource_rules
            ],
        }
    )
    return matches(relaxed, ctx)
