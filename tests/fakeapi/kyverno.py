"""Kyverno on a fake cluster: the CRDs of its API groups (served only when a fixture installs them) and a
"Kyverno installed" set of objects (controllers' Deployments, webhook configurations, namespace).

Which ``policies.kyverno.io`` kinds each version serves follows Kyverno's release history (``v1alpha1`` since 1.14,
``v1beta1`` since 1.16, ``v1`` since 1.17; see ``shared/spec/kyverno-semantics.md`` section 2). Policy CRDs carry a
structural schema listing the spec fields of each kind (their contents are left open), so a field a served version
does not know is refused by server-side apply, as a real API server does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Obj = dict[str, Any]

POLICY_GROUP = "policies.kyverno.io"

#: (kind, plural, cluster-scoped, short name) of the policies.kyverno.io kinds.
POLICY_KINDS: tuple[tuple[str, str, bool, str], ...] = (
    ("ValidatingPolicy", "validatingpolicies", True, "vpol"),
    ("NamespacedValidatingPolicy", "namespacedvalidatingpolicies", False, "nvpol"),
    ("MutatingPolicy", "mutatingpolicies", True, "mpol"),
    ("NamespacedMutatingPolicy", "namespacedmutatingpolicies", False, "nmpol"),
    ("GeneratingPolicy", "generatingpolicies", True, "gpol"),
    ("NamespacedGeneratingPolicy", "namespacedgeneratingpolicies", False, "ngpol"),
    ("DeletingPolicy", "deletingpolicies", True, "dpol"),
    ("NamespacedDeletingPolicy", "namespaceddeletingpolicies", False, "ndpol"),
    ("ImageValidatingPolicy", "imagevalidatingpolicies", True, "ivpol"),
    ("NamespacedImageValidatingPolicy", "namespacedimagevalidatingpolicies", False, "nivpol"),
    ("PolicyException", "policyexceptions", False, ""),
)

_V1ALPHA1_KINDS = ("ValidatingPolicy", "ImageValidatingPolicy", "PolicyException")
_V115_KINDS = (*_V1ALPHA1_KINDS, "MutatingPolicy", "GeneratingPolicy", "DeletingPolicy")
_ALL_KINDS = tuple(k for k, *_ in POLICY_KINDS)

#: policies.kyverno.io version -> served kinds, per Kyverno minor release.
SERVED_BY_RELEASE: dict[str, dict[str, tuple[str, ...]]] = {
    "1.14": {"v1alpha1": _V1ALPHA1_KINDS},
    "1.15": {"v1alpha1": _V115_KINDS},
    "1.16": {"v1alpha1": _V115_KINDS, "v1beta1": tuple(k for k in _ALL_KINDS if "NamespacedMutating" not in k
                                                       and "NamespacedGenerating" not in k)},
    "1.17": {"v1alpha1": _V115_KINDS, "v1beta1": _ALL_KINDS, "v1": _ALL_KINDS},
}

_MATCH = ("matchConstraints", "matchConditions", "variables")
#: The spec fields of each kind (HEAD schemas are the same in every version).
SPEC_FIELDS: dict[str, tuple[str, ...]] = {
    "ValidatingPolicy": (*_MATCH, "validations", "auditAnnotations", "failurePolicy", "validationActions",
                         "autogen", "evaluation", "webhookConfiguration"),
    "MutatingPolicy": (*_MATCH, "mutations", "failurePolicy", "auditAnnotations", "webhookConfiguration",
                       "reinvocationPolicy", "targetMatchConstraints", "targetMatchConditions", "evaluation",
                       "autogen"),
    "GeneratingPolicy": (*_MATCH, "generate", "auditAnnotations", "webhookConfiguration", "evaluation",
                         "useServerSideApply"),
    "DeletingPolicy": ("matchConstraints", "variables", "conditions", "schedule", "deletionPropagationPolicy"),
    "ImageValidatingPolicy": (*_MATCH, "validations", "auditAnnotations", "failurePolicy", "validationActions",
                              "webhookConfiguration", "evaluation", "autogen", "matchImageReferences", "images",
                              "attestors", "attestations", "credentials", "validationConfigurations"),
    "PolicyException": ("policyRefs", "matchConditions", "images", "allowedValues", "properties", "reportResult",
                        "expiresAt", "evaluationMode"),
}


def _open() -> Obj:
    return {"x-kubernetes-preserve-unknown-fields": True}


def policy_schema(kind: str, without: Iterable[str] = ()) -> Obj:
    """A structural schema naming the spec fields of ``kind`` (minus ``without``), each left open."""
    base = kind.removeprefix("Namespaced")
    dropped = set(without)
    fields = {name: _open() for name in SPEC_FIELDS.get(base, ()) if name not in dropped}
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "properties": fields},
            "status": _open(),
        },
    }


def crd(group: str, kind: str, plural: str, *, namespaced: bool, versions: Sequence[str],
        short_names: Sequence[str] = (), categories: Sequence[str] = (),
        schemas: Mapping[str, Obj] | None = None) -> Obj:
    """A CustomResourceDefinition serving ``versions`` (the first one is the storage version)."""
    schemas = schemas or {}
    names: Obj = {"plural": plural, "singular": kind.lower(), "kind": kind, "listKind": f"{kind}List"}
    if short_names:
        names["shortNames"] = list(short_names)
    if categories:
        names["categories"] = list(categories)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced" if namespaced else "Cluster",
            "names": names,
            "versions": [
                {"name": v, "served": True, "storage": i == 0,
                 "schema": {"openAPIV3Schema": schemas.get(v) or {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}},
                 "subresources": {"status": {}}}
                for i, v in enumerate(versions)
            ],
        },
    }


def policy_crds(release: str = "1.17", *, without: Mapping[str, Iterable[str]] | None = None) -> list[Obj]:
    """The policies.kyverno.io CRDs of a Kyverno release (``"1.14"`` ... ``"1.17"``; later ones serve what 1.17
    serves). ``without`` maps a version to spec fields its schema lacks (for every kind)."""
    served = SERVED_BY_RELEASE[release]
    missing = {v: set(f) for v, f in (without or {}).items()}
    out = []
    for kind, plural, cluster_scoped, short in POLICY_KINDS:
        versions = [v for v in ("v1", "v1beta1", "v1alpha1") if kind in served.get(v, ())]
        if not versions:
            continue
        schemas = {v: policy_schema(kind, missing.get(v, ())) for v in versions}
        out.append(crd(POLICY_GROUP, kind, plural, namespaced=not cluster_scoped, versions=versions,
                       short_names=[short] if short else [], categories=["kyverno"], schemas=schemas))
    return out


def kyverno_io_crds() -> list[Obj]:
    """kyverno.io: ClusterPolicy and Policy (v1, v2beta1), PolicyException (v2, v2beta1)."""
    return [
        crd("kyverno.io", "ClusterPolicy", "clusterpolicies", namespaced=False, versions=["v1", "v2beta1"],
            short_names=["cpol"], categories=["kyverno"]),
        crd("kyverno.io", "Policy", "policies", namespaced=True, versions=["v1", "v2beta1"], short_names=["pol"],
            categories=["kyverno"]),
        crd("kyverno.io", "PolicyException", "policyexceptions", namespaced=True, versions=["v2", "v2beta1"],
            short_names=["polex"], categories=["kyverno"]),
    ]


def report_crds(*, wgpolicy: bool = True, openreports: bool = False) -> list[Obj]:
    """The report CRDs: ``wgpolicyk8s.io/v1alpha2`` PolicyReport/ClusterPolicyReport and/or
    ``openreports.io/v1alpha1`` Report/ClusterReport."""
    out = []
    if wgpolicy:
        out += [crd("wgpolicyk8s.io", "PolicyReport", "policyreports", namespaced=True, versions=["v1alpha2"],
                    short_names=["polr"]),
                crd("wgpolicyk8s.io", "ClusterPolicyReport", "clusterpolicyreports", namespaced=False,
                    versions=["v1alpha2"], short_names=["cpolr"])]
    if openreports:
        out += [crd("openreports.io", "Report", "reports", namespaced=True, versions=["v1alpha1"],
                    short_names=["rep"]),
                crd("openreports.io", "ClusterReport", "clusterreports", namespaced=False, versions=["v1alpha1"],
                    short_names=["crep"])]
    return out


#: The controllers of Kyverno's Helm chart: (Deployment name, component label, image repository).
CONTROLLERS = (
    ("kyverno-admission-controller", "admission-controller", "reg.kyverno.io/kyverno/kyverno"),
    ("kyverno-background-controller", "background-controller", "reg.kyverno.io/kyverno/background-controller"),
    ("kyverno-cleanup-controller", "cleanup-controller", "reg.kyverno.io/kyverno/cleanup-controller"),
    ("kyverno-reports-controller", "reports-controller", "reg.kyverno.io/kyverno/reports-controller"),
)


def controller(name: str, component: str, image: str, *, namespace: str = "kyverno", replicas: int = 1,
               ready: int | None = None) -> Obj:
    """A Kyverno controller Deployment with its status (``ready`` replicas; all of them by default)."""
    labels = {"app.kubernetes.io/component": component, "app.kubernetes.io/instance": "kyverno",
              "app.kubernetes.io/part-of": "kyverno"}
    ready_count = replicas if ready is None else ready
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/component": component,
                                         "app.kubernetes.io/instance": "kyverno"}},
            "template": {"metadata": {"labels": labels},
                         "spec": {"containers": [{"name": "kyverno" if component == "admission-controller"
                                                  else "controller", "image": image}]}},
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": ready_count,
            "availableReplicas": ready_count,
            "conditions": [{"type": "Available", "status": "True" if ready_count >= max(1, replicas) else "False"}],
        },
    }


def webhook_configurations(failure_policy: str = "Fail", namespace: str = "kyverno") -> list[Obj]:
    """Kyverno's resource webhooks (one Fail and one Ignore webhook each, as Kyverno registers them) and its
    policy-validation webhook."""
    label = {"webhook.kyverno.io/managed-by": "kyverno"}

    def hook(name: str, policy: str, path: str) -> Obj:
        return {"name": name, "failurePolicy": policy, "timeoutSeconds": 10, "sideEffects": "NoneOnDryRun",
                "admissionReviewVersions": ["v1"],
                "clientConfig": {"service": {"name": "kyverno-svc", "namespace": namespace, "path": path}}}

    return [
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
         "metadata": {"name": "kyverno-resource-validating-webhook-cfg", "labels": label},
         "webhooks": [hook("validate.kyverno.svc-fail", failure_policy, "/validate/fail"),
                      hook("validate.kyverno.svc-ignore", "Ignore", "/validate/ignore")]},
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
         "metadata": {"name": "kyverno-resource-mutating-webhook-cfg", "labels": label},
         "webhooks": [hook("mutate.kyverno.svc-fail", failure_policy, "/mutate/fail")]},
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
         "metadata": {"name": "kyverno-policy-validating-webhook-cfg", "labels": label},
         "webhooks": [hook("validate-policy.kyverno.svc", "Fail", "/policyvalidate")]},
    ]


def kyverno_installed(version: str = "v1.17.0", *, namespace: str = "kyverno", replicas: int = 1,
                      ready: bool = True, failure_policy: str = "Fail", openreports: bool = False,
                      wgpolicy: bool = True) -> list[Obj]:
    """Everything a Helm install of Kyverno ``version`` leaves in a cluster that pykyverno looks at: the
    namespace, CRDs (policies.kyverno.io as that release serves it, kyverno.io, reports), the four controllers
    (``replicas`` each, ready or not) and the webhook configurations."""
    release = ".".join(version.lstrip("v").split(".")[:2])
    if release not in SERVED_BY_RELEASE:
        release = "1.17" if tuple(map(int, release.split("."))) > (1, 17) else "1.14"
    objects: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
    objects += policy_crds(release) + kyverno_io_crds() + report_crds(wgpolicy=wgpolicy, openreports=openreports)
    for name, component, repository in CONTROLLERS:
        objects.append(controller(name, component, f"{repository}:{version}", namespace=namespace,
                                  replicas=replicas, ready=None if ready else 0))
    objects += webhook_configurations(failure_policy, namespace)
    return objects


__all__ = [
    "CONTROLLERS",
    "POLICY_GROUP",
    "POLICY_KINDS",
    "SERVED_BY_RELEASE",
    "controller",
    "crd",
    "kyverno_installed",
    "kyverno_io_crds",
    "policy_crds",
    "policy_schema",
    "report_crds",
    "webhook_configurations",
]
