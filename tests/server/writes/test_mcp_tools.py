"""The write tools through a real MCP client (in memory, both protocol eras) against a fake cluster over HTTPS:
absent without --allow-writes, honest annotations, dry run then confirm, confirmation in the client (elicitation),
denied writes, context filters, and idempotent re-runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.client.session import ClientRequestContext, ElicitationFnT
from mcp_types import ElicitRequestParams, ElicitResult, ErrorData

from pykyverno.server.mcp import ServerSettings, build_server
from tests.fakeapi.kyverno import kyverno_installed
from tests.server.writes.conftest import Cluster, MakeWriteCluster, workloads

pytestmark = pytest.mark.anyio

G, P = "policies.kyverno.io", "validatingpolicies"
WRITE_TOOLS = {"install_policy_set", "uninstall_policy_set", "create_policy_exception", "publish_reports"}
READ_TOOLS = {"check_kyverno", "draft_policy_exception"}
BASELINE = "pod-security-baseline"
Call = Callable[..., Awaitable[tuple[bool, dict[str, Any], str]]]
Elicitation = ElicitationFnT


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settings(cluster: Cluster, *, writes: bool = True, **extra: Any) -> ServerSettings:
    return ServerSettings(kubeconfig=str(cluster.kubeconfig), in_cluster=False, timeout=5.0, allow_writes=writes,
                          **extra)


@asynccontextmanager
async def session(server_settings: ServerSettings, *, mode: str = "auto",
                  elicit: Elicitation | None = None) -> AsyncIterator[Call]:
    """One MCP client session; ``call(tool, **arguments)`` -> (isError, structured content, text)."""
    async with Client(build_server(server_settings), mode=mode, elicitation_callback=elicit) as client:
        async def call(tool: str, **arguments: Any) -> tuple[bool, dict[str, Any], str]:
            result = await client.call_tool(tool, arguments)
            text = "".join(getattr(c, "text", "") for c in result.content)
            return bool(result.is_error), dict(result.structured_content or {}), text

        yield call


def answering(approve: bool | None) -> tuple[Elicitation, list[str]]:
    """An elicitation callback that approves, refuses (approve False) or declines (None); it records the questions."""
    asked: list[str] = []

    async def callback(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult | ErrorData:
        asked.append(params.message)
        if approve is None:
            return ElicitResult(action="decline")
        return ElicitResult(action="accept", content={"approve": approve})

    return callback, asked


def _policy_writes(cluster: Cluster) -> list[tuple[str, str, str]]:
    return [w for w in cluster.writes() if P in w[1]]


# ----------------------------------------------------------------------------- listing
async def test_without_allow_writes_no_write_tool_exists(cluster: Cluster) -> None:
    async with Client(build_server(settings(cluster, writes=False))) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert not (WRITE_TOOLS | READ_TOOLS) & names
        refused = await client.call_tool("install_policy_set", {"set": BASELINE})
        assert refused.is_error
    assert cluster.writes() == []


async def test_annotations_are_honest(cluster: Cluster) -> None:
    async with Client(build_server(settings(cluster))) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= WRITE_TOOLS | READ_TOOLS
    for name in WRITE_TOOLS:
        hints = tools[name].annotations
        assert hints is not None and hints.read_only_hint is False and hints.destructive_hint is True, name
        assert "confirm" in tools[name].input_schema["properties"]
        assert "approval" not in tools[name].input_schema["properties"]
    assert tools["create_policy_exception"].annotations.idempotent_hint is False  # type: ignore[union-attr]
    assert tools["install_policy_set"].annotations.idempotent_hint is True  # type: ignore[union-attr]
    for name in READ_TOOLS:
        hints = tools[name].annotations
        assert hints is not None and hints.read_only_hint is True and "confirm" not in tools[name].input_schema[
            "properties"]


# ----------------------------------------------------------------------------- dry run, confirm
@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_dry_run_then_confirm_then_idempotent(cluster: Cluster, mode: str) -> None:
    async with session(settings(cluster), mode=mode) as call:
        error, planned, text = await call("install_policy_set", set=BASELINE)
        assert not error and planned["status"] == "planned" and planned["confirm"]
        assert "Dry run only: nothing was written" in text
        objects = planned["plan"]["objects"]
        assert {o["action"] for o in objects} == {"create"} and {o["verdict"] for o in objects} == {"allowed"}
        assert all(o["diff"].startswith("--- ") for o in objects)
        assert {w[2] for w in cluster.writes()} == {"All"}  # only the API server's dry runs so far
        assert cluster.stored(G, P, "disallow-host-path") is None

        error, done, _ = await call("install_policy_set", set=BASELINE, confirm=planned["confirm"])
        assert not error and done["status"] == "applied" and done["confirmedInClient"] is None
        stored = cluster.stored(G, P, "disallow-host-path")
        assert stored is not None and stored["spec"]["validationActions"] == ["Audit"]
        assert stored["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "pykyverno"

        before = len(cluster.writes())
        error, again, _ = await call("install_policy_set", set=BASELINE)
        assert not error and again["status"] == "unchanged" and again.get("confirm") is None
        assert {w[2] for w in cluster.writes()[before:]} <= {"All"}

        error, reused, _ = await call("install_policy_set", set=BASELINE, confirm=planned["confirm"])
        assert reused["status"] == "unchanged" and "unknown" in reused["message"]


async def test_a_token_confirms_only_its_own_call(cluster: Cluster) -> None:
    async with session(settings(cluster)) as call:
        _, planned, _ = await call("install_policy_set", set=BASELINE)
        error, other, _ = await call("install_policy_set", set=BASELINE, mode="Enforce",
                                     confirm=planned["confirm"])
        assert error and other["status"] == "token-mismatch" and other["confirm"]  # refused, fresh plan
        assert cluster.stored(G, P, "disallow-host-path") is None


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_the_user_is_asked_in_clients_that_can(cluster: Cluster, mode: str) -> None:
    refuse, asked = answering(None)
    async with session(settings(cluster), mode=mode, elicit=refuse) as call:
        _, planned, _ = await call("install_policy_set", set=BASELINE)
        assert asked == []  # the dry run asks nobody
        error, declined, _ = await call("install_policy_set", set=BASELINE, confirm=planned["confirm"])
        assert not error and declined["status"] == "declined" and declined["confirmedInClient"] is False
        assert len(asked) == 1 and "install_policy_set on context 'admin'" in asked[0]
        assert "ValidatingPolicy/disallow-host-path" in asked[0]
        assert cluster.stored(G, P, "disallow-host-path") is None
    approve, asked = answering(True)
    async with session(settings(cluster), mode=mode, elicit=approve) as call:
        _, planned, _ = await call("install_policy_set", set=BASELINE)
        error, done, _ = await call("install_policy_set", set=BASELINE, confirm=planned["confirm"])
        assert not error and done["status"] == "applied" and done["confirmedInClient"] is True and len(asked) == 1
    assert cluster.stored(G, P, "disallow-host-path") is not None


async def test_unchecking_approve_writes_nothing(cluster: Cluster) -> None:
    no, _ = answering(False)
    async with session(settings(cluster), elicit=no) as call:
        _, planned, _ = await call("install_policy_set", set=BASELINE)
        _, declined, _ = await call("install_policy_set", set=BASELINE, confirm=planned["confirm"])
    assert declined["status"] == "declined" and cluster.stored(G, P, "disallow-host-path") is None


# ----------------------------------------------------------------------------- refusals
async def test_a_denied_write_is_reported_clearly(cluster: Cluster) -> None:
    cluster.fake.deny(user="bob", verb="create|patch", resource=f"{P}.{G}")
    async with session(settings(cluster)) as call:
        error, blocked, text = await call("install_policy_set", set=BASELINE, context="bob")
    assert error and blocked["status"] == "blocked" and blocked.get("confirm") is None
    assert {o["verdict"] for o in blocked["plan"]["objects"] if o["object"]["kind"] == "ValidatingPolicy"} == {
        "denied"}
    assert "forbidden by the API server (403)" in text
    assert all('User "bob" cannot patch' in o["message"] for o in blocked["plan"]["objects"])
    assert [w for w in _policy_writes(cluster) if w[2] != "All"] == []


async def test_context_deny_keeps_writes_off_a_cluster(cluster: Cluster) -> None:
    async with session(settings(cluster, context_deny=("admin",))) as call:
        error, _, text = await call("install_policy_set", set=BASELINE, context="admin")
        assert error and "admin" in text
    assert cluster.writes() == []


async def test_unknown_sets_and_enforce_without_a_complete_scan_are_input_errors(cluster: Cluster) -> None:
    async with session(settings(cluster)) as call:
        error, _, text = await call("install_policy_set", set="pod-security-baselin")
        assert error and "pod-security-baseline" in text  # the close match
        cluster.fake.deny(verb="list", resource="pods")
        error, _, text = await call("install_policy_set", set=BASELINE, mode="Enforce")
        assert error and "Enforce needs a complete scan" in text and "pods" in text
    assert cluster.writes() == []


async def test_enforce_shows_how_many_objects_would_be_denied(cluster: Cluster) -> None:
    async with session(settings(cluster)) as call:
        error, planned, _ = await call("install_policy_set", set=BASELINE, mode="Enforce")
    assert not error and planned["status"] == "planned"
    notes = planned["plan"]["notes"]
    assert any("would be denied at their next create or update" in n for n in notes)
    assert any(n.strip().startswith("disallow-host-path: 1 object(s)") for n in notes), notes
    assert any(n.strip().startswith("disallow-privileged-containers: 1 object(s)") for n in notes), notes


# ----------------------------------------------------------------------------- never delete what we did not create
async def test_never_delete_or_take_over_what_pykyverno_did_not_create(cluster: Cluster) -> None:
    foreign_policy = {"apiVersion": f"{G}/v1", "kind": "ValidatingPolicy",
                      "metadata": {"name": "disallow-host-path", "labels": {"team": "platform"}},
                      "spec": {"validationActions": ["Deny"], "validations": [{"expression": "true"}]}}
    foreign_report = {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
                      "metadata": {"name": "pykyverno-team-a", "namespace": "team-a"}, "results": []}
    kyverno_report = {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
                      "metadata": {"name": "kyverno-team-a", "namespace": "team-a"}, "results": []}
    cluster.fake.add_objects([foreign_policy, foreign_report, kyverno_report])
    async with session(settings(cluster)) as call:
        error, blocked, text = await call("install_policy_set", set=BASELINE)
        assert error and blocked["status"] == "blocked"
        [refused] = [o for o in blocked["plan"]["objects"] if o["verdict"] == "refused"]
        assert refused["object"]["name"] == "disallow-host-path" and "was not created by pykyverno" in text
        error, nothing, _ = await call("uninstall_policy_set", set=BASELINE)
        assert not error and nothing["status"] == "unchanged"
        error, published, _ = await call("publish_reports", namespaces=["team-a"], sets=[BASELINE])
        assert error and published["status"] == "blocked"  # pykyverno-team-a is someone else's
    stored = cluster.stored(G, P, "disallow-host-path")
    assert stored is not None and stored["spec"] == foreign_policy["spec"]
    assert stored["metadata"]["labels"] == {"team": "platform"}
    assert cluster.stored("wgpolicyk8s.io", "policyreports", "kyverno-team-a", "team-a") is not None
    assert [w for w in cluster.writes() if w[2] != "All"] == []



async def test_openreports_clusters_get_openreports_and_both_apis_are_read(cluster_with: MakeWriteCluster) -> None:
    both = cluster_with([*kyverno_installed("v1.17.0", openreports=True, wgpolicy=True), *workloads()])
    foreign = {"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
               "metadata": {"name": "kyverno-team-b", "namespace": "team-b"},
               "results": [{"policy": "other", "result": "fail", "severity": "low",
                            "resources": [{"apiVersion": "v1", "kind": "Pod", "namespace": "team-b", "name": "x"}]}]}
    both.fake.add_objects([foreign])
    async with session(settings(both)) as call:
        error, planned, _ = await call("publish_reports", namespaces=["team-b"], sets=[BASELINE])
        assert not error and {o["object"]["apiVersion"] for o in planned["plan"]["objects"]} == {
            "openreports.io/v1alpha1"}
        assert all("changes" not in o and "diff" not in o for o in planned["plan"]["objects"])
        await call("publish_reports", namespaces=["team-b"], sets=[BASELINE], confirm=planned["confirm"])
        error, reports, _ = await call("get_policy_reports", namespace="team-b")
    assert not error and reports["reports"] == 2
    assert reports["apiVersion"] == "openreports.io/v1alpha1, wgpolicyk8s.io/v1alpha2"
    assert {r["policy"] for r in reports["results"]} >= {"other", "disallow-host-path"}


CUSTOM_POLICY = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: require-team-label
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [pods]
  validations:
    - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
      message: pods need a team label
"""


async def test_the_servers_policy_paths_install_and_except_as_set_custom(cluster: Cluster, tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(CUSTOM_POLICY, encoding="utf-8")
    async with session(settings(cluster, policy_paths=(str(path),))) as call:
        done = await _confirm(call, "install_policy_set", set="configured")
        assert [o["object"]["name"] for o in done["plan"]["objects"]] == ["require-team-label"]
        stored = cluster.stored(G, P, "require-team-label")
        assert stored is not None and stored["metadata"]["labels"]["pykyverno.io/policy-set"] == "custom"
        error, draft, text = await call("draft_policy_exception", policy="require-team-label",
                                        resources=["Pod/team-a/web-1"], reason="legacy pod")
        assert not error and draft["document"]["spec"]["policyRefs"] == [
            {"name": "require-team-label", "kind": "ValidatingPolicy"}], text
        await _confirm(call, "uninstall_policy_set", set="configured")
    assert cluster.stored(G, P, "require-team-label") is None


async def _confirm(call: Call, tool: str, **arguments: Any) -> dict[str, Any]:
    error, planned, text = await call(tool, **arguments)
    assert not error and planned["status"] == "planned", text
    error, done, text = await call(tool, **arguments, confirm=planned["confirm"])
    assert not error and done["status"] == "applied", text
    return done
