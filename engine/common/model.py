"""Typed models of the policy building blocks shared by every kind (from admissionregistration.k8s.io/v1).

Models accept the camelCase field names of the YAML and ignore fields they do not know (Kyverno's CRDs evolve;
an unknown field must not make a policy unusable). Type errors are reported with their field path.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from ..errors import PolicyValidationError


class Model(BaseModel):
    """Base: camelCase aliases, unknown fields ignored, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class LabelSelectorRequirement(Model):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] = Field(default_factory=list)


class LabelSelector(Model):
    match_labels: dict[str, str] = Field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = Field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The selector as a plain dict for :func:`~pykyverno.engine.common.labels.selector_matches`."""
        return self.model_dump(by_alias=True)


class ResourceRule(Model):
    """A ``NamedRuleWithOperations``."""

    api_groups: list[str] = Field(default_factory=list)
    api_versions: list[str] = Field(default_factory=list)
    resources: list[str] = Field(default_factory=list)
    operations: list[str] = Field(default_factory=list)
    resource_names: list[str] = Field(default_factory=list)
    scope: str = "*"


class MatchResources(Model):
    namespace_selector: LabelSelector | None = None
    object_selector: LabelSelector | None = None
    resource_rules: list[ResourceRule] = Field(default_factory=list)
    exclude_resource_rules: list[ResourceRule] = Field(default_factory=list)
    match_policy: str = "Equivalent"


class NamedExpression(Model):
    """``matchConditions[]`` and ``variables[]`` entries, and DeletingPolicy ``conditions[]``."""

    name: str
    expression: str


class Validation(Model):
    expression: str
    message: str = ""
    message_expression: str = ""
    reason: str = ""


class AuditAnnotation(Model):
    key: str
    value_expression: str


class PodControllers(Model):
    controllers: list[str] | None = None


class Autogen(Model):
    pod_controllers: PodControllers | None = None


class EvaluationToggle(Model):
    enabled: bool = True


class Evaluation(Model):
    mode: str = "Kubernetes"
    admission: EvaluationToggle = Field(default_factory=EvaluationToggle)
    background: EvaluationToggle = Field(default_factory=EvaluationToggle)


class ObjectMeta(Model):
    name: str
    namespace: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


SpecT = TypeVar("SpecT", bound=Model)


def parse_policy_parts(data: dict[str, Any], spec_model: type[SpecT]) -> tuple[str, ObjectMeta, SpecT, dict[str, Any]]:
    """Kind, validated metadata and spec, and the raw spec mapping of a policy document."""
    kind = str(data.get("kind"))
    meta = parse_model(ObjectMeta, data.get("metadata") or {}, "metadata")
    raw_spec = data.get("spec")
    if not isinstance(raw_spec, dict):
        raise PolicyValidationError("spec: required, must be a mapping")
    spec: SpecT = parse_model(spec_model, raw_spec, "spec")
    return kind, meta, spec, raw_spec


class PolicyNaming:
    """``namespaced`` and ``qualified_name`` for policy kinds whose Namespaced variant lives in one namespace."""

    kind: str
    metadata: ObjectMeta

    @property
    def namespaced(self) -> bool:
        """Whether this is a Namespaced* kind (applies only in its own namespace)."""
        return self.kind.startswith("Namespaced")

    @property
    def qualified_name(self) -> str:
        """``namespace/name`` for namespaced policies, ``name`` otherwise (as reports name them)."""
        return f"{self.metadata.namespace}/{self.metadata.name}" if self.namespaced else self.metadata.name


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """Render pydantic errors as ``spec.validations[0].expression: Field required`` lines."""
    lines = []
    for error in exc.errors():
        path = prefix
        for part in error["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += f".{part}" if path else str(part)
        lines.append(f"{path or '<root>'}: {error['msg']}")
    return "; ".join(lines)


def parse_model(model: type[Model], data: Any, prefix: str) -> Any:
    """Validate ``data`` as ``model``; raise :class:`PolicyValidationError` with field paths."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PolicyValidationError(describe_validation_error(exc, prefix)) from None
