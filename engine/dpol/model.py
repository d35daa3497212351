"""The DeletingPolicy / NamespacedDeletingPolicy spec (identical in v1alpha1, v1beta1 and v1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from croniter import croniter
from pydantic import Field

from ..common.model import MatchResources, Model, NamedExpression, ObjectMeta, PolicyNaming, parse_policy_parts
from ..errors import PolicyValidationError

KINDS = ("DeletingPolicy", "NamespacedDeletingPolicy")
API_VERSIONS = ("policies.kyverno.io/v1alpha1", "policies.kyverno.io/v1beta1", "policies.kyverno.io/v1")


class DeletingPolicySpec(Model):
    match_constraints: MatchResources | None = None
    conditions: list[NamedExpression] = Field(default_factory=list)
    variables: list[NamedExpression] = Field(default_factory=list)
    schedule: str
    deletion_propagation_policy: Literal["Foreground", "Background", "Orphan", ""] = ""


@dataclass(frozen=True)
class DeletingPolicy(PolicyNaming):
    """A loaded (validated, not compiled) DeletingPolicy or NamespacedDeletingPolicy."""

    kind: str
    metadata: ObjectMeta
    spec: DeletingPolicySpec
    raw_spec: dict[str, Any]
    origin: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> DeletingPolicy:
        """Validate a policy document; raise :class:`PolicyValidationError` naming the field."""
        kind, meta, spec, raw_spec = parse_policy_parts(data, DeletingPolicySpec)
        if not croniter.is_valid(spec.schedule):
            raise PolicyValidationError(f"spec.schedule: {spec.schedule!r} is not a valid cron expression")
        names = [v.name for v in spec.variables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise PolicyValidationError(f"spec.variables: duplicate names {duplicates}")
        return cls(kind, meta, spec, raw_spec, origin)
