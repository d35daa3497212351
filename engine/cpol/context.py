"""Kyverno's JSON context for ClusterPolicy rules (``pkg/engine/context``): the data ``{{ }}`` variables read.

A :class:`JsonContext` holds one JSON document, built by :func:`request_context` from the admission request the
way Kyverno builds it for the CLI and background scans (``request.object`` or ``request.oldObject`` for DELETE,
``request.namespace``, ``request.operation``, ``images``; ``request.userInfo``/``roles``/``clusterRoles`` and
``serviceAccountName``/``serviceAccountNamespace`` only when user information is given) or, with
``full_request=True``, from the whole AdmissionRequest as the admission webhook does.

Updates never modify the caller's objects: every change copies the maps along its path, so a checkpoint is just
the previous root. Rule ``context`` entries are loaded by :func:`load_context_entries` in order, each deferred
until a query first mentions its name (Kyverno's lazy loading: an entry that fails but is never used does not fail
the rule). Entries reaching outside the engine go through the providers in :class:`ContextSources`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..cel.providers import GlobalContextProvider
from ..jmespath import JMESPathError, QuerySyntaxError, compile_query
from ..jmespath.images import ImageReferenceError, image_info
from ..request import AdmissionContext

__all__ = [
    "ApiCallProvider",
    "ApiCallRequest",
    "ConfigMapProvider",
    "ContextLoadError",
    "ContextSources",
    "ImageRegistryProvider",
    "JsonContext",
    "extract_images",
    "load_context_entries",
    "request_context",
    "service_account",
    "split_name",
]

SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


class ContextLoadError(JMESPathError):
    """A context entry could not be loaded; the message names the entry."""


class ConfigMapProvider(Protocol):
    """Answers ``configMap`` context entries."""

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        """Return the ConfigMap object; raise ``LookupError`` when it does not exist."""
        ...


@dataclass(frozen=True)
class ApiCallRequest:
    """One ``apiCall`` after variable substitution: a Kubernetes API path or a service URL."""

    method: str = "GET"
    url_path: str = ""
    service_url: str = ""
    ca_bundle: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    data: dict[str, Any] | None = None


class ApiCallProvider(Protocol):
    """Answers ``apiCall`` context entries (the cluster in scans, the Test file's responses in tests)."""

    def call(self, request: ApiCallRequest) -> Any:
        """Return the decoded JSON response; raise ``LookupError`` (or ``OSError``) on failure."""
        ...


class ImageRegistryProvider(Protocol):
    """Answers ``imageRegistry`` context entries."""

    def get(self, reference: str) -> dict[str, Any]:
        """Return ``{image, resolvedImage, registry, repository, identifier, manifest, configData}``."""
        ...


@dataclass(frozen=True)
class ContextSources:
    """Providers of the evaluation in progress; ``overridden`` names entries preset by values files (skipped)."""

    config_maps: ConfigMapProvider | None = None
    api_calls: ApiCallProvider | None = None
    global_context: GlobalContextProvider | None = None
    image_registry: ImageRegistryProvider | None = None
    overridden: frozenset[str] = frozenset()
    #: Kyverno's CLI does not load configMap/apiCall/globalReference entries it has no source for; the entry's
    #: name then stays undefined and a query using it fails with "Unknown key". With False a missing provider is a
    #: load error instead.
    skip_unavailable: bool = False


def split_name(dotted_name: str) -> list[str]:
    """``a.b."c.d"`` -> ``["a", "b", "c.d"]``: dots inside double quotes do not split (values files quote keys)."""
    parts: list[str] = []
    current, quoted, escaped = "", False, False
    for char in dotted_name:
        if quoted:
            if escaped:
                current += char
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
            else:
                current += char
        elif char == '"':
            quoted = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _with(base: Mapping[str, Any] | None, path: Sequence[str], value: Any, merge: bool) -> dict[str, Any]:
    """A copy of ``base`` with ``value`` set (or deep-merged) at ``path``; only the maps on the path are copied."""
    result = dict(base) if isinstance(base, Mapping) else {}
    head = path[0]
    if len(path) > 1:
        result[head] = _with(result.get(head), path[1:], value, merge)
    elif merge and isinstance(value, Mapping) and isinstance(result.get(head), Mapping):
        merged = dict(result[head])
        for key, item in value.items():
            merged = _with(merged, [key], item, merge=True)
        result[head] = merged
    else:
        result[head] = value
    return result


@dataclass
class _Deferred:
    name: str
    load: Callable[[], None]
    pattern: re.Pattern[str]


@dataclass
class JsonContext:
    """The data variables are resolved against, with deferred entries and checkpoints."""

    data: dict[str, Any] = field(default_factory=dict)
    _deferred: list[_Deferred] = field(default_factory=list)
    _checkpoints: list[tuple[dict[str, Any], list[_Deferred]]] = field(default_factory=list)
    _loading_limit: int | None = None

    def query(self, expression: str) -> Any:
        """Evaluate a JMESPath expression on the context (loading the deferred entries it mentions)."""
        text = expression.strip()
        if not text:
            raise JMESPathError("invalid query (nil)")
        self._load_deferred(text)
        try:
            query = compile_query(text)
        except QuerySyntaxError as exc:
            raise QuerySyntaxError(f"incorrect query {text}: {exc}") from None
        return query.search(self.data)

    def set(self, dotted_name: str, value: Any) -> None:
        """Set a variable; a dotted name (``a.b.c``, ``a."b.c"``) creates nested objects, maps are merged."""
        self.data = _with(self.data, split_name(dotted_name), value, merge=True)

    def replace(self, dotted_name: str, value: Any) -> None:
        """Set a variable, replacing any previous value at that name instead of merging into it."""
        self.data = _with(self.data, split_name(dotted_name), value, merge=False)

    def set_all(self, values: Mapping[str, Any]) -> None:
        """:meth:`set` for each (dotted name, value), as values files do."""
        for name, value in values.items():
            self.set(name, value)

    def add_element(self, element: Any, index: int, depth: int = 0) -> None:
        """``element``/``elementIndex`` and ``element<depth>``/``elementIndex<depth>`` of a foreach iteration."""
        self.data = {**self.data, "element": element, f"element{depth}": element, "elementIndex": index,
                     f"elementIndex{depth}": index}

    def defer(self, name: str, load: Callable[[], None]) -> None:
        """Register a loader that runs the first time a query mentions ``name`` as a whole word."""
        pattern = re.compile(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])")
        self._deferred.append(_Deferred(name, load, pattern))

    def _load_deferred(self, text: str) -> None:
        # While an entry loads, only the entries registered before it may load (a later entry of the same name
        # reads this one's value, never the reverse).
        while self._deferred:
            eligible = self._deferred[: self._loading_limit] if self._loading_limit is not None else self._deferred
            index = next((i for i, d in enumerate(eligible) if d.pattern.search(text)), None)
            if index is None:
                return
            entry = self._deferred.pop(index)
            outer = self._loading_limit
            self._loading_limit = index
            try:
                entry.load()
            finally:
                self._loading_limit = outer if outer is None else min(outer, len(self._deferred))

    def load_all_deferred(self) -> None:
        """Load every pending entry now (in order), as eager loading would."""
        while self._deferred:
            self._deferred.pop(0).load()

    def checkpoint(self) -> None:
        """Remember the current data (restored by :meth:`restore` / :meth:`reset`)."""
        self._checkpoints.append((self.data, list(self._deferred)))

    def reset(self) -> None:
        """Go back to the last checkpoint, keeping it."""
        if self._checkpoints:
            data, deferred = self._checkpoints[-1]
            self.data, self._deferred = data, list(deferred)

    def restore(self) -> None:
        """Go back to the last checkpoint and drop it."""
        if self._checkpoints:
            self.data, self._deferred = self._checkpoints.pop()


def service_account(username: str) -> tuple[str, str]:
    """(name, namespace) Kyverno derives from a username (it only strips the prefix length and splits on ``:``)."""
    rest = username[len(SERVICE_ACCOUNT_PREFIX):] if len(username) > len(SERVICE_ACCOUNT_PREFIX) else ""
    parts = rest.split(":")
    return (parts[1], parts[0]) if len(parts) >= 2 else ("", "")


def _pod_spec_path(kind: str) -> tuple[str, ...]:
    if kind == "Pod":
        return ("spec",)
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template", "spec")
    return ("spec", "template", "spec")


def extract_images(resource: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The ``images`` variable of a resource, and the errors of images that do not parse (those are left out)."""
    spec: Any = resource
    path = _pod_spec_path(str(resource.get("kind") or ""))
    for key in path:
        spec = spec.get(key) if isinstance(spec, Mapping) else None
    images: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    if not isinstance(spec, Mapping):
        return images, errors
    for list_name in _CONTAINER_LISTS:
        containers = spec.get(list_name)
        if not isinstance(containers, list):
            continue
        for index, container in enumerate(containers):
            if not isinstance(container, Mapping) or not isinstance(container.get("image"), str):
                continue
            pointer = "/" + "/".join((*path, list_name, str(index), "image"))
            try:
                info = image_info(container["image"], pointer)
            except ImageReferenceError as exc:
                errors.append(f"{pointer}: {exc}")
                continue
            images.setdefault(list_name, {})[str(container.get("name") or "")] = info.to_context()
    return images, errors


def request_context(admission: AdmissionContext, *, full_request: bool = False,
                    with_user_info: bool | None = None) -> JsonContext:
    """The JSON context of one request, as Kyverno's CLI and background scans build it (see the module doc).

    ``with_user_info`` adds ``request.userInfo``/``roles``/``clusterRoles`` and the service account variables;
    by default it is on when the admission context carries a username.
    """
    subject = admission.subject
    if full_request:
        request = dict(admission.request())
    else:
        request = {"operation": admission.operation, "namespace": admission.resource().namespace}
        if admission.operation == "DELETE":
            request["oldObject"] = subject
        else:
            request["object"] = admission.object if admission.object is not None else {}
            if admission.old_object is not None:
                request["oldObject"] = admission.old_object
    data: dict[str, Any] = {"request": request}
    username = str(admission.user_info.get("username") or "")
    if with_user_info is None:
        with_user_info = bool(admission.user_info)
    if with_user_info:
        request["userInfo"] = {"username": username, "groups": [], **admission.user_info}
        request["roles"] = list(admission.roles)
        request["clusterRoles"] = list(admission.cluster_roles)
        name, namespace = service_account(username)
        data["serviceAccountName"], data["serviceAccountNamespace"] = name, namespace
    images, _ = extract_images(subject)
    if images:
        data["images"] = images
    return JsonContext(data)


# --- context entries -----------------------------------------------------------------------------------------------

Substitute = Callable[[Any, JsonContext], Any]


def _apply_jmespath(path: str, value: Any, entry: str) -> Any:
    try:
        return compile_query(path).search(value)
    except JMESPathError as exc:
        raise ContextLoadError(f"failed to apply jmespath {path} for context entry {entry}: {exc}") from None


def _substituted(substitute: Substitute, value: Any, ctx: JsonContext, entry: str, what: str) -> Any:
    try:
        return substitute(value, ctx)
    except JMESPathError as exc:
        raise ContextLoadError(f"failed to substitute variables in context entry {entry} {what}: {exc}") from None


def _load_variable(entry: Mapping[str, Any], ctx: JsonContext, substitute: Substitute) -> None:
    name = str(entry["name"])
    spec = entry.get("variable") or {}
    path = ""
    if spec.get("jmesPath"):
        path = str(_substituted(substitute, spec["jmesPath"], ctx, name, "jmesPath"))
    default = _substituted(substitute, spec["default"], ctx, name, "default") if "default" in spec else None
    output: Any = None
    if "value" in spec:
        value = _substituted(substitute, spec["value"], ctx, name, "value")
        if not path:
            output = value
        else:
            try:
                output = compile_query(path).search(value)
            except JMESPathError as exc:
                if default is None:
                    raise ContextLoadError(f"failed to apply jmespath {path} to variable {name}: {exc}") from None
    elif path:
        try:
            output = ctx.query(path)
        except JMESPathError as exc:
            if default is None:
                raise ContextLoadError(f"failed to apply jmespath {path} to variable {name}: {exc}") from None
    if output is None:
        output = default
    if output is None:
        raise ContextLoadError(f"unable to add context entry for variable {name} since it evaluated to nil")
    ctx.replace(name, output)


def _store(entry: Mapping[str, Any], spec: Mapping[str, Any], data: Any, ctx: JsonContext,
           substitute: Substitute) -> None:
    name = str(entry["name"])
    if spec.get("jmesPath"):
        path = str(_substituted(substitute, spec["jmesPath"], ctx, name, "jmesPath"))
        data = _apply_jmespath(path, data, name)
    ctx.set(name, data)


def _load_config_map(entry: Mapping[str, Any], ctx: JsonContext, substitute: Substitute,
                     provider: ConfigMapProvider) -> None:
    name = str(entry["name"])
    spec = entry.get("configMap") or {}
    map_name = str(_substituted(substitute, spec.get("name", ""), ctx, name, "configMap.name"))
    namespace = str(_substituted(substitute, spec.get("namespace", ""), ctx, name, "configMap.namespace") or "")
    namespace = namespace or "default"
    try:
        found = provider.get(namespace, map_name)
    except LookupError as exc:
        raise ContextLoadError(f"failed to retrieve config map for context entry {name}: failed to get configmap "
                               f"{namespace}/{map_name} : {exc}") from None
    ctx.set(name, {"data": found.get("data"), "metadata": found.get("metadata") or {}})


def _api_call_request(spec: Mapping[str, Any]) -> ApiCallRequest:
    service = spec.get("service") or {}
    headers = tuple((str(h.get("key", "")), str(h.get("value", ""))) for h in service.get("headers") or [])
    data = {str(item.get("key")): item.get("value") for item in spec.get("data") or []} if spec.get("data") else None
    return ApiCallRequest(method=str(spec.get("method") or "GET"), url_path=str(spec.get("urlPath") or ""),
                          service_url=str(service.get("url") or ""), ca_bundle=str(service.get("caBundle") or ""),
                          headers=headers, data=data)


def _load_api_call(entry: Mapping[str, Any], ctx: JsonContext, substitute: Substitute,
                   provider: ApiCallProvider) -> None:
    name = str(entry["name"])
    raw = dict(entry.get("apiCall") or {})
    default = raw.pop("default", None)
    jmes_path = raw.pop("jmesPath", None)
    spec = _substituted(substitute, raw, ctx, name, str(raw.get("urlPath") or raw.get("service", {}).get("url")))
    request = _api_call_request(spec)
    try:
        data = provider.call(request)
    except (LookupError, OSError, ValueError) as exc:
        if default is None:
            target = request.url_path or request.service_url
            raise ContextLoadError(f"failed to fetch data for APICall: {name}: {target}: {exc}") from None
        data = default
    _store(entry, {"jmesPath": jmes_path} if jmes_path else {}, data, ctx, substitute)


def _load_global_reference(entry: Mapping[str, Any], ctx: JsonContext, substitute: Substitute,
                           provider: GlobalContextProvider) -> None:
    name = str(entry["name"])
    spec = entry.get("globalReference") or {}
    reference = str(spec.get("name") or "")
    try:
        data = provider.get(reference)
    except LookupError:
        raise ContextLoadError(f"failed to load global context entry for {name}: failed to fetch entry "
                               f"key={reference}") from None
    _store(entry, spec, data, ctx, substitute)


def _load_image_registry(entry: Mapping[str, Any], ctx: JsonContext, substitute: Substitute,
                         provider: ImageRegistryProvider | None) -> None:
    name = str(entry["name"])
    spec = entry.get("imageRegistry") or {}
    reference = str(_substituted(substitute, spec.get("reference", ""), ctx, name, "imageRegistry.reference"))
    if provider is None:
        try:
            registry = image_info(reference).registry
        except ImageReferenceError as exc:
            raise ContextLoadError(f"failed to load image data for context entry {name}: {exc}") from None
        raise ContextLoadError(f"failed to load image data for context entry {name}: registry {registry} cannot be "
                               f"reached offline (image {reference})")
    try:
        data = provider.get(reference)
    except (LookupError, OSError, ValueError) as exc:
        raise ContextLoadError(f"failed to fetch image descriptor for context entry {name}: {reference}: "
                               f"{exc}") from None
    _store(entry, spec, data, ctx, substitute)


def _unavailable(name: str, kind: str) -> None:
    raise ContextLoadError(f"failed to load context entry {name}: no source answers {kind} entries here")


_ENTRY_TYPES = ("variable", "configMap", "apiCall", "globalReference", "imageRegistry")


def _loader(entry: Mapping[str, Any], ctx: JsonContext, substitute: Substitute,
            sources: ContextSources) -> Callable[[], None] | None:
    kind = next((key for key in _ENTRY_TYPES if entry.get(key) is not None), "")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ContextLoadError("context entry without a name")
    if kind == "variable":
        return lambda: _load_variable(entry, ctx, substitute)
    if kind == "imageRegistry":
        registry = sources.image_registry
        return lambda: _load_image_registry(entry, ctx, substitute, registry)
    providers: dict[str, Any] = {"configMap": sources.config_maps, "apiCall": sources.api_calls,
                                 "globalReference": sources.global_context}
    loaders: dict[str, Callable[..., None]] = {"configMap": _load_config_map, "apiCall": _load_api_call,
                                               "globalReference": _load_global_reference}
    if kind not in providers:
        raise ContextLoadError(f"context entry {name}: unknown type (expected one of {', '.join(_ENTRY_TYPES)})")
    provider = providers[kind]
    if provider is None:
        if sources.skip_unavailable:
            return None
        return lambda: _unavailable(name, kind)
    load = loaders[kind]
    return lambda: load(entry, ctx, substitute, provider)


def load_context_entries(entries: Sequence[Mapping[str, Any]], ctx: JsonContext, substitute: Substitute,
                         sources: ContextSources, *, lazy: bool = True) -> None:
    """Register (``lazy``) or load the rule's ``context`` entries in order.

    ``substitute(value, ctx)`` resolves ``{{ }}`` in entry fields (``variables.substitute_all``). Entries whose
    name is in ``sources.overridden`` are skipped. Raise :class:`ContextLoadError` for a malformed entry (and,
    when not lazy, for any load failure).
    """
    for entry in entries:
        name = entry.get("name")
        if isinstance(name, str) and name in sources.overridden:
            continue
        load = _loader(entry, ctx, substitute, sources)
        if load is None:
            continue
        if lazy:
            ctx.defer(str(name), load)
        else:
            load()
