"""High-risk settings of workloads, read from the objects themselves: privileged or host-namespace pods, and
sensitive volume mounts (hostPath, container-runtime sockets, service-account tokens that are not needed).

Pure functions on plain dicts. A workload is a Pod or a pod controller; its pod spec is found where Kubernetes keeps
it (``spec``, ``spec.template.spec``, or ``spec.jobTemplate.spec.template.spec`` for CronJobs).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Where each workload kind keeps its pod spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}

#: Capabilities that give a container power over the node or other containers.
DANGEROUS_CAPABILITIES = frozenset(
    {"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "DAC_READ_SEARCH", "BPF", "PERFMON"}
)

#: Container-runtime sockets: whoever can reach one can start privileged containers on the node.
RUNTIME_SOCKETS = (
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/k3s/containerd/containerd.sock",
)
RUNTIME_SOCKET_DIRS = ("/var/run", "/run", "/var/run/containerd", "/run/containerd", "/var/run/crio", "/run/crio")

#: Host paths that expose the node's credentials, configuration or every container's data.
SENSITIVE_HOST_PATHS = (
    "/",
    "/etc",
    "/root",
    "/home",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/etc/kubernetes",
    "/var/lib/etcd",
    "/var/log",
)

#: Risk levels of each finding kind, most severe first.
LEVELS = ("critical", "high", "medium")


@dataclass(frozen=True)
class Risk:
    """One high-risk setting of an object: ``kind`` names the check, ``detail`` says where."""

    kind: str
    level: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"kind": self.kind, "level": self.level, "detail": self.detail}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec of a workload object, or None when the object is not a workload."""
    path = POD_SPEC_PATHS.get(str(obj.get("kind") or ""))
    if path is None:
        return None
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every container of a pod spec: init, regular and ephemeral."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                yield container


def _security_context(container: dict[str, Any]) -> dict[str, Any]:
    context = container.get("securityContext")
    return context if isinstance(context, dict) else {}


def _name(container: dict[str, Any]) -> str:
    return str(container.get("name") or "?")


def privilege_risks(spec: dict[str, Any]) -> list[Risk]:
    """Privileged containers, host namespaces, dangerous capabilities and host ports of a pod spec."""
    risks: list[Risk] = []
    privileged = [_name(c) for c in containers(spec) if _security_context(c).get("privileged") is True]
    if privileged:
        risks.append(Risk("privileged", "critical", "privileged container: " + ", ".join(privileged)))
    for field, label in (("hostPID", "host PID"), ("hostIPC", "host IPC"), ("hostNetwork", "host network")):
        if spec.get(field) is True:
            risks.append(Risk(f"host-{field[4:].lower()}", "high", f"shares the {label} namespace ({field}: true)"))
    added: list[str] = []
    for container in containers(spec):
        capabilities = _security_context(container).get("capabilities")
        adds = capabilities.get("add") if isinstance(capabilities, dict) else None
        dangerous = sorted({str(a) for a in adds or [] if str(a).upper() in DANGEROUS_CAPABILITIES})
        if dangerous:
            added.append(f"{_name(container)} adds {', '.join(dangerous)}")
    if added:
        risks.append(Risk("capabilities", "high", "; ".join(added)))
    host_ports = [
        f"{_name(c)}:{p.get('hostPort')}"
        for c in containers(spec)
        for p in c.get("ports") or []
        if isinstance(p, dict) and p.get("hostPort")
    ]
    if host_ports:
        risks.append(Risk("host-port", "medium", "binds host ports: " + ", ".join(host_ports)))
    return risks


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def host_path_risk(volume_name: str, path: str) -> Risk:
    """How dangerous a hostPath volume is, from its path."""
    clean = "/" + "/".join(part for part in path.split("/") if part and part != ".")
    if clean in RUNTIME_SOCKETS or clean in RUNTIME_SOCKET_DIRS:
        return Risk("runtime-socket", "critical", f"volume {volume_name} mounts the container runtime ({path})")
    if clean == "/" or any(clean == root for root in SENSITIVE_HOST_PATHS) or _under(clean, SENSITIVE_HOST_PATHS[1:]):
        return Risk("sensitive-host-path", "high", f"volume {volume_name} mounts the host's {path}")
    return Risk("host-path", "medium", f"volume {volume_name} mounts the host's {path}")


def mount_risks(spec: dict[str, Any]) -> list[Risk]:
    """hostPath volumes of a pod spec, graded by what they expose."""
    risks = []
    for volume in spec.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        host_path = volume.get("hostPath")
        if isinstance(host_path, dict):
            risks.append(host_path_risk(str(volume.get("name") or "?"), str(host_path.get("path") or "")))
    return risks


def service_account(spec: dict[str, Any]) -> str:
    """The service account a pod spec runs as (``default`` when unset)."""
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def token_mounted(spec: dict[str, Any], account_automount: bool | None) -> bool:
    """Whether Kubernetes mounts the service-account token: the pod's setting wins over the account's."""
    pod_setting = spec.get("automountServiceAccountToken")
    if isinstance(pod_setting, bool):
        return pod_setting
    return account_automount is not False
