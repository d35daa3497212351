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
from typing import Annotated

import anyio
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, ResourceLink
from pydantic import Field

from pykyverno.engine.results import RESULTS, RuleResult

from ...core.manifests import yaml_objects
from ...core.names import require_known
from ...core.namespaces import missing_namespaces, require_cluster_namespaces
from ...kube.errors import KubeError
from ...output import RESULT_ORDER, SEVERITY_ORDER
from ...scan import Scanner, ScanReport, ScanRequest, SnapshotSource, SourceFactory, source_factories
from .. import render
from ..apps import APP_META
from ..errors import ToolInputError, tool_errors
from ..models import ClusterRow, Finding, NamespaceRow, NotScanned, PolicyRow, ResourceRef, ScanResult
from ..state import AppState, context_choice, describe_choice, known_context, state_of
from .common import CLUSTER, LOCAL, ToolSpec, respond
from .params import (
    Cursor,
    ExcludeNamespaces,
    IncludePassing,
    KubeContext,
    KubeContexts,
    Limit,
    Namespace,
    Namespaces,
    OptionalYaml,
    PolicySets,
)

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


def check_namespaces(state: AppState, contexts: list[str], namespaces: list[str]) -> list[str]:
    """Check that each of ``namespaces`` exists; notes for those missing from some contexts only.

    A namespace missing from every context that answered is an :class:`UnknownNameError` (with the closest names);
    a context that cannot be reached or may not read namespaces is left to the scan, which reports it.
    """
    if not namespaces:
        return []
    registry = state.require_registry()
    clients = []
    for context in contexts:
        try:
            clients.append(registry.client(context))
        except KubeError:
            continue  # an unusable context: the scan reports it
    absent = require_cluster_namespaces(clients, namespaces)
    return [f"namespace `{n}` does not exist in context(s) {', '.join(f'`{c}`' for c in where)}"
            for n, where in absent.items()]


def check_excluded_namespaces(state: AppState, contexts: list[str], excluded: list[str]) -> list[str]:
    """Notes for the ``exclude_namespaces`` that no answering context has: excluding them excludes nothing, which
    is worth saying (a typo would leave the namespace meant scanned) but is not an error."""
    if not excluded:
        return []
    registry = state.require_registry()
    answers = []
    for context in contexts:
        try:
            missing = missing_namespaces(registry.client(context), excluded)
        except KubeError:
            continue  # an unusable context: the scan reports it
        if missing is not None:
            answers.append(set(missing))
    if not answers:
        return []
    return [f"excluded namespace `{n}` does not exist in the scanned context(s): it excludes nothing"
            for n in excluded if all(n in missing for missing in answers)]


# ----------------------------------------------------------------------------- paging
@dataclasses.dataclass(frozen=True)
class Page:
    """Where a page starts in a kept scan, and how long it is (a cursor keeps the caller's ``limit``)."""

    scan_id: str
    offset: int
    include_passing: bool
    limit: int


def encode_cursor(page: Page) -> str:
    """An opaque cursor."""
    raw = json.dumps({"s": page.scan_id, "o": page.offset, "p": page.include_passing, "l": page.limit},
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, default_limit: int) -> Page:
    """The page a cursor points at; :class:`ToolInputError` for anything that is not our cursor."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return Page(str(data["s"]), max(0, int(data["o"])), bool(data["p"]), int(data.get("l") or default_limit))
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
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


def scan_scope(report: ScanReport, choice: str = "") -> str:
    """What a scan covered, in words: contexts (``choice`` says how a single one was chosen) and namespaces."""
    request = report.request or ScanRequest()
    if request.snapshot:
        return "manifests (no cluster)"
    names = [c.context for c in report.clusters] or list(request.contexts)
    where = choice if choice and len(names) == 1 else \
        ("context " if len(names) == 1 else "contexts ") + ", ".join(f"`{n}`" for n in names)
    if request.namespaces:
        spaces = ("namespace " if len(request.namespaces) == 1 else "namespaces ") + \
            ", ".join(f"`{n}`" for n in request.namespaces)
    else:
        spaces = "every namespace"
        if request.exclude_namespaces:
            spaces += " except " + ", ".join(f"`{n}`" for n in request.exclude_namespaces)
    if request.include_cluster_scoped:
        spaces += " and cluster-scoped objects"
    return f"{where}; {spaces}"


def build_result(report: ScanReport, page: Page, policy_sets: list[str], scope: str,
                 notes: list[str] | None = None, kept: bool = True) -> ScanResult:
    """The structured answer for one page of a scan. The summary tables come with the first page only: later pages
    carry the totals and their findings (page 2 never repeats page 1). ``kept``: whether the server keeps the scan
    (for paging and its report resource)."""
    first = page.offset == 0
    clusters = [ClusterRow(context=c.context, server=c.server, objects=c.objects, counts=c.summary(), error=c.error)
                for c in report.clusters]
    namespaces = [
        NamespaceRow(context=c.context, namespace=ns, counts={k: int(row[k]) for k in RESULTS},
                     fail_by_severity={k: v for k, v in row["failBySeverity"].items() if v})
        for c in report.clusters for ns, row in c.by_namespace().items()
    ] if first else []
    by_policy = [PolicyRow(policy=name, severity=severity, category=category,
                           counts={k: counts.get(k, 0) for k in RESULTS})
                 for name, (severity, category, counts) in report.by_policy().items()] if first else []
    by_policy.sort(key=lambda p: (-(p.counts["fail"] + p.counts["warn"] + p.counts["error"]),
                                  SEVERITY_ORDER.get(p.severity, 5), p.policy))
    not_scanned = [NotScanned(context=f.context, resource=f.resource, namespace=f.namespace, reason=f.reason,
                              message=f.message) for c in report.clusters for f in c.failures] if first else []
    pairs = ordered_results(report, page.include_passing)
    chunk = pairs[page.offset:page.offset + page.limit]
    findings = [Finding(context=ctx_name, policy=r.policy, result=r.result, severity=r.severity, category=r.category,
                        resource=_ref(r), message=r.message[:MAX_MESSAGE], validation_index=r.validation_index)
                for ctx_name, r in chunk]
    end = page.offset + len(chunk)
    after = dataclasses.replace(page, offset=end)
    reasons = incomplete_reasons(report, first)
    return ScanResult(
        scan_id=page.scan_id, scope=scope, policy_sets=policy_sets, policies=len(report.policies),
        totals=report.summary(), clusters=clusters, namespaces=namespaces, by_policy=by_policy,
        not_scanned=not_scanned, results=findings, offset=page.offset, limit=page.limit, total_results=len(pairs),
        left_out=len(pairs) - end, next_cursor=encode_cursor(after) if end < len(pairs) else None,
        cancelled=report.cancelled, policy_issues=report.policy_issues,
        incomplete=bool(reasons), incomplete_reasons=reasons, summary_tables=first, notes=notes or [],
        report_uri=report_uri(page.scan_id) if kept else "",
    )


def incomplete_reasons(report: ScanReport, first_page: bool) -> list[str]:
    """Why the scan's counts do not cover everything asked for (empty when they do)."""
    reasons = []
    if report.incomplete:
        where = "Not scanned" if first_page else "the first page's Not scanned table"
        reasons.append(f"some resources were not scanned ({'the scan was cancelled; ' if report.cancelled else ''}"
                       f"see {where})")
    if report.policy_issues:
        reasons.append(f"{len(report.policy_issues)} policy problem(s): policies that did not load were not "
                       "evaluated (see Policy problems / policyIssues)")
    return reasons


def report_uri(scan_id: str) -> str:
    """The resource URI of a kept scan's HTML report."""
    return f"pykyverno://reports/{scan_id}"


def report_links(answer: ScanResult) -> list[ResourceLink]:
    """The resource link to a scan's HTML report (what an agent hands the user); none when the scan was too large
    to keep."""
    if not answer.report_uri:
        return []
    return [ResourceLink(type="resource_link", uri=answer.report_uri, name=f"posture-report-{answer.scan_id}",
                         title=f"Posture report of scan {answer.scan_id}", mime_type="text/html",
                         description=f"Self-contained HTML security posture report of {answer.scope}")]


def _page_from_cursor(state: AppState, tool: str, cursor: str, limit: int | None) -> ScanResult:
    page = decode_cursor(cursor, state.settings.default_limit)
    if limit:
        page = dataclasses.replace(page, limit=limit)
    report, sets = state.scans.get(page.scan_id, tool, include_passing=page.include_passing)
    return build_result(report, page, sets, scan_scope(report))


async def _scan_and_page(ctx: Context, state: AppState, tool: str, request: ScanRequest, policy_sets: list[str] | None,
                         limit: int | None, include_passing: bool, *, choice: str = "",
                         notes: list[str] | None = None,
                         sources: list[SourceFactory] | None = None) -> ScanResult:
    known_sets = state.policies.set_names()
    for name in policy_sets or ():
        require_known("policy set", name, known_sets)
    sets = state.policies.check_sets(list(policy_sets or state.policies.default_sets()))
    report = await run_scan(ctx, state, request, sets, sources)
    scan_id = state.scans.put(tool, report, sets)
    page = Page(scan_id, 0, include_passing, limit or state.settings.default_limit)
    return build_result(report, page, sets, scan_scope(report, choice), notes, state.scans.report(scan_id) is not None)


# ----------------------------------------------------------------------------- tools
@tool_errors("scan_namespace")
async def scan_namespace(
    ctx: Context,
    namespace: Namespace,
    context: KubeContext = "",
    policy_sets: PolicySets = None,
    limit: Limit = None,
    cursor: Cursor = "",
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
        name, source = context_choice(ctx, context)
        await anyio.to_thread.run_sync(check_namespaces, state, [name], [namespace])
        request = ScanRequest(contexts=(name,), namespaces=(namespace,), include_cluster_scoped=False)
        answer = await _scan_and_page(ctx, state, "scan_namespace", request, policy_sets, limit, include_passing,
                                      choice=describe_choice(name, source))
    return respond(answer, render.scan(answer, "scan_namespace"), *report_links(answer))


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
    cursor: Cursor = "",
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
        choice = ""
        if all_contexts:
            names = registry.available()
        elif contexts:
            names = [known_context(registry, c) for c in dict.fromkeys(contexts)]
        else:
            name, source = context_choice(ctx, None)
            names, choice = [name], describe_choice(name, source)
        notes = await anyio.to_thread.run_sync(check_namespaces, state, names, list(namespaces or ()))
        notes += await anyio.to_thread.run_sync(check_excluded_namespaces, state, names,
                                                list(dict.fromkeys(exclude_namespaces or ())))
        request = ScanRequest(contexts=tuple(names), namespaces=tuple(namespaces or ()),
                              exclude_namespaces=tuple(exclude_namespaces or ()),
                              include_cluster_scoped=include_cluster_scoped)
        answer = await _scan_and_page(ctx, state, "scan_cluster", request, policy_sets, limit, include_passing,
                                      choice=choice, notes=notes)
    return respond(answer, render.scan(answer, "scan_cluster"), *report_links(answer))


@tool_errors("scan_manifests")
async def scan_manifests(
    ctx: Context,
    manifests_yaml: OptionalYaml = "",
    policy_sets: PolicySets = None,
    limit: Limit = None,
    cursor: Cursor = "",
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
        if not manifests_yaml:
            raise ToolInputError("pass manifests_yaml (the YAML to scan), or `cursor` to page through a previous scan")
        objects = yaml_objects(manifests_yaml, "manifests_yaml")
        if not objects:
            raise ToolInputError("manifests_yaml holds no Kubernetes object; pass the YAML of the manifests to scan")
        source = SnapshotSource("manifests", objects=objects)
        if source.problems:
            raise ToolInputError(f"manifests_yaml: {'; '.join(source.problems[:5])}. Fix these documents.")
        request = ScanRequest(snapshot="manifests")
        answer = await _scan_and_page(ctx, state, "scan_manifests", request, policy_sets, limit, include_passing,
                                      sources=[(source.name, lambda: source)])
    return respond(answer, render.scan(answer, "scan_manifests"), *report_links(answer))


#: The tools of this module, each with the toolset that enables it.
TOOLS = (
    ToolSpec(scan_namespace, "Scan a namespace", CLUSTER, "scan", APP_META),
    ToolSpec(scan_cluster, "Scan clusters", CLUSTER, "scan", APP_META),
    ToolSpec(scan_manifests, "Scan manifests", LOCAL, "manifests", APP_META),
)


__all__ = [
    "TOOLS",
    "build_result",
    "decode_cursor",
    "encode_cursor",
    "run_scan",
    "scan_cluster",
    "scan_manifests",
    "scan_namespace",
]
