"""Loading policies and PolicyExceptions from files or parsed documents into a :class:`PolicySet`.

Documents are dispatched by kind through the registry: each kind's spec loads all of its documents at once. A bad
document never stops the others: every problem becomes a :class:`~pykyverno.engine.diagnostics.Diagnostic` naming the
file, document, kind, name and field, and the rest of the set still loads. A PolicyException whose CEL does not
compile is reported here, not silently ignored at evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .common.kind import KindSpec
from .common.loading import located
from .common.policy_exception import PolicyException
from .diagnostics import Diagnostic
from .documents import Document, iter_files, read_documents
from .errors import EngineError, LoadError, PolicyValidationError
from .policyset import PolicySet
from .registry import REGISTRY

POLICY_GROUP = "policies.kyverno.io"
EXCEPTION_GROUPS = (POLICY_GROUP, "kyverno.io")
#: The manifest of a bundled policy set (name, description, includes): not a policy, skipped.
POLICY_SET_MANIFEST = ("PolicySet", "pykyverno.io")


def _group(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def load_exception(doc: Document, into: PolicySet) -> None:
    """Validate a PolicyException and compile its match conditions; a broken one is an issue, not an exception."""
    try:
        api_version = str(doc.data.get("apiVersion"))
        if _group(api_version) not in EXCEPTION_GROUPS:
            raise PolicyValidationError(f"{api_version!r} is not in {POLICY_GROUP}", path="apiVersion")
        exception = PolicyException.from_dict(doc.data, doc.origin)
    except EngineError as exc:
        into.issues.extend(located(exc, doc))
        return
    problems = exception.check()
    if problems:
        into.issues.extend(problem.located(doc) for problem in problems)
        return
    into.exceptions.append(exception)


def load_documents(documents: Iterable[Document], into: PolicySet | None = None) -> PolicySet:
    """Load already-parsed documents: policies of every registered kind and PolicyExceptions."""
    result = into if into is not None else PolicySet()
    batches: dict[str, tuple[KindSpec, list[Document]]] = {}
    for doc in documents:
        kind = doc.data.get("kind")
        api_version = doc.data.get("apiVersion")
        if not isinstance(kind, str) or not kind or not isinstance(api_version, str) or not api_version:
            message = "not a Kubernetes object: apiVersion and kind are required"
            result.issues.append(Diagnostic(message).located(doc))
        elif kind == "PolicyException":
            load_exception(doc, result)
        elif (kind, _group(api_version)) == POLICY_SET_MANIFEST:
            continue
        elif (spec := REGISTRY.for_kind(kind)) is not None:
            batches.setdefault(spec.name, (spec, []))[1].append(doc)
        else:
            message = f"unknown policy kind {kind!r} (apiVersion {api_version!r})"
            result.issues.append(Diagnostic(message, path="kind").located(doc))
    for spec, docs in batches.values():
        spec.load(docs, result)
    return result


def load_policies(paths: Iterable[str | Path]) -> PolicySet:
    """Load every policy and exception from files and directories (multi-document YAML)."""
    result = PolicySet()
    for file in iter_files(paths):
        errors: list[LoadError] = []
        try:
            documents = read_documents(file, errors=errors)
        except LoadError as exc:  # the file as a whole (missing, too large, not UTF-8)
            errors, documents = [exc], []
        for error in errors:
            result.issues.extend(error.diagnostics())
        load_documents(documents, result)
    return result
