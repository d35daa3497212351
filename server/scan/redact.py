"""Redaction of secret material before objects are evaluated, stored or shown."""

from __future__ import annotations

from typing import Any

REDACTED = "<redacted>"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def redact(obj: dict[str, Any]) -> dict[str, Any]:
    """Secrets keep their keys but lose their values; managedFields and last-applied annotations are dropped."""
    metadata = obj.get("metadata")
    needs_copy = obj.get("kind") == "Secret" or (
        isinstance(metadata, dict)
        and ("managedFields" in metadata or _LAST_APPLIED in (metadata.get("annotations") or {}))
    )
    if not needs_copy:
        return obj
    out = dict(obj)
    if isinstance(metadata, dict):
        meta = {k: v for k, v in metadata.items() if k != "managedFields"}
        annotations = meta.get("annotations")
        if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
            meta["annotations"] = {k: v for k, v in annotations.items() if k != _LAST_APPLIED}
        out["metadata"] = meta
    if obj.get("kind") == "Secret":
        for key in ("data", "stringData"):
            values = obj.get(key)
            if isinstance(values, dict):
                out[key] = {name: REDACTED for name in values}
    return out
