"""The ImageValidatingPolicy / NamespacedImageValidatingPolicy spec (identical in v1alpha1, v1beta1 and v1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from ..common.model import (
    KYVERNO_API_VERSIONS,
    Model,
    NamedExpression,
    ValidatingDocument,
    ValidatingSpec,
    at_least_one,
    namespaced_pair,
    valid_actions,
)
from ..errors import PolicyValidationError

KINDS = namespaced_pair("ImageValidatingPolicy")
API_VERSIONS = KYVERNO_API_VERSIONS


class MatchImageReference(Model):
    """A glob on the image reference, or a CEL expression over ``ref``."""

    glob: str = ""
    expression: str = ""


class ImageValidatingPolicySpec(ValidatingSpec):
    """The validating part plus the images to look at and how to verify them."""

    match_image_references: list[MatchImageReference] = Field(default_factory=list)
    images: list[NamedExpression] = Field(default_factory=list)
    attestors: list[dict[str, Any]] = Field(default_factory=list)
    attestations: list[dict[str, Any]] = Field(default_factory=list)
    validation_configurations: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None


def _references_and_attestors(spec: ImageValidatingPolicySpec) -> None:
    for i, ref in enumerate(spec.match_image_references):
        if bool(ref.glob) == bool(ref.expression):
            raise PolicyValidationError("exactly one of glob or expression", path=f"spec.matchImageReferences[{i}]")
    for field_name, items in (("attestors", spec.attestors), ("attestations", spec.attestations)):
        for i, item in enumerate(items):
            if not item.get("name"):
                raise PolicyValidationError("required", path=f"spec.{field_name}[{i}].name")


@dataclass(frozen=True)
class ImageValidatingPolicy(ValidatingDocument[ImageValidatingPolicySpec]):
    """A loaded (validated, not compiled) ImageValidatingPolicy or its Namespaced variant."""

    spec_model = ImageValidatingPolicySpec
    checks = (valid_actions, at_least_one("validations", "spec.validations", "validation"), _references_and_attestors)
