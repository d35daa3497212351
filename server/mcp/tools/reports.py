"""Toolset ``reports``: PolicyReports already in a cluster (written by Kyverno's background scans or by
``publish_reports``), from both report APIs: ``wgpolicyk8s.io`` and its successor ``openreports.io``."""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from dataclasses import dataclass, replace
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

from ...core.names import UnknownNameError
from ...core.namespaces import require_cluster_namespaces
from ...kube import KubeClient
from ...kube.errors import Forbidden
from ...output import SEVERITY_ORDER
from .. import render
from ..errors import ToolInputError, tool_errors
from ..models import PolicyReportsResult, ReportResult, ResourceRef
from ..state import AppState, context_choice, describe_choice, state_of
from .common import CLUSTER, ToolSpec, respond
from .params import Cursor, KubeContext, Limit, OptionalNamespace, PolicyName, ResultFilter

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


@dataclass(frozen=True)
class ReportQuery:
    """What get_policy_reports reads, and which page of it (a cursor holds the whole query)."""

    context: str
    namespace: str | None
    results: tuple[str, ...]
    policy: str | None
    limit: int
    offset: int = 0

    def cursor(self) -> str:
        """The query as an opaque cursor."""
        raw = json.dumps([self.context, self.namespace, list(self.results), self.policy, self.limit, self.offset],
                         separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_cursor(cls, cursor: str) -> ReportQuery:
        """The query of a cursor; :class:`ToolInputError` for anything that is not one of ours."""
        try:
            c, ns, res, pol, limit, offset = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            return cls(str(c), ns if ns is None else str(ns), tuple(str(r) for r in res),
                       pol if pol is None else str(pol), max(1, int(limit)), max(0, int(offset)))
        except (ValueError, TypeError, binascii.Error):
            raise ToolInputError("invalid cursor: pass the nextCursor value of a previous get_policy_reports answer "
                                 "unchanged, or call it again without cursor") from None


def _scope(query: ReportQuery) -> str:
    if query.namespace:
        return f"namespace `{query.namespace}`"
    return "every namespace and the ClusterPolicyReports"


def read_reports(client: KubeClient, query: ReportQuery, choice: str = "") -> PolicyReportsResult:
    """PolicyReports (and ClusterPolicyReports when no namespace is given) filtered and sorted by severity, one
    page of them. A namespace that does not exist, or a policy no report names, is an error (never "0 reports")."""
    namespace, results, policy = query.namespace, set(query.results), query.policy
    read = f"{choice or f'context `{client.context}`'}; {_scope(query)}"
    if namespace:
        require_cluster_namespaces([client], [namespace])
    discovery = client.discover()
    served = [r for group, *kinds in REPORT_KINDS for kind in kinds if (r := discovery.by_kind(group, kind))]
    if not served:
        for group, *_ in REPORT_KINDS:
            if (failure := discovery.failure_for(group)) is not None:
                raise failure  # unknown, not absent
        return PolicyReportsResult(
            context=client.context, scope=read, available=False,
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
    named: set[str] = set()
    for report in reports:
        meta = report.get("metadata") or {}
        for key, value in (report.get("summary") or {}).items():
            if isinstance(value, int):
                summary[key] += value
        for result in report.get("results") or []:
            if not isinstance(result, dict):
                continue
            named.add(str(result.get("policy") or ""))
            if str(result.get("result")) not in results:
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
    if policy and policy not in named and not notes:
        unknown = UnknownNameError("policy", policy, named, where=f"any PolicyReport of {_scope(query)} in context "
                                                                  f"{client.context!r}")
        raise ToolInputError(f"{unknown}. Omit `policy` to see the results of every policy.")
    items.sort(key=lambda r: (SEVERITY_ORDER.get(r.severity, 5), r.namespace, r.policy, r.report))
    api_version = ", ".join(sorted({r.api_version for r in served}))
    end = query.offset + query.limit
    left_out = max(0, len(items) - end)
    return PolicyReportsResult(context=client.context, scope=read, available=True, api_version=api_version,
                               reports=len(reports),
                               summary={k: summary.get(k, 0) for k in ("pass", "fail", "warn", "error", "skip")},
                               results=items[query.offset:end], offset=query.offset, total_results=len(items),
                               truncated=left_out > 0, left_out=left_out,
                               next_cursor=replace(query, offset=end).cursor() if left_out else None,
                               note="; ".join(notes))


@tool_errors("get_policy_reports")
async def get_policy_reports(
    ctx: Context,
    context: KubeContext = "",
    namespace: OptionalNamespace = "",
    results: ResultFilter = None,
    policy: PolicyName = "",
    limit: Limit = None,
    cursor: Cursor = "",
) -> Annotated[CallToolResult, PolicyReportsResult]:
    """Read the PolicyReports (wgpolicyk8s.io, openreports.io) already in a cluster, written by Kyverno or by
    publish_reports: results by severity, with the resources concerned. Use it when the cluster runs Kyverno and the
    user asks about existing violations; scan_namespace evaluates pykyverno's own policy sets instead. Without
    `namespace`, every namespace and the cluster-wide reports are read."""
    state: AppState = state_of(ctx)
    if cursor:
        query = ReportQuery.from_cursor(cursor)
        query = replace(query, limit=limit or query.limit)
        name, source = context_choice(ctx, query.context)
    else:
        name, source = context_choice(ctx, context)
        query = ReportQuery(name, namespace or None, tuple(results or DEFAULT_RESULTS), policy or None,
                            limit or state.settings.default_limit)
    client = state.require_registry().client(name)
    answer = await anyio.to_thread.run_sync(read_reports, client, query, describe_choice(name, source))
    return respond(answer, render.reports(answer))


#: The tools of this module, each with the toolset that enables it.
TOOLS = (
    ToolSpec(get_policy_reports, "Read in-cluster PolicyReports", CLUSTER, "reports"),
)


__all__ = ["TOOLS", "ReportQuery", "get_policy_reports", "read_reports"]
