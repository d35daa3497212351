"""The Kyverno CLI's order for kyverno.io/v1 policies: the mutate rules of every policy first, in order, each policy
on the output of the previous one; then everything else on the final object.

:func:`mutate_in_order` runs the mutate rules of the ClusterPolicies/Policies among ``policies`` and records which
object each mutating policy saw (its input) and left (its output, which ``kyverno test`` compares with
``patchedResources``), and the final object, which validate rules see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..common.policy_exception import PolicyException
from ..request import AdmissionContext
from ..results import RuleResult
from .policy import CompiledRule


@dataclass
class MutationChain:
    """``inputs`` / ``outputs``: the object each mutating policy (by name) saw / left; ``final``: the object after
    all of them."""

    final: dict[str, Any]
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: list[RuleResult] = field(default_factory=list)

    def object_for(self, policy_name: str) -> dict[str, Any]:
        """The object a policy is evaluated on: its input when it mutates, else the final object."""
        return self.inputs.get(policy_name, self.final)


def _mutates(compiled: object) -> bool:
    if not isinstance(compiled, CompiledRule) or compiled.unsupported:
        return False
    mutate = compiled.raw.get("mutate")
    return isinstance(mutate, dict) and not mutate.get("targets")


def mutate_in_order(
    policies: Iterable[object],
    obj: dict[str, Any],
    request_for: Callable[[dict[str, Any], str], AdmissionContext],
    exceptions: list[PolicyException] | None = None,
) -> MutationChain:
    """Chain the mutate rules of every ClusterPolicy/Policy over ``obj``; ``request_for(object, policy_name)``
    builds the request a policy is evaluated with."""
    chain = MutationChain(final=obj)
    by_policy: dict[str, list[CompiledRule]] = {}
    for compiled in policies:
        if _mutates(compiled):
            assert isinstance(compiled, CompiledRule)
            by_policy.setdefault(compiled.name, []).append(compiled)
    for name, rules in by_policy.items():
        chain.inputs[name] = chain.final
        ctx = request_for(chain.final, name)
        patched = None
        for rule in rules:
            result = rule.evaluate(ctx, exceptions)
            if result is None:
                continue
            chain.results.append(result)
            if result.result == "pass" and result.patched is not None:
                patched = result.patched
        if patched is not None:
            chain.final = patched
        chain.outputs[name] = chain.final
    return chain
