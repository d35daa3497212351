"""Scanning clusters as Kyverno's background scan does: list what the policies can match, evaluate, report.

Only the resource types some policy can match (after autogen) are listed, with bounded concurrency across types and
clusters. A type that cannot be listed (403, 404, timeout, 5xx) is recorded as a failure of that type and the scan
goes on; a cluster that cannot be reached is recorded as a failure of that cluster and the other clusters go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.common.exceptions import PolicyException
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.loader import CompiledPolicy
from pykyverno.engine.request import AdmissionContext, split_api_version

from ..kube.errors import ClusterError, KubeError
from .model import ClusterScan, ScanReport, ScanRequest, TypeFailure
from .sources import ResourceType, ScanSource

log = logging.getLogger(__name__)

#: Kinds whose results belong in a compliance scan (mutation and generation are previews, not findings).
SCANNED_KINDS = frozenset(
    {
        "ValidatingPolicy",
        "NamespacedValidatingPolicy",
        "ImageValidatingPolicy",
        "NamespacedImageValidatingPolicy",
        "ValidatingAdmissionPolicy",
        "ClusterPolicy",
        "Policy",
    }
)

ProgressCallback = Callable[[float, float, str], None]


def _is_namespace_type(rtype: ResourceType) -> bool:
    return rtype.group == "" and rtype.resource == "namespaces"


def runs_in_background(policy: CompiledPolicy) -> bool:
    """Whether Kyverno's background scan evaluates this policy (``evaluation.background.enabled``)."""
    source = getattr(policy, "policy", None)
    spec = getattr(source, "spec", None)
    evaluation = getattr(spec, "evaluation", None)
    background = getattr(evaluation, "background", None)
    return bool(getattr(background, "enabled", True))


def scannable(policies: Iterable[CompiledPolicy]) -> list[CompiledPolicy]:
    """The policies a scan evaluates."""
    return [p for p in policies if p.kind in SCANNED_KINDS and runs_in_background(p)]


class SourceResources:
    """``resource.Get`` / ``resource.List`` answered from the cluster being scanned; ``Post`` is never sent."""

    def __init__(self, source: ScanSource, types: list[ResourceType]) -> None:
        self.source = source
        self.types = {(t.group, t.version, t.resource): t for t in types}
        self.posted: list[dict[str, Any]] = []

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        """One object from the source."""
        group, version = split_api_version(api_version)
        return self.source.get(group, version, resource, namespace, name)

    def list(
        self, api_version: str, resource: str, namespace: str, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A list object from the source."""
        group, version = split_api_version(api_version)
        rtype = self.types.get((group, version, resource))
        if rtype is None:
            raise LookupError(f"the server does not serve {api_version} {resource}")
        items = [
            o
            for o in self.source.list(rtype, namespace or None)
            if not labels or all(((o.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in labels.items())
        ]
        return {"apiVersion": api_version, "kind": f"{rtype.kind}List", "items": items}

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record the object a policy would create; scans never write."""
        self.posted.append(obj)
        return obj


@dataclass
class _Listing:
    rtype: ResourceType
    objects: list[dict[str, Any]]
    failures: list[TypeFailure]
    seconds: float


def _list_type(
    source: ScanSource, rtype: ResourceType, scopes: list[str | None], cancel: threading.Event | None
) -> _Listing:
    """List one type in each scope (a namespace, or None for all); a scope that fails becomes a :class:`TypeFailure`
    and whatever was listed before the failure is kept."""
    started = time.perf_counter()
    objects: list[dict[str, Any]] = []
    failures: list[TypeFailure] = []
    for namespace in scopes:
        if cancel is not None and cancel.is_set():
            break
        try:
            for obj in source.list(rtype, namespace):
                objects.append(obj)
        except ClusterError as exc:
            failures.append(TypeFailure(source.name, rtype.label, namespace or "", exc.reason, exc.message, exc.status))
        except KubeError as exc:
            failures.append(TypeFailure(source.name, rtype.label, namespace or "", "Error", str(exc)))
    return _Listing(rtype, objects, failures, time.perf_counter() - started)


class Scanner:
    """Runs scans of sources against a fixed set of compiled policies."""

    def __init__(
        self,
        policies: Iterable[CompiledPolicy],
        exceptions: list[PolicyException] | None = None,
        *,
        type_concurrency: int = 4,
        cluster_concurrency: int = 4,
    ) -> None:
        self.policies = scannable(policies)
        self.index = PolicyIndex(self.policies)
        self.exceptions = exceptions or []
        self.type_concurrency = max(1, type_concurrency)
        self.cluster_concurrency = max(1, cluster_concurrency)

    def wanted(self, types: list[ResourceType]) -> list[ResourceType]:
        """The types at least one policy can match."""
        return [t for t in types if self.index.for_type(t.group, t.version, t.resource)]

    def scan(
        self,
        sources: list[tuple[str, Callable[[], ScanSource]]],
        request: ScanRequest,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ScanReport:
        """Scan every source (``(name, factory)`` pairs; a factory may raise ``KubeError``)."""
        report = ScanReport(policies=list(dict.fromkeys(p.name for p in self.policies)), request=request)
        done = [0]
        lock = threading.Lock()

        def tick(message: str) -> None:
            if progress is not None:
                with lock:
                    done[0] += 1
                    progress(float(done[0]), float(len(sources)), message)

        def one(pair: tuple[str, Callable[[], ScanSource]]) -> ClusterScan:
            name, factory = pair
            try:
                source = factory()
            except (KubeError, OSError, ValueError) as exc:
                tick(f"{name}: failed")
                return ClusterScan(context=name, error=str(exc))
            result = self.scan_source(source, request, progress, cancel)
            tick(f"{name}: {result.objects} objects, {len(result.results)} results")
            return result

        if len(sources) == 1:
            report.clusters = [one(sources[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(self.cluster_concurrency, len(sources))) as pool:
                report.clusters = list(pool.map(one, sources))
        report.cancelled = bool(cancel is not None and cancel.is_set())
        return report

    def scan_source(
        self,
        source: ScanSource,
        request: ScanRequest,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ClusterScan:
        """Scan one cluster or snapshot."""
        scan = ClusterScan(context=source.name, server=source.server)
        for problem in getattr(source, "problems", ()):
            # A snapshot file or document that cannot be read: the scan is incomplete, and says so.
            scan.failures.append(TypeFailure(source.name, "manifests", "", "InvalidManifest", str(problem)))
        started = time.perf_counter()
        try:
            all_types = source.types()
        except KubeError as exc:
            scan.error = str(exc)
            return scan
        namespace_listing = self._namespaces(source, all_types)
        namespaces = {
            str((o.get("metadata") or {}).get("name")): o
            for o in (namespace_listing.objects if namespace_listing else [])
        }
        wanted = self.wanted(all_types)
        if not request.include_cluster_scoped:
            wanted = [t for t in wanted if t.namespaced or _is_namespace_type(t)]
        # Namespaces are listed once: for namespaceObject, and as a scanned type when a policy matches them.
        listings = self._list_all(source, [t for t in wanted if not _is_namespace_type(t)], request, cancel)
        if namespace_listing is not None:
            if any(_is_namespace_type(t) for t in wanted):
                listings.append(namespace_listing)
            else:
                scan.failures.extend(namespace_listing.failures)
        scan.list_seconds = time.perf_counter() - started
        provider = SourceResources(source, all_types)
        eval_started = time.perf_counter()
        total = sum(len(listing.objects) for listing in listings) or 1
        evaluated = 0
        with using_providers(Providers(resource=provider)):
            for listing in listings:
                scan.failures.extend(listing.failures)
                for obj in listing.objects:
                    if cancel is not None and cancel.is_set():
                        scan.eval_seconds = time.perf_counter() - eval_started
                        return scan
                    self._evaluate(obj, listing.rtype, namespaces, scan, request)
                    evaluated += 1
                    if progress is not None and evaluated % 500 == 0:
                        progress(float(evaluated), float(total), f"{source.name}: evaluated {evaluated}/{total}")
        scan.eval_seconds = time.perf_counter() - eval_started
        return scan

    def _namespaces(self, source: ScanSource, types: list[ResourceType]) -> _Listing | None:
        """Every Namespace of the source (for ``namespaceObject``), or the failure to list them."""
        ns_type = next((t for t in types if _is_namespace_type(t)), None)
        return None if ns_type is None else _list_type(source, ns_type, [None], None)

    def _list_all(
        self,
        source: ScanSource,
        wanted: list[ResourceType],
        request: ScanRequest,
        cancel: threading.Event | None,
    ) -> list[_Listing]:
        def list_one(rtype: ResourceType) -> _Listing:
            scopes: list[str | None] = list(request.namespaces) if request.namespaces and rtype.namespaced else [None]
            return _list_type(source, rtype, scopes, cancel)

        if len(wanted) <= 1:
            return [list_one(t) for t in wanted]
        with ThreadPoolExecutor(max_workers=min(self.type_concurrency, len(wanted))) as pool:
            return list(pool.map(list_one, wanted))

    def _evaluate(
        self,
        obj: dict[str, Any],
        rtype: ResourceType,
        namespaces: dict[str, dict[str, Any]],
        scan: ClusterScan,
        request: ScanRequest,
    ) -> None:
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace") or "")
        if namespace and namespace in request.exclude_namespaces:
            return
        if _is_namespace_type(rtype):
            name = str(meta.get("name") or "")
            if name in request.exclude_namespaces or (request.namespaces and name not in request.namespaces):
                return
        if request.namespaces and namespace and namespace not in request.namespaces:
            return
        policies = self.index.for_type(rtype.group, rtype.version, rtype.resource)
        if not policies:
            return
        scan.scanned[rtype.label] += 1
        ctx = AdmissionContext(
            operation="CREATE",
            object=obj,
            namespace_object=namespaces.get(namespace) if namespace else None,
            plural=rtype.resource,
        )
        evaluated = []
        for policy in policies:
            result = policy.evaluate(ctx, self.exceptions)
            if result is not None:
                scan.results.append(result)
                evaluated.append((policy, result))
        scan.posture.observe(obj, evaluated)
