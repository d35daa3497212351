"""Names are checked as Kubernetes checks them before any request: ``.`` once turned a GET of one Secret into a
LIST of every Secret of the namespace (issue 11, item 1). Every object a cluster returns is redacted on entry."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pykyverno.server.kube import ClientRegistry, ClientSettings, KubeClient
from pykyverno.server.kube.errors import InvalidName, ServerError
from pykyverno.server.kube.names import (
    check_group,
    check_namespace,
    check_object_name,
    check_resource,
    check_version,
)
from pykyverno.server.redaction import REDACTED, secret_scope
from tests.fakeapi import ContextSpec, FakeCluster, write_kubeconfig

SECRET = "dG9wLXNlY3JldC12YWx1ZS0x"  # top-secret-value-1
SECRETS = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "data": {"pw": SECRET}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "api", "namespace": "shop"}, "data": {"k": SECRET}},
]

BAD_NAMES = [".", "..", "", "a/b", "../secrets", "%2e", "a%2fb", "x\n", "x\x00", "a" * 254]
GOOD_NAMES = ["db", "my.app-1", "system:controller:job", "Upper_Case", "a" * 253, "..a", "a..", "a b"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_object_names_kubernetes_never_accepts_are_refused(name: str) -> None:
    with pytest.raises(InvalidName) as info:
        check_object_name(name)
    assert info.value.field == "name" and "invalid object name" in str(info.value)


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_object_names_kubernetes_accepts_pass(name: str) -> None:
    assert check_object_name(name) == name


@pytest.mark.parametrize(("check", "good", "bad"), [
    (check_namespace, ["shop", "kube-system", "a" * 63, "1ab"], [".", "..", "Shop", "a.b", "a_b", "-a", "a" * 64, ""]),
    (check_resource, ["pods", "remotemcpservers", "clusterpolicyreports"], [".", "pods/log", "Pods", "", "a.b"]),
    (check_group, ["", "apps", "kagent.dev", "wgpolicyk8s.io"], [".", "..", "Apps", "a/b", "a..b", ".apps"]),
    (check_version, ["v1", "v1beta2", "v1alpha2"], [".", "", "v1/x", "V1"]),
])
def test_namespaces_resources_groups_versions(check: Callable[[str], str], good: list[str], bad: list[str]) -> None:
    for value in good:
        assert check(value) == value
    for value in bad:
        with pytest.raises(InvalidName):
            check(value)


@pytest.fixture
def cluster(fake_cluster: Callable[..., FakeCluster]) -> FakeCluster:
    return fake_cluster(SECRETS)


@pytest.fixture
def client(cluster: FakeCluster, tmp_path: Path) -> Iterator[KubeClient]:
    path = write_kubeconfig(tmp_path / "kubeconfig", {"c": ContextSpec(cluster.url, ca=cluster.ca)})
    with ClientRegistry.from_kubeconfig(str(path), settings=ClientSettings(timeout=3), in_cluster=False) as reg:
        yield reg.client("c")


def test_dot_names_never_reach_the_cluster(client: KubeClient, cluster: FakeCluster) -> None:
    cluster.clear_requests()
    for name in (".", "..", "a/b", "%2e"):
        with pytest.raises(InvalidName):
            client.get("", "v1", "secrets", name, namespace="shop")
    with pytest.raises(InvalidName):
        next(client.list("", "v1", "secrets", namespace=".."))
    with pytest.raises(InvalidName):
        next(client.list("", "v1", "secrets/..", namespace="shop"))
    with pytest.raises(InvalidName):
        client.request_json("/api/v1/namespaces/shop/secrets/.")
    assert cluster.requests == [], "no request was sent"


def test_secrets_are_redacted_on_entry_single_and_listed(client: KubeClient) -> None:
    with secret_scope() as ledger:
        one = client.get("", "v1", "secrets", "db", namespace="shop")
        listed = list(client.list("", "v1", "secrets", namespace="shop"))
        raw = client.request_json("/api/v1/namespaces/shop/secrets")
        assert ledger.mask(base64.b64decode(SECRET).decode()) == REDACTED, "the value is remembered"
    assert one["data"] == {"pw": REDACTED}
    assert [s["data"] for s in listed] == [{"k": REDACTED}, {"pw": REDACTED}]
    assert all(set(item["data"].values()) == {REDACTED} for item in raw["items"])


def test_a_list_answer_to_a_single_read_is_refused(client: KubeClient, cluster: FakeCluster) -> None:
    """Whatever an HTTP stack or proxy does to the path, a GET of one object never hands back a list."""
    original = cluster.handle_get

    def as_list(path: str, query: dict[str, str], user: str) -> tuple[int, dict[str, object]]:
        return original(path.rsplit("/", 1)[0] if path.endswith("/db") else path, query, user)

    cluster.handle_get = as_list  # type: ignore[method-assign]
    with pytest.raises(ServerError) as info:
        client.get("", "v1", "secrets", "db", namespace="shop")
    assert "another object or a list" in str(info.value)
