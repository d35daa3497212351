"""The 17 policies of ``pod-security-restricted`` (with the ``pod-security-baseline`` set it includes), hand-written
in plain Python: the same checks, in the same order, with the same defaults for absent fields, and a message built
only when a check fails (as the policies' ``messageExpression`` is). Each control returns ``None`` when the Pod
passes and the message when it fails.

The benchmark uses these as the yardstick for "hand-written Python" and checks that their verdicts agree with the
engine's on every (Pod, policy) pair, so a divergence between this file and the bundled policies shows up at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Pod = dict[str, Any]
Control = Callable[[Pod], "str | None"]

BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
    "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
PROFILE_TYPES = frozenset({"RuntimeDefault", "Localhost"})
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
})
VOLUME_TYPES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret")
APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _containers(pod: Pod) -> list[dict[str, Any]]:
    spec = pod["spec"]
    return spec["containers"] + spec.get("initContainers", []) + spec.get("ephemeralContainers", [])


def _sc(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("securityContext") or {}


def _names(containers: list[dict[str, Any]]) -> str:
    return ", ".join(c["name"] for c in containers)


def _windows(pod: Pod) -> bool:
    return (pod["spec"].get("os") or {}).get("name", "") == "windows"


# ----------------------------------------------------------------------------------------------- Baseline
def disallow_capabilities(pod: Pod) -> str | None:
    containers = _containers(pod)
    not_allowed = [
        cap for c in containers for cap in (_sc(c).get("capabilities") or {}).get("add", [])
        if cap not in BASELINE_CAPABILITIES
    ]
    if not not_allowed:
        return None
    where = [c for c in containers
             if any(cap not in BASELINE_CAPABILITIES for cap in (_sc(c).get("capabilities") or {}).get("add", []))]
    return f"Adding capabilities beyond the Baseline set is not allowed: {', '.join(not_allowed)} (in {_names(where)})"


def disallow_host_namespaces(pod: Pod) -> str | None:
    spec = pod["spec"]
    if spec.get("hostNetwork", False) is not False:
        return "Sharing the host network namespace is not allowed; spec.hostNetwork must be unset or false."
    if spec.get("hostPID", False) is not False:
        return "Sharing the host process ID namespace is not allowed; spec.hostPID must be unset or false."
    if spec.get("hostIPC", False) is not False:
        return "Sharing the host IPC namespace is not allowed; spec.hostIPC must be unset or false."
    return None


def disallow_host_path(pod: Pod) -> str | None:
    volumes = pod["spec"].get("volumes", [])
    if all("hostPath" not in v for v in volumes):
        return None
    return "hostPath volumes are not allowed: " + ", ".join(v["name"] for v in volumes if "hostPath" in v)


def disallow_host_ports(pod: Pod) -> str | None:
    containers = _containers(pod)
    if all(p.get("hostPort", 0) == 0 for c in containers for p in c.get("ports", [])):
        return None
    bad = [c for c in containers if any(p.get("hostPort", 0) != 0 for p in c.get("ports", []))]
    return "Host ports are not allowed; ports[*].hostPort must be unset or 0 in: " + _names(bad)


def disallow_host_process(pod: Pod) -> str | None:
    if (_sc(pod["spec"]).get("windowsOptions") or {}).get("hostProcess", False) is not False:
        return "HostProcess is not allowed: spec.securityContext.windowsOptions.hostProcess must be unset or false."
    containers = _containers(pod)
    bad = [c for c in containers if (_sc(c).get("windowsOptions") or {}).get("hostProcess", False) is not False]
    if not bad:
        return None
    return "HostProcess containers are not allowed; securityContext.windowsOptions.hostProcess is true in: " + _names(bad)


def disallow_privileged_containers(pod: Pod) -> str | None:
    bad = [c for c in _containers(pod) if _sc(c).get("privileged", False) is not False]
    if not bad:
        return None
    return "Privileged containers are not allowed; securityContext.privileged is true in: " + _names(bad)


def disallow_proc_mount(pod: Pod) -> str | None:
    bad = [c for c in _containers(pod) if _sc(c).get("procMount", "Default") != "Default"]
    if not bad:
        return None
    return "securityContext.procMount must be unset or Default; not so in: " + _names(bad)


def disallow_selinux(pod: Pod) -> str | None:
    containers = _containers(pod)
    pod_options = _sc(pod["spec"]).get("seLinuxOptions") or {}
    options = [_sc(c).get("seLinuxOptions") or {} for c in containers]
    if pod_options.get("type", "") not in SELINUX_TYPES or any(o.get("type", "") not in SELINUX_TYPES for o in options):
        return ("seLinuxOptions.type must be unset or one of container_t, container_init_t, container_kvm_t, "
                "container_engine_t (on the Pod and on every container).")
    if pod_options.get("user", "") != "" or pod_options.get("role", "") != "" or any(
        o.get("user", "") != "" or o.get("role", "") != "" for o in options
    ):
        return "seLinuxOptions.user and seLinuxOptions.role must be unset (on the Pod and on every container)."
    return None


def restrict_apparmor_profiles(pod: Pod) -> str | None:
    if (_sc(pod["spec"]).get("appArmorProfile") or {}).get("type", "RuntimeDefault") not in PROFILE_TYPES:
        return "spec.securityContext.appArmorProfile.type must be unset, RuntimeDefault or Localhost."
    bad = [c for c in _containers(pod)
           if (_sc(c).get("appArmorProfile") or {}).get("type", "RuntimeDefault") not in PROFILE_TYPES]
    if bad:
        return ("securityContext.appArmorProfile.type must be unset, RuntimeDefault or Localhost; not so in: "
                + _names(bad))
    annotations = pod["metadata"].get("annotations") or {}
    bad_keys = [
        key for key, value in annotations.items()
        if key.startswith(APPARMOR_PREFIX) and not (value == "runtime/default" or value.startswith("localhost/"))
    ]
    if bad_keys:
        return ("AppArmor annotations must be runtime/default or localhost/<profile>; offending annotations: "
                + ", ".join(bad_keys))
    return None


def restrict_seccomp(pod: Pod) -> str | None:
    if (_sc(pod["spec"]).get("seccompProfile") or {}).get("type", "RuntimeDefault") not in PROFILE_TYPES:
        return "spec.securityContext.seccompProfile.type must be unset, RuntimeDefault or Localhost."
    bad = [c for c in _containers(pod)
           if (_sc(c).get("seccompProfile") or {}).get("type", "RuntimeDefault") not in PROFILE_TYPES]
    if not bad:
        return None
    return "securityContext.seccompProfile.type must be unset, RuntimeDefault or Localhost; not so in: " + _names(bad)


def restrict_sysctls(pod: Pod) -> str | None:
    unsafe = [
        name for name in (s.get("name", "") for s in _sc(pod["spec"]).get("sysctls", []))
        if name not in SAFE_SYSCTLS
    ]
    if not unsafe:
        return None
    return "Only the safe sysctls are allowed in spec.securityContext.sysctls; not allowed: " + ", ".join(unsafe)


# ----------------------------------------------------------------------------------------------- Restricted
def disallow_capabilities_strict(pod: Pod) -> str | None:
    if _windows(pod):
        return None
    containers = _containers(pod)
    missing = [c for c in containers if "ALL" not in (_sc(c).get("capabilities") or {}).get("drop", [])]
    if missing:
        return ("Containers must drop ALL capabilities (securityContext.capabilities.drop: [ALL]); missing in: "
                + _names(missing))
    added = [c for c in containers
             if any(cap != "NET_BIND_SERVICE" for cap in (_sc(c).get("capabilities") or {}).get("add", []))]
    if added:
        return ("Only NET_BIND_SERVICE may be added back after dropping ALL; other capabilities are added in: "
                + _names(added))
    return None


def disallow_privilege_escalation(pod: Pod) -> str | None:
    if _windows(pod):
        return None
    bad = [c for c in _containers(pod) if _sc(c).get("allowPrivilegeEscalation", True) is not False]
    if not bad:
        return None
    return "securityContext.allowPrivilegeEscalation must be set to false; missing or true in: " + _names(bad)


def require_run_as_non_root_user(pod: Pod) -> str | None:
    if _sc(pod["spec"]).get("runAsUser", 1) == 0:
        return "spec.securityContext.runAsUser must be unset or a non-zero user ID."
    bad = [c for c in _containers(pod) if _sc(c).get("runAsUser", 1) == 0]
    if not bad:
        return None
    return "securityContext.runAsUser must be unset or a non-zero user ID; it is 0 in: " + _names(bad)


def require_run_as_nonroot(pod: Pod) -> str | None:
    pod_non_root = _sc(pod["spec"]).get("runAsNonRoot", False) is True
    bad = [c for c in _containers(pod) if _sc(c).get("runAsNonRoot", pod_non_root) is not True]
    if not bad:
        return None
    return ("runAsNonRoot must be true for every container (set spec.securityContext.runAsNonRoot, or "
            "securityContext.runAsNonRoot on each container); not so for: " + _names(bad))


def restrict_seccomp_strict(pod: Pod) -> str | None:
    if _windows(pod):
        return None
    pod_type = (_sc(pod["spec"]).get("seccompProfile") or {}).get("type", "")
    bad = [c for c in _containers(pod)
           if (_sc(c).get("seccompProfile") or {}).get("type", pod_type) not in PROFILE_TYPES]
    if not bad:
        return None
    return ("seccompProfile.type must be RuntimeDefault or Localhost (on the Pod or on each container); not so for: "
            + _names(bad))


def restrict_volume_types(pod: Pod) -> str | None:
    bad = [
        v for v in pod["spec"].get("volumes", [])
        if sum(t in v for t in VOLUME_TYPES) + ("name" in v) != len(v)
    ]
    if not bad:
        return None
    return ("Only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret "
            "volumes are allowed; not allowed: " + ", ".join(v["name"] for v in bad))


#: Policy name -> control, for the 17 policies a ``pod-security-restricted`` scan evaluates on a Pod.
CONTROLS: dict[str, Control] = {
    "disallow-capabilities": disallow_capabilities,
    "disallow-host-namespaces": disallow_host_namespaces,
    "disallow-host-path": disallow_host_path,
    "disallow-host-ports": disallow_host_ports,
    "disallow-host-process": disallow_host_process,
    "disallow-privileged-containers": disallow_privileged_containers,
    "disallow-proc-mount": disallow_proc_mount,
    "disallow-selinux": disallow_selinux,
    "restrict-apparmor-profiles": restrict_apparmor_profiles,
    "restrict-seccomp": restrict_seccomp,
    "restrict-sysctls": restrict_sysctls,
    "disallow-capabilities-strict": disallow_capabilities_strict,
    "disallow-privilege-escalation": disallow_privilege_escalation,
    "require-run-as-non-root-user": require_run_as_non_root_user,
    "require-run-as-nonroot": require_run_as_nonroot,
    "restrict-seccomp-strict": restrict_seccomp_strict,
    "restrict-volume-types": restrict_volume_types,
}


def verdicts(pods: list[Pod]) -> dict[tuple[str, str, str], str]:
    """``(namespace, name, policy) -> "pass" | "fail"`` for every Pod and control."""
    out: dict[tuple[str, str, str], str] = {}
    for pod in pods:
        meta = pod["metadata"]
        for policy, control in CONTROLS.items():
            out[(meta.get("namespace", ""), meta["name"], policy)] = "pass" if control(pod) is None else "fail"
    return out
