"""The ``mutate`` handler of kyverno.io/v1 rules: ``patchStrategicMerge``, ``patchesJson6902`` and ``foreach``.

The patch is variable-substituted against the rule's context, then applied to the resource the rule sees (the
output of the policy's earlier mutate rules). ``foreach`` entries iterate their ``list`` (strategic merge patches in
reverse order unless ``order`` says otherwise), each element's patch applying to the result of the previous one;
the running result is ``request.object`` for the entries that follow. Status ``pass`` when the resource changed
(``mutated Kind/name``), ``skip`` (``no patches applied``) when not, ``error`` when a patch cannot apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..jmespath import JMESPathError, NotFoundError
from ..request import AdmissionContext
from .context import JsonContext
from .json6902 import json_equal
from .mutation import apply_patch, mutated_message
from .outcome import ERROR, PASS, SKIP, RuleOutcome
from .rulecontext import enter_element, load_rule_context
from .rules import RuleRequest, RuleRun
from .variables import substitute_all


class _MutationFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _patch(resource: Mapping[str, Any], block: Mapping[str, Any], ctx: JsonContext,
           pointer: tuple[str | int, ...]) -> Mapping[str, Any]:
    """``resource`` after the block's one patch (substituted here); raises :class:`_MutationFailed`."""
    key = "patchStrategicMerge" if block.get("patchStrategicMerge") is not None else "patchesJson6902"
    try:
        patch = substitute_all(block.get(key), ctx, (*pointer, key))
    except JMESPathError as exc:
        raise _MutationFailed(f"variable substitution failed: {exc}") from None
    if key == "patchStrategicMerge":
        outcome = apply_patch(resource, patch_strategic_merge_overlay=patch)
    else:
        outcome = apply_patch(resource, patches_json6902=patch)
    if outcome.status == ERROR:
        raise _MutationFailed(outcome.message)
    return outcome.resource


def _elements(ctx: JsonContext, entry: Mapping[str, Any]) -> list[Any] | None:
    expression = entry.get("list")
    if not isinstance(expression, str) or not expression.strip():
        raise _MutationFailed("foreach: list is required")
    text = expression.strip().removeprefix("{{").removesuffix("}}").strip()
    try:
        found = ctx.query(text)
    except NotFoundError:
        return None
    except JMESPathError as exc:
        raise _MutationFailed(f"failed to evaluate list {expression}: {exc}") from None
    return found if isinstance(found, list) else [found]


def _order(entry: Mapping[str, Any], count: int) -> list[int]:
    order = str(entry.get("order") or "")
    descending = order == "Descending" or (not order and entry.get("patchStrategicMerge") is not None)
    return list(range(count - 1, -1, -1)) if descending else list(range(count))


def _foreach(request: RuleRequest, resource: Mapping[str, Any], entries: Any, ctx: JsonContext,
             pointer: tuple[str | int, ...], depth: int) -> Mapping[str, Any]:
    if not isinstance(entries, list):
        raise _MutationFailed("foreach must be a list")
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise _MutationFailed(f"foreach[{position}] must be a mapping")
        elements = _elements(ctx, entry)
        if elements is None:
            continue
        ctx.checkpoint()
        try:
            for index in _order(entry, len(elements)):
                element = elements[index]
                if element is None:
                    continue
                enter_element(ctx, element, index, depth, request.policy, request.name)
                try:
                    load_rule_context(ctx, entry.get("context"), request.policy, request.name, request.resource_name)
                    if not _preconditions_hold(entry, ctx, (*pointer, position)):
                        continue
                except JMESPathError:
                    continue
                if entry.get("foreach") is not None:
                    resource = _foreach(request, resource, entry["foreach"], ctx, (*pointer, position, "foreach"),
                                        depth + 1)
                else:
                    resource = _patch(resource, entry, ctx, (*pointer, position))
        finally:
            ctx.restore()
        ctx.set("request.object", dict(resource))
    return resource


def _preconditions_hold(entry: Mapping[str, Any], ctx: JsonContext, pointer: tuple[str | int, ...]) -> bool:
    from .conditions import evaluate_conditions

    return evaluate_conditions(entry.get("preconditions"), ctx, pointer=(*pointer, "preconditions")).passed


def mutate_handler(request: RuleRequest, admission: AdmissionContext, ctx: JsonContext,
                   resource: Mapping[str, Any]) -> RuleRun | None:
    """Mutate ``resource`` with the rule (mutate-existing rules have their own handler, :mod:`.mutate_existing`)."""
    mutate = request.rule.get("mutate")
    if not isinstance(mutate, Mapping):
        return RuleRun(RuleOutcome(ERROR, "mutate must be a mapping"))
    return mutate_resource(request, ctx, resource)


def mutate_resource(request: RuleRequest, ctx: JsonContext, resource: Mapping[str, Any]) -> RuleRun:
    """``resource`` patched by the rule's patch or foreach; the patched resource travels in the run."""
    mutate = request.rule.get("mutate")
    assert isinstance(mutate, Mapping)
    try:
        if mutate.get("foreach") is not None:
            patched = _foreach(request, resource, mutate["foreach"], ctx, ("mutate", "foreach"), 0)
        elif mutate.get("patchStrategicMerge") is not None or mutate.get("patchesJson6902") is not None:
            patched = _patch(resource, mutate, ctx, ("mutate",))
        else:
            return RuleRun(RuleOutcome(ERROR, "mutate needs patchStrategicMerge, patchesJson6902 or foreach"))
    except _MutationFailed as exc:
        return RuleRun(RuleOutcome(ERROR, exc.message))
    if json_equal(patched, resource):
        return RuleRun(RuleOutcome(SKIP, "no patches applied"))
    return RuleRun(RuleOutcome(PASS, mutated_message(patched)), patched=dict(patched))
