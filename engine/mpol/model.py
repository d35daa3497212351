"""The MutatingPolicy spec (identical in v1alpha1, v1beta1 and v1), and the ``mutations[]`` shared with Kubernetes'
MutatingAdmissionPolicy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from ..common.model import (
    Evaluation,
    EvaluationToggle,
    MatchResources,
    Model,
    NamedExpression,
    ObjectMeta,
    PodControllers,
    PolicyNaming,
    parse_policy_parts,
)
from ..errors import PolicyValidationError

KINDS = ("MutatingPolicy", "NamespacedMutatingPolicy")
API_VERSIONS = ("policies.kyverno.io/v1alpha1", "policies.kyverno.io/v1beta1", "policies.kyverno.io/v1")

APPLY_CONFIGURATION = "ApplyConfiguration"
JSON_PATCH = "JSONPatch"


class ExpressionHolder(Model):
    expression: str


class Mutation(Model):
    """``mutations[]``: an ApplyConfiguration or a JSONPatch expression."""

    patch_type: Literal["ApplyConfiguration", "JSONPatch"]
    apply_configuration: ExpressionHolder | None = None
    json_patch: ExpressionHolder | None = None

    @property
    def expression(self) -> str:
        """The expression of the chosen patch type ("" when it is missing)."""
        holder = self.apply_configuration if self.patch_type == APPLY_CONFIGURATION else self.json_patch
        return holder.expression if holder is not None else ""

    @property
    def field(self) -> str:
        """The field holding the expression (``applyConfiguration`` or ``jsonPatch``)."""
        return "applyConfiguration" if self.patch_type == APPLY_CONFIGURATION else "jsonPatch"


def check_mutations(mutations: list[Mutation], prefix: str = "spec.mutations") -> None:
    """Every mutation carries the expression of its patch type; raise :class:`PolicyValidationError` otherwise."""
    for i, mutation in enumerate(mutations):
        if not mutation.expression.strip():
            path = f"{prefix}[{i}].{mutation.field}.expression"
            raise PolicyValidationError(f"{path}: required for {mutation.patch_type}")


class TargetMatchConstraints(MatchResources):
    """Targets of a mutate-existing policy: resource rules and selectors, or a CEL ``expression`` returning them."""

    expression: str = ""


class MutatingEvaluation(Evaluation):
    mutate_existing: EvaluationToggle = Field(default_factory=lambda: EvaluationToggle(enabled=False))


class MutatingAutogen(Model):
    pod_controllers: PodControllers | None = None


class MutatingPolicySpec(Model):
    match_constraints: MatchResources | None = None
    target_match_constraints: TargetMatchConstraints | None = None
    target_match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    variables: list[NamedExpression] = Field(default_factory=list)
    mutations: list[Mutation] = Field(default_factory=list)
    failure_policy: Literal["Fail", "Ignore"] = "Fail"
    reinvocation_policy: Literal["Never", "IfNeeded"] = "Never"
    autogen: MutatingAutogen | None = None
    evaluation: MutatingEvaluation = Field(default_factory=MutatingEvaluation)

    @property
    def mutate_existing(self) -> bool:
        """``evaluation.mutateExisting.enabled``: mutations apply to targets, not to the triggering object."""
        return self.evaluation.mutate_existing.enabled


@dataclass(frozen=True)
class MutatingPolicy(PolicyNaming):
    """A loaded (validated, not yet compiled) MutatingPolicy or NamespacedMutatingPolicy."""

    kind: str
    metadata: ObjectMeta
    spec: MutatingPolicySpec
    raw_spec: dict[str, Any]
    origin: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> MutatingPolicy:
        """Validate a policy document; raise :class:`PolicyValidationError` naming the field."""
        kind, meta, spec, raw_spec = parse_policy_parts(data, MutatingPolicySpec)
        if spec.match_constraints is None:
            raise PolicyValidationError("spec.matchConstraints: required")
        if not spec.mutations:
            raise PolicyValidationError("spec.mutations: at least one mutation is required")
        check_mutations(spec.mutations)
        names = [v.name for v in spec.variables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise PolicyValidationError(f"spec.variables: duplicate names {duplicates}")
        if kind == "NamespacedMutatingPolicy" and not meta.namespace:
            meta = meta.model_copy(update={"namespace": "default"})
        return cls(kind, meta, spec, raw_spec, origin)
