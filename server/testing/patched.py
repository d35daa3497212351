"""Comparing mutated resources with a Test's ``patchedResources``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pykyverno.engine.documents import expand_lists, read_documents
from pykyverno.engine.errors import EngineError
from pykyverno.engine.results import RuleResult


def _identity(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or "")


def compare_patched(expected_file: Path, obj: dict[str, Any], results: list[RuleResult]) -> str:
    """Return "" when the mutated object equals its expected version, else a reason."""
    try:
        expected = [d.data for d in expand_lists(read_documents(expected_file))]
    except EngineError as exc:
        return f"cannot read patchedResources: {exc}"
    kind, namespace, name = _identity(obj)
    candidates = [e for e in expected if _identity(e)[0] == kind and _identity(e)[2] == name]
    if not candidates:
        return f"patchedResources has no {kind}/{name}"
    patched = next((r.patched for r in results if r.patched is not None), obj)
    for candidate in candidates:
        if candidate == patched:
            return ""
    return f"mutated {kind}/{name} differs from patchedResources"
