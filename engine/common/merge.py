"""Server-side-apply merge of an ``ApplyConfiguration`` into an object (structured-merge-diff semantics).

What the API server does for a MutatingAdmissionPolicy / MutatingPolicy ``ApplyConfiguration`` mutation: the patch
object is merged into the live object along the type's schema.

* maps and structs merge field by field, recursively (a field of the patch replaces a scalar of the object);
* lists are **atomic** unless the schema says otherwise: the patch's list replaces the object's;
* **associative lists** (``x-kubernetes-list-type: map``, or the older ``patchStrategy: merge`` with a
  ``patchMergeKey``) merge item by item, items being identified by their key fields: an item of the patch merges
  into the object's item with the same key, new items are inserted where the patch places them;
* **set lists** (``x-kubernetes-list-type: set``) are merged as the union of their values.

Kinds the table below does not describe are "deduced" like a schemaless custom resource: maps merge, lists are atomic.
The schema table only lists the struct paths that lead to associative/set lists; everything else is the default.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import EvaluationError


class MergeError(EvaluationError):
    """The patch cannot be merged (an associative list item lacks a key field, duplicate keys in the patch...)."""


@dataclass(frozen=True)
class ListMap:
    """An associative list: items are identified by ``keys`` (``defaults`` fill absent key fields)."""

    keys: tuple[str, ...]
    item: Struct | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ListSet:
    """A set list: scalar items identified by their value."""


@dataclass(frozen=True)
class Atomic:
    """A struct or map replaced as a whole (``x-kubernetes-map-type: atomic`` / ``+structType=atomic``)."""


@dataclass(frozen=True)
class Struct:
    """A struct (or granular map) with the schema of the fields that are not default."""

    fields: Mapping[str, FieldType] = field(default_factory=dict)


FieldType = Struct | ListMap | ListSet | Atomic

_NAME = ("name",)

# ---------------------------------------------------------------------------------------------------------------
# Kubernetes facts (k8s.io/api types: +listType / +listMapKey / patchMergeKey markers and +structType=atomic).
# ---------------------------------------------------------------------------------------------------------------

OBJECT_META = Struct(
    {
        "ownerReferences": ListMap(("uid",)),
        "finalizers": ListSet(),
        # managedFields, labels/annotations (granular maps) are the default.
    }
)

#: core/v1 LocalObjectReference, ConfigMapKeySelector, SecretKeySelector... are ``+structType=atomic``.
_ATOMIC = Atomic()

RESOURCE_REQUIREMENTS = Struct({"claims": ListMap(_NAME)})

ENV_VAR = Struct(
    {
        "valueFrom": Struct(
            {"configMapKeyRef": _ATOMIC, "secretKeyRef": _ATOMIC, "fieldRef": _ATOMIC, "resourceFieldRef": _ATOMIC}
        )
    }
)

CONTAINER = Struct(
    {
        "ports": ListMap(("containerPort", "protocol"), defaults={"protocol": "TCP"}),
        "env": ListMap(_NAME, ENV_VAR),
        "volumeMounts": ListMap(("mountPath",)),
        "volumeDevices": ListMap(("devicePath",)),
        "resources": RESOURCE_REQUIREMENTS,
        # command, args, envFrom, resizePolicy, securityContext.capabilities.add/drop: atomic lists (default).
    }
)

VOLUME = Struct(
    {
        "configMap": Struct({}),
        "secret": Struct({}),
        # projected.sources, configMap.items, secret.items: atomic lists (default).
    }
)

POD_SPEC = Struct(
    {
        "containers": ListMap(_NAME, CONTAINER),
        "initContainers": ListMap(_NAME, CONTAINER),
        "ephemeralContainers": ListMap(_NAME, CONTAINER),
        "volumes": ListMap(_NAME, VOLUME),
        "imagePullSecrets": ListMap(_NAME),
        "hostAliases": ListMap(("ip",)),
        "topologySpreadConstraints": ListMap(("topologyKey", "whenUnsatisfiable")),
        "resourceClaims": ListMap(_NAME),
        "schedulingGates": ListMap(_NAME),
        "resources": RESOURCE_REQUIREMENTS,
        # tolerations, readinessGates, dnsConfig.*, securityContext.supplementalGroups/sysctls: atomic (default).
    }
)

POD_TEMPLATE_SPEC = Struct({"metadata": OBJECT_META, "spec": POD_SPEC})

_CONDITIONS = ListMap(("type",))

POD_STATUS = Struct({"conditions": _CONDITIONS, "resourceClaimStatuses": ListMap(_NAME)})

_WORKLOAD_STATUS = Struct({"conditions": _CONDITIONS})

JOB_SPEC = Struct({"template": POD_TEMPLATE_SPEC})

SERVICE_PORTS = ListMap(("port", "protocol"), defaults={"protocol": "TCP"})


def _root(**fields: FieldType) -> Struct:
    return Struct({"metadata": OBJECT_META, **fields})


#: Top-level schemas by (API group, kind).
ROOTS: dict[tuple[str, str], Struct] = {
    ("", "Pod"): _root(spec=POD_SPEC, status=POD_STATUS),
    ("", "PodTemplate"): _root(template=POD_TEMPLATE_SPEC),
    ("", "ReplicationController"): _root(spec=Struct({"template": POD_TEMPLATE_SPEC}), status=_WORKLOAD_STATUS),
    ("apps", "Deployment"): _root(spec=Struct({"template": POD_TEMPLATE_SPEC}), status=_WORKLOAD_STATUS),
    ("apps", "ReplicaSet"): _root(spec=Struct({"template": POD_TEMPLATE_SPEC}), status=_WORKLOAD_STATUS),
    ("apps", "DaemonSet"): _root(spec=Struct({"template": POD_TEMPLATE_SPEC}), status=_WORKLOAD_STATUS),
    ("apps", "StatefulSet"): _root(spec=Struct({"template": POD_TEMPLATE_SPEC}), status=_WORKLOAD_STATUS),
    ("batch", "Job"): _root(spec=JOB_SPEC, status=_WORKLOAD_STATUS),
    ("batch", "CronJob"): _root(
        spec=Struct({"jobTemplate": Struct({"metadata": OBJECT_META, "spec": JOB_SPEC})})
    ),
    ("", "Service"): _root(spec=Struct({"ports": SERVICE_PORTS}), status=Struct({"conditions": _CONDITIONS})),
    ("", "ServiceAccount"): _root(secrets=ListMap(_NAME)),
    ("", "Namespace"): _root(status=Struct({"conditions": _CONDITIONS})),
    ("", "Node"): _root(spec=Struct({"podCIDRs": ListSet()}), status=Struct({"conditions": _CONDITIONS})),
}

#: Any other kind: ObjectMeta is still ObjectMeta; the rest is deduced.
DEFAULT_ROOT = _root()


def schema_for(obj: Mapping[str, Any]) -> Struct:
    """The schema of an object from its ``apiVersion`` and ``kind`` (deduced for unknown kinds)."""
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    return ROOTS.get((group, str(obj.get("kind") or "")), DEFAULT_ROOT)


# ---------------------------------------------------------------------------------------------------------------
# The merge
# ---------------------------------------------------------------------------------------------------------------

_MISSING: Any = object()


def apply_configuration(
    obj: Mapping[str, Any], patch: Mapping[str, Any], schema: Struct | None = None
) -> dict[str, Any]:
    """Merge ``patch`` into a copy of ``obj`` with server-side-apply semantics and return the result.

    ``schema`` defaults to the schema of ``obj``'s kind. Raises :class:`MergeError` when the patch cannot apply.
    """
    if not isinstance(patch, Mapping):
        raise MergeError(f"apply configuration must be an object, not {type(patch).__name__}")
    result = _merge(dict(obj), patch, schema if schema is not None else schema_for(obj), "")
    if not isinstance(result, dict):  # pragma: no cover - maps merge into maps
        raise MergeError("apply configuration did not produce an object")
    return result


def _field_type(schema: FieldType | None, name: str) -> FieldType | None:
    if isinstance(schema, Struct):
        return schema.fields.get(name)
    return None


def _merge(lhs: Any, rhs: Any, schema: FieldType | None, path: str) -> Any:
    """Merge ``rhs`` (patch) over ``lhs`` (live; ``_MISSING`` when absent) along ``schema``."""
    if rhs is _MISSING:
        return copy.deepcopy(lhs)
    if isinstance(schema, Atomic) or rhs is None:
        return copy.deepcopy(rhs)
    if isinstance(rhs, Mapping):
        if not isinstance(lhs, Mapping):
            lhs = {}
        out = copy.deepcopy(dict(lhs))
        for key, value in rhs.items():
            if value is None:  # an explicit null removes the field (the typed round trip drops it)
                out.pop(key, None)
                continue
            out[key] = _merge(lhs.get(key, _MISSING), value, _field_type(schema, key), f"{path}.{key}")
        return out
    if isinstance(rhs, list):
        if isinstance(schema, ListMap):
            return _merge_list_map(lhs if isinstance(lhs, list) else [], rhs, schema, path)
        if isinstance(schema, ListSet):
            live = lhs if isinstance(lhs, list) else []
            return _merge_keyed(live, rhs, _set_key, _take_right, path)
        return copy.deepcopy(rhs)
    return copy.deepcopy(rhs)


def _hashable(value: Any) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value  # type: ignore[no-any-return]


def _set_key(item: Any, path: str) -> Hashable:
    return _hashable(item)


def _take_right(left: Any, right: Any, path: str) -> Any:
    return copy.deepcopy(right)


def _merge_list_map(lhs: list[Any], rhs: list[Any], schema: ListMap, path: str) -> list[Any]:
    def key_of(item: Any, where: str) -> Hashable:
        if not isinstance(item, Mapping):
            raise MergeError(f"{where}: associative list item must be an object, not {type(item).__name__}")
        key = []
        for name in schema.keys:
            if name in item and item[name] is not None:
                key.append(_hashable(item[name]))
            elif name in schema.defaults:
                key.append(_hashable(schema.defaults[name]))
            else:
                keys = ", ".join(schema.keys)
                raise MergeError(
                    f"{where}: associative list with keys [{keys}] has an element that omits key field {name!r}"
                )
        return tuple(key)

    def merge_item(left: Any, right: Any, where: str) -> Any:
        return _merge(left, right, schema.item, where)

    return _merge_keyed(lhs, rhs, key_of, merge_item, path)


def _merge_keyed(
    lhs: list[Any],
    rhs: list[Any],
    key_of: Callable[[Any, str], Hashable],
    merge_item: Callable[[Any, Any, str], Any],
    path: str,
) -> list[Any]:
    """structured-merge-diff's ordering: live items the patch does not name keep their place; items named by both
    follow the patch's order; new items of the patch are inserted at the patch's position."""
    left_keys = [key_of(item, f"{path}[{i}]") for i, item in enumerate(lhs)]
    right_keys = [key_of(item, f"{path}[{i}]") for i, item in enumerate(rhs)]
    left_index: dict[Hashable, Any] = {}
    for k, item in zip(left_keys, lhs, strict=True):
        left_index.setdefault(k, item)
    right_index: dict[Hashable, Any] = {}
    for i, (k, item) in enumerate(zip(right_keys, rhs, strict=True)):
        if k in right_index:
            raise MergeError(f"{path}[{i}]: duplicate entries for key {k!r}")
        right_index[k] = item
    shared = [k for k in right_keys if k in left_index]
    next_shared: Hashable | None = shared.pop(0) if shared else None
    has_next = next_shared is not None or bool(shared)
    merged: set[Hashable] = set()
    out: list[Any] = []
    li, ri = 0, 0
    while li < len(lhs) or ri < len(rhs):
        if li < len(lhs) and ri < len(rhs):
            key = left_keys[li]
            if key == right_keys[ri]:
                merged.add(key)
                out.append(merge_item(left_index[key], right_index[key], f"{path}[{len(out)}]"))
                li += 1
                ri += 1
                next_shared, has_next = (shared.pop(0), True) if shared else (None, False)
                continue
            if key in right_index and has_next and next_shared != key:
                li += 1
                continue
        if li < len(lhs):
            key = left_keys[li]
            if key not in right_index:
                out.append(copy.deepcopy(lhs[li]))
                li += 1
                continue
            if key in merged:
                li += 1
                continue
        if ri < len(rhs):
            key = right_keys[ri]
            merged.add(key)
            out.append(merge_item(left_index.get(key, _MISSING), right_index[key], f"{path}[{len(out)}]"))
            ri += 1
            if has_next and next_shared == key:
                next_shared, has_next = (shared.pop(0), True) if shared else (None, False)
    return out
