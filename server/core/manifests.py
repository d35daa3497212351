"""Reading YAML someone passed as text (an agent's ``policy_yaml``, ``resources_yaml``, ``manifests_yaml``)."""

from __future__ import annotations

from typing import Any

from pykyverno.engine.documents import Document, expand_lists, parse_documents
from pykyverno.engine.errors import LoadError
from pykyverno.engine.objects import kubernetes_objects, normalize_manifest

from .errors import InputError


def yaml_documents(text: str, what: str, *, positions: bool = True) -> list[Document]:
    """Parsed documents (``List`` kinds expanded); :class:`InputError` naming the field and line on bad YAML.
    ``positions=False`` skips field positions (bulk manifests)."""
    try:
        return list(expand_lists(parse_documents(text, what, positions=positions)))
    except LoadError as exc:
        raise InputError(f"{what} is not valid YAML: {exc}. Fix the YAML and call again.") from None


def yaml_objects(text: str, what: str) -> list[dict[str, Any]]:
    """The Kubernetes objects of YAML text, normalised as the CLI reads manifests (default namespace);
    :class:`InputError` naming each document that is not one (no apiVersion or kind)."""
    problems: list[str] = []
    objects = kubernetes_objects(yaml_documents(text, what, positions=False), problems)
    if problems:
        raise InputError(f"{what}: {'; '.join(problems)}. Give each document its apiVersion and kind, and call again.")
    return [normalize_manifest(obj) for obj in objects]
