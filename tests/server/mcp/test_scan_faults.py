"""Issue 11, item 5 through the MCP scan tools: failed discovery, answers that are not lists and the scan deadline
are reported as "not scanned" with a prominent ``incomplete`` flag, never as a clean scan."""

from __future__ import annotations

import time
from typing import Any

import pytest
from mcp import Client

from pykyverno.server.mcp import ServerSettings, build_server

from .conftest import Clusters, pod
from .test_tools import ok, text

pytestmark = pytest.mark.anyio


def not_scanned(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["resource"]: n for n in data["notScanned"]}


@pytest.mark.parametrize(("fault", "reason"), [({"status": 503}, "ServiceUnavailable"), ({"status": 404}, "NotFound"),
                                               ({"drop": True}, "Unreachable")], ids=["503", "404", "dropped"])
async def test_scan_cluster_reports_a_group_version_whose_discovery_failed(
    client: Client, clusters: Clusters, fault: dict[str, Any], reason: str
) -> None:
    clusters.alpha.add_fault(r"^/api/v1$", **fault)
    result = await client.call_tool("scan_cluster", {})
    data = ok(result)
    assert data["incomplete"] is True
    core = not_scanned(data)["v1"]
    assert core["reason"] == reason and "discovery of v1 failed" in core["message"]
    assert "INCOMPLETE" in text(result).splitlines()[0]
    assert "Not scanned" in text(result)


async def test_scan_namespace_reports_a_list_answer_that_is_not_a_list(client: Client, clusters: Clusters) -> None:
    clusters.alpha.add_fault(r"^/api/v1/namespaces/shop/pods$", body={"kind": "Status", "status": "Success"})
    data = ok(await client.call_tool("scan_namespace", {"namespace": "shop"}))
    assert data["incomplete"] is True
    assert not_scanned(data)["v1/pods"]["reason"] == "InvalidResponse"
    assert all(f["resource"]["kind"] != "Pod" for f in data["results"])


async def test_a_complete_scan_is_not_flagged(client: Client) -> None:
    data = ok(await client.call_tool("scan_namespace", {"namespace": "shop"}))
    assert data["incomplete"] is False and data["notScanned"] == []


async def test_scan_deadline_ends_a_slow_scan_on_time(clusters: Clusters) -> None:
    clusters.alpha.add_fault(r"^/api/v1/namespaces/shop/pods$", delay=6.0)
    settings = ServerSettings(kubeconfig=str(clusters.kubeconfig), timeout=10.0, scan_timeout=1.5)
    async with Client(build_server(settings)) as c:
        started = time.monotonic()
        result = await c.call_tool("scan_namespace", {"namespace": "shop"})
        elapsed = time.monotonic() - started
    data = ok(result)
    assert elapsed < 4.0, f"scan_namespace took {elapsed:.1f}s with a 1.5 s scan deadline"
    assert data["incomplete"] is True
    pods = not_scanned(data)["v1/pods"]
    assert pods["reason"] == "DeadlineExceeded"
    # What answered in time is reported: the Deployment was scanned.
    assert any(f["resource"]["kind"] == "Deployment" for f in data["results"])


async def test_scan_manifests_deadline_lists_the_objects_left(clusters: Clusters) -> None:
    import yaml

    manifests = yaml.safe_dump_all([pod("apps", f"p{i}", escalate=True) for i in range(1000)])
    settings = ServerSettings(kubeconfig=str(clusters.kubeconfig), scan_timeout=0.2)
    async with Client(build_server(settings)) as c:
        data = ok(await c.call_tool("scan_manifests", {"manifests_yaml": manifests}))
    assert data["incomplete"] is True
    left = not_scanned(data)["v1/pods"]
    assert left["reason"] == "DeadlineExceeded" and "listed object(s) not evaluated" in left["message"]
    assert 0 < data["clusters"][0]["objects"] < 1000


async def test_policy_reports_whose_discovery_failed_are_an_error_not_absent(
    client: Client, clusters: Clusters
) -> None:
    clusters.alpha.add_fault(r"^/apis/wgpolicyk8s\.io/v1alpha2$", status=503)
    result = await client.call_tool("get_policy_reports", {})
    assert result.is_error is True, text(result)
    assert "discover wgpolicyk8s.io/v1alpha2" in text(result) and "503" in text(result)


async def test_explain_names_a_failed_discovery_when_the_kind_is_not_found(client: Client, clusters: Clusters) -> None:
    clusters.alpha.add_fault(r"^/apis/apps/v1$", status=503)
    result = await client.call_tool("explain_violation", {"policy": "disallow-privilege-escalation",
                                                          "kind": "Deployment", "namespace": "shop", "name": "web"})
    assert result.is_error is True
    assert "discovery of apps/v1 failed" in text(result)
