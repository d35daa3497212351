"""Kubeconfig discovery, merging, context listing and the in-cluster context."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
import yaml

from pykyverno.server.kube import (
    ClientRegistry,
    ContextInfo,
    InClusterSettings,
    Kubeconfig,
    KubeconfigError,
    kubeconfig_paths,
)
from tests.fakeapi import ContextSpec, FakeCluster, write_kubeconfig
from tests.fakeapi.kubeconfig import write_standard_kubeconfig
from tests.fakeapi.samples import sample_objects

MakeCluster = Callable[..., FakeCluster]


def _kc(path: Path, contexts: dict[str, str], current: str | None = None, ns: str | None = "default") -> Path:
    """A kubeconfig whose contexts point at fake URLs (context name → server URL)."""
    specs = {name: ContextSpec(url, token=f"secret-token-{name}", namespace=ns) for name, url in contexts.items()}
    return write_kubeconfig(path, specs, current_context=current)


def test_explicit_path_wins_over_kubeconfig_env(tmp_path: Path) -> None:
    a = _kc(tmp_path / "a", {"a": "https://a:6443"})
    b = _kc(tmp_path / "b", {"b": "https://b:6443"})
    assert kubeconfig_paths(a, environ={"KUBECONFIG": str(b)}) == [a]
    with pytest.raises(KubeconfigError, match="does not exist"):
        kubeconfig_paths(tmp_path / "missing", environ={})


def test_kubeconfig_env_merges_in_order_first_wins(tmp_path: Path) -> None:
    a = _kc(tmp_path / "a", {"shared": "https://first:6443", "only-a": "https://a:6443"}, current="only-a")
    b = _kc(tmp_path / "b", {"shared": "https://second:6443", "only-b": "https://b:6443"}, current="only-b")
    env = {"KUBECONFIG": os.pathsep.join([str(a), str(tmp_path / "missing"), "", str(b)])}
    kc = Kubeconfig.load(environ=env, in_cluster=False)
    assert kc.sources == [a, b]
    assert kc.names() == ["shared", "only-a", "only-b"]
    assert kc.current_context == "only-a"
    infos = {c.name: c for c in kc.contexts()}
    assert infos["shared"].server == "https://first:6443"
    assert infos["only-a"].current and not infos["only-b"].current


def test_current_context_comes_from_the_first_file_that_sets_one(tmp_path: Path) -> None:
    a = tmp_path / "a"
    a.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "current-context": ""}))
    b = _kc(tmp_path / "b", {"x": "https://x:6443", "y": "https://y:6443"}, current="y")
    kc = Kubeconfig.load(environ={"KUBECONFIG": f"{a}{os.pathsep}{b}"}, in_cluster=False)
    assert kc.current_context == "y"


def test_default_home_location(tmp_path: Path) -> None:
    _kc(tmp_path / ".kube" / "config", {"home": "https://home:6443"})
    kc = Kubeconfig.load(environ={}, home=tmp_path, in_cluster=False)
    assert kc.names() == ["home"]
    assert Kubeconfig.load(environ={}, home=tmp_path / "nowhere", in_cluster=False).names() == []


def test_default_environment_reads_kubeconfig_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _kc(tmp_path / "env", {"from-env": "https://e:6443"})
    monkeypatch.setenv("KUBECONFIG", str(path))
    assert Kubeconfig.load(in_cluster=False).names() == ["from-env"]


def test_list_contexts_fields_and_no_secrets(tmp_path: Path, ca: trustme.CA) -> None:
    cert = ca.issue_cert("u", common_name="u")
    path = write_kubeconfig(tmp_path / "kc", {
        "tok": ContextSpec("https://user:hunter2@tok.example:6443", token="secret-token-xyz", ca=ca, namespace="ns1",
                           cluster_name="tok-cluster", user_name="tok-user"),
        "cert": ContextSpec("https://cert.example", client_cert=cert, namespace=None),
        "basic": ContextSpec("https://basic.example", user_extra={"username": "admin", "password": "p4ssw0rd"}),
    }, current_context="cert")
    contexts = Kubeconfig.load(path, in_cluster=False).contexts()
    assert contexts[0] == ContextInfo(name="tok", cluster="tok-cluster", server="https://tok.example:6443",
                                      user="tok-user", namespace="ns1", current=False, source="kubeconfig")
    assert contexts[1].current and contexts[1].namespace == "default"
    dumped = repr(contexts) + repr([c.as_dict() for c in contexts])
    key_b64 = base64.b64encode(cert.private_key_pem.bytes()).decode()
    for secret in ("secret-token-xyz", "hunter2", "p4ssw0rd", key_b64[:40], "BEGIN"):
        assert secret not in dumped


def test_relative_paths_resolve_against_the_kubeconfig_file(fake_cluster: MakeCluster, ca: trustme.CA,
                                                            tmp_path: Path) -> None:
    fc = fake_cluster(sample_objects())
    sub = tmp_path / "conf"
    path = write_kubeconfig(sub / "kc", {"rel": ContextSpec(fc.url, ca=ca, ca_file=True)})
    raw = yaml.safe_load(path.read_text())
    assert raw["clusters"][0]["cluster"]["certificate-authority"] == "rel-cluster-ca.crt"
    kc = Kubeconfig.load(path, in_cluster=False)
    assert kc.config["clusters"][0]["cluster"]["certificate-authority"] == str(sub / "rel-cluster-ca.crt")
    with ClientRegistry(kc) as reg:
        assert reg.client("rel").version().git_version == "v1.32.0"


def test_invalid_files_give_kubeconfig_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("clusters: [unclosed")
    with pytest.raises(KubeconfigError, match="not valid YAML"):
        Kubeconfig.load(bad, in_cluster=False)
    bad.write_text("- a list")
    with pytest.raises(KubeconfigError, match="not a mapping"):
        Kubeconfig.load(bad, in_cluster=False)
    bad.write_text(yaml.safe_dump({"contexts": [{"context": {}}]}))
    with pytest.raises(KubeconfigError, match="needs a name"):
        Kubeconfig.load(bad, in_cluster=False)


def test_kubeconfig_is_never_written(fake_cluster: MakeCluster, tmp_path: Path) -> None:
    alpha, beta = fake_cluster(sample_objects()), fake_cluster(sample_objects())
    std = write_standard_kubeconfig(tmp_path / "kc", alpha, beta)
    before = (std.path.read_bytes(), std.path.stat().st_mtime_ns)
    with ClientRegistry.from_kubeconfig(str(std.path), in_cluster=False) as reg:
        for name in ("alpha", "beta"):
            list(reg.client(name).list("", "v1", "pods"))
    assert (std.path.read_bytes(), std.path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kc"]


# ----------------------------------------------------------------------------- in-cluster


def _service_account(tmp_path: Path, fc: FakeCluster, token: str) -> InClusterSettings:
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text(token)
    (sa / "ca.crt").write_bytes(fc.ca_pem)
    (sa / "namespace").write_text("kyverno\n")
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(fc.port)}
    return InClusterSettings(token_path=sa / "token", ca_path=sa / "ca.crt", namespace_path=sa / "namespace",
                             environ=env)


def test_in_cluster_context_alone(fake_cluster: MakeCluster, tmp_path: Path) -> None:
    fc = fake_cluster(sample_objects(), tokens={"sa-token": "system:serviceaccount:kyverno:pykyverno"},
                      require_auth=True)
    ic = _service_account(tmp_path, fc, "sa-token")
    kc = Kubeconfig.load(environ={}, home=tmp_path, in_cluster=ic)
    assert kc.names() == ["in-cluster"]
    assert kc.contexts() == [ContextInfo(name="in-cluster", cluster="in-cluster", server=f"https://127.0.0.1:{fc.port}",
                                         user="service-account", namespace="kyverno", current=True,
                                         source="in-cluster")]
    with ClientRegistry(kc) as reg:
        assert len(list(reg.client().list("", "v1", "pods"))) == 7
    assert fc.requests[-1].user == "system:serviceaccount:kyverno:pykyverno"


def test_in_cluster_next_to_a_kubeconfig(fake_cluster: MakeCluster, tmp_path: Path) -> None:
    fc = fake_cluster(sample_objects(), tokens={"sa-token": "sa"})
    ic = _service_account(tmp_path, fc, "sa-token")
    path = _kc(tmp_path / "kc", {"dev": "https://dev:6443"})
    kc = Kubeconfig.load(path, in_cluster=ic)
    assert kc.names() == ["dev", "in-cluster"]
    assert kc.current_context == "dev"


def test_in_cluster_absent_without_environment(tmp_path: Path) -> None:
    sa = tmp_path / "token"
    sa.write_text("t")
    ic = InClusterSettings(token_path=sa, environ={})
    assert not ic.available()
    assert Kubeconfig.load(environ={}, home=tmp_path, in_cluster=ic).names() == []
    assert not InClusterSettings(token_path=tmp_path / "none", environ={"KUBERNETES_SERVICE_HOST": "h",
                                                                      "KUBERNETES_SERVICE_PORT": "1"}).available()
