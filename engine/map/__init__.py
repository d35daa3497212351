"""Kubernetes' MutatingAdmissionPolicy with its bindings (admissionregistration.k8s.io): each binding resolves its
parameters and applies the mutations in turn, as Kyverno's CLI does. The mutations are shared with MutatingPolicy
(``engine/common/mutation.py``).

May import ``engine/common``, ``engine/cel`` and the engine's root modules; never another kind package.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..cel import CelProfile, libs, names
from ..common.kind import KindSpec, LoadTarget
from ..common.loading import check_api_version, located
from ..common.mutation import mutation_checks
from ..diagnostics import Diagnostic
from ..documents import Document
from ..errors import EngineError
from .compiler import compile_mutating_admission_policy
from .model import (
    API_VERSIONS,
    BINDING_KIND,
    KINDS,
    POLICY_KIND,
    MutatingAdmissionPolicy,
    MutatingAdmissionPolicyBinding,
    MutatingAdmissionPolicyBindingSpec,
    MutatingAdmissionPolicySpec,
)
from .policy import CompiledMutatingAdmissionPolicy


def load(spec: KindSpec, documents: Sequence[Document], into: LoadTarget) -> None:
    """Load MutatingAdmissionPolicy and MutatingAdmissionPolicyBinding documents into ``into``.

    Bindings attach to the policy they name (in this batch, or a MutatingAdmissionPolicy loaded before); a binding
    naming no loaded policy is an issue.
    """
    compiled: dict[str, CompiledMutatingAdmissionPolicy] = {
        p.name: p for p in into.policies if isinstance(p, CompiledMutatingAdmissionPolicy)
    }
    for doc in documents:
        if doc.data.get("kind") != POLICY_KIND:
            continue
        try:
            check_api_version(doc, API_VERSIONS)
            policy = compile_mutating_admission_policy(MutatingAdmissionPolicy.from_dict(doc.data, doc.origin), spec)
        except EngineError as exc:
            into.issues.extend(located(exc, doc))
            continue
        into.policies.append(policy)
        into.sources[policy.name] = doc.data
        compiled[policy.name] = policy
    for doc in documents:
        if doc.data.get("kind") != BINDING_KIND:
            continue
        try:
            check_api_version(doc, API_VERSIONS)
            binding = MutatingAdmissionPolicyBinding.from_dict(doc.data, doc.origin)
        except EngineError as exc:
            into.issues.extend(located(exc, doc))
            continue
        target = compiled.get(binding.spec.policy_name)
        if target is None:
            message = f"policy {binding.spec.policy_name!r} is not loaded"
            into.issues.append(Diagnostic(message, path="spec.policyName").located(doc))
            continue
        target.bindings.append(binding)


SPEC = KindSpec(
    name=POLICY_KIND, kinds=KINDS, api_versions=API_VERSIONS, report_source="MutatingAdmissionPolicy", loader=load,
    cel=CelProfile(names.ADMISSION_POLICY_VARIABLES, libs.KUBERNETES), mutates=True, checks=mutation_checks,
    schemas={POLICY_KIND: MutatingAdmissionPolicySpec, BINDING_KIND: MutatingAdmissionPolicyBindingSpec},
)

__all__ = ["SPEC"]
