"""The fake API server itself, driven by raw HTTP, the official ``kubernetes`` client and kubectl."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from kubernetes import client as k8s
from kubernetes.config import new_client_from_config
from kubernetes.dynamic import DynamicClient

from tests.fakeapi import ContextSpec, FakeCluster, write_kubeconfig
from tests.fakeapi.samples import pod, sample_objects

MakeCluster = Callable[..., FakeCluster]


def _get(fc: FakeCluster, path: str, token: str | None = None, method: str = "GET") -> tuple[int, Any, Any]:
    req = urllib.request.Request(fc.url + path, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    ctx = None
    if fc.tls:
        ctx = ssl.create_default_context()
        assert fc.ca is not None
        fc.ca.configure_trust(ctx)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
            return resp.status, json.loads(resp.read()), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), e.headers


@pytest.fixture
def plain(fake_cluster: MakeCluster) -> FakeCluster:
    return fake_cluster(sample_objects(), tls=False, tokens={"t-alice": "alice"})


_OPEN: list[k8s.ApiClient] = []


@pytest.fixture(autouse=True)
def _close_api_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _official(tmp_path: Path, fc: FakeCluster, token: str | None = None,
              client_cert: trustme.LeafCert | None = None) -> k8s.ApiClient:
    ca = fc.ca if fc.tls else None
    path = write_kubeconfig(tmp_path / "kc", {"c": ContextSpec(fc.url, token=token, ca=ca, client_cert=client_cert)})
    cfg = k8s.Configuration()
    cfg.retries = 0
    api = new_client_from_config(str(path), context="c", persist_config=False, client_configuration=cfg)
    _OPEN.append(api)
    return api


# ----------------------------------------------------------------------------- discovery and version


def test_version_with_official_client(plain: FakeCluster, tmp_path: Path) -> None:
    info = k8s.VersionApi(_official(tmp_path, plain)).get_code()
    assert (info.major, info.minor, info.git_version, info.platform) == ("1", "32", "v1.32.0", "linux/amd64")
    status, body, _ = _get(plain, "/version")
    assert status == 200 and set(body) >= {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler"}


def test_discovery_documents(plain: FakeCluster) -> None:
    _, api, _ = _get(plain, "/api")
    assert api["kind"] == "APIVersions" and api["versions"] == ["v1"]
    _, apis, _ = _get(plain, "/apis")
    groups = {g["name"]: g for g in apis["groups"]}
    assert {"apps", "batch", "example.com", "apiextensions.k8s.io"} <= set(groups)
    assert groups["example.com"]["preferredVersion"]["version"] == "v1"  # GA beats v1beta1; v1alpha1 not served
    assert [v["version"] for v in groups["example.com"]["versions"]] == ["v1", "v1beta1"]
    assert groups["autoscaling"]["preferredVersion"]["version"] == "v2"
    _, grp, _ = _get(plain, "/apis/apps")
    assert grp["kind"] == "APIGroup" and grp["preferredVersion"]["groupVersion"] == "apps/v1"
    _, core, _ = _get(plain, "/api/v1")
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert pods == {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
                    "verbs": pods["verbs"], "shortNames": ["po"], "categories": ["all"]}
    assert {"get", "list", "watch"} <= set(pods["verbs"])
    _, ex, _ = _get(plain, "/apis/example.com/v1")
    by_name = {r["name"]: r for r in ex["resources"]}
    assert by_name["widgets"]["namespaced"] is True and by_name["widgets"]["shortNames"] == ["wd"]
    assert by_name["gadgets"]["namespaced"] is False
    assert _get(plain, "/apis/example.com/v1alpha1")[0] == 404
    assert _get(plain, "/apis/nope.io")[0] == 404


def test_official_core_and_apis_discovery(plain: FakeCluster, tmp_path: Path) -> None:
    api = _official(tmp_path, plain)
    assert k8s.CoreApi(api).get_api_versions().versions == ["v1"]
    names = [g.name for g in k8s.ApisApi(api).get_api_versions().groups]
    assert "example.com" in names
    res = k8s.CoreV1Api(api).get_api_resources()
    assert any(r.name == "namespaces" and not r.namespaced for r in res.resources)


# ----------------------------------------------------------------------------- list and get


def test_lists_have_kind_api_version_and_resource_version(plain: FakeCluster) -> None:
    status, body, _ = _get(plain, "/api/v1/pods")
    assert status == 200
    assert body["kind"] == "PodList" and body["apiVersion"] == "v1"
    assert body["metadata"]["resourceVersion"]
    assert len(body["items"]) == 7
    _, deps, _ = _get(plain, "/apis/apps/v1/namespaces/team-a/deployments")
    assert deps["kind"] == "DeploymentList" and deps["apiVersion"] == "apps/v1"
    assert [d["metadata"]["name"] for d in deps["items"]] == ["web"]


def test_official_client_lists_and_gets(plain: FakeCluster, tmp_path: Path) -> None:
    core = k8s.CoreV1Api(_official(tmp_path, plain))
    assert len(core.list_pod_for_all_namespaces().items) == 7
    assert [p.metadata.name for p in core.list_namespaced_pod("team-b").items] == ["api-1", "api-2", "job-1"]
    assert core.read_namespace("team-a").metadata.labels == {"team": "a", "env": "prod"}
    assert {n.metadata.name for n in core.list_node().items} == {"node-1", "node-2"}
    secret = core.read_namespaced_secret("creds", "team-a")  # secrets are served (the scanner redacts them)
    assert secret.data == {"password": "c2VjcmV0"}
    with pytest.raises(k8s.ApiException) as ei:
        core.read_namespaced_pod("nope", "team-a")
    assert ei.value.status == 404
    assert json.loads(str(ei.value.body))["reason"] == "NotFound"


def test_custom_resources_served_under_every_served_version(plain: FakeCluster) -> None:
    _, v1, _ = _get(plain, "/apis/example.com/v1/widgets")
    assert v1["kind"] == "WidgetList" and v1["items"][0]["metadata"]["name"] == "w1"
    status, w, _ = _get(plain, "/apis/example.com/v1beta1/namespaces/team-a/widgets/w1")
    assert status == 200 and w["apiVersion"] == "example.com/v1beta1" and w["kind"] == "Widget"
    status, g, _ = _get(plain, "/apis/example.com/v1/gadgets/g1")
    assert status == 200 and "namespace" not in g["metadata"]


def test_not_found_status_body(plain: FakeCluster) -> None:
    status, body, _ = _get(plain, "/api/v1/namespaces/team-a/pods/ghost")
    assert status == 404
    assert body["kind"] == "Status" and body["code"] == 404 and body["reason"] == "NotFound"
    assert body["details"] == {"name": "ghost", "group": "", "kind": "pods"}
    assert _get(plain, "/api/v1/pods/web-1")[0] == 404  # namespaced object by a cluster path
    assert _get(plain, "/api/v1/namespaces/x/nodes")[0] == 404  # cluster-scoped under a namespace
    assert _get(plain, "/apis/apps/v1/nothings")[0] == 404


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", {"web-1", "web-2"}),
        ("app==web", {"web-1", "web-2"}),
        ("app!=web", {"db-1", "api-1", "api-2", "job-1", "lonely"}),
        ("app in (web,db)", {"web-1", "web-2", "db-1"}),
        ("app notin (web,db)", {"api-1", "api-2", "job-1", "lonely"}),
        ("canary", {"api-2"}),
        ("!app", {"job-1", "lonely"}),
        ("app=web,tier=front", {"web-1", "web-2"}),
        ("tier in (front, back),app!=db", {"web-1", "web-2"}),
    ],
)
def test_label_selectors(plain: FakeCluster, selector: str, expected: set[str]) -> None:
    q = urllib.parse.quote(selector)
    _, body, _ = _get(plain, f"/api/v1/pods?labelSelector={q}")
    assert {p["metadata"]["name"] for p in body["items"]} == expected


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("spec.nodeName=node-2", {"web-2", "api-2"}),
        ("status.phase==Pending", {"db-1"}),
        ("status.phase!=Running", {"db-1", "job-1"}),
        ("metadata.namespace=team-b,status.phase=Running", {"api-1", "api-2"}),
        ("metadata.name=lonely", {"lonely"}),
    ],
)
def test_field_selectors(plain: FakeCluster, selector: str, expected: set[str]) -> None:
    _, body, _ = _get(plain, f"/api/v1/pods?fieldSelector={urllib.parse.quote(selector)}")
    assert {p["metadata"]["name"] for p in body["items"]} == expected


def test_bad_selector_is_400(plain: FakeCluster) -> None:
    status, body, _ = _get(plain, "/api/v1/pods?labelSelector=" + urllib.parse.quote("app in (web"))
    assert status == 400 and body["reason"] == "BadRequest"


def test_pagination_and_expired_tokens(plain: FakeCluster) -> None:
    names: list[str] = []
    _, page, _ = _get(plain, "/api/v1/pods?limit=3")
    assert page["metadata"]["remainingItemCount"] == 4
    names += [p["metadata"]["name"] for p in page["items"]]
    token = page["metadata"]["continue"]
    while token:
        _, page, _ = _get(plain, f"/api/v1/pods?limit=3&continue={token}")
        names += [p["metadata"]["name"] for p in page["items"]]
        token = page["metadata"].get("continue")
    _, full, _ = _get(plain, "/api/v1/pods")
    assert names == [p["metadata"]["name"] for p in full["items"]]
    _, first, _ = _get(plain, "/api/v1/pods?limit=2")
    plain.expire_continue_tokens()
    status, body, _ = _get(plain, f"/api/v1/pods?limit=2&continue={first['metadata']['continue']}")
    assert status == 410 and body["reason"] == "Expired"
    bad = base64.urlsafe_b64encode(b"garbage").decode()
    assert _get(plain, f"/api/v1/pods?limit=2&continue={bad}")[0] == 410


def test_mutations_are_405(plain: FakeCluster) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        status, body, _ = _get(plain, "/api/v1/namespaces/team-a/pods", method=method)
        assert status == 405 and body["reason"] == "MethodNotAllowed"


# ----------------------------------------------------------------------------- auth, deny, faults, log


def test_tokens_require_auth_and_request_log(fake_cluster: MakeCluster) -> None:
    fc = fake_cluster([pod("p")], tls=False, tokens={"good": "alice"}, require_auth=True)
    assert _get(fc, "/api/v1/pods")[0] == 401
    assert _get(fc, "/api/v1/pods", token="bad")[0] == 401
    assert _get(fc, "/api/v1/pods?limit=5", token="good")[0] == 200
    log = fc.requests
    assert [(r.path, r.user, r.status) for r in log] == [
        ("/api/v1/pods", None, 401), ("/api/v1/pods", None, 401), ("/api/v1/pods", "alice", 200)]
    assert log[-1].query == {"limit": "5"}


def test_client_certificate_cn_is_the_user(fake_cluster: MakeCluster, ca: trustme.CA, tmp_path: Path) -> None:
    fc = fake_cluster([pod("p")], require_auth=True)
    api = _official(tmp_path, fc, client_cert=fc.issue_client_cert("carol"))
    assert len(k8s.CoreV1Api(api).list_pod_for_all_namespaces().items) == 1
    assert fc.requests[-1].user == "carol"


def test_deny_rules(plain: FakeCluster) -> None:
    plain.deny(user="alice", verb="list", resource="secrets")
    plain.deny(user=".*", verb="get", resource="deployments.apps", namespace="team-b")
    status, body, _ = _get(plain, "/api/v1/secrets", token="t-alice")
    assert status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == ('secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" '
                               "at the cluster scope")
    assert _get(plain, "/api/v1/secrets")[0] == 200  # anonymous is not alice
    assert _get(plain, "/apis/apps/v1/namespaces/team-b/deployments/api")[0] == 403
    assert _get(plain, "/apis/apps/v1/namespaces/team-a/deployments/web")[0] == 200
    plain.clear_denies()
    assert _get(plain, "/api/v1/secrets", token="t-alice")[0] == 200


def test_faults_status_times_retry_after_delay_and_drop(plain: FakeCluster) -> None:
    plain.add_fault(r"^/api/v1/pods$", status=503, times=2)
    assert [_get(plain, "/api/v1/pods")[0] for _ in range(3)] == [503, 503, 200]
    plain.add_fault(r"/deployments$", status=429, retry_after=7, times=1)
    status, body, headers = _get(plain, "/apis/apps/v1/deployments")
    assert status == 429 and headers["Retry-After"] == "7" and body["details"]["retryAfterSeconds"] == 7
    plain.add_fault(r"/nodes$", delay=0.3, times=1)
    t0 = time.monotonic()
    assert _get(plain, "/api/v1/nodes")[0] == 200
    assert time.monotonic() - t0 >= 0.3
    plain.add_fault(r"/namespaces$", drop=True, times=1)
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        _get(plain, "/api/v1/namespaces")
    assert _get(plain, "/api/v1/namespaces")[0] == 200
    assert plain.requests[-2].status == 0  # the dropped one


def test_dynamic_client_with_cache_under_tmp(plain: FakeCluster, tmp_path: Path) -> None:
    dyn = DynamicClient(_official(tmp_path, plain), cache_file=str(tmp_path / "discovery.json"))
    widgets = dyn.resources.get(api_version="example.com/v1", kind="Widget")
    assert [w.metadata.name for w in widgets.get().items] == ["w1"]
    pods = dyn.resources.get(api_version="v1", kind="Pod")
    assert len(pods.get(namespace="team-a", label_selector="app=web").items) == 2


def test_https_rejects_clients_not_trusting_the_ca(fake_cluster: MakeCluster) -> None:
    fc = fake_cluster([pod("p")])
    ctx = ssl.create_default_context()
    trustme.CA().configure_trust(ctx)  # the wrong CA
    with pytest.raises(urllib.error.URLError), urllib.request.urlopen(fc.url + "/version", context=ctx, timeout=5):
        pass


def test_stop_releases_the_port(fake_cluster: MakeCluster) -> None:
    fc = fake_cluster(tls=False)
    port = fc.port
    fc.stop()
    with socket.socket() as s, pytest.raises(OSError):
        s.settimeout(1)
        s.connect(("127.0.0.1", port))


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_get_pods_all_namespaces(fake_cluster: MakeCluster, ca: trustme.CA, tmp_path: Path) -> None:
    fc = fake_cluster(sample_objects(), tokens={"kt": "kubectl-user"}, require_auth=True)
    path = write_kubeconfig(tmp_path / "kc", {"k": ContextSpec(fc.url, token="kt", ca=ca)})
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(["kubectl", "--kubeconfig", str(path), "get", "pods", "-A", "--request-timeout=10s"],
                         capture_output=True, text=True, timeout=60, env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert "web-1" in out.stdout and "team-b" in out.stdout and "lonely" in out.stdout
    out = subprocess.run(["kubectl", "--kubeconfig", str(path), "get", "widgets", "-n", "team-a", "-o", "name"],
                         capture_output=True, text=True, timeout=60, env=env, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "widget.example.com/w1"
