"""Lookups from CEL (``resource.Get``/``List``, ``globalContext.Get``) are cached for the evaluation run and capped
per evaluation (issue 11, item 8: a hundred identical ``resource.List`` calls in one expression made a hundred
LISTs of every Pod)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from pykyverno.engine.cel import CelEvalError, Providers, environment_for, set_lookup_limit, using_providers
from pykyverno.engine.cel.providers import DEFAULT_MAX_LOOKUPS, LookupCache, lookup_limit


class CountingResources:
    """A resource provider that counts its calls; ``missing`` names are absent."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[Any, ...]] = Counter()

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        self.calls["get", name] += 1
        if name.startswith("missing"):
            raise LookupError(f'{resource} "{name}" not found')
        return {"apiVersion": api_version, "kind": "ConfigMap", "metadata": {"name": name}}

    def list(self, api_version: str, resource: str, namespace: str,
             labels: dict[str, str] | None = None) -> dict[str, Any]:
        self.calls["list", namespace, tuple(sorted((labels or {}).items()))] += 1
        return {"apiVersion": api_version, "kind": "PodList", "items": [{"metadata": {"name": "p"}}] * 3}

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        self.calls[("post",)] += 1
        return obj


class Entries:
    def __init__(self) -> None:
        self.calls = 0

    def get(self, entry: str, projection: str = "") -> Any:
        self.calls += 1
        return {"entry": entry}


GET_ONE = "resource.Get('v1', 'configmaps', 'ns', string(i)).metadata.name != ''"


def evaluate(expression: str, providers: Providers) -> Any:
    with using_providers(providers):
        return environment_for("vpol").compile(expression).evaluate({"object": {}})


@pytest.fixture
def limit() -> Iterator[None]:
    yield
    set_lookup_limit(DEFAULT_MAX_LOOKUPS)


def test_identical_lookups_reach_the_provider_once_per_run() -> None:
    resources, entries = CountingResources(), Entries()
    providers = Providers(resource=resources, global_context=entries)
    assert evaluate("lists.range(100).map(i, size(resource.List('v1', 'pods', '').items)).sum()", providers) == 300
    assert evaluate("resource.List('v1', 'pods', '').items.size()", providers) == 3, "and across evaluations"
    assert resources.calls == {("list", "", ()): 1}
    assert evaluate("lists.range(50).all(i, globalContext.Get('e', '').entry == 'e')", providers) is True
    assert entries.calls == 1
    post = "resource.Post('v1', 'configmaps', 'ns', {'metadata': {'name': 'x'}}).metadata.name == 'x'"
    evaluate(f"lists.range(5).all(i, {post})", providers)
    assert resources.calls[("post",)] == 5, "posts record a create each time: never cached"


def test_failures_are_cached_too() -> None:
    resources = CountingResources()
    providers = Providers(resource=resources)
    expression = "lists.range(20).all(i, resource.Get('v1', 'configmaps', 'ns', 'missing').metadata.name == '')"
    with pytest.raises(CelEvalError, match="failed to get resource"):
        evaluate(expression, providers)
    with pytest.raises(CelEvalError, match="failed to get resource"):
        evaluate(expression, providers)
    assert resources.calls == {("get", "missing"): 1}


def test_distinct_lookups_per_evaluation_are_capped(limit: None) -> None:
    resources = CountingResources()
    providers = Providers(resource=resources)
    under = f"lists.range({DEFAULT_MAX_LOOKUPS}).all(i, {GET_ONE})"
    assert evaluate(under, providers) is True
    assert evaluate(under, providers) is True, "the budget is per evaluation, not per run"
    over = "lists.range(1000).all(i, resource.List('v1', 'pods', '', {'n': string(i)}).items.size() > 0)"
    with pytest.raises(CelEvalError) as info:
        evaluate(over, providers)
    assert f"{DEFAULT_MAX_LOOKUPS} distinct lookups" in str(info.value) and "PYKYVERNO_MAX_LOOKUPS" in str(info.value)
    assert sum(n for key, n in resources.calls.items() if key[0] == "list") == DEFAULT_MAX_LOOKUPS
    set_lookup_limit(3)
    assert lookup_limit() == 3
    with pytest.raises(CelEvalError, match="already made 3 distinct lookups"):
        evaluate(f"lists.range(4).all(i, {GET_ONE})", providers)
    with pytest.raises(ValueError):
        set_lookup_limit(0)


def test_cache_is_bounded_in_objects() -> None:
    cache = LookupCache(max_objects=10)
    for i in range(20):
        cache.get(("k", i), lambda i=i: {"items": [i] * 3})
    assert cache._held <= 10 and len(cache._entries) == 3
    loads = []
    cache.get(("k", 19), lambda: loads.append(1))
    assert loads == [], "the most recent answers stay"
