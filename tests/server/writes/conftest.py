"""Fixtures for the write tools: a writable fake cluster running "Kyverno", and KubeClients for two users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pykyverno.server.kube import ClientRegistry, ClientSettings, KubeClient
from pykyverno.server.writes import ConfirmationTokens, WriteFlow
from tests.fakeapi import ContextSpec, FakeCluster, write_kubeconfig
from tests.fakeapi.kyverno import kyverno_installed
from tests.fakeapi.samples import deployment, namespace, pod

MakeCluster = Callable[..., FakeCluster]
FAST = ClientSettings(timeout=5.0, retries=0, discovery_ttl=0.0)


@dataclass
class Cluster:
    """A started fake cluster and a registry with the contexts ``admin`` (user alice) and ``bob``."""

    fake: FakeCluster
    registry: ClientRegistry
    #: The kubeconfig with the contexts ``admin`` and ``bob`` (for the MCP server and the CLI).
    kubeconfig: Path

    def client(self, context: str = "admin") -> KubeClient:
        return self.registry.client(context)

    def stored(self, group: str, plural: str, name: str, namespace: str = "") -> dict[str, Any] | None:
        with self.fake._lock:
            return self.fake._store.get((group, plural), {}).get((namespace, name))

    def writes(self) -> list[tuple[str, str, str]]:
        """(method, path, dryRun) of every write request seen so far."""
        return [(r.method, r.path, r.query.get("dryRun", "")) for r in self.fake.requests if r.method != "GET"]


def workloads() -> list[dict[str, Any]]:
    """Two namespaces with a compliant pod, a privileged pod and a hostPath deployment."""
    privileged = pod("root-shell", "team-a", {"app": "shell"})
    privileged["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    host_path = deployment("logger", "team-b")
    host_path["spec"]["template"]["spec"]["volumes"] = [{"name": "logs", "hostPath": {"path": "/var/log"}}]
    return [namespace("default"), namespace("team-a"), namespace("team-b"), pod("web-1", "team-a", {"app": "web"}),
            privileged, host_path]


MakeWriteCluster = Callable[[list[dict[str, Any]]], Cluster]


@pytest.fixture
def cluster_with(fake_cluster: MakeCluster, tmp_path: Path) -> Iterator[MakeWriteCluster]:
    """Factory: a writable fake cluster holding ``objects``, with its registry (closed after the test)."""
    registries: list[ClientRegistry] = []

    def make(objects: list[dict[str, Any]]) -> Cluster:
        fc = fake_cluster(objects, writable=True, tokens={"t-alice": "alice", "t-bob": "bob"})
        path = write_kubeconfig(tmp_path / f"kubeconfig-{len(registries)}", {
            "admin": ContextSpec(fc.url, token="t-alice", ca=fc.ca),
            "bob": ContextSpec(fc.url, token="t-bob", ca=fc.ca, cluster_name="bob-cluster"),
        })
        registry = ClientRegistry.from_kubeconfig(str(path), settings=FAST, in_cluster=False)
        registries.append(registry)
        return Cluster(fc, registry, path)

    yield make
    for registry in registries:
        registry.close()


@pytest.fixture
def cluster(cluster_with: MakeWriteCluster) -> Cluster:
    """Kyverno 1.17 installed (policies.kyverno.io v1, wgpolicyk8s.io reports) plus :func:`workloads`."""
    return cluster_with([*kyverno_installed("v1.17.0"), *workloads()])


@pytest.fixture
def flow() -> WriteFlow:
    return WriteFlow(ConfirmationTokens(ttl=60))
