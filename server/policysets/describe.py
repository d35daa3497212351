"""Describing a policy for people: title, category, severity, description, remediation, what it matches (with the
pod controllers autogen adds) and its checks as messages and CEL expressions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pykyverno.engine.common.annotation_keys import CATEGORY, DESCRIPTION, REMEDIATION, SEVERITY, TITLE
from pykyverno.engine.common.kind import validation_checks
from pykyverno.engine.reader import load_yaml_all
from pykyverno.engine.registry import REGISTRY

from .catalog import find_policy


@dataclass(frozen=True)
class Check:
    """One check of a policy: what it says when it fails, and the expression that decides."""

    message: str
    expression: str


@dataclass(frozen=True)
class PolicyDescription:
    """A policy in words."""

    name: str
    kind: str
    set_name: str
    title: str
    category: str
    severity: str
    description: str
    remediation: str
    matches: list[str] = field(default_factory=list)
    autogen: list[str] = field(default_factory=list)
    match_conditions: list[Check] = field(default_factory=list)
    variables: list[Check] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    validation_actions: list[str] = field(default_factory=list)
    background: bool = True
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with camelCase keys."""
        data = asdict(self)
        return {
            "name": data["name"],
            "kind": data["kind"],
            "set": data["set_name"],
            "title": data["title"],
            "category": data["category"],
            "severity": data["severity"],
            "description": data["description"],
            "remediation": data["remediation"],
            "matches": data["matches"],
            "autogen": data["autogen"],
            "matchConditions": [_named(c) for c in data["match_conditions"]],
            "variables": [_named(c) for c in data["variables"]],
            "checks": data["checks"],
            "validationActions": data["validation_actions"],
            "background": data["background"],
            "path": data["path"],
        }


def _named(check: dict[str, str]) -> dict[str, str]:
    return {"name": check["message"], "expression": check["expression"]}


def _words(text: Any) -> str:
    return " ".join(str(text or "").split())


def _describe_rule(rule: dict[str, Any], operations_default: str = "") -> str:
    groups = [g or "core" for g in rule.get("apiGroups") or [""]]
    versions = rule.get("apiVersions") or ["*"]
    resources = ", ".join(rule.get("resources") or ["*"])
    operations = ", ".join(rule.get("operations") or []) or operations_default or "any operation"
    gv = ", ".join(f"{g}/{v}" for g in groups for v in versions)
    return f"{resources} ({gv}) on {operations}"


def describe_matches(spec: dict[str, Any]) -> list[str]:
    """The resource rules of ``matchConstraints`` in words (excluded rules prefixed with ``not``)."""
    constraints = spec.get("matchConstraints") or {}
    out = [_describe_rule(rule) for rule in constraints.get("resourceRules") or []]
    out.extend(f"not {_describe_rule(rule)}" for rule in constraints.get("excludeResourceRules") or [])
    if constraints.get("namespaceSelector"):
        out.append(f"namespaces selected by {constraints['namespaceSelector']}")
    if constraints.get("objectSelector"):
        out.append(f"objects selected by {constraints['objectSelector']}")
    return out


def autogen_kinds(kind: str, spec: dict[str, Any]) -> list[str]:
    """The pod controller kinds Kyverno's autogen adds to a Pod policy (empty when it does not apply)."""
    found = REGISTRY.for_kind(kind)
    return found.autogen(spec) if found is not None else []


def _named_expressions(items: Any) -> list[Check]:
    return [Check(str(item.get("name")), _words(item.get("expression"))) for item in items or []]


def _checks(kind: str, spec: dict[str, Any]) -> list[Check]:
    found = REGISTRY.for_kind(kind)
    reader = found.checks if found is not None else validation_checks
    return [Check(_words(label), _words(expression)) for label, expression in reader(spec)]


def describe_document(data: dict[str, Any], set_name: str = "", path: Path | str = "") -> PolicyDescription:
    """Describe a policy document (any policies.kyverno.io kind)."""
    meta = data.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    spec = data.get("spec") or {}
    kind = str(data.get("kind") or "")
    evaluation = spec.get("evaluation") or {}
    return PolicyDescription(
        name=str(meta.get("name") or ""),
        kind=kind,
        set_name=set_name,
        title=_words(annotations.get(TITLE)),
        category=_words(annotations.get(CATEGORY)),
        severity=_words(annotations.get(SEVERITY)),
        description=_words(annotations.get(DESCRIPTION)),
        remediation=_words(annotations.get(REMEDIATION)),
        matches=describe_matches(spec),
        autogen=autogen_kinds(kind, spec),
        match_conditions=_named_expressions(spec.get("matchConditions")),
        variables=_named_expressions(spec.get("variables")),
        checks=_checks(kind, spec),
        validation_actions=[str(a) for a in spec.get("validationActions") or []],
        background=bool((evaluation.get("background") or {}).get("enabled", True)),
        path=str(path),
    )


def describe_policy(name: str) -> PolicyDescription:
    """Describe the bundled policy called ``name`` (:class:`~.catalog.PolicySetError` when it is not bundled)."""
    location = find_policy(name)
    for doc in load_yaml_all(location.path.read_text(encoding="utf-8"), str(location.path)):
        if isinstance(doc, dict) and (doc.get("metadata") or {}).get("name") == name:
            return describe_document(doc, location.set_name, location.path)
    raise AssertionError(f"policy {name!r} vanished from {location.path}")  # pragma: no cover


def remediation_for(name: str) -> str:
    """The remediation text of a bundled policy ("" when the policy is not bundled)."""
    try:
        return describe_policy(name).remediation
    except LookupError:
        return ""
