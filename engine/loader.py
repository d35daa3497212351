"""Loading policies and exceptions from files into typed, compiled objects, collecting errors per document.

A bad document never stops the others: every problem is recorded as a :class:`LoadIssue` naming the file and the
document index, and the rest of the set still loads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .common.exceptions import PolicyException
from .documents import Document, iter_files, read_documents
from .errors import EngineError, LoadError
from .request import AdmissionContext
from .results import RuleResult
from .vpol import compile_validating_policy
from .vpol.model import API_VERSIONS as VPOL_API_VERSIONS
from .vpol.model import KINDS as VPOL_KINDS
from .vpol.model import ValidatingPolicy

POLICY_GROUP = "policies.kyverno.io"

#: Kinds the engine knows of but does not evaluate yet: reported as unsupported, not as unknown.
PENDING_KINDS = {
    "MutatingPolicy",
    "NamespacedMutatingPolicy",
    "GeneratingPolicy",
    "NamespacedGeneratingPolicy",
    "DeletingPolicy",
    "NamespacedDeletingPolicy",
    "ImageValidatingPolicy",
    "NamespacedImageValidatingPolicy",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "ClusterPolicy",
    "Policy",
}


class CompiledPolicy(Protocol):
    """What every compiled policy kind offers the index and the runners."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    autogen: str

    def index_keys(self) -> set[tuple[str, str, str]]: ...

    def evaluate(self, ctx: AdmissionContext, exceptions: list[PolicyException] | None = ..., options: Any = ...) -> (
        RuleResult | None
    ): ...


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


def load_document(doc: Document, into: PolicySet) -> None:
    """Load one document (policy or exception) into ``into``; record an issue when it cannot be used."""
    data = doc.data
    kind = data.get("kind")
    api_version = data.get("apiVersion")
    name = str((data.get("metadata") or {}).get("name") or "")
    if not isinstance(kind, str) or not kind or not isinstance(api_version, str) or not api_version:
        into.issues.append(LoadIssue(doc.origin, "not a Kubernetes object: apiVersion and kind are required", name))
        return
    try:
        if kind in VPOL_KINDS:
            if api_version not in VPOL_API_VERSIONS:
                raise LoadError(f"{kind} apiVersion {api_version!r} is not one of {', '.join(VPOL_API_VERSIONS)}")
            policy = ValidatingPolicy.from_dict(data, doc.origin)
            into.policies.extend(compile_validating_policy(policy))
            into.sources[policy.qualified_name] = data
        elif kind == "PolicyException":
            if _group(api_version) not in (POLICY_GROUP, "kyverno.io"):
                raise LoadError(f"PolicyException apiVersion {api_version!r} is not in {POLICY_GROUP}")
            into.exceptions.append(PolicyException.from_dict(data, doc.origin))
        elif kind in PENDING_KINDS:
            into.unsupported.append((kind, name, doc.origin))
            into.sources[name] = data
        else:
            raise LoadError(f"unknown policy kind {kind!r} (apiVersion {api_version!r})")
    except EngineError as exc:
        label = f"{kind} {name!r}" if name else kind
        into.issues.append(LoadIssue(doc.origin, f"{label}: {exc}", name, kind))


def load_documents(documents: Iterable[Document]) -> PolicySet:
    """Load already-parsed documents."""
    result = PolicySet()
    for doc in documents:
        load_document(doc, result)
    return result


def load_policies(paths: Iterable[str | Path]) -> PolicySet:
    """Load every policy and exception from files and directories (multi-document YAML)."""
    result = PolicySet()
    for file in iter_files(paths):
        try:
            documents = read_documents(file)
        except LoadError as exc:
            result.issues.append(LoadIssue(str(file), str(exc).removeprefix(f"{file}: ")))
            continue
        for doc in documents:
            load_document(doc, result)
    return result
