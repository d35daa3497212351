"""The per-document loading loop every policy kind shares: check apiVersion, build, record diagnostics, never stop."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..diagnostics import Diagnostic
from ..errors import EngineError, PolicyValidationError

if TYPE_CHECKING:
    from ..documents import Document
    from .kind import CompiledPolicy, KindSpec, Loader, LoadTarget



class NamedPolicy(Protocol):
    """A validated policy document, named as reports name it."""

    @property
    def qualified_name(self) -> str: ...


P = TypeVar("P", bound=NamedPolicy)


def check_api_version(doc: Document, api_versions: Sequence[str]) -> None:
    """Raise :class:`PolicyValidationError` unless the document's apiVersion is one of ``api_versions``."""
    api_version = doc.data.get("apiVersion")
    if api_version not in api_versions:
        raise PolicyValidationError(f"{api_version!r} is not one of {', '.join(api_versions)}", path="apiVersion")


def located(exc: EngineError, doc: Document) -> list[Diagnostic]:
    """The diagnostics of ``exc``, placed in ``doc`` (file, document, kind, name, line and column)."""
    return [diagnostic.located(doc) for diagnostic in exc.diagnostics()]


def load_each(
    documents: Iterable[Document],
    into: LoadTarget,
    api_versions: Sequence[str],
    build: Callable[[Document], tuple[str, Sequence[CompiledPolicy]]],
) -> None:
    """Load documents one by one with ``build`` (document -> qualified name and compiled policies); a document that
    fails adds its diagnostics (file, document, kind, name, field) to ``into.issues``."""
    for doc in documents:
        try:
            check_api_version(doc, api_versions)
            qualified_name, compiled = build(doc)
            into.policies.extend(compiled)
            into.sources[qualified_name] = doc.data
        except EngineError as exc:
            into.issues.extend(located(exc, doc))


def per_document(
    model: Callable[[dict[str, Any], str], P],
    compile_policy: Callable[[P, KindSpec], CompiledPolicy | Sequence[CompiledPolicy]],
) -> Loader:
    """The loader of a kind whose documents load one by one: validate with ``model`` (a ``from_dict``), compile with
    ``compile_policy`` (one compiled policy, or the policy and its autogen variants)."""

    def load(spec: KindSpec, documents: Sequence[Document], into: LoadTarget) -> None:
        def build(doc: Document) -> tuple[str, Sequence[CompiledPolicy]]:
            policy = model(doc.data, doc.origin)
            compiled = compile_policy(policy, spec)
            return policy.qualified_name, compiled if isinstance(compiled, Sequence) else [compiled]

        load_each(documents, into, spec.api_versions, build)

    return load
