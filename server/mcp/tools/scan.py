"""Toolset ``scan``: compliance scans of a namespace or of whole clusters, paged to fit an agent's context.

Scans run in a worker thread (``anyio.to_thread.run_sync``); progress goes to the client as progress
notifications; a cancelled request sets the scanner's cancel event so the thread stops at the next object.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import queue
import threading
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult
from pydantic import Field

from pykyverno.engine.documents import Document, expand_lists, parse_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.objects import normalize_manifest
from pykyverno.engine.results import RESULTS, RuleResult

from ...kube.errors import Forbidden, NotFound
from ...scan import Scanner, ScanReport, ScanRequest, SnapshotSource, SourceFactory, source_factories
from .. import render
from ..app import AppState, resolve_context, state_of
from ..errors import ToolInputError, tool_errors
from ..models import ClusterRow, Finding, NamespaceRow, NotScanned, PolicyRow, ResourceRef, ScanResult
from . import CLUSTER, LOCAL, add_tool, respond
from .params import (
    Cursor,
    ExcludeNamespaces,
    IncludePassing,
    KubeContext,
    KubeContexts,
    Limit,
    Namespace,
    Namespaces,
    PolicySets,
)

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4, "": 5}
RESULT_ORDER = {"fail": 0, "error": 1, "warn": 2, "pass": 3, "skip": 4}
PROGRESS_INTERVAL = 0.2
MAX_MESSAGE = 500


# ----------------------------------------------------------------------------- running
async def run_scan(
    ctx: Context,
    state: AppState,
    request: ScanRequest,
    policy_sets: list[str],
    sources: list[SourceFactory] | None = None,
) -> ScanReport:
    """Run a scan in a worker thread with progress notifications; cancellation stops the scanner."""
    if sources is None:
        sources = source_factories(request, state.require_registry())
    if request.timeout is None:
        request = dataclasses.replace(request, timeout=state.settings.scan_timeout)
    policies = await anyio.to_thread.run_sync(state.policies.load, policy_sets)
    scanner = Scanner(policies.policies, policies.exceptions)
    if not scanner.policies:
        raise ToolInputError(
            f"the policy sets {', '.join(policy_sets)} contain no policy a scan evaluates (only validating policies "
            "with background evaluation are scanned); choose other sets with list_policy_sets")
    cancel = threading.Event()
    updates: queue.SimpleQueue[tuple[float, float, str]] = queue.SimpleQueue()
    finished = anyio.Event()
    result: list[ScanReport] = []

    def work() -> None:
        result.append(scanner.scan(sources, request, progress=lambda d, t, m: updates.put((d, t, m)), cancel=cancel))

    async def pump() -> None:
        # The scanner reports clusters done and objects evaluated on different scales; the client gets a
        # percentage that only grows, at most every PROGRESS_INTERVAL seconds.
        sent = 0.0
        await ctx.report_progress(0.0, 100.0, f"scanning {len(sources)} context(s)")
        while True:
            with anyio.move_on_after(PROGRESS_INTERVAL):
                await finished.wait()
            latest = None
            while not updates.empty():
                done, total, message = updates.get_nowait()
                percent = round(100.0 * done / total, 1) if total else 0.0
                if percent > sent:
                    sent, latest = percent, (percent, message)
            if latest is not None:
                await ctx.report_progress(latest[0], 100.0, latest[1])
            if finished.is_set():
                return

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(pump)
            try:
                await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
            finally:
                finished.set()
    finally:
        cancel.set()  # a cancelled request (or any failure) stops the worker at its next check
    report = result[0]
    report.policy_issues = [str(i) for i in policies.issues]
    return report


def check_namespace(state: AppState, context: str, namespace: str) -> None:
    """:class:`ToolInputError` when ``namespace`` does not exist (listing a few that do); RBAC denial is ignored."""
    client = state.require_registry().client(context)
    try:
        client.get("", "v1", "namespaces", namespace)
    except Forbidden:
        return
    except NotFound:
        try:
            names = sorted(str((o.get("metadata") or {}).get("name")) for o in client.list("", "v1", "namespaces"))
        except Forbidden:
            names = []
        listed = f" Namespaces in this context: {', '.join(names[:40])}" + (" …" if len(names) > 40 else "") + "." \
            if names else ""
        raise ToolInputError(f"namespace {namespace!r} does not exist in context {context!r}.{listed} "
                             "Pick one of them, or use scan_cluster to scan every namespace.") from None


# ----------------------------------------------------------------------------- paging
def encode_cursor(scan_id: str, offset: int, include_passing: bool) -> str:
    """An opaque cursor."""
    raw = json.dumps({"s": scan_id, "o": offset, "p": include_passing}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int, bool]:
    """(scan id, offset, include passing); :class:`ToolInputError` for anything that is not our cursor."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(data["s"]), int(data["o"]), bool(data["p"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ToolInputError("invalid cursor: pass the nextCursor value of a previous answer unchanged, or run the "
                             "scan again without cursor") from None


def _ref(r: RuleResult) -> ResourceRef:
    res = r.resource
    return ResourceRef(api_version=res.api_version, kind=res.kind, namespace=res.namespace, name=res.name)


def ordered_results(report: ScanReport, include_passing: bool) -> list[tuple[str, RuleResult]]:
    """(context, result) pairs: failures first, most severe first, then stable by context/namespace/policy/name."""
    pairs = [(c.context, r) for c in report.clusters for r in c.results
             if include_passing or r.result in ("fail", "warn", "error")]
    pairs.sort(key=lambda p: (RESULT_ORDER.get(p[1].result, 9), SEVERITY_ORDER.get(p[1].severity, 5), p[0],
                              p[1].resource.namespace, p[1].policy, p[1].resource.kind, p[1].resource.name))
    return pairs


def build_result(report: ScanReport, scan_id: str, policy_sets: list[str], offset: int, limit: int,
                 include_passing: bool) -> ScanResult:
    """The structured answer for one page of a scan."""
    clusters = [ClusterRow(context=c.context, server=c.server, objects=c.objects, counts=c.summary(), error=c.error)
                for c in report.clusters]
    namespaces = [
        NamespaceRow(context=c.context, namespace=ns, counts={k: int(row[k]) for k in RESULTS},
                     fail_by_severity={k: v for k, v in row["failBySeverity"].items() if v})
        for c in report.clusters for ns, row in c.by_namespace().items()
    ]
    by_policy = [PolicyRow(policy=name, severity=severity, category=category,
                           counts={k: counts.get(k, 0) for k in RESULTS})
                 for name, (severity, category, counts) in report.by_policy().items()]
    by_policy.sort(key=lambda p: (-(p.counts["fail"] + p.counts["warn"] + p.counts["error"]),
                                  SEVERITY_ORDER.get(p.severity, 5), p.policy))
    not_scanned = [NotScanned(context=f.context, resource=f.resource, namespace=f.namespace, reason=f.reason,
                              message=f.message) for c in report.clusters for f in c.failures]
    pairs = ordered_results(report, include_passing)
    page = pairs[offset:offset + limit]
    findings = [Finding(context=ctx_name, policy=r.policy, result=r.result, severity=r.severity, category=r.category,
                        resource=_ref(r), message=r.message[:MAX_MESSAGE], validation_index=r.validation_index)
                for ctx_name, r in page]
    end = offset + len(page)
    return ScanResult(
        scan_id=scan_id, policy_sets=policy_sets, policies=len(report.policies), totals=report.summary(),
        clusters=clusters, namespaces=namespaces, by_policy=by_policy, not_scanned=not_scanned, results=findings,
        offset=offset, total_results=len(pairs),
        next_cursor=encode_cursor(scan_id, end, include_passing) if end < len(pairs) else None,
        cancelled=report.cancelled, policy_issues=report.policy_issues[:20], incomplete=report.incomplete,
    )


def _page_from_cursor(state: AppState, tool: str, cursor: str, limit: int | None) -> ScanResult:
    scan_id, offset, include_passing = decode_cursor(cursor)
    report, sets = state.scans.get(scan_id, tool, include_passing=include_passing)
    return build_result(report, scan_id, sets, max(0, offset), limit or state.settings.default_limit, include_passing)


async def _scan_and_page(ctx: Context, state: AppState, tool: str, request: ScanRequest, policy_sets: list[str] | None,
                         limit: int | None, include_passing: bool,
                         sources: list[SourceFactory] | None = None) -> ScanResult:
    sets = state.policies.check_sets(list(policy_sets or state.policies.default_sets()))
    report = await run_scan(ctx, state, request, sets, sources)
    scan_id = state.scans.put(tool, report, sets)
    return build_result(report, scan_id, sets, 0, limit or state.settings.default_limit, include_passing)


# ----------------------------------------------------------------------------- tools
@tool_errors("scan_namespace")
async def scan_namespace(
    ctx: Context,
    namespace: Namespace,
    context: KubeContext = None,
    policy_sets: PolicySets = None,
    limit: Limit = None,
    cursor: Cursor = None,
    include_passing: IncludePassing = False,
) -> Annotated[CallToolResult, ScanResult]:
    """Scan every resource of one namespace in a live cluster against policy sets (pod security, best practices,
    RBAC...) and return a compliance summary: counts per policy and severity, and the most severe failing
    resources first. Use it to audit a namespace or check a workload after a change; then call explain_violation
    on a finding. Large results are paged: `limit` findings per answer, `cursor` for the next page (no rescan)."""
    state = state_of(ctx)
    if cursor:
        answer = _page_from_cursor(state, "scan_namespace", cursor, limit)
    else:
        name = resolve_context(ctx, context)
        await anyio.to_thread.run_sync(check_namespace, state, name, namespace)
        request = ScanRequest(contexts=(name,), namespaces=(namespace,), include_cluster_scoped=False)
        answer = await _scan_and_page(ctx, state, "scan_namespace", request, policy_sets, limit, include_passing)
    return respond(answer, render.scan(answer, "scan_namespace"))


@tool_errors("scan_cluster")
async def scan_cluster(
    ctx: Context,
    contexts: KubeContexts = None,
    all_contexts: Annotated[bool, Field(description="scan every context the server may use")] = False,
    namespaces: Namespaces = None,
    exclude_namespaces: ExcludeNamespaces = None,
    include_cluster_scoped: Annotated[
        bool, Field(description="also check cluster-scoped objects (Namespaces, ClusterRoles...)")
    ] = True,
    policy_sets: PolicySets = None,
    limit: Limit = None,
    cursor: Cursor = None,
    include_passing: IncludePassing = False,
) -> Annotated[CallToolResult, ScanResult]:
    """Scan whole clusters (one, several, or every context) against policy sets and return a compliance summary per
    context and namespace, counts per policy, and the most severe findings first. Use it for a cluster-wide or
    multi-cluster audit; prefer scan_namespace when the user cares about one namespace. An unreachable context is
    reported and the others are still scanned. Paged like scan_namespace (`limit`, `cursor`)."""
    state = state_of(ctx)
    if cursor:
        answer = _page_from_cursor(state, "scan_cluster", cursor, limit)
    else:
        registry = state.require_registry()
        if all_contexts:
            names = registry.available()
        elif contexts:
            names = [registry.resolve(c) for c in dict.fromkeys(contexts)]
        else:
            names = [resolve_context(ctx, None)]
        request = ScanRequest(contexts=tuple(names), namespaces=tuple(namespaces or ()),
                              exclude_namespaces=tuple(exclude_namespaces or ()),
                              include_cluster_scoped=include_cluster_scoped)
        answer = await _scan_and_page(ctx, state, "scan_cluster", request, policy_sets, limit, include_passing)
    return respond(answer, render.scan(answer, "scan_cluster"))


@tool_errors("scan_manifests")
async def scan_manifests(
    ctx: Context,
    manifests_yaml: Annotated[
        str,
        Field(description="Kubernetes manifests as YAML: several documents, a `kind: List`, or `kubectl get -o yaml` "
                          "output"),
    ],
    policy_sets: PolicySets = None,
    limit: Limit = None,
    cursor: Cursor = None,
    include_passing: IncludePassing = False,
) -> Annotated[CallToolResult, ScanResult]:
    """Scan Kubernetes manifests (files the user is writing, Helm or kustomize output, a `kubectl get -o yaml` dump)
    against policy sets without any cluster, and return the same compliance summary as scan_namespace. Use it in an
    editor or CI before anything is applied; manifests without a namespace count as being in `default`, as
    `kubectl apply` would put them. Paged like scan_namespace (`limit`, `cursor`)."""
    state = state_of(ctx)
    if cursor:
        answer = _page_from_cursor(state, "scan_manifests", cursor, limit)
    else:
        objects = [normalize_manifest(doc.data) for doc in manifest_documents(manifests_yaml, "manifests_yaml")]
        if not objects:
            raise ToolInputError("manifests_yaml holds no Kubernetes object; pass the YAML of the manifests to scan")
        source = SnapshotSource("manifests", objects=objects)
        if source.problems:
            raise ToolInputError(f"manifests_yaml: {'; '.join(source.problems[:5])}. Fix these documents.")
        request = ScanRequest(snapshot="manifests")
        answer = await _scan_and_page(ctx, state, "scan_manifests", request, policy_sets, limit, include_passing,
                                      [(source.name, lambda: source)])
    return respond(answer, render.scan(answer, "scan_manifests"))


def manifest_documents(text: str, what: str) -> list[Document]:
    """Parsed documents of YAML an agent passed; :class:`ToolInputError` naming the line on bad YAML."""
    try:
        return list(expand_lists(parse_documents(text, what, positions=False)))
    except LoadError as exc:
        raise ToolInputError(f"{what} is not valid YAML: {exc}. Fix the YAML and call again.") from None


def register(server: MCPServer[Any]) -> None:
    """Register the toolset."""
    add_tool(server, scan_namespace, "Scan a namespace", CLUSTER)
    add_tool(server, scan_cluster, "Scan clusters", CLUSTER)
    add_tool(server, scan_manifests, "Scan manifests", LOCAL)


__all__ = ["build_result", "decode_cursor", "encode_cursor", "manifest_documents", "register", "run_scan",
           "scan_cluster", "scan_manifests", "scan_namespace"]
