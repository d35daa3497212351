"""Fixtures of the MCP server tests: two fake clusters over HTTPS, a kubeconfig, the server and an in-memory client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from pykyverno.server.mcp import ServerSettings, build_server
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig

SECRET_VALUE = "c3VwZXItc2VjcmV0LXZhbHVl"  # base64 of super-secret-value


def crd(plural: str, kind: str, scope: str, group: str = "wgpolicyk8s.io", version: str = "v1alpha2") -> dict[str, Any]:
    """A CustomResourceDefinition."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "scope": scope,
                 "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
                 "versions": [{"name": version, "served": True, "storage": True}]},
    }


def namespace(name: str, **labels: str) -> dict[str, Any]:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(ns: str, name: str, *, hardened: bool = False, image: str = "nginx:1.27.3",
        escalate: bool | None = None) -> dict[str, Any]:
    """A Pod; ``hardened`` ones pass the restricted profile."""
    container: dict[str, Any] = {"name": "main", "image": image}
    spec: dict[str, Any] = {"containers": [container]}
    if hardened:
        container["securityContext"] = {
            "allowPrivilegeEscalation": False, "runAsNonRoot": True, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
        }
    elif escalate is not None:
        container["securityContext"] = {"allowPrivilegeEscalation": escalate}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
            "spec": spec}


def deployment(ns: str, name: str) -> dict[str, Any]:
    """A Deployment whose pods escalate privileges."""
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:latest"}]}}},
    }


def policy_report(ns: str) -> dict[str, Any]:
    """A Kyverno PolicyReport with one failure and one pass."""
    return {
        "apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
        "metadata": {"name": "pol-shop", "namespace": ns},
        "summary": {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0},
        "results": [
            {"policy": "require-labels", "rule": "check-team", "result": "fail", "severity": "medium",
             "message": "label team is required", "resources": [{"apiVersion": "v1", "kind": "Pod", "namespace": ns,
                                                                 "name": "bad"}]},
            {"policy": "require-labels", "rule": "check-team", "result": "pass",
             "resources": [{"apiVersion": "v1", "kind": "Pod", "namespace": ns, "name": "good"}]},
        ],
    }


ALPHA = [
    crd("policyreports", "PolicyReport", "Namespaced"),
    crd("clusterpolicyreports", "ClusterPolicyReport", "Cluster"),
    namespace("shop", team="web"),
    namespace("tools"),
    pod("shop", "good", hardened=True),
    pod("shop", "bad", escalate=True),
    pod("tools", "debug", image="busybox"),
    deployment("shop", "web"),
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "type": "Opaque",
     "data": {"password": SECRET_VALUE}},
    policy_report("shop"),
]
BETA = [namespace("team-b"), pod("team-b", "legacy", escalate=True), pod("team-b", "ok", hardened=True)]


@dataclass
class Clusters:
    """The fake clusters and the kubeconfig pointing at them."""

    alpha: FakeCluster
    beta: FakeCluster
    kubeconfig: Path


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clusters(tmp_path: Path, fake_cluster: Callable[..., FakeCluster]) -> Clusters:
    alpha = fake_cluster(ALPHA)
    beta = fake_cluster(BETA)
    kubeconfig = write_standard_kubeconfig(tmp_path / "kubeconfig", alpha, beta).path
    return Clusters(alpha, beta, kubeconfig)


@pytest.fixture
def settings(clusters: Clusters) -> ServerSettings:
    return ServerSettings(kubeconfig=str(clusters.kubeconfig), timeout=3.0, toolsets=("all",))


@pytest.fixture
async def client(settings: ServerSettings) -> AsyncIterator[Client]:
    async with Client(build_server(settings)) as c:
        yield c
