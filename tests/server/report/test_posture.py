"""The posture analyser: high-risk elements read from objects, owner folding, service-account tokens, RBAC, and the
score and figures computed from results."""

from __future__ import annotations

from typing import Any

from pykyverno.engine.results import ResourceRef, RuleResult
from pykyverno.server.redaction import mask_text
from pykyverno.server.report import rbac, workloads
from pykyverno.server.report.posture import PostureCollector
from pykyverno.server.report.score import WEIGHTS, combine, figures, score


def pod(name: str, ns: str = "apps", owner: tuple[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if owner:
        meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "c", "image": "x:1"}], **spec}}


def controller(kind: str, name: str, ns: str = "apps", owner: tuple[str, str] | None = None,
               **spec: Any) -> dict[str, Any]:
    obj = pod(name, ns, owner, **spec)
    template = {"spec": obj.pop("spec")}
    obj.update(kind=kind, apiVersion="apps/v1", spec={"template": template})
    return obj


def kinds_of(risks: list[workloads.Risk]) -> set[str]:
    return {r.kind for r in risks}


def test_privilege_risks_of_a_pod_spec() -> None:
    spec = {
        "hostPID": True,
        "hostNetwork": True,
        "initContainers": [{"name": "init", "securityContext": {"privileged": True}}],
        "containers": [
            {"name": "app", "securityContext": {"capabilities": {"add": ["NET_BIND_SERVICE", "SYS_ADMIN"]}},
             "ports": [{"containerPort": 80, "hostPort": 8080}]},
        ],
        "ephemeralContainers": [{"name": "debug", "securityContext": {"privileged": False}}],
    }
    risks = workloads.privilege_risks(spec)
    assert kinds_of(risks) == {"privileged", "host-pid", "host-network", "capabilities", "host-port"}
    privileged = next(r for r in risks if r.kind == "privileged")
    assert privileged.level == "critical" and "init" in privileged.detail and "debug" not in privileged.detail
    assert "SYS_ADMIN" in next(r for r in risks if r.kind == "capabilities").detail
    assert "NET_BIND_SERVICE" not in next(r for r in risks if r.kind == "capabilities").detail
    assert workloads.privilege_risks({"containers": [{"name": "ok"}]}) == []


def test_host_paths_are_graded_by_what_they_expose() -> None:
    def level(path: str) -> tuple[str, str]:
        risk = workloads.host_path_risk("v", path)
        return risk.kind, risk.level

    assert level("/var/run/docker.sock") == ("runtime-socket", "critical")
    assert level("/run/containerd/containerd.sock") == ("runtime-socket", "critical")
    assert level("/var/run") == ("runtime-socket", "critical")
    assert level("/") == ("sensitive-host-path", "high")
    assert level("/etc/kubernetes/pki") == ("sensitive-host-path", "high")
    assert level("/var/lib/kubelet/") == ("sensitive-host-path", "high")
    assert level("/data/cache") == ("host-path", "medium")
    assert level("/etcetera") == ("host-path", "medium"), "a prefix of a name is not the folder"


def test_pod_spec_of_each_workload_kind() -> None:
    cronjob = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostIPC": True}}}}}}
    assert workloads.pod_spec(cronjob) == {"hostIPC": True}
    assert workloads.pod_spec(controller("DaemonSet", "d")) is not None
    assert workloads.pod_spec({"kind": "Service", "spec": {}}) is None
    assert workloads.pod_spec({"kind": "Deployment", "spec": {"template": "oops"}}) is None


def test_role_wildcards_and_escalation_verbs() -> None:
    role = {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]},
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind", "escalate"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]},
        {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
    ]}
    risks = rbac.role_risks(role)
    details = [r.detail for r in risks]
    assert risks[0].kind == "wildcard" and risks[0].level == "critical"
    assert any("every verb on pods" in d for d in details)
    assert sum(r.kind == "escalation" for r in risks) == 3, details  # bind, escalate, read secrets
    assert not any("configmaps" in d or "metrics" in d for d in details)


def test_bindings_to_system_groups_and_cluster_admin() -> None:
    binding = {"kind": "ClusterRoleBinding", "metadata": {"name": "b"},
               "roleRef": {"kind": "ClusterRole", "name": "cluster-admin"},
               "subjects": [{"kind": "Group", "name": "system:authenticated"}, {"kind": "User", "name": "alice"}]}
    risks = rbac.binding_risks(binding, {})
    assert {(r.kind, r.level) for r in risks} == {("system-group", "high"), ("cluster-admin", "high")}
    risky = {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "ns"},
             "roleRef": {"kind": "Role", "name": "all"}, "subjects": [{"kind": "ServiceAccount", "name": "sa"}]}
    assert rbac.binding_risks(risky, {}) == []
    assert [r.kind for r in rbac.binding_risks(risky, {("Role", "ns", "all"): "critical"})] == ["risky-role"]


def test_collector_folds_owned_objects_onto_their_controller() -> None:
    collector = PostureCollector()
    collector.observe(controller("Deployment", "web", hostNetwork=True), [])
    collector.observe(controller("ReplicaSet", "web-1", owner=("Deployment", "web"), hostNetwork=True), [])
    collector.observe(pod("web-1-a", owner=("ReplicaSet", "web-1"), hostNetwork=True), [])
    collector.observe(pod("web-1-b", owner=("ReplicaSet", "web-1"), hostNetwork=True,
                          containers=[{"name": "sidecar", "securityContext": {"privileged": True}}]), [])
    collector.observe(pod("static", owner=("Node", "node-1"), hostPID=True), [])
    found = collector.high_risk()
    privileged = {(e["kind"], e["name"]): e for e in found["privileged"]}
    assert set(privileged) == {("Deployment", "web"), ("Pod", "web-1-b"), ("Pod", "static")}
    assert privileged[("Deployment", "web")]["instances"] == 3, "the Deployment, its ReplicaSet and one Pod"
    assert privileged[("Pod", "web-1-b")]["level"] == "critical", "a Pod with a risk its owner lacks stays listed"
    assert found["examined"]["workloads"] == 5
    assert found["byRisk"]["host-network"] == 2


def test_service_account_tokens_without_bindings() -> None:
    collector = PostureCollector()
    collector.observe(pod("default-sa"), [])
    collector.observe(pod("opted-out", automountServiceAccountToken=False), [])
    collector.observe(pod("bound", serviceAccountName="builder"), [])
    collector.observe(pod("unbound", serviceAccountName="idle"), [])
    collector.observe(pod("account-off", serviceAccountName="quiet"), [])
    collector.observe({"kind": "ServiceAccount", "metadata": {"name": "quiet", "namespace": "apps"},
                       "automountServiceAccountToken": False}, [])
    # Without bindings in the scan, only default service accounts are flagged.
    before = {e["name"] for e in collector.high_risk()["mounts"]}
    assert before == {"default-sa"}
    collector.observe({"kind": "ClusterRoleBinding", "metadata": {"name": "builders"},
                       "roleRef": {"kind": "ClusterRole", "name": "edit"},
                       "subjects": [{"kind": "ServiceAccount", "name": "builder", "namespace": "apps"}]}, [])
    after = {e["name"]: e for e in collector.high_risk()["mounts"]}
    assert set(after) == {"default-sa", "unbound"}
    assert "grants service account idle anything" in after["unbound"]["risks"][0]["detail"]
    # The advice survives output masking: a "...Token: value" shape would be read as a credential.
    detail = after["unbound"]["risks"][0]["detail"]
    assert mask_text(detail) == detail
    assert collector.high_risk()["examined"]["bindingsKnown"] is True


def test_default_rbac_objects_are_left_out() -> None:
    collector = PostureCollector()
    labels = {"kubernetes.io/bootstrapping": "rbac-defaults"}
    collector.observe({"kind": "ClusterRole", "metadata": {"name": "cluster-admin", "labels": labels},
                       "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}, [])
    collector.observe({"kind": "ClusterRoleBinding", "metadata": {"name": "system:discovery", "labels": labels},
                       "roleRef": {"kind": "ClusterRole", "name": "system:discovery"},
                       "subjects": [{"kind": "Group", "name": "system:authenticated"}]}, [])
    collector.observe({"kind": "ClusterRole", "metadata": {"name": "everything"},
                       "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}, [])
    collector.observe({"kind": "ClusterRoleBinding", "metadata": {"name": "ci"},
                       "roleRef": {"kind": "ClusterRole", "name": "everything"},
                       "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "tools"}]}, [])
    found = collector.high_risk()
    names = [(e["kind"], e["name"], e["level"]) for e in found["rbac"]]
    assert names == [("ClusterRole", "everything", "critical"), ("ClusterRoleBinding", "ci", "critical")]
    assert found["examined"]["rbacDefaultsSkipped"] == 2


def result(policy: str, outcome: str, severity: str, ns: str = "a", name: str = "x", category: str = "") -> RuleResult:
    return RuleResult(policy, "ValidatingPolicy", outcome, ResourceRef("v1", "Pod", ns, name), severity=severity,
                      category=category)


def test_score_counts_pass_and_fail_by_severity_weight() -> None:
    results = [result("p1", "pass", "critical"), result("p2", "fail", "high"), result("p3", "warn", "critical"),
               result("p4", "error", "high"), result("p5", "skip", "high"), result("p6", "fail", "")]
    found = score(results)
    passed, failed = WEIGHTS["critical"], WEIGHTS["high"] + WEIGHTS["unset"]
    assert found == {"score": round(100 * (1 - failed / (passed + failed)), 1), "passWeight": passed,
                     "failWeight": failed}
    assert score([result("p", "warn", "high")])["score"] is None, "no pass or fail: no score"


def test_figures_per_namespace_category_and_offender() -> None:
    results = [
        result("a", "fail", "critical", "shop", "web", "PSS"),
        result("b", "fail", "medium", "shop", "web", "Best"),
        result("a", "pass", "critical", "shop", "db", "PSS"),
        result("b", "fail", "medium", "pay", "api", "Best"),
        result("c", "skip", "low", "pay", "api", "Best"),
    ]
    found = figures(results)
    assert found["failBySeverity"]["critical"] == 1 and found["failBySeverity"]["medium"] == 2
    assert found["failByCategory"] == {"Best": {**dict.fromkeys(found["failBySeverity"], 0), "medium": 2},
                                       "PSS": {**dict.fromkeys(found["failBySeverity"], 0), "critical": 1}}
    assert found["heatmap"] == {"pay": {"Best": 1}, "shop": {"Best": 1, "PSS": 1}}
    assert found["namespaceScores"]["shop"] == score(r for r in results if r.resource.namespace == "shop")
    assert found["topOffenders"][0]["name"] == "web" and found["topOffenders"][0]["fail"] == 2
    assert found["policies"]["c"]["skip"] == 1
    both = combine([found, found])
    assert both["failBySeverity"]["medium"] == 4 and both["score"] == found["score"]


def test_figures_survive_dropping_passing_results() -> None:
    """A scan kept without its passing results (to save memory) has the same scores and counts."""
    from pykyverno.server.scan import ClusterScan, ScanReport

    results = [result("a", "pass", "critical", "shop", "db", "PSS"), result("a", "fail", "critical", "shop", "web"),
               result("b", "skip", "low", "pay", "api"), result("b", "pass", "high", "pay", "api")]
    full = ScanReport(clusters=[ClusterScan("c", results=results)])
    slim = full.without_passing()
    assert len(slim.clusters[0].results) == 1
    full_doc, slim_doc = full.to_dict()["posture"], slim.to_dict()["posture"]
    for key in ("score", "passWeight", "failWeight", "namespaceScores", "policies", "failBySeverity"):
        assert slim_doc["clusters"][0][key] == full_doc["clusters"][0][key], key
    assert slim_doc["overall"] == full_doc["overall"]
