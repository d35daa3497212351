"""ImageValidatingPolicy and NamespacedImageValidatingPolicy (policies.kyverno.io), evaluated offline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..common.loading import load_each
from .compiler import compile_image_validating_policy
from .model import API_VERSIONS, KINDS, ImageValidatingPolicy
from .policy import CompiledImageValidatingPolicy

if TYPE_CHECKING:
    from ..documents import Document
    from ..loader import PolicySet


def load(documents: list[Document], into: PolicySet) -> None:
    """Validate and compile ImageValidatingPolicy documents into ``into`` (issues recorded per document)."""

    def build(doc: Document) -> tuple[str, Sequence[Any]]:
        policy = ImageValidatingPolicy.from_dict(doc.data, doc.origin)
        return policy.qualified_name, compile_image_validating_policy(policy)

    load_each(documents, into, API_VERSIONS, build)


__all__ = ["KINDS", "CompiledImageValidatingPolicy", "ImageValidatingPolicy", "compile_image_validating_policy", "load"]
