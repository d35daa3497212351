"""ClusterPolicy autogen: Pod rules copied for controllers (``autogen-<rule>``) and CronJobs (``autogen-cronjob-...``).

Kyverno (``pkg/autogen``) decides once per policy whether autogen applies: no rule may generate, and no resource
description (in match or exclude) may set a name, names, a selector or annotations, or list ``Pod`` together with
other kinds; at least one rule must name Pod or a controller. The ``pod-policies.kyverno.io/autogen-controllers``
annotation narrows the controllers (``none`` disables autogen). A rule is copied when its match kinds include
``Pod`` (and its exclude kinds, if any, include ``Pod`` too): ``Pod`` becomes the controller kinds, and the CEL text
of the rule is rewritten so that ``object.spec``/``object.metadata`` address the pod template.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..common.autogen import template_prefixes
from .model import AUTOGEN_ANNOTATION

#: Kyverno's pod controllers, in its order.
POD_CONTROLLERS = ("DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController", "CronJob")
_MAX_NAME = 63

#: Kyverno's rule name prefixes and the pod template configuration each stands for.
_CONFIGS = {"autogen": "defaults", "autogen-cronjob": "cronjobs"}


@dataclass(frozen=True)
class AutogenRule:
    """A generated rule: ``config`` is ``autogen`` or ``autogen-cronjob``; ``raw`` is the rule document."""

    config: str
    raw: dict[str, Any]


def autogen_rule_name(prefix: str, name: str) -> str:
    """``<prefix>-<name>``, cut to 63 characters as Kyverno does."""
    return f"{prefix}-{name}"[:_MAX_NAME]


def _descriptions(block: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not isinstance(block, Mapping):
        return []
    found = [block.get("resources") or {}]
    for key in ("any", "all"):
        found.extend((item or {}).get("resources") or {} for item in block.get(key) or [])
    return [d for d in found if isinstance(d, Mapping)]


def _kinds(block: Mapping[str, Any] | None) -> list[str]:
    return [str(k) for desc in _descriptions(block) for k in desc.get("kinds") or []]


def _supports_autogen(desc: Mapping[str, Any]) -> bool:
    if desc.get("name") or desc.get("names") or desc.get("selector") is not None or desc.get("annotations"):
        return False
    kinds = [str(k) for k in desc.get("kinds") or []]
    return not (len(kinds) > 1 and "Pod" in kinds)


def can_autogen(raw_rules: Iterable[Mapping[str, Any]]) -> bool:
    """Kyverno's ``CanAutoGen`` for the policy as a whole."""
    needed = False
    for rule in raw_rules:
        if rule.get("generate"):
            return False
        mutate = rule.get("mutate") or {}
        if mutate.get("patchesJson6902") or any(f.get("patchesJson6902") for f in mutate.get("foreach") or []):
            return False
        for block in (rule.get("match"), rule.get("exclude")):
            for desc in _descriptions(block):
                if not _supports_autogen(desc):
                    return False
                kinds = [str(k) for k in desc.get("kinds") or []]
                needed = needed or any(k == "Pod" or k in POD_CONTROLLERS for k in kinds)
    return needed


def requested_controllers(annotations: Mapping[str, str]) -> list[str] | None:
    """Controllers named by the annotation (``[]`` for ``none``), or ``None`` when it is absent or empty."""
    value = annotations.get(AUTOGEN_ANNOTATION, "")
    if not value:
        return None
    if value.strip() == "none":
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _rewrite_cel(text: str, config: str) -> str:
    spec_prefix, meta_prefix = template_prefixes(_CONFIGS[config])
    text = re.sub(r"\b(object|oldObject)\.spec\b", lambda m: f"{m.group(1)}.{spec_prefix}", text)
    return re.sub(r"\b(object|oldObject)\.metadata\b", lambda m: f"{m.group(1)}.{meta_prefix}", text)


def _replace_pod_kinds(block: dict[str, Any], kinds: list[str], inline_only_if_set: bool) -> None:
    for key in ("any", "all"):
        if block.get(key):
            for item in block[key]:
                resources = (item or {}).get("resources") or {}
                if "Pod" in (resources.get("kinds") or []):
                    resources["kinds"] = list(kinds)
            return
    resources = block.setdefault("resources", {})
    if resources.get("kinds") or not inline_only_if_set:
        resources["kinds"] = list(kinds)


def _generate(rule: Mapping[str, Any], config: str, kinds: list[str]) -> dict[str, Any]:
    generated = copy.deepcopy(dict(rule))
    generated["name"] = autogen_rule_name(config, str(rule.get("name") or ""))
    _replace_pod_kinds(generated.setdefault("match", {}), kinds, inline_only_if_set=False)
    if isinstance(generated.get("exclude"), dict):
        _replace_pod_kinds(generated["exclude"], kinds, inline_only_if_set=True)
    validate = generated.get("validate")
    if isinstance(validate, dict) and isinstance(validate.get("cel"), dict):
        return dict(json.loads(_rewrite_cel(json.dumps(generated), config)))
    _wrap_templates(generated, config)
    return dict(json.loads(_rewrite_variables(json.dumps(generated), config)))


def _wrapped(value: Any, config: str) -> dict[str, Any]:
    """A Pod pattern or patch nested where the controller keeps its pod template."""
    if config == "autogen-cronjob":
        return {"spec": {"jobTemplate": {"spec": {"template": value}}}}
    return {"spec": {"template": value}}


def _wrap_templates(rule: dict[str, Any], config: str) -> None:
    """Kyverno's autogen of patterns and strategic merge patches (deny, foreach, podSecurity are not wrapped)."""
    validate = rule.get("validate")
    if isinstance(validate, dict):
        if validate.get("pattern") is not None:
            validate["pattern"] = _wrapped(validate["pattern"], config)
        if isinstance(validate.get("anyPattern"), list):
            validate["anyPattern"] = [_wrapped(p, config) for p in validate["anyPattern"]]
    mutate = rule.get("mutate")
    if isinstance(mutate, dict):
        if mutate.get("patchStrategicMerge") is not None:
            mutate["patchStrategicMerge"] = _wrapped(mutate["patchStrategicMerge"], config)
        for entry in mutate.get("foreach") or []:
            if isinstance(entry, dict) and entry.get("patchStrategicMerge") is not None:
                entry["patchStrategicMerge"] = _wrapped(entry["patchStrategicMerge"], config)


def _rewrite_variables(text: str, config: str) -> str:
    """``request.object.spec`` / ``.metadata`` (and ``oldObject``) moved to the pod template, as plain text."""
    if config == "autogen-cronjob":
        spec, meta = "spec.jobTemplate.spec.template.spec", "spec.jobTemplate.spec.template.metadata"
    else:
        spec, meta = "spec.template.spec", "spec.template.metadata"
    for obj in ("request.object", "request.oldObject"):
        text = text.replace(f"{obj}.spec", f"{obj}.{spec}").replace(f"{obj}.metadata", f"{obj}.{meta}")
    return text


def autogen_rules(annotations: Mapping[str, str], raw_rules: Sequence[Mapping[str, Any]]) -> list[AutogenRule]:
    """The rules Kyverno adds for pod controllers, in its order (per rule: controllers, then CronJob)."""
    if not can_autogen(raw_rules):
        return []
    requested = requested_controllers(annotations)
    controllers = list(POD_CONTROLLERS) if requested is None else [c for c in POD_CONTROLLERS if c in requested]
    if not controllers:
        return []
    plain = [c for c in controllers if c != "CronJob"]
    out: list[AutogenRule] = []
    for rule in raw_rules:
        name = str(rule.get("name") or "")
        if name.startswith("autogen-"):
            continue
        match_kinds = _kinds(rule.get("match"))
        exclude_kinds = _kinds(rule.get("exclude"))
        if "Pod" not in match_kinds or (exclude_kinds and "Pod" not in exclude_kinds):
            continue
        if plain:
            out.append(AutogenRule("autogen", _generate(rule, "autogen", plain)))
        if "CronJob" in controllers:
            out.append(AutogenRule("autogen-cronjob", _generate(rule, "autogen-cronjob", ["CronJob"])))
    return out
