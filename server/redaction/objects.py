"""Redaction of objects where they enter from a cluster (or a snapshot, or an agent's manifest).

- **Secrets** keep their keys and lose their values: every object the ``secrets`` endpoint returns, single or list,
  whatever its ``kind`` says, and every object of kind ``Secret`` (items of a ``SecretList`` too). Only
  ``apiVersion``, ``kind``, ``metadata``, ``type`` and ``immutable`` stay; ``data``/``stringData`` keep their keys
  with ``<redacted>`` values; any other field is replaced.
- **Credential-like values elsewhere** (names judged by :func:`~.names.is_credential_name`): literal
  ``env[].value``; ConfigMap ``data``/``binaryData`` entries; annotations; and container ``args``/``command``
  flags (``--password=x``, ``--token x``). A policy still sees that a value is set (it reads ``<redacted>``).
- ``metadata.managedFields`` and the ``kubectl.kubernetes.io/last-applied-configuration`` annotation (a full copy
  of the object, Secret data included) are dropped.

Every value removed is remembered in the request's ledger (:mod:`.ledger`), so that it is masked in outputs too.
Objects are never modified in place: a changed object is a shallow copy along the changed path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pykyverno.engine.errors import LoadError
from pykyverno.engine.reader import load_json

from .ledger import current_ledger
from .names import is_credential_name
from .text import REDACTED

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SECRET_KEEP = ("apiVersion", "kind", "metadata", "type", "immutable")
_ARG_LISTS = ("args", "command")
#: Where a pod spec sits in a Pod, in a controller's pod template and in a CronJob's, deepest first.
_POD_SPEC_PATHS = (("spec", "jobTemplate", "spec", "template", "spec"), ("spec", "template", "spec"), ("spec",))
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
#: How the keys :func:`_mask_spec` looks at are written in compact JSON (never so inside a string's text).
_MASKED_KEY_TEXTS = (b'"env":', b'"args":', b'"command":')


def _remember(value: Any, *, base64: bool = False) -> None:
    ledger = current_ledger()
    if ledger is None:
        return
    if base64:
        ledger.remember_base64(value)
    elif isinstance(value, str):
        ledger.remember(value)


def _mask_env_list(env: list[Any]) -> tuple[list[Any], bool]:
    changed = False
    out = []
    for entry in env:
        if (isinstance(entry, dict) and isinstance(entry.get("value"), str) and entry["value"]
                and entry["value"] != REDACTED and is_credential_name(str(entry.get("name") or ""))):
            _remember(entry["value"])
            out.append({**entry, "value": REDACTED})
            changed = True
        else:
            out.append(entry)
    return out, changed


def _flag_name(arg: str) -> str:
    return arg.lstrip("-").split("=", 1)[0]


def _mask_args(args: list[Any]) -> tuple[list[Any], bool]:
    """``--password=x`` -> ``--password=<redacted>``; ``--token x`` -> ``--token <redacted>``."""
    changed = False
    out = list(args)
    for i, arg in enumerate(args):
        if not isinstance(arg, str) or not arg.startswith("-"):
            continue
        name = _flag_name(arg)
        if not name or not is_credential_name(name):
            continue
        if "=" in arg:
            value = arg.split("=", 1)[1]
            if value and value != REDACTED:
                _remember(value)
                out[i] = arg.split("=", 1)[0] + "=" + REDACTED
                changed = True
        elif i + 1 < len(args) and isinstance(args[i + 1], str) and not args[i + 1].startswith("-") \
                and args[i + 1] != REDACTED:
            _remember(args[i + 1])
            out[i + 1] = REDACTED
            changed = True
    return out, changed


def _mask_spec(value: Any) -> tuple[Any, bool]:
    """(value with credential-like env literals and flags masked, whether anything changed).

    Every ``env`` list and every ``args``/``command`` list at any depth is looked at (custom resources nest pod
    specs anywhere). Scalars never change, so only containers are visited, and a container is copied only once
    something in it changes: most objects come back as they are, without a copy.
    """
    if isinstance(value, dict):
        changed: dict[str, Any] | None = None
        for key, item in value.items():
            if not isinstance(item, (dict, list)):
                continue
            masked, did = _mask_field(key, item)
            if did:
                if changed is None:
                    changed = dict(value)
                changed[key] = masked
        return (changed, True) if changed is not None else (value, False)
    if isinstance(value, list):
        copied: list[Any] | None = None
        for index, item in enumerate(value):
            if not isinstance(item, (dict, list)):
                continue
            masked, did = _mask_spec(item)
            if did:
                if copied is None:
                    copied = list(value)
                copied[index] = masked
        return (copied, True) if copied is not None else (value, False)
    return value, False


def _mask_field(key: str, item: Any) -> tuple[Any, bool]:
    """One field of a mapping as :func:`_mask_spec` masks it."""
    if key == "env" and isinstance(item, list):
        return _mask_env_list(item)
    if key in _ARG_LISTS and isinstance(item, list) and any(isinstance(a, str) for a in item):
        return _mask_args(item)
    return _mask_spec(item)


def _mask_pod_spec(value: dict[str, Any]) -> tuple[Any, bool] | None:
    """What :func:`_mask_spec` gives for ``value`` (an object without its metadata), found by looking only at the
    containers of its pod spec; None when that cannot be proven the same (then the whole walk decides).

    The compact JSON of ``value`` shows every ``env``, ``args`` and ``command`` key (and, rarely, text inside a
    string that looks like one): when the pod spec's containers hold that many of them, nothing else can change.
    """
    import orjson  # here: commands that redact no object start without it

    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return None
    expected = sum(encoded.count(text) for text in _MASKED_KEY_TEXTS)
    if not expected:
        return value, False
    for path in _POD_SPEC_PATHS:
        parents: list[dict[str, Any]] = [value]
        for step in path:
            child = parents[-1].get(step)
            if not isinstance(child, dict):
                break
            parents.append(child)
        else:
            return _mask_containers(parents, path, expected)
    return None


def _mask_containers(parents: list[dict[str, Any]], path: tuple[str, ...], expected: int) -> tuple[Any, bool] | None:
    """The containers of the pod spec ``parents[-1]`` masked (and the objects on ``path`` copied when they change);
    None when they do not hold all ``expected`` keys."""
    pod_spec = parents[-1]
    found = 0
    masked_spec: dict[str, Any] | None = None
    for list_name, containers in pod_spec.items():  # in the order the whole walk takes
        if list_name not in _CONTAINER_LISTS or not isinstance(containers, list):
            continue
        copied: list[Any] | None = None
        for index, container in enumerate(containers):
            if not isinstance(container, dict):
                continue
            masked_container: dict[str, Any] | None = None
            for key, item in container.items():
                if key != "env" and key not in _ARG_LISTS:
                    continue
                found += 1
                masked, did = _mask_field(key, item)
                if did:
                    if masked_container is None:
                        masked_container = dict(container)
                    masked_container[key] = masked
            if masked_container is not None:
                if copied is None:
                    copied = list(containers)
                copied[index] = masked_container
        if copied is not None:
            if masked_spec is None:
                masked_spec = dict(pod_spec)
            masked_spec[list_name] = copied
    if found != expected:
        return None
    if masked_spec is None:
        return parents[0], False
    changed: dict[str, Any] = masked_spec
    for parent, step in zip(reversed(parents[:-1]), reversed(path), strict=True):
        changed = {**parent, step: changed}
    return changed, True


def _mask_mapping(values: Any, *, base64: bool = False, every: bool = False) -> tuple[Any, bool]:
    """A ``{name: value}`` mapping with credential-named (or, with ``every``, all) values masked."""
    if not isinstance(values, dict):
        return values, False
    changed = False
    out = {}
    for name, value in values.items():
        key = str(name).rsplit("/", 1)[-1]
        if value != REDACTED and (every or is_credential_name(key)) and value not in (None, ""):
            _remember(value, base64=base64)
            out[name] = REDACTED
            changed = True
        else:
            out[name] = value
    return (out, True) if changed else (values, False)


def _remember_last_applied(value: Any) -> None:
    """The dropped last-applied annotation is a copy of the object: remember what redacting that copy removes."""
    if isinstance(value, str) and current_ledger() is not None:
        try:
            copy = load_json(value, "last-applied-configuration", unique_keys=False)
        except LoadError:
            return
        if isinstance(copy, dict):
            redact(copy)


def _redact_metadata(metadata: Any) -> tuple[Any, bool]:
    if not isinstance(metadata, dict):
        return metadata, False
    changed = "managedFields" in metadata
    meta = {k: v for k, v in metadata.items() if k != "managedFields"} if changed else metadata
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        _remember_last_applied(annotations.get(LAST_APPLIED))
        kept = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
        masked, did = _mask_mapping(kept)
        if did or len(kept) != len(annotations):
            meta = {**meta, "annotations": masked}
            changed = True
    return meta, changed


def _redact_secret(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in _SECRET_KEEP:
            out[key] = value
        elif key in ("data", "stringData") and isinstance(value, dict):
            out[key] = _mask_mapping(value, base64=key == "data", every=True)[0]
        else:
            _remember(value)
            out[key] = REDACTED
    out["metadata"] = _redact_metadata(obj.get("metadata"))[0]
    if "metadata" not in obj:
        del out["metadata"]
    return out


def redact(obj: dict[str, Any], *, secret: bool = False, kind: str = "") -> dict[str, Any]:
    """``obj`` without secret material (see the module docstring); ``obj`` itself when nothing changes.

    :param secret: treat the object as a Secret whatever its ``kind`` (it came from the ``secrets`` endpoint).
    :param kind: the kind to assume when the object has none (items of a list answer).
    """
    if not isinstance(obj, dict):
        return obj
    kind = str(obj.get("kind") or kind)
    if secret or kind == "Secret":
        return _redact_secret(obj)
    metadata, meta_changed = _redact_metadata(obj.get("metadata"))
    out: dict[str, Any] | None = None
    if meta_changed:
        out = {**obj, "metadata": metadata}
    if kind == "ConfigMap":
        for key in ("data", "binaryData"):
            masked, did = _mask_mapping(obj.get(key), base64=key == "binaryData")
            if did:
                out = {**(out or obj), key: masked}
    spec_like = {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind", "status", "data",
                                                             "binaryData")}
    masked_spec, spec_changed = _mask_pod_spec(spec_like) or _mask_spec(spec_like)
    if spec_changed:
        out = {**(out or obj), **masked_spec}
    return obj if out is None else out


def redact_body(body: dict[str, Any], *, secrets: bool = False) -> dict[str, Any]:
    """An API answer (one object or a list) with every object in it redacted.

    :param secrets: the answer came from the ``secrets`` endpoint: every object in it is a Secret, whatever the
        body's ``kind`` says (a list where an object was expected, a Status...).
    """
    if not isinstance(body, dict):
        return body
    items = body.get("items")
    if isinstance(items, list):
        list_kind = str(body.get("kind") or "")
        item_kind = list_kind[:-4] if list_kind.endswith("List") else ""
        secret_items = secrets or item_kind == "Secret"
        redacted = [redact(item, secret=secret_items, kind=item_kind) if isinstance(item, dict) else item
                    for item in items]
        rest = {k: v for k, v in body.items() if k != "items"}
        if secrets:
            rest = {k: v for k, v in rest.items() if k in ("apiVersion", "kind", "metadata")}
        return {**rest, "items": redacted}
    if secrets:
        return redact(body, secret=True)
    if isinstance(body.get("metadata"), dict) and body.get("kind") != "Status":
        return redact(body)
    return body


def remember_sensitive(objects: Iterable[Any]) -> None:
    """Remember (for the request's outputs) every value :func:`redact_body` would remove from ``objects``, without
    changing them: manifests a user or an agent hands to an offline evaluation (apply, test, evaluate_policy) are
    evaluated as written, and their secret values are still masked in what is printed or answered."""
    for obj in objects:
        if isinstance(obj, dict):
            redact_body(obj)


__all__ = ["LAST_APPLIED", "redact", "redact_body", "remember_sensitive"]
