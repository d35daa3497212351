"""What a write plan holds and what executing it produced: objects, actions, the API server's verdicts, diffs.

A plan lists one :class:`PlannedChange` per object: the action (create, update, unchanged, delete, absent), the
API server's dry-run verdict (allowed, denied, conflict, invalid, refused, error) with its message, and the field
changes of the server-side-apply dry run against what is in the cluster. Its :attr:`Plan.digest` covers exactly
what a confirmation approves, so a token for one plan cannot execute a different one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from ..output import text_table

#: Label every object pykyverno writes carries; nothing without it is ever deleted or taken over.
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "pykyverno"

Action = Literal["create", "update", "unchanged", "delete", "absent"]
Verdict = Literal["allowed", "denied", "conflict", "invalid", "refused", "error"]
Outcome = Literal["applied", "deleted", "unchanged", "denied", "failed"]
Status = Literal["planned", "applied", "partial", "failed", "unchanged", "blocked", "token-expired",
                 "token-mismatch", "token-unknown", "plan-changed"]


@dataclass(frozen=True, order=True)
class ObjectRef:
    """The identity of an object to write or delete."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ObjectRef:
        """The reference of a plain object."""
        meta = obj.get("metadata") or {}
        return cls(str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""), str(meta.get("namespace") or ""),
                   str(meta.get("name") or ""))

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name}


def is_managed(obj: dict[str, Any] | None) -> bool:
    """Whether ``obj`` carries ``app.kubernetes.io/managed-by: pykyverno``."""
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY_LABEL) == MANAGED_BY


@dataclass(frozen=True)
class FieldChange:
    """One field that the write changes: ``before``/``after`` are None when the field is added/removed."""

    path: str
    before: Any = None
    after: Any = None

    @property
    def op(self) -> str:
        """``add``, ``remove`` or ``change``."""
        if self.before is None:
            return "add"
        if self.after is None:
            return "remove"
        return "change"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"path": self.path, "op": self.op, "before": self.before, "after": self.after}


@dataclass
class PlannedChange:
    """One object of a plan."""

    ref: ObjectRef
    action: Action
    verdict: Verdict = "allowed"
    message: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    diff: str = ""
    warnings: list[str] = field(default_factory=list)
    #: The object applied (``None`` for deletions).
    desired: dict[str, Any] | None = None
    #: The uid of the object a deletion removes (the deletion is refused if the object was replaced meanwhile).
    uid: str = ""
    #: Whether the apply takes fields from other field managers (asked for with ``force``).
    force: bool = False

    @property
    def writes(self) -> bool:
        """Whether executing this entry changes the cluster."""
        return self.action in ("create", "update", "delete")

    def fingerprint(self) -> dict[str, Any]:
        """What a confirmation approves for this object."""
        return {"ref": self.ref.to_dict(), "action": self.action, "verdict": self.verdict, "uid": self.uid,
                "force": self.force, "changes": [c.to_dict() for c in self.changes]}

    def to_dict(self, *, with_diff: bool = True) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"object": self.ref.to_dict(), "action": self.action, "verdict": self.verdict,
                               "message": self.message, "changes": [c.to_dict() for c in self.changes]}
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if with_diff and self.diff:
            out["diff"] = self.diff
        return out


@dataclass
class Plan:
    """Every object a write touches, as the API server's dry run answered."""

    context: str
    tool: str
    changes: list[PlannedChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """Whether every object got an ``allowed`` verdict."""
        return all(c.verdict == "allowed" for c in self.changes)

    @property
    def has_writes(self) -> bool:
        """Whether executing the plan would change anything."""
        return any(c.writes for c in self.changes)

    @property
    def writing(self) -> list[ObjectRef]:
        """The objects executing the plan writes or deletes."""
        return [c.ref for c in self.changes if c.writes]

    @property
    def blocked(self) -> list[PlannedChange]:
        """The objects whose verdict is not ``allowed``."""
        return [c for c in self.changes if c.verdict != "allowed"]

    @property
    def digest(self) -> str:
        """SHA-256 over context, tool and every object's fingerprint."""
        body = {"context": self.context, "tool": self.tool, "objects": [c.fingerprint() for c in self.changes]}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    def counts(self) -> dict[str, int]:
        """How many objects per action."""
        out: dict[str, int] = {}
        for c in self.changes:
            out[c.action] = out.get(c.action, 0) + 1
        return out

    def to_dict(self, *, with_diff: bool = True) -> dict[str, Any]:
        """JSON-ready form."""
        return {"context": self.context, "tool": self.tool, "digest": self.digest, "counts": self.counts(),
                "notes": list(self.notes), "objects": [c.to_dict(with_diff=with_diff) for c in self.changes]}

    def render(self) -> str:
        """A table of the objects with their action and verdict, then the diffs and the notes."""
        rows = [(c.action.upper(), str(c.ref), c.verdict, " ".join((c.message or "").split())[:160])
                for c in self.changes]
        parts = [f"Plan for context {self.context!r} ({self.tool}):",
                 text_table(("ACTION", "OBJECT", "VERDICT", "MESSAGE"), rows) if rows else "(no objects)"]
        parts += [c.diff for c in self.changes if c.diff and c.writes]
        parts += [f"note: {n}" for n in self.notes]
        return "\n\n".join(parts)


@dataclass(frozen=True)
class ObjectResult:
    """What executing one planned entry did."""

    ref: ObjectRef
    action: Action
    outcome: Outcome
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"object": self.ref.to_dict(), "action": self.action, "outcome": self.outcome,
                "message": self.message}


@dataclass
class WriteOutcome:
    """The answer of a write tool call: a plan waiting for confirmation, or what execution did.

    :ivar status: ``planned`` (dry run done; confirm with ``token``), ``applied``, ``partial`` (some objects
        failed), ``failed``, ``unchanged`` (nothing to do: the cluster already matches), ``blocked`` (the dry run
        refused some objects; nothing can be confirmed), ``token-expired``/``token-mismatch``/``token-unknown``/
        ``plan-changed`` (the confirmation was not accepted; a fresh plan and token are returned).
    """

    status: Status
    plan: Plan
    token: str | None = None
    expires_at: float | None = None
    results: list[ObjectResult] = field(default_factory=list)
    message: str = ""

    @property
    def executed(self) -> bool:
        """Whether the cluster was written."""
        return self.status in ("applied", "partial", "failed")

    @property
    def ok(self) -> bool:
        """False for every status that means something went wrong or was refused."""
        return self.status in ("planned", "applied", "unchanged")

    def to_dict(self, *, with_diff: bool = True) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {"status": self.status, "message": self.message,
                               "plan": self.plan.to_dict(with_diff=with_diff)}
        if self.token:
            out["confirm"] = self.token  # not "...Token": answers mask fields named like credentials
            out["expiresAt"] = self.expires_at
        if self.results:
            out["results"] = [r.to_dict() for r in self.results]
        return out

    def render(self) -> str:
        """Text for humans: the message, the plan or the results."""
        parts = [self.message] if self.message else []
        if self.results:
            rows = [(r.outcome.upper(), str(r.ref), " ".join(r.message.split())[:160]) for r in self.results]
            parts.append(text_table(("OUTCOME", "OBJECT", "MESSAGE"), rows))
        else:
            parts.append(self.plan.render())
        return "\n\n".join(parts)


__all__ = [
    "MANAGED_BY",
    "MANAGED_BY_LABEL",
    "FieldChange",
    "ObjectRef",
    "ObjectResult",
    "Outcome",
    "Plan",
    "PlannedChange",
    "Status",
    "WriteOutcome",
    "is_managed",
]
