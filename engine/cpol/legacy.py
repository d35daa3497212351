"""Running a compiled kyverno.io/v1 rule on a request: which resource it sees, its exceptions and its handler.

Mutate rules of a policy apply in order, each to the output of the previous one; validate and generate rules see
the resource after every mutate rule of the policy (Kyverno's CLI mutates before it validates). The outputs are
kept in the request's cache so that each mutation runs once per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ..common.policy_exception import PolicyException
from ..request import AdmissionContext
from ..results import RuleResult
from .context import JsonContext
from .exceptions import legacy_exceptions
from .generate_rule import generate_handler
from .model import ClusterPolicy
from .mutate_existing import mutate_existing_handler, mutate_targets
from .mutate_rule import mutate_handler
from .rules import Handler, RuleRequest, RuleRun, run_rule


class CompiledRule(Protocol):
    """What this module needs of a compiled rule (:class:`.policy.CompiledRule`)."""

    raw: dict[str, Any]
    policy: ClusterPolicy
    mutations: list[Any]
    siblings: list[Any]

    def applies_to(self, ctx: AdmissionContext) -> bool: ...

    def evaluate(self, ctx: AdmissionContext, exceptions: list[PolicyException] | None = None) -> RuleResult | None: ...


def _handler(raw: Mapping[str, Any]) -> Handler | None:
    mutate = raw.get("mutate")
    if isinstance(mutate, Mapping) and mutate.get("targets"):
        return mutate_existing_handler
    if mutate:
        return mutate_handler
    if raw.get("generate"):
        return generate_handler
    return None


def _request(compiled: CompiledRule, ctx: AdmissionContext) -> RuleRequest:
    policy = compiled.policy
    namespace = policy.metadata.namespace if policy.namespaced else ""
    return RuleRequest(policy.metadata.name, namespace, compiled.raw, ctx.resource().name)


def mutated_resource(compiled: CompiledRule, ctx: AdmissionContext, upto: CompiledRule | None = None
                     ) -> dict[str, Any]:
    """The resource after the policy's mutate rules that come before ``upto`` (all of them when None)."""
    resource = ctx.subject
    for mutation in compiled.mutations:
        if mutation is upto:
            break
        key = f"cpol.mutated.{id(mutation)}"
        if key not in ctx.cache:
            ctx.cache[key] = _run(mutation, ctx, resource, [])
        run = ctx.cache[key]
        if run is not None and run.patched is not None:
            resource = run.patched
    return resource


def _run(compiled: CompiledRule, ctx: AdmissionContext, resource: Mapping[str, Any],
         exceptions: list[PolicyException]) -> RuleRun | None:
    if not compiled.applies_to(ctx):
        return None
    request = _request(compiled, ctx)

    def check(json_ctx: JsonContext) -> list[PolicyException]:
        return legacy_exceptions(exceptions, compiled.policy, request.name, ctx, json_ctx)

    return run_rule(request, ctx, resource, _handler(compiled.raw), check if exceptions else None)


def _earlier_rule_applied(compiled: CompiledRule, ctx: AdmissionContext, exceptions: list[PolicyException]) -> bool:
    """``applyRules: One``: whether a rule before this one already passed or failed on the request."""
    for sibling in compiled.siblings:
        if sibling is compiled:
            return False
        key = f"cpol.result.{id(sibling)}"
        if key not in ctx.cache:
            ctx.cache[key] = sibling.evaluate(ctx, exceptions)
        result = ctx.cache[key]
        if result is not None and result.result in ("pass", "fail", "warn"):
            return True
    return False


def run_legacy_rule(compiled: CompiledRule, ctx: AdmissionContext, exceptions: list[PolicyException]
                    ) -> RuleRun | None:
    """Run the rule on the request (match and exclude already passed)."""
    if compiled.policy.spec.apply_rules.lower() == "one" and _earlier_rule_applied(compiled, ctx, exceptions):
        return None
    if compiled.raw.get("mutate"):
        resource = mutated_resource(compiled, ctx, upto=compiled)
    else:
        resource = mutated_resource(compiled, ctx)
    return _run(compiled, ctx, resource, exceptions)


def run_target_rules(compiled: CompiledRule, ctx: AdmissionContext, candidates: Iterable[Mapping[str, Any]]
                     ) -> list[tuple[Mapping[str, Any], RuleRun]]:
    """A mutate-existing rule triggered by the request, on the given candidate targets: (target, run) pairs.
    A failure before the targets (context, preconditions) is one run with an empty target."""
    if not compiled.applies_to(ctx):
        return []
    pool = list(candidates)
    found: list[tuple[Mapping[str, Any], RuleRun]] = []

    def handler(request: RuleRequest, admission: AdmissionContext, json_ctx: JsonContext,
                resource: Mapping[str, Any]) -> RuleRun | None:
        found.extend(mutate_targets(request, json_ctx, pool))
        return None

    run = run_rule(_request(compiled, ctx), ctx, ctx.subject, handler)
    if run is not None:
        return [({}, run)]
    return found
