"""One MCP session across two clusters, without restarting: list contexts, switch, scan both, explain a violation
from each."""

from __future__ import annotations

import pytest
from mcp import Client

from .conftest import Clusters
from .test_tools import ok

pytestmark = pytest.mark.anyio


async def test_two_cluster_session(client: Client, clusters: Clusters) -> None:
    contexts = ok(await client.call_tool("list_contexts", {}))
    assert {"alpha", "beta"} <= {c["name"] for c in contexts["contexts"]} and contexts["selected"] == "alpha"

    alpha_scan = ok(await client.call_tool("scan_namespace", {"namespace": "shop", "limit": 50}))
    assert {c["context"] for c in alpha_scan["clusters"]} == {"alpha"}
    alpha_bad = next(f for f in alpha_scan["results"]
                     if f["policy"] == "disallow-privilege-escalation" and f["resource"]["kind"] == "Pod")

    switched = ok(await client.call_tool("switch_context", {"context": "beta"}))
    assert switched["previous"] is None and switched["remembered"] is True

    beta_scan = ok(await client.call_tool("scan_namespace", {"namespace": "team-b", "limit": 50}))
    assert {c["context"] for c in beta_scan["clusters"]} == {"beta"}
    beta_bad = next(f for f in beta_scan["results"] if f["policy"] == "disallow-privilege-escalation")
    assert beta_bad["resource"]["name"] == "legacy"

    both = ok(await client.call_tool("scan_cluster", {"contexts": ["alpha", "beta"], "limit": 200}))
    assert {f["context"] for f in both["results"]} == {"alpha", "beta"}

    # explain one violation from each cluster: beta is the session default now, alpha is named explicitly
    from_beta = ok(await client.call_tool("explain_violation", {
        "policy": beta_bad["policy"], "kind": beta_bad["resource"]["kind"], "name": beta_bad["resource"]["name"],
        "namespace": beta_bad["resource"]["namespace"]}))
    assert from_beta["context"] == "beta" and from_beta["result"] == "fail" and from_beta["patch"]
    from_alpha = ok(await client.call_tool("explain_violation", {
        "policy": alpha_bad["policy"], "kind": "Pod", "name": alpha_bad["resource"]["name"],
        "namespace": "shop", "context": "alpha"}))
    assert from_alpha["context"] == "alpha" and from_alpha["resource"]["name"] == "bad"

    # the requests went to the right clusters
    assert any(r.path.startswith("/api/v1/namespaces/team-b/pods/legacy") for r in clusters.beta.requests)
    assert any(r.path.startswith("/api/v1/namespaces/shop/pods/bad") for r in clusters.alpha.requests)
    assert not any("team-b" in r.path for r in clusters.alpha.requests)
