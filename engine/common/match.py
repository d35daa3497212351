"""``matchConstraints`` (MatchResources) matching, as the API server matches admission policies."""

from __future__ import annotations

from collections.abc import Iterable

from ..request import AdmissionContext, Resource
from ..resources import is_namespaced
from .labels import labels_of, selector_matches
from .model import MatchResources, ResourceRule


def _listed(value: str, allowed: Iterable[str]) -> bool:
    allowed = list(allowed)
    return "*" in allowed or value in allowed


def _resource_listed(plural: str, subresource: str, resources: list[str]) -> bool:
    full = f"{plural}/{subresource}" if subresource else plural
    for entry in resources:
        if entry in ("*", full) and (entry != "*" or not subresource):
            return True
        if entry == "*/*":
            return True
        if "/" in entry:
            res, sub = entry.split("/", 1)
            if subresource and (res in ("*", plural)) and sub in ("*", subresource):
                return True
    return False


def rule_matches(rule: ResourceRule, res: Resource, operation: str, subresource: str = "") -> bool:
    """Whether one resource rule covers this resource and operation."""
    if rule.operations and not _listed(operation, rule.operations):
        return False
    if not _listed(res.group, rule.api_groups) or not _listed(res.version, rule.api_versions):
        return False
    if not _resource_listed(res.plural, subresource, rule.resources):
        return False
    if rule.resource_names and res.name not in rule.resource_names:
        return False
    if rule.scope not in ("*", ""):
        namespaced = is_namespaced(res.api_version, res.kind)
        if rule.scope == "Namespaced" and namespaced is False:
            return False
        if rule.scope == "Cluster" and namespaced is True:
            return False
    return True


def namespace_labels_for(ctx: AdmissionContext, res: Resource) -> dict[str, str] | None:
    """Labels the namespaceSelector is tested against; ``None`` when it does not apply (cluster-scoped). Raises
    :class:`~.labels.MalformedLabels` when the namespace's labels are not a map."""
    if res.kind == "Namespace" and res.group == "":
        return labels_of(ctx.subject)
    if not res.namespace:
        return None
    return labels_of(ctx.namespace_object, f"namespace {res.namespace}")


def namespace_selects(constraints: MatchResources, ctx: AdmissionContext, res: Resource) -> bool:
    """Whether the namespaceSelector of ``constraints`` (if any) selects the request's namespace (a cluster-scoped
    request is not subject to it). Raises :class:`~.labels.MalformedLabels` like :func:`namespace_labels_for`."""
    if constraints.namespace_selector is None:
        return True
    labels = namespace_labels_for(ctx, res)
    return labels is None or selector_matches(constraints.namespace_selector.as_dict(), labels)


def resource_rules_match(constraints: MatchResources, res: Resource, operation: str, subresource: str = "") -> bool:
    """Whether a (non-excluded) resource rule of ``constraints`` covers this resource and operation."""
    if not any(rule_matches(rule, res, operation, subresource) for rule in constraints.resource_rules):
        return False
    return not any(rule_matches(rule, res, operation, subresource) for rule in constraints.exclude_resource_rules)


def type_level(constraints: MatchResources) -> bool:
    """Whether the resource rules' verdict depends on the type and operation only: no rule names resources, and no
    rule's scope asks whether the type is namespaced (which CRDs loaded later may answer differently)."""
    return not any(r.resource_names or r.scope not in ("*", "")
                   for r in (*constraints.resource_rules, *constraints.exclude_resource_rules))


#: Per policy: resource-rule verdicts by (type, kind, operation, subresource), see :func:`matches`.
RulesCache = dict[tuple[str, ...], bool]


def matches(
    constraints: MatchResources | None,
    ctx: AdmissionContext,
    res: Resource | None = None,
    rules_cache: RulesCache | None = None,
) -> bool:
    """Whether ``matchConstraints`` select this request. Raises :class:`~.labels.MalformedLabels` when a selector
    meets labels that are not a map.

    ``rules_cache`` (one per policy) keeps the resource rules' verdict per type and operation: a scan asks it for
    every object of a type, and unless a rule names resources (``resourceNames``) the answer is the same for all.
    """
    if constraints is None:
        return False
    res = res or ctx.resource()
    if rules_cache is None or not type_level(constraints):
        covered = resource_rules_match(constraints, res, ctx.operation, ctx.subresource)
    else:
        key = (res.group, res.version, res.plural, res.api_version, res.kind, ctx.operation, ctx.subresource)
        cached = rules_cache.get(key)
        if cached is None:
            cached = rules_cache[key] = resource_rules_match(constraints, res, ctx.operation, ctx.subresource)
        covered = cached
    if not covered or not namespace_selects(constraints, ctx, res):
        return False
    if constraints.object_selector is not None:
        selector = constraints.object_selector.as_dict()
        candidates = [o for o in (ctx.object, ctx.old_object) if o is not None]
        if not any(selector_matches(selector, labels_of(o)) for o in candidates):
            return False
    return True


def index_keys(constraints: MatchResources | None) -> set[tuple[str, str, str]]:
    """(group, version, plural) keys under which to index a policy; ``*`` stands for any."""
    keys: set[tuple[str, str, str]] = set()
    if constraints is None:
        return keys
    for rule in constraints.resource_rules:
        for group in rule.api_groups or ["*"]:
            for version in rule.api_versions or ["*"]:
                for resource in rule.resources or ["*"]:
                    keys.add((group, version, resource.split("/", 1)[0]))
    return keys


def without_operations(constraints: MatchResources) -> MatchResources:
    """The constraints with the operations of every (exclude) rule removed: selecting existing objects (targets,
    cleanup) is not admission, so operations play no part."""
    return constraints.model_copy(
        update={
            "resource_rules": [r.model_copy(update={"operations": []}) for r in constraints.resource_rules],
            "exclude_resource_rules": [
                r.model_copy(update={"operations": []}) for r in constraints.exclude_resource_rules
            ],
        }
    )
