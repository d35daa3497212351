"""The MutatingPolicy spec (identical in v1alpha1, v1beta1 and v1); ``mutations[]`` are shared with Kubernetes'
MutatingAdmissionPolicy (``engine/common/mutation.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from ..common.model import (
    KYVERNO_API_VERSIONS,
    ConditionedSpec,
    Evaluation,
    EvaluationToggle,
    MatchResources,
    Model,
    NamedExpression,
    ObjectMeta,
    PodControllers,
    PolicyDocument,
    namespaced_pair,
    required,
    unique_variables,
)
from ..common.mutation import Mutation, check_mutations

KINDS = namespaced_pair("MutatingPolicy")
API_VERSIONS = KYVERNO_API_VERSIONS


class TargetMatchConstraints(MatchResources):
    """Targets of a mutate-existing policy: resource rules and selectors, or a CEL ``expression`` returning them."""

    expression: str = ""


class MutatingEvaluation(Evaluation):
    mutate_existing: EvaluationToggle = Field(default_factory=lambda: EvaluationToggle(enabled=False))
    skip_background_requests: bool | None = None
    use_server_side_apply: bool | None = None


class MutatingAutogen(Model):
    pod_controllers: PodControllers | None = None
    mutating_admission_policy: dict[str, Any] | None = None


class MutatingPolicySpec(ConditionedSpec):
    """Mutations of the object under admission, or of targets (mutate-existing)."""

    target_match_constraints: TargetMatchConstraints | None = None
    target_match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    mutations: list[Mutation] = Field(default_factory=list)
    reinvocation_policy: Literal["Never", "IfNeeded"] = "Never"
    autogen: MutatingAutogen | None = None
    evaluation: MutatingEvaluation = Field(default_factory=MutatingEvaluation)
    webhook_configuration: dict[str, Any] | None = None

    @property
    def mutate_existing(self) -> bool:
        """``evaluation.mutateExisting.enabled``: mutations apply to targets, not to the triggering object."""
        return self.evaluation.mutate_existing.enabled


@dataclass(frozen=True)
class MutatingPolicy(PolicyDocument[MutatingPolicySpec]):
    """A loaded (validated, not yet compiled) MutatingPolicy or NamespacedMutatingPolicy."""

    spec_model = MutatingPolicySpec
    checks = (required("match_constraints", "spec.matchConstraints"), check_mutations, unique_variables)

    @classmethod
    def metadata_for(cls, kind: str, metadata: ObjectMeta) -> ObjectMeta:
        """A NamespacedMutatingPolicy without a namespace lives in ``default``."""
        if kind == "NamespacedMutatingPolicy" and not metadata.namespace:
            return metadata.model_copy(update={"namespace": "default"})
        return metadata
