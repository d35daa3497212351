"""podSecurity rules (engine/cpol/pss.py): Pod Security Standards checks, versions, excludes and messages."""

from __future__ import annotations

from typing import Any

import pytest

from pykyverno.engine.cpol.pss import (
    CHECKS,
    Exclude,
    PodSecurityError,
    evaluate,
    parse_version,
    pod_of,
    validate_pod_security,
)

RESTRICTED_CONTAINER = {
    "name": "app",
    "image": "nginx:1.25",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
}


def spec_with(container_changes: dict[str, Any] | None = None, **pod: Any) -> dict[str, Any]:
    container = {**RESTRICTED_CONTAINER, "securityContext": {**RESTRICTED_CONTAINER["securityContext"]}}
    for key, value in (container_changes or {}).items():
        if value is None:
            container["securityContext"].pop(key, None)
        else:
            container["securityContext"][key] = value
    return {"containers": [container], **pod}


def failed_ids(level: str, spec: dict[str, Any], metadata: dict[str, Any] | None = None, version: str = "latest",
               excludes: list[dict[str, Any]] | None = None) -> list[str]:
    parsed = [Exclude.from_dict(e) for e in excludes or []]
    return [c.id for c in evaluate(level, version, metadata or {}, spec, parsed)]


BASELINE_CASES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    ("clean pod", {"containers": [{"name": "c", "image": "i"}]}, {}, []),
    ("hostNetwork", {"hostNetwork": True, "containers": [{"name": "c"}]}, {}, ["hostNamespaces"]),
    ("hostPID false is fine", {"hostPID": False, "containers": [{"name": "c"}]}, {}, []),
    ("privileged", {"containers": [{"name": "c", "securityContext": {"privileged": True}}]}, {}, ["privileged"]),
    ("privileged init container", {"containers": [], "initContainers": [{"securityContext": {"privileged": True}}]},
     {}, ["privileged"]),
    ("default capability", {"containers": [{"securityContext": {"capabilities": {"add": ["CHOWN"]}}}]}, {}, []),
    ("extra capability", {"containers": [{"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}, {},
     ["capabilities_baseline"]),
    ("hostPath volume", {"containers": [], "volumes": [{"name": "v", "hostPath": {"path": "/"}}]}, {},
     ["hostPathVolumes"]),
    ("hostPort", {"containers": [{"ports": [{"containerPort": 80, "hostPort": 8080}]}]}, {}, ["hostPorts"]),
    ("hostPort 0", {"containers": [{"ports": [{"containerPort": 80, "hostPort": 0}]}]}, {}, []),
    ("apparmor unconfined annotation", {"containers": [{"name": "c"}]},
     {"annotations": {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}}, ["appArmorProfile"]),
    ("apparmor localhost annotation", {"containers": [{"name": "c"}]},
     {"annotations": {"container.apparmor.security.beta.kubernetes.io/c": "localhost/p"}}, []),
    ("apparmor field", {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}, "containers": []}, {},
     ["appArmorProfile"]),
    ("selinux type", {"containers": [{"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}]}, {},
     ["seLinuxOptions"]),
    ("selinux user", {"securityContext": {"seLinuxOptions": {"user": "root"}}, "containers": []}, {},
     ["seLinuxOptions"]),
    ("selinux container_t", {"securityContext": {"seLinuxOptions": {"type": "container_t"}}, "containers": []}, {},
     []),
    ("procMount", {"containers": [{"securityContext": {"procMount": "Unmasked"}}]}, {}, ["procMount"]),
    ("seccomp unconfined", {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": []}, {},
     ["seccompProfile_baseline"]),
    ("sysctl", {"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}, "containers": []}, {},
     ["sysctls"]),
    ("safe sysctl", {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}]},
                     "containers": []}, {}, []),
    ("hostProcess", {"containers": [{"securityContext": {"windowsOptions": {"hostProcess": True}}}]}, {},
     ["windowsHostProcess"]),
]


@pytest.mark.parametrize(("name", "spec", "metadata", "expected"), BASELINE_CASES, ids=[c[0] for c in BASELINE_CASES])
def test_baseline(name: str, spec: dict[str, Any], metadata: dict[str, Any], expected: list[str]) -> None:
    assert failed_ids("baseline", spec, metadata) == expected


RESTRICTED_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("compliant", spec_with(), []),
    ("escalation unset", spec_with({"allowPrivilegeEscalation": None}), ["allowPrivilegeEscalation"]),
    ("escalation true", spec_with({"allowPrivilegeEscalation": True}), ["allowPrivilegeEscalation"]),
    ("no drop ALL", spec_with({"capabilities": {"drop": ["NET_RAW"]}}), ["capabilities_restricted"]),
    ("add NET_BIND_SERVICE", spec_with({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}), []),
    ("add CHOWN", spec_with({"capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}}), ["capabilities_restricted"]),
    ("runAsNonRoot from the pod", spec_with({"runAsNonRoot": None}, securityContext={"runAsNonRoot": True}), []),
    ("runAsNonRoot unset", spec_with({"runAsNonRoot": None}), ["runAsNonRoot"]),
    ("runAsNonRoot false in container", spec_with({"runAsNonRoot": False}, securityContext={"runAsNonRoot": True}),
     ["runAsNonRoot"]),
    ("runAsUser 0", spec_with({"runAsUser": 0}), ["runAsUser"]),
    ("runAsUser 1000", spec_with({"runAsUser": 1000}), []),
    ("seccomp from the pod", spec_with({"seccompProfile": None}, securityContext={"seccompProfile": {
        "type": "Localhost"}}), []),
    ("seccomp unset", spec_with({"seccompProfile": None}), ["seccompProfile_restricted"]),
    ("volume types", spec_with(volumes=[{"name": "n", "nfs": {"server": "s", "path": "/"}}]), ["restrictedVolumes"]),
    ("allowed volume types", spec_with(volumes=[{"name": "a", "configMap": {"name": "x"}}, {"name": "b",
                                                                                           "emptyDir": {}}]), []),
    ("hostPath counts twice", spec_with(volumes=[{"name": "h", "hostPath": {"path": "/"}}]),
     ["hostPathVolumes", "restrictedVolumes"]),
    ("windows pods skip linux-only checks", {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True},
                                             "containers": [{"name": "c"}]}, []),
]


@pytest.mark.parametrize(("name", "spec", "expected"), RESTRICTED_CASES, ids=[c[0] for c in RESTRICTED_CASES])
def test_restricted(name: str, spec: dict[str, Any], expected: list[str]) -> None:
    assert failed_ids("restricted", spec) == expected


def test_baseline_level_ignores_restricted_checks_and_privileged_allows_all() -> None:
    assert failed_ids("baseline", spec_with({"allowPrivilegeEscalation": None})) == []
    assert failed_ids("privileged", {"hostNetwork": True, "containers": []}) == []


def test_versions() -> None:
    assert parse_version("latest") > parse_version("v1.99")
    assert parse_version("v1.24") == (1, 24)
    with pytest.raises(PodSecurityError):
        parse_version("1.24")
    no_drop = spec_with({"capabilities": None})
    assert failed_ids("restricted", no_drop, version="v1.21") == []  # capabilities_restricted starts at 1.22
    assert failed_ids("restricted", no_drop, version="v1.22") == ["capabilities_restricted"]
    root = spec_with({"runAsUser": 0})
    assert failed_ids("restricted", root, version="v1.22") == []  # runAsUser starts at 1.23
    sysctl = {"securityContext": {"sysctls": [{"name": "net.ipv4.ip_local_reserved_ports"}]}, "containers": []}
    assert failed_ids("baseline", sysctl, version="v1.26") == ["sysctls"]
    assert failed_ids("baseline", sysctl, version="v1.27") == []
    seccomp_field = {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": []}
    assert failed_ids("baseline", seccomp_field, version="v1.18") == []
    seccomp_note = {"annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined"}}
    assert failed_ids("baseline", {"containers": []}, seccomp_note, version="v1.18") == ["seccompProfile_baseline"]
    windows = {"os": {"name": "windows"}, "containers": [{"name": "c", "securityContext": {"runAsNonRoot": True}}]}
    assert "allowPrivilegeEscalation" in failed_ids("restricted", windows, version="v1.24")
    assert "allowPrivilegeEscalation" not in failed_ids("restricted", windows, version="v1.25")
    assert [c.id for c in CHECKS] == sorted(c.id for c in CHECKS)


def test_excludes() -> None:
    two = {"containers": [
        {"name": "a", "image": "nginx:1", "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}},
        {"name": "b", "image": "busybox", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}},
    ]}
    caps = "Capabilities"
    assert failed_ids("baseline", two, excludes=[{"controlName": caps, "images": ["nginx*"]}]) == [
        "capabilities_baseline"]
    assert failed_ids("baseline", two, excludes=[{"controlName": caps, "images": ["*"]}]) == []
    assert failed_ids("baseline", two, excludes=[{"controlName": caps}]) == ["capabilities_baseline"]
    field = "spec.containers[*].securityContext.capabilities.add"
    by_value = [{"controlName": caps, "images": ["*"], "restrictedField": field, "values": ["SYS_ADMIN", "NET_*"]}]
    assert failed_ids("baseline", two, excludes=by_value) == []
    one_value = [{"controlName": caps, "images": ["*"], "restrictedField": field, "values": ["SYS_ADMIN"]}]
    assert failed_ids("baseline", two, excludes=one_value) == ["capabilities_baseline"]
    wrong_field = [{"controlName": caps, "images": ["*"], "restrictedField": "spec.containers[*].securityContext.x"}]
    assert failed_ids("baseline", two, excludes=wrong_field) == ["capabilities_baseline"]
    # pod-level exclude covers pod fields only; images cover containers only
    host = {"hostNetwork": True, "containers": [{"image": "x"}]}
    assert failed_ids("baseline", host, excludes=[{"controlName": "Host Namespaces"}]) == []
    assert failed_ids("baseline", host, excludes=[{"controlName": "Host Namespaces", "images": ["*"]}]) == [
        "hostNamespaces"]
    volume = {"volumes": [{"name": "h", "hostPath": {"path": "/var/lib1"}}], "containers": []}
    hp = {"controlName": "HostPath Volumes", "restrictedField": "spec.volumes[*].hostPath"}
    assert failed_ids("baseline", volume, excludes=[{**hp, "values": ["/var/lib1"]}]) == []
    assert failed_ids("baseline", volume, excludes=[{**hp, "values": ["/other"]}]) == ["hostPathVolumes"]
    with pytest.raises(PodSecurityError, match="unknown podSecurity controlName"):
        Exclude.from_dict({"controlName": "Nope"})


def test_seccomp_needs_pod_and_container_excludes() -> None:
    spec = spec_with({"seccompProfile": None}, securityContext={"seccompProfile": {"type": "Unconfined"}})
    pod_only = [{"controlName": "Seccomp"}]
    both = [{"controlName": "Seccomp"}, {"controlName": "Seccomp", "images": ["*"]}]
    assert failed_ids("restricted", spec, excludes=pod_only) == ["seccompProfile_restricted"]
    assert failed_ids("restricted", spec, excludes=both) == []


def test_rule_outcomes_and_messages() -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec_with({
        "allowPrivilegeEscalation": None, "capabilities": {"add": ["SYS_ADMIN"]}})}
    rule = {"level": "restricted", "version": "latest"}
    outcome = validate_pod_security("restricted", pod, rule)
    assert outcome.status == "fail"
    assert outcome.message == (
        "Validation rule 'restricted' failed. It violates PodSecurity \"restricted:latest\": "
        "(Forbidden reason: allowPrivilegeEscalation != false, field error list: "
        "[spec.containers[0].securityContext.allowPrivilegeEscalation: Required value])"
        "(Forbidden reason: non-default capabilities, field error list: "
        "[spec.containers[0].securityContext.capabilities.add is forbidden, forbidden values found: SYS_ADMIN])"
        "(Forbidden reason: unrestricted capabilities, field error list: "
        "[spec.containers[0].securityContext.capabilities.drop: Required value, "
        "spec.containers[0].securityContext.capabilities.add is forbidden, forbidden values found: SYS_ADMIN])"
    )
    good = {**pod, "spec": spec_with()}
    assert validate_pod_security("r", good, rule).message == "Validation rule 'r' passed."
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"template": {"metadata": {}, "spec": {"hostPID": True, "containers": []}}}}
    failed = validate_pod_security("b", deployment, {"level": "baseline", "version": "v1.29"})
    assert failed.status == "fail"
    assert "spec.template.spec.hostPID is forbidden, forbidden values found: true" in failed.message
    assert "\"baseline:v1.29\"" in failed.message
    assert validate_pod_security("b", {"kind": "ConfigMap"}, rule).status == "error"
    assert validate_pod_security("b", good, {"level": "strict"}).status == "error"


def test_exception_excludes_skip() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p"},
           "spec": {"volumes": [{"name": "h", "hostPath": {"path": "/var/lib1"}}], "containers": [{"name": "c"}]}}
    rule = {"level": "baseline", "version": "latest"}
    excludes = [{"controlName": "HostPath Volumes", "restrictedField": "spec.volumes[*].hostPath",
                 "values": ["/var/lib1"]}]
    outcome = validate_pod_security("baseline", pod, rule, exception_excludes=excludes,
                                    exception_keys=["ns/allow-host"])
    assert outcome.status == "skip"
    assert outcome.message == "rule is skipped due to policy exception ns/allow-host"
    other = [{"controlName": "HostPath Volumes", "restrictedField": "spec.volumes[*].hostPath", "values": ["/etc"]}]
    assert validate_pod_security("baseline", pod, rule, exception_excludes=other).status == "fail"


def test_pod_of_cronjob() -> None:
    cronjob = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"a": "b"}},
                                                                                  "spec": {"containers": []}}}}}}
    metadata, spec, prefix = pod_of(cronjob)
    assert metadata == {"labels": {"a": "b"}}
    assert spec == {"containers": []}
    assert prefix == "spec.jobTemplate.spec.template."
