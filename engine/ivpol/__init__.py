"""ImageValidatingPolicy and NamespacedImageValidatingPolicy (policies.kyverno.io), evaluated offline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import EngineError, LoadError
from .compiler import compile_image_validating_policy
from .model import API_VERSIONS, KINDS, ImageValidatingPolicy
from .policy import CompiledImageValidatingPolicy

if TYPE_CHECKING:
    from ..documents import Document
    from ..loader import PolicySet


def load(documents: list[Document], into: PolicySet) -> None:
    """Validate and compile ImageValidatingPolicy documents into ``into`` (issues recorded per document)."""
    from ..loader import LoadIssue

    for doc in documents:
        kind = str(doc.data.get("kind"))
        name = str((doc.data.get("metadata") or {}).get("name") or "")
        try:
            api_version = doc.data.get("apiVersion")
            if api_version not in API_VERSIONS:
                raise LoadError(f"{kind} apiVersion {api_version!r} is not one of {', '.join(API_VERSIONS)}")
            policy = ImageValidatingPolicy.from_dict(doc.data, doc.origin)
            into.policies.extend(compile_image_validating_policy(policy))
            into.sources[policy.qualified_name] = doc.data
        except EngineError as exc:
            label = f"{kind} {name!r}" if name else kind
            into.issues.append(LoadIssue(doc.origin, f"{label}: {exc}", name, kind))


__all__ = ["KINDS", "CompiledImageValidatingPolicy", "ImageValidatingPolicy", "compile_image_validating_policy", "load"]
