"""A scan answer stays inside an agent's context budget: a namespace with 200 Pods."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from pykyverno.server.mcp import ServerSettings, build_server
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig

from .conftest import namespace, pod
from .test_tools import ok, text

pytestmark = pytest.mark.anyio


async def test_scan_of_200_pods_is_compact(tmp_path: Path, fake_cluster: Callable[..., FakeCluster]) -> None:
    objects = [namespace("big"), *(pod("big", f"web-{i:03d}", escalate=i % 2 == 0) for i in range(200))]
    alpha, beta = fake_cluster(objects), fake_cluster([])
    kubeconfig = write_standard_kubeconfig(tmp_path / "kubeconfig", alpha, beta).path
    async with Client(build_server(ServerSettings(kubeconfig=str(kubeconfig)))) as c:
        started = time.perf_counter()
        result = await c.call_tool("scan_namespace", {"namespace": "big"})
        seconds = time.perf_counter() - started
    data = ok(result)
    markdown, structured = text(result), json.dumps(data, separators=(",", ":"))
    assert data["clusters"][0]["objects"] == 200 and data["totalResults"] > 1000
    assert len(data["results"]) == 20 and data["nextCursor"]
    print(f"\nscan_namespace, 200 Pods: {data['totalResults']} findings, markdown {len(markdown)} chars, "
          f"structured {len(structured)} chars, total {len(markdown) + len(structured)} chars, {seconds:.2f}s")
    assert len(markdown) + len(structured) < 40_000
