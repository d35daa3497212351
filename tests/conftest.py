"""Shared pytest fixtures. Keep each group under its own banner so teammates can add theirs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import trustme

from tests.fakeapi import FakeCluster

# ============================================================================
# Environment hygiene (issue 4): no test sees the developer's kubeconfig, proxies or pod environment.
# ============================================================================

_PROXY_VARS = {"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "FTP_PROXY"}
_KUBE_VARS = {"KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"}


@pytest.fixture(autouse=True)
def _clean_kube_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset KUBECONFIG, in-cluster variables and every proxy variable (any case) for each test."""
    for name in list(os.environ):
        if name.upper() in _PROXY_VARS or name in _KUBE_VARS:
            monkeypatch.delenv(name, raising=False)


# ============================================================================
# MCP start-up cache (issue 15): `pykyverno serve` children that inherit the environment keep their start-up
# answers in this session's folder, not in the developer's ~/.cache.
# ============================================================================


@pytest.fixture(autouse=True, scope="session")
def _start_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point PYKYVERNO_CACHE_DIR at a folder of this test session."""
    previous = os.environ.get("PYKYVERNO_CACHE_DIR")
    os.environ["PYKYVERNO_CACHE_DIR"] = str(tmp_path_factory.mktemp("pykyverno-cache"))
    yield
    if previous is None:
        os.environ.pop("PYKYVERNO_CACHE_DIR", None)
    else:
        os.environ["PYKYVERNO_CACHE_DIR"] = previous


# ============================================================================
# Fake Kubernetes API server (issue 4): see tests/fakeapi and ../shared/spec/test-cluster.md.
# ============================================================================


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A test CA (session-wide): signs fake API server certificates and client certificates."""
    return trustme.CA()


@pytest.fixture
def fake_cluster(ca: trustme.CA) -> Iterator[Callable[..., FakeCluster]]:
    """Factory: ``fake_cluster(objects=[...], tokens={...}, tls=True, ...)`` returns a started
    :class:`FakeCluster` (HTTPS with the session CA by default); all are stopped after the test."""
    started: list[FakeCluster] = []

    def make(objects: Any = (), **kwargs: Any) -> FakeCluster:
        kwargs.setdefault("tls", True)
        if kwargs["tls"]:
            kwargs.setdefault("ca", ca)
        fc = FakeCluster(objects, **kwargs).start()
        started.append(fc)
        return fc

    yield make
    for fc in started:
        fc.stop()
