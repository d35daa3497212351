"""Kyverno's ``resource`` library: read (and record posts of) cluster objects through the resource provider.

Declared as dotted functions (``resource.Get(...)``), which cel-cpp resolves before any variable named
``resource`` (DeletingPolicy declares one). PascalCase names and the 1.18 camelCase aliases are both registered.

Cluster policies: ``Get(apiVersion, resource, namespace, name)``, ``Get(gvr, namespace, name)``,
``List(apiVersion, resource, namespace[, labels])``, ``List(gvr, namespace[, labels])``,
``Post(apiVersion, resource, namespace, obj)``, ``Post(apiVersion, resource, obj)``, ``ToGVR(apiVersion, resource)``.
Namespaced policies drop the namespace argument; the calls are pinned to ``Providers.policy_namespace``.
A missing object is a CEL error, as in Kyverno (``failed to get resource: ...``).

``Get`` and ``List`` answers are cached for the evaluation run (the providers' :class:`LookupCache`), and one
evaluation may make at most :func:`~pykyverno.engine.cel.providers.lookup_limit` distinct lookups (a CEL error
naming the limit beyond it). ``Post`` is never cached: it records a create.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...resources import split_api_version
from ..decl import CelFunctionError, Function, Library, Overload, function, overload
from ..providers import LookupLimitExceeded, ResourceProvider, cached_lookup, current_providers, note_unanswered
from .kyverno_common import require_str, require_tagged, string_map, tagged

GVR_TYPE = "kyverno.GVR"


def _provider(call: str) -> ResourceProvider:
    provider = current_providers().resource
    if provider is None:
        raise CelFunctionError(note_unanswered(
            f"resource.{call}: no resource provider is configured (offline: supply a Context with spec.resources)"
        ))
    return provider


def _namespace() -> str:
    return current_providers().policy_namespace


def to_gvr(api_version: Any, resource: Any) -> dict[str, Any]:
    """``resource.ToGVR(apiVersion, resource)``: a GroupVersionResource value."""
    group, version = split_api_version(require_str(api_version, "resource.ToGVR", "apiVersion"))
    return tagged(GVR_TYPE, group=group, version=version, resource=require_str(resource, "resource.ToGVR", "resource"))


def _from_gvr(gvr: Any, call: str) -> tuple[str, str]:
    value = require_tagged(gvr, GVR_TYPE, f"resource.{call}")
    group, version = str(value["group"]), str(value["version"])
    return (f"{group}/{version}" if group else version), str(value["resource"])


def get(api_version: Any, resource: Any, namespace: Any, name: Any) -> dict[str, Any]:
    """Fetch one object; a CEL error when it does not exist."""
    args = [require_str(v, "resource.Get") for v in (api_version, resource, namespace, name)]
    provider = _provider("Get")
    try:
        result: dict[str, Any] = cached_lookup(("resource.Get", *args), lambda: provider.get(*args))
        return result
    except LookupLimitExceeded as exc:
        raise CelFunctionError(f"resource.Get: {exc}") from None
    except LookupError as exc:
        raise CelFunctionError(f"failed to get resource: {_reason(exc)}") from None


def list_objects(api_version: Any, resource: Any, namespace: Any, labels: Any = None) -> dict[str, Any]:
    """List objects (optionally by exact label match) as a list object."""
    args = [require_str(v, "resource.List") for v in (api_version, resource, namespace)]
    selector = string_map(labels, "resource.List", "labels") if labels is not None else None
    provider = _provider("List")
    key = ("resource.List", *args, tuple(sorted(selector.items())) if selector is not None else None)
    try:
        result: dict[str, Any] = cached_lookup(key, lambda: provider.list(args[0], args[1], args[2], selector))
        return result
    except LookupLimitExceeded as exc:
        raise CelFunctionError(f"resource.List: {exc}") from None
    except LookupError as exc:
        raise CelFunctionError(f"failed to list resource: {_reason(exc)}") from None


def post(api_version: Any, resource: Any, namespace: Any, obj: Any) -> dict[str, Any]:
    """Record the creation of ``obj`` (never sent) and return it as it would be created."""
    if not isinstance(obj, dict):
        raise CelFunctionError("resource.Post: the object must be a map")
    args = [require_str(v, "resource.Post") for v in (api_version, resource, namespace)]
    try:
        return _provider("Post").post(args[0], args[1], args[2], obj)
    except LookupError as exc:
        raise CelFunctionError(f"failed to create resource: {_reason(exc)}") from None


def _reason(exc: LookupError) -> str:
    return str(exc.args[0]) if exc.args else str(exc)


def _post_without_namespace(api_version: Any, resource: Any, obj: Any) -> dict[str, Any]:
    namespace = _namespace()
    if not namespace and isinstance(obj, dict):
        namespace = str((obj.get("metadata") or {}).get("namespace") or "")
    return post(api_version, resource, namespace, obj)


_S, _M = "string", "map"

# (suffix, params, result, impl) per PascalCase function name
_SIGNATURES: dict[str, list[tuple[str, list[str], str, Callable[..., Any]]]] = {
    "Get": [
        ("string_string_string_string", [_S, _S, _S, _S], "map", get),
        ("gvr_string_string", [_M, _S, _S], "map", lambda g, ns, n: get(*_from_gvr(g, "Get"), ns, n)),
        ("string_string_string", [_S, _S, _S], "map", lambda av, r, n: get(av, r, _namespace(), n)),
        ("gvr_string", [_M, _S], "map", lambda g, n: get(*_from_gvr(g, "Get"), _namespace(), n)),
    ],
    "List": [
        ("string_string_string", [_S, _S, _S], "map", list_objects),
        ("string_string_string_map", [_S, _S, _S, _M], "map", list_objects),
        ("gvr_string", [_M, _S], "map", lambda g, ns: list_objects(*_from_gvr(g, "List"), ns)),
        ("gvr_string_map", [_M, _S, _M], "map", lambda g, ns, lb: list_objects(*_from_gvr(g, "List"), ns, lb)),
        ("string_string", [_S, _S], "map", lambda av, r: list_objects(av, r, _namespace())),
        ("gvr", [_M], "map", lambda g: list_objects(*_from_gvr(g, "List"), _namespace())),
        ("gvr_map", [_M, _M], "map", lambda g, lb: list_objects(*_from_gvr(g, "List"), _namespace(), lb)),
    ],
    "Post": [
        ("string_string_string_map", [_S, _S, _S, _M], "map", post),
        ("string_string_map", [_S, _S, _M], "map", _post_without_namespace),
        ("gvr_string_map", [_M, _S, _M], "map", lambda g, ns, o: post(*_from_gvr(g, "Post"), ns, o)),
        ("gvr_map", [_M, _M], "map", lambda g, o: _post_without_namespace(*_from_gvr(g, "Post"), o)),
    ],
    "ToGVR": [("string_string", [_S, _S], "map", to_gvr)],
}
_ALIASES = {"Get": "get", "List": "list", "Post": "post", "ToGVR": "toGVR"}


def _functions() -> tuple[Function, ...]:
    functions = []
    for name, signatures in _SIGNATURES.items():
        for spelled in (name, _ALIASES[name]):
            overloads: list[Overload] = [
                overload(f"kyverno_resource_{spelled}_{suffix}", params, result, impl)
                for suffix, params, result, impl in signatures
            ]
            functions.append(function(f"resource.{spelled}", *overloads))
    return tuple(functions)


LIBRARY = Library("kyverno.resource", _functions())
