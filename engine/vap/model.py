"""ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io v1/v1beta1/v1alpha1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from ..common.model import AuditAnnotation, MatchResources, Model, NamedExpression, ObjectMeta, Validation, parse_model
from ..errors import PolicyValidationError
from .params import ParamKind, ParamRef

GROUP = "admissionregistration.k8s.io"
API_VERSIONS = (f"{GROUP}/v1", f"{GROUP}/v1beta1", f"{GROUP}/v1alpha1")
POLICY_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"
MUTATING_KINDS = ("MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")
KINDS = (POLICY_KIND, BINDING_KIND, *MUTATING_KINDS)


class ValidatingAdmissionPolicySpec(Model):
    param_kind: ParamKind | None = None
    match_constraints: MatchResources | None = None
    validations: list[Validation] = Field(default_factory=list)
    failure_policy: Literal["Fail", "Ignore"] = "Fail"
    audit_annotations: list[AuditAnnotation] = Field(default_factory=list)
    match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    variables: list[NamedExpression] = Field(default_factory=list)


class ValidatingAdmissionPolicyBindingSpec(Model):
    policy_name: str
    param_ref: ParamRef | None = None
    match_resources: MatchResources | None = None
    validation_actions: list[Literal["Deny", "Warn", "Audit"]] = Field(default_factory=list)


def _metadata(data: dict[str, Any]) -> ObjectMeta:
    return parse_model(ObjectMeta, data.get("metadata") or {}, "metadata")  # type: ignore[no-any-return]


def _spec(data: dict[str, Any]) -> dict[str, Any]:
    raw = data.get("spec")
    if not isinstance(raw, dict):
        raise PolicyValidationError("spec: required, must be a mapping")
    return raw


@dataclass(frozen=True)
class ValidatingAdmissionPolicy:
    """A loaded policy."""

    metadata: ObjectMeta
    spec: ValidatingAdmissionPolicySpec
    origin: str = ""
    kind: str = POLICY_KIND

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> ValidatingAdmissionPolicy:
        """Validate a policy document; raise :class:`PolicyValidationError` naming the field."""
        meta = _metadata(data)
        spec = parse_model(ValidatingAdmissionPolicySpec, _spec(data), "spec")
        if not spec.validations and not spec.audit_annotations:
            raise PolicyValidationError("spec.validations: at least one validation or audit annotation is required")
        names = [v.name for v in spec.variables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise PolicyValidationError(f"spec.variables: duplicate names {duplicates}")
        return cls(meta, spec, origin)

    @property
    def qualified_name(self) -> str:
        """The policy name (the kind is cluster-scoped)."""
        return self.metadata.name


@dataclass(frozen=True)
class ValidatingAdmissionPolicyBinding:
    """A loaded binding."""

    metadata: ObjectMeta
    spec: ValidatingAdmissionPolicyBindingSpec
    origin: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> ValidatingAdmissionPolicyBinding:
        """Validate a binding document; raise :class:`PolicyValidationError` naming the field."""
        meta = _metadata(data)
        spec = parse_model(ValidatingAdmissionPolicyBindingSpec, _spec(data), "spec")
        if {"Deny", "Warn"} <= set(spec.validation_actions):
            raise PolicyValidationError("spec.validationActions: Deny and Warn may not be used together")
        return cls(meta, spec, origin)
