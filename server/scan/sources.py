"""Where a scan reads objects from: a live cluster (through :mod:`pykyverno.server.kube`) or an offline snapshot.

Both offer the same small surface: discovery of listable resource types (and of the group versions that could not
be discovered), listing one type (optionally in one namespace), and single-object reads for ``resource.Get`` /
``resource.List`` calls made by policies. ``deadline`` arguments are ``time.monotonic()`` instants that bound the
requests of a live cluster; a snapshot ignores them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pykyverno.engine.cel import LookupUnavailable
from pykyverno.engine.documents import expand_lists, iter_files, read_documents
from pykyverno.engine.errors import EngineError, LoadError
from pykyverno.engine.reader import gc_paused
from pykyverno.engine.request import split_api_version
from pykyverno.engine.resources import ResourceCatalog, is_namespaced, plural_for

from ..kube import Discovery, KubeClient
from ..kube.errors import ClusterError, KubeError, NotFound
from ..redaction import redact


@dataclass(frozen=True)
class ResourceType:
    """A listable resource type of one source."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def label(self) -> str:
        """``group/version/resource`` (``v1/pods`` for the core group)."""
        return f"{self.group}/{self.version}/{self.resource}" if self.group else f"{self.version}/{self.resource}"


class ScanSource(Protocol):
    """A cluster-like source of objects."""

    name: str
    server: str

    def types(self, *, deadline: float | None = None) -> list[ResourceType]:
        """Every listable type, preferred versions first (and only, for groups with several)."""
        ...

    def discovery_failures(self) -> Mapping[str, ClusterError]:
        """Group versions (``apps/v1``, ``v1``) whose types :meth:`types` could not learn, and why."""
        ...

    def list(self, rtype: ResourceType, namespace: str | None, *,
             deadline: float | None = None) -> Iterator[dict[str, Any]]:
        """Objects of a type, in one namespace or all."""
        ...

    def get(self, group: str, version: str, resource: str, namespace: str, name: str, *,
            deadline: float | None = None) -> dict[str, Any]:
        """One object; raise ``LookupError`` when absent."""
        ...


class ClusterSource:
    """A live cluster through one context's :class:`KubeClient`."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        self.name = client.context
        self.server = client.info.server if client.info else ""
        self._discovery: Discovery | None = None

    def types(self, *, deadline: float | None = None) -> list[ResourceType]:
        """Preferred-version listable resources from discovery (one discovery per source)."""
        if self._discovery is None:
            self._discovery = self.client.discover(deadline=deadline)
        return [
            ResourceType(r.group, r.version, r.resource, r.kind, r.namespaced)
            for r in self._discovery.preferred()
            if r.listable
        ]

    def discovery_failures(self) -> Mapping[str, ClusterError]:
        """The group versions the discovery behind :meth:`types` could not read."""
        return dict(self._discovery.errors) if self._discovery is not None else {}

    def list(self, rtype: ResourceType, namespace: str | None, *,
             deadline: float | None = None) -> Iterator[dict[str, Any]]:
        """Paginated listing (the client redacts every answer before anyone sees it)."""
        yield from self.client.list(rtype.group, rtype.version, rtype.resource, namespace=namespace,
                                    deadline=deadline)

    def get(self, group: str, version: str, resource: str, namespace: str, name: str, *,
            deadline: float | None = None) -> dict[str, Any]:
        """One object (redacted by the client)."""
        if deadline is not None and time.monotonic() >= deadline:
            raise LookupUnavailable(f"{resource} {name!r} was not read: the scan deadline has passed")
        try:
            return self.client.get(group, version, resource, name, namespace=namespace or None)
        except NotFound as exc:
            raise LookupError(str(exc)) from None
        except KubeError as exc:  # forbidden, unreachable, timed out: the cluster did not answer
            raise LookupUnavailable(str(exc)) from None


class SnapshotSource:
    """An offline cluster: manifests from files (multi-document YAML, ``kubectl get -o yaml`` lists)."""

    def __init__(self, path: str | Path, objects: Iterable[dict[str, Any]] | None = None) -> None:
        self.path = Path(path)
        self.name = f"snapshot:{self.path.name or self.path}"
        self.server = str(self.path)
        self.problems: list[str] = []
        self.catalog = ResourceCatalog()
        self.objects: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        # Read and redacted in one pause of the collector: what is kept lives as long as the scan (see gc_paused).
        with gc_paused():
            self._load(list(objects) if objects is not None else self._read())

    def _load(self, loaded: list[dict[str, Any]]) -> None:
        """Index the objects by type (CRDs first, for the plurals they declare), redacted."""
        for obj in loaded:
            if obj.get("kind") == "CustomResourceDefinition":
                self.catalog.add_crd(obj)
        for obj in loaded:
            api_version = str(obj.get("apiVersion") or "")
            kind = str(obj.get("kind") or "")
            if not api_version or not kind:
                self.problems.append(f"object without apiVersion/kind skipped: {obj.get('metadata', {})!r:.80}")
                continue
            group, version = split_api_version(api_version)
            key = (group, version, self._plural(api_version, kind))
            self.objects.setdefault(key, []).append(redact(obj))

    def _read(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if not self.path.exists():
            raise FileNotFoundError(f"snapshot {self.path} does not exist")
        for file in iter_files([self.path]):
            errors: list[LoadError] = []
            try:
                out.extend(doc.data for doc in expand_lists(read_documents(file, positions=False, errors=errors)))
            except EngineError as exc:
                self.problems.append(str(exc))
            self.problems.extend(str(error) for error in errors)
        return out

    def _plural(self, api_version: str, kind: str) -> str:
        found = self.catalog.by_kind(api_version, kind)
        return found.plural if found else plural_for(api_version, kind)

    def _namespaced(self, api_version: str, kind: str, items: list[dict[str, Any]]) -> bool:
        found = self.catalog.by_kind(api_version, kind)
        if found:
            return found.namespaced
        known = is_namespaced(api_version, kind)
        if known is not None:
            return known
        return any((o.get("metadata") or {}).get("namespace") for o in items)

    def types(self, *, deadline: float | None = None) -> list[ResourceType]:
        """The types present in the snapshot."""
        out = []
        for (group, version, plural), items in sorted(self.objects.items()):
            kind = str(items[0].get("kind"))
            api_version = f"{group}/{version}" if group else version
            out.append(ResourceType(group, version, plural, kind, self._namespaced(api_version, kind, items)))
        return out

    def discovery_failures(self) -> Mapping[str, ClusterError]:
        """None: a snapshot's types are what its files hold (unreadable files are its ``problems``)."""
        return {}

    def list(self, rtype: ResourceType, namespace: str | None, *,
             deadline: float | None = None) -> Iterator[dict[str, Any]]:
        """Objects of a type from the snapshot."""
        for obj in self.objects.get((rtype.group, rtype.version, rtype.resource), []):
            if namespace is None or (obj.get("metadata") or {}).get("namespace") == namespace:
                yield obj

    def get(self, group: str, version: str, resource: str, namespace: str, name: str, *,
            deadline: float | None = None) -> dict[str, Any]:
        """One object from the snapshot."""
        for obj in self.objects.get((group, version, resource), []):
            meta = obj.get("metadata") or {}
            if meta.get("name") == name and (meta.get("namespace") or "") == (namespace or ""):
                return obj
        raise LookupError(f'{resource} "{name}" not found')
