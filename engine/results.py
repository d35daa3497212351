"""Evaluation results, shaped as PolicyReport results (wgpolicyk8s.io/v1alpha2 ``results[]``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

RESULTS = ("pass", "fail", "warn", "error", "skip")
#: The report ``source`` of each document kind, kept by the kind registry (engine/registry.py) as kinds register.
REPORT_SOURCES: dict[str, str] = {}

@dataclass(frozen=True)
class ResourceRef:
    """An ObjectReference to the evaluated resource."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str = ""

    @classmethod
    def of(cls, obj: dict[str, Any]) -> ResourceRef:
        """Reference to a plain object."""
        meta = obj.get("metadata") or {}
        return cls(
            str(obj.get("apiVersion") or ""),
            str(obj.get("kind") or ""),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or meta.get("generateName") or ""),
            str(meta.get("uid") or ""),
        )

    def to_dict(self) -> dict[str, str]:
        """ObjectReference fields (uid only when known)."""
        out = {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name}
        if self.uid:
            out["uid"] = self.uid
        if not self.namespace:
            del out["namespace"]
        return out

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{where}{self.name}"


@dataclass
class RuleResult:
    """One result of one policy (rule) on one resource."""

    policy: str
    policy_kind: str
    result: str
    resource: ResourceRef
    #: The ``source`` Kyverno writes in reports for the policy's kind (from the kind's spec; looked up by
    #: ``policy_kind`` when a result is made without one).
    source: str | None = None
    rule: str = ""
    message: str = ""
    severity: str = ""
    category: str = ""
    scored: bool = True
    properties: dict[str, str] = field(default_factory=dict)
    #: Index of the validation that failed or errored, when one did.
    validation_index: int | None = None
    #: The expression that failed or errored (for explanations).
    expression: str = ""
    #: Actions of the policy (Deny, Audit, Warn) that produced this result.
    actions: tuple[str, ...] = ()
    #: Objects the policy would produce (mutated resource, generated resources) for preview kinds.
    patched: dict[str, Any] | None = None
    generated: list[dict[str, Any]] = field(default_factory=list)
    #: Lookups (``resource.*``, ``globalContext``, ``http``, image data) the source could not answer during the
    #: evaluation that gave this result: the result is not the whole answer (a scan is then incomplete).
    unanswered: tuple[str, ...] = ()

    def to_report(self) -> dict[str, Any]:
        """The wgpolicyk8s.io/v1alpha2 PolicyReportResult."""
        out: dict[str, Any] = {
            "source": self.source if self.source is not None else REPORT_SOURCES.get(self.policy_kind, "kyverno"),
            "policy": self.policy,
            "rule": self.rule,
            "result": self.result,
            "message": self.message,
            "resources": [self.resource.to_dict()],
            "scored": self.scored,
        }
        if self.severity:
            out["severity"] = self.severity
        if self.category:
            out["category"] = self.category
        if self.properties:
            out["properties"] = dict(self.properties)
        return out


def summarize(results: Iterable[RuleResult]) -> dict[str, int]:
    """Counts per result value (all five keys present)."""
    counts = Counter(r.result for r in results)
    return {key: counts.get(key, 0) for key in RESULTS}
