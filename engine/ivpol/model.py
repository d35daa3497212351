"""The ImageValidatingPolicy / NamespacedImageValidatingPolicy spec (identical in v1alpha1, v1beta1 and v1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from ..common.model import (
    AuditAnnotation,
    Autogen,
    Evaluation,
    MatchResources,
    Model,
    NamedExpression,
    ObjectMeta,
    PolicyNaming,
    Validation,
    parse_policy_parts,
)
from ..errors import PolicyValidationError

KINDS = ("ImageValidatingPolicy", "NamespacedImageValidatingPolicy")
API_VERSIONS = ("policies.kyverno.io/v1alpha1", "policies.kyverno.io/v1beta1", "policies.kyverno.io/v1")


class MatchImageReference(Model):
    """A glob on the image reference, or a CEL expression over ``ref``."""

    glob: str = ""
    expression: str = ""


class ImageExtractor(Model):
    """``images[]``: a named expression returning a list of image references."""

    name: str
    expression: str


class ImageValidatingPolicySpec(Model):
    match_constraints: MatchResources | None = None
    match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    variables: list[NamedExpression] = Field(default_factory=list)
    validations: list[Validation] = Field(default_factory=list)
    audit_annotations: list[AuditAnnotation] = Field(default_factory=list)
    failure_policy: Literal["Fail", "Ignore"] = "Fail"
    validation_actions: list[Literal["Deny", "Audit", "Warn"]] = Field(default_factory=list)
    match_image_references: list[MatchImageReference] = Field(default_factory=list)
    images: list[ImageExtractor] = Field(default_factory=list)
    attestors: list[dict[str, Any]] = Field(default_factory=list)
    attestations: list[dict[str, Any]] = Field(default_factory=list)
    autogen: Autogen | None = None
    evaluation: Evaluation = Field(default_factory=Evaluation)


@dataclass(frozen=True)
class ImageValidatingPolicy(PolicyNaming):
    """A loaded (validated, not compiled) ImageValidatingPolicy or its Namespaced variant."""

    kind: str
    metadata: ObjectMeta
    spec: ImageValidatingPolicySpec
    raw_spec: dict[str, Any]
    origin: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> ImageValidatingPolicy:
        """Validate a policy document; raise :class:`PolicyValidationError` naming the field."""
        kind, meta, spec, raw_spec = parse_policy_parts(data, ImageValidatingPolicySpec)
        if {"Deny", "Warn"} <= set(spec.validation_actions):
            raise PolicyValidationError("spec.validationActions: Deny and Warn may not be used together")
        if not spec.validations:
            raise PolicyValidationError("spec.validations: at least one validation is required")
        for i, ref in enumerate(spec.match_image_references):
            if bool(ref.glob) == bool(ref.expression):
                raise PolicyValidationError(f"spec.matchImageReferences[{i}]: exactly one of glob or expression")
        for field_name, items in (("attestors", spec.attestors), ("attestations", spec.attestations)):
            for i, item in enumerate(items):
                if not item.get("name"):
                    raise PolicyValidationError(f"spec.{field_name}[{i}].name: required")
        return cls(kind, meta, spec, raw_spec, origin)
