"""Kubernetes' ValidatingAdmissionPolicy with its bindings (admissionregistration.k8s.io), evaluated as Kyverno's
CLI evaluates them: the policy's ``matchConstraints``, then each binding with its parameters and validation actions.
The Kubernetes validator itself is shared with ClusterPolicy ``validate.cel`` rules (``engine/common/admission.py``).

May import ``engine/common``, ``engine/cel`` and the engine's root modules; never another kind package.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..cel import CelProfile, libs, names
from ..common.kind import KindSpec, LoadTarget
from ..common.loading import check_api_version, located
from ..documents import Document
from ..errors import EngineError
from .compiler import compile_validating_admission_policy
from .model import (
    API_VERSIONS,
    BINDING_KIND,
    KINDS,
    POLICY_KIND,
    ValidatingAdmissionPolicy,
    ValidatingAdmissionPolicyBinding,
    ValidatingAdmissionPolicyBindingSpec,
    ValidatingAdmissionPolicySpec,
)


def load(spec: KindSpec, documents: Sequence[Document], into: LoadTarget) -> None:
    """Load ValidatingAdmissionPolicies paired with the bindings of the same batch."""
    policies: list[tuple[Document, ValidatingAdmissionPolicy]] = []
    bindings: list[ValidatingAdmissionPolicyBinding] = []
    for doc in documents:
        try:
            check_api_version(doc, API_VERSIONS)
            if doc.data.get("kind") == POLICY_KIND:
                policies.append((doc, ValidatingAdmissionPolicy.from_dict(doc.data, doc.origin)))
            elif doc.data.get("kind") == BINDING_KIND:
                bindings.append(ValidatingAdmissionPolicyBinding.from_dict(doc.data, doc.origin))
        except EngineError as exc:
            into.issues.extend(located(exc, doc))
    for doc, policy in policies:
        mine = tuple(b for b in bindings if b.spec.policy_name == policy.metadata.name)
        try:
            into.policies.append(compile_validating_admission_policy(policy, spec, mine))
            into.sources[policy.qualified_name] = doc.data
        except EngineError as exc:
            into.issues.extend(located(exc, doc))


SPEC = KindSpec(
    name=POLICY_KIND, kinds=KINDS, api_versions=API_VERSIONS, report_source="ValidatingAdmissionPolicy", loader=load,
    cel=CelProfile(names.ADMISSION_POLICY_VARIABLES, libs.KUBERNETES), scanned=True,
    schemas={POLICY_KIND: ValidatingAdmissionPolicySpec, BINDING_KIND: ValidatingAdmissionPolicyBindingSpec},
)

__all__ = ["SPEC"]
