"""The JSON context one ClusterPolicy rule is evaluated in, and the sources its ``context`` entries read.

The context is Kyverno's CLI context of the request (:func:`.context.request_context`) plus the Values file's
global and per-resource values; the rule's own context entries are registered lazily, then its Values (which also
switch off entries of the same name). ``configMap`` entries read ConfigMaps from the evaluation's resource provider
(the cluster in scans, the Test's resources otherwise) and ``apiCall`` entries its HTTP provider (the Test's
``apiCallResponses``) or, in a cluster evaluation, the cluster's Kubernetes API paths; an offline evaluation without
responses leaves the entry undefined, as the Kyverno CLI does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..cel.offline import OfflineHttp, OfflineResources
from ..cel.providers import (
    LookupLimitExceeded,
    LookupUnavailable,
    Providers,
    cached_lookup,
    current_providers,
    note_unanswered,
)
from ..request import AdmissionContext
from .apipath import get_api_path
from .context import ApiCallRequest, ContextSources, JsonContext, load_context_entries, request_context, split_name
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
    """Answers apiCall entries from the HTTP provider, or (in a cluster scan or explanation, which have none)
    Kubernetes API ``GET`` paths from the cluster's resource provider. A call neither can answer is recorded as
    unanswered, so that the scan says it is incomplete rather than report a verdict made without the entry."""

    providers: Providers

    def call(self, request: ApiCallRequest) -> Any:
        http = self.providers.http
        if http is not None and _answers_api_calls(self.providers):
            headers = dict(request.headers)
            return http.request(request.method.upper(), request.service_url or request.url_path, request.data,
                                headers)
        target = f"apiCall {request.method.upper()} {request.service_url or request.url_path}"
        resource = self.providers.resource
        if request.service_url or request.method.upper() != "GET" or resource is None:
            raise LookupUnavailable(note_unanswered(f"{target}: only GET requests of Kubernetes API paths can be "
                                                    "answered from the cluster (no HTTP client for service calls or "
                                                    "POST)"))

        def load() -> Any:
            try:
                return get_api_path(resource, request.url_path)
            except LookupUnavailable as exc:
                raise LookupUnavailable(f"{target}: {exc}") from None

        try:  # through the evaluation's cache: every object of a scan asks for the same path
            return cached_lookup(("cpol-apiCall", request.url_path), load)
        except LookupLimitExceeded as exc:
            raise LookupError(str(exc)) from None


def _substitute(value: Any, ctx: JsonContext) -> Any:
    return substitute_all(value, ctx, ("context",))


def _answers_api_calls(providers: Providers) -> bool:
    """Whether apiCall entries are loaded: a cluster, or a Test with ``apiCallResponses`` (the Kyverno CLI does not
    load them otherwise, and Values provide what they would)."""
    http = providers.http
    if http is None:
        return False
    return bool(http.responses) if isinstance(http, OfflineHttp) else True


def rule_sources(policy: str, rule: str, resource: str = "") -> ContextSources:
    """The sources of the evaluation in progress for ``rule`` of ``policy`` on the resource named ``resource``
    (names set by its Values are not loaded from a source)."""
    providers = current_providers()
    values = current_values()
    named = {*values.for_rule(policy, rule), *values.for_resource(policy, resource)}
    cluster = providers.resource is not None and not isinstance(providers.resource, OfflineResources)
    return ContextSources(
        config_maps=_ConfigMaps(providers) if cluster else None,
        api_calls=_ApiCalls(providers) if cluster or _answers_api_calls(providers) else None,
        global_context=providers.global_context,
        overridden=frozenset(split_name(name)[0] for name in named),
        skip_unavailable=True,
    )


def rule_context(admission: AdmissionContext, policy: str, rule: str) -> JsonContext:
    """The request's context with the Values of ``policy`` on this resource (rule entries not loaded yet)."""
    ctx = request_context(admission)
    name = admission.resource().name
    for key, value in current_values().for_resource(policy, name).items():
        ctx.set(key, value)
    return ctx


def load_rule_context(ctx: JsonContext, entries: Any, policy: str, rule: str, resource: str = "") -> None:
    """Register the rule's ``context`` entries, then apply the rule's Values."""
    if entries:
        load_context_entries(list(entries), ctx, _substitute, rule_sources(policy, rule, resource))
    for key, value in current_values().for_rule(policy, rule).items():
        ctx.set(key, value)


def enter_element(ctx: JsonContext, element: Any, index: int, depth: int, policy: str, rule: str) -> None:
    """Make a foreach element current: the context back to its checkpoint, ``element``/``elementIndex`` set, and the
    rule's ``foreachValues`` for that index."""
    ctx.reset()
    ctx.add_element(element, index, depth)
    for key, value in foreach_values(policy, rule, index).items():
        ctx.replace(key, value)


def foreach_values(policy: str, rule: str, index: int) -> Mapping[str, Any]:
    """The ``foreachValues`` of the rule for the element at ``index`` (absent when the list is shorter)."""
    out: dict[str, Any] = {}
    for key, values in current_values().foreach_for(policy, rule).items():
        if isinstance(values, list) and index < len(values):
            out[key] = values[index]
    return out
