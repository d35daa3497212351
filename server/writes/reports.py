"""``publish_reports``: scan results as PolicyReports in the cluster, and reading both report APIs back.

- The API: ``openreports.io/v1alpha1`` (``Report``/``ClusterReport``) when the cluster serves it, else
  ``wgpolicyk8s.io/v1alpha2`` (``PolicyReport``/``ClusterPolicyReport``); neither is a clear error.
- One report per namespace (``pykyverno-<namespace>``) and one cluster report (``pykyverno-cluster``) for
  cluster-scoped resources, labelled ``app.kubernetes.io/managed-by: pykyverno``; a report too large for one object
  (about 1 MB) continues in ``pykyverno-<namespace>-2`` and so on.
- ``summary`` as Kyverno writes it: the five counts ``pass``, ``fail``, ``warn``, ``error``, ``skip`` (zeros
  included) of the report's own results. Results carry ``source``, ``policy``, ``rule``, ``result``, ``message``,
  ``resources``, ``scored``, ``severity``, ``category``, ``properties`` and a ``timestamp`` (``seconds``/``nanos``).
  openreports.io keeps the wire names of wgpolicyk8s.io (its Go types renamed the fields ``Subjects`` and
  ``Description``, not their JSON names); the reader accepts ``subjects``/``description`` too.
- A result identical to one already published keeps its timestamp, so publishing unchanged results writes nothing;
  reports pykyverno published earlier for the scanned scope that have no results any more are deleted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pykyverno.engine.results import RESULTS, RuleResult

from ..kube import Discovery, KubeClient
from ..kube.errors import ClusterError
from .flow import Changeset
from .model import MANAGED_BY, MANAGED_BY_LABEL, ObjectRef

REPORT_LABEL = "pykyverno.io/report"
MAX_REPORT_BYTES = 1_000_000


class ReportError(LookupError):
    """The cluster serves no report API."""


@dataclass(frozen=True)
class ReportApi:
    """A report API group: its version and its namespaced / cluster-scoped kinds."""

    group: str
    version: str
    namespaced_kind: str
    cluster_kind: str

    @property
    def api_version(self) -> str:
        """``group/version``."""
        return f"{self.group}/{self.version}"


WGPOLICY = ReportApi("wgpolicyk8s.io", "v1alpha2", "PolicyReport", "ClusterPolicyReport")
OPENREPORTS = ReportApi("openreports.io", "v1alpha1", "Report", "ClusterReport")
REPORT_APIS = (OPENREPORTS, WGPOLICY)


def served_report_apis(discovery: Discovery) -> list[ReportApi]:
    """The report APIs the cluster serves (openreports.io first)."""
    return [api for api in REPORT_APIS if discovery.by_kind(api.group, api.namespaced_kind, api.version)]


def served_report_api(discovery: Discovery, *, context: str = "") -> ReportApi:
    """The API to publish with: openreports.io when served, else wgpolicyk8s.io.

    :raises ReportError: neither is served.
    """
    served = served_report_apis(discovery)
    if not served:
        where = f"context {context!r}" if context else "the cluster"
        raise ReportError(f"{where} serves no report API (openreports.io/v1alpha1 Report or wgpolicyk8s.io/v1alpha2 "
                          "PolicyReport): install Kyverno (its chart installs the report CRDs) or the report CRDs "
                          "alone; run check_kyverno for the commands")
    return served[0]


def report_name(namespace: str, part: int = 1) -> str:
    """``pykyverno-<namespace>`` (``pykyverno-cluster`` for cluster-scoped resources), ``-<part>`` after the first."""
    base = f"pykyverno-{namespace}" if namespace else "pykyverno-cluster"
    return base if part == 1 else f"{base}-{part}"


def summarize(results: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Kyverno's report summary: the count of each result value, all five keys present."""
    counts = dict.fromkeys(RESULTS, 0)
    for r in results:
        if r.get("result") in counts:
            counts[str(r["result"])] += 1
    return counts


def _result_key(result: dict[str, Any]) -> str:
    """A result without its timestamp, for recognising an unchanged one."""
    return json.dumps({k: v for k, v in result.items() if k != "timestamp"}, sort_keys=True)


def _sort_key(result: dict[str, Any]) -> tuple[str, ...]:
    ref = (result.get("resources") or [{}])[0]
    return (str(result.get("policy")), str(result.get("rule")), str(ref.get("kind")), str(ref.get("name")),
            str(result.get("result")))


def build_reports(results: Iterable[RuleResult], api: ReportApi, *, now: datetime | None = None,
                  previous: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Report objects for ``results`` (one per namespace, plus the cluster report), in ``api``'s kinds.

    ``previous``: reports published earlier; identical results keep their timestamps.
    """
    seconds = int((now or datetime.now(UTC)).timestamp())
    stamps: dict[str, Any] = {}
    for report in previous:
        for r in report.get("results") or []:
            if isinstance(r, dict) and "timestamp" in r:
                stamps.setdefault(_result_key(r), r["timestamp"])
    by_namespace: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rule_result in results:
        entry = rule_result.to_report()
        entry["timestamp"] = stamps.get(_result_key(entry), {"seconds": seconds, "nanos": 0})
        by_namespace[rule_result.resource.namespace].append(entry)
    out = []
    for namespace in sorted(by_namespace):
        entries = sorted(by_namespace[namespace], key=_sort_key)
        for part, chunk in enumerate(_chunks(entries), start=1):
            meta: dict[str, Any] = {"name": report_name(namespace, part),
                                    "labels": {MANAGED_BY_LABEL: MANAGED_BY, REPORT_LABEL: "true"}}
            if namespace:
                meta["namespace"] = namespace
            out.append({"apiVersion": api.api_version,
                        "kind": api.namespaced_kind if namespace else api.cluster_kind,
                        "metadata": meta, "summary": summarize(chunk), "results": chunk})
    return out


def _chunks(entries: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    size = 0
    for entry in entries:
        entry_size = len(json.dumps(entry))
        if chunk and size + entry_size > MAX_REPORT_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry_size
    if chunk:
        yield chunk


def _published(client: KubeClient, api: ReportApi, namespaces: Sequence[str] | None) -> list[dict[str, Any]]:
    """Reports pykyverno published earlier with ``api``, in the given namespaces (all when None) and the cluster."""
    discovery = client.discover()
    selector = f"{MANAGED_BY_LABEL}={MANAGED_BY},{REPORT_LABEL}=true"
    out: list[dict[str, Any]] = []
    for kind in (api.namespaced_kind, api.cluster_kind):
        res = discovery.by_kind(api.group, kind, api.version)
        if res is None:
            continue
        scopes: Sequence[str | None] = namespaces if (res.namespaced and namespaces is not None) else [None]
        for scope in scopes:
            out.extend(client.list(res.group, res.version, res.resource, namespace=scope, label_selector=selector))
    return out


def publish_changeset(client: KubeClient, results: Iterable[RuleResult], *, namespaces: Sequence[str] | None = None,
                      include_cluster: bool = True, exclude: Sequence[str] = (),
                      now: datetime | None = None) -> Changeset:
    """What publishing ``results`` writes: the reports, and the deletion of reports of the scanned scope
    (``namespaces``, all when None, less those in ``exclude``; the cluster report when ``include_cluster``) that
    have no results any more.

    :raises ReportError: the cluster serves no report API.
    """
    api = served_report_api(client.discover(), context=client.context)
    notes = [f"Reports are written as {api.api_version} {api.namespaced_kind}/{api.cluster_kind}."]
    try:
        previous = _published(client, api, namespaces)
    except ClusterError as exc:
        previous = []
        notes.append(f"Could not read the reports published earlier ({exc.message}): timestamps are renewed and "
                     "stale reports are not removed.")
    kept = [r for r in results if include_cluster or r.resource.namespace]
    reports = build_reports(kept, api, now=now, previous=previous)
    wanted = {ObjectRef.of(r) for r in reports}
    stale = sorted({ref for ref in (ObjectRef.of(p) for p in previous) if ref not in wanted
                    and (include_cluster or ref.namespace) and ref.namespace not in exclude})
    counts = summarize(e for r in reports for e in r["results"])
    notes.append(f"{len(reports)} report(s): " + ", ".join(f"{k} {v}" for k, v in counts.items()) + ".")
    if stale:
        notes.append(f"{len(stale)} report(s) published earlier have no results any more and are deleted.")
    return Changeset(apply=reports, delete=stale, notes=notes)


@dataclass
class ReportRow:
    """One result of a report, whichever API it came from."""

    api_version: str
    report: str
    namespace: str
    policy: str
    rule: str
    result: str
    severity: str
    category: str
    message: str
    source: str
    resources: list[dict[str, str]]
    managed: bool


@dataclass
class ReportListing:
    """Reports read from a cluster (both APIs), their summed summary, and what could not be read."""

    context: str
    apis: list[str] = field(default_factory=list)
    reports: int = 0
    summary: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RESULTS, 0))
    rows: list[ReportRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _refs(result: dict[str, Any], report: dict[str, Any]) -> list[dict[str, str]]:
    raw = result.get("resources") or result.get("subjects") or (
        [report["scope"]] if isinstance(report.get("scope"), dict) else [])
    return [{k: str(v) for k, v in r.items() if k in ("apiVersion", "kind", "namespace", "name", "uid")}
            for r in raw if isinstance(r, dict)]


def read_reports(client: KubeClient, namespace: str | None = None) -> ReportListing:
    """Every report of both APIs (openreports.io and wgpolicyk8s.io) in ``namespace`` (all when None; cluster
    reports too), normalised to :class:`ReportRow`. A kind that cannot be listed is a problem, not an empty list."""
    discovery = client.discover()
    listing = ReportListing(client.context)
    for api in REPORT_APIS:
        served = False
        for kind in (api.namespaced_kind, api.cluster_kind):
            res = discovery.by_kind(api.group, kind, api.version)
            if res is None or (namespace and not res.namespaced):
                continue
            served = True
            try:
                reports = list(client.list(res.group, res.version, res.resource,
                                           namespace=namespace if res.namespaced else None))
            except ClusterError as exc:
                listing.problems.append(f"{api.api_version} {kind}: {exc.message}")
                continue
            for report in reports:
                listing.reports += 1
                meta = report.get("metadata") or {}
                managed = (meta.get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY
                for key, value in (report.get("summary") or {}).items():
                    if key in listing.summary and isinstance(value, int):
                        listing.summary[key] += value
                for r in report.get("results") or []:
                    if not isinstance(r, dict):
                        continue
                    listing.rows.append(ReportRow(
                        api.api_version, str(meta.get("name") or ""), str(meta.get("namespace") or ""),
                        str(r.get("policy") or ""), str(r.get("rule") or ""), str(r.get("result") or ""),
                        str(r.get("severity") or ""), str(r.get("category") or ""),
                        str(r.get("message") or r.get("description") or ""), str(r.get("source") or ""),
                        _refs(r, report), managed))
        if served:
            listing.apis.append(api.api_version)
    return listing


__all__ = ["MAX_REPORT_BYTES", "OPENREPORTS", "REPORT_APIS", "REPORT_LABEL", "WGPOLICY", "ReportApi",
           "ReportError", "ReportListing", "ReportRow", "build_reports", "publish_changeset", "read_reports",
           "report_name", "served_report_api", "served_report_apis", "summarize"]
