"""What a scan was asked to do and what it found, per cluster, with partial failures kept beside the results."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, MutableSequence
from dataclasses import dataclass, field, replace
from typing import Any

from pykyverno.engine.results import RESULTS, RuleResult

from ..report.posture import PostureCollector, now_iso, posture_document
from .result_store import CountKey, ResultStore

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
    #: Seconds the whole scan may take (discovery, listing, evaluation, every cluster); None: no limit. What is
    #: not done by then is reported as not scanned.
    timeout: float | None = None
    #: Worker processes that evaluate the scan's objects (1: this process). The CLI asks for more on large scans;
    #: servers keep 1, because workers are forked and forking a process that runs threads is unsafe.
    workers: int = 1


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
    #: Passing results are kept compact (see :class:`ResultStore`).
    results: MutableSequence[RuleResult] = field(default_factory=ResultStore)
    failures: list[TypeFailure] = field(default_factory=list)
    #: Objects evaluated per resource type (``group/version/resource``).
    scanned: Counter[str] = field(default_factory=Counter)
    #: A failure that stopped the whole cluster (unreachable, unauthorized, unknown context).
    error: str = ""
    list_seconds: float = 0.0
    eval_seconds: float = 0.0
    #: High-risk elements and explanations gathered while scanning (see :mod:`pykyverno.server.report.posture`).
    posture: PostureCollector = field(default_factory=PostureCollector, repr=False)
    #: Results left out of ``results`` to save memory (see :meth:`without_passing`), counted by
    #: (namespace, policy, result, severity, category), so that every count stays exact.
    omitted: Counter[tuple[str, str, str, str, str]] = field(default_factory=Counter)

    @property
    def objects(self) -> int:
        """Number of objects evaluated."""
        return sum(self.scanned.values())

    def compact_counts(self) -> Counter[CountKey] | None:
        """(namespace, policy, result, severity, category) counts of the results kept compact (None: the results
        are a plain list)."""
        return self.results.compact_counts() if isinstance(self.results, ResultStore) else None

    def _counted(self, compact: Counter[CountKey] | None = None) -> Counter[CountKey]:
        """(namespace, policy, result, severity, category) counts of every result, kept or omitted (``compact``:
        :meth:`compact_counts`, when known)."""
        if isinstance(self.results, ResultStore):  # the compact passes counted without reading them one by one
            counts = Counter(compact) if compact is not None else self.results.compact_counts()
            counts.update((r.resource.namespace, r.policy, r.result, r.severity, r.category)
                          for r in self.results.whole())
        else:
            counts = Counter(self._count_keys())
        counts.update(self.omitted)
        return counts

    def outcomes(self) -> Iterator[str]:
        """The ``result`` of every kept result (without rebuilding compact ones)."""
        if isinstance(self.results, ResultStore):
            return self.results.outcomes()
        return (r.result for r in self.results)

    def _count_keys(self) -> Iterator[CountKey]:
        if isinstance(self.results, ResultStore):
            return self.results.count_keys()
        return ((r.resource.namespace, r.policy, r.result, r.severity, r.category) for r in self.results)

    def kept_whole(self) -> Iterator[RuleResult]:
        """The results that are not plain passes (those :class:`ResultStore` keeps compact, which carry no message,
        properties or unanswered lookups), in order, without rebuilding the compact ones."""
        if not isinstance(self.results, ResultStore):
            return iter(self.results)
        return iter(self.results.whole())

    def findings(self) -> Iterator[RuleResult]:
        """The failing, warning and erroring results, in order."""
        return (r for r in self.kept_whole() if r.result in ("fail", "warn", "error"))

    def summary(self) -> dict[str, int]:
        """Counts per result."""
        counts = self.results.result_counts() if isinstance(self.results, ResultStore) else Counter(self.outcomes())
        for (_, _, result, _, _), n in self.omitted.items():
            counts[result] += n
        return {key: counts.get(key, 0) for key in RESULTS}

    def by_namespace(self, counted: Counter[CountKey] | None = None) -> dict[str, dict[str, Any]]:
        """Counts per namespace (``""`` for cluster-scoped), with failing counts by severity (from ``counted``, the
        result of :meth:`_counted`, when given)."""
        table: dict[str, dict[str, Any]] = defaultdict(
            lambda: {**{k: 0 for k in RESULTS}, "failBySeverity": {s or "unset": 0 for s in SEVERITIES}}
        )
        for (namespace, _, result, severity, _), n in (counted or self._counted()).items():
            row = table[namespace]
            row[result] += n
            if result == "fail":
                row["failBySeverity"][severity or "unset"] += n
        return dict(sorted(table.items()))

    def by_policy(self) -> dict[str, tuple[str, str, Counter[str]]]:
        """(severity, category, counts per result) per policy, in order of first result."""
        table: dict[str, tuple[str, str, Counter[str]]] = {}
        for (_, policy, result, severity, category), n in self._counted().items():
            table.setdefault(policy, (severity, category, Counter()))[2][result] += n
        return table

    def without_passing(self) -> ClusterScan:
        """A copy that keeps only failing, warning and erroring results; the others are counted in ``omitted``."""
        kept = [r for r in self.results if r.result in ("fail", "warn", "error")]
        omitted = Counter(self.omitted)
        omitted.update((r.resource.namespace, r.policy, r.result, r.severity, r.category)
                       for r in self.results if r.result not in ("fail", "warn", "error"))
        return replace(self, results=kept, omitted=omitted)

    def to_dict(self, include_results: bool = True, compact: Counter[CountKey] | None = None) -> dict[str, Any]:
        """JSON-ready form (``compact``: :meth:`compact_counts`, when known)."""
        counted = self._counted(compact)
        counts: Counter[str] = Counter()
        for (_, _, result, _, _), n in counted.items():
            counts[result] += n
        out: dict[str, Any] = {
            "context": self.context,
            "server": self.server,
            "error": self.error,
            "objects": self.objects,
            "summary": {key: counts.get(key, 0) for key in RESULTS},
            "namespaces": self.by_namespace(counted),
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
    #: The scan's overall deadline (:attr:`ScanRequest.timeout`, seconds) was reached: what was left is listed in
    #: the clusters' failures.
    deadline_reached: bool = False

    @property
    def results(self) -> list[RuleResult]:
        """All results of all clusters."""
        return [r for c in self.clusters for r in c.results]

    def summary(self) -> dict[str, int]:
        """Counts per result over every cluster."""
        counts: Counter[str] = Counter()
        for cluster in self.clusters:
            counts.update(cluster.summary())
        return {key: counts.get(key, 0) for key in RESULTS}

    def by_policy(self) -> dict[str, tuple[str, str, Counter[str]]]:
        """(severity, category, counts per result) per policy over every cluster."""
        table: dict[str, tuple[str, str, Counter[str]]] = {}
        for cluster in self.clusters:
            for policy, (severity, category, counts) in cluster.by_policy().items():
                table.setdefault(policy, (severity, category, Counter()))[2].update(counts)
        return table

    @property
    def passing_omitted(self) -> bool:
        """Whether passing and skipped results were left out to save memory (counts still include them)."""
        return any(c.omitted for c in self.clusters)

    def without_passing(self) -> ScanReport:
        """A copy whose clusters keep only failing, warning and erroring results (see
        :meth:`ClusterScan.without_passing`)."""
        return replace(self, clusters=[c.without_passing() for c in self.clusters])

    @property
    def has_failures(self) -> bool:
        """Whether any policy failed."""
        return any(result == "fail" for c in self.clusters for result in c.outcomes())

    @property
    def has_errors(self) -> bool:
        """Whether any cluster, type or evaluation could not be completed."""
        return any(c.error or c.failures for c in self.clusters) or any(
            result == "error" for c in self.clusters for result in c.outcomes())

    @property
    def incomplete(self) -> bool:
        """Whether something was not scanned: a cluster, a resource type, a snapshot file, or the rest of a scan
        that was cancelled or ran out of time."""
        return self.cancelled or self.deadline_reached or any(c.error or c.failures for c in self.clusters)

    def to_dict(self, include_results: bool = True, *, results_elsewhere: bool = False) -> dict[str, Any]:
        """JSON-ready form; with ``results_elsewhere``, every cluster's ``results`` is an empty list that a streaming
        writer fills in (see :mod:`pykyverno.server.output_stream`), and the rest is as with ``include_results``."""
        compact = [c.compact_counts() for c in self.clusters]
        clusters = [c.to_dict(include_results and not results_elsewhere, counts)
                    for c, counts in zip(self.clusters, compact, strict=True)]
        if results_elsewhere:
            for cluster in clusters:
                cluster["results"] = []
        return {
            "incomplete": self.incomplete,
            "summary": self.summary(),
            "policies": self.policies,
            "policyIssues": self.policy_issues,
            "cancelled": self.cancelled,
            "deadlineReached": self.deadline_reached,
            "clusters": clusters,
            "posture": posture_document(self, include_explanations=include_results or results_elsewhere,
                                        compact=compact),
        }
