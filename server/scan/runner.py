"""Scanning clusters as Kyverno's background scan does: list what the policies can match, evaluate, report.

Only the resource types some policy can match (after autogen) are listed, with bounded concurrency across types and
clusters. A type that cannot be listed (403, 404, timeout, 5xx, an answer that is not a list) is recorded as a failure
of that type and the scan goes on; so is a group version whose discovery failed, when a policy could match a type of
its group (its types are unknown, so they cannot be called absent); a cluster that cannot be reached is recorded as a
failure of that cluster and the other clusters go on. An overall deadline (:attr:`ScanRequest.timeout`) bounds the
whole scan: what is not discovered, listed or evaluated by then is recorded as not scanned (``DeadlineExceeded``).
A cluster's listing is evaluated a page at a time while the next page is listed; with ``ScanRequest.workers`` above
one, evaluation is spread over forked processes (:mod:`.workers`) with the same results, in the same order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterable, MutableSequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, suppress
from dataclasses import dataclass, field, replace
from typing import Any

from pykyverno.engine.cel import LookupUnavailable, Providers, using_providers
from pykyverno.engine.common.batch import SHARED_RESOURCE, TypeBatch
from pykyverno.engine.common.kind import CompiledPolicy
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.common.pipeline import reference
from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.loader import EXCEPTION_GROUPS
from pykyverno.engine.request import AdmissionContext, split_api_version
from pykyverno.engine.results import RuleResult

from ..kube.errors import ClusterError, DeadlineExceeded, KubeError
from ..redaction import in_current_context
from .gc_tuning import freeze_loaded, scan_gc
from .model import ClusterScan, ScanReport, ScanRequest, TypeFailure
from .policy_exceptions import exceptions_from
from .result_store import ResultStore
from .sources import ResourceType, ScanSource, SnapshotSource
from .workers import CHUNK_OBJECTS, ChunkDone, ChunkLost, Outcome, WorkerPool, merge_posture

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, float, str], None]

DEADLINE = "DeadlineExceeded"
#: The ``reason`` of the failure listing objects a worker process did not evaluate (it died or failed).
WORKER_FAILED = "WorkerFailed"
#: Objects per piece of a listing handed to evaluation while the next page is listed (the client's page size).
PAGE_OBJECTS = 500
#: Pieces listed ahead of evaluation at most (memory stays bounded whatever the size of a type).
PAGES_AHEAD = 4


@dataclass(frozen=True)
class _Limits:
    """When a scan must stop: a cancel event (the client went away) and an overall deadline (monotonic instant)."""

    cancel: threading.Event | None = None
    deadline: float | None = None
    seconds: float | None = None
    #: Set once something was left out because of the deadline.
    reached: threading.Event = field(default_factory=threading.Event)

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    @property
    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    @property
    def stopped(self) -> bool:
        return self.cancelled or self.expired

    def late(self, what: str) -> str:
        """Why ``what`` was not done (and note that the deadline cut the scan)."""
        self.reached.set()
        return f"{what}: the scan deadline ({self.seconds or 0:g}s, --scan-timeout) was reached"


def _is_namespace_type(rtype: ResourceType) -> bool:
    return rtype.group == "" and rtype.resource == "namespaces"


def scannable(policies: Iterable[CompiledPolicy]) -> list[CompiledPolicy]:
    """The policies a scan evaluates: of a kind scans run (validating kinds: mutations and generations are previews,
    not findings) and with background evaluation on (``evaluation.background.enabled``, ClusterPolicy
    ``spec.background``)."""
    return [p for p in policies if p.spec.scanned and p.background]


def left_out_of_scans(policies: Iterable[CompiledPolicy]) -> list[str]:
    """Why each policy that :func:`scannable` drops is not evaluated by scans (``name: reason``, once per policy
    name: autogen variants share their policy's)."""
    reasons: list[str] = []
    seen: set[str] = set()
    for policy in policies:
        if policy.name in seen:
            continue
        seen.add(policy.name)
        if not policy.spec.scanned:
            reasons.append(f"{policy.name}: a {policy.kind} is not run by scans (its results are previews, not "
                           "findings)")
        elif not policy.background:
            reasons.append(f"{policy.name}: background evaluation is off (spec.background / "
                           "evaluation.background.enabled: false), so scans skip it as Kyverno's background scan does")
    return reasons


#: Scans report an evaluation that a lookup the source could not answer left without a result (issue 13).
SCAN_OPTIONS = EvaluationOptions(report_unanswered=True)
#: The ``reason`` of the failure a scan lists for lookups its source could not answer.
LOOKUP_UNAVAILABLE = "LookupUnavailable"


def _unanswered_lookups(scan: ClusterScan) -> list[TypeFailure]:
    """One failure per (policy, reason) of the lookups the source could not answer: the results of those objects
    are errors or rest on less than the policy asked for, so the scan is incomplete."""
    counts: Counter[tuple[str, str]] = Counter()
    for result in scan.kept_whole():  # a pass kept compact has no unanswered lookups
        for reason in result.unanswered:
            counts[(result.policy, reason)] += 1
    return [
        TypeFailure(scan.context, "lookups", "", LOOKUP_UNAVAILABLE,
                    f"policy {policy}: {reason} ({count} object(s) not fully evaluated)")
        for (policy, reason), count in sorted(counts.items())
    ]


class SourceResources:
    """``resource.Get`` / ``resource.List`` answered from the cluster being scanned; ``Post`` is never sent."""

    def __init__(self, source: ScanSource, types: list[ResourceType], deadline: float | None = None) -> None:
        self.source = source
        self.types = {(t.group, t.version, t.resource): t for t in types}
        self.deadline = deadline
        self.posted: list[dict[str, Any]] = []

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        """One object from the source (a type the source does not serve cannot be answered)."""
        group, version = split_api_version(api_version)
        if (group, version, resource) not in self.types:
            raise LookupUnavailable(self._not_served(api_version, resource))
        return self.source.get(group, version, resource, namespace, name, deadline=self.deadline)

    def list(
        self, api_version: str, resource: str, namespace: str, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A list object from the source."""
        group, version = split_api_version(api_version)
        rtype = self.types.get((group, version, resource))
        if rtype is None:
            raise LookupUnavailable(self._not_served(api_version, resource))
        try:
            items = [
                o
                for o in self.source.list(rtype, namespace or None, deadline=self.deadline)
                if not labels
                or all(((o.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in labels.items())
            ]
        except KubeError as exc:  # forbidden, unreachable, out of time: the source did not answer
            raise LookupUnavailable(f"{api_version} {resource} could not be listed: {exc}") from None
        return {"apiVersion": api_version, "kind": f"{rtype.kind}List", "items": items}

    def _not_served(self, api_version: str, resource: str) -> str:
        what = "the snapshot holds no" if isinstance(self.source, SnapshotSource) else "the server does not serve"
        return f"{what} {api_version} {resource}"

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


def _list_type(source: ScanSource, rtype: ResourceType, scopes: list[str | None], limits: _Limits,
               emit: Callable[[list[dict[str, Any]]], None] | None = None) -> _Listing:
    """List one type in each scope (a namespace, or None for all); a scope that fails becomes a :class:`TypeFailure`
    and whatever was listed before the failure is kept. Listing stops when the scan is cancelled or its deadline
    passes; a scope the deadline cut short or never reached is a ``DeadlineExceeded`` failure.

    With ``emit``, every :data:`PAGE_OBJECTS` objects are handed to it as they are listed (so that they are evaluated
    while the next page is listed) and the listing returned holds the rest."""
    started = time.perf_counter()
    objects: list[dict[str, Any]] = []
    failures: list[TypeFailure] = []
    count = 0
    for namespace in scopes:
        if limits.cancelled:
            break
        if limits.expired:
            failures.append(TypeFailure(source.name, rtype.label, namespace or "", DEADLINE, limits.late("not listed")))
            continue
        try:
            for obj in source.list(rtype, namespace, deadline=limits.deadline):
                objects.append(obj)
                count += 1
                if emit is not None and len(objects) >= PAGE_OBJECTS:
                    emit(objects)
                    objects = []
                if limits.stopped:
                    raise DeadlineExceeded("", context=source.name) if limits.expired else _Cancelled()
        except _Cancelled:
            break
        except DeadlineExceeded:
            failures.append(TypeFailure(source.name, rtype.label, namespace or "", DEADLINE,
                                        limits.late(f"listing stopped after {count} object(s)")))
        except ClusterError as exc:
            failures.append(TypeFailure(source.name, rtype.label, namespace or "", exc.reason, exc.message, exc.status))
        except KubeError as exc:
            failures.append(TypeFailure(source.name, rtype.label, namespace or "", "Error", str(exc)))
    return _Listing(rtype, objects, failures, time.perf_counter() - started)


@dataclass
class _Tally:
    """One listed type of a source as its pieces are evaluated: results and failures, in listing order."""

    rtype: ResourceType
    listed: int = 0
    #: Listed objects the deadline left unevaluated.
    late: int = 0
    #: Objects a worker process did not evaluate, by why.
    lost: Counter[str] = field(default_factory=Counter)
    failures: list[TypeFailure] = field(default_factory=list)
    results: ResultStore = field(default_factory=ResultStore)

    def all_failures(self, context: str, limits: _Limits) -> list[TypeFailure]:
        out = list(self.failures)
        if self.late:
            out.append(TypeFailure(context, self.rtype.label, "", DEADLINE, limits.late(
                f"{self.late} of {self.listed} listed object(s) not evaluated")))
        out.extend(TypeFailure(context, self.rtype.label, "", WORKER_FAILED,
                               f"{count} of {self.listed} listed object(s) not evaluated: {why}")
                   for why, count in self.lost.items())
        return out


class _Cancelled(Exception):
    """The scan was cancelled while a type was being listed."""


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
        #: The worker processes of the scan in progress (see :meth:`scan`), and who is using them.
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()
        self._batches: dict[tuple[str, str, str, int], TypeBatch] = {}

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
        """Scan every source (``(name, factory)`` pairs; a factory may raise ``KubeError``), within
        ``request.timeout`` seconds when it is set."""
        report = ScanReport(policies=list(dict.fromkeys(p.name for p in self.policies)), request=request)
        seconds = request.timeout if request.timeout and request.timeout > 0 else None
        limits = _Limits(cancel, time.monotonic() + seconds if seconds else None, seconds)
        done = [0]
        lock = threading.Lock()

        def tick(message: str) -> None:
            if progress is not None:
                with lock:
                    done[0] += 1
                    progress(float(done[0]), float(len(sources)), message)

        def one(pair: tuple[str, Callable[[], ScanSource]]) -> ClusterScan:
            name, factory = pair
            if limits.expired:
                tick(f"{name}: not scanned")
                return ClusterScan(context=name, error=limits.late("not scanned"))
            try:
                source = factory()
            except (KubeError, OSError, ValueError) as exc:
                tick(f"{name}: failed")
                return ClusterScan(context=name, error=str(exc))
            result = self._scan_source(source, request, progress, limits)
            tick(f"{name}: {result.objects} objects, {len(result.results)} results")
            return result

        with scan_gc():  # the workers inherit its settings: forked inside it
            # Workers started for this scan only (the CLI starts them earlier, see start_workers).
            pool = self._start_workers(request.workers) if self._pool is None else None
            if pool is not None:
                self._pool = pool
            try:
                if len(sources) == 1:
                    report.clusters = [one(sources[0])]
                else:
                    with ThreadPoolExecutor(max_workers=min(self.cluster_concurrency, len(sources))) as threads:
                        report.clusters = list(threads.map(in_current_context(one), sources))
            finally:
                if pool is not None:
                    self._pool = None
                    pool.close()
        report.cancelled = limits.cancelled
        report.deadline_reached = limits.reached.is_set()
        return report

    def scan_source(
        self,
        source: ScanSource,
        request: ScanRequest,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> ClusterScan:
        """Scan one cluster or snapshot (``request.timeout`` is counted from now)."""
        seconds = request.timeout if request.timeout and request.timeout > 0 else None
        limits = _Limits(cancel, time.monotonic() + seconds if seconds else None, seconds)
        with scan_gc():
            return self._scan_source(source, request, progress, limits)

    def start_workers(self, count: int) -> None:
        """Fork ``count`` worker processes now, for the scans to come that ask for workers (see
        :attr:`ScanRequest.workers`): early, so that they hold as little of this process's memory as possible.
        Nothing is started when a thread runs already (the scans then evaluate in this process)."""
        if self._pool is None:
            self._pool = self._start_workers(count)

    @property
    def workers(self) -> int:
        """Worker processes started by :meth:`start_workers` and alive (0: none)."""
        return self._pool.size if self._pool is not None else 0

    def stop_workers(self) -> None:
        """Stop the workers :meth:`start_workers` started."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def _start_workers(self, count: int) -> WorkerPool | None:
        """``count`` worker processes for :meth:`scan`, or None to evaluate here: one was asked for, or a thread is
        alive already (forking it could leave a lock held in a child: the scan then runs in one process)."""
        if count <= 1:
            return None
        if threading.active_count() > 1:
            log.info("scan: %d threads are running, so the scan is evaluated in this process",
                     threading.active_count())
            return None
        try:
            pool = WorkerPool(self, count)
        except OSError as exc:
            log.warning("scan: worker processes could not be started (%s); evaluating in this process", exc)
            return None
        log.info("scan: evaluating in %d worker processes (pids %s)", count, ", ".join(map(str, pool.pids())))
        return pool

    def relevant_group(self, group: str) -> bool:
        """Whether some policy can match a type of API group ``group`` (in any version)."""
        return any(g in (group, "*") for g, _, _ in self.index.types())

    def _scan_source(
        self, source: ScanSource, request: ScanRequest, progress: ProgressCallback | None, limits: _Limits
    ) -> ClusterScan:
        scan = ClusterScan(context=source.name, server=source.server)
        for problem in getattr(source, "problems", ()):
            # A snapshot file or document that cannot be read: the scan is incomplete, and says so.
            scan.failures.append(TypeFailure(source.name, "manifests", "", "InvalidManifest", str(problem)))
        started = time.perf_counter()
        try:
            all_types = source.types(deadline=limits.deadline)
        except DeadlineExceeded as exc:
            scan.error = limits.late(f"not scanned ({exc.message})")
            return scan
        except KubeError as exc:
            scan.error = str(exc)
            return scan
        for gv, failure in sorted(source.discovery_failures().items()):
            # The types of this group version are unknown, not absent: unless no policy could match its group,
            # the scan did not cover them.
            if self.relevant_group(gv.rpartition("/")[0]):
                message = f"discovery of {gv} failed, so its resource types were not scanned: {failure.message}"
                if isinstance(failure, DeadlineExceeded):
                    scan.failures.append(TypeFailure(source.name, gv, "", DEADLINE, limits.late(message)))
                else:
                    scan.failures.append(TypeFailure(source.name, gv, "", failure.reason, message, failure.status))
        exception_lists = self._source_exceptions(source, all_types, scan, limits)
        exceptions = self.exceptions + [e for label, objects in exception_lists
                                        for e in exceptions_from(source.name, label, objects)]
        namespace_listing = self._namespaces(source, all_types, limits)
        namespaces = {
            str((o.get("metadata") or {}).get("name")): o
            for o in (namespace_listing.objects if namespace_listing else [])
        }
        wanted = self.wanted(all_types)
        if not request.include_cluster_scoped:
            wanted = [t for t in wanted if t.namespaced or _is_namespace_type(t)]
        # Namespaces are listed once: for namespaceObject, and as a scanned type when a policy matches them.
        if namespace_listing is not None and not any(_is_namespace_type(t) for t in wanted):
            scan.failures.extend(namespace_listing.failures)
            namespace_listing = None
        to_list = [t for t in wanted if not _is_namespace_type(t)]
        provider = SourceResources(source, all_types, limits.deadline)
        # Each piece of a listing is evaluated as soon as it arrives (while the next page is listed), so that what
        # was listed before a deadline is also evaluated; failures and results are put back in type order at the
        # end, so that output is stable.
        tallies: dict[int, _Tally] = {}
        pool = self._pool if request.workers > 1 and self._pool is not None and self._pool_lock.acquire(
            blocking=False) else None
        try:
            if pool is not None:
                pool.begin(source.name, request, namespaces, exception_lists, limits.deadline, provider)
                self._evaluate_in_workers(pool, source, to_list, namespace_listing, request, limits, progress,
                                          scan, tallies, started)
            else:
                with using_providers(Providers(resource=provider)):
                    self._evaluate_here(source, to_list, namespace_listing, namespaces, request, limits, progress,
                                        scan, tallies, exceptions, started)
        finally:
            if pool is not None:
                self._pool_lock.release()
        for order in sorted(tallies):
            scan.failures.extend(tallies[order].all_failures(scan.context, limits))
            scan.results.extend(tallies[order].results)
        scan.failures.extend(_unanswered_lookups(scan))
        return scan

    def _evaluate_here(
        self, source: ScanSource, to_list: list[ResourceType], namespace_listing: _Listing | None,
        namespaces: dict[str, dict[str, Any]], request: ScanRequest, limits: _Limits,
        progress: ProgressCallback | None, scan: ClusterScan, tallies: dict[int, _Tally],
        exceptions: list[PolicyException], started: float,
    ) -> None:
        """Evaluate every listed piece in this process, as it arrives."""
        listed = evaluated = 0
        with closing(self._listings(source, to_list, namespace_listing, request, limits)) as arriving:
            for order, listing in arriving:
                scan.list_seconds = time.perf_counter() - started
                tally = tallies.setdefault(order, _Tally(listing.rtype))
                tally.failures.extend(listing.failures)
                tally.listed += len(listing.objects)
                listed += len(listing.objects)
                freeze_loaded()
                eval_started = time.perf_counter()
                for index, obj in enumerate(listing.objects):
                    if limits.stopped:
                        if limits.expired:
                            tally.late += len(listing.objects) - index
                        break
                    self._evaluate(obj, listing.rtype, namespaces, scan, request, tally.results, exceptions)
                    evaluated += 1
                    if progress is not None and evaluated % 500 == 0:
                        progress(float(evaluated), float(listed), f"{source.name}: evaluated {evaluated}/{listed}")
                scan.eval_seconds += time.perf_counter() - eval_started
                if limits.cancelled:
                    break

    def _evaluate_in_workers(
        self, pool: WorkerPool, source: ScanSource, to_list: list[ResourceType], namespace_listing: _Listing | None,
        request: ScanRequest, limits: _Limits, progress: ProgressCallback | None, scan: ClusterScan,
        tallies: dict[int, _Tally], started: float,
    ) -> None:
        """Evaluate every listed piece in the worker processes, chunk by chunk, and merge what they send back in
        the order the chunks were sent (so that results and posture are those of one process)."""
        chunks: dict[int, tuple[int, int]] = {}  # chunk number -> (listing order, objects)
        finished: dict[int, Outcome] = {}
        merged = [0]
        counts = [0, 0]  # listed, evaluated

        def collect() -> None:
            for outcome in pool.outcomes():
                finished[outcome.seq] = outcome
            while merged[0] in finished:
                outcome = finished.pop(merged[0])
                order, size = chunks.pop(merged[0])
                tally = tallies[order]
                merged[0] += 1
                if isinstance(outcome, ChunkLost):
                    tally.lost[outcome.reason] += outcome.objects
                    continue
                done: ChunkDone = outcome
                tally.results.extend(done.results)
                merge_posture(scan.posture, done.posture, done.results)
                scan.scanned.update(done.scanned)
                tally.late += size - done.evaluated  # the worker met the deadline
                counts[1] += done.evaluated
                if progress is not None:
                    progress(float(counts[1]), float(counts[0]), f"{source.name}: evaluated {counts[1]}/{counts[0]}")

        def idle() -> None:
            pool.pump(0.01)
            collect()

        eval_started = time.perf_counter()
        seq = 0
        with closing(self._listings(source, to_list, namespace_listing, request, limits, idle)) as arriving:
            for order, listing in arriving:
                scan.list_seconds = time.perf_counter() - started
                tally = tallies.setdefault(order, _Tally(listing.rtype))
                tally.failures.extend(listing.failures)
                tally.listed += len(listing.objects)
                counts[0] += len(listing.objects)
                for start in range(0, len(listing.objects), CHUNK_OBJECTS):
                    if limits.stopped:
                        if limits.expired:
                            tally.late += len(listing.objects) - start
                        break
                    piece = listing.objects[start:start + CHUNK_OBJECTS]
                    chunks[seq] = (order, len(piece))
                    pool.submit(seq, listing.rtype, piece)
                    seq += 1
                    collect()
                if limits.cancelled:
                    break
            while pool.busy:
                idle()
            collect()
        scan.eval_seconds += time.perf_counter() - eval_started

    @staticmethod
    def _source_exceptions(source: ScanSource, types: list[ResourceType], scan: ClusterScan,
                           limits: _Limits) -> list[tuple[str, list[dict[str, Any]]]]:
        """The PolicyException objects the source holds, per type (Kyverno applies those of the cluster to its
        background scans too; see :func:`exceptions_from`); one that cannot be listed makes the scan incomplete."""
        found: list[tuple[str, list[dict[str, Any]]]] = []
        for rtype in types:
            if rtype.kind != "PolicyException" or rtype.group not in EXCEPTION_GROUPS:
                continue
            listing = _list_type(source, rtype, [None], limits)
            scan.failures.extend(listing.failures)
            found.append((rtype.label, listing.objects))
        return found

    def _namespaces(self, source: ScanSource, types: list[ResourceType], limits: _Limits) -> _Listing | None:
        """Every Namespace of the source (for ``namespaceObject``), or the failure to list them."""
        ns_type = next((t for t in types if _is_namespace_type(t)), None)
        return None if ns_type is None else _list_type(source, ns_type, [None], limits)

    def _listings(
        self,
        source: ScanSource,
        to_list: list[ResourceType],
        namespace_listing: _Listing | None,
        request: ScanRequest,
        limits: _Limits,
        idle: Callable[[], None] | None = None,
    ) -> Generator[tuple[int, _Listing], None, None]:
        """``(position, piece)`` of every type's listing as it is listed: the Namespace listing, already done, comes
        first and sorts last. A snapshot's types are read in order; a cluster's are listed ``type_concurrency`` at a
        time, each handed over a page (:data:`PAGE_OBJECTS`) at a time so that evaluation overlaps the listing of
        the next page, with at most :data:`PAGES_AHEAD` pages waiting (the last piece of a type carries its
        failures). ``idle`` is called while waiting."""
        if namespace_listing is not None:
            yield len(to_list), namespace_listing

        def scopes(rtype: ResourceType) -> list[str | None]:
            return list(request.namespaces) if request.namespaces and rtype.namespaced else [None]

        if isinstance(source, SnapshotSource) or not to_list:  # in memory already: nothing to overlap
            for i, rtype in enumerate(to_list):
                yield i, _list_type(source, rtype, scopes(rtype), limits)
            return
        # (position, piece or the error of a listing thread, whether it is the type's last piece)
        pieces: queue.Queue[tuple[int, _Listing | BaseException, bool]] = queue.Queue(maxsize=PAGES_AHEAD)
        closed = threading.Event()

        def put(item: tuple[int, _Listing | BaseException, bool]) -> None:
            while not closed.is_set():
                try:
                    pieces.put(item, timeout=0.1)
                    return
                except queue.Full:
                    continue
            raise _Cancelled  # nobody reads any more

        def list_one(position: int, rtype: ResourceType) -> None:
            try:
                emit = lambda objects: put((position, _Listing(rtype, objects, [], 0.0), False))  # noqa: E731
                put((position, _list_type(source, rtype, scopes(rtype), limits, emit), True))
            except _Cancelled:
                pass
            except BaseException as exc:  # a bug: the reader raises it
                with suppress(_Cancelled):
                    put((-1, exc, True))

        threads = ThreadPoolExecutor(max_workers=min(self.type_concurrency, len(to_list)))
        try:
            run = in_current_context(list_one)
            for position, rtype in enumerate(to_list):
                threads.submit(run, position, rtype)
            ends = 0
            while ends < len(to_list):
                try:
                    position, piece, last = pieces.get(timeout=0.01 if idle is not None else 0.5)
                except queue.Empty:
                    if idle is not None:
                        idle()
                    continue
                if isinstance(piece, BaseException):
                    raise piece
                ends += last
                yield position, piece
        finally:
            closed.set()
            while True:  # unblock listing threads waiting to put
                try:
                    pieces.get_nowait()
                except queue.Empty:
                    break
            threads.shutdown(wait=True, cancel_futures=True)

    def _evaluate(
        self,
        obj: dict[str, Any],
        rtype: ResourceType,
        namespaces: dict[str, dict[str, Any]],
        scan: ClusterScan,
        request: ScanRequest,
        results: MutableSequence[RuleResult],
        exceptions: list[PolicyException],
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
        evaluated = self._batch(rtype, policies, exceptions).evaluate(ctx, SCAN_OPTIONS)
        ref = reference(ctx)
        for _, result in evaluated:
            if result.resource is not SHARED_RESOURCE:
                results.append(result)
            elif isinstance(results, ResultStore):
                results.append_pass(result, ref)
            else:
                results.append(replace(result, resource=ref))
        # A shared pass result stands for the object's pass: the posture reads only its policy and outcome.
        scan.posture.observe(obj, evaluated)

    def _batch(self, rtype: ResourceType, policies: list[CompiledPolicy],
               exceptions: list[PolicyException]) -> TypeBatch:
        """The batch evaluating ``rtype`` with ``exceptions`` (one per source scanned: each has its exceptions)."""
        key = (rtype.group, rtype.version, rtype.resource, id(exceptions))
        batch = self._batches.get(key)
        if batch is None or batch.exceptions is not exceptions:
            if len(self._batches) >= 64:  # a long-lived scanner: keep the cache bounded
                self._batches.clear()
            batch = self._batches[key] = TypeBatch(policies, exceptions)
        return batch
