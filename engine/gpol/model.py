"""The GeneratingPolicy / NamespacedGeneratingPolicy spec (identical in v1alpha1, v1beta1 and v1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from ..common.model import MatchResources, Model, NamedExpression, ObjectMeta, PolicyNaming, parse_policy_parts
from ..errors import PolicyValidationError

KINDS = ("GeneratingPolicy", "NamespacedGeneratingPolicy")
API_VERSIONS = ("policies.kyverno.io/v1alpha1", "policies.kyverno.io/v1beta1", "policies.kyverno.io/v1")


class Template(Model):
    """``generate[].template``: a YAML document, optionally with ``(( expr ))`` CEL placeholders."""

    value: str
    interpolate: Literal["none", "cel", ""] = "none"


class Generation(Model):
    """One ``generate[]`` entry: an expression (calling ``generator.Apply``) or a template."""

    expression: str = ""
    template: Template | None = None


class GeneratingPolicySpec(Model):
    match_constraints: MatchResources | None = None
    match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    variables: list[NamedExpression] = Field(default_factory=list)
    generate: list[Generation] = Field(default_factory=list)


@dataclass(frozen=True)
class GeneratingPolicy(PolicyNaming):
    """A loaded (validated, not compiled) GeneratingPolicy or NamespacedGeneratingPolicy."""

    kind: str
    metadata: ObjectMeta
    spec: GeneratingPolicySpec
    raw_spec: dict[str, Any]
    origin: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> GeneratingPolicy:
        """Validate a policy document; raise :class:`PolicyValidationError` naming the field."""
        kind, meta, spec, raw_spec = parse_policy_parts(data, GeneratingPolicySpec)
        if spec.match_constraints is None:
            raise PolicyValidationError("spec.matchConstraints: required")
        if not spec.generate:
            raise PolicyValidationError("spec.generate: at least one generation is required")
        for i, generation in enumerate(spec.generate):
            if bool(generation.expression) == (generation.template is not None):
                raise PolicyValidationError(f"spec.generate[{i}]: exactly one of expression or template is required")
        names = [v.name for v in spec.variables]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise PolicyValidationError(f"spec.variables: duplicate names {duplicates}")
        return cls(kind, meta, spec, raw_spec, origin)
