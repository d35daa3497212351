"""MutatingPolicy and NamespacedMutatingPolicy (policies.kyverno.io)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..common.loading import load_each
from .compiler import compile_mutating_policy
from .model import API_VERSIONS, KINDS, MutatingPolicy
from .policy import CompiledMutatingPolicy

if TYPE_CHECKING:
    from ..documents import Document
    from ..loader import PolicySet


def load(documents: list[Document], into: PolicySet) -> None:
    """Validate and compile MutatingPolicy documents into ``into`` (issues recorded per document)."""

    def build(doc: Document) -> tuple[str, Sequence[Any]]:
        policy = MutatingPolicy.from_dict(doc.data, doc.origin)
        return policy.qualified_name, compile_mutating_policy(policy)

    load_each(documents, into, API_VERSIONS, build)


__all__ = ["KINDS", "CompiledMutatingPolicy", "MutatingPolicy", "compile_mutating_policy", "load"]
