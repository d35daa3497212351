"""The JSON context one ClusterPolicy rule is evaluated in, and the sources its ``context`` entries read.

The context is Kyverno's CLI context of the request (:func:`.context.request_context`) plus the Values file's
global and per-resource values; the rule's own context entries are registered lazily, then its Values (which also
switch off entries of the same name). ``configMap`` entries read ConfigMaps from the evaluation's resource provider
(the cluster in scans, the Test's resources otherwise) and ``apiCall`` entries its HTTP provider (the cluster, or
the Test's ``apiCallResponses``); an evaluation without one leaves the entry undefined, as the Kyverno CLI does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..cel.providers import Providers, current_providers
from ..request import AdmissionContext
from .context import ApiCallRequest, ContextSources, JsonContext, load_context_entries, request_context
from .values import current_values
from .variables import substitute_all


@dataclass(frozen=True)
class _ConfigMaps:
    providers: Providers

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        resource = self.providers.resource
        if resource is None:
            raise LookupError("no cluster to read ConfigMaps from")
        found = resource.get("v1", "configmaps", namespace, name)
        if not found:
            raise LookupError(f"configmaps {name!r} not found")
        return dict(found)


@dataclass(frozen=True)
class _ApiCalls:
    providers: Providers

    def call(self, request: ApiCallRequest) -> Any:
        http = self.providers.http
        if http is None:
            raise LookupError("no API server to call")
        url = request.service_url or request.url_path
        headers = dict(request.headers)
        return http.request(request.method.upper(), url, request.data, headers)


def _substitute(value: Any, ctx: JsonContext) -> Any:
    return substitute_all(value, ctx, ("context",))


def rule_sources(policy: str, rule: str) -> ContextSources:
    """The sources of the evaluation in progress for ``rule`` of ``policy`` (its Values override entries)."""
    providers = current_providers()
    return ContextSources(
        config_maps=_ConfigMaps(providers) if providers.resource is not None else None,
        api_calls=_ApiCalls(providers) if providers.http is not None else None,
        global_context=providers.global_context,
        overridden=frozenset(current_values().for_rule(policy, rule)),
        skip_unavailable=True,
    )


def rule_context(admission: AdmissionContext, policy: str, rule: str) -> JsonContext:
    """The request's context with the Values of ``policy`` on this resource (rule entries not loaded yet)."""
    ctx = request_context(admission)
    name = admission.resource().name
    for key, value in current_values().for_resource(policy, name).items():
        ctx.set(key, value)
    return ctx


def load_rule_context(
    ctx: JsonContext, entries: Any, policy: str, rule: str, sources: ContextSources | None = None
) -> None:
    """Register the rule's ``context`` entries, then apply the rule's Values."""
    if entries:
        load_context_entries(list(entries), ctx, _substitute, sources or rule_sources(policy, rule))
    for key, value in current_values().for_rule(policy, rule).items():
        ctx.set(key, value)


def foreach_values(policy: str, rule: str, index: int) -> Mapping[str, Any]:
    """The ``foreachValues`` of the rule for the element at ``index`` (absent when the list is shorter)."""
    out: dict[str, Any] = {}
    for key, values in current_values().foreach_for(policy, rule).items():
        if isinstance(values, list) and index < len(values):
            out[key] = values[index]
    return out
