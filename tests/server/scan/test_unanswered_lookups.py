"""Issue 13, "lookups that cannot run": a policy that reads the cluster (resource.List / resource.Get) against a
source that cannot answer (a snapshot without the type, a 403) gets an ``error`` result naming the lookup, and the
scan is incomplete -- on ``scan --snapshot``, MCP ``scan_manifests`` and ``scan`` against a cluster. The bundled
``ai-agent-safeguards`` egress and RBAC policies (``failurePolicy: Ignore``) were silently dropped before."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client

from pykyverno.server.cli import main
from pykyverno.server.mcp import ServerSettings, build_server
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig
from tests.server.mcp.test_tools import ok

AGENT = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "agent", "namespace": "ai", "labels": {"pykyverno.io/ai-workload": "agent"}},
    "spec": {"containers": [{"name": "a", "image": "ghcr.io/org/agent:1"}]},
}
BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "agent", "namespace": "ai"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "agent-role"},
    "subjects": [{"kind": "ServiceAccount", "name": "agent", "namespace": "ai"}],
}
EGRESS = "ai-agent-egress-network-policy"
RBAC = "ai-agent-rbac-least-privilege"


def _results(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["policy"]: r for c in data["clusters"] for r in c["results"]}


def _lookup_failures(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for c in data["clusters"] for f in c["failures"] if f["reason"] == "LookupUnavailable"]


def test_scan_snapshot_without_the_looked_up_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "snapshot.yaml").write_text(yaml.safe_dump_all([AGENT, BINDING]))
    code = main(["scan", "--snapshot", str(tmp_path / "snapshot.yaml"), "--policy-set", "ai-agent-safeguards",
                 "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code != 0 and data["incomplete"] is True
    results = _results(data)
    assert results[EGRESS]["result"] == "error"
    assert "the snapshot holds no networking.k8s.io/v1 networkpolicies" in results[EGRESS]["message"]
    assert results[RBAC]["result"] == "error" and "v1 serviceaccounts" in results[RBAC]["message"]
    assert {f["message"].split(":")[0] for f in _lookup_failures(data)} == {f"policy {EGRESS}", f"policy {RBAC}"}


def test_scan_snapshot_holding_the_types_is_complete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "agent", "namespace": "ai"}}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "agent-role", "namespace": "ai"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "egress", "namespace": "ai"}, "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
    (tmp_path / "snapshot.yaml").write_text(yaml.safe_dump_all([AGENT, BINDING, account, role, policy]))
    main(["scan", "--snapshot", str(tmp_path / "snapshot.yaml"), "--policy-set", "ai-agent-safeguards", "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert _lookup_failures(data) == []
    assert _results(data)[EGRESS]["result"] == "pass"


@pytest.mark.anyio
async def test_mcp_scan_manifests_reports_the_lookup() -> None:
    async with Client(build_server(ServerSettings())) as client:
        data = ok(await client.call_tool("scan_manifests", {
            "manifests_yaml": yaml.safe_dump_all([AGENT]), "policy_sets": ["ai-agent-safeguards"],
        }))
    assert data["incomplete"] is True
    assert any(r["policy"] == EGRESS and r["result"] == "error"
               for r in data.get("results", []) + [x for c in data.get("clusters", []) for x in c.get("results", [])])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_scan_cluster_where_the_lookup_is_forbidden(
    tmp_path: Path, fake_cluster: Callable[..., FakeCluster], capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ai"}}
    alpha = fake_cluster([namespace, AGENT])
    beta = fake_cluster([])
    alpha.add_fault(r"/apis/networking\.k8s\.io/v1/namespaces/ai/networkpolicies$", status=403)
    kubeconfig = write_standard_kubeconfig(tmp_path / "kubeconfig", alpha, beta).path
    code = main(["scan", "--kubeconfig", str(kubeconfig), "--context", "alpha", "-n", "ai",
                 "--policy-set", "ai-agent-safeguards", "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code != 0 and data["incomplete"] is True
    egress = _results(data)[EGRESS]
    assert egress["result"] == "error" and "could not be listed" in egress["message"]


@pytest.mark.anyio
async def test_mcp_explain_violation_does_not_call_an_unevaluated_policy_not_applicable() -> None:
    async with Client(build_server(ServerSettings())) as client:
        data = ok(await client.call_tool("explain_violation", {
            "policy": EGRESS, "manifest_yaml": yaml.safe_dump(AGENT),
        }))
    assert data["result"] == "error" and "no resource provider" in data["message"]


@pytest.mark.anyio
async def test_mcp_explain_violation_of_an_agent_policy_in_a_worker() -> None:
    policy_yaml = (Path(__file__).resolve().parents[3] / "server" / "policysets" / "ai-agent-safeguards"
                   / f"{EGRESS}.yaml").read_text()
    async with Client(build_server(ServerSettings())) as client:
        data = ok(await client.call_tool("explain_violation", {
            "policy_yaml": policy_yaml, "manifest_yaml": yaml.safe_dump(AGENT),
        }))
    assert data["result"] == "error" and "no resource provider" in data["message"]
