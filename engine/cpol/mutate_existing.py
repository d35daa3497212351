"""Mutate-existing rules (``mutate.targets``): the trigger request selects other objects, which get patched.

Each target entry (``apiVersion``, ``kind``, ``name``, ``namespace``, ``uid``, ``selector``, with variables of the
trigger and wildcards) selects candidates; for each one the rule's patch runs with the candidate as ``target``
(``{{@}}`` resolves under ``target``) after the entry's ``context`` and ``preconditions``. Candidates are the
objects a runner gives (a Test's ``targetResources``) or, for a trigger evaluated alone, the objects the
evaluation's resource provider lists (the cluster in scans).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..cel.providers import current_providers
from ..common.labels import selector_matches
from ..common.wildcard import wildcard_match
from ..jmespath import JMESPathError
from ..request import AdmissionContext
from ..resources import plural_for
from .conditions import evaluate_conditions
from .context import JsonContext
from .mutate_rule import mutate_resource
from .outcome import ERROR, PASS, SKIP, RuleOutcome
from .rulecontext import load_rule_context
from .rules import RuleRequest, RuleRun
from .variables import substitute_all

_SELECTING = ("apiVersion", "kind", "name", "namespace", "uid", "selector")


def _selects(spec: Mapping[str, Any], candidate: Mapping[str, Any]) -> bool:
    metadata = candidate.get("metadata") if isinstance(candidate.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    checks = (
        ("apiVersion", str(candidate.get("apiVersion") or "")),
        ("kind", str(candidate.get("kind") or "")),
        ("name", str(metadata.get("name") or "")),
        ("namespace", str(metadata.get("namespace") or "")),
        ("uid", str(metadata.get("uid") or "")),
    )
    for key, actual in checks:
        wanted = spec.get(key)
        if wanted and not wildcard_match(str(wanted), actual):
            return False
    selector = spec.get("selector")
    return selector is None or selector_matches(selector, metadata.get("labels"))


def _target_specs(request: RuleRequest, ctx: JsonContext) -> list[tuple[Mapping[str, Any], dict[str, Any]]]:
    """Each target entry with its selecting fields substituted (raises JMESPathError)."""
    mutate = request.rule.get("mutate") or {}
    out = []
    for index, entry in enumerate(mutate.get("targets") or []):
        if isinstance(entry, Mapping):
            selecting = {k: entry[k] for k in _SELECTING if k in entry}
            out.append((entry, substitute_all(selecting, ctx, ("mutate", "targets", index))))
    return out


def mutate_targets(request: RuleRequest, ctx: JsonContext, candidates: Iterable[Mapping[str, Any]]
                   ) -> list[tuple[Mapping[str, Any], RuleRun]]:
    """(target, run) for every candidate a target entry selects; an error selecting targets is one run."""
    try:
        specs = _target_specs(request, ctx)
    except JMESPathError as exc:
        return [({}, RuleRun(RuleOutcome(ERROR, f"failed to substitute variables in targets: {exc}")))]
    pool = list(candidates)
    out: list[tuple[Mapping[str, Any], RuleRun]] = []
    for entry, spec in specs:
        for candidate in pool:
            if not _selects(spec, candidate):
                continue
            ctx.checkpoint()
            try:
                ctx.replace("target", dict(candidate))
                load_rule_context(ctx, entry.get("context"), request.policy, request.name, request.resource_name)
                conditions = evaluate_conditions(entry.get("preconditions"), ctx, pointer=("preconditions",))
                if not conditions.passed:
                    out.append((candidate, RuleRun(RuleOutcome(SKIP, "preconditions not met"))))
                    continue
                out.append((candidate, mutate_resource(request, ctx, candidate)))
            except JMESPathError as exc:
                out.append((candidate, RuleRun(RuleOutcome(ERROR, f"failed to mutate target: {exc}"))))
            finally:
                ctx.restore()
    return out


def _listed(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    provider = current_providers().resource
    api_version, kind = str(spec.get("apiVersion") or "v1"), str(spec.get("kind") or "")
    if provider is None or not kind:
        return []
    namespace = str(spec.get("namespace") or "")
    try:
        found: Any = provider.list(api_version, plural_for(api_version, kind), "" if "*" in namespace else namespace)
    except (LookupError, OSError, ValueError, TypeError):
        return []
    items = found.get("items") if isinstance(found, Mapping) else found
    return [item for item in items or [] if isinstance(item, Mapping)]


def mutate_lookup_targets(request: RuleRequest, ctx: JsonContext) -> RuleRun | None:
    """The trigger's own run: its targets read from the resource provider; the first patched one travels in the
    run (``None`` when no target exists)."""
    try:
        specs = _target_specs(request, ctx)
    except JMESPathError as exc:
        return RuleRun(RuleOutcome(ERROR, f"failed to substitute variables in targets: {exc}"))
    candidates = [obj for _, spec in specs for obj in _listed(spec)]
    runs = [run for _, run in mutate_targets(request, ctx, candidates)]
    if not runs:
        return None
    for status in (ERROR, PASS):
        for run in runs:
            if run.outcome.status == status:
                return run
    return runs[0]


def mutate_existing_handler(request: RuleRequest, admission: AdmissionContext, ctx: JsonContext,
                            resource: Mapping[str, Any]) -> RuleRun | None:
    """The handler of a mutate-existing rule evaluated on its trigger (:func:`mutate_lookup_targets`)."""
    return mutate_lookup_targets(request, ctx)
