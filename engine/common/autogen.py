"""Autogen for pod controllers: the Pod policy rewritten for Deployments, Jobs, CronJobs and friends.

Kyverno rewrites the JSON of an eligible policy spec textually: ``object.spec`` becomes the pod template's spec and
``object.metadata`` its metadata (``object.metadata.namespace`` stays), once for the ``defaults`` controllers and once
for ``cronjobs``, and rebuilds ``matchConstraints`` for the targets with the same operations and namespaceSelector.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .model import PolicyDocument, SpecT, parse_model

T = TypeVar("T")

#: Default controllers and their API coordinates, in Kyverno's order.
CONTROLLERS: dict[str, tuple[str, str, str]] = {
    "daemonsets": ("apps", "v1", "DaemonSet"),
    "deployments": ("apps", "v1", "Deployment"),
    "replicasets": ("apps", "v1", "ReplicaSet"),
    "statefulsets": ("apps", "v1", "StatefulSet"),
    "jobs": ("batch", "v1", "Job"),
    "cronjobs": ("batch", "v1", "CronJob"),
}

#: Where the pod template of each autogen configuration lives in the controller object.
POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "defaults": ("spec", "template"),
    "cronjobs": ("spec", "jobTemplate", "spec", "template"),
}


def template_prefixes(config: str) -> tuple[str, str]:
    """The paths that replace ``object.spec`` and ``object.metadata`` for a configuration's pod template."""
    template = ".".join(POD_TEMPLATES[config])
    return f"{template}.spec", f"{template}.metadata"


@dataclass(frozen=True)
class AutogenVariant:
    """One generated spec: ``config`` is ``defaults`` or ``cronjobs``; ``targets`` are controller plurals."""

    config: str
    targets: tuple[str, ...]
    spec: dict[str, Any]


def can_autogen(spec: Mapping[str, Any]) -> bool:
    """Kyverno's eligibility test: exactly one rule on core v1 pods, no names, excludes or object selector."""
    constraints = spec.get("matchConstraints") or {}
    rules = constraints.get("resourceRules") or []
    if len(rules) != 1:
        return False
    rule = rules[0]
    if (rule.get("apiGroups") or []) != [""] or (rule.get("apiVersions") or []) != ["v1"]:
        return False
    if (rule.get("resources") or []) != ["pods"] or rule.get("resourceNames"):
        return False
    return not constraints.get("excludeResourceRules") and not constraints.get("objectSelector")


def selected_controllers(spec: Mapping[str, Any]) -> list[str]:
    """Controllers to generate for: ``spec.autogen.podControllers.controllers`` or all defaults."""
    pod_controllers = (spec.get("autogen") or {}).get("podControllers") or {}
    if "controllers" in pod_controllers and pod_controllers["controllers"] is not None:
        return [c for c in (str(x).lower() for x in pod_controllers["controllers"]) if c in CONTROLLERS]
    return list(CONTROLLERS)


def _rewrite(text: str, spec_prefix: str, meta_prefix: str) -> str:
    protected = "\x00NS\x00"
    text = re.sub(r"\b(object|oldObject)\.metadata\.namespace\b", lambda m: f"{m.group(1)}{protected}", text)
    text = re.sub(r"\b(object|oldObject)\.spec\b", lambda m: f"{m.group(1)}.{spec_prefix}", text)
    text = re.sub(r"\b(object|oldObject)\.metadata\b", lambda m: f"{m.group(1)}.{meta_prefix}", text)
    return text.replace(protected, ".metadata.namespace")


def _constraints(original: Mapping[str, Any], targets: list[str]) -> dict[str, Any]:
    rule = (original.get("resourceRules") or [{}])[0]
    by_group: dict[tuple[str, str], list[str]] = {}
    for target in targets:
        group, version, _ = CONTROLLERS[target]
        by_group.setdefault((group, version), []).append(target)
    rules = []
    for (group, version), plurals in by_group.items():
        new_rule: dict[str, Any] = {"apiGroups": [group], "apiVersions": [version], "resources": plurals}
        if rule.get("operations"):
            new_rule["operations"] = list(rule["operations"])
        rules.append(new_rule)
    rebuilt: dict[str, Any] = {"resourceRules": rules}
    if original.get("namespaceSelector") is not None:
        rebuilt["namespaceSelector"] = original["namespaceSelector"]
    return rebuilt


def autogen_variants(spec: Mapping[str, Any]) -> list[AutogenVariant]:
    """The generated specs for an eligible Pod policy (empty when not eligible or disabled)."""
    if not can_autogen(spec):
        return []
    controllers = selected_controllers(spec)
    variants = []
    groups = {
        "defaults": [c for c in controllers if c != "cronjobs"],
        "cronjobs": [c for c in controllers if c == "cronjobs"],
    }
    for config, targets in groups.items():
        if not targets:
            continue
        body = {k: v for k, v in spec.items() if k not in ("matchConstraints", "autogen")}
        spec_prefix, meta_prefix = template_prefixes(config)
        rewritten = json.loads(_rewrite(json.dumps(body), spec_prefix, meta_prefix))
        rewritten["matchConstraints"] = _constraints(spec.get("matchConstraints") or {}, targets)
        variants.append(AutogenVariant(config, tuple(targets), rewritten))
    return variants


def with_autogen(policy: PolicyDocument[SpecT], compile_spec: Callable[[SpecT, str], T]) -> list[T]:
    """``compile_spec`` applied to the policy's spec (autogen ``""``) and to each autogen variant's spec."""
    compiled = [compile_spec(policy.spec, "")]
    for variant in autogen_variants(policy.raw_spec):
        spec: SpecT = parse_model(policy.spec_model, variant.spec, "spec")
        compiled.append(compile_spec(spec, variant.config))
    return compiled


def controller_kinds(spec: Mapping[str, Any]) -> list[str]:
    """The pod controller kinds autogen adds to a Pod policy spec (empty when it does not apply)."""
    return [CONTROLLERS[target][2] for variant in autogen_variants(spec) for target in variant.targets]
