"""The difference between an object in the cluster and what a server-side-apply dry run says it would become.

Both sides are compared without what the server owns (``status``, ``managedFields``, ``resourceVersion``, ``uid``,
``generation``, timestamps), as ``kubectl diff --server-side`` does, so a re-run that changes nothing shows no change.
"""

from __future__ import annotations

import copy
import difflib
import re
from typing import Any

import yaml

from .model import FieldChange

#: Metadata set by the API server, never by the writer.
SERVER_METADATA = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
                   "deletionTimestamp", "deletionGracePeriodSeconds")


def comparable(obj: dict[str, Any] | None) -> dict[str, Any]:
    """``obj`` without status and server-owned metadata (an empty dict for None)."""
    if not obj:
        return {}
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        for key in SERVER_METADATA:
            meta.pop(key, None)
    return out


def _join(path: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return f"{path}.{key}" if path else key
    return f'{path}["{key}"]'


def field_changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """Leaf-level changes from ``before`` to ``after`` (maps recursed; lists and scalars compared whole), with
    paths such as ``spec.validationActions`` or ``metadata.labels["app.kubernetes.io/managed-by"]``."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = _join(path, str(key))
            if key not in before:
                out.append(FieldChange(sub, None, after[key]))
            elif key not in after:
                out.append(FieldChange(sub, before[key], None))
            else:
                out.extend(field_changes(before[key], after[key], sub))
        return out
    if before != after:
        return [FieldChange(path, before, after)]
    return []


def unified_diff(before: dict[str, Any] | None, after: dict[str, Any] | None, label: str) -> str:
    """A unified diff of the two objects as YAML (``--- live`` / ``+++ planned``); empty when they are equal."""
    left = yaml.safe_dump(comparable(before), sort_keys=True).splitlines() if before else []
    right = yaml.safe_dump(comparable(after), sort_keys=True).splitlines() if after else []
    if left == right:
        return ""
    lines = difflib.unified_diff(left, right, fromfile=f"{label} (live)", tofile=f"{label} (planned)", lineterm="")
    return "\n".join(lines)


__all__ = ["SERVER_METADATA", "comparable", "field_changes", "unified_diff"]
