"""Normalising resource manifests read from files the way the API server (and Kyverno's CLI) would see them."""

from __future__ import annotations

import copy
from typing import Any

from .resources import is_namespaced

DEFAULT_NAMESPACE = "default"


def prune_nulls(value: Any) -> Any:
    """Drop ``null`` map entries recursively (the API server never stores them)."""
    if isinstance(value, dict):
        return {k: prune_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune_nulls(v) for v in value]
    return value


def normalize_manifest(obj: dict[str, Any], default_namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
    """A copy with the default namespace set on namespaced kinds that have none, as Kyverno's CLI does.

    ``null`` fields are kept: Kyverno evaluates manifests as written (``rules: null`` reads as null).
    """
    out: dict[str, Any] = copy.deepcopy(obj)
    metadata = out.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        return out
    if not metadata.get("namespace"):
        namespaced = is_namespaced(str(out.get("apiVersion") or ""), str(out.get("kind") or ""))
        if namespaced:
            metadata["namespace"] = default_namespace
    return out
