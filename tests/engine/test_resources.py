"""The kind <-> plural resource table."""

from __future__ import annotations

import pytest

from pykyverno.engine.resources import (
    BUILTIN_TYPES,
    ResourceCatalog,
    guess_plural,
    is_namespaced,
    kind_for,
    plural_for,
    split_api_version,
)


@pytest.mark.parametrize(
    ("api_version", "kind", "plural", "namespaced"),
    [
        ("v1", "Pod", "pods", True),
        ("v1", "Namespace", "namespaces", False),
        ("v1", "Endpoints", "endpoints", True),
        ("v1", "ConfigMap", "configmaps", True),
        ("v1", "PersistentVolume", "persistentvolumes", False),
        ("v1", "ServiceAccount", "serviceaccounts", True),
        ("apps/v1", "Deployment", "deployments", True),
        ("apps/v1", "DaemonSet", "daemonsets", True),
        ("apps/v1beta2", "StatefulSet", "statefulsets", True),
        ("batch/v1", "CronJob", "cronjobs", True),
        ("batch/v1", "Job", "jobs", True),
        ("networking.k8s.io/v1", "Ingress", "ingresses", True),
        ("networking.k8s.io/v1", "IngressClass", "ingressclasses", False),
        ("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
        ("rbac.authorization.k8s.io/v1", "Role", "roles", True),
        ("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True),
        ("storage.k8s.io/v1", "StorageClass", "storageclasses", False),
        ("storage.k8s.io/v1", "CSIStorageCapacity", "csistoragecapacities", True),
        ("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True),
        ("autoscaling/v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True),
        ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", False),
        ("admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy", "mutatingadmissionpolicies", False),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False),
        ("coordination.k8s.io/v1", "Lease", "leases", True),
        ("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", True),
        ("events.k8s.io/v1", "Event", "events", True),
        ("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", False),
        ("node.k8s.io/v1", "RuntimeClass", "runtimeclasses", False),
        ("certificates.k8s.io/v1", "CertificateSigningRequest", "certificatesigningrequests", False),
        ("policies.kyverno.io/v1", "ValidatingPolicy", "validatingpolicies", False),
        ("policies.kyverno.io/v1", "NamespacedValidatingPolicy", "namespacedvalidatingpolicies", True),
        ("kyverno.io/v1", "ClusterPolicy", "clusterpolicies", False),
        ("kyverno.io/v2", "PolicyException", "policyexceptions", True),
    ],
)
def test_builtin_kinds(api_version: str, kind: str, plural: str, namespaced: bool) -> None:
    assert plural_for(api_version, kind) == plural
    assert kind_for(api_version, plural) == kind
    assert is_namespaced(api_version, kind) is namespaced


@pytest.mark.parametrize(
    ("kind", "plural"),
    [("ComputeClass", "computeclasses"), ("Policy", "policies"), ("Gateway", "gateways"), ("Box", "boxes"),
     ("Mesh", "meshes"), ("Key", "keys"), ("Endpoints", "endpoints"), ("Certificate", "certificates")],
)
def test_guess_plural(kind: str, plural: str) -> None:
    assert guess_plural(kind) == plural


def test_unknown_kind_gets_guessed_plural_and_no_scope() -> None:
    assert plural_for("cloud.google.com/v1", "ComputeClass") == "computeclasses"
    assert kind_for("cloud.google.com/v1", "computeclasses") is None
    assert is_namespaced("cloud.google.com/v1", "ComputeClass") is None


def test_same_plural_in_other_group_is_distinct() -> None:
    assert kind_for("metrics.k8s.io/v1beta1", "pods") == "PodMetrics"
    assert kind_for("v1", "pods") == "Pod"
    assert kind_for("events.k8s.io/v1", "events") == "Event"


def test_kind_for_ignores_subresource_and_case() -> None:
    assert kind_for("v1", "Pods/status") == "Pod"


def test_catalog_learns_crds() -> None:
    catalog = ResourceCatalog()
    added = catalog.add_crd({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "spec": {"group": "cloud.google.com", "scope": "Cluster",
                 "names": {"kind": "ComputeClass", "plural": "computeclasses", "shortNames": ["cc"]},
                 "versions": [{"name": "v1"}, {"name": "v1beta1"}]}})
    assert [t.api_version for t in added] == ["cloud.google.com/v1", "cloud.google.com/v1beta1"]
    assert catalog.kind_for("cloud.google.com/v1beta1", "computeclasses") == "ComputeClass"
    assert catalog.is_namespaced("cloud.google.com/v1", "ComputeClass") is False
    assert catalog.by_kind("cloud.google.com/v1", "ComputeClass") is not None
    assert plural_for("cloud.google.com/v1", "Mouse") == "mouses"  # the default catalog is untouched


def test_crd_plural_wins_over_guess() -> None:
    catalog = ResourceCatalog()
    catalog.add_crd({"spec": {"group": "zoo.io", "names": {"kind": "Mouse", "plural": "mice"},
                              "versions": [{"name": "v1"}]}})
    assert catalog.plural_for("zoo.io/v1", "Mouse") == "mice"
    assert catalog.is_namespaced("zoo.io/v1", "Mouse") is True


def test_crd_without_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"spec\.names\.kind"):
        ResourceCatalog().add_crd({"spec": {"group": "x"}})


def test_split_api_version() -> None:
    assert split_api_version("apps/v1") == ("apps", "v1")
    assert split_api_version("v1") == ("", "v1")


def test_table_has_unique_entries_and_api_versions() -> None:
    keys = [(t.group, t.version, t.kind) for t in BUILTIN_TYPES]
    assert len(keys) == len(set(keys))
    pod = next(t for t in BUILTIN_TYPES if t.kind == "Pod" and t.group == "")
    assert pod.api_version == "v1"
    assert pod.singular == "pod"
    assert "po" in pod.short_names
