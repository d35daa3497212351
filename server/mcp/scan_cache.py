"""Recent scan reports kept for ``cursor`` paging, bounded in entries, age and (estimated) bytes.

A report is large: a scan of 40,000 Pods against the default sets holds over a million results (about 500 bytes
each). The cache estimates each entry's size from its results (a constant per result plus its message, calibrated
with ``tracemalloc``), and evicts the oldest entries until the new one fits. A report bigger than the whole budget
is kept without its passing results (counts stay exact; paging with ``include_passing`` is refused with a message
that says why) when that fits, and not kept otherwise: its cursor then answers that the scan was too large to page,
and how to narrow it. Nothing here runs a scan again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from ..scan import ScanReport
from .errors import ToolInputError

#: Estimated bytes per kept result besides its message (RuleResult, its dict, empty properties/generated).
RESULT_BYTES = 480
#: Estimated bytes per report besides its results (clusters, failures, bookkeeping).
REPORT_BYTES = 4096
DEFAULT_MAX_BYTES = 128 * 1024 * 1024
MIB = 1024 * 1024


def estimate_bytes(report: ScanReport) -> int:
    """A cheap estimate of the memory ``report`` holds (one pass over its results, no deep size walk)."""
    size = REPORT_BYTES
    for cluster in report.clusters:
        size += len(cluster.results) * RESULT_BYTES + sum(len(r.message) for r in cluster.results)
        size += sum(256 + len(f.message) for f in cluster.failures)
        size += cluster.posture.estimated_bytes()
    return size


@dataclass(frozen=True)
class _Entry:
    created: float
    tool: str
    policy_sets: tuple[str, ...]
    report: ScanReport | None  # None: too large to keep (a tombstone that explains the cursor)
    size: int
    full_size: int


class ScanCache:
    """Recent scan reports by id, so that an agent can page through one scan without running it again.

    :param size: most reports kept.
    :param ttl: seconds a report is kept.
    :param max_bytes: the estimated memory all kept reports may hold together.
    """

    #: Tombstones (ids of reports too large to keep) remembered, so that their cursors explain themselves.
    MAX_TOMBSTONES = 64

    def __init__(self, size: int, ttl: float, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.size = max(1, size)
        self.ttl = ttl
        self.max_bytes = max(0, max_bytes)
        self._items: OrderedDict[str, _Entry] = OrderedDict()
        self._tombstones: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._counter = 0

    @property
    def bytes_used(self) -> int:
        """The estimated bytes of the reports kept now."""
        with self._lock:
            return sum(e.size for e in self._items.values())

    def put(self, tool: str, report: ScanReport, policy_sets: list[str]) -> str:
        """Store a report (and the sets it used), evicting the oldest ones as needed; return its id.

        The id is returned even when the report is too large to keep: its cursor then says so.
        """
        full_size = estimate_bytes(report)
        kept: ScanReport | None = report
        size = full_size
        if size > self.max_bytes:
            kept = report.without_passing()
            size = estimate_bytes(kept)
            if size > self.max_bytes:
                kept, size = None, 0
        with self._lock:
            self._counter += 1
            scan_id = f"s{self._counter}-{int(time.time()) % 100000}"
            entry = _Entry(time.monotonic(), tool, tuple(policy_sets), kept, size, full_size)
            if kept is None:
                self._tombstones[scan_id] = entry
                while len(self._tombstones) > self.MAX_TOMBSTONES:
                    self._tombstones.popitem(last=False)
                return scan_id
            self._expire(entry.created)
            while self._items and (len(self._items) >= self.size
                                   or sum(e.size for e in self._items.values()) + size > self.max_bytes):
                self._items.popitem(last=False)
            self._items[scan_id] = entry
            return scan_id

    def get(self, scan_id: str, tool: str, *, include_passing: bool = False) -> tuple[ScanReport, list[str]]:
        """The report of ``scan_id`` and its policy sets.

        :raises ToolInputError: when it expired, was evicted, was too large to keep, belongs to another tool, or
            passing results are asked for but were not kept.
        """
        with self._lock:
            self._expire(time.monotonic())
            entry = self._items.get(scan_id)
            tombstone = self._tombstones.get(scan_id)
        if entry is None and tombstone is not None:
            raise ToolInputError(
                f"this scan was too large to keep for paging (about {_mib(tombstone.full_size)} of results; the "
                f"server keeps at most {_mib(self.max_bytes)} of scans), so there are no further pages. Run "
                "the scan again narrower (fewer namespaces or policy_sets) or with a larger `limit`."
            )
        if entry is None or entry.report is None:
            raise ToolInputError(
                "this cursor has expired (the server keeps only the most recent scans, within a memory budget); run "
                "the scan again without `cursor`"
            )
        if entry.tool != tool:
            raise ToolInputError(f"this cursor belongs to {entry.tool}; pass it to {entry.tool}, not {tool}")
        if include_passing and entry.report.passing_omitted:
            raise ToolInputError(
                f"the passing results of this scan were not kept (about {_mib(entry.full_size)} of results; the "
                f"server keeps at most {_mib(self.max_bytes)} of scans): its failing, warning and erroring results "
                "can still be paged with include_passing=false, and every count is exact. To list passing results, "
                "run the scan again narrower (fewer namespaces or policy_sets)."
            )
        return entry.report, list(entry.policy_sets)

    def report(self, scan_id: str) -> ScanReport | None:
        """The kept report of ``scan_id`` (whichever tool ran it), or None when it is not kept (any more)."""
        with self._lock:
            self._expire(time.monotonic())
            entry = self._items.get(scan_id)
        return entry.report if entry is not None else None

    def _expire(self, now: float) -> None:
        for key in [k for k, e in self._items.items() if now - e.created > self.ttl]:
            del self._items[key]
        for key in [k for k, e in self._tombstones.items() if now - e.created > self.ttl]:
            del self._tombstones[key]


def _mib(size: int) -> str:
    return f"{size / MIB:.0f} MiB" if size >= MIB else f"{max(1, size // 1024)} KiB"


__all__ = ["DEFAULT_MAX_BYTES", "ScanCache", "estimate_bytes"]
