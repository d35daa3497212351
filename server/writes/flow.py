"""The dry-run / confirm flow every write goes through.

1. The tool builds a :class:`Changeset` (objects to server-side apply, objects to delete, notes for the user).
2. :meth:`WriteFlow.plan` asks the API server: each object is read, then applied (or deleted) with ``dryRun=All``;
   the answer becomes a :class:`~.model.PlannedChange` with the diff against the live object and the verdict
   (a 403 is ``denied``, a field-manager conflict ``conflict``, a schema or validation error ``invalid``).
3. :meth:`WriteFlow.run` without a token answers the plan and a confirmation token (status ``planned``); nothing is
   written. The same call with the token dry-runs the same change set again and, when the plan is unchanged,
   executes it (``applied``). A plan with nothing to do is ``unchanged`` (re-runs are idempotent), a plan with a
   refused object is ``blocked`` and cannot be confirmed.

Safety rules enforced here, whatever the tool asks: every applied object gets ``app.kubernetes.io/managed-by:
pykyverno``; an existing object without that label is neither changed nor deleted (``refused``); a deletion carries
the uid the plan saw, so an object replaced in between is not deleted.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..kube import APIResourceInfo, Discovery, KubeClient
from ..kube.errors import ApiError, ClusterError, Forbidden, NotFound
from ..kube.writes import DEFAULT_FIELD_MANAGER, ApplyConflict, WriteClient
from .diff import comparable, field_changes, unified_diff
from .model import (
    MANAGED_BY,
    MANAGED_BY_LABEL,
    Action,
    ObjectRef,
    ObjectResult,
    Outcome,
    Plan,
    PlannedChange,
    Status,
    Verdict,
    WriteOutcome,
    is_managed,
)
from .tokens import ConfirmationTokens, PendingWrite


@dataclass
class Changeset:
    """What a write tool wants: objects to apply, objects to delete, notes shown with the plan."""

    apply: list[dict[str, Any]] = field(default_factory=list)
    delete: list[ObjectRef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Take fields other field managers own (server-side apply ``force``); only when the user asked for it.
    force: bool = False


@dataclass(frozen=True)
class WriteRequest:
    """One call of a write tool: where, which tool, with which arguments, by whom (an MCP session id)."""

    tool: str
    arguments: Mapping[str, Any]
    subject: str = ""


def mark_managed(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` labelled ``app.kubernetes.io/managed-by: pykyverno``."""
    out = copy.deepcopy(dict(obj))
    meta = out.setdefault("metadata", {})
    labels = meta.get("labels") or {}
    meta["labels"] = {**labels, MANAGED_BY_LABEL: MANAGED_BY}
    return out


def resolve(discovery: Discovery, ref: ObjectRef) -> APIResourceInfo | None:
    """The served resource of ``ref``'s apiVersion and kind, or None."""
    group, _, version = ref.api_version.rpartition("/")
    return discovery.by_kind(group, ref.kind, version)


_UNMANAGED = ("exists and was not created by pykyverno (it lacks the label app.kubernetes.io/managed-by: "
              "pykyverno); pykyverno neither changes nor deletes objects it did not create")


class WriteFlow:
    """Plans, confirms and executes writes. One instance per server process (it holds the pending tokens)."""

    def __init__(self, tokens: ConfirmationTokens | None = None, field_manager: str = DEFAULT_FIELD_MANAGER) -> None:
        self.tokens = tokens or ConfirmationTokens()
        self.field_manager = field_manager

    # ------------------------------------------------------------------ planning
    def plan(self, client: KubeClient, tool: str, changeset: Changeset) -> Plan:
        """Dry-run every object of ``changeset`` against the cluster (nothing is written)."""
        writer = WriteClient(client, self.field_manager)
        discovery = client.discover()
        plan = Plan(client.context, tool, notes=list(changeset.notes))
        for obj in changeset.apply:
            plan.changes.append(self._plan_apply(writer, discovery, mark_managed(obj), changeset.force))
        for ref in changeset.delete:
            plan.changes.append(self._plan_delete(writer, discovery, ref))
        return plan

    @staticmethod
    def _read(client: KubeClient, res: APIResourceInfo, ref: ObjectRef) -> dict[str, Any] | None:
        namespace = ref.namespace if res.namespaced else None
        try:
            return client.get(res.group, res.version, res.resource, ref.name, namespace=namespace)
        except NotFound:
            return None

    def _plan_apply(self, writer: WriteClient, discovery: Discovery, obj: dict[str, Any],
                    force: bool) -> PlannedChange:
        ref = ObjectRef.of(obj)
        res = resolve(discovery, ref)
        if res is None:
            return PlannedChange(ref, "create", "invalid", f"context {writer.context!r} does not serve "
                                 f"{ref.api_version} {ref.kind}", desired=obj)
        if res.namespaced and not ref.namespace:
            return PlannedChange(ref, "create", "invalid", f"{ref.kind} is namespaced: metadata.namespace is "
                                 "required", desired=obj)
        try:
            live = self._read(writer.client, res, ref)
        except Forbidden as exc:
            return PlannedChange(ref, "create", "denied", exc.message, desired=obj)
        except ClusterError as exc:
            return PlannedChange(ref, "create", "error", exc.message, desired=obj)
        action: Action = "create" if live is None else "update"
        if live is not None and not is_managed(live):
            return PlannedChange(ref, "update", "refused", f"{ref} {_UNMANAGED}", desired=obj)
        try:
            answer = writer.apply(res, obj, dry_run=True, force=force)
        except ApplyConflict as exc:
            owners = ", ".join(f"{field_path} (owned by {manager})" for manager, field_path in exc.fields)
            return PlannedChange(ref, action, "conflict", f"{exc.message}; conflicting fields: {owners}; ask "
                                 "for force to take them over", desired=obj)
        except Forbidden as exc:
            return PlannedChange(ref, action, "denied", exc.message, desired=obj)
        except ApiError as exc:
            verdict: Verdict = "invalid" if exc.status in (400, 404, 409, 422) else "error"
            return PlannedChange(ref, action, verdict, exc.message, desired=obj)
        except ClusterError as exc:
            return PlannedChange(ref, action, "error", exc.message, desired=obj)
        changes = field_changes(comparable(live), comparable(answer.object))
        if live is not None and not changes:
            action = "unchanged"
        return PlannedChange(ref, action, "allowed", "", changes,
                             unified_diff(live, answer.object, str(ref)) if action != "unchanged" else "",
                             answer.warnings, obj, force=force)

    def _plan_delete(self, writer: WriteClient, discovery: Discovery, ref: ObjectRef) -> PlannedChange:
        res = resolve(discovery, ref)
        if res is None:
            return PlannedChange(ref, "absent", "allowed", f"context {writer.context!r} does not serve "
                                 f"{ref.api_version} {ref.kind}: nothing to delete")
        try:
            live = self._read(writer.client, res, ref)
        except Forbidden as exc:
            return PlannedChange(ref, "delete", "denied", exc.message)
        except ClusterError as exc:
            return PlannedChange(ref, "delete", "error", exc.message)
        if live is None:
            return PlannedChange(ref, "absent", "allowed", "not in the cluster: nothing to delete")
        uid = str((live.get("metadata") or {}).get("uid") or "")
        if not is_managed(live):
            return PlannedChange(ref, "delete", "refused", f"{ref} {_UNMANAGED}", uid=uid)
        try:
            writer.delete(res, ref.name, namespace=ref.namespace or None, dry_run=True, uid=uid or None)
        except Forbidden as exc:
            return PlannedChange(ref, "delete", "denied", exc.message, uid=uid)
        except NotFound:
            return PlannedChange(ref, "absent", "allowed", "deleted meanwhile: nothing to delete")
        except ClusterError as exc:
            return PlannedChange(ref, "delete", "error", exc.message, uid=uid)
        changes = field_changes(comparable(live), {})
        return PlannedChange(ref, "delete", "allowed", "", changes, unified_diff(live, None, str(ref)), uid=uid)

    # ------------------------------------------------------------------ the flow
    def run(self, client: KubeClient, request: WriteRequest, build: Callable[[], Changeset], *,
            confirm: str | None = None) -> WriteOutcome:
        """Plan (no ``confirm``) or execute a confirmed plan (``confirm`` = the token of a previous answer).

        ``build`` is called only when a fresh change set is needed (not when a valid token brings its own).
        """
        changeset: Changeset | None = None
        status: Status = "planned"
        message = ""
        if confirm:
            state, pending = self.tokens.redeem(confirm, context=client.context, tool=request.tool,
                                                arguments=request.arguments, subject=request.subject)
            if state == "ok" and pending is not None:
                plan = self.plan(client, request.tool, pending.payload)
                if plan.digest == pending.plan_digest:
                    return self._execute(client, plan)
                changeset, status = pending.payload, "plan-changed"
                message = ("The cluster changed since this plan was made, so nothing was written; review the "
                           "new plan below and confirm it with its token.")
            elif state == "expired":
                status, message = "token-expired", ("The confirmation token expired, so nothing was written; "
                                                    "review the new plan below and confirm it with its token.")
            elif state == "mismatch":
                status, message = "token-mismatch", ("The confirmation token was issued for a different call "
                                                     "(context, tool or arguments), so nothing was written; "
                                                     "review the plan below and confirm it with its own token.")
            else:
                status, message = "token-unknown", ("The confirmation token is unknown (already used, or issued "
                                                    "before the server restarted), so nothing was written.")
        if changeset is None:
            changeset = build()
        plan = self.plan(client, request.tool, changeset)
        return self._answer(plan, request, changeset, status, message)

    def _answer(self, plan: Plan, request: WriteRequest, changeset: Changeset, status: Status,
                message: str) -> WriteOutcome:
        if not plan.allowed:
            names = "; ".join(f"{c.ref}: {c.verdict}" for c in plan.blocked)
            return WriteOutcome("blocked", plan, message=f"{message + ' ' if message else ''}The API server's dry "
                                f"run refused some objects ({names}); nothing can be confirmed until that is "
                                "resolved.".strip())
        if not plan.has_writes:
            return WriteOutcome("unchanged", plan, message="Nothing to do: the cluster already matches."
                                if status == "planned" else
                                f"{message} Nothing to do: the cluster already matches.")
        counts = ", ".join(f"{n} to {a}" for a, n in plan.counts().items() if a in ("create", "update", "delete"))
        objects = [str(ref) for ref in plan.writing]
        listed = ", ".join(objects[:10]) + (f" and {len(objects) - 10} more" if len(objects) > 10 else "")
        summary = f"{request.tool} on context {plan.context!r}: {counts} ({listed})"
        pending: PendingWrite = self.tokens.issue(context=plan.context, tool=request.tool,
                                                  arguments=request.arguments, plan_digest=plan.digest,
                                                  payload=changeset, subject=request.subject, summary=summary)
        text = (f"Dry run only: nothing was written. {counts}. To execute exactly this plan, call {request.tool} "
                f"again with the same arguments and confirm={pending.token!r} within "
                f"{int(self.tokens.ttl)} seconds.")
        return WriteOutcome(status, plan, pending.token, pending.expires_at, message=f"{message} {text}".strip())

    def apply_now(self, client: KubeClient, request: WriteRequest, changeset: Changeset) -> WriteOutcome:
        """Plan and, when every object is allowed, execute at once (the CLI's ``--yes``): the dry run still comes
        first, and a blocked plan writes nothing."""
        plan = self.plan(client, request.tool, changeset)
        if not plan.allowed or not plan.has_writes:
            return self._answer(plan, request, changeset, "planned", "")
        return self._execute(client, plan)

    # ------------------------------------------------------------------ execution
    def _execute(self, client: KubeClient, plan: Plan) -> WriteOutcome:
        writer = WriteClient(client, self.field_manager)
        discovery = client.discover()
        results: list[ObjectResult] = []
        for change in plan.changes:
            if not change.writes:
                results.append(ObjectResult(change.ref, change.action, "unchanged", change.message))
                continue
            res = resolve(discovery, change.ref)
            if res is None:  # pragma: no cover - the plan resolved it a moment ago
                results.append(ObjectResult(change.ref, change.action, "failed", "the kind is no longer served"))
                continue
            try:
                if change.action == "delete":
                    writer.delete(res, change.ref.name, namespace=change.ref.namespace or None, dry_run=False,
                                  uid=change.uid or None)
                    results.append(ObjectResult(change.ref, "delete", "deleted"))
                else:
                    assert change.desired is not None
                    writer.apply(res, change.desired, dry_run=False, force=change.force)
                    results.append(ObjectResult(change.ref, change.action, "applied"))
            except Forbidden as exc:
                results.append(ObjectResult(change.ref, change.action, "denied", exc.message))
            except NotFound as exc:
                outcome: Outcome = "unchanged" if change.action == "delete" else "failed"
                results.append(ObjectResult(change.ref, change.action, outcome, exc.message))
            except ClusterError as exc:
                results.append(ObjectResult(change.ref, change.action, "failed", exc.message))
        failed = [r for r in results if r.outcome in ("denied", "failed")]
        written = [r for r in results if r.outcome in ("applied", "deleted")]
        status: Status
        if not failed:
            status, message = "applied", f"Done: {len(written)} object(s) written."
        elif written:
            status, message = "partial", (f"Partly done: {len(written)} object(s) written, {len(failed)} refused or "
                                          "failed (see results).")
        else:
            status, message = "failed", "Nothing was written: every object was refused or failed (see results)."
        return WriteOutcome(status, plan, results=results, message=message)


__all__ = ["Changeset", "WriteFlow", "WriteRequest", "mark_managed", "resolve"]
