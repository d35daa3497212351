"""The resource table of the fake API server: built-in kinds plus CRD-registered kinds.

Each served resource is a :class:`Resource` (group, version, plural, kind, scope, ...). The table answers the
discovery endpoints and routes list/get paths to stored objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

READ_VERBS = ("get", "list", "watch")
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Resource:
    """One served resource (one group/version/plural)."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    categories: tuple[str, ...] = field(default=())

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def api_resource(self) -> dict[str, Any]:
        """The APIResource entry of discovery."""
        out: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }
        if self.short_names:
            out["shortNames"] = list(self.short_names)
        if self.categories:
            out["categories"] = list(self.categories)
        return out


def _r(
    gv: str, plural: str, kind: str, namespaced: bool, short: tuple[str, ...] = (), cats: tuple[str, ...] = ()
) -> Resource:
    group, _, version = gv.rpartition("/")
    return Resource(group, version, plural, kind, namespaced, kind.lower(), short, ALL_VERBS, cats)


BUILTIN: tuple[Resource, ...] = (
    _r("v1", "namespaces", "Namespace", False, ("ns",)),
    _r("v1", "nodes", "Node", False, ("no",)),
    _r("v1", "persistentvolumes", "PersistentVolume", False, ("pv",)),
    _r("v1", "pods", "Pod", True, ("po",), ("all",)),
    _r("v1", "services", "Service", True, ("svc",), ("all",)),
    _r("v1", "configmaps", "ConfigMap", True, ("cm",)),
    _r("v1", "secrets", "Secret", True),
    _r("v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    _r("v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",)),
    _r("v1", "endpoints", "Endpoints", True, ("ep",)),
    _r("v1", "events", "Event", True, ("ev",)),
    _r("v1", "limitranges", "LimitRange", True, ("limits",)),
    _r("v1", "resourcequotas", "ResourceQuota", True, ("quota",)),
    _r("v1", "replicationcontrollers", "ReplicationController", True, ("rc",), ("all",)),
    _r("apps/v1", "deployments", "Deployment", True, ("deploy",), ("all",)),
    _r("apps/v1", "statefulsets", "StatefulSet", True, ("sts",), ("all",)),
    _r("apps/v1", "daemonsets", "DaemonSet", True, ("ds",), ("all",)),
    _r("apps/v1", "replicasets", "ReplicaSet", True, ("rs",), ("all",)),
    _r("batch/v1", "jobs", "Job", True, (), ("all",)),
    _r("batch/v1", "cronjobs", "CronJob", True, ("cj",), ("all",)),
    _r("autoscaling/v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",), ("all",)),
    _r("autoscaling/v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ("hpa",), ("all",)),
    _r("networking.k8s.io/v1", "ingresses", "Ingress", True, ("ing",)),
    _r("networking.k8s.io/v1", "networkpolicies", "NetworkPolicy", True, ("netpol",)),
    _r("networking.k8s.io/v1", "ingressclasses", "IngressClass", False),
    _r("policy/v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ("pdb",)),
    _r("rbac.authorization.k8s.io/v1", "roles", "Role", True),
    _r("rbac.authorization.k8s.io/v1", "rolebindings", "RoleBinding", True),
    _r("rbac.authorization.k8s.io/v1", "clusterroles", "ClusterRole", False),
    _r("rbac.authorization.k8s.io/v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _r("storage.k8s.io/v1", "storageclasses", "StorageClass", False, ("sc",)),
    _r("apiextensions.k8s.io/v1", "customresourcedefinitions", "CustomResourceDefinition", False, ("crd", "crds")),
    _r("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False),
    _r("admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False),
    _r("admissionregistration.k8s.io/v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", False),
    _r(
        "admissionregistration.k8s.io/v1",
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        False,
    ),
)

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key implementing Kubernetes version priority (GA > beta > alpha, higher numbers first).

    Smaller keys sort first, so ``sorted(versions, key=version_priority)[0]`` is the preferred version.
    """
    m = _VERSION_RE.match(version)
    if not m:
        return (3, 0, 0, version)
    major = int(m.group(1))
    stage = {None: 0, "beta": 1, "alpha": 2}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor, "")


def resources_from_crd(crd: dict[str, Any]) -> list[Resource]:
    """The resources an ``apiextensions.k8s.io/v1`` CustomResourceDefinition serves (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec["group"]
    plural = names["plural"]
    kind = names["kind"]
    namespaced = spec.get("scope", "Namespaced") == "Namespaced"
    out = []
    for v in spec.get("versions") or []:
        if not v.get("served", True):
            continue
        out.append(
            Resource(
                group=group,
                version=v["name"],
                plural=plural,
                kind=kind,
                namespaced=namespaced,
                singular=names.get("singular") or kind.lower(),
                short_names=tuple(names.get("shortNames") or ()),
                verbs=ALL_VERBS,
                categories=tuple(names.get("categories") or ()),
            )
        )
    return out
