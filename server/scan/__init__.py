"""Scanning clusters and snapshots against policy sets, as Kyverno's background scan does: the sources (a cluster
through ``server/kube``, a snapshot), the scanner (the kinds whose spec says scans run them) and the report.

May import the engine, ``server/kube`` and ``server/redaction``; never ``server/commands``, ``server/mcp`` or
``server/core``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..kube import ClientRegistry
from .model import ClusterScan, ScanReport, ScanRequest, TypeFailure
from .runner import Scanner, left_out_of_scans, scannable
from .sources import ClusterSource, ScanSource, SnapshotSource

SourceFactory = tuple[str, Callable[[], ScanSource]]


def source_factories(request: ScanRequest, registry: ClientRegistry | None) -> list[SourceFactory]:
    """The sources a request names: a snapshot, explicit contexts, every allowed context, or the current one.

    Unknown or denied contexts fail when their factory is called, so that the other contexts are still scanned.
    """
    if request.snapshot:
        path = Path(request.snapshot)
        return [(f"snapshot:{path.name or path}", lambda: SnapshotSource(path))]
    if registry is None:
        raise ValueError("no kubeconfig or in-cluster configuration is available; use --snapshot to scan files")
    if request.all_contexts:
        names = registry.available()
    elif request.contexts:
        names = list(request.contexts)
    else:
        names = [registry.resolve(None)]

    def factory(name: str) -> Callable[[], ScanSource]:
        return lambda: ClusterSource(registry.client(name))

    return [(name, factory(name)) for name in names]


__all__ = [
    "ClusterScan",
    "ClusterSource",
    "ScanReport",
    "ScanRequest",
    "ScanSource",
    "Scanner",
    "SnapshotSource",
    "SourceFactory",
    "TypeFailure",
    "left_out_of_scans",
    "scannable",
    "source_factories",
]
