"""Kubernetes API paths of ``apiCall`` context entries, answered from an evaluation's resource provider.

A scan reads the cluster through a resource provider (``get``/``list`` of one API type), not a raw HTTP client, so a
``GET`` of ``/api/v1/namespaces/shop/pods`` or ``/apis/apps/v1/deployments/x`` is parsed into that call. Paths the
provider cannot serve (subresources, service URLs, other methods) are :class:`LookupUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..cel.providers import LookupUnavailable, ResourceProvider


@dataclass(frozen=True)
class ApiPath:
    """One object or list request: ``name`` is empty for a list."""

    api_version: str
    resource: str
    namespace: str = ""
    name: str = ""
    labels: dict[str, str] | None = None


def _labels(query: str) -> dict[str, str] | None:
    selector = (parse_qs(query).get("labelSelector") or [""])[0]
    if not selector:
        return None
    labels: dict[str, str] = {}
    for term in selector.split(","):
        key, sep, value = term.partition("=")
        if not sep or key.endswith("!") or any(c in key + value for c in "()! "):
            raise LookupUnavailable(f"label selector {selector!r} is not supported (only key=value terms)")
        labels[key.strip()] = value.lstrip("=").strip()
    return labels


def parse_api_path(url_path: str) -> ApiPath:
    """``/api/v1/namespaces/ns/pods[/name]`` or ``/apis/group/version/[namespaces/ns/]resource[/name]``.

    :raises LookupUnavailable: for any other path (a subresource, a field selector, a non-API path).
    """
    split = urlsplit(url_path)
    if set(parse_qs(split.query)) - {"labelSelector"}:
        raise LookupUnavailable(f"{url_path}: only labelSelector query parameters can be answered")
    parts = [p for p in split.path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        api_version, rest = parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        api_version, rest = f"{parts[1]}/{parts[2]}", parts[3:]
    else:
        raise LookupUnavailable(f"{url_path} is not a Kubernetes API resource path")
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if len(rest) not in (1, 2):
        raise LookupUnavailable(f"{url_path}: subresources and discovery paths cannot be answered here")
    return ApiPath(api_version, rest[0], namespace, rest[1] if len(rest) == 2 else "", _labels(split.query))


def get_api_path(provider: ResourceProvider, url_path: str) -> Any:
    """The object or list at ``url_path`` from ``provider``.

    :raises LookupError: when the object does not exist; :class:`LookupUnavailable` when it cannot be read.
    """
    path = parse_api_path(url_path)
    if path.name:
        found = provider.get(path.api_version, path.resource, path.namespace, path.name)
        if not found:
            raise LookupError(f"{path.resource} {path.name!r} not found")
        return found
    return provider.list(path.api_version, path.resource, path.namespace, path.labels)
