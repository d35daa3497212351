"""The DeletingPolicy / NamespacedDeletingPolicy spec (identical in v1alpha1, v1beta1 and v1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from croniter import croniter
from pydantic import Field

from ..common.model import (
    KYVERNO_API_VERSIONS,
    MatchedSpec,
    NamedExpression,
    PolicyDocument,
    namespaced_pair,
    unique_variables,
)
from ..errors import PolicyValidationError

KINDS = namespaced_pair("DeletingPolicy")
API_VERSIONS = KYVERNO_API_VERSIONS


class DeletingPolicySpec(MatchedSpec):
    """What to delete (matchConstraints and conditions) and when (a cron schedule)."""

    conditions: list[NamedExpression] = Field(default_factory=list)
    schedule: str
    deletion_propagation_policy: Literal["Foreground", "Background", "Orphan", ""] = ""


def _valid_schedule(spec: DeletingPolicySpec) -> None:
    if not croniter.is_valid(spec.schedule):
        raise PolicyValidationError(f"{spec.schedule!r} is not a valid cron expression", path="spec.schedule")


@dataclass(frozen=True)
class DeletingPolicy(PolicyDocument[DeletingPolicySpec]):
    """A loaded (validated, not compiled) DeletingPolicy or NamespacedDeletingPolicy."""

    spec_model = DeletingPolicySpec
    checks = (_valid_schedule, unique_variables)
