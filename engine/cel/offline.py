"""Offline providers: the outside world as a ``kyverno-test.yaml`` describes it.

Built from plain, already parsed documents:

* :class:`OfflineResources`: objects (Context ``spec.resources``, cluster/target resources) served to
  ``resource.Get``/``List`` by apiVersion, plural resource, namespace and name; ``Post`` is recorded, never sent.
* :class:`OfflineImageData`: Context ``spec.images`` served to ``image.GetMetadata``.
* :class:`OfflineHttp`: ``apiCallResponses[] {url|urlPath, method, response{statusCode, body}}`` for ``http.*``.
* :class:`OfflineGlobalContext`: ``globalContextEntries[] {name, data|resources, fieldPath, projections}``.
* :class:`RecordingGenerator`: collects what ``generator.Apply`` would create.

:func:`offline_providers` assembles them into a :class:`~.providers.Providers`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..errors import LoadError
from ..reader import load_json
from ..resources import ResourceCatalog, guess_plural, split_api_version
from .libs.kyverno_image import ImageReferenceError, parse_reference
from .providers import LookupUnavailable, Providers

#: Evaluates a global-context projection path against the entry's data.
PathEvaluator = Callable[[str, Any], Any]

_DROPPED_ON_CREATE = ("resourceVersion", "uid", "creationTimestamp", "managedFields", "selfLink", "generation")


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


class OfflineResources:
    """A read-only object store answering ``resource.Get``/``List``; records ``resource.Post``.

    ``objects`` are Kubernetes objects; ``crds`` are CustomResourceDefinition documents that teach the store the
    plural names and scopes of custom kinds (unknown kinds get Kubernetes' conventional plural). A namespaced object
    written without a namespace lives in ``default_namespace``.
    """

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]] = (),
        crds: Iterable[Mapping[str, Any]] = (),
        *,
        catalog: ResourceCatalog | None = None,
        default_namespace: str = "default",
    ) -> None:
        self.catalog = catalog or ResourceCatalog()
        self.default_namespace = default_namespace
        self.posted: list[dict[str, Any]] = []
        self._objects: list[dict[str, Any]] = []
        for crd in crds:
            self.catalog.add_crd(crd)
        for obj in objects:
            self.add(obj)

    def add(self, obj: Mapping[str, Any]) -> None:
        """Add one object (or every item of a ``List`` object)."""
        items = obj.get("items")
        if isinstance(items, list) and str(obj.get("kind", "")).endswith("List"):
            for item in items:
                self.add(item)
            return
        if obj.get("kind") == "CustomResourceDefinition":
            self.catalog.add_crd(obj)
        self._objects.append(copy.deepcopy(dict(obj)))

    def _plural(self, obj: Mapping[str, Any]) -> str:
        return self.catalog.plural_for(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))

    def _namespaced(self, obj: Mapping[str, Any]) -> bool:
        known = self.catalog.is_namespaced(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        return bool(_metadata(obj).get("namespace")) if known is None else known

    def _namespace_of(self, obj: Mapping[str, Any]) -> str:
        if not self._namespaced(obj):
            return ""
        return str(_metadata(obj).get("namespace") or self.default_namespace)

    def _matching(self, api_version: str, resource: str) -> list[dict[str, Any]]:
        group, version = split_api_version(api_version)
        plural = resource.lower().partition("/")[0]
        found = []
        for obj in self._objects:
            obj_group, obj_version = split_api_version(str(obj.get("apiVersion", "")))
            if obj_group == group and obj_version == version and self._plural(obj) == plural:
                found.append(obj)
        return found

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        """The object, or ``LookupError`` ('<resource> "<name>" not found', as the API server says)."""
        for obj in self._matching(api_version, resource):
            if _metadata(obj).get("name") != name:
                continue
            if self._namespaced(obj) and namespace and self._namespace_of(obj) != namespace:
                continue
            return copy.deepcopy(obj)
        group, _ = split_api_version(api_version)
        qualified = f"{resource}.{group}" if group else resource
        raise LookupError(f'{qualified} "{name}" not found')

    def list(
        self, api_version: str, resource: str, namespace: str, labels: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """A list object of the matching objects (``""`` namespace lists all), sorted by namespace and name."""
        items = []
        for obj in self._matching(api_version, resource):
            if namespace and self._namespaced(obj) and self._namespace_of(obj) != namespace:
                continue
            obj_labels = _metadata(obj).get("labels") or {}
            if labels and any(obj_labels.get(key) != value for key, value in labels.items()):
                continue
            items.append(copy.deepcopy(obj))
        items.sort(key=lambda o: (self._namespace_of(o), str(_metadata(o).get("name", ""))))
        kind = self.catalog.kind_for(api_version, resource)
        if kind is None:
            kind = str(items[0].get("kind")) if items else resource[:1].upper() + resource[1:]
        return {"apiVersion": api_version, "kind": f"{kind}List", "metadata": {"resourceVersion": ""}, "items": items}

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record ``obj`` as created in ``namespace`` and return it (never sent anywhere)."""
        created = copy.deepcopy(obj)
        created.setdefault("apiVersion", api_version)
        if "kind" not in created:
            kind = self.catalog.kind_for(api_version, resource)
            if kind:
                created["kind"] = kind
        if namespace:
            created.setdefault("metadata", {})["namespace"] = namespace
        self.posted.append(created)
        return copy.deepcopy(created)


class OfflineImageData:
    """Image metadata from a Context's ``spec.images`` (``{image, resolvedImage, registry, repository, tag,
    digest, imageIndex, manifest, config}``), looked up by the exact reference, then by normalized reference."""

    def __init__(self, images: Iterable[Mapping[str, Any]] = ()) -> None:
        self._exact: dict[str, dict[str, Any]] = {}
        self._normalized: dict[str, dict[str, Any]] = {}
        for entry in images:
            image = str(entry.get("image") or "")
            if not image:
                raise ValueError("Context spec.images entry without 'image'")
            data = self._complete(image, dict(entry))
            self._exact[image] = data
            key = _normalized_image(image)
            if key:
                self._normalized.setdefault(key, data)

    @staticmethod
    def _complete(image: str, data: dict[str, Any]) -> dict[str, Any]:
        try:
            ref = parse_reference(image)
        except ImageReferenceError:
            return data
        data.setdefault("resolvedImage", image)
        data.setdefault("registry", ref.registry)
        data.setdefault("repository", ref.repository)
        data.setdefault("identifier", ref.identifier)
        data.setdefault("tag", ref.tag)
        data.setdefault("digest", ref.digest)
        return data

    def get_metadata(self, image: str) -> dict[str, Any]:
        """The metadata of ``image``; ``LookupError`` when the Context does not describe it."""
        found = self._exact.get(image) or self._normalized.get(_normalized_image(image) or "\0")
        if found is None:
            raise LookupUnavailable(f"image {image} is not described in the Context spec.images")
        return copy.deepcopy(found)


def _normalized_image(image: str) -> str | None:
    try:
        ref = parse_reference(image)
    except ImageReferenceError:
        return None
    return f"{ref.registry}/{ref.repository}@{ref.identifier}"


@dataclass(frozen=True)
class ApiCallResponse:
    """One mocked HTTP answer: matches ``method`` and either the full ``url`` or the URL's ``url_path``."""

    method: str
    url: str
    url_path: str
    status_code: int
    body: Any


class OfflineHttp:
    """Answers ``http.Get``/``http.Post`` from ``apiCallResponses``; records every request in ``requests``."""

    def __init__(self, api_call_responses: Iterable[Mapping[str, Any]] = ()) -> None:
        self.responses: list[ApiCallResponse] = []
        self.requests: list[dict[str, Any]] = []
        for entry in api_call_responses:
            response = entry.get("response") or {}
            self.responses.append(ApiCallResponse(
                method=str(entry.get("method") or "GET").upper(),
                url=str(entry.get("url") or ""),
                url_path=str(entry.get("urlPath") or ""),
                status_code=int(response.get("statusCode") or 200),
                body=response.get("body"),
            ))

    def request(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """The mocked body for ``method url``: JSON text is decoded; ``LookupError`` when nothing matches."""
        self.requests.append({"method": method, "url": url, "body": body, "headers": dict(headers or {})})
        path = urlsplit(url).path
        for response in self.responses:
            if response.method != method.upper():
                continue
            if (response.url and response.url == url) or (response.url_path and response.url_path == path):
                return _decoded_body(response.body)
        raise LookupUnavailable(f"no apiCallResponses entry for {method.upper()} {url}")


def _decoded_body(body: Any) -> Any:
    if isinstance(body, str):
        try:
            return load_json(body, "apiCallResponses body", unique_keys=False)
        except LoadError:
            return body
    return copy.deepcopy(body)


_PATH_TOKEN = re.compile(r'\s*(?:\.?([A-Za-z_][A-Za-z0-9_-]*)|\.?"((?:[^"\\]|\\.)*)"|\[(-?\d+)\]|\[\*\]|\[\])')


def simple_path(path: str, data: Any) -> Any:
    """Evaluate a JMESPath subset: ``@``, dotted fields (quoted ones too), ``[n]`` indexes and ``[*]``/``[]``
    projections. Missing fields give ``None``, as JMESPath does. Raise ``ValueError`` on other syntax."""
    text = path.strip()
    if text in ("", "@"):
        return data
    values: list[Any] = [data]
    projected = False
    pos = 0
    while pos < len(text):
        match = _PATH_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"unsupported path syntax at {pos} in {path!r} (only fields, [n] and [*])")
        pos = match.end()
        name = match.group(1) if match.group(1) is not None else match.group(2)
        if name is not None:
            values = [v.get(name) if isinstance(v, Mapping) else None for v in values]
        elif match.group(3) is not None:
            index = int(match.group(3))
            values = [v[index] if isinstance(v, list) and -len(v) <= index < len(v) else None for v in values]
        else:
            flattened: list[Any] = []
            for value in values:
                if isinstance(value, list):
                    flattened.extend(value)
            values = flattened
            projected = True
        if projected:
            values = [v for v in values if v is not None]
    return values if projected else values[0]


class OfflineGlobalContext:
    """Answers ``globalContext.Get`` from ``globalContextEntries``.

    An entry's value is its ``data`` or its ``resources`` list (after ``fieldPath``, if any). Projections
    (``{name, path}``) are evaluated with ``path_evaluator`` (a JMESPath subset by default). ``Get(name, "")`` returns
    the value; when the value is a map and the entry has projections, the projections are merged into it under their
    names (the Kyverno CLI test ``mock-global-context`` reads a projection that way).
    """

    def __init__(
        self, entries: Iterable[Mapping[str, Any]] = (), *, path_evaluator: PathEvaluator = simple_path
    ) -> None:
        self._evaluate = path_evaluator
        self._entries: dict[str, Mapping[str, Any]] = {}
        for entry in entries:
            name = str(entry.get("name") or "")
            if not name:
                raise ValueError("globalContextEntries entry without 'name'")
            self._entries[name] = entry

    def _value(self, entry: Mapping[str, Any]) -> Any:
        source = entry["data"] if "data" in entry else list(entry.get("resources") or [])
        value = copy.deepcopy(source)
        field_path = entry.get("fieldPath")
        return self._evaluate(str(field_path), value) if field_path else value

    def get(self, entry: str, projection: str = "") -> Any:
        """The entry's value, or one projection; ``LookupError`` for unknown entries or projections."""
        found = self._entries.get(entry)
        if found is None:
            raise LookupUnavailable(f"global context entry {entry!r} not found")
        value = self._value(found)
        projections = {str(p.get("name")): str(p.get("path") or "") for p in found.get("projections") or ()}
        if projection:
            if projection not in projections:
                raise LookupError(f"projection {projection!r} not found in global context entry {entry!r}")
            return self._evaluate(projections[projection], value)
        if projections and isinstance(value, dict):
            merged = dict(value)
            for name, path in projections.items():
                merged[name] = self._evaluate(path, value)
            return merged
        return value


@dataclass
class RecordingGenerator:
    """Collects what ``generator.Apply`` would create: ``calls`` keeps each ``(namespace, objects)`` call,
    ``generated`` the objects as they would be created (namespace set when one is given, server fields dropped)."""

    calls: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    generated: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, namespace: str, objects: list[dict[str, Any]]) -> None:
        """Record ``objects`` for creation in ``namespace``."""
        copies = [copy.deepcopy(obj) for obj in objects]
        self.calls.append((namespace, copies))
        for obj in copies:
            created = copy.deepcopy(obj)
            metadata = created.setdefault("metadata", {})
            if namespace:
                metadata["namespace"] = namespace
            for key in _DROPPED_ON_CREATE:
                metadata.pop(key, None)
            created.pop("status", None)
            self.generated.append(created)


def offline_providers(
    context: Mapping[str, Any] | None = None,
    *,
    resources: Iterable[Mapping[str, Any]] = (),
    crds: Iterable[Mapping[str, Any]] = (),
    api_call_responses: Iterable[Mapping[str, Any]] = (),
    global_context_entries: Iterable[Mapping[str, Any]] = (),
    policy_namespace: str = "",
    path_evaluator: PathEvaluator = simple_path,
) -> Providers:
    """Providers for a ``kyverno test`` run: ``context`` is the Context document (its ``spec.resources`` and
    ``spec.images``), ``resources`` more objects (cluster or target resources), ``crds`` their definitions."""
    spec = (context or {}).get("spec") or {}
    objects = [*(spec.get("resources") or ()), *resources]
    return Providers(
        resource=OfflineResources(objects, crds),
        http=OfflineHttp(api_call_responses),
        global_context=OfflineGlobalContext(global_context_entries, path_evaluator=path_evaluator),
        image_data=OfflineImageData(spec.get("images") or ()),
        generator=RecordingGenerator(),
        policy_namespace=policy_namespace,
    )


__all__ = [
    "ApiCallResponse",
    "OfflineGlobalContext",
    "OfflineHttp",
    "OfflineImageData",
    "OfflineResources",
    "PathEvaluator",
    "RecordingGenerator",
    "guess_plural",
    "offline_providers",
    "simple_path",
]
