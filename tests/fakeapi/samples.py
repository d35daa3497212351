"""Seed objects for fake clusters: namespaces, pods, deployments, a secret, a CRD with two versions and its CRs."""

from __future__ import annotations

from typing import Any

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
        "versions": [
            {"name": "v1beta1", "served": True, "storage": False},
            {"name": "v1", "served": True, "storage": True},
            {"name": "v1alpha1", "served": False, "storage": False},
        ],
    },
}

GADGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Cluster",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
        "versions": [{"name": "v1", "served": True, "storage": True}],
    },
}


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """A Namespace."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}}


def pod(name: str, ns: str = "default", labels: dict[str, str] | None = None, node: str = "node-1",
        image: str = "nginx:1.27", phase: str = "Running") -> dict[str, Any]:
    """A Pod with one container."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": image}]},
        "status": {"phase": phase},
    }


def deployment(name: str, ns: str = "default", replicas: int = 1) -> dict[str, Any]:
    """A Deployment."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}},
        },
    }


def sample_objects() -> list[dict[str, Any]]:
    """A small, varied cluster: 3 namespaces, 7 pods, 2 deployments, a secret, CRDs and custom resources."""
    return [
        namespace("default"),
        namespace("team-a", {"team": "a", "env": "prod"}),
        namespace("team-b", {"team": "b", "env": "dev"}),
        pod("web-1", "team-a", {"app": "web", "tier": "front"}),
        pod("web-2", "team-a", {"app": "web", "tier": "front"}, node="node-2"),
        pod("db-1", "team-a", {"app": "db", "tier": "back"}, phase="Pending"),
        pod("api-1", "team-b", {"app": "api"}),
        pod("api-2", "team-b", {"app": "api", "canary": "true"}, node="node-2"),
        pod("job-1", "team-b", {}, phase="Succeeded"),
        pod("lonely", "default"),
        deployment("web", "team-a", 2),
        deployment("api", "team-b", 2),
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "team-a"},
         "type": "Opaque", "data": {"password": "c2VjcmV0"}},
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {"zone": "z1"}}},
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-2", "labels": {"zone": "z2"}}},
        WIDGET_CRD,
        GADGET_CRD,
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "team-a"},
         "spec": {"size": 3}},
        {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g1"}, "spec": {"on": True}},
    ]
