"""Typed models of the policy building blocks shared by every kind (from admissionregistration.k8s.io/v1).

Models accept the camelCase field names of the YAML and ignore fields they do not know (Kyverno's CRDs evolve;
an unknown field must not make a policy unusable). Type errors are reported with their field path.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, Self, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from ..diagnostics import Diagnostic
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


#: The apiVersions of every policies.kyverno.io kind (the spec is identical in all three).
KYVERNO_API_VERSIONS = ("policies.kyverno.io/v1alpha1", "policies.kyverno.io/v1beta1", "policies.kyverno.io/v1")


def namespaced_pair(kind: str) -> tuple[str, str]:
    """A policies.kyverno.io kind and its Namespaced variant."""
    return kind, f"Namespaced{kind}"


class MatchedSpec(Model):
    """What every CEL policy spec starts with: the resources it matches and its variables."""

    match_constraints: MatchResources | None = None
    variables: list[NamedExpression] = Field(default_factory=list)


class ConditionedSpec(MatchedSpec):
    """A spec with ``matchConditions`` and a ``failurePolicy`` for their errors."""

    match_conditions: list[NamedExpression] = Field(default_factory=list, max_length=64)
    failure_policy: Literal["Fail", "Ignore"] = "Fail"


class ValidatingSpec(ConditionedSpec):
    """The validating part shared by ValidatingPolicy and ImageValidatingPolicy."""

    validations: list[Validation] = Field(default_factory=list)
    audit_annotations: list[AuditAnnotation] = Field(default_factory=list)
    validation_actions: list[Literal["Deny", "Audit", "Warn"]] = Field(default_factory=list)
    autogen: Autogen | None = None
    evaluation: Evaluation = Field(default_factory=Evaluation)
    webhook_configuration: dict[str, Any] | None = None


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
        raise PolicyValidationError("required, must be a mapping", path="spec")
    spec: SpecT = parse_model(spec_model, raw_spec, "spec")
    return kind, meta, spec, raw_spec


SpecCheck = Callable[[Any], None]


def required(field: str, path: str) -> SpecCheck:
    """A check that ``spec.<field>`` is set."""

    def check(spec: Any) -> None:
        if getattr(spec, field) is None:
            raise PolicyValidationError("required", path=path)

    return check


def at_least_one(field: str, path: str, what: str) -> SpecCheck:
    """A check that the list ``spec.<field>`` is not empty."""

    def check(spec: Any) -> None:
        if not getattr(spec, field):
            raise PolicyValidationError(f"at least one {what} is required", path=path)

    return check


def unique_variables(spec: Any) -> None:
    """Variable names are unique."""
    check_unique_names((v.name for v in spec.variables), "spec.variables")


def valid_actions(spec: Any) -> None:
    """``validationActions`` do not combine Deny and Warn."""
    check_validation_actions(spec.validation_actions)


def check_unique_names(names: Iterable[str], path: str, what: str = "names") -> None:
    """Raise :class:`PolicyValidationError` at ``path`` when a name appears twice."""
    listed = list(names)
    duplicates = sorted({n for n in listed if listed.count(n) > 1})
    if duplicates:
        raise PolicyValidationError(f"duplicate {what} {duplicates}", path=path)


def check_validation_actions(actions: Sequence[str], path: str = "spec.validationActions") -> None:
    """Deny and Warn may not be used together (Kubernetes' and Kyverno's rule)."""
    if {"Deny", "Warn"} <= set(actions):
        raise PolicyValidationError("Deny and Warn may not be used together", path=path)


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


class Validated:
    """Validation of a document into a typed object: the spec model, then the structural ``checks`` in order."""

    spec_model: ClassVar[type[Model]]
    #: Structural checks beyond the model, in order; each raises :class:`PolicyValidationError`.
    checks: ClassVar[tuple[SpecCheck, ...]] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> Self:
        """Validate a document; raise :class:`PolicyValidationError` naming the field."""
        kind, meta, spec, raw_spec = parse_policy_parts(data, cls.spec_model)
        typed: Any = spec  # an instance of cls.spec_model, the SpecT of the subclass
        for check in cls.checks:
            check(typed)
        return cls.build(kind, meta, typed, raw_spec, origin)

    @classmethod
    def build(cls, kind: str, metadata: ObjectMeta, spec: Any, raw_spec: dict[str, Any], origin: str) -> Self:
        """The object from its validated parts."""
        raise NotImplementedError


@dataclass(frozen=True)
class PolicyDocument(Validated, PolicyNaming, Generic[SpecT]):
    """A loaded (validated, not yet compiled) policy document: kind, metadata, typed spec and the raw spec mapping.

    A kind subclasses it with its ``spec_model`` and its structural ``checks``."""

    kind: str
    metadata: ObjectMeta
    spec: SpecT
    raw_spec: dict[str, Any]
    origin: str = ""

    @classmethod
    def build(cls, kind: str, metadata: ObjectMeta, spec: Any, raw_spec: dict[str, Any], origin: str) -> Self:
        """The policy, with the metadata its kind keeps."""
        return cls(kind, cls.metadata_for(kind, metadata), spec, raw_spec, origin)

    @classmethod
    def metadata_for(cls, kind: str, metadata: ObjectMeta) -> ObjectMeta:
        """The metadata to keep (a kind may default fields Kyverno defaults)."""
        return metadata


@dataclass(frozen=True)
class SpecDocument(Validated, Generic[SpecT]):
    """A validated object that is not a policy (a binding, a PolicyException): metadata and a typed spec."""

    metadata: ObjectMeta
    spec: SpecT
    origin: str = ""

    @classmethod
    def build(cls, kind: str, metadata: ObjectMeta, spec: Any, raw_spec: dict[str, Any], origin: str) -> Self:
        """The object."""
        return cls(metadata, spec, origin)


ValidatingSpecT = TypeVar("ValidatingSpecT", bound=ValidatingSpec)


@dataclass(frozen=True)
class ValidatingDocument(PolicyDocument[ValidatingSpecT]):
    """A validating policy document (ValidatingPolicy, ImageValidatingPolicy)."""

    @property
    def validation_actions(self) -> tuple[str, ...]:
        """``validationActions``, or Kyverno's default ``[Deny]`` when the policy sets none."""
        return tuple(self.spec.validation_actions) or ("Deny",)


def validation_problems(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Pydantic errors as (``spec.validations[0].expression``, ``Field required``) pairs."""
    problems = []
    for error in exc.errors():
        path = prefix
        for part in error["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += f".{part}" if path else str(part)
        problems.append((path, str(error["msg"])))
    return problems


def parse_model(model: type[Model], data: Any, prefix: str) -> Any:
    """Validate ``data`` as ``model``; raise :class:`PolicyValidationError` listing every problem with its path."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PolicyValidationError(problems=validation_problems(exc, prefix)) from None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes a field annotation holds (``X``, ``X | None``, ``list[X]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def unknown_fields(model: type[BaseModel], data: Any, prefix: str) -> list[Diagnostic]:
    """Keys of ``data`` (recursively, through nested models and lists of them) that ``model`` does not define, as
    errors naming the close known field when there is one (a misspelt key)."""
    if not isinstance(data, dict):
        return []
    known = {(info.alias or name): info for name, info in model.model_fields.items()}
    found: list[Diagnostic] = []
    for key, value in data.items():
        path = f"{prefix}.{key}"
        info = known.get(str(key))
        if info is None:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.8)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            found.append(Diagnostic(f"unknown field {key!r}{hint}", path=path))
            continue
        for nested in _models_in(info.annotation):
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                found.extend(unknown_fields(nested, item, f"{path}[{i}]" if isinstance(value, list) else path))
    return found
