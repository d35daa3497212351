"""Every MCP tool in memory (``mcp.Client(server)``) against fake clusters over HTTPS."""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import CallToolResult

from pykyverno.server.mcp import ServerSettings, build_server
from pykyverno.server.scan import runner

from .conftest import SECRET_VALUE, Clusters

pytestmark = pytest.mark.anyio


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def ok(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error is False, text(result)
    assert result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


def error(result: CallToolResult) -> str:
    assert result.is_error is True, text(result)
    return text(result)


GOOD_POD = """
apiVersion: v1
kind: Pod
metadata: {name: good, namespace: apps, labels: {app.kubernetes.io/name: good}}
spec:
  containers:
  - name: main
    image: nginx:1.27.3
    securityContext: {allowPrivilegeEscalation: false}
"""
BAD_POD = """
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: apps}
spec:
  containers:
  - name: main
    image: nginx:1.27.3
  - name: side
    image: envoy:1.30
    securityContext: {allowPrivilegeEscalation: true}
"""
TEAM_LABEL_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: require-team
  annotations:
    policies.kyverno.io/severity: low
    pykyverno.io/remediation: Add a team label.
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "'team' in object.metadata.?labels.orValue({})"
    message: pods need a team label
"""
MUTATING_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: MutatingPolicy
metadata: {name: add-owner}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: >-
        [JSONPatch{op: "add", path: "/metadata/annotations", value: {"owner": "platform"}}]
"""


# ----------------------------------------------------------------------------- contexts
async def test_list_contexts_never_shows_credentials(client: Client, clusters: Clusters) -> None:
    result = await client.call_tool("list_contexts", {})
    data = ok(result)
    names = [c["name"] for c in data["contexts"]]
    assert names == ["alpha", "beta", "broken-ca", "unreachable"]
    assert data["selected"] == "alpha" and data["current"] == "alpha" and data["sessionScoped"] is True
    assert data["contexts"][0]["server"] == clusters.alpha.url
    assert "alpha-token" not in text(result) and "alpha-token" not in json.dumps(data)
    assert "| * alpha |" in text(result)


async def test_switch_context_is_per_session_and_never_written(client: Client, clusters: Clusters,
                                                               settings: ServerSettings) -> None:
    before = clusters.kubeconfig.read_bytes()
    data = ok(await client.call_tool("switch_context", {"context": "beta"}))
    assert data == {"context": "beta", "previous": None, "server": clusters.beta.url, "remembered": True, "note": ""}
    assert ok(await client.call_tool("list_contexts", {}))["selected"] == "beta"
    assert clusters.kubeconfig.read_bytes() == before, "the kubeconfig is never modified"
    async with Client(build_server(settings)) as other:
        assert ok(await other.call_tool("list_contexts", {}))["selected"] == "alpha", "another session is unaffected"


async def test_switch_to_unknown_context_lists_available(client: Client) -> None:
    message = error(await client.call_tool("switch_context", {"context": "alpah"}))
    assert "context 'alpah' does not exist; did you mean 'alpha'?" in message and "list_contexts" in message


async def test_context_deny_list(settings: ServerSettings) -> None:
    denied = ServerSettings(kubeconfig=settings.kubeconfig, context_deny=("broken-*", "unreachable"))
    async with Client(build_server(denied)) as c:
        assert [x["name"] for x in ok(await c.call_tool("list_contexts", {}))["contexts"]] == ["alpha", "beta"]
        assert "not allowed" in error(await c.call_tool("switch_context", {"context": "unreachable"}))


async def test_no_kubeconfig_gives_actionable_error() -> None:
    async with Client(build_server(ServerSettings(kubeconfig=None, in_cluster=False))) as c:
        message = error(await c.call_tool("scan_namespace", {"namespace": "default"}))
        assert "no cluster access is configured" in message and "--kubeconfig" in message
        ok(await c.call_tool("list_policy_sets", {}))  # offline tools still work


# ----------------------------------------------------------------------------- scans
async def test_scan_namespace_table_progress_and_paging(client: Client) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    result = await client.call_tool("scan_namespace", {"namespace": "shop", "limit": 4},
                                    progress_callback=on_progress)
    data = ok(result)
    # The default sets come from the set manifests (restricted includes baseline), as for `pykyverno scan`.
    assert data["policySets"] == ["best-practices", "pod-security-restricted", "rbac-best-practices"]
    assert [n["namespace"] for n in data["namespaces"]] == ["shop"], "cluster-scoped objects are left out"
    resources = {(f["resource"]["kind"], f["resource"]["name"]) for f in data["results"]}
    assert ("Pod", "good") not in resources
    assert len(data["results"]) == 4 and data["offset"] == 0 and data["nextCursor"]
    assert data["totalResults"] == data["totals"]["fail"] + data["totals"]["warn"] + data["totals"]["error"]
    assert updates[0][:2] == (0.0, 100.0) and updates[-1][:2] == (100.0, 100.0)
    assert [p[0] for p in updates] == sorted(p[0] for p in updates)
    md = text(result)
    assert "### By namespace" in md and "### Findings 1-4 of" in md and "cursor=" in md
    severities = [f["severity"] for f in data["results"]]
    assert severities == sorted(severities, key=["high", "medium", "low", ""].index)
    # every page of the same scan, without rescanning
    seen = [json.dumps(f, sort_keys=True) for f in data["results"]]
    cursor = data["nextCursor"]
    while cursor:
        page = ok(await client.call_tool("scan_namespace", {"namespace": "ignored", "cursor": cursor, "limit": 7}))
        assert page["scanId"] == data["scanId"]
        seen.extend(json.dumps(f, sort_keys=True) for f in page["results"])
        cursor = page["nextCursor"]
    assert len(seen) == len(set(seen)) == data["totalResults"]


async def test_scan_with_passing_results_and_one_set(client: Client) -> None:
    data = ok(await client.call_tool("scan_namespace", {
        "namespace": "shop", "policy_sets": ["pod-security-restricted"], "include_passing": True, "limit": 500}))
    verdicts = {(f["policy"], f["resource"]["name"]): f["result"] for f in data["results"]}
    assert verdicts[("disallow-privilege-escalation", "good")] == "pass"
    assert verdicts[("disallow-privilege-escalation", "bad")] == "fail"
    assert verdicts[("disallow-privilege-escalation", "web")] == "fail"
    assert data["nextCursor"] is None and data["totalResults"] == len(data["results"])


async def test_scan_bad_inputs(client: Client) -> None:
    message = error(await client.call_tool("scan_namespace", {"namespace": "nope"}))
    assert "namespace 'nope' does not exist in context 'alpha'" in message
    message = error(await client.call_tool("scan_namespace", {"namespace": "shopp"}))
    assert "namespace 'shopp' does not exist in context 'alpha'; did you mean 'shop'?" in message
    message = error(await client.call_tool("scan_namespace", {"namespace": "shop", "policy_sets": ["best-practice"]}))
    assert "policy set 'best-practice' does not exist; did you mean 'best-practices'" in message
    message = error(await client.call_tool("scan_namespace", {"namespace": "shop", "context": "gamma"}))
    assert "context 'gamma' does not exist" in message
    message = error(await client.call_tool("scan_namespace", {"namespace": "Not_A_Namespace"}))
    assert "namespace" in message
    message = error(await client.call_tool("scan_namespace", {"namespace": "shop", "cursor": "garbage!"}))
    assert "invalid cursor" in message
    data = ok(await client.call_tool("scan_namespace", {"namespace": "shop", "limit": 1}))
    message = error(await client.call_tool("scan_cluster", {"cursor": data["nextCursor"]}))
    assert "belongs to scan_namespace" in message


async def test_scan_cluster_reports_unreachable_context_and_goes_on(client: Client) -> None:
    data = ok(await client.call_tool("scan_cluster", {"contexts": ["alpha", "unreachable"], "limit": 3}))
    by_context = {c["context"]: c for c in data["clusters"]}
    assert by_context["alpha"]["error"] == "" and by_context["alpha"]["objects"] > 0
    assert "unreachable" in by_context["unreachable"]["error"]
    namespaces = {(n["context"], n["namespace"]) for n in data["namespaces"]}
    assert {("alpha", "shop"), ("alpha", "tools")} <= namespaces
    assert "was not scanned" in text(await client.call_tool("scan_cluster", {"contexts": ["unreachable"]}))


async def test_scan_cluster_namespace_filters(client: Client) -> None:
    data = ok(await client.call_tool("scan_cluster", {
        "exclude_namespaces": ["shop"], "include_cluster_scoped": False, "limit": 500}))
    assert {f["resource"]["namespace"] for f in data["results"]} == {"tools"}


async def test_cancelling_a_scan_stops_the_scanner(client: Client, clusters: Clusters,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    clusters.alpha.add_fault(r"/pods$", delay=1.5)
    finished: list[Any] = []
    started, done = threading.Event(), threading.Event()
    original = runner.Scanner.scan

    def recording_scan(self: runner.Scanner, *args: Any, **kwargs: Any) -> Any:
        started.set()
        try:
            report = original(self, *args, **kwargs)
            finished.append(report)
            return report
        finally:
            done.set()

    monkeypatch.setattr(runner.Scanner, "scan", recording_scan)
    async with anyio.create_task_group() as tg:
        scope = anyio.CancelScope()

        async def call() -> None:
            with scope:
                await client.call_tool("scan_namespace", {"namespace": "shop"})

        tg.start_soon(call)
        assert await anyio.to_thread.run_sync(started.wait, 10.0)
        await anyio.sleep(0.2)
        scope.cancel()
    assert await anyio.to_thread.run_sync(done.wait, 10.0)
    [report] = finished
    # Types that were listed before the cancel may have been evaluated; the slow Pods never are.
    assert report.cancelled is True and not [r for r in report.results if r.resource.kind == "Pod"], \
        "the cancel event stopped evaluation"


# ----------------------------------------------------------------------------- policies
async def test_list_and_describe_policies(client: Client) -> None:
    data = ok(await client.call_tool("list_policy_sets", {}))
    sets = {s["name"]: s for s in data["sets"]}
    assert {"pod-security-baseline", "pod-security-restricted", "best-practices", "rbac-best-practices"} <= set(sets)
    assert sets["best-practices"]["default"] is True and "disallow-latest-tag" in sets["best-practices"]["policies"]
    desc = ok(await client.call_tool("describe_policy", {"policy": "disallow-privilege-escalation"}))
    assert desc["severity"] == "medium" and desc["set"] == "pod-security-restricted"
    assert "Deployment" in desc["autogen"] and desc["matches"] == ["pods (core/v1) on CREATE, UPDATE"]
    assert "allowPrivilegeEscalation" in desc["checks"][0]["expression"] and desc["remediation"]
    message = error(await client.call_tool("describe_policy", {"policy": "privilege-escalation"}))
    assert "policy 'privilege-escalation' does not exist; did you mean 'disallow-privilege-escalation'? Call " \
        "list_policy_sets" in message


async def test_configured_policy_paths(tmp_path: Any, settings: ServerSettings) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(TEAM_LABEL_POLICY)
    custom = ServerSettings(kubeconfig=settings.kubeconfig, policy_paths=(str(path),))
    async with Client(build_server(custom)) as c:
        data = ok(await c.call_tool("list_policy_sets", {}))
        assert data["defaultSets"] == ["configured"]
        scan = ok(await c.call_tool("scan_namespace", {"namespace": "shop", "include_passing": True}))
        assert {f["policy"] for f in scan["results"]} == {"require-team"}
        described = ok(await c.call_tool("describe_policy", {"policy": "require-team"}))
        assert described["remediation"] == "Add a team label."
    with pytest.raises(ValueError, match="not found"):
        build_server(ServerSettings(policy_paths=(str(tmp_path / "missing.yaml"),)))


# ----------------------------------------------------------------------------- explain
async def test_explain_pod_in_cluster(client: Client) -> None:
    result = await client.call_tool("explain_violation", {
        "policy": "disallow-privilege-escalation", "kind": "Pod", "name": "bad", "namespace": "shop"})
    data = ok(result)
    assert data["result"] == "fail" and data["validationIndex"] == 0 and data["context"] == "alpha"
    assert "allowPrivilegeEscalation" in data["expression"] and "main" in data["message"]
    fields = {f["path"]: f for f in data["fields"]}
    assert fields["spec.containers[0].securityContext.allowPrivilegeEscalation"]["value"] is True
    assert data["patch"] == [{"op": "replace", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation",
                              "value": False}]
    assert "allowPrivilegeEscalation false" in data["remediation"]
    assert "Suggested JSON patch" in text(result)


async def test_explain_deployment_through_autogen(client: Client) -> None:
    data = ok(await client.call_tool("explain_violation", {
        "policy": "disallow-privilege-escalation", "kind": "deployments", "name": "web", "namespace": "shop"}))
    assert data["resource"]["kind"] == "Deployment" and "autogen" in data["note"]
    assert data["patch"] == [{"op": "add", "path": "/spec/template/spec/containers/0/securityContext",
                              "value": {"allowPrivilegeEscalation": False}}]


async def test_explain_passing_and_not_applicable(client: Client) -> None:
    data = ok(await client.call_tool("explain_violation", {
        "policy": "disallow-privilege-escalation", "kind": "Pod", "name": "good", "namespace": "shop"}))
    assert data["result"] == "pass" and data["patch"] == [] and "passes" in data["note"]
    data = ok(await client.call_tool("explain_violation", {
        "policy": "restrict-nodeport", "kind": "Pod", "name": "good", "namespace": "shop"}))
    assert data["result"] == "not-applicable" and "services" in data["note"]


async def test_explain_manifest_with_label_patch(client: Client) -> None:
    data = ok(await client.call_tool("explain_violation", {"policy": "require-labels", "manifest_yaml": BAD_POD}))
    assert data["result"] == "fail" and data["context"] is None
    assert {"op": "add", "path": "/metadata/labels", "value": {"app.kubernetes.io/name": "<value>"}} in data["patch"]
    assert "<value>" in data["patchNote"]
    data = ok(await client.call_tool("explain_violation", {
        "policy": "disallow-privilege-escalation", "manifest_yaml": BAD_POD}))
    assert data["patch"] == [
        {"op": "add", "path": "/spec/containers/0/securityContext", "value": {"allowPrivilegeEscalation": False}},
        {"op": "replace", "path": "/spec/containers/1/securityContext/allowPrivilegeEscalation", "value": False},
    ]


async def test_explain_with_policy_yaml_and_bad_inputs(client: Client) -> None:
    data = ok(await client.call_tool("explain_violation", {"policy_yaml": TEAM_LABEL_POLICY,
                                                           "manifest_yaml": BAD_POD}))
    assert data["policy"] == "require-team" and data["remediation"] == "Add a team label."
    assert data["patch"] == [{"op": "add", "path": "/metadata/labels", "value": {"team": "<value>"}}]
    assert "pass `policy`" in error(await client.call_tool("explain_violation", {"manifest_yaml": BAD_POD}))
    assert "pass the resource" in error(await client.call_tool("explain_violation", {"policy": "require-labels"}))
    assert "not valid YAML" in error(await client.call_tool("explain_violation", {
        "policy": "require-labels", "manifest_yaml": "kind: [Pod"}))
    message = error(await client.call_tool("explain_violation", {
        "policy": "require-labels", "kind": "Pod", "name": "bda", "namespace": "shop"}))
    assert "Pod 'bda' does not exist in namespace 'shop' of context 'alpha'; did you mean 'bad'?" in message
    message = error(await client.call_tool("explain_violation", {
        "policy": "require-labels", "kind": "Gizmo", "name": "x", "namespace": "shop"}))
    assert "kind 'Gizmo' is not served" in message


async def test_secret_data_is_never_shown(client: Client) -> None:
    policy = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: secret-peek}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [secrets]}]
  validations:
  - expression: "object.data.password == 'x'"
    messageExpression: "'password is ' + object.data.password"
"""
    result = await client.call_tool("explain_violation", {"policy_yaml": policy, "kind": "Secret", "name": "db",
                                                          "namespace": "shop"})
    data = ok(result)
    assert data["message"] == "password is <redacted>"
    assert SECRET_VALUE not in text(result) and SECRET_VALUE not in json.dumps(data)


# ----------------------------------------------------------------------------- authoring
async def test_evaluate_policy_results(client: Client) -> None:
    data = ok(await client.call_tool("evaluate_policy", {"policy_yaml": TEAM_LABEL_POLICY,
                                                         "resources_yaml": GOOD_POD + "---\n" + BAD_POD}))
    assert data["policies"] == ["require-team"]
    assert {r["resource"]["name"]: r["result"] for r in data["results"]} == {"good": "fail", "bad": "fail"}
    labelled = GOOD_POD.replace("labels: {", "labels: {team: a, ")
    data = ok(await client.call_tool("evaluate_policy", {"policy_yaml": TEAM_LABEL_POLICY, "resources_yaml": labelled}))
    assert data["summary"]["pass"] == 1 and data["results"][0]["validationIndex"] is None


async def test_evaluate_policy_update_and_exceptions(client: Client) -> None:
    policy = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: immutable-image}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [UPDATE], resources: [pods]}]
  validations:
  - expression: object.spec.containers[0].image == oldObject.spec.containers[0].image
    message: image is immutable
"""
    new = GOOD_POD.replace("nginx:1.27.3", "nginx:1.28.0")
    data = ok(await client.call_tool("evaluate_policy", {"policy_yaml": policy, "resources_yaml": new,
                                                         "old_resources_yaml": GOOD_POD, "operation": "UPDATE"}))
    assert [r["result"] for r in data["results"]] == ["fail"] and data["results"][0]["message"] == "image is immutable"
    exception = """
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: allow-good, namespace: apps}
spec:
  policyRefs: [{name: immutable-image, kind: ValidatingPolicy}]
  matchConditions: [{name: good, expression: "object.metadata.name == 'good'"}]
"""
    data = ok(await client.call_tool("evaluate_policy", {"policy_yaml": policy, "resources_yaml": new,
                                                         "old_resources_yaml": GOOD_POD, "operation": "UPDATE",
                                                         "exceptions_yaml": exception}))
    assert [r["result"] for r in data["results"]] == ["skip"]


async def test_evaluate_mutating_policy_returns_patched_resource(client: Client) -> None:
    data = ok(await client.call_tool("evaluate_policy", {"policy_yaml": MUTATING_POLICY, "resources_yaml": GOOD_POD}))
    [patched] = data["patched"]
    assert patched["policy"] == "add-owner" and patched["object"]["metadata"]["annotations"] == {"owner": "platform"}


async def test_evaluate_policy_bad_inputs(client: Client) -> None:
    message = error(await client.call_tool("evaluate_policy", {"policy_yaml": "kind: [", "resources_yaml": GOOD_POD}))
    assert "policy_yaml is not valid YAML" in message and "line 1" in message
    broken = TEAM_LABEL_POLICY.replace("'team' in object.metadata.?labels.orValue({})", "object.spec.nope(")
    message = error(await client.call_tool("evaluate_policy", {"policy_yaml": broken, "resources_yaml": GOOD_POD}))
    assert "spec.validations[0].expression" in message and "lint_policy" in message
    message = error(await client.call_tool("evaluate_policy", {"policy_yaml": TEAM_LABEL_POLICY,
                                                               "resources_yaml": "# nothing\n"}))
    assert "holds no document" in message


async def test_lint_policy(client: Client) -> None:
    broken = TEAM_LABEL_POLICY.replace("'team' in object.metadata.?labels.orValue({})", "object.spec.containers.all(c,")
    result = await client.call_tool("lint_policy", {"policy_yaml": broken})
    data = ok(result)
    assert data["valid"] is False
    [err] = data["errors"]
    assert err["path"] == "spec.validations[0].expression"
    assert err["expressionLine"] == 1 and err["expressionColumn"] > 1
    assert err["policy"] == "require-team" and "^" in err["snippet"]
    clean = ok(await client.call_tool("lint_policy", {"policy_yaml": TEAM_LABEL_POLICY}))
    assert clean["valid"] is True and clean["policies"] == ["require-team"] and clean["costs"]
    assert all(c["cost"] is not None and c["level"] == "low" for c in clean["costs"])
    bare = TEAM_LABEL_POLICY.replace("    policies.kyverno.io/severity: low\n", "").replace(
        "resources: [pods]}", "resources: [pods, services]}")
    suggestions = " ".join(ok(await client.call_tool("lint_policy", {"policy_yaml": bare}))["suggestions"])
    assert "policies.kyverno.io/severity" in suggestions and "autogen does not apply" in suggestions
    yaml_error = ok(await client.call_tool("lint_policy", {"policy_yaml": "a: [b"}))
    assert yaml_error["valid"] is False and yaml_error["errors"][0]["line"] == 1


# ----------------------------------------------------------------------------- reports
async def test_get_policy_reports(client: Client) -> None:
    data = ok(await client.call_tool("get_policy_reports", {}))
    assert data["available"] is True and data["reports"] == 1 and data["summary"]["fail"] == 1
    [finding] = data["results"]
    assert finding["policy"] == "require-labels" and finding["resources"][0]["name"] == "bad"
    passing = ok(await client.call_tool("get_policy_reports", {"namespace": "shop", "results": ["pass"]}))
    assert [r["resources"][0]["name"] for r in passing["results"]] == ["good"]
    beta = ok(await client.call_tool("get_policy_reports", {"context": "beta"}))
    assert beta["available"] is False and "scan_namespace" in beta["note"]


async def test_forbidden_reads_are_explained(client: Client, clusters: Clusters) -> None:
    clusters.alpha.deny(resource="policyreports.*")
    data = ok(await client.call_tool("get_policy_reports", {}))
    assert "Forbidden" in data["note"] or "forbidden" in data["note"]
    clusters.alpha.deny(resource="pods")
    message = error(await client.call_tool("explain_violation", {
        "policy": "require-labels", "kind": "Pod", "name": "bad", "namespace": "shop"}))
    assert "forbidden" in message and "RBAC" in message


async def test_unexpected_errors_are_replaced_by_a_safe_message(client: Client,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from pykyverno.server.mcp import lint

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("token=hunter2-secret at /etc/secret")

    monkeypatch.setattr(lint, "lint", boom)
    message = error(await client.call_tool("lint_policy", {"policy_yaml": TEAM_LABEL_POLICY}))
    assert "internal error in lint_policy" in message and "hunter2" not in message


# ----------------------------------------------------------------------------- resources and prompts
async def test_resources(client: Client) -> None:
    listed = {str(r.uri) for r in (await client.list_resources()).resources}
    assert "pykyverno://policysets" in listed
    templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert templates == {"pykyverno://policysets/{name}", "pykyverno://policies/{name}", "pykyverno://reports/{scan_id}"}
    sets = await client.read_resource("pykyverno://policysets")
    assert "pod-security-baseline" in sets.contents[0].text  # type: ignore[union-attr]
    policy = await client.read_resource("pykyverno://policies/disallow-latest-tag")
    assert "kind: ValidatingPolicy" in policy.contents[0].text  # type: ignore[union-attr]
    assert policy.contents[0].mime_type == "application/yaml"
    one_set = await client.read_resource("pykyverno://policysets/rbac-best-practices")
    assert one_set.contents[0].text.count("kind: ValidatingPolicy") >= 5  # type: ignore[union-attr]
    with pytest.raises(Exception, match="unknown policy"):
        await client.read_resource("pykyverno://policies/nope")


async def test_prompts(client: Client) -> None:
    names = {p.name for p in (await client.list_prompts()).prompts}
    assert names == {"audit_namespace", "harden_workload", "write_policy"}
    audit = await client.get_prompt("audit_namespace", {"namespace": "shop", "context": "beta"})
    body = audit.messages[0].content.text  # type: ignore[union-attr]
    assert 'namespace="shop", context="beta"' in body and "scan_namespace" in body
    harden = await client.get_prompt("harden_workload", {"kind": "Deployment", "name": "web", "namespace": "shop"})
    assert "explain_violation" in harden.messages[0].content.text  # type: ignore[union-attr]
    write = await client.get_prompt("write_policy", {"requirement": "images come from ghcr.io"})
    assert "lint_policy" in write.messages[0].content.text  # type: ignore[union-attr]


MANIFESTS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:latest, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
data: {password: c3VwZXItc2VjcmV0}
"""


async def test_scan_manifests_without_a_cluster() -> None:
    server = build_server(ServerSettings())
    async with Client(server) as c:
        data = ok(await c.call_tool("scan_manifests", {"manifests_yaml": MANIFESTS, "limit": 50}))
        failing = {(f["policy"], f["resource"]["kind"], f["resource"]["namespace"]) for f in data["results"]}
        assert ("disallow-privileged-containers", "Deployment", "default") in failing
        assert ("disallow-latest-tag", "Deployment", "default") in failing
        assert data["clusters"][0]["context"] == "snapshot:manifests"
        assert "c3VwZXItc2VjcmV0" not in json.dumps(data)
        bad = error(await c.call_tool("scan_manifests", {"manifests_yaml": "kind: [oops"}))
        assert "manifests_yaml is not valid YAML" in bad
        empty = error(await c.call_tool("scan_manifests", {"manifests_yaml": "# nothing\n"}))
        assert "holds no Kubernetes object" in empty


AGENT_POD_WITH_KEY = """
apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: ai
  labels: {pykyverno.io/ai-workload: agent}
spec:
  containers:
  - name: agent
    image: ghcr.io/acme/agent:1.0
    env:
    - {name: OPENAI_API_KEY, value: sk-live-TOPSECRET-123}
"""


async def test_explain_and_evaluate_never_echo_credential_literals() -> None:
    """Regression (review finding 1): field values and patched objects used to show env literal values."""
    server = build_server(ServerSettings())
    async with Client(server) as c:
        answer = await c.call_tool(
            "explain_violation", {"policy": "ai-agent-no-secret-env", "manifest_yaml": AGENT_POD_WITH_KEY}
        )
        dumped = text(answer) + json.dumps(answer.structured_content)
        assert "sk-live-TOPSECRET-123" not in dumped
        assert "ai-agent-no-secret-env" in dumped
        scanned = await c.call_tool("scan_manifests", {"manifests_yaml": AGENT_POD_WITH_KEY, "include_passing": True})
        assert "sk-live-TOPSECRET-123" not in text(scanned) + json.dumps(scanned.structured_content)
