"""Answers of an API server go through the bounded reader: nesting that would exhaust Python's recursion, integers
too long to convert and invalid UTF-8 are a clear ``ServerError`` (or an ignored error body), never a crash."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pykyverno.server.kube import ClientRegistry, ClientSettings, ServerError
from pykyverno.server.kube.client import decode_answer
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig
from tests.fakeapi.samples import sample_objects

DEEP = b'{"kind": "PodList", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
LONG_INTEGER = b'{"kind": "PodList", "items": [], "n": ' + b"9" * 5000 + b"}"


@pytest.fixture
def cluster(fake_cluster: Callable[..., FakeCluster]) -> FakeCluster:
    return fake_cluster(sample_objects(), name="alpha")


@pytest.fixture
def registry(cluster: FakeCluster, fake_cluster: Callable[..., FakeCluster],
             tmp_path: Path) -> Iterator[ClientRegistry]:
    path = write_standard_kubeconfig(tmp_path / "kubeconfig", cluster, fake_cluster([], name="beta")).path
    with ClientRegistry.from_kubeconfig(str(path), settings=ClientSettings(timeout=5.0), in_cluster=False) as reg:
        yield reg


@pytest.mark.parametrize("body", [DEEP, LONG_INTEGER, b"\xff\xfe{}"], ids=["deep", "long-integer", "not-utf8"])
def test_a_hostile_answer_is_a_server_error(registry: ClientRegistry, cluster: FakeCluster, body: bytes) -> None:
    client = registry.client("alpha")
    cluster.add_fault(r"/pods$", body=body, times=1)
    cluster.add_fault(r"/pods/web-1$", body=body, times=1)
    with pytest.raises(ServerError, match="invalid JSON"):
        list(client.list("", "v1", "pods"))
    with pytest.raises(ServerError, match="invalid JSON"):
        client.get("", "v1", "pods", "web-1", namespace="team-a")
    assert len(list(client.list("", "v1", "pods"))) > 0, "the next answers are read as usual"
    assert client.get("", "v1", "pods", "web-1", namespace="team-a")["metadata"]["name"] == "web-1"


def test_a_hostile_error_body_keeps_the_status(registry: ClientRegistry, cluster: FakeCluster) -> None:
    cluster.add_fault(r"/pods$", status=500, body=DEEP)
    with pytest.raises(ServerError) as raised:
        list(registry.client("alpha").list("", "v1", "pods"))
    assert raised.value.status == 500


def test_duplicate_keys_keep_the_last_as_go_does() -> None:
    assert decode_answer(b'{"kind": "Pod", "kind": "Secret"}') == {"kind": "Secret"}
    with pytest.raises(ValueError):
        decode_answer(b"")
