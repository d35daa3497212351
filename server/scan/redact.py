"""Redaction of secret material before objects are evaluated, stored or shown.

Secrets keep their keys and lose their values. Outside Secrets, literal environment variable values whose name looks
like a credential (``*_TOKEN``, ``API_KEY``, ``DB_PASSWORD``...) are masked too: a policy can still see that a value
is set inline (that is what it flags), but the value never reaches a report, an explanation or an agent.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "<redacted>"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: Environment variable names whose literal values are masked.
CREDENTIAL_NAME = re.compile(r"(?i)(key|token|secret|passw|pwd|credential|auth|private|cert)")


def _mask_env(value: Any) -> tuple[Any, bool]:
    """(value with credential-like ``env[].value`` literals masked, whether anything changed)."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "env" and isinstance(item, list):
                masked_list, did = _mask_env_list(item)
            else:
                masked_list, did = _mask_env(item)
            out[key] = masked_list
            changed = changed or did
        return (out, True) if changed else (value, False)
    if isinstance(value, list):
        results = [_mask_env(item) for item in value]
        if any(did for _, did in results):
            return [item for item, _ in results], True
        return value, False
    return value, False


def _mask_env_list(env: list[Any]) -> tuple[list[Any], bool]:
    changed = False
    out = []
    for entry in env:
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("value"), str)
            and entry["value"]
            and CREDENTIAL_NAME.search(str(entry.get("name") or ""))
        ):
            out.append({**entry, "value": REDACTED})
            changed = True
        else:
            out.append(entry)
    return out, changed


def redact(obj: dict[str, Any]) -> dict[str, Any]:
    """Secrets keep their keys but lose their values; managedFields and last-applied annotations are dropped."""
    metadata = obj.get("metadata")
    needs_copy = obj.get("kind") == "Secret" or (
        isinstance(metadata, dict)
        and ("managedFields" in metadata or _LAST_APPLIED in (metadata.get("annotations") or {}))
    )
    spec_like = {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind", "status")}
    masked, env_changed = _mask_env(spec_like)
    if not needs_copy and not env_changed:
        return obj
    out = dict(obj)
    if env_changed:
        out.update(masked)
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
