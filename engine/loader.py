"""Loading policies and exceptions from files into typed, compiled objects, collecting errors per document.

A bad document never stops the others: every problem is recorded as a :class:`LoadIssue` naming the file and the
document index, and the rest of the set still loads.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .common.exceptions import PolicyException
from .documents import Document, iter_files, read_documents
from .errors import EngineError, LoadError
from .request import AdmissionContext
from .results import RuleResult

POLICY_GROUP = "policies.kyverno.io"

#: Policy kinds and the engine package that loads them. Each package exposes ``KINDS`` and
#: ``load(documents, into)``, which receives every document of its kinds at once (so that, for example,
#: admission policies can be paired with their bindings) and adds compiled policies and issues to ``into``.
#: A kind whose package is not importable is reported as unsupported, never silently dropped.
KIND_PACKAGES: dict[str, str] = {
    "ValidatingPolicy": "vpol",
    "NamespacedValidatingPolicy": "vpol",
    "MutatingPolicy": "mpol",
    "NamespacedMutatingPolicy": "mpol",
    "GeneratingPolicy": "gpol",
    "NamespacedGeneratingPolicy": "gpol",
    "DeletingPolicy": "dpol",
    "NamespacedDeletingPolicy": "dpol",
    "ImageValidatingPolicy": "ivpol",
    "NamespacedImageValidatingPolicy": "ivpol",
    "ValidatingAdmissionPolicy": "vap",
    "ValidatingAdmissionPolicyBinding": "vap",
    "MutatingAdmissionPolicy": "vap",
    "MutatingAdmissionPolicyBinding": "vap",
    "ClusterPolicy": "cpol",
    "Policy": "cpol",
}


class CompiledPolicy(Protocol):
    """What every compiled policy kind offers the index and the runners."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    autogen: str

    def index_keys(self) -> set[tuple[str, str, str]]: ...

    def evaluate(
        self, ctx: AdmissionContext, exceptions: list[PolicyException] | None = ..., options: Any = ...
    ) -> RuleResult | None: ...


@dataclass(frozen=True)
class LoadIssue:
    """A document that could not be used, and why."""

    origin: str
    message: str
    name: str = ""
    kind: str = ""

    def __str__(self) -> str:
        return f"{self.origin}: {self.message}"


@dataclass
class PolicySet:
    """Everything loaded from a set of paths."""

    policies: list[CompiledPolicy] = field(default_factory=list)
    exceptions: list[PolicyException] = field(default_factory=list)
    #: Loaded documents of kinds not evaluated yet, by (kind, name).
    unsupported: list[tuple[str, str, str]] = field(default_factory=list)
    issues: list[LoadIssue] = field(default_factory=list)
    #: Source documents of the loaded policies, by qualified name (for describe/explain).
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    def extend(self, other: PolicySet) -> None:
        """Merge another set into this one."""
        self.policies.extend(other.policies)
        self.exceptions.extend(other.exceptions)
        self.unsupported.extend(other.unsupported)
        self.issues.extend(other.issues)
        self.sources.update(other.sources)

    def names(self) -> list[str]:
        """Distinct policy names, in load order."""
        return list(dict.fromkeys(p.name for p in self.policies))


def _group(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def _kind_package(name: str) -> Any | None:
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.endswith(f".{name}"):
            return None
        raise


def _load_exception(doc: Document, into: PolicySet) -> None:
    data = doc.data
    api_version = str(data.get("apiVersion"))
    name = str((data.get("metadata") or {}).get("name") or "")
    try:
        if _group(api_version) not in (POLICY_GROUP, "kyverno.io"):
            raise LoadError(f"PolicyException apiVersion {api_version!r} is not in {POLICY_GROUP}")
        into.exceptions.append(PolicyException.from_dict(data, doc.origin))
    except EngineError as exc:
        into.issues.append(LoadIssue(doc.origin, f"PolicyException {name!r}: {exc}", name, "PolicyException"))


def load_documents(documents: Iterable[Document], into: PolicySet | None = None) -> PolicySet:
    """Load already-parsed documents: policies of every kind and PolicyExceptions."""
    result = into if into is not None else PolicySet()
    batches: dict[str, list[Document]] = {}
    for doc in documents:
        data = doc.data
        kind = data.get("kind")
        api_version = data.get("apiVersion")
        name = str((data.get("metadata") or {}).get("name") or "")
        if not isinstance(kind, str) or not kind or not isinstance(api_version, str) or not api_version:
            result.issues.append(
                LoadIssue(doc.origin, "not a Kubernetes object: apiVersion and kind are required", name)
            )
        elif kind == "PolicyException":
            _load_exception(doc, result)
        elif (kind, _group(api_version)) == ("PolicySet", "pykyverno.io"):
            continue  # the manifest of a bundled policy set (name, description, includes), not a policy
        elif kind in KIND_PACKAGES:
            batches.setdefault(KIND_PACKAGES[kind], []).append(doc)
        else:
            result.issues.append(
                LoadIssue(doc.origin, f"unknown policy kind {kind!r} (apiVersion {api_version!r})", name, kind)
            )
    for package_name, docs in batches.items():
        package = _kind_package(package_name)
        if package is None or not callable(getattr(package, "load", None)):
            for doc in docs:
                name = str((doc.data.get("metadata") or {}).get("name") or "")
                result.unsupported.append((str(doc.data.get("kind")), name, doc.origin))
                result.sources[name] = doc.data
            continue
        package.load(docs, result)
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
            origin = str(file) if error.document is None else f"{file} (document {error.document + 1})"
            result.issues.append(LoadIssue(origin, str(error).removeprefix(f"{origin}: ")))
        load_documents(documents, result)
    return result
