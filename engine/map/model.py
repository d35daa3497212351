"""MutatingAdmissionPolicy and MutatingAdmissionPolicyBinding (admissionregistration.k8s.io v1alpha1/v1beta1/v1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from ..common.model import (
    ConditionedSpec,
    MatchResources,
    Model,
    PolicyDocument,
    SpecDocument,
    required,
)
from ..common.mutation import Mutation, check_mutations
from ..common.params import ParamKind, ParamRef

POLICY_KIND = "MutatingAdmissionPolicy"
BINDING_KIND = "MutatingAdmissionPolicyBinding"
KINDS = (POLICY_KIND, BINDING_KIND)
API_VERSIONS = (
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "admissionregistration.k8s.io/v1",
)


class MutatingAdmissionPolicySpec(ConditionedSpec):
    """Mutations, with parameters of ``paramKind``."""

    param_kind: ParamKind | None = None
    mutations: list[Mutation] = Field(default_factory=list)
    reinvocation_policy: Literal["Never", "IfNeeded"] = "Never"


class MutatingAdmissionPolicyBindingSpec(Model):
    policy_name: str
    param_ref: ParamRef | None = None
    match_resources: MatchResources | None = None


@dataclass(frozen=True)
class MutatingAdmissionPolicy(PolicyDocument[MutatingAdmissionPolicySpec]):
    """A loaded policy (cluster-scoped)."""

    spec_model = MutatingAdmissionPolicySpec
    checks = (required("match_constraints", "spec.matchConstraints"), check_mutations)


@dataclass(frozen=True)
class MutatingAdmissionPolicyBinding(SpecDocument[MutatingAdmissionPolicyBindingSpec]):
    """A loaded binding."""

    spec_model = MutatingAdmissionPolicyBindingSpec
