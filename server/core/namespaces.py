"""Namespaces a user or an agent asked to scan that do not exist: asked of the source (a cluster or a snapshot),
so that a typo (``-n shopp``) is an error naming the close matches instead of an empty, clean-looking scan."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..kube import KubeClient
from ..kube.errors import KubeError, NotFound
from .names import UnknownNameError


def snapshot_namespaces(objects: Iterable[Mapping[str, Any]]) -> set[str]:
    """The namespaces a set of manifests knows: its Namespace objects and every object's ``metadata.namespace``."""
    known: set[str] = set()
    for obj in objects:
        metadata = obj.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            continue
        if obj.get("kind") == "Namespace" and metadata.get("name"):
            known.add(str(metadata["name"]))
        if metadata.get("namespace"):
            known.add(str(metadata["namespace"]))
    return known


def require_snapshot_namespaces(wanted: Sequence[str], objects: Iterable[Mapping[str, Any]], where: str) -> None:
    """:class:`UnknownNameError` for the first of ``wanted`` that ``objects`` do not know."""
    known = snapshot_namespaces(objects)
    for name in wanted:
        if name not in known:
            raise UnknownNameError("namespace", name, known, where=where)


def require_cluster_namespaces(client: KubeClient, wanted: Sequence[str]) -> None:
    """:class:`UnknownNameError` for the first of ``wanted`` the cluster answers 404 for (with the close matches when
    the namespaces can be listed). Any other answer (403, unreachable) is left to the scan, which reports it."""
    for name in wanted:
        try:
            client.get("", "v1", "namespaces", name)
        except NotFound:
            raise UnknownNameError("namespace", name, _listable(client), where=f"context {client.context!r}") from None
        except KubeError:
            continue


def _listable(client: KubeClient) -> list[str]:
    try:
        return [str((o.get("metadata") or {}).get("name") or "") for o in client.list("", "v1", "namespaces")]
    except KubeError:
        return []
