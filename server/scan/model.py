"""What a scan was asked to do and what it found, per cluster, with partial failures kept beside the results."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pykyverno.engine.results import RESULTS, RuleResult

from ..report.posture import PostureCollector, now_iso, posture_document

SEVERITIES = ("critical", "high", "medium", "low", "info", "")


@dataclass(frozen=True)
class ScanRequest:
    """Which clusters, namespaces and policies to scan."""

    contexts: tuple[str, ...] = ()
    all_contexts: bool = False
    namespaces: tuple[str, ...] = ()
    exclude_namespaces: tuple[str, ...] = ()
    snapshot: str = ""
    include_cluster_scoped: bool = True
    #: Names of the policy sets scanned (for the report's scope).
    policy_sets: tuple[str, ...] = ()


@dataclass(frozen=True)
class TypeFailure:
    """A resource type (or page) that could not be listed in one cluster, and why."""

    context: str
    resource: str
    namespace: str
    reason: str
    message: str
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "context": self.context,
            "resource": self.resource,
            "namespace": self.namespace,
            "reason": self.reason,
            "status": self.status,
            "message": self.message,
        }


@dataclass
class ClusterScan:
    """The outcome of scanning one context (or snapshot)."""

    context: str
    server: str = ""
    results: list[RuleResult] = field(default_factory=list)
    failures: list[TypeFailure] = field(default_factory=list)
    #: Objects evaluated per resource type (``group/version/resource``).
    scanned: Counter[str] = field(default_factory=Counter)
    #: A failure that stopped the whole cluster (unreachable, unauthorized, unknown context).
    error: str = ""
    list_seconds: float = 0.0
    eval_seconds: float = 0.0
    #: High-risk elements and explanations gathered while scanning (see :mod:`pykyverno.server.report.posture`).
    posture: PostureCollector = field(default_factory=PostureCollector, repr=False)

    @property
    def objects(self) -> int:
        """Number of objects evaluated."""
        return sum(self.scanned.values())

    def summary(self) -> dict[str, int]:
        """Counts per result."""
        counts = Counter(r.result for r in self.results)
        return {key: counts.get(key, 0) for key in RESULTS}

    def by_namespace(self) -> dict[str, dict[str, Any]]:
        """Counts per namespace (``""`` for cluster-scoped), with failing counts by severity."""
        table: dict[str, dict[str, Any]] = defaultdict(
            lambda: {**{k: 0 for k in RESULTS}, "failBySeverity": {s or "unset": 0 for s in SEVERITIES}}
        )
        for r in self.results:
            row = table[r.resource.namespace]
            row[r.result] += 1
            if r.result == "fail":
                row["failBySeverity"][r.severity or "unset"] += 1
        return dict(sorted(table.items()))

    def to_dict(self, include_results: bool = True) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "context": self.context,
            "server": self.server,
            "error": self.error,
            "objects": self.objects,
            "summary": self.summary(),
            "namespaces": self.by_namespace(),
            "scannedTypes": dict(sorted(self.scanned.items())),
            "failures": [f.to_dict() for f in self.failures],
            "timing": {"listSeconds": round(self.list_seconds, 3), "evalSeconds": round(self.eval_seconds, 3)},
        }
        if include_results:
            out["results"] = [r.to_report() for r in self.results]
        return out


@dataclass
class ScanReport:
    """The outcome of a scan across clusters, plus policy problems met while loading."""

    clusters: list[ClusterScan] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    policy_issues: list[str] = field(default_factory=list)
    cancelled: bool = False
    request: ScanRequest | None = None
    started_at: str = field(default_factory=now_iso)

    @property
    def results(self) -> list[RuleResult]:
        """All results of all clusters."""
        return [r for c in self.clusters for r in c.results]

    def summary(self) -> dict[str, int]:
        """Counts per result over every cluster."""
        counts = Counter(r.result for r in self.results)
        return {key: counts.get(key, 0) for key in RESULTS}

    @property
    def has_failures(self) -> bool:
        """Whether any policy failed."""
        return any(r.result == "fail" for r in self.results)

    @property
    def has_errors(self) -> bool:
        """Whether any cluster, type or evaluation could not be completed."""
        return any(c.error or c.failures for c in self.clusters) or any(r.result == "error" for r in self.results)

    def to_dict(self, include_results: bool = True) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "summary": self.summary(),
            "policies": self.policies,
            "policyIssues": self.policy_issues,
            "cancelled": self.cancelled,
            "clusters": [c.to_dict(include_results) for c in self.clusters],
            "posture": posture_document(self, include_explanations=include_results),
        }
