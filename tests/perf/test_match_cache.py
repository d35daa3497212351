"""Matching with the per-policy cache of resource-rule verdicts answers as matching without it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from pykyverno.engine.common.match import RulesCache, matches
from pykyverno.engine.common.model import MatchResources, ResourceRule
from pykyverno.engine.request import AdmissionContext


def _obj(kind: str, api_version: str, name: str, namespace: str = "default") -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}}


OBJECTS = [_obj("Pod", "v1", "a"), _obj("Pod", "v1", "b"), _obj("Deployment", "apps/v1", "a"),
           _obj("ConfigMap", "v1", "b"), _obj("Namespace", "v1", "a", "")]
CONSTRAINTS = [
    MatchResources(resource_rules=[ResourceRule(api_groups=[""], api_versions=["v1"], resources=["pods"],
                                                operations=["CREATE", "UPDATE"])]),
    MatchResources(resource_rules=[ResourceRule(api_groups=["*"], api_versions=["*"], resources=["*"],
                                                operations=["*"])],
                   exclude_resource_rules=[ResourceRule(api_groups=["apps"], api_versions=["*"],
                                                        resources=["deployments"], operations=["*"])]),
    MatchResources(resource_rules=[ResourceRule(api_groups=["", "apps"], api_versions=["*"], resources=["*"],
                                                operations=["CREATE"], resource_names=["a"])]),
    MatchResources(resource_rules=[ResourceRule(api_groups=["*"], api_versions=["*"], resources=["*"],
                                                operations=["*"], scope="Namespaced")]),
]


@pytest.mark.parametrize("constraints", CONSTRAINTS)
def test_cached_matching_equals_plain_matching(constraints: MatchResources) -> None:
    cache: RulesCache = {}
    for _ in range(2):  # the second round reads the cache
        for obj, operation in itertools.product(OBJECTS, ("CREATE", "UPDATE", "DELETE")):
            ctx = AdmissionContext(operation=operation, object=obj if operation != "DELETE" else None,
                                   old_object=obj if operation == "DELETE" else None)
            fresh = AdmissionContext(operation=operation, object=ctx.object, old_object=ctx.old_object)
            assert matches(constraints, ctx, rules_cache=cache) == matches(constraints, fresh), (obj, operation)
    names_or_scope = any(r.resource_names or r.scope != "*" for r in constraints.resource_rules)
    assert (cache == {}) == names_or_scope  # verdicts that depend on more than the type are never cached
