"""ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io v1/v1beta1/v1alpha1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from ..common.model import (
    AuditAnnotation,
    ConditionedSpec,
    MatchResources,
    Model,
    PolicyDocument,
    SpecDocument,
    Validation,
    unique_variables,
    valid_actions,
)
from ..common.params import ParamKind, ParamRef
from ..errors import PolicyValidationError

GROUP = "admissionregistration.k8s.io"
API_VERSIONS = (f"{GROUP}/v1", f"{GROUP}/v1beta1", f"{GROUP}/v1alpha1")
POLICY_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"
KINDS = (POLICY_KIND, BINDING_KIND)


class ValidatingAdmissionPolicySpec(ConditionedSpec):
    """Validations and audit annotations, with parameters of ``paramKind``."""

    param_kind: ParamKind | None = None
    validations: list[Validation] = Field(default_factory=list)
    audit_annotations: list[AuditAnnotation] = Field(default_factory=list)


class ValidatingAdmissionPolicyBindingSpec(Model):
    policy_name: str
    param_ref: ParamRef | None = None
    match_resources: MatchResources | None = None
    validation_actions: list[Literal["Deny", "Warn", "Audit"]] = Field(default_factory=list)


def _validations_or_annotations(spec: ValidatingAdmissionPolicySpec) -> None:
    if not spec.validations and not spec.audit_annotations:
        message = "at least one validation or audit annotation is required"
        raise PolicyValidationError(message, path="spec.validations")


@dataclass(frozen=True)
class ValidatingAdmissionPolicy(PolicyDocument[ValidatingAdmissionPolicySpec]):
    """A loaded policy (cluster-scoped)."""

    spec_model = ValidatingAdmissionPolicySpec
    checks = (_validations_or_annotations, unique_variables)


@dataclass(frozen=True)
class ValidatingAdmissionPolicyBinding(SpecDocument[ValidatingAdmissionPolicyBindingSpec]):
    """A loaded binding."""

    spec_model = ValidatingAdmissionPolicyBindingSpec
    checks = (valid_actions,)
