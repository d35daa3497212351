"""The per-document loading loop every policy kind shares: check apiVersion, build, record issues, never stop."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, LoadError

if TYPE_CHECKING:
    from ..documents import Document
    from ..loader import PolicySet


def load_each(
    documents: Iterable[Document],
    into: PolicySet,
    api_versions: Sequence[str],
    build: Callable[[Document], tuple[str, Sequence[Any]]],
) -> None:
    """Load documents one by one with ``build`` (document -> qualified name and compiled policies); a document that
    fails becomes a :class:`~pykyverno.engine.loader.LoadIssue` naming the file, document, kind and name."""
    from ..loader import LoadIssue

    for doc in documents:
        kind = str(doc.data.get("kind"))
        name = str((doc.data.get("metadata") or {}).get("name") or "")
        try:
            api_version = doc.data.get("apiVersion")
            if api_version not in api_versions:
                raise LoadError(f"{kind} apiVersion {api_version!r} is not one of {', '.join(api_versions)}")
            qualified_name, compiled = build(doc)
            into.policies.extend(compiled)
            into.sources[qualified_name] = doc.data
        except EngineError as exc:
            label = f"{kind} {name!r}" if name else kind
            into.issues.append(LoadIssue(doc.origin, f"{label}: {exc}", name, kind))
