"""The kyverno.io/v1 ClusterPolicy / Policy schema, as far as ``validate.cel`` rules need it.

Only the parts pykyverno evaluates are typed; every other rule type is recognised from the raw rule (see
:func:`rule_type`) so that it can be reported as unsupported instead of silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from ..common.model import (
    AuditAnnotation,
    Model,
    NamedExpression,
    PolicyDocument,
    Validation,
    check_unique_names,
)
from ..common.params import ParamKind, ParamRef
from ..errors import PolicyValidationError

KINDS = ("ClusterPolicy", "Policy")
API_VERSIONS = ("kyverno.io/v1", "kyverno.io/v2beta1")
AUTOGEN_ANNOTATION = "pod-policies.kyverno.io/autogen-controllers"


class Subject(Model):
    """An rbac/v1 Subject (``User``, ``Group`` or ``ServiceAccount``)."""

    kind: str = ""
    name: str = ""
    namespace: str = ""


class ResourceDescription(Model):
    """Kyverno's ``resources`` block. Selectors stay plain dicts: Kyverno allows wildcards in their values."""

    kinds: list[str] = Field(default_factory=list)
    name: str = ""
    names: list[str] = Field(default_factory=list)
    namespaces: list[str] = Field(default_factory=list)
    annotations: dict[str, str] = Field(default_factory=dict)
    selector: dict[str, Any] | None = None
    namespace_selector: dict[str, Any] | None = None
    operations: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        """Whether no field is set."""
        return self == ResourceDescription()


class ResourceFilter(Model):
    """One element of ``any``/``all``: a resource description plus user information."""

    resources: ResourceDescription = Field(default_factory=ResourceDescription)
    subjects: list[Subject] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    cluster_roles: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        """Whether neither resources nor user information is set."""
        return self.resources.is_empty() and not self.subjects and not self.roles and not self.cluster_roles


class MatchResources(Model):
    """``match`` / ``exclude``: ``any``, ``all``, or (deprecated) a single inline filter."""

    any: list[ResourceFilter] = Field(default_factory=list)
    all: list[ResourceFilter] = Field(default_factory=list)
    resources: ResourceDescription = Field(default_factory=ResourceDescription)
    subjects: list[Subject] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    cluster_roles: list[str] = Field(default_factory=list)

    def inline(self) -> ResourceFilter:
        """The deprecated inline form as a filter."""
        return ResourceFilter(
            resources=self.resources, subjects=self.subjects, roles=self.roles, cluster_roles=self.cluster_roles
        )

    def kinds(self) -> list[str]:
        """Every kind named anywhere in the block."""
        out = list(self.resources.kinds)
        for item in (*self.any, *self.all):
            out.extend(item.resources.kinds)
        return out


class CelValidation(Model):
    """``validate.cel``."""

    expressions: list[Validation] = Field(default_factory=list)
    variables: list[NamedExpression] = Field(default_factory=list)
    param_kind: ParamKind | None = None
    param_ref: ParamRef | None = None
    audit_annotations: list[AuditAnnotation] = Field(default_factory=list)


class FailureActionOverride(Model):
    """``validationFailureActionOverrides[]`` / ``failureActionOverrides[]``: another action in some namespaces."""

    action: str = ""
    namespaces: list[str] = Field(default_factory=list)
    namespace_selector: dict[str, Any] | None = None


class Validate(Model):
    """``validate``: the ``cel`` block is typed; patterns, deny, foreach and podSecurity stay raw."""

    cel: CelValidation | None = None
    message: str = ""
    failure_action: str = ""
    failure_action_overrides: list[FailureActionOverride] = Field(default_factory=list)


class Rule(Model):
    """One rule."""

    name: str
    match: MatchResources = Field(default_factory=MatchResources)
    exclude: MatchResources | None = None
    cel_preconditions: list[NamedExpression] = Field(default_factory=list)
    validation: Validate | None = Field(default=None, alias="validate")


class ClusterPolicySpec(Model):
    """The spec fields that shape evaluation."""

    rules: list[Rule] = Field(default_factory=list)
    validation_failure_action: str = "Audit"
    validation_failure_action_overrides: list[FailureActionOverride] = Field(default_factory=list)
    apply_rules: str = "All"
    background: bool = True
    failure_policy: Literal["Fail", "Ignore"] = "Fail"


#: Rule-level features that are not evaluated, in the order they are reported.
_RULE_TYPES = ("mutate", "generate", "verifyImages")
#: Rule types pykyverno does not evaluate (reported as an ``error`` naming the type).
UNSUPPORTED_TYPES = ("verifyImages", "validate.manifests", "validate.assert", "none", "validate")
_VALIDATE_TYPES = ("pattern", "anyPattern", "deny", "foreach", "podSecurity", "manifests", "assert")


def rule_type(raw_rule: dict[str, Any]) -> str:
    """``validate.cel`` for a supported rule, else the name of the unsupported type (``validate.pattern``...)."""
    for key in _RULE_TYPES:
        if raw_rule.get(key):
            return key
    validate = raw_rule.get("validate")
    if not isinstance(validate, dict):
        return "none"
    for key in _VALIDATE_TYPES:
        if validate.get(key) is not None:
            return f"validate.{key}"
    if isinstance(validate.get("cel"), dict):
        return "validate.cel"
    return "validate"


def unsupported_feature(raw_rule: dict[str, Any]) -> str:
    """A ``validate.cel`` rule feature that pykyverno does not evaluate with CEL (``""`` when none)."""
    for key in ("preconditions", "context"):
        if raw_rule.get(key):
            return key
    return ""


def _failure_actions(spec: ClusterPolicySpec) -> None:
    if spec.validation_failure_action and spec.validation_failure_action.lower() not in ("audit", "enforce"):
        message = f"{spec.validation_failure_action!r}: must be Audit or Enforce"
        raise PolicyValidationError(message, path="spec.validationFailureAction")
    for i, rule in enumerate(spec.rules):
        action = rule.validation.failure_action if rule.validation else ""
        if action and action.lower() not in ("audit", "enforce"):
            path = f"spec.rules[{i}].validate.failureAction"
            raise PolicyValidationError(f"{action!r}: must be Audit or Enforce", path=path)


def _unique_rule_names(spec: ClusterPolicySpec) -> None:
    check_unique_names((rule.name for rule in spec.rules), "spec.rules", "rule names")


@dataclass(frozen=True)
class ClusterPolicy(PolicyDocument[ClusterPolicySpec]):
    """A loaded (validated, not compiled) ClusterPolicy or Policy."""

    spec_model = ClusterPolicySpec
    checks = (_unique_rule_names, _failure_actions)

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "") -> ClusterPolicy:
        """Validate a policy document (rules first: every other rule type is recognised from the raw rule)."""
        raw_spec = data.get("spec")
        raw_rules = raw_spec.get("rules") if isinstance(raw_spec, dict) else None
        if isinstance(raw_spec, dict) and (not isinstance(raw_rules, list) or not raw_rules):
            raise PolicyValidationError("at least one rule is required", path="spec.rules")
        for i, raw_rule in enumerate(raw_rules or []):
            if not isinstance(raw_rule, dict):
                raise PolicyValidationError("must be a mapping", path=f"spec.rules[{i}]")
        return super().from_dict(data, origin)

    @property
    def namespaced(self) -> bool:
        """Whether this is a (namespaced) ``Policy``."""
        return self.kind == "Policy"
