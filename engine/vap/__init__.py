"""Kubernetes admission policies (admissionregistration.k8s.io): ValidatingAdmissionPolicy with its bindings.

MutatingAdmissionPolicy and its bindings are delegated to :mod:`.mutating` (``load_mutating``); while that module
is absent they are recorded as unsupported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, LoadError
from .compiler import compile_validating_admission_policy
from .model import (
    API_VERSIONS,
    BINDING_KIND,
    KINDS,
    MUTATING_KINDS,
    POLICY_KIND,
    ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding,
)
from .policy import CompiledValidatingAdmissionPolicy

if TYPE_CHECKING:
    from ..documents import Document
    from ..loader import PolicySet


def _name(doc: Document) -> str:
    return str((doc.data.get("metadata") or {}).get("name") or "")


def _mutating_loader() -> Any | None:
    try:
        module = importlib.import_module(f"{__name__}.mutating")
    except ModuleNotFoundError as exc:
        if exc.name == f"{__name__}.mutating":
            return None
        raise
    return getattr(module, "load_mutating", None)


def _load_mutating(documents: list[Document], into: PolicySet) -> None:
    if not documents:
        return
    loader = _mutating_loader()
    if loader is not None:
        loader(documents, into)
        return
    for doc in documents:
        into.unsupported.append((str(doc.data.get("kind")), _name(doc), doc.origin))
        into.sources.setdefault(_name(doc), doc.data)


def load(documents: list[Document], into: PolicySet) -> None:
    """Load ValidatingAdmissionPolicies paired with their bindings (and delegate the mutating kinds)."""
    from ..loader import LoadIssue

    policies: list[tuple[Document, ValidatingAdmissionPolicy]] = []
    bindings: list[ValidatingAdmissionPolicyBinding] = []
    mutating: list[Document] = []
    for doc in documents:
        kind = str(doc.data.get("kind"))
        if kind in MUTATING_KINDS:
            mutating.append(doc)
            continue
        try:
            api_version = doc.data.get("apiVersion")
            if api_version not in API_VERSIONS:
                raise LoadError(f"{kind} apiVersion {api_version!r} is not one of {', '.join(API_VERSIONS)}")
            if kind == POLICY_KIND:
                policies.append((doc, ValidatingAdmissionPolicy.from_dict(doc.data, doc.origin)))
            elif kind == BINDING_KIND:
                bindings.append(ValidatingAdmissionPolicyBinding.from_dict(doc.data, doc.origin))
        except EngineError as exc:
            into.issues.append(LoadIssue(doc.origin, f"{kind} {_name(doc)!r}: {exc}", _name(doc), kind))
    for doc, policy in policies:
        mine = tuple(b for b in bindings if b.spec.policy_name == policy.metadata.name)
        try:
            into.policies.append(compile_validating_admission_policy(policy, mine))
            into.sources[policy.qualified_name] = doc.data
        except EngineError as exc:
            into.issues.append(LoadIssue(doc.origin, f"{POLICY_KIND} {_name(doc)!r}: {exc}", _name(doc), POLICY_KIND))
    _load_mutating(mutating, into)


__all__ = [
    "KINDS",
    "CompiledValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "compile_validating_admission_policy",
    "load",
]
