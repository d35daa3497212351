"""Two fake clusters for the report tests: ``alpha`` with the high-risk elements the report must find (a privileged
Deployment with its ReplicaSet and Pods, a runtime-socket mount, a wildcard ClusterRole, bindings to system groups)
and one resource type that cannot be listed; ``beta`` small and mostly compliant."""

from __future__ import annotations

from typing import Any

HARDENED = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"team": name}}}


def pod_spec(container: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "registry.k8s.io/pause:3.9", **container}], **extra}


def metadata(name: str, ns: str, owner: tuple[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/name": name}}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": "u",
                                    "controller": True}]
    return meta


def deployment(name: str, ns: str, spec: dict[str, Any], kind: str = "Deployment",
               owner: tuple[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": metadata(name, ns, owner),
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def pod(name: str, ns: str, spec: dict[str, Any], owner: tuple[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata(name, ns, owner), "spec": spec}


PRIVILEGED = pod_spec({"securityContext": {"privileged": True}}, hostPID=True)
SOCKET = pod_spec({"volumeMounts": [{"name": "docker", "mountPath": "/var/run/docker.sock"}]},
                  volumes=[{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}])
CLEAN = pod_spec({"securityContext": HARDENED,
                  "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
                  "livenessProbe": {"tcpSocket": {"port": 80}}, "readinessProbe": {"tcpSocket": {"port": 80}}},
                 automountServiceAccountToken=False,
                 securityContext={"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}})

ALPHA: list[dict[str, Any]] = [
    namespace("shop"),
    namespace("tools"),
    deployment("agent", "shop", PRIVILEGED),
    deployment("agent-5d8", "shop", PRIVILEGED, kind="ReplicaSet", owner=("Deployment", "agent")),
    pod("agent-5d8-x1", "shop", PRIVILEGED, owner=("ReplicaSet", "agent-5d8")),
    pod("agent-5d8-x2", "shop", PRIVILEGED, owner=("ReplicaSet", "agent-5d8")),
    pod("builder", "tools", SOCKET),
    pod("quiet", "tools", CLEAN),
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "do-anything"},
     "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
     "metadata": {"name": "everyone-does-anything"},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "do-anything"},
     "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}]},
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "tools"},
     "spec": {"schedule": "0 1 * * *", "jobTemplate": {"spec": {"template": {"spec": CLEAN}}}}},
]

BETA: list[dict[str, Any]] = [
    namespace("team-b"),
    deployment("api", "team-b", CLEAN),
    pod("api-1", "team-b", CLEAN),
]
