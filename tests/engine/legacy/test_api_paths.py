"""apiCall entries answered from a cluster's resource provider: Kubernetes API paths become get/list calls, made
once per evaluation run; paths it cannot serve are LookupUnavailable."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cel.providers import LookupUnavailable, Providers, using_providers
from pykyverno.engine.cpol.apipath import ApiPath, parse_api_path
from pykyverno.engine.cpol.context import ApiCallRequest
from pykyverno.engine.cpol.rulecontext import rule_sources


class _Cluster:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        self.calls.append(("get", api_version, resource, namespace, name))
        return {"metadata": {"name": name}}

    def list(self, api_version: str, resource: str, namespace: str,
             labels: dict[str, str] | None = None) -> dict[str, Any]:
        self.calls.append(("list", api_version, resource, namespace, str(labels)))
        return {"items": [{}, {}]}

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("never posts")


def test_parse_api_paths() -> None:
    assert parse_api_path("/api/v1/namespaces/shop/pods") == ApiPath("v1", "pods", "shop")
    assert parse_api_path("/apis/apps/v1/deployments/web") == ApiPath("apps/v1", "deployments", "", "web")
    assert parse_api_path("/api/v1/namespaces/shop") == ApiPath("v1", "namespaces", "", "shop")
    assert parse_api_path("/api/v1/pods?labelSelector=app%3Dweb") == ApiPath("v1", "pods", labels={"app": "web"})
    for unanswerable in ("/api/v1/namespaces/shop/pods/a/log", "/healthz", "/api/v1/pods?fieldSelector=x"):
        with pytest.raises(LookupUnavailable):
            parse_api_path(unanswerable)


def test_cluster_answers_each_path_once() -> None:
    cluster = _Cluster()
    with using_providers(Providers(resource=cluster)):
        calls = rule_sources("p", "r").api_calls
        assert calls is not None
        for _ in range(3):
            assert calls.call(ApiCallRequest(url_path="/api/v1/namespaces/shop/pods")) == {"items": [{}, {}]}
        with pytest.raises(LookupUnavailable, match="apiCall POST /api/v1/pods"):
            calls.call(ApiCallRequest(method="POST", url_path="/api/v1/pods"))
    assert cluster.calls == [("list", "v1", "pods", "shop", "None")]
