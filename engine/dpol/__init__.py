"""DeletingPolicy and NamespacedDeletingPolicy (policies.kyverno.io): previews of scheduled deletions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..common.loading import load_each
from .compiler import compile_deleting_policy
from .model import API_VERSIONS, KINDS, DeletingPolicy
from .policy import CompiledDeletingPolicy

if TYPE_CHECKING:
    from ..documents import Document
    from ..loader import PolicySet


def load(documents: list[Document], into: PolicySet) -> None:
    """Validate and compile DeletingPolicy documents into ``into`` (issues recorded per document)."""

    def build(doc: Document) -> tuple[str, Sequence[Any]]:
        policy = DeletingPolicy.from_dict(doc.data, doc.origin)
        return policy.qualified_name, [compile_deleting_policy(policy)]

    load_each(documents, into, API_VERSIONS, build)


__all__ = ["KINDS", "CompiledDeletingPolicy", "DeletingPolicy", "compile_deleting_policy", "load"]
