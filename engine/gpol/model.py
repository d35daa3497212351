"""The GeneratingPolicy / NamespacedGeneratingPolicy spec (identical in v1alpha1, v1beta1 and v1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from ..common.model import (
    KYVERNO_API_VERSIONS,
    MatchedSpec,
    Model,
    NamedExpression,
    PolicyDocument,
    at_least_one,
    namespaced_pair,
    required,
    unique_variables,
)
from ..errors import PolicyValidationError

KINDS = namespaced_pair("GeneratingPolicy")
API_VERSIONS = KYVERNO_API_VERSIONS


class Template(Model):
    """``generate[].template``: a YAML document, optionally with ``(( expr ))`` CEL placeholders."""

    value: str
    interpolate: Literal["none", "cel", ""] = "none"


class Generation(Model):
    """One ``generate[]`` entry: an expression (calling ``generator.Apply``) or a template."""

    expression: str = ""
    template: Template | None = None


class GeneratingPolicySpec(MatchedSpec):
    """The resources to generate for a trigger."""

    match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    generate: list[Generation] = Field(default_factory=list)
    evaluation: dict[str, Any] | None = None
    webhook_configuration: dict[str, Any] | None = None


def _one_source_per_generation(spec: GeneratingPolicySpec) -> None:
    for i, generation in enumerate(spec.generate):
        if bool(generation.expression) == (generation.template is not None):
            message = "exactly one of expression or template is required"
            raise PolicyValidationError(message, path=f"spec.generate[{i}]")


@dataclass(frozen=True)
class GeneratingPolicy(PolicyDocument[GeneratingPolicySpec]):
    """A loaded (validated, not compiled) GeneratingPolicy or NamespacedGeneratingPolicy."""

    spec_model = GeneratingPolicySpec
    checks = (
        required("match_constraints", "spec.matchConstraints"),
        at_least_one("generate", "spec.generate", "generation"),
        _one_source_per_generation,
        unique_variables,
    )
