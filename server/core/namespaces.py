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


def missing_namespaces(client: KubeClient, wanted: Sequence[str]) -> list[str] | None:
    """The namespaces of ``wanted`` the cluster answers 404 for; None when it answered none of the requests (403,
    unreachable): the scan then reports what it could not list."""
    missing = []
    answered = False
    for name in wanted:
        try:
            client.get("", "v1", "namespaces", name)
            answered = True
        except NotFound:
            missing.append(name)
            answered = True
        except KubeError:
            continue
    return missing if answered else None


def namespace_names(client: KubeClient) -> list[str]:
    """Every namespace of the cluster, or none when they cannot be listed (close matches are then not offered)."""
    try:
        return [str((o.get("metadata") or {}).get("name") or "") for o in client.list("", "v1", "namespaces")]
    except KubeError:
        return []


def require_cluster_namespaces(clients: Sequence[KubeClient], wanted: Sequence[str]) -> dict[str, list[str]]:
    """:class:`UnknownNameError` for the first of ``wanted`` that no cluster of ``clients`` that answered has (with
    the close matches); otherwise the namespaces that exist in some clusters only, with the contexts that lack them."""
    absent: dict[str, list[str]] = {}
    answering = []
    for client in clients:
        missing = missing_namespaces(client, wanted)
        if missing is None:
            continue
        answering.append(client)
        for name in missing:
            absent.setdefault(name, []).append(client.context)
    for name, contexts in absent.items():
        if len(contexts) == len(answering):
            known = [n for client in answering for n in namespace_names(client)]
            where = f"context {contexts[0]!r}" if len(contexts) == 1 else f"any of the contexts {', '.join(contexts)}"
            raise UnknownNameError("namespace", name, known, where=where)
    return absent
