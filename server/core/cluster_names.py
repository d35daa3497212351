"""Names checked against a live cluster before anything is read under them: a namespace that does not exist is an
:class:`~.names.UnknownNameError` listing the closest existing ones, never an empty (clean) answer."""

from __future__ import annotations

from collections.abc import Iterable

from ..kube import KubeClient
from ..kube.errors import Forbidden, NotFound
from .names import UnknownNameError


def namespace_names(client: KubeClient) -> list[str] | None:
    """The namespaces of the cluster, or None when the credentials may not list them."""
    try:
        return sorted(str((o.get("metadata") or {}).get("name")) for o in client.list("", "v1", "namespaces"))
    except Forbidden:
        return None


def require_namespaces(client: KubeClient, names: Iterable[str]) -> None:
    """Check that every namespace of ``names`` exists in ``client``'s cluster.

    A namespace the credentials may not read (403) is accepted: the read that follows reports the denial itself.

    :raises UnknownNameError: for the first namespace that does not exist, with the closest existing names.
    """
    for name in dict.fromkeys(names):
        try:
            client.get("", "v1", "namespaces", name)
        except Forbidden:
            continue
        except NotFound:
            raise UnknownNameError("namespace", name, namespace_names(client) or [],
                                   where=f"context {client.context!r}") from None


__all__ = ["namespace_names", "require_namespaces"]
