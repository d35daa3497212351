"""Comparing generated resources with a Test's ``generatedResource(s)``, as ``kyverno test`` compares them.

Before comparing, both sides lose the labels Kyverno puts on downstream resources (``generate.kyverno.io/*`` and
``app.kubernetes.io/managed-by: kyverno``, Kyverno's ``FixupGenerateLabels``) and are tidied (``null`` values, empty
maps and empty lists dropped). Every expected object must then equal a produced object of the same apiVersion, kind,
namespace and name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pykyverno.engine.documents import expand_lists, read_documents
from pykyverno.engine.errors import EngineError
from pykyverno.engine.objects import object_identity
from pykyverno.engine.results import RuleResult

from .patched import differences

GENERATE_LABEL_PREFIX = "generate.kyverno.io/"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"


def tidy(value: Any) -> Any:
    """Drop ``null`` values and empty maps/lists, recursively (Kyverno compares tidied objects)."""
    if isinstance(value, dict):
        out = {k: tidy(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [tidy(v) for v in value]
    return value


def without_generate_labels(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy without the labels Kyverno adds to generated resources."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("labels"), dict):
        return obj
    labels = {
        k: v
        for k, v in metadata["labels"].items()
        if not str(k).startswith(GENERATE_LABEL_PREFIX) and not (k == MANAGED_BY_LABEL and v == "kyverno")
    }
    return {**obj, "metadata": {**metadata, "labels": labels}}


def normalized(obj: dict[str, Any]) -> dict[str, Any]:
    """The form both sides are compared in."""
    result = tidy(without_generate_labels(obj))
    return result if isinstance(result, dict) else {}


def _label(key: tuple[str, str, str, str]) -> str:
    _, kind, namespace, name = key
    return f"{kind}/{namespace + '/' if namespace else ''}{name}"


def compare_generated(expected_files: list[Path], results: list[RuleResult]) -> str:
    """Return "" when every expected generated resource was produced as expected, else a reason."""
    produced = [normalized(g) for r in results for g in r.generated]
    by_identity: dict[tuple[str, str, str, str], list[dict[str, Any]]] = {}
    for obj in produced:
        by_identity.setdefault(object_identity(obj), []).append(obj)
    for file in expected_files:
        try:
            expected = [normalized(d.data) for d in expand_lists(read_documents(file))]
        except EngineError as exc:
            return f"cannot read generated resources: {exc}"
        for item in expected:
            key = object_identity(item)
            candidates = by_identity.get(key, [])
            if not candidates:
                made = ", ".join(_label(object_identity(p)) for p in produced) or "nothing"
                return f"expected generated {_label(key)} was not produced (produced: {made})"
            if item not in candidates:
                diff = "; ".join(differences(candidates[0], item)[:5])
                return f"generated {_label(key)} differs from {file.name}: {diff}"
    return ""
