"""Shared helpers of the policy-set tests: evaluating one bundled policy on a resource, and the case files.

A case file (``cases/<policy>.yaml``) names a policy and lists resources that must pass, fail or be skipped::

    policy: disallow-privileged-containers
    namespaces: [<Namespace objects>]        # optional: namespaceObject of the resources' namespaces
    context: [<objects>]                     # optional: served to resource.Get / resource.List
    pods:                                    # pod specs; each becomes a Pod, a Deployment and a CronJob
      pass: [{spec: {...}, metadata: {labels: ..., annotations: ...}}]
      fail: [...]
    resources:                               # complete objects (or {operation: DELETE, object: {...}})
      pass: [...]
      fail: [...]
      skip: [...]

For a pod case the Deployment and CronJob expectations follow the Pod's, except that a controller the policy's
autogen does not cover must be skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from pykyverno.engine.cel import using_providers
from pykyverno.engine.cel.offline import offline_providers
from pykyverno.engine.common.kind import CompiledPolicy
from pykyverno.engine.objects import normalize_manifest
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext
from pykyverno.server.policysets import load_sets, set_names

CASES = Path(__file__).parent / "cases"
DEFAULT_NAMESPACE = "apps"


@cache
def all_policies() -> PolicySet:
    """Every bundled set, loaded once."""
    return load_sets(set_names())


def compiled(name: str) -> list[CompiledPolicy]:
    """The compiled variants (policy and autogen) of one bundled policy."""
    return [p for p in all_policies().policies if p.name == name]


@dataclass
class Outcome:
    """The verdict of one policy on one resource, with the message."""

    result: str
    message: str = ""


def evaluate(
    policy: str,
    obj: dict[str, Any],
    *,
    operation: str = "CREATE",
    namespaces: dict[str, dict[str, Any]] | None = None,
    context: list[dict[str, Any]] | None = None,
) -> Outcome:
    """Evaluate one bundled policy on one object; ``skip`` when the policy does not apply."""
    resource = normalize_manifest(obj)
    namespace = str((resource.get("metadata") or {}).get("namespace") or "")
    namespace_object = None
    if namespace:
        namespace_object = (namespaces or {}).get(namespace) or {
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace},
        }
    ctx = AdmissionContext(operation=operation, namespace_object=namespace_object)
    if operation == "DELETE":
        ctx.old_object = resource
    else:
        ctx.object = resource
    with using_providers(offline_providers(resources=context or [])):
        for variant in compiled(policy):
            result = variant.evaluate(ctx)
            if result is not None:
                return Outcome(result.result, result.message)
    return Outcome("skip")


def pod_controllers(spec: dict[str, Any], metadata: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The same pod as a Pod, a Deployment and a CronJob."""
    namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
    template_meta = {k: v for k, v in metadata.items() if k in ("labels", "annotations")}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "case", **metadata, "namespace": namespace},
           "spec": copy.deepcopy(spec)}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "case", "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"case": "x"}},
                 "template": {"metadata": copy.deepcopy(template_meta), "spec": copy.deepcopy(spec)}},
    }
    cronjob = {
        "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "case", "namespace": namespace},
        "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {
            "metadata": copy.deepcopy(template_meta), "spec": copy.deepcopy(spec)}}}},
    }
    return {"Pod": pod, "Deployment": deployment, "CronJob": cronjob}


@dataclass
class Case:
    """One resource and the verdict it must get."""

    policy: str
    label: str
    obj: dict[str, Any]
    expected: str
    operation: str = "CREATE"
    namespaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    context: list[dict[str, Any]] = field(default_factory=list)


def load_case_file(path: Path, autogen_kinds: list[str]) -> Iterator[Case]:
    """The cases of one case file; ``autogen_kinds`` are the controller kinds the policy's autogen covers."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    policy = str(data["policy"])
    namespaces = {str(ns["metadata"]["name"]): ns for ns in data.get("namespaces") or []}
    context = list(data.get("context") or [])
    for expected, entries in (data.get("pods") or {}).items():
        for i, entry in enumerate(entries):
            for kind, obj in pod_controllers(entry.get("spec") or {}, entry.get("metadata") or {}).items():
                want = expected if kind == "Pod" or kind in autogen_kinds else "skip"
                yield Case(policy, f"{expected}-pod{i}-{kind}", obj, want, "CREATE", namespaces, context)
    for expected, entries in (data.get("resources") or {}).items():
        for i, entry in enumerate(entries):
            operation = "CREATE"
            obj = entry
            if set(entry) == {"operation", "object"}:
                operation, obj = str(entry["operation"]), entry["object"]
            label = f"{expected}-{obj.get('kind')}-{(obj.get('metadata') or {}).get('name', i)}"
            yield Case(policy, label, obj, expected, operation, namespaces, context)
