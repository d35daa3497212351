"""GeneratingPolicy and NamespacedGeneratingPolicy (policies.kyverno.io): previews of generated resources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..common.loading import load_each
from .compiler import compile_generating_policy
from .model import API_VERSIONS, KINDS, GeneratingPolicy
from .policy import CompiledGeneratingPolicy

if TYPE_CHECKING:
    from ..documents import Document
    from ..loader import PolicySet


def load(documents: list[Document], into: PolicySet) -> None:
    """Validate and compile GeneratingPolicy documents into ``into`` (issues recorded per document)."""

    def build(doc: Document) -> tuple[str, Sequence[Any]]:
        policy = GeneratingPolicy.from_dict(doc.data, doc.origin)
        return policy.qualified_name, [compile_generating_policy(policy)]

    load_each(documents, into, API_VERSIONS, build)


__all__ = ["KINDS", "CompiledGeneratingPolicy", "GeneratingPolicy", "compile_generating_policy", "load"]
