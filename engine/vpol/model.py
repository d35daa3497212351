"""The ValidatingPolicy spec (identical in v1alpha1, v1beta1 and v1)."""

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

KINDS = ("ValidatingPolicy", "NamespacedValidatingPolicy")
API_VERSIONS = ("policies.kyverno.io/v1alpha1", "policies.kyverno.io/v1beta1", "policies.kyverno.io/v1")


class ValidatingPolicySpec(Model):
    match_constraints: MatchResources | None = None
    match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    variables: list[NamedExpression] = Field(default_factory=list)
    validations: list[Validation] = Field(default_factory=list)
    audit_annotations: list[AuditAnnotation] = Field(default_factory=list)
    failure_policy: Literal["Fail", "Ignore"] = "Fail"
    validation_actions: list[Literal["Deny", "Audit", "Warn"]] = Field(default_factory=list)
    autogen: Autogen | None = None
    evaluation: Evaluation = Field(default_factory=Evaluation)


@dataclass(frozen=True)
class ValidatingPolicy(PolicyNaming):
    """A loaded (validated, not yet compiled) ValidatingPolicy or NamespacedValidatingPolicy."""

    kind: str
    metadata: ObjectMeta
    spec: ValidatingPolicySpec
    raw_spec: dict[str, Any]
    origin: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> ValidatingPolicy:
        """Validate a policy document; raise :class:`PolicyValidationError` naming the field."""
        kind, meta, spec, raw_spec = parse_policy_parts(data, ValidatingPolicySpec)
        actions = set(spec.validation_actions)
        if {"Deny", "Warn"} <= actions:
            raise PolicyValidationError("spec.validationActions: Deny and Warn may not be used together")
        if (
            spec.evaluation.mode not in ("JSON",)
            and spec.match_constraints is None
            and spec.evaluation.mode
            in (
                "Kubernetes",
                "",
            )
        ):
            raise PolicyValidationError("spec.matchConstraints: required")
        if not spec.validations:
            raise PolicyValidationError("spec.validations: at least one validation is required")
        names = [v.name for v in spec.variables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise PolicyValidationError(f"spec.variables: duplicate names {duplicates}")
        return cls(kind, meta, spec, raw_spec, origin)
