"""kyverno.io/v1 ClusterPolicy and Policy whose rules use ``validate.cel`` (other rule types report an error)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..common.loading import load_each
from .compiler import compile_cluster_policy
from .model import API_VERSIONS, KINDS, ClusterPolicy
from .policy import CompiledRule

if TYPE_CHECKING:
    from ..documents import Document
    from ..loader import PolicySet


def load(documents: list[Document], into: PolicySet) -> None:
    """Validate and compile ClusterPolicy/Policy documents into ``into`` (issues recorded per document)."""

    def build(doc: Document) -> tuple[str, Sequence[Any]]:
        policy = ClusterPolicy.from_dict(doc.data, doc.origin)
        return policy.qualified_name, compile_cluster_policy(policy)

    load_each(documents, into, API_VERSIONS, build)


__all__ = ["KINDS", "ClusterPolicy", "CompiledRule", "compile_cluster_policy", "load"]
