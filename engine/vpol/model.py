"""The ValidatingPolicy spec (identical in v1alpha1, v1beta1 and v1)."""

from __future__ import annotations

from dataclasses import dataclass

from ..common.model import (
    KYVERNO_API_VERSIONS,
    ValidatingDocument,
    ValidatingSpec,
    at_least_one,
    namespaced_pair,
    unique_variables,
    valid_actions,
)
from ..errors import PolicyValidationError

KINDS = namespaced_pair("ValidatingPolicy")
API_VERSIONS = KYVERNO_API_VERSIONS
#: ``evaluation.mode`` values where the object is a payload, not a Kubernetes resource.
PAYLOAD_MODES = ("JSON", "HTTP", "Envoy")
#: Modes where validations return authorization responses (or null to defer).
AUTHZ_MODES = ("HTTP", "Envoy")


class ValidatingPolicySpec(ValidatingSpec):
    """matchConstraints, matchConditions, variables, validations, auditAnnotations, failurePolicy,
    validationActions, autogen, evaluation, webhookConfiguration."""


def _kubernetes_mode_needs_match_constraints(spec: ValidatingPolicySpec) -> None:
    if spec.evaluation.mode in ("Kubernetes", "") and spec.match_constraints is None:
        raise PolicyValidationError("required", path="spec.matchConstraints")


@dataclass(frozen=True)
class ValidatingPolicy(ValidatingDocument[ValidatingPolicySpec]):
    """A loaded (validated, not yet compiled) ValidatingPolicy or NamespacedValidatingPolicy."""

    spec_model = ValidatingPolicySpec
    checks = (
        valid_actions,
        _kubernetes_mode_needs_match_constraints,
        at_least_one("validations", "spec.validations", "validation"),
        unique_variables,
    )

    @property
    def payload_mode(self) -> bool:
        """``evaluation.mode`` JSON, HTTP or Envoy: the object is a payload, not a Kubernetes resource."""
        return self.spec.evaluation.mode in PAYLOAD_MODES
