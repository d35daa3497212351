"""The write half of the fake API server and its Kyverno fixtures, driven by the official ``kubernetes`` client and
kubectl 1.32: create/update/patch/apply/delete, dry runs, field managers and conflicts, RBAC denials, schemas."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from kubernetes.config import new_client_from_config

from tests.fakeapi import ContextSpec, FakeCluster, write_kubeconfig
from tests.fakeapi.kyverno import kyverno_installed, policy_crds, report_crds
from tests.fakeapi.samples import namespace, pod
from tests.fakeapi.writes import fields_v1, leaf_paths, paths_of

MakeCluster = Callable[..., FakeCluster]
REPO = Path(__file__).resolve().parents[2]
POLICY_FILE = REPO / "server" / "policysets" / "pod-security-baseline" / "disallow-host-path.yaml"
G, V, P = "policies.kyverno.io", "v1", "validatingpolicies"

_OPEN: list[k8s.ApiClient] = []


@pytest.fixture(autouse=True)
def _close_api_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _api(tmp_path: Path, fc: FakeCluster, token: str = "t-alice") -> k8s.ApiClient:
    path = write_kubeconfig(tmp_path / f"kc-{token}", {"c": ContextSpec(fc.url, token=token, ca=fc.ca)})
    cfg = k8s.Configuration()
    cfg.retries = 0
    api = new_client_from_config(str(path), context="c", persist_config=False, client_configuration=cfg)
    _OPEN.append(api)
    return api


@pytest.fixture
def kyverno(fake_cluster: MakeCluster) -> FakeCluster:
    objects = [*kyverno_installed(), namespace("team-a"), pod("web-1", "team-a", {"app": "web"})]
    return fake_cluster(objects, writable=True, tokens={"t-alice": "alice", "t-bob": "bob"})


def _policy(actions: list[str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    if actions is not None:
        doc["spec"]["validationActions"] = actions
    return doc


def _stored(fc: FakeCluster, name: str = "disallow-host-path") -> dict[str, Any] | None:
    with fc._lock:
        obj = fc._store.get((G, P), {}).get(("", name))
        return copy.deepcopy(obj) if obj is not None else None


def _apply(custom: k8s.CustomObjectsApi, body: dict[str, Any], manager: str, **kwargs: Any) -> Any:
    return custom.patch_cluster_custom_object(G, V, P, body["metadata"]["name"], body, field_manager=manager,
                                              _content_type="application/apply-patch+yaml", **kwargs)


# ----------------------------------------------------------------------------- field sets
def test_field_sets_round_trip_through_fields_v1() -> None:
    obj = {"apiVersion": "v1", "kind": "X", "metadata": {"name": "n", "uid": "u", "labels": {"a": "1"}},
           "spec": {"list": [1, 2], "empty": {}, "deep": {"x": 1}}, "status": {"s": 1}}
    paths = leaf_paths(obj)
    assert paths == {("metadata", "labels", "a"), ("spec", "list"), ("spec", "empty"), ("spec", "deep", "x")}
    assert fields_v1(paths)["f:spec"]["f:deep"] == {"f:x": {}}
    assert paths_of(fields_v1(paths)) == paths


# ----------------------------------------------------------------------------- kubectl
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_server_side_apply_dry_run_then_apply_then_delete(kyverno: FakeCluster, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kc", {"k": ContextSpec(kyverno.url, token="t-alice", ca=kyverno.ca)})
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), *args, "--request-timeout=10s"],
                              capture_output=True, text=True, env=env, timeout=60, check=False)

    out = kubectl("apply", "--server-side", "--dry-run=server", "-f", str(POLICY_FILE))
    assert out.returncode == 0, out.stderr
    assert "serverside-applied (server dry run)" in out.stdout and _stored(kyverno) is None
    patch = [r for r in kyverno.requests if r.method == "PATCH"][-1]
    assert patch.query["dryRun"] == "All" and patch.query["fieldValidation"] == "Strict"
    assert patch.headers["Content-Type"] == "application/apply-patch+yaml"

    out = kubectl("apply", "--server-side", "-f", str(POLICY_FILE))
    assert out.returncode == 0, out.stderr
    stored = _stored(kyverno)
    assert stored is not None and [m["manager"] for m in stored["metadata"]["managedFields"]] == ["kubectl"]
    out = kubectl("apply", "--server-side", "-f", str(POLICY_FILE))
    again = _stored(kyverno)
    assert out.returncode == 0 and again is not None
    assert again["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"], "a no-op must not write"

    out = kubectl("get", "vpol", "-o", "name")
    assert out.stdout.strip() == "validatingpolicy.policies.kyverno.io/disallow-host-path"
    out = kubectl("delete", "vpol", "disallow-host-path", "--dry-run=server")
    assert out.returncode == 0 and "(server dry run)" in out.stdout and _stored(kyverno) is not None
    out = kubectl("delete", "vpol", "disallow-host-path")
    assert out.returncode == 0 and _stored(kyverno) is None
    out = kubectl("delete", "vpol", "disallow-host-path")
    assert out.returncode != 0 and "NotFound" in out.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_strict_validation_names_the_unknown_field(fake_cluster: MakeCluster, tmp_path: Path) -> None:
    fc = fake_cluster(policy_crds("1.17", without={"v1": ["autogen"]}), writable=True, tokens={"t": "u"})
    kubeconfig = write_kubeconfig(tmp_path / "kc", {"k": ContextSpec(fc.url, token="t", ca=fc.ca)})
    policy = REPO / "server" / "policysets" / "best-practices" / "require-pod-probes.yaml"
    assert "autogen" in yaml.safe_load(policy.read_text(encoding="utf-8"))["spec"]
    out = subprocess.run(["kubectl", "--kubeconfig", str(kubeconfig), "apply", "--server-side", "--dry-run=server",
                          "-f", str(policy)], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=60, check=False)
    assert out.returncode != 0 and ".spec.autogen: field not declared in schema" in out.stderr


# ----------------------------------------------------------------------------- create, patch, update, delete
def test_create_dry_run_conflict_and_invalid_dry_run(kyverno: FakeCluster, tmp_path: Path) -> None:
    custom = k8s.CustomObjectsApi(_api(tmp_path, kyverno))
    answer = custom.create_cluster_custom_object(G, V, P, _policy(), dry_run="All")
    assert answer["metadata"]["uid"] and answer["metadata"]["generation"] == 1 and _stored(kyverno) is None
    created = custom.create_cluster_custom_object(G, V, P, _policy())
    assert _stored(kyverno) is not None and created["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as exc:
        custom.create_cluster_custom_object(G, V, P, _policy())
    assert exc.value.status == 409 and "AlreadyExists" in str(exc.value.body)
    with pytest.raises(ApiException) as exc:
        custom.create_cluster_custom_object(G, V, P, _policy(), dry_run="Some")
    assert exc.value.status == 400 and 'supported values: \\"All\\"' in str(exc.value.body)


def test_merge_json_and_strategic_patches(kyverno: FakeCluster, tmp_path: Path) -> None:
    api = _api(tmp_path, kyverno)
    custom = k8s.CustomObjectsApi(api)
    custom.create_cluster_custom_object(G, V, P, _policy())
    merged = custom.patch_cluster_custom_object(G, V, P, "disallow-host-path",
                                                {"spec": {"validationActions": ["Deny"]}},
                                                _content_type="application/merge-patch+json")
    assert merged["spec"]["validationActions"] == ["Deny"] and merged["metadata"]["generation"] == 2
    patched = custom.patch_cluster_custom_object(
        G, V, P, "disallow-host-path", [{"op": "replace", "path": "/spec/validationActions", "value": ["Audit"]}],
        _content_type="application/json-patch+json")
    assert patched["spec"]["validationActions"] == ["Audit"]
    with pytest.raises(ApiException) as exc:
        custom.patch_cluster_custom_object(G, V, P, "disallow-host-path", [{"op": "remove", "path": "/spec/nope"}],
                                           _content_type="application/json-patch+json")
    assert exc.value.status == 422
    with pytest.raises(ApiException) as exc:
        custom.patch_cluster_custom_object(G, V, P, "disallow-host-path", {"spec": {}},
                                           _content_type="application/strategic-merge-patch+json")
    assert exc.value.status == 415, "custom resources do not take strategic merge patches"
    core = k8s.CoreV1Api(api)
    updated = core.patch_namespaced_pod("web-1", "team-a", {"spec": {"containers": [{"name": "main",
                                                                                    "image": "nginx:1.28"}]}})
    assert [(c.name, c.image) for c in updated.spec.containers] == [("main", "nginx:1.28")]
    with pytest.raises(ApiException) as exc:
        custom.patch_cluster_custom_object(G, V, P, "absent", {"spec": {}},
                                           _content_type="application/merge-patch+json")
    assert exc.value.status == 404


def test_update_with_a_stale_resource_version_is_a_conflict(kyverno: FakeCluster, tmp_path: Path) -> None:
    custom = k8s.CustomObjectsApi(_api(tmp_path, kyverno))
    created = custom.create_cluster_custom_object(G, V, P, _policy())
    created["spec"]["validationActions"] = ["Deny"]
    updated = custom.replace_cluster_custom_object(G, V, P, "disallow-host-path", created)
    assert updated["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as exc:
        custom.replace_cluster_custom_object(G, V, P, "disallow-host-path", created)
    assert exc.value.status == 409 and "the object has been modified" in str(exc.value.body)


def test_delete_not_found_dry_run_and_preconditions(kyverno: FakeCluster, tmp_path: Path) -> None:
    custom = k8s.CustomObjectsApi(_api(tmp_path, kyverno))
    with pytest.raises(ApiException) as exc:
        custom.delete_cluster_custom_object(G, V, P, "disallow-host-path")
    assert exc.value.status == 404
    created = custom.create_cluster_custom_object(G, V, P, _policy())
    custom.delete_cluster_custom_object(G, V, P, "disallow-host-path", dry_run="All")
    assert _stored(kyverno) is not None
    with pytest.raises(ApiException) as exc:
        custom.delete_cluster_custom_object(G, V, P, "disallow-host-path",
                                            body=k8s.V1DeleteOptions(preconditions=k8s.V1Preconditions(uid="other")))
    assert exc.value.status == 409 and "Precondition failed: UID" in str(exc.value.body)
    custom.delete_cluster_custom_object(
        G, V, P, "disallow-host-path",
        body=k8s.V1DeleteOptions(preconditions=k8s.V1Preconditions(uid=created["metadata"]["uid"])))
    assert _stored(kyverno) is None


def test_objects_need_an_existing_namespace_and_a_valid_name(kyverno: FakeCluster, tmp_path: Path) -> None:
    custom = k8s.CustomObjectsApi(_api(tmp_path, kyverno))
    polex = {"apiVersion": f"{G}/{V}", "kind": "PolicyException", "metadata": {"name": "x"},
             "spec": {"policyRefs": [{"name": "p", "kind": "ValidatingPolicy"}]}}
    with pytest.raises(ApiException) as exc:
        custom.create_namespaced_custom_object(G, V, "nowhere", "policyexceptions", polex)
    assert exc.value.status == 404 and 'namespaces \\"nowhere\\" not found' in str(exc.value.body)
    created = custom.create_namespaced_custom_object(G, V, "team-a", "policyexceptions", polex)
    assert created["metadata"]["namespace"] == "team-a"
    bad = _policy()
    bad["metadata"]["name"] = "Not_Valid"
    with pytest.raises(ApiException) as exc:
        custom.create_cluster_custom_object(G, V, P, bad)
    assert exc.value.status == 422 and "RFC 1123" in str(exc.value.body)


# ----------------------------------------------------------------------------- server-side apply
def test_apply_creates_updates_and_conflicts_between_managers(kyverno: FakeCluster, tmp_path: Path) -> None:
    custom = k8s.CustomObjectsApi(_api(tmp_path, kyverno))
    assert _apply(custom, _policy(["Audit"]), "pykyverno") is None  # 201 Created: the client returns no body
    first = custom.get_cluster_custom_object(G, V, P, "disallow-host-path")
    assert first["metadata"]["managedFields"][0]["manager"] == "pykyverno"
    assert first["metadata"]["managedFields"][0]["operation"] == "Apply"
    # the same config again: no write
    again = _apply(custom, _policy(["Audit"]), "pykyverno")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    # another manager applying the same value shares the field; a different value conflicts
    _apply(custom, {"apiVersion": f"{G}/{V}", "kind": "ValidatingPolicy", "metadata": {"name": "disallow-host-path"},
                    "spec": {"validationActions": ["Audit"]}}, "helm")
    with pytest.raises(ApiException) as exc:
        _apply(custom, _policy(["Deny"]), "pykyverno")
    assert exc.value.status == 409
    assert 'conflict with \\"helm\\"' in str(exc.value.body) and ".spec.validationActions" in str(exc.value.body)
    forced = _apply(custom, _policy(["Deny"]), "pykyverno", force=True)
    assert forced["spec"]["validationActions"] == ["Deny"]
    managers = {m["manager"]: paths_of(m["fieldsV1"]) for m in forced["metadata"]["managedFields"]}
    assert ("spec", "validationActions") in managers["pykyverno"]
    assert "helm" not in managers, "helm owned nothing else and lost the forced field"


def test_update_operations_take_ownership_and_apply_removes_dropped_fields(kyverno: FakeCluster,
                                                                          tmp_path: Path) -> None:
    custom = k8s.CustomObjectsApi(_api(tmp_path, kyverno))
    body = _policy(["Audit"])
    body["metadata"]["labels"] = {"team": "a"}
    _apply(custom, body, "pykyverno")
    custom.patch_cluster_custom_object(G, V, P, "disallow-host-path", {"spec": {"validationActions": ["Warn"]}},
                                       field_manager="kubectl-edit", _content_type="application/merge-patch+json")
    with pytest.raises(ApiException) as exc:
        _apply(custom, body, "pykyverno")
    assert exc.value.status == 409 and "kubectl-edit" in str(exc.value.body)
    del body["metadata"]["labels"]
    body["spec"]["validationActions"] = ["Warn"]
    result = _apply(custom, body, "pykyverno")
    assert "labels" not in result["metadata"] or "team" not in result["metadata"]["labels"]


def test_apply_needs_a_field_manager_and_matching_identity(kyverno: FakeCluster, tmp_path: Path) -> None:
    custom = k8s.CustomObjectsApi(_api(tmp_path, kyverno))
    with pytest.raises(ApiException) as exc:
        custom.patch_cluster_custom_object(G, V, P, "disallow-host-path", _policy(),
                                           _content_type="application/apply-patch+yaml")
    assert exc.value.status == 400 and "fieldManager is required" in str(exc.value.body)
    with pytest.raises(ApiException) as exc:
        custom.patch_cluster_custom_object(G, V, P, "other-name", _policy(), field_manager="m",
                                           _content_type="application/apply-patch+yaml")
    assert exc.value.status == 400 and "does not match the name on the URL" in str(exc.value.body)


def test_unknown_fields_are_refused_by_apply_and_strict_and_pruned_otherwise(fake_cluster: MakeCluster,
                                                                             tmp_path: Path) -> None:
    fc = fake_cluster(policy_crds("1.17", without={"v1": ["autogen"]}), writable=True, tokens={"t-alice": "a"})
    custom = k8s.CustomObjectsApi(_api(tmp_path, fc))
    body = _policy()
    body["spec"]["autogen"] = {"podControllers": {"controllers": []}}
    with pytest.raises(ApiException) as exc:
        _apply(custom, body, "pykyverno", dry_run="All")
    assert exc.value.status == 400 and ".spec.autogen: field not declared in schema" in str(exc.value.body)
    with pytest.raises(ApiException) as exc:
        custom.create_cluster_custom_object(G, V, P, body, field_validation="Strict")
    assert exc.value.status == 400 and 'unknown field \\"spec.autogen\\"' in str(exc.value.body)
    created, status, headers = custom.create_cluster_custom_object_with_http_info(G, V, P, body)
    assert status == 201 and "autogen" not in created["spec"]
    assert "spec.autogen" in headers["Warning"]


# ----------------------------------------------------------------------------- RBAC
def test_denied_writes_are_403_with_the_real_message(kyverno: FakeCluster, tmp_path: Path) -> None:
    kyverno.deny(user="bob", verb="create|delete", resource=f"{P}.{G}")
    alice = k8s.CustomObjectsApi(_api(tmp_path, kyverno, "t-alice"))
    bob = k8s.CustomObjectsApi(_api(tmp_path, kyverno, "t-bob"))
    with pytest.raises(ApiException) as exc:
        bob.create_cluster_custom_object(G, V, P, _policy(), dry_run="All")
    assert exc.value.status == 403
    assert ('validatingpolicies.policies.kyverno.io is forbidden: User \\"bob\\" cannot create resource '
            '\\"validatingpolicies\\" in API group \\"policies.kyverno.io\\" at the cluster scope') in exc.value.body
    with pytest.raises(ApiException) as exc:
        _apply(bob, _policy(), "pykyverno")
    assert exc.value.status == 403, "an apply that creates the object needs create"
    _apply(alice, _policy(["Audit"]), "pykyverno")
    assert _apply(bob, _policy(["Audit"]), "pykyverno")["metadata"]["name"] == "disallow-host-path"
    with pytest.raises(ApiException) as exc:
        bob.delete_cluster_custom_object(G, V, P, "disallow-host-path")
    assert exc.value.status == 403 and _stored(kyverno) is not None


# ----------------------------------------------------------------------------- CRDs and discovery
def test_kyverno_groups_are_served_only_when_installed(fake_cluster: MakeCluster, tmp_path: Path) -> None:
    bare = fake_cluster([namespace("default")], writable=True, tokens={"t-alice": "a"})
    groups = {g.name for g in k8s.ApisApi(_api(tmp_path, bare)).get_api_versions().groups}
    assert not groups & {"policies.kyverno.io", "kyverno.io", "wgpolicyk8s.io", "openreports.io"}
    old = fake_cluster(policy_crds("1.14") + report_crds(openreports=True), tokens={"t-alice": "a"})
    apis = k8s.ApisApi(_api(tmp_path / "old", old)).get_api_versions().groups
    served = {g.name: [v.version for v in g.versions] for g in apis}
    assert served["policies.kyverno.io"] == ["v1alpha1"] and served["openreports.io"] == ["v1alpha1"]
    resources = k8s.CustomObjectsApi(_api(tmp_path / "old2", old)).get_api_resources("policies.kyverno.io",
                                                                                      "v1alpha1")
    assert sorted(r.kind for r in resources.resources) == ["ImageValidatingPolicy", "PolicyException",
                                                           "ValidatingPolicy"]
    current = fake_cluster(kyverno_installed("v1.17.0"), tokens={"t-alice": "a"})
    apis = k8s.ApisApi(_api(tmp_path / "new", current)).get_api_versions().groups
    served = {g.name: [v.version for v in g.versions] for g in apis}
    assert served["policies.kyverno.io"] == ["v1", "v1beta1", "v1alpha1"]
    assert served["kyverno.io"] == ["v2", "v1", "v2beta1"] and "openreports.io" not in served


def test_creating_and_deleting_a_crd_changes_discovery(fake_cluster: MakeCluster, tmp_path: Path) -> None:
    fc = fake_cluster([namespace("default")], writable=True, tokens={"t-alice": "a"})
    api = _api(tmp_path, fc)
    [crd] = report_crds(wgpolicy=False, openreports=True)[:1]
    ext = k8s.ApiextensionsV1Api(api)
    ext.create_custom_resource_definition(crd)
    assert "openreports.io" in {g.name for g in k8s.ApisApi(api).get_api_versions().groups}
    ext.delete_custom_resource_definition(crd["metadata"]["name"])
    assert "openreports.io" not in {g.name for g in k8s.ApisApi(api).get_api_versions().groups}


def test_kyverno_installed_fixture_has_ready_controllers_and_webhooks() -> None:
    objects = kyverno_installed("v1.17.2", replicas=3, failure_policy="Ignore")
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {
        "kyverno-admission-controller", "kyverno-background-controller", "kyverno-cleanup-controller",
        "kyverno-reports-controller"}
    assert all(d["status"]["readyReplicas"] == 3 and d["metadata"]["namespace"] == "kyverno" for d in deployments)
    images = {c["image"] for d in deployments for c in d["spec"]["template"]["spec"]["containers"]}
    assert "reg.kyverno.io/kyverno/kyverno:v1.17.2" in images
    hooks = [w for o in objects if o["kind"].endswith("WebhookConfiguration") for w in o["webhooks"]]
    assert {w["failurePolicy"] for w in hooks if w["name"].endswith("-fail")} == {"Ignore"}
