"""ClientRegistry and KubeClient against fake clusters over real HTTPS, through a real kubeconfig."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pykyverno.server.kube import (
    ClientRegistry,
    ClientSettings,
    ClusterError,
    ContextNotAllowed,
    ContextNotFound,
    Expired,
    Forbidden,
    KubeError,
    NotFound,
    RequestTimeout,
    ServerError,
    TLSError,
    TooManyRequests,
    Unauthorized,
    Unreachable,
)
from tests.fakeapi import ContextSpec, FakeCluster, write_kubeconfig
from tests.fakeapi.kubeconfig import StandardKubeconfig, write_standard_kubeconfig
from tests.fakeapi.samples import sample_objects

MakeCluster = Callable[..., FakeCluster]
FAST = ClientSettings(timeout=2.0, throttle_retries=1, max_retry_after=1.0)


@pytest.fixture
def clusters(fake_cluster: MakeCluster) -> tuple[FakeCluster, FakeCluster]:
    alpha = fake_cluster(sample_objects(), name="alpha", require_auth=True)
    beta = fake_cluster(sample_objects()[:6], name="beta", require_auth=True)
    return alpha, beta


@pytest.fixture
def std(clusters: tuple[FakeCluster, FakeCluster], tmp_path: Path) -> StandardKubeconfig:
    return write_standard_kubeconfig(tmp_path / "kubeconfig", *clusters)


@pytest.fixture
def registry(std: StandardKubeconfig) -> Iterator[ClientRegistry]:
    with ClientRegistry.from_kubeconfig(str(std.path), settings=FAST, in_cluster=False) as reg:
        yield reg


def _assert_clean(err: KubeError, std: StandardKubeconfig) -> None:
    text = str(err)
    assert "Traceback" not in text and std.token not in text and "BEGIN" not in text
    assert "\n" not in text


# ----------------------------------------------------------------------------- contexts and registry


def test_two_clusters_token_and_client_certificate(registry: ClientRegistry,
                                                   clusters: tuple[FakeCluster, FakeCluster]) -> None:
    alpha, beta = clusters
    assert len(list(registry.client("alpha").list("", "v1", "pods"))) == 7
    assert alpha.requests[-1].user == "alice"
    assert [p["metadata"]["name"] for p in registry.client("beta").list("", "v1", "pods")] == ["db-1", "web-1", "web-2"]
    assert beta.requests[-1].user == "bob"  # from the client certificate's CN
    assert registry.client().context == "alpha"  # the current context


def test_contexts_listing(registry: ClientRegistry, std: StandardKubeconfig) -> None:
    infos = {c.name: c for c in registry.contexts()}
    assert list(infos) == ["alpha", "beta", "broken-ca", "unreachable"]
    assert infos["alpha"].current and infos["alpha"].user == "alice"
    assert infos["beta"].namespace == "team-b" and infos["beta"].server == std.contexts["beta"].server
    assert std.token not in repr(infos)


def test_clients_are_lazy_cached_and_thread_safe(registry: ClientRegistry) -> None:
    assert registry._clients == {}
    got = []

    def grab() -> None:
        got.append(registry.client("beta"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in got}) == 1
    assert list(registry._clients) == ["beta"]


def test_retries_and_timeout_are_explicit(registry: ClientRegistry) -> None:
    kc = registry.client("alpha")
    assert kc.api_client.configuration.retries == 0
    assert kc.api_client.rest_client.pool_manager.connection_pool_kw["retries"].total == 0
    assert kc.settings.timeout == 2.0


def test_unknown_and_denied_contexts(std: StandardKubeconfig) -> None:
    settings = ClientSettings(allow=frozenset({"alpha", "beta*", "broken-ca"}), deny=frozenset({"broken-*"}))
    with ClientRegistry.from_kubeconfig(str(std.path), settings=settings, in_cluster=False) as reg:
        assert reg.available() == ["alpha", "beta"]
        assert [c.name for c in reg.contexts()] == ["alpha", "beta"]
        with pytest.raises(ContextNotFound) as ei:
            reg.client("prod")
        assert str(ei.value) == "unknown context 'prod'; available contexts: alpha, beta"
        assert ei.value.available == ["alpha", "beta"]
        with pytest.raises(ContextNotAllowed, match=r"not allowed.*available contexts: alpha, beta"):
            reg.client("broken-ca")
        with pytest.raises(ContextNotAllowed):
            reg.client("unreachable")


def test_no_current_context(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kc", {"x": ContextSpec("https://x")}, current_context="")
    with ClientRegistry.from_kubeconfig(str(path), in_cluster=False) as reg, \
            pytest.raises(ContextNotFound, match="no current context; available contexts: x"):
        reg.client()


# ----------------------------------------------------------------------------- failures


def test_broken_ca(registry: ClientRegistry, std: StandardKubeconfig) -> None:
    with pytest.raises(TLSError) as ei:
        registry.client("broken-ca").version()
    err = ei.value
    assert (err.context, err.status, err.reason) == ("broken-ca", 0, "TLSError")
    assert "certificate verify failed" in str(err) and "certificate-authority" in str(err)
    _assert_clean(err, std)


def test_unreachable_fails_fast(registry: ClientRegistry, std: StandardKubeconfig) -> None:
    t0 = time.monotonic()
    with pytest.raises(Unreachable) as ei:
        list(registry.client("unreachable").list("", "v1", "pods"))
    assert time.monotonic() - t0 < FAST.timeout
    assert ei.value.reason == "Unreachable" and "unreachable" in str(ei.value)
    assert ei.value.resource == "list pods/v1"
    _assert_clean(ei.value, std)


def test_slow_server_times_out_in_about_the_timeout(std: StandardKubeconfig,
                                                    clusters: tuple[FakeCluster, FakeCluster]) -> None:
    alpha, _ = clusters
    alpha.add_fault(r"/pods$", delay=3.0)
    settings = ClientSettings(timeout=0.5)
    with ClientRegistry.from_kubeconfig(str(std.path), settings=settings, in_cluster=False) as reg:
        kc = reg.client("alpha")
        kc.version()  # connection established
        t0 = time.monotonic()
        with pytest.raises(RequestTimeout) as ei:
            list(kc.list("", "v1", "pods"))
        elapsed = time.monotonic() - t0
    assert 0.4 < elapsed < 1.0, elapsed  # not 4x the timeout: urllib3 retries are off
    assert ei.value.reason == "Timeout" and "within 0.5s" in str(ei.value)
    assert sum(1 for r in alpha.requests if r.path == "/api/v1/pods") == 1


def test_forbidden_keeps_the_status_reason(registry: ClientRegistry, clusters: tuple[FakeCluster, FakeCluster],
                                           std: StandardKubeconfig) -> None:
    clusters[0].deny(user="alice", verb="list", resource="secrets")
    with pytest.raises(Forbidden) as ei:
        list(registry.client("alpha").list("", "v1", "secrets", namespace="team-a"))
    err = ei.value
    assert (err.status, err.reason, err.context) == (403, "Forbidden", "alpha")
    assert str(err).startswith("context 'alpha': cannot list secrets/v1 in namespace 'team-a': forbidden")
    assert 'User "alice" cannot list resource "secrets"' in str(err)
    _assert_clean(err, std)


def test_not_found(registry: ClientRegistry) -> None:
    kc = registry.client("alpha")
    with pytest.raises(NotFound) as ei:
        kc.get("apps", "v1", "deployments", "ghost", namespace="team-a")
    assert (ei.value.status, ei.value.reason) == (404, "NotFound")
    assert "get deployments.apps/v1 'ghost' in namespace 'team-a'" in str(ei.value)
    with pytest.raises(NotFound):
        list(kc.list("example.com", "v9", "widgets"))


def test_unauthorized(clusters: tuple[FakeCluster, FakeCluster], tmp_path: Path) -> None:
    alpha, _ = clusters
    path = write_kubeconfig(tmp_path / "kc", {"x": ContextSpec(alpha.url, token="wrong-token", ca=alpha.ca)})
    with ClientRegistry.from_kubeconfig(str(path), in_cluster=False) as reg, pytest.raises(Unauthorized) as ei:
        reg.client("x").version()
    assert ei.value.status == 401 and "wrong-token" not in str(ei.value)


def test_server_errors_and_dropped_connections(registry: ClientRegistry,
                                               clusters: tuple[FakeCluster, FakeCluster]) -> None:
    alpha, _ = clusters
    kc = registry.client("alpha")
    alpha.add_fault(r"/pods$", status=500, times=1, message="etcdserver: request timed out")
    with pytest.raises(ServerError) as ei:
        list(kc.list("", "v1", "pods"))
    assert (ei.value.status, ei.value.reason) == (500, "InternalError")
    assert "etcdserver: request timed out" in str(ei.value)
    alpha.add_fault(r"/pods$", drop=True, times=1)
    with pytest.raises(Unreachable, match="closed the connection"):
        list(kc.list("", "v1", "pods"))
    assert len(list(kc.list("", "v1", "pods"))) == 7  # and the next call works


def test_429_is_retried_after_retry_after(registry: ClientRegistry, clusters: tuple[FakeCluster, FakeCluster]) -> None:
    alpha, _ = clusters
    alpha.add_fault(r"/pods$", status=429, retry_after=0, times=1)
    assert len(list(registry.client("alpha").list("", "v1", "pods"))) == 7
    assert [r.status for r in alpha.requests if r.path == "/api/v1/pods"] == [429, 200]
    alpha.add_fault(r"/pods$", status=429, retry_after=0)
    with pytest.raises(TooManyRequests) as ei:
        list(registry.client("alpha").list("", "v1", "pods"))
    assert ei.value.retry_after == 0 and ei.value.status == 429
    alpha.clear_faults()
    alpha.add_fault(r"/pods$", status=429, retry_after=30, times=1)  # too long to wait for: raised at once
    t0 = time.monotonic()
    with pytest.raises(TooManyRequests) as ei:
        list(registry.client("alpha").list("", "v1", "pods"))
    assert ei.value.retry_after == 30 and time.monotonic() - t0 < 1


# ----------------------------------------------------------------------------- reads


def test_version(registry: ClientRegistry) -> None:
    v = registry.client("beta").version()
    assert (v.major, v.minor, v.git_version, v.platform) == ("1", "32", "v1.32.0", "linux/amd64")


def test_pagination_follows_continue(registry: ClientRegistry, clusters: tuple[FakeCluster, FakeCluster]) -> None:
    alpha, _ = clusters
    alpha.clear_requests()
    pods = list(registry.client("alpha").list("", "v1", "pods", limit=3))
    assert len(pods) == 7 and len({p["metadata"]["name"] for p in pods}) == 7
    assert all(p["apiVersion"] == "v1" and p["kind"] == "Pod" for p in pods)
    queries = [r.query for r in alpha.requests]
    assert [q["limit"] for q in queries] == ["3", "3", "3"]
    assert "continue" not in queries[0] and all("continue" in q for q in queries[1:])
    pages = list(registry.client("alpha").list_pages("", "v1", "pods", limit=3))
    assert [len(p.items) for p in pages] == [3, 3, 1] and pages[0].remaining == 4 and pages[-1].continue_token is None


def test_stale_continue_token_is_expired(registry: ClientRegistry, clusters: tuple[FakeCluster, FakeCluster]) -> None:
    alpha, _ = clusters
    pages = registry.client("alpha").list_pages("", "v1", "pods", limit=2)
    first = next(pages)
    assert len(first.items) == 2
    alpha.expire_continue_tokens()
    with pytest.raises(Expired) as ei:
        next(pages)
    assert (ei.value.status, ei.value.reason) == (410, "Expired") and "restart the list" in str(ei.value)


def test_selectors_namespaces_and_cluster_scope(registry: ClientRegistry) -> None:
    kc = registry.client("alpha")
    names = [p["metadata"]["name"] for p in kc.list("", "v1", "pods", label_selector="app in (web,api),!canary")]
    assert names == ["web-1", "web-2", "api-1"]
    names = [p["metadata"]["name"] for p in kc.list("", "v1", "pods", field_selector="spec.nodeName=node-2")]
    assert names == ["web-2", "api-2"]
    assert [d["metadata"]["name"] for d in kc.list("apps", "v1", "deployments", namespace="team-b")] == ["api"]
    assert [n["kind"] for n in kc.list("", "v1", "nodes")] == ["Node", "Node"]
    assert kc.get("", "v1", "namespaces", "team-a")["metadata"]["labels"]["team"] == "a"
    widget = kc.get("example.com", "v1", "widgets", "w1", namespace="team-a")
    assert (widget["apiVersion"], widget["kind"]) == ("example.com/v1", "Widget")
    secret = kc.get("", "v1", "secrets", "creds", namespace="team-a")
    assert secret["kind"] == "Secret" and set(secret["data"].values()) == {"<redacted>"}  # redacted on entry


def test_discovery(registry: ClientRegistry, clusters: tuple[FakeCluster, FakeCluster]) -> None:
    alpha, _ = clusters
    alpha.add_fault(r"^/apis/storage\.k8s\.io/v1$", status=503, message="service unavailable")
    kc = registry.client("alpha")
    disc = kc.discover()
    assert disc.preferred_versions["example.com"] == "v1"
    assert disc.preferred_versions["autoscaling"] == "v2"
    assert disc.preferred_versions[""] == "v1"
    assert disc.versions("example.com") == ["v1", "v1beta1"]
    pods = disc.get("", "v1", "pods")
    assert pods is not None and pods.namespaced and pods.kind == "Pod" and pods.preferred and pods.listable
    assert disc.get("", "v1", "pods/status") is None  # subresources are skipped
    ns = disc.by_kind("", "Namespace")
    assert ns is not None and not ns.namespaced and ns.resource == "namespaces"
    widget = disc.by_kind("example.com", "Widget")
    assert widget is not None and widget.version == "v1" and widget.short_names == ("wd",)
    old = disc.by_kind("example.com", "Widget", version="v1beta1")
    assert old is not None and not old.preferred
    gadget = disc.by_kind("example.com", "Gadget")
    assert gadget is not None and not gadget.namespaced
    assert set(disc.failed) == {"storage.k8s.io/v1"} and "503" in disc.failed["storage.k8s.io/v1"]
    assert disc.by_kind("storage.k8s.io", "StorageClass") is None
    assert kc.discover() is not disc, "a partial discovery is not cached: the next call asks again"
    alpha.clear_faults()
    complete = kc.discover()
    assert not complete.failed and complete.by_kind("storage.k8s.io", "StorageClass") is not None
    n = len(alpha.requests)
    assert kc.discover() is complete and len(alpha.requests) == n  # cached in memory
    assert kc.discover(refresh=True) is not complete


def test_cluster_error_hierarchy(registry: ClientRegistry, clusters: tuple[FakeCluster, FakeCluster]) -> None:
    clusters[0].deny(resource="pods")
    with pytest.raises(ClusterError):
        list(registry.client("alpha").list("", "v1", "pods"))
    with pytest.raises(KubeError):
        registry.client("nope")
