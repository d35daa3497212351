"""Toolset ``reports``: PolicyReports already in a cluster (written by Kyverno's background scans or by
``publish_reports``), from both report APIs: ``wgpolicyk8s.io`` and its successor ``openreports.io``."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from ...kube import KubeClient
from ...kube.errors import Forbidden
from ...output import SEVERITY_ORDER
from .. import render
from ..errors import tool_errors
from ..models import PolicyReportsResult, ReportResult, ResourceRef
from ..state import AppState, resolve_context, state_of
from .common import CLUSTER, add_tool, respond
from .params import KubeContext, Limit, OptionalNamespace, ResultFilter

GROUP = "wgpolicyk8s.io"
#: (group, namespaced kind, cluster kind) of each report API read.
REPORT_KINDS = ((GROUP, "PolicyReport", "ClusterPolicyReport"), ("openreports.io", "Report", "ClusterReport"))
DEFAULT_RESULTS = ("fail", "warn", "error")
MAX_MESSAGE = 500


def _refs(result: dict[str, Any], report: dict[str, Any]) -> list[ResourceRef]:
    raw = result.get("resources") or result.get("subjects") or (
        [report["scope"]] if isinstance(report.get("scope"), dict) else [])
    out = []
    for r in raw:
        if isinstance(r, dict):
            out.append(ResourceRef(api_version=str(r.get("apiVersion") or ""), kind=str(r.get("kind") or ""),
                                   namespace=str(r.get("namespace") or ""), name=str(r.get("name") or "")))
    return out


def _timestamp(result: dict[str, Any]) -> str:
    ts = result.get("timestamp")
    if isinstance(ts, dict) and "seconds" in ts:
        return str(ts["seconds"])
    return str(ts or "")


def read_reports(client: KubeClient, namespace: str | None, results: set[str], policy: str | None,
                 limit: int) -> PolicyReportsResult:
    """PolicyReports (and ClusterPolicyReports when no namespace is given) filtered and sorted by severity."""
    discovery = client.discover()
    served = [r for group, *kinds in REPORT_KINDS for kind in kinds if (r := discovery.by_kind(group, kind))]
    if not served:
        for group, *_ in REPORT_KINDS:
            if (failure := discovery.failure_for(group)) is not None:
                raise failure  # unknown, not absent
        return PolicyReportsResult(
            context=client.context, available=False,
            note=f"Context {client.context!r} serves no PolicyReports ({GROUP} or openreports.io): Kyverno (or another "
                 "report producer) is not installed, or reports are disabled. Use scan_namespace or scan_cluster to "
                 "check the cluster directly instead.")
    reports: list[dict[str, Any]] = []
    notes: list[str] = []
    for rtype in served:
        if namespace and not rtype.namespaced:
            continue
        try:
            reports.extend(client.list(rtype.group, rtype.version, rtype.resource,
                                       namespace=namespace if rtype.namespaced else None))
        except Forbidden as exc:
            notes.append(f"{rtype.kind}: {exc.message}")
    summary: Counter[str] = Counter()
    items: list[ReportResult] = []
    for report in reports:
        meta = report.get("metadata") or {}
        for key, value in (report.get("summary") or {}).items():
            if isinstance(value, int):
                summary[key] += value
        for result in report.get("results") or []:
            if not isinstance(result, dict) or str(result.get("result")) not in results:
                continue
            if policy and result.get("policy") != policy:
                continue
            items.append(ReportResult(
                report=str(meta.get("name") or ""), namespace=str(meta.get("namespace") or ""),
                policy=str(result.get("policy") or ""), rule=str(result.get("rule") or ""),
                result=str(result.get("result")), severity=str(result.get("severity") or ""),
                category=str(result.get("category") or ""),
                message=str(result.get("message") or result.get("description") or "")[:MAX_MESSAGE],
                resources=_refs(result, report), timestamp=_timestamp(result)))
    items.sort(key=lambda r: (SEVERITY_ORDER.get(r.severity, 5), r.namespace, r.policy, r.report))
    api_version = ", ".join(sorted({r.api_version for r in served}))
    return PolicyReportsResult(context=client.context, available=True, api_version=api_version, reports=len(reports),
                               summary={k: summary.get(k, 0) for k in ("pass", "fail", "warn", "error", "skip")},
                               results=items[:limit], total_results=len(items), truncated=len(items) > limit,
                               note="; ".join(notes))


@tool_errors("get_policy_reports")
async def get_policy_reports(
    ctx: Context,
    context: KubeContext = None,
    namespace: OptionalNamespace = None,
    results: ResultFilter = None,
    policy: Annotated[str | None, Field(description="only results of this policy", max_length=253)] = None,
    limit: Limit = None,
) -> Annotated[CallToolResult, PolicyReportsResult]:
    """Read the PolicyReports (wgpolicyk8s.io and openreports.io) already in a cluster, written by Kyverno or by
    publish_reports: results of the policies
    installed there, by severity, with the resources concerned. Use it when the cluster runs Kyverno and the user
    asks about existing violations or the enforced policies; use scan_namespace to evaluate pykyverno's own policy
    sets instead. Without `namespace`, every namespace and the ClusterPolicyReports are read."""
    state: AppState = state_of(ctx)
    name = resolve_context(ctx, context)
    client = state.require_registry().client(name)
    wanted = set(results or DEFAULT_RESULTS)
    answer = await anyio.to_thread.run_sync(read_reports, client, namespace, wanted, policy,
                                            limit or state.settings.default_limit)
    return respond(answer, render.reports(answer))


def register(server: MCPServer[Any]) -> None:
    """Register the toolset."""
    add_tool(server, get_policy_reports, "Read in-cluster PolicyReports", CLUSTER)


__all__ = ["get_policy_reports", "read_reports", "register"]
