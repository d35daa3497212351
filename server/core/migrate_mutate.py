"""kyverno.io/v1 mutate rules as MutatingPolicy mutations, for ``pykyverno migrate``.

- ``patchStrategicMerge`` without anchors or ``$patch`` directives becomes an ``ApplyConfiguration``: the overlay
  written as an ``Object{...}`` construction (server-side apply merges lists of containers, volumes... by name and
  maps by key, as the strategic merge does for the built-in types);
- ``patchesJson6902`` becomes a ``JSONPatch`` mutation, one ``JSONPatch{op, path, value}`` per operation.

``{{ }}`` variables in values and paths are translated like the validate rules' (:mod:`.migrate_jmespath`);
anchors, ``foreach``, ``targets`` (mutate existing) and variables in keys raise :class:`Unconvertible`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from .migrate_jmespath import Scope, Unconvertible, cel_string, translate_value

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _value(value: Any, type_path: str, scope: Scope, indent: int) -> str:
    pad = "  " * (indent + 1)
    end = "  " * indent
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        keys = [str(k) for k in value]
        for key in keys:
            if key.startswith(("(", "+(", "<(", "=(", "X(", "^(")) or key.startswith("$"):
                raise Unconvertible(f"the strategic merge key {key!r} (anchor or directive) is not translated")
            if "{{" in key:
                raise Unconvertible(f"the variable in the key {key!r} is not translated")
        if all(_IDENTIFIER.match(k) for k in keys):
            fields = [f"{pad}{k}: {_value(v, f'{type_path}.{k}', scope, indent + 1)}" for k, v in value.items()]
            return f"{type_path}{{\n" + ",\n".join(fields) + f"\n{end}}}"
        entries = [f"{pad}{cel_string(str(k))}: {_value(v, type_path, scope, indent + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(entries) + f"\n{end}}}"
    if isinstance(value, list):
        items = [f"{pad}{_value(v, type_path, scope, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + f"\n{end}]" if items else "[]"
    return translate_value(value, scope).text


def apply_configuration(overlay: Any, scope: Scope) -> dict[str, Any]:
    """A ``patchStrategicMerge`` overlay as an ApplyConfiguration mutation."""
    if not isinstance(overlay, Mapping):
        raise Unconvertible("patchStrategicMerge must be a mapping")
    return {"patchType": "ApplyConfiguration",
            "applyConfiguration": {"expression": _value(overlay, "Object", scope, 0)}}


def _path(path: str, scope: Scope) -> str:
    return translate_value(path, scope).text


def json_patch(operations: Any, scope: Scope) -> dict[str, Any]:
    """``patchesJson6902`` (a YAML/JSON list, or its text) as a JSONPatch mutation."""
    if isinstance(operations, str):
        try:
            operations = yaml.safe_load(operations)
        except yaml.YAMLError as exc:
            raise Unconvertible(f"patchesJson6902 does not parse: {exc}") from None
    if not isinstance(operations, list) or not operations:
        raise Unconvertible("patchesJson6902 must be a non-empty list")
    patches = []
    for operation in operations:
        if not isinstance(operation, Mapping) or operation.get("op") not in ("add", "remove", "replace", "test"):
            raise Unconvertible(f"the JSON patch operation {operation!r} is not translated")
        path = str(operation.get("path") or "")
        if operation["op"] == "add" and len([p for p in path.split("/") if p]) > 2:
            # Kyverno creates missing parents on add; a MutatingPolicy's JSON patch fails instead
            raise Unconvertible(f"the JSON patch add to {path!r} may need parents that do not exist")
        fields = [f"op: {cel_string(str(operation['op']))}", f"path: {_path(path, scope)}"]
        if "value" in operation:
            fields.append(f"value: {_value(operation['value'], 'Object', scope, 1)}")
        patches.append("JSONPatch{" + ", ".join(fields) + "}")
    return {"patchType": "JSONPatch", "jsonPatch": {"expression": "[\n  " + ",\n  ".join(patches) + "\n]"}}


def mutations(mutate: Mapping[str, Any], scope: Scope) -> list[dict[str, Any]]:
    """The MutatingPolicy ``mutations`` of a mutate rule."""
    if mutate.get("targets"):
        raise Unconvertible("mutate-existing rules (targets) are not translated")
    if mutate.get("foreach") is not None:
        raise Unconvertible("mutate foreach is not translated")
    if mutate.get("patchStrategicMerge") is not None:
        return [apply_configuration(mutate["patchStrategicMerge"], scope)]
    if mutate.get("patchesJson6902") is not None:
        return [json_patch(mutate["patchesJson6902"], scope)]
    raise Unconvertible("a mutate rule needs patchStrategicMerge or patchesJson6902")


def _dyn(value: Any, scope: Scope, indent: int) -> str:
    """A JSON value as a CEL literal whose members are ``dyn`` (heterogeneous maps and lists)."""
    pad = "  " * (indent + 1)
    end = "  " * indent
    if isinstance(value, Mapping):
        if any("{{" in str(k) for k in value):
            raise Unconvertible("a variable in a generated key is not translated")
        entries = [f"{pad}{cel_string(str(k))}: {_dyn(v, scope, indent + 1)}" for k, v in value.items()]
        return "dyn({\n" + ",\n".join(entries) + f"\n{end}}})" if entries else "dyn({})"
    if isinstance(value, list):
        items = [f"{pad}{_dyn(v, scope, indent + 1)}" for v in value]
        return "dyn([\n" + ",\n".join(items) + f"\n{end}])" if items else "dyn([])"
    return f"dyn({translate_value(value, scope).text})"


def generation(generate: Mapping[str, Any], scope: Scope) -> tuple[list[dict[str, Any]], bool]:
    """A ``generate`` rule with ``data`` as GeneratingPolicy ``generate`` entries, and its ``synchronize``."""
    if generate.get("data") is None:
        kind = "clone" if generate.get("clone") is not None else "cloneList" if generate.get("cloneList") else "foreach"
        raise Unconvertible(f"generate rules with {kind} are not translated (only data)")
    data = generate["data"]
    if not isinstance(data, Mapping):
        raise Unconvertible("generate.data must be a mapping")
    metadata = dict(data.get("metadata") or {})
    metadata["name"] = generate.get("name") or ""
    obj = {**data, "apiVersion": generate.get("apiVersion") or "v1", "kind": generate.get("kind") or "",
           "metadata": metadata}
    namespace = translate_value(generate.get("namespace") or "", scope).text
    expression = f"generator.Apply({namespace}, [\n  {_dyn(obj, scope, 1)}\n])"
    return [{"expression": expression}], bool(generate.get("synchronize"))
