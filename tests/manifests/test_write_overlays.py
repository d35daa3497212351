"""The write overlays: ``overlays/writes`` (RBAC for exactly what the write tools write, writes switched on in the
server) and ``overlays/scheduled-scan`` (a CronJob that scans and publishes reports with report-only write
rights). Rendered by our renderer and by ``kubectl kustomize``, checked against the code's lists of written kinds,
and scanned by pykyverno itself."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.engine.resources import plural_for
from pykyverno.server.cli import build_parser
from pykyverno.server.policysets import set_names
from pykyverno.server.writes.exceptions import POLICY_GROUP
from pykyverno.server.writes.policysets import INSTALLABLE_KINDS
from pykyverno.server.writes.reports import REPORT_APIS
from tests.manifests.kustomize import UnsupportedKustomization, object_key, render
from tests.manifests.test_manifests import (
    BASE,
    DOGFOOD_SETS,
    MANIFESTS,
    _failing,
    _one,
    _scan,
)
from tests.manifests.test_manifests import (
    test_rendered_objects_are_valid_kubernetes_objects as check_valid_objects,
)

WRITES = MANIFESTS / "overlays" / "writes"
SCHEDULED = MANIFESTS / "overlays" / "scheduled-scan"
OVERLAYS = [WRITES, SCHEDULED]
Rule = tuple[str, str, str]  # (apiGroup, resource, verb)


def _rules(role: dict[str, Any]) -> set[Rule]:
    out = set()
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}
        assert "*" not in rule["apiGroups"] + rule["resources"] + rule["verbs"]
        out |= {(g, r, v) for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}
    return out


def _report_resources() -> set[tuple[str, str]]:
    return {(api.group, plural_for(api.api_version, kind)) for api in REPORT_APIS
            for kind in (api.namespaced_kind, api.cluster_kind)}


WRITE_VERBS = ("create", "patch", "delete")


@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_renderer_matches_kubectl_kustomize(directory: Path) -> None:
    ours = sorted(render(directory), key=object_key)
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed; the renderer's output is checked by the other tests only")
    out = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, check=True,
                         timeout=60).stdout
    assert ours == sorted((d for d in yaml.safe_load_all(out) if d), key=object_key)


@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_rendered_objects_are_valid(directory: Path) -> None:
    check_valid_objects(directory)
    assert {object_key(o) for o in render(BASE)} <= {object_key(o) for o in render(directory)}


def test_renderer_patches_only_what_it_implements(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\n",
                                     encoding="utf-8")
    cases = {
        "patches: [{path: p.yaml}]": "only inline JSON 6902",
        "patches: [{target: {kind: ConfigMap, labelSelector: a=b}, patch: '[]'}]": "may only name",
        "patches: [{target: {kind: ConfigMap}, patch: 'data: {}'}]": "a list of operations",
        "patches: [{target: {kind: Secret}, patch: '[]'}]": "no resource matches",
    }
    for patches, message in cases.items():
        (tmp_path / "kustomization.yaml").write_text(f"resources: [x.yaml]\n{patches}\n", encoding="utf-8")
        with pytest.raises(UnsupportedKustomization, match=message):
            render(tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        "resources: [x.yaml]\npatches: [{target: {kind: ConfigMap, name: x}, "
        "patch: '[{op: add, path: /data/c, value: d}]'}]\n", encoding="utf-8")
    assert render(tmp_path)[0]["data"] == {"a": "b", "c": "d"}


# ----------------------------------------------------------------------------- overlays/writes
def test_writer_role_grants_exactly_what_the_write_tools_write() -> None:
    objects = render(WRITES)
    role = _one(objects, "ClusterRole", "pykyverno-writer")
    expected = {(POLICY_GROUP, plural_for(f"{POLICY_GROUP}/v1", kind)) for kind in INSTALLABLE_KINDS}
    expected.add((POLICY_GROUP, "policyexceptions"))
    expected |= _report_resources()
    assert _rules(role) == {(g, r, v) for g, r in expected for v in WRITE_VERBS}
    binding = _one(objects, "ClusterRoleBinding", "pykyverno-writer")
    assert binding["roleRef"]["name"] == "pykyverno-writer"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "pykyverno", "namespace": "pykyverno"}]


def test_what_the_writer_writes_the_base_can_read() -> None:
    reader = _rules(_one(render(BASE), "ClusterRole", "pykyverno-reader"))
    written = {(g, r) for g, r, _ in _rules(_one(render(WRITES), "ClusterRole", "pykyverno-writer"))}
    assert {(g, r) for g, r in written if (g, r, "get") not in reader or (g, r, "list") not in reader} == set()
    assert {v for _, _, v in reader} == {"get", "list", "watch"}, "the base stays read-only"


def test_writes_are_switched_on_in_the_server_only_by_the_overlay() -> None:
    def env(objects: list[dict[str, Any]]) -> dict[str, str]:
        [container] = _one(objects, "Deployment", "pykyverno")["spec"]["template"]["spec"]["containers"]
        return {e["name"]: e.get("value", "") for e in container.get("env", [])}

    assert "PYKYVERNO_ALLOW_WRITES" not in env(render(BASE))
    assert env(render(WRITES))["PYKYVERNO_ALLOW_WRITES"] == "true"


# ----------------------------------------------------------------------------- overlays/scheduled-scan
def _cronjob(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return _one(objects, "CronJob", "pykyverno-scheduled-scan")


def _scan_container(objects: list[dict[str, Any]]) -> dict[str, Any]:
    [container] = _cronjob(objects)["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return dict(container)


def test_scheduled_scan_runs_the_release_image_with_report_only_rights() -> None:
    objects = render(SCHEDULED)
    [server] = _one(objects, "Deployment", "pykyverno")["spec"]["template"]["spec"]["containers"]
    assert _scan_container(objects)["image"] == server["image"]
    pod = _cronjob(objects)["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    account = _one(objects, "ServiceAccount", "pykyverno-scanner")
    assert pod["serviceAccountName"] == account["metadata"]["name"] and account["automountServiceAccountToken"] is False
    bound = {b["roleRef"]["name"] for b in objects if b["kind"] == "ClusterRoleBinding"
             and b["subjects"] == [{"kind": "ServiceAccount", "name": "pykyverno-scanner", "namespace": "pykyverno"}]}
    assert bound == {"pykyverno-reader", "pykyverno-report-publisher"}
    publisher = _rules(_one(objects, "ClusterRole", "pykyverno-report-publisher"))
    assert publisher == {(g, r, v) for g, r in _report_resources() for v in WRITE_VERBS}


def test_scheduled_scan_pod_is_hardened_and_fenced() -> None:
    objects = render(SCHEDULED)
    job = _cronjob(objects)["spec"]
    assert job["concurrencyPolicy"] == "Forbid" and job["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0
    template = job["jobTemplate"]["spec"]["template"]
    pod, container = template["spec"], _scan_container(objects)
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["restartPolicy"] == "Never"
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False and context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    policy = _one(objects, "NetworkPolicy", "pykyverno-scheduled-scan")
    labels = template["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in policy["spec"]["podSelector"]["matchLabels"].items())
    assert policy["spec"]["ingress"] == [] and set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}


def test_scheduled_scan_command_line() -> None:
    args = _scan_container(render(SCHEDULED))["args"]
    parsed = build_parser().parse_args(args)  # every flag is known (SystemExit otherwise)
    assert parsed.command == "scan" and parsed.context == ["in-cluster"]
    assert set(parsed.policy_set) <= set(set_names()) and parsed.policy_set
    assert parsed.publish_reports and parsed.yes


@pytest.mark.parametrize("directory", OVERLAYS, ids=lambda p: p.name)
def test_pykyverno_finds_no_failure_in_the_write_overlays(directory: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _scan(render(directory), DOGFOOD_SETS, tmp_path, capsys)
    assert _failing(report) == [] and code == 0
    assert report["policyIssues"] == []
