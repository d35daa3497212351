"""Kubernetes label selectors (``matchLabels`` / ``matchExpressions``) over plain label maps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import PolicyValidationError


class MalformedLabels(ValueError):
    """An object's ``metadata`` or ``metadata.labels`` is not a map: the API server never stores such an object, but
    a snapshot may hold one, and no label selector can be decided on it."""


def labels_of(obj: Mapping[str, Any] | None, what: str = "the object") -> dict[str, str]:
    """The labels of ``obj`` (``{}`` when it has none); raise :class:`MalformedLabels` naming ``what`` and the field
    when ``metadata`` or ``metadata.labels`` is not a map."""
    metadata = None if obj is None else obj.get("metadata")
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise MalformedLabels(f"{what}: metadata is not a map")
    labels = metadata.get("labels")
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise MalformedLabels(f"{what}: metadata.labels is not a map")
    return dict(labels)


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """Whether ``labels`` satisfy a LabelSelector. ``None`` and ``{}`` select everything."""
    if not selector:
        return True
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(_expression_matches(e, labels) for e in selector.get("matchExpressions") or [])


def _expression_matches(expression: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key = expression.get("key", "")
    operator = expression.get("operator", "")
    values = expression.get("values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    raise PolicyValidationError(f"label selector operator {operator!r} is not one of In, NotIn, Exists, DoesNotExist")
