"""Generated Pods that look like ``kubectl get pods -A -o json`` of a real cluster, with a realistic mix of
compliant and violating security settings.

About a third of the Pods are hardened (they pass the whole Restricted profile), almost half carry the defaults
most charts ship (they pass Baseline but miss Restricted controls such as seccomp, runAsNonRoot or dropping ALL),
and the rest break one or two Baseline controls (privileged, host namespaces, hostPath, host ports, added
capabilities, procMount, SELinux, AppArmor, sysctls, runAsUser 0, Windows HostProcess, nfs volumes). Every Pod has
the metadata, projected service-account volume, probes, resources and status a live Pod has, so that per-object
costs (conversion, copying, encoding) are those of a real snapshot.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

NAMESPACES = (*(f"team-{i:02d}" for i in range(30)), "kube-system", "monitoring", "ingress")
IMAGES = (
    "ghcr.io/acme/api:1.14.2",
    "registry.example.com/payments/worker:3.1.0",
    "docker.io/library/nginx:1.27",
    "quay.io/prometheus/node-exporter:v1.8.1",
    "busybox:1.36",
)

#: Baseline (and some Restricted) violations a risky Pod picks one or two of.
VIOLATIONS = (
    "privileged",
    "host-network",
    "host-pid",
    "host-path",
    "host-port",
    "cap-sys-admin",
    "proc-mount",
    "selinux-type",
    "selinux-user",
    "sysctl",
    "apparmor-annotation",
    "apparmor-field",
    "seccomp-unconfined",
    "run-as-root",
    "windows-host-process",
    "nfs-volume",
    "escalation",
)


def _hardened_context(rng: random.Random, pod_seccomp: bool) -> dict[str, Any]:
    sc: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": rng.random() < 0.8,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    if rng.random() < 0.1:
        sc["capabilities"]["add"] = ["NET_BIND_SERVICE"]
    if not pod_seccomp:
        sc["seccompProfile"] = {"type": "RuntimeDefault"}
    return sc


def _default_context(rng: random.Random) -> dict[str, Any] | None:
    roll = rng.random()
    if roll < 0.45:
        return None
    if roll < 0.7:
        return {}
    sc: dict[str, Any] = {"allowPrivilegeEscalation": False}
    if rng.random() < 0.5:
        sc["runAsNonRoot"] = True
    if rng.random() < 0.3:
        sc["capabilities"] = {"drop": ["ALL"]}
    if rng.random() < 0.2:
        sc["capabilities"] = {"add": ["CHOWN"]}
    return sc


def _container(rng: random.Random, name: str, app: str, sc: dict[str, Any] | None) -> dict[str, Any]:
    port = rng.choice((8080, 8443, 9090, 3000))
    container: dict[str, Any] = {
        "name": name,
        "image": rng.choice(IMAGES),
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": [
            {"name": "APP_NAME", "value": app},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}},
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            **({"limits": {"cpu": "500m", "memory": "256Mi"}} if rng.random() < 0.7 else {}),
        },
        "volumeMounts": [
            {
                "name": "kube-api-access",
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "readOnly": True,
            }
        ],
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if rng.random() < 0.7:
        probe = {"httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"}, "periodSeconds": 10}
        container["livenessProbe"] = probe
        container["readinessProbe"] = dict(probe)
    if sc is not None:
        container["securityContext"] = sc
    return container


def _service_account_volume() -> dict[str, Any]:
    return {
        "name": "kube-api-access",
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {
                    "downwardAPI": {
                        "items": [
                            {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                        ]
                    }
                },
            ],
        },
    }


def _apply_violation(rng: random.Random, pod: dict[str, Any], violation: str) -> None:
    spec = pod["spec"]
    target = rng.choice(spec["containers"])
    sc = target.setdefault("securityContext", {})
    pod_sc = spec.setdefault("securityContext", {})
    if violation == "privileged":
        sc["privileged"] = True
    elif violation == "host-network":
        spec["hostNetwork"] = True
    elif violation == "host-pid":
        spec["hostPID"] = True
    elif violation == "host-path":
        spec["volumes"].append({"name": "host-logs", "hostPath": {"path": "/var/log", "type": "Directory"}})
    elif violation == "host-port":
        target["ports"][0]["hostPort"] = target["ports"][0]["containerPort"]
    elif violation == "cap-sys-admin":
        sc.setdefault("capabilities", {})["add"] = ["SYS_ADMIN", "NET_ADMIN"]
    elif violation == "proc-mount":
        sc["procMount"] = "Unmasked"
    elif violation == "selinux-type":
        sc["seLinuxOptions"] = {"type": "spc_t"}
    elif violation == "selinux-user":
        pod_sc["seLinuxOptions"] = {"user": "system_u", "role": "system_r"}
    elif violation == "sysctl":
        pod_sc["sysctls"] = [{"name": "net.ipv4.tcp_syncookies", "value": "1"}, {"name": "kernel.msgmax", "value": "65536"}]
    elif violation == "apparmor-annotation":
        pod["metadata"]["annotations"][f"container.apparmor.security.beta.kubernetes.io/{target['name']}"] = "unconfined"
    elif violation == "apparmor-field":
        sc["appArmorProfile"] = {"type": "Unconfined"}
    elif violation == "seccomp-unconfined":
        sc["seccompProfile"] = {"type": "Unconfined"}
    elif violation == "run-as-root":
        sc["runAsUser"] = 0
    elif violation == "windows-host-process":
        spec["os"] = {"name": "windows"}
        pod_sc["windowsOptions"] = {"hostProcess": True, "runAsUserName": "NT AUTHORITY\\SYSTEM"}
    elif violation == "nfs-volume":
        spec["volumes"].append({"name": "shared", "nfs": {"server": "nfs.example.com", "path": "/exports"}})
    elif violation == "escalation":
        sc["allowPrivilegeEscalation"] = True
    if not pod_sc:
        del spec["securityContext"]


def generate_pod(rng: random.Random, index: int) -> dict[str, Any]:
    """One Pod; ``index`` makes its name and uid unique."""
    namespace = NAMESPACES[index % len(NAMESPACES)]
    app = f"svc-{(index // len(NAMESPACES)) % 250}"
    profile = rng.choices(("hardened", "default", "risky"), weights=(35, 45, 20))[0]
    pod_seccomp = profile == "hardened" and rng.random() < 0.5
    count = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
    containers = []
    for j in range(count):
        sc = _hardened_context(rng, pod_seccomp) if profile == "hardened" else _default_context(rng)
        containers.append(_container(rng, "app" if j == 0 else f"sidecar-{j}", app, sc))
    spec: dict[str, Any] = {
        "containers": containers,
        "volumes": [_service_account_volume()],
        "serviceAccountName": "default" if rng.random() < 0.5 else app,
        "nodeName": f"node-{index % 12}",
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
        "schedulerName": "default-scheduler",
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        ],
    }
    if rng.random() < 0.2:
        init_sc = _hardened_context(rng, pod_seccomp) if profile == "hardened" else _default_context(rng)
        spec["initContainers"] = [_container(rng, "init", app, init_sc)]
    if rng.random() < 0.4:
        spec["volumes"].append(rng.choice((
            {"name": "config", "configMap": {"name": f"{app}-config"}},
            {"name": "cache", "emptyDir": {}},
            {"name": "data", "persistentVolumeClaim": {"claimName": f"{app}-data"}},
            {"name": "tls", "secret": {"secretName": f"{app}-tls"}},
        )))
    if profile == "hardened":
        pod_sc: dict[str, Any] = {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001}
        if pod_seccomp:
            pod_sc["seccompProfile"] = {"type": "RuntimeDefault"}
        spec["securityContext"] = pod_sc
    elif rng.random() < 0.4:
        spec["securityContext"] = {"fsGroup": 2000} if rng.random() < 0.5 else {"runAsUser": 1000, "runAsGroup": 1000}
    uid = f"{index:08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-8{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}"
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{app}-{rng.getrandbits(32):08x}-{index:05d}",
            "namespace": namespace,
            "uid": uid,
            "resourceVersion": str(100000 + index),
            "creationTimestamp": "2025-05-01T10:00:00Z",
            "labels": {"app.kubernetes.io/name": app, "pod-template-hash": f"{rng.getrandbits(32):08x}"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2025-05-01T09:59:00Z"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{app}-rs",
                    "uid": f"{rng.getrandbits(128):032x}",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
        "status": {
            "phase": "Running",
            "podIP": f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}",
            "hostIP": f"192.168.0.{index % 12 + 10}",
            "qosClass": "Burstable",
            "startTime": "2025-05-01T10:00:01Z",
            "conditions": [
                {"type": t, "status": "True", "lastTransitionTime": "2025-05-01T10:00:05Z"}
                for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
            ],
            "containerStatuses": [
                {
                    "name": c["name"],
                    "image": c["image"],
                    "imageID": f"sha256:{rng.getrandbits(256):064x}",
                    "ready": True,
                    "restartCount": rng.choice((0, 0, 0, 1, 4)),
                    "started": True,
                    "state": {"running": {"startedAt": "2025-05-01T10:00:04Z"}},
                }
                for c in containers
            ],
        },
    }
    if profile == "risky":
        for violation in rng.sample(VIOLATIONS, rng.choice((1, 1, 2))):
            _apply_violation(rng, pod, violation)
    return pod


def generate_pods(count: int, seed: int = 15) -> list[dict[str, Any]]:
    """``count`` Pods, the same for the same seed."""
    rng = random.Random(seed)
    return [generate_pod(rng, i) for i in range(count)]


def write_snapshot(pods: list[dict[str, Any]], path: Path, fmt: str = "json") -> Path:
    """Write the Pods as ``kubectl get pods -A -o json`` (a v1 List) or as multi-document YAML."""
    if fmt == "json":
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
    else:
        import yaml

        path.write_text(yaml.safe_dump_all(pods, sort_keys=False))
    return path


def generate_small_pods(count: int) -> list[dict[str, Any]]:
    """``count`` minimal Pods (one container; every fifth privileged) spread over 40 namespaces: many objects and
    results for little input, to see how memory grows with the results."""
    pods = []
    for i in range(count):
        container: dict[str, Any] = {"name": "app", "image": f"registry.example/app:{i % 7}"}
        if i % 5 == 0:
            container["securityContext"] = {"privileged": True}
        pods.append({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"pod-{i}", "namespace": f"team-{i % 40}", "uid": f"uid-{i}"},
            "spec": {"containers": [container]},
        })
    return pods
