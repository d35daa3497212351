"""Toolset ``writes``: the write half of the loop, registered only with ``pykyverno serve --allow-writes`` (or
``PYKYVERNO_ALLOW_WRITES``); without it none of these tools exists.

- ``check_kyverno`` and ``draft_policy_exception`` read only (they come with the write tools because they prepare
  them: is Kyverno there, what would the exception be);
- ``install_policy_set``, ``uninstall_policy_set``, ``create_policy_exception`` and ``publish_reports`` write through
  :class:`~pykyverno.server.writes.WriteFlow`: a call without ``confirm`` is a dry run that answers the plan (objects,
  the server-side-apply diff against the cluster, the API server's dry-run verdict) and a short-lived token; the same
  call with ``confirm=<value>`` executes exactly that plan. When the client supports elicitation (or, in the
  2026-07-28 protocol, input requests), the user is asked in the client before the confirmed plan is executed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, Literal

import anyio
from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from ...kube import KubeClient
from ...policysets import CONFIGURED_SET
from ...scan import ClusterSource, Scanner, ScanReport, ScanRequest
from ...writes import (
    Changeset,
    ExceptionError,
    InstallError,
    ReportError,
    VersionError,
    WriteFlow,
    WriteOutcome,
    WriteRequest,
    install_changeset,
    publish_changeset,
    uninstall_changeset,
)
from ...writes import exceptions as drafts
from ...writes import kyverno as kyverno_status
from ...writes.operations import TargetRef, enforce_denials, fetch_targets, publishable
from ...writes.policysets import CUSTOM_SET
from ..errors import ToolInputError, tool_errors
from ..models import Out
from ..state import AppState, resolve_context, state_of
from .common import CLUSTER, add_tool, respond
from .params import ExcludeNamespaces, KubeContext, Namespaces, PolicySets

#: Writes that may replace or delete objects pykyverno manages (never others), and converge on re-runs.
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True)
#: A write whose re-run changes the cluster again (a new expiry for the exception).
WRITE_AGAIN = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=False,
                              open_world_hint=True)

SetName = Annotated[str, Field(
    description="a bundled policy set, e.g. \"pod-security-baseline\", or \"configured\" for the server's --policy "
    "paths (list_policy_sets)", min_length=1, max_length=100)]
Confirm = Annotated[str | None, Field(
    description="the `confirm` value of the dry-run answer of this same call: executes exactly that plan. Omit it for "
    "the dry run (nothing is written). Only pass it after the user has seen the plan and agreed.", max_length=200)]
PolicyName = Annotated[str, Field(
    description="the policy to except (bundled or from the server's --policy paths), e.g. \"disallow-host-path\"",
    min_length=1, max_length=253)]
Resources = Annotated[list[Annotated[str, Field(min_length=3, max_length=600)]], Field(
    description="the resources to except, each Kind/namespace/name (Kind/name for cluster-scoped ones), e.g. "
    "[\"Deployment/team-b/logger\"]; a Deployment, StatefulSet, DaemonSet, Job or CronJob also covers its Pods",
    min_length=1, max_length=20)]
Reason = Annotated[str, Field(description="why the exception is needed (recorded in the exception)", min_length=1,
                              max_length=1000)]
ExpiresIn = Annotated[str, Field(description="lifetime, e.g. \"7d\", \"12h\", \"1w2d\" (default 7d)",
                                 pattern=r"^(\d+[wdhms])+$", max_length=20)]


class Approve(BaseModel):
    """What the user answers in the client before a confirmed plan runs."""

    approve: bool = Field(description="Write this change to the cluster")


class WriteAnswer(Out):
    """The answer of a write tool: a dry-run plan waiting for confirmation, or what the write did."""

    status: str = Field(description="planned (dry run; call again with confirm), applied, partial, failed, "
                        "unchanged, blocked, declined, token-expired, token-mismatch, token-unknown, plan-changed")
    message: str
    tool: str
    context: str
    confirm: str | None = Field(default=None, description="pass this value as `confirm` to execute the plan")
    expires_at: float | None = None
    confirmed_in_client: bool | None = Field(
        default=None, description="whether the user approved in the client (None: the client was not asked)")
    plan: dict[str, Any] | None = None
    results: list[dict[str, Any]] = Field(default_factory=list)


class KyvernoCheck(Out):
    """What check_kyverno found."""

    context: str
    installed: bool | None
    status: dict[str, Any]


class ExceptionAnswer(Out):
    """A drafted PolicyException (nothing written)."""

    context: str
    yaml: str
    targets: list[str]
    covers: list[str]
    validation: str = ""
    warnings: list[str] = Field(default_factory=list)
    document: dict[str, Any]


# ----------------------------------------------------------------------------- confirmation in the client
def _elicitation_supported(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


async def ask_user(ctx: Context, confirm: str | None = None) -> Elicit[Approve] | None:
    """Resolver: with a valid token and a client that can ask its user, the question "write this?"; else nothing
    (the token alone confirms)."""
    flow = state_of(ctx).writes
    pending = flow.tokens.peek(confirm) if (flow is not None and confirm) else None
    if pending is None or not _elicitation_supported(ctx):
        return None
    return Elicit(f"pykyverno wants to change the cluster: {pending.summary}. Approve this write?", Approve)


Approval = Annotated[ElicitationResult[Approve], Resolve(ask_user)]


def _approved(approval: ElicitationResult[Approve]) -> bool | None:
    """True/False when the user was asked, None when not."""
    if isinstance(approval, AcceptedElicitation):
        return approval.data.approve if isinstance(approval.data, Approve) else None
    return False


# ----------------------------------------------------------------------------- the flow
def _flow(state: AppState) -> WriteFlow:
    if state.writes is None:  # pragma: no cover - the tools are registered only with writes on
        raise ToolInputError("writes are disabled on this server (start it with --allow-writes)")
    return state.writes


def _subject(ctx: Context) -> str:
    connection = getattr(ctx.request_context.session, "_connection", None)
    return str(getattr(connection, "session_id", None) or "")


def _answer(tool: str, context: str, outcome: WriteOutcome, asked: bool | None, *,
            with_changes: bool = True) -> CallToolResult:
    data = outcome.to_dict(with_diff=with_changes)
    if not with_changes:  # reports: the verdict per object, not every result that changed
        for obj in data["plan"]["objects"]:
            obj.pop("changes", None)
        for change in outcome.plan.changes:
            change.diff = ""
    answer = WriteAnswer(status=outcome.status, message=outcome.message, tool=tool, context=context,
                         confirm=outcome.token, expires_at=outcome.expires_at, confirmed_in_client=asked,
                         plan=data["plan"], results=data.get("results", []))
    result = respond(answer, outcome.render())
    result.is_error = not outcome.ok
    return result


async def _write(ctx: Context, tool: str, arguments: dict[str, Any], context: str | None, confirm: str | None,
                 approval: ElicitationResult[Approve], build: Callable[[KubeClient], Changeset], *,
                 with_changes: bool = True) -> CallToolResult:
    """Plan or execute one write tool call."""
    state = state_of(ctx)
    flow = _flow(state)
    name = resolve_context(ctx, context)
    client = state.require_registry().client(name)
    asked = _approved(approval) if confirm else None
    if confirm and asked is False:
        answer = WriteAnswer(status="declined", tool=tool, context=name, confirmed_in_client=False,
                             message="The user declined in the client, so nothing was written. The plan's token "
                                     "stays valid until it expires, should they change their mind.")
        return respond(answer, answer.message)
    request = WriteRequest(tool, {**arguments, "context": name}, subject=_subject(ctx))

    def run() -> WriteOutcome:
        return flow.run(client, request, lambda: _checked(build, client), confirm=confirm)

    outcome = await anyio.to_thread.run_sync(run)
    return _answer(tool, name, outcome, asked, with_changes=with_changes)


def _checked(build: Callable[[KubeClient], Changeset], client: KubeClient) -> Changeset:
    """``build(client)``, its refusals as input errors the agent can act on."""
    try:
        return build(client)
    except (InstallError, ExceptionError, ReportError, VersionError) as exc:
        raise ToolInputError(str(exc)) from None


# ----------------------------------------------------------------------------- tools
@tool_errors("check_kyverno")
async def check_kyverno(ctx: Context, context: KubeContext = None) -> Annotated[CallToolResult, KyvernoCheck]:
    """Check whether Kyverno runs in a cluster: its CRDs and the API versions served, the controllers' images and
    readiness, the webhooks and their failure policies, the report APIs, which pykyverno policy sets are installed
    and in which mode; when Kyverno is absent, the exact Helm and manifest commands for the user to run. Read-only.
    Call it before install_policy_set or publish_reports."""
    state = state_of(ctx)
    name = resolve_context(ctx, context)
    client = state.require_registry().client(name)
    status = await anyio.to_thread.run_sync(kyverno_status.check_kyverno, client)
    return respond(KyvernoCheck(context=name, installed=status.installed, status=status.to_dict()), status.render())


@tool_errors("install_policy_set")
async def install_policy_set(
    ctx: Context,
    approval: Approval,
    set: SetName,
    mode: Annotated[Literal["Audit", "Enforce"], Field(
        description="Audit (default): violations are reported, nothing is denied. Enforce: new violations are "
        "denied; the dry run scans the cluster first and shows how many existing objects would be denied")] = "Audit",
    context: KubeContext = None,
    force: Annotated[bool, Field(description="take over fields another field manager owns (only when the plan "
                                             "showed a conflict and the user agreed)")] = False,
    confirm: Confirm = None,
) -> Annotated[CallToolResult, WriteAnswer]:
    """Install a bundled policy set in a cluster (server-side apply, in the API version the cluster serves,
    labelled app.kubernetes.io/managed-by: pykyverno). Without `confirm` it is a dry run: the answer shows every
    policy with the diff against the cluster and the API server's dry-run verdict, and a `confirm` value; call again
    with the same arguments and confirm=<value> to install exactly that. Policies pykyverno installed earlier that
    left the set are removed; nothing pykyverno did not create is changed or deleted. Use Audit first."""
    state = state_of(ctx)
    scan_timeout = state.settings.scan_timeout

    def build(client: KubeClient) -> Changeset:
        denials = None
        if mode == "Enforce":
            denials = enforce_denials(client, state.policies.load([set]), timeout=scan_timeout,
                                      cancel=threading.Event())
        if set == CONFIGURED_SET:  # the server's --policy paths, installed as the set "custom"
            documents = [dict(d) for d in state.policies.load([CONFIGURED_SET]).sources.values()]
            return install_changeset(client, None, mode=mode, denials=denials, documents=documents)
        return install_changeset(client, set, mode=mode, denials=denials)

    return await _write(ctx, "install_policy_set", {"set": set, "mode": mode, "force": force}, context, confirm,
                        approval, _forced(build, force))


def _forced(build: Callable[[KubeClient], Changeset], force: bool) -> Callable[[KubeClient], Changeset]:
    def forced(client: KubeClient) -> Changeset:
        changeset = build(client)
        changeset.force = force
        return changeset

    return forced


@tool_errors("uninstall_policy_set")
async def uninstall_policy_set(
    ctx: Context,
    approval: Approval,
    set: SetName,
    context: KubeContext = None,
    confirm: Confirm = None,
) -> Annotated[CallToolResult, WriteAnswer]:
    """Remove from a cluster the policies of a set that pykyverno installed (found by their labels; nothing else is
    deleted). Without `confirm` it is a dry run listing what would be deleted, with a `confirm` value; call again with
    confirm=<value> to delete exactly that."""
    installed_as = CUSTOM_SET if set == CONFIGURED_SET else set
    return await _write(ctx, "uninstall_policy_set", {"set": set}, context, confirm, approval,
                        lambda client: uninstall_changeset(client, installed_as))


def _draft(state: AppState, client: KubeClient, policy: str, resources: list[str], reason: str,
           expires_in: str) -> drafts.ExceptionDraft:
    document = state.policies.policy(policy).document  # bundled, or from the server's --policy paths
    refs = [TargetRef.parse(r) for r in resources]
    targets, others = fetch_targets(client, refs)
    try:
        return drafts.draft_policy_exception(document, targets, reason=reason, expires_in=expires_in, others=others)
    except ExceptionError as exc:
        raise ToolInputError(str(exc)) from None


@tool_errors("draft_policy_exception")
async def draft_policy_exception(
    ctx: Context,
    policy: PolicyName,
    resources: Resources,
    reason: Reason,
    expires_in: ExpiresIn = "7d",
    context: KubeContext = None,
) -> Annotated[CallToolResult, ExceptionAnswer]:
    """Draft a PolicyException for resources that fail a policy, scoped as narrowly as possible (the policy, the
    named resources and what they create, nothing else) with an expiry, checked with the engine (every target is
    skipped, no other object changes result). Returns the YAML; nothing is written. To apply it, call
    create_policy_exception with the same arguments."""
    state = state_of(ctx)
    name = resolve_context(ctx, context)
    client = state.require_registry().client(name)
    draft = await anyio.to_thread.run_sync(_draft, state, client, policy, resources, reason, expires_in)
    answer = ExceptionAnswer(context=name, yaml=draft.yaml, targets=draft.targets, covers=draft.covers,
                             validation=draft.validation, warnings=draft.warnings, document=draft.document)
    text = "\n".join([f"PolicyException draft (nothing written) covering: {', '.join(draft.covers)}",
                      *(f"warning: {w}" for w in draft.warnings), "```yaml", draft.yaml.rstrip(), "```"])
    return respond(answer, text)


@tool_errors("create_policy_exception")
async def create_policy_exception(
    ctx: Context,
    approval: Approval,
    policy: PolicyName,
    resources: Resources,
    reason: Reason,
    expires_in: ExpiresIn = "7d",
    context: KubeContext = None,
    confirm: Confirm = None,
) -> Annotated[CallToolResult, WriteAnswer]:
    """Create in the cluster the PolicyException draft_policy_exception drafts for these arguments (labelled
    app.kubernetes.io/managed-by: pykyverno). Without `confirm` it is a dry run with the plan and a `confirm` value;
    call again with the same arguments and confirm=<value> to create exactly that exception."""
    state = state_of(ctx)
    arguments = {"policy": policy, "resources": resources, "reason": reason, "expires_in": expires_in}
    return await _write(ctx, "create_policy_exception", arguments, context, confirm, approval,
                        lambda client: _draft(state, client, policy, resources, reason, expires_in).changeset())


@tool_errors("publish_reports")
async def publish_reports(
    ctx: Context,
    approval: Approval,
    context: KubeContext = None,
    namespaces: Namespaces = None,
    exclude_namespaces: ExcludeNamespaces = None,
    sets: PolicySets = None,
    confirm: Confirm = None,
) -> Annotated[CallToolResult, WriteAnswer]:
    """Scan a cluster (or some namespaces) and write the results as PolicyReports / ClusterPolicyReports
    (openreports.io when the cluster serves it, else wgpolicyk8s.io), so Policy Reporter and Kyverno's UI show them;
    get_policy_reports reads them back. Without `confirm` it is a dry run: the scan runs and the answer lists the
    reports to write and the API server's verdict, with a `confirm` value; call again with confirm=<value> to write
    exactly those reports. An incomplete scan is never published. Reports pykyverno published earlier for the
    scanned scope that have no results any more are deleted; reports of others are never touched."""
    state = state_of(ctx)
    chosen = list(sets or state.policies.default_sets())
    state.policies.check_sets(chosen)
    policies = await anyio.to_thread.run_sync(state.policies.load, chosen)
    request = ScanRequest(namespaces=tuple(namespaces or ()), exclude_namespaces=tuple(exclude_namespaces or ()),
                          include_cluster_scoped=not namespaces, policy_sets=tuple(chosen),
                          timeout=state.settings.scan_timeout)

    def build(client: KubeClient) -> Changeset:
        scanner = Scanner(policies.policies, policies.exceptions)
        scan = scanner.scan_source(ClusterSource(client), request, cancel=threading.Event())
        problems = publishable(ScanReport(clusters=[scan]))
        if problems:
            raise ToolInputError("the scan was incomplete, so nothing is published (a report would show what was not "
                                 f"scanned as clean): {'; '.join(problems[:5])}")
        return publish_changeset(client, scan.results, namespaces=list(namespaces) if namespaces else None,
                                 include_cluster=not namespaces, exclude=list(exclude_namespaces or ()))

    arguments = {"namespaces": namespaces, "exclude_namespaces": exclude_namespaces, "sets": chosen}
    return await _write(ctx, "publish_reports", arguments, context, confirm, approval, build, with_changes=False)


def register(server: MCPServer[Any]) -> None:
    """Register the toolset (only called when writes are enabled)."""
    add_tool(server, check_kyverno, "Check Kyverno in a cluster", CLUSTER)
    add_tool(server, draft_policy_exception, "Draft a PolicyException", CLUSTER)
    add_tool(server, install_policy_set, "Install a policy set (dry run first)", WRITE)
    add_tool(server, uninstall_policy_set, "Uninstall a policy set (dry run first)", WRITE)
    add_tool(server, create_policy_exception, "Create a PolicyException (dry run first)", WRITE_AGAIN)
    add_tool(server, publish_reports, "Publish scan results as PolicyReports (dry run first)", WRITE)


__all__ = ["WRITE", "WRITE_AGAIN", "register"]
