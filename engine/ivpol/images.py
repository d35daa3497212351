"""Which images an ImageValidatingPolicy looks at: default extraction from pod specs, and ``matchImageReferences``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..common.wildcard import wildcard_match

CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")


def pod_spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The pod spec of a Pod, a CronJob or a controller with ``spec.template`` (``{}`` when none)."""
    spec = obj.get("spec") or {}
    if not isinstance(spec, Mapping):
        return {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec") or {})
    template = spec.get("template") or {}
    inner = template.get("spec") if isinstance(template, Mapping) else None
    return inner if isinstance(inner, Mapping) else {}


def default_images(obj: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """``{containers, initContainers, ephemeralContainers}`` image lists of a pod-bearing object."""
    pod_spec = pod_spec_of(obj or {})
    out: dict[str, list[str]] = {}
    for field in CONTAINER_FIELDS:
        items = pod_spec.get(field) or []
        out[field] = [str(c.get("image")) for c in items if isinstance(c, Mapping) and c.get("image")]
    return out


def filter_images(
    images: dict[str, list[str]], globs: list[str], expression_matches: Callable[[str], bool] | None
) -> dict[str, list[str]]:
    """Keep the images that match a glob or the expressions (everything when there are no references)."""
    if not globs and expression_matches is None:
        return images

    def wanted(image: str) -> bool:
        if any(wildcard_match(pattern, image) for pattern in globs):
            return True
        return expression_matches is not None and expression_matches(image)

    return {name: [image for image in refs if wanted(image)] for name, refs in images.items()}
