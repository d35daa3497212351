"""Issue 11, item 7: the MCP scan cache is bounded in bytes.

Each kept report's size is estimated cheaply (and the estimate is checked against ``tracemalloc``); reports that do
not fit evict older ones; a report bigger than the whole budget is kept without its passing results (counts stay
exact, ``include_passing`` paging says why it cannot) or, when even that is too big, not kept, and its cursor says so.
"""

from __future__ import annotations

import gc
import tracemalloc
from functools import cache
from typing import Any

import pytest
import yaml
from mcp import Client

from pykyverno.server.mcp import ServerSettings, build_server
from pykyverno.server.mcp.errors import ToolInputError
from pykyverno.server.mcp.scan_cache import ScanCache, estimate_bytes
from pykyverno.server.policysets import PolicyCatalog
from pykyverno.server.scan import Scanner, ScanReport, ScanRequest, SnapshotSource

from .conftest import pod
from .test_tools import error, ok

MIB = 1024 * 1024


def pods(count: int) -> list[dict[str, Any]]:
    return [pod(f"ns{i % 7}", f"p{i}", escalate=i % 3 == 0) for i in range(count)]


@cache
def scanner() -> Scanner:
    catalog = PolicyCatalog(())
    policies = catalog.load(catalog.default_sets())
    return Scanner(policies.policies, policies.exceptions)


def scan(count: int, source: SnapshotSource | None = None) -> ScanReport:
    source = source or SnapshotSource("pods", objects=pods(count))
    return scanner().scan([(source.name, lambda: source)], ScanRequest(snapshot="pods"))


@cache
def report_600() -> ScanReport:
    return scan(600)


def test_the_estimate_follows_the_memory_a_report_holds() -> None:
    source = SnapshotSource("pods", objects=pods(300))
    scan(0, source)  # compile and cache what the policies need first
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = scan(0, source)
        gc.collect()
        measured = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    estimate = estimate_bytes(held)
    print(f"\n300 Pods: {len(held.results)} results, measured {measured / MIB:.1f} MiB, "
          f"estimated {estimate / MIB:.1f} MiB")
    assert measured * 0.6 < estimate and measured < estimate * 1.25


def test_reports_that_do_not_fit_evict_the_oldest_and_memory_stays_bounded() -> None:
    source = SnapshotSource("pods", objects=pods(100))
    one = estimate_bytes(scan(0, source))
    cache = ScanCache(size=8, ttl=1800, max_bytes=int(one * 2.5))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        ids = [cache.put("scan_manifests", scan(0, source), ["best-practices"]) for _ in range(8)]
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    print(f"\n8 scans of {one / MIB:.1f} MiB each, budget {2.5 * one / MIB:.1f} MiB: "
          f"{retained / MIB:.1f} MiB retained")
    assert cache.bytes_used <= cache.max_bytes
    assert retained < 3 * one, "only the reports that fit in the budget are kept (8 were put)"
    for old in ids[:-2]:
        with pytest.raises(ToolInputError, match="expired"):
            cache.get(old, "scan_manifests")
    for recent in ids[-2:]:
        assert cache.get(recent, "scan_manifests")[0].results


def test_a_report_bigger_than_the_budget_keeps_its_failures_and_exact_counts() -> None:
    report = report_600()
    compact = report.without_passing()
    cache = ScanCache(size=8, ttl=1800, max_bytes=(estimate_bytes(report) + estimate_bytes(compact)) // 2)
    scan_id = cache.put("scan_manifests", report, [])
    kept, _ = cache.get(scan_id, "scan_manifests")
    assert kept.passing_omitted and {r.result for r in kept.results} <= {"fail", "warn", "error"}
    assert len(kept.results) == sum(1 for r in report.results if r.result in ("fail", "warn", "error"))
    assert kept.summary() == report.summary() and kept.summary()["pass"] > 0
    assert kept.clusters[0].by_namespace() == report.clusters[0].by_namespace()
    assert kept.by_policy() == report.by_policy()
    with pytest.raises(ToolInputError, match="passing results of this scan were not kept"):
        cache.get(scan_id, "scan_manifests", include_passing=True)


def test_a_report_too_large_even_without_passing_results_is_not_kept_and_its_cursor_says_so() -> None:
    report = report_600()
    cache = ScanCache(size=8, ttl=1800, max_bytes=estimate_bytes(report.without_passing()) // 2)
    scan_id = cache.put("scan_manifests", report, [])
    assert cache.bytes_used == 0
    with pytest.raises(ToolInputError, match="too large to keep for paging") as exc:
        cache.get(scan_id, "scan_manifests")
    assert "narrower" in str(exc.value)


@pytest.mark.anyio
async def test_paging_a_compacted_scan_over_mcp() -> None:
    manifests = yaml.safe_dump_all(pods(150))
    full = estimate_bytes(scan(150))
    settings = ServerSettings(in_cluster=False, scan_cache_bytes=full // 2)
    async with Client(build_server(settings)) as c:
        first = ok(await c.call_tool("scan_manifests", {"manifests_yaml": manifests, "limit": 5}))
        second = ok(await c.call_tool("scan_manifests", {"cursor": first["nextCursor"]}))
        assert second["offset"] == 5 and second["limit"] == 5 and len(second["results"]) == 5, "the cursor keeps limit"
        assert second["totals"] == first["totals"] and first["totals"]["pass"] > 0
        assert first["byPolicy"] and first["namespaces"] and first["summaryTables"] is True
        assert second["byPolicy"] == second["namespaces"] == [] and second["summaryTables"] is False, \
            "page 2 does not repeat page 1's tables"
        passing = ok(await c.call_tool("scan_manifests", {"manifests_yaml": manifests, "limit": 5,
                                                          "include_passing": True}))
        message = error(await c.call_tool("scan_manifests", {"manifests_yaml": "", "cursor": passing["nextCursor"]}))
        assert "passing results of this scan were not kept" in message
    settings = ServerSettings(in_cluster=False, scan_cache_bytes=1024)
    async with Client(build_server(settings)) as c:
        result = await c.call_tool("scan_manifests", {"manifests_yaml": manifests, "limit": 5})
        first = ok(result)
        assert first["reportUri"] == "" and [b.type for b in result.content] == ["text"]
        assert "too large for the server to keep" in result.content[0].text  # type: ignore[union-attr]
        message = error(await c.call_tool("scan_manifests", {"manifests_yaml": "", "cursor": first["nextCursor"]}))
        assert "too large to keep for paging" in message
