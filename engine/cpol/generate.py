"""``generate`` rules of kyverno.io/v1 policies: the objects Kyverno creates for one trigger resource.

The ``generate`` block (``apiVersion``, ``kind``, ``name``, ``namespace``, ``synchronize`` and one of ``data``,
``clone``, ``cloneList``) is variable-substituted first (through the caller's ``substitute``). Then:

* ``data``: the object is ``data`` with ``apiVersion``, ``kind``, ``metadata.name`` and ``metadata.namespace`` set
  from the rule;
* ``clone``: the source object (``clone.namespace``/``clone.name``, of the rule's kind) is copied under the rule's
  name and namespace, without ``uid``, ``resourceVersion``, ``selfLink``, ``creationTimestamp``, ``generation``
  and ``managedFields`` (and without ``ownerReferences`` when the namespaces differ); cloning an object onto
  itself generates nothing, and a missing source skips the rule;
* ``cloneList``: every object of the listed ``kinds`` in ``cloneList.namespace`` that matches ``selector`` is
  copied, keeping its name, into the rule's namespace.

Kyverno labels what it generates: ``app.kubernetes.io/managed-by: kyverno`` (unless another manager is set) and the
``generate.kyverno.io/*`` labels naming the policy, rule and trigger. Sources are read through ``fetch`` /
``list_objects`` callables, so the same code serves tests (objects from files) and scans (the cluster).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..common.labels import selector_matches
from .outcome import ERROR, PASS, SKIP, Substitute

MANAGED_BY = "app.kubernetes.io/managed-by"
KYVERNO = "kyverno"
POLICY_NAME = "generate.kyverno.io/policy-name"
POLICY_NAMESPACE = "generate.kyverno.io/policy-namespace"
RULE_NAME = "generate.kyverno.io/rule-name"
TRIGGER_GROUP = "generate.kyverno.io/trigger-group"
TRIGGER_VERSION = "generate.kyverno.io/trigger-version"
TRIGGER_KIND = "generate.kyverno.io/trigger-kind"
TRIGGER_NAMESPACE = "generate.kyverno.io/trigger-namespace"
TRIGGER_UID = "generate.kyverno.io/trigger-uid"

_CLEARED_METADATA = ("uid", "resourceVersion", "selfLink", "creationTimestamp", "generation", "managedFields")

#: ``fetch(apiVersion, kind, namespace, name)``: the object, or None when it does not exist.
Fetch = Callable[[str, str, str, str], Mapping[str, Any] | None]
#: ``list_objects(apiVersion, kind, namespace)``: the objects of that kind in the namespace.
ListObjects = Callable[[str, str, str], Sequence[Mapping[str, Any]]]


class GenerateError(ValueError):
    """The generate block is malformed (no ``data``/``clone``/``cloneList``, missing kind...)."""


@dataclass(frozen=True)
class GenerateOutcome:
    """``status`` (pass, skip, error), ``message``, the generated ``resources`` and the rule's ``synchronize``."""

    status: str
    message: str
    resources: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    synchronize: bool = False


@dataclass(frozen=True)
class Origin:
    """Who generates: the policy (name, namespace for a namespaced Policy), the rule and the trigger resource."""

    policy: str
    rule: str
    trigger: Mapping[str, Any]
    policy_namespace: str = ""


def generation_labels(origin: Origin, labels: Mapping[str, Any] | None) -> dict[str, Any]:
    """``labels`` plus the labels Kyverno puts on a generated resource."""
    out = dict(labels or {})
    out.setdefault(MANAGED_BY, KYVERNO)
    api_version = str(origin.trigger.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    metadata = origin.trigger.get("metadata") if isinstance(origin.trigger.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    out.update(
        {
            POLICY_NAME: origin.policy,
            POLICY_NAMESPACE: origin.policy_namespace,
            RULE_NAME: origin.rule,
            TRIGGER_GROUP: group,
            TRIGGER_VERSION: version,
            TRIGGER_KIND: str(origin.trigger.get("kind") or ""),
            TRIGGER_NAMESPACE: str(metadata.get("namespace") or ""),
            TRIGGER_UID: str(metadata.get("uid") or ""),
        }
    )
    return out


def _finish(obj: Mapping[str, Any], api_version: str, kind: str, name: str, namespace: str,
            origin: Origin) -> dict[str, Any]:
    out = copy.deepcopy(dict(obj))
    out["apiVersion"] = api_version
    out["kind"] = kind
    metadata = dict(out.get("metadata") or {})
    metadata["name"] = name
    if namespace:
        metadata["namespace"] = namespace
    else:
        metadata.pop("namespace", None)
    metadata["labels"] = generation_labels(origin, metadata.get("labels"))
    out["metadata"] = metadata
    return out


def _text(block: Mapping[str, Any], key: str) -> str:
    value = block.get(key)
    return "" if value is None else str(value)


def generate(
    origin: Origin,
    generation: Mapping[str, Any],
    *,
    substitute: Substitute | None = None,
    fetch: Fetch | None = None,
    list_objects: ListObjects | None = None,
) -> GenerateOutcome:
    """The objects one ``generate`` block produces for ``origin.trigger``."""
    try:
        block = substitute(copy.deepcopy(dict(generation))) if substitute is not None else dict(generation)
    except Exception as exc:  # the caller's substitution raises its own error types; each becomes a rule error
        return GenerateOutcome(ERROR, f"variable substitution failed: {exc}")
    if not isinstance(block, Mapping):
        return GenerateOutcome(ERROR, "generate must be an object")
    synchronize = bool(block.get("synchronize"))
    try:
        if block.get("data") is not None:
            return _from_data(origin, block, synchronize)
        if block.get("cloneList") is not None:
            return _from_clone_list(origin, block, synchronize, list_objects)
        if block.get("clone") is not None:
            return _from_clone(origin, block, synchronize, fetch)
    except GenerateError as exc:
        return GenerateOutcome(ERROR, str(exc), synchronize=synchronize)
    return GenerateOutcome(ERROR, "generate needs one of data, clone, cloneList", synchronize=synchronize)


def _target(block: Mapping[str, Any]) -> tuple[str, str, str, str]:
    api_version, kind, name = _text(block, "apiVersion"), _text(block, "kind"), _text(block, "name")
    if not kind or not name:
        raise GenerateError("generate needs kind and name")
    return api_version, kind, name, _text(block, "namespace")


def _from_data(origin: Origin, block: Mapping[str, Any], synchronize: bool) -> GenerateOutcome:
    api_version, kind, name, namespace = _target(block)
    data = block["data"]
    if not isinstance(data, Mapping):
        raise GenerateError("generate.data must be an object")
    obj = _finish(data, api_version, kind, name, namespace, origin)
    return GenerateOutcome(PASS, _created([obj]), (obj,), synchronize)


def _cloned(source: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(source))
    metadata = dict(out.get("metadata") or {})
    for key in _CLEARED_METADATA:
        metadata.pop(key, None)
    if metadata.get("namespace", "") != namespace:
        metadata.pop("ownerReferences", None)
    out["metadata"] = metadata
    out.pop("status", None)
    return out


def _from_clone(origin: Origin, block: Mapping[str, Any], synchronize: bool, fetch: Fetch | None) -> GenerateOutcome:
    api_version, kind, name, namespace = _target(block)
    clone = block["clone"]
    if not isinstance(clone, Mapping):
        raise GenerateError("generate.clone must be an object")
    source_namespace, source_name = _text(clone, "namespace"), _text(clone, "name")
    if (source_namespace, source_name) == (namespace, name):
        return GenerateOutcome(SKIP, "skip resource self-clone", synchronize=synchronize)
    source = fetch(api_version, kind, source_namespace, source_name) if fetch is not None else None
    if source is None:
        where = f"{source_namespace}/{source_name}" if source_namespace else source_name
        message = f"source resource {api_version} {kind}/{where} not found"
        return GenerateOutcome(SKIP, message, synchronize=synchronize)
    obj = _finish(_cloned(source, namespace), api_version, kind, name, namespace, origin)
    return GenerateOutcome(PASS, _created([obj]), (obj,), synchronize)


def _kind_parts(entry: str) -> tuple[str, str]:
    """``v1/Secret`` -> (``v1``, ``Secret``); ``apps/v1/Deployment`` -> (``apps/v1``, ``Deployment``)."""
    api_version, _, kind = entry.rpartition("/")
    return api_version, kind


def _from_clone_list(
    origin: Origin, block: Mapping[str, Any], synchronize: bool, list_objects: ListObjects | None
) -> GenerateOutcome:
    clone_list = block["cloneList"]
    if not isinstance(clone_list, Mapping):
        raise GenerateError("generate.cloneList must be an object")
    namespace = _text(block, "namespace")
    source_namespace = _text(clone_list, "namespace")
    selector = clone_list.get("selector")
    objects: list[dict[str, Any]] = []
    for entry in clone_list.get("kinds") or []:
        api_version, kind = _kind_parts(str(entry))
        for source in list_objects(api_version, kind, source_namespace) if list_objects is not None else []:
            metadata = source.get("metadata") if isinstance(source.get("metadata"), Mapping) else {}
            assert isinstance(metadata, Mapping)
            if not selector_matches(selector, metadata.get("labels")):
                continue
            name = str(metadata.get("name") or "")
            if source_namespace == namespace:
                continue  # each object would be cloned onto itself
            source_api_version = str(source.get("apiVersion") or api_version)
            objects.append(_finish(_cloned(source, namespace), source_api_version, kind, name, namespace, origin))
    if not objects:
        return GenerateOutcome(SKIP, "no source resource to clone", synchronize=synchronize)
    return GenerateOutcome(PASS, _created(objects), tuple(objects), synchronize)


def _created(objects: Sequence[Mapping[str, Any]]) -> str:
    names = []
    for obj in objects:
        metadata = obj["metadata"]
        where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
        names.append(f"{obj['kind']}/{where}{metadata['name']}")
    return "generated " + ", ".join(names)
