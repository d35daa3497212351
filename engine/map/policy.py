"""A compiled MutatingAdmissionPolicy with its bindings: the shared pipeline with the bindings as its body.

For a request the policy's ``matchConstraints`` select, every binding whose ``matchResources`` selects it in turn
resolves its parameters (``paramRef`` by name, or by label selector as a list object with ``items``), checks
``matchConditions`` and applies the ``mutations`` in order, on the object the previous binding left. A policy
without a binding is evaluated on its own, as the Kyverno CLI does. The result is ``pass`` with the mutated object,
``error`` for evaluation errors and missing parameters (under ``parameterNotFoundAction: Deny``), or ``None``.

Parameters come from documents loaded with the policies (anything that is not a policy or binding, and a Test's
``paramResources``) and, failing that, from the ``resource`` provider of the evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..cel.names import OBJECT, PARAMS
from ..common.admission import admission_policy_data, binding_matches
from ..common.expressions import Conditions, Scope, evaluate_conditions
from ..common.mutation import CompiledMutation, MutationError, mutate
from ..common.options import EvaluationOptions
from ..common.params import ParamError, resolve_params
from ..common.pipeline import Admitted, PolicyPipeline
from ..request import AdmissionContext
from ..results import RuleResult
from .model import MutatingAdmissionPolicy, MutatingAdmissionPolicyBinding


@dataclass(kw_only=True)
class CompiledMutatingAdmissionPolicy(PolicyPipeline[MutatingAdmissionPolicy]):
    """A MutatingAdmissionPolicy with its bindings, ready to evaluate many resources."""

    exceptions_apply = False
    #: Match conditions, evaluated per binding and parameter object.
    binding_conditions: Conditions = ()
    mutations: tuple[CompiledMutation, ...] = ()
    bindings: list[MutatingAdmissionPolicyBinding] = field(default_factory=list)
    #: Candidate parameter objects loaded with the policy, in load order.
    params: list[dict[str, Any]] = field(default_factory=list)

    def handles(self, ctx: AdmissionContext) -> bool:
        """An object to mutate."""
        return ctx.object is not None

    def body(self, ctx: AdmissionContext, admitted: Admitted, options: EvaluationOptions) -> RuleResult | None:
        """Each binding in turn, on the object the previous one left."""
        assert ctx.object is not None
        bindings: list[MutatingAdmissionPolicyBinding | None] = list(self.bindings) or [None]
        current = ctx.object
        applied = False
        for binding in bindings:
            if binding is not None and not binding_matches(binding.spec.match_resources, ctx):
                continue
            try:
                params = self._params_for(binding, ctx)
            except ParamError as exc:
                return self.make_result(ctx, "error", f"failed to resolve params: {exc}")
            except LookupError as exc:
                ref = binding.spec.param_ref if binding is not None else None
                if ref is not None and ref.parameter_not_found_action == "Allow":
                    continue
                message = f"no params found for policy binding with `Deny` parameterNotFoundAction: {exc.args[0]}"
                return self.make_result(ctx, "error", message)
            outcome = self._apply(ctx, current, params)
            if isinstance(outcome, RuleResult):
                return outcome
            if outcome is None:
                continue
            current, applied = outcome, True
        if not applied:
            return None
        return self.make_result(ctx, "pass", "", patched=current)

    def _params_for(self, binding: MutatingAdmissionPolicyBinding | None, ctx: AdmissionContext) -> Any:
        """The ``params`` value of a binding: an object, a list object (selector), or ``None`` without paramRef;
        ``LookupError`` when none is found."""
        kind = self.policy.spec.param_kind
        if binding is None or binding.spec.param_ref is None or kind is None:
            return None
        ref = binding.spec.param_ref
        found = resolve_params(kind, ref, ctx.resource().namespace, self.params)
        if ref.name:
            if not found:
                raise LookupError(f'{kind.kind} "{ref.name}" not found')
            return found[0]
        if not found:
            raise LookupError(f"no {kind.kind} matches the paramRef selector")
        return {"apiVersion": kind.api_version, "kind": f"{kind.kind}List", "items": found}

    def _apply(self, ctx: AdmissionContext, obj: dict[str, Any], params: Any) -> dict[str, Any] | RuleResult | None:
        """One binding: conditions, then the mutations."""
        data = {**admission_policy_data(ctx), OBJECT: obj, PARAMS: params}
        conditions = evaluate_conditions(Scope(self.env, data, self.variables), self.binding_conditions)
        if conditions.error:
            return None if self.failure_policy == "Ignore" else self.make_result(ctx, "error", conditions.error)
        if not conditions.matched:
            return None
        try:
            return mutate(
                self.env, data, self.variables, self.mutations, obj,
                reinvocation_policy=self.policy.spec.reinvocation_policy,
            )
        except MutationError as exc:
            if self.failure_policy == "Ignore":
                return None
            message = f"error applying mutation {exc.index}: {exc.message}"
            return self.make_result(ctx, "error", message, expression=exc.expression)


def attach_params(policies: Iterable[Any], params: Iterable[dict[str, Any]]) -> None:
    """Give the loaded MutatingAdmissionPolicies parameter objects in a known order (a Test's ``paramResources``,
    in file order: a ``paramRef.selector`` lists them in that order, before any provider lookup)."""
    objects = list(params)
    for policy in policies:
        if isinstance(policy, CompiledMutatingAdmissionPolicy):
            policy.params = [*policy.params, *objects]
