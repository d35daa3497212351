"""``validate.podSecurity`` rules: the Kubernetes Pod Security Standards checks and Kyverno's ``exclude``.

The checks are those of the Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
each with the versions in which its rule changed; a rule at version ``v1.N`` uses, for every check, the newest rule
not newer than ``v1.N`` (``latest``: the newest), and skips checks that did not exist yet. ``baseline`` runs the
baseline checks, ``restricted`` baseline and restricted ones, ``privileged`` none.

Every check yields *violations*: one offending field of the pod (pod-level) or of one container
(container-level), with its value. A Kyverno ``exclude`` entry removes violations:

* ``controlName`` selects the checks (``Capabilities`` and ``Seccomp`` name a baseline and a restricted check);
* with ``images`` (wildcards) it removes violations of containers whose image matches; without, pod-level ones
  (pod fields and pod annotations);
* ``restrictedField`` (``spec.containers[*].securityContext.capabilities.add``) keeps it to that field, and
  ``values`` (wildcards) to violations whose every offending value matches one of them.

The rule passes when no violation is left, else fails with Kyverno's message listing the remaining checks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .gotext import format_value
from .match import wildcard_match
from .outcome import ERROR, FAIL, PASS, SKIP, RuleOutcome

BASELINE = "baseline"
RESTRICTED = "restricted"
PRIVILEGED = "privileged"
LEVELS = (PRIVILEGED, BASELINE, RESTRICTED)

LATEST = (1, 10_000)
_VERSION = re.compile(r"v1\.(0|[1-9][0-9]*)")

#: Kyverno's control names (``pkg/pss/utils/mapping.go``) and the checks they select.
CONTROLS: dict[str, tuple[str, ...]] = {
    "Capabilities": ("capabilities_baseline", "capabilities_restricted"),
    "Seccomp": ("seccompProfile_baseline", "seccompProfile_restricted"),
    "Privileged Containers": ("privileged",),
    "Host Ports": ("hostPorts",),
    "/proc Mount Type": ("procMount",),
    "procMount": ("procMount",),
    "Privilege Escalation": ("allowPrivilegeEscalation",),
    "HostProcess": ("windowsHostProcess",),
    "SELinux": ("seLinuxOptions",),
    "Host Namespaces": ("hostNamespaces",),
    "HostPath Volumes": ("hostPathVolumes",),
    "Sysctls": ("sysctls",),
    "AppArmor": ("appArmorProfile",),
    "Running as Non-root": ("runAsNonRoot",),
    "Running as Non-root user": ("runAsUser",),
    "Volume Types": ("restrictedVolumes",),
}

CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
_CONTROLLERS = ("DaemonSet", "Deployment", "Job", "StatefulSet", "ReplicaSet", "ReplicationController")


class PodSecurityError(ValueError):
    """The rule or the resource cannot be evaluated (unknown level or version, not a pod or pod controller)."""


@dataclass(frozen=True)
class Violation:
    """One offending field: ``field`` with ``[*]`` for list items (the form ``restrictedField`` uses), ``path``
    with indices, the offending ``values``, the container ``image`` (None at pod level) and whether the field is
    ``missing`` where the check requires it."""

    field: str
    path: str
    values: tuple[Any, ...]
    image: str | None = None
    missing: bool = False
    annotation: bool = False

    def error_text(self, prefix: str) -> str:
        """The field error Kyverno lists for this violation."""
        if self.missing:
            return f"{prefix}{self.path}: Required value"
        shown = format_value(self.values[0]) if len(self.values) == 1 else format_value(list(self.values))
        return f"{prefix}{self.path} is forbidden, forbidden values found: {shown}"


@dataclass(frozen=True)
class CheckResult:
    """A failed check: its ID, Pod Security Admission's forbidden reason and the violations left."""

    id: str
    reason: str
    violations: tuple[Violation, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Container:
    list_name: str
    index: int
    body: Mapping[str, Any]

    @property
    def image(self) -> str:
        return str(self.body.get("image") or "")

    @property
    def name(self) -> str:
        return str(self.body.get("name") or "")

    def field(self, suffix: str) -> str:
        return f"spec.{self.list_name}[*].{suffix}"

    def path(self, suffix: str) -> str:
        return f"spec.{self.list_name}[{self.index}].{suffix}"

    def security(self, *names: str) -> Any:
        return _get(self.body, "securityContext", *names)

    def violation(self, suffix: str, *values: Any, missing: bool = False) -> Violation:
        return Violation(self.field(suffix), self.path(suffix), values, self.image, missing)


@dataclass(frozen=True)
class _Pod:
    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]

    def containers(self) -> Iterator[_Container]:
        for list_name in CONTAINER_LISTS:
            items = self.spec.get(list_name)
            for index, body in enumerate(items if isinstance(items, list) else []):
                if isinstance(body, Mapping):
                    yield _Container(list_name, index, body)

    def security(self, *names: str) -> Any:
        return _get(self.spec, "securityContext", *names)

    @property
    def annotations(self) -> Mapping[str, Any]:
        value = self.metadata.get("annotations")
        return value if isinstance(value, Mapping) else {}

    @property
    def windows(self) -> bool:
        return bool(_get(self.spec, "os", "name") == "windows")

    def image_of(self, container_name: str) -> str | None:
        for container in self.containers():
            if container.name == container_name:
                return container.image
        return None


def _get(value: Any, *names: str) -> Any:
    for name in names:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def _pod_violation(suffix: str, *values: Any, missing: bool = False) -> Violation:
    return Violation(f"spec.{suffix}", f"spec.{suffix}", values, None, missing)


# ---------------------------------------------------------------------------------------------------------------
# The checks. Each rule function returns the violations of one pod.
# ---------------------------------------------------------------------------------------------------------------

Rule = Callable[[_Pod], list[Violation]]

_BASELINE_CAPABILITIES = frozenset(
    (
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
        "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    )
)
_ALLOWED_VOLUMES = (
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
)
_SYSCTLS_1_0 = (
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
)
_SYSCTLS_1_27 = (*_SYSCTLS_1_0, "net.ipv4.ip_local_reserved_ports")
_SYSCTLS_1_29 = (
    *_SYSCTLS_1_27, "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
)
_SYSCTLS_1_32 = (*_SYSCTLS_1_29, "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")
_SELINUX_TYPES_1_0 = ("", "container_t", "container_init_t", "container_kvm_t")
_SELINUX_TYPES_1_31 = (*_SELINUX_TYPES_1_0, "container_engine_t")
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
_SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
_SECCOMP_CONTAINER_ANNOTATION = "container.seccomp.security.alpha.kubernetes.io/"
_GOOD_SECCOMP = ("RuntimeDefault", "Localhost")


def _host_namespaces(pod: _Pod) -> list[Violation]:
    return [_pod_violation(name, True) for name in ("hostNetwork", "hostPID", "hostIPC") if pod.spec.get(name) is True]


def _privileged(pod: _Pod) -> list[Violation]:
    return [
        c.violation("securityContext.privileged", True) for c in pod.containers() if c.security("privileged") is True
    ]


def _capabilities_baseline(pod: _Pod) -> list[Violation]:
    out = []
    for c in pod.containers():
        added = c.security("capabilities", "add")
        bad = [cap for cap in added if cap not in _BASELINE_CAPABILITIES] if isinstance(added, list) else []
        if bad:
            out.append(c.violation("securityContext.capabilities.add", *bad))
    return out


def _host_path_volumes(pod: _Pod) -> list[Violation]:
    out = []
    for index, volume in enumerate(_volumes(pod)):
        host_path = volume.get("hostPath")
        if host_path is not None:
            path = _get(host_path, "path")
            out.append(Violation("spec.volumes[*].hostPath", f"spec.volumes[{index}].hostPath", (path,)))
    return out


def _volumes(pod: _Pod) -> list[Mapping[str, Any]]:
    volumes = pod.spec.get("volumes")
    return [v for v in volumes if isinstance(v, Mapping)] if isinstance(volumes, list) else []


def _host_ports(pod: _Pod) -> list[Violation]:
    out = []
    for c in pod.containers():
        ports = c.body.get("ports")
        for index, port in enumerate(ports if isinstance(ports, list) else []):
            host_port = _get(port, "hostPort")
            if host_port not in (None, 0):
                suffix = "ports[*].hostPort"
                path = c.path(f"ports[{index}].hostPort")
                out.append(Violation(c.field(suffix), path, (host_port,), c.image))
    return out


def _app_armor_annotations(pod: _Pod) -> list[Violation]:
    out = []
    for key, value in pod.annotations.items():
        if not str(key).startswith(_APPARMOR_ANNOTATION):
            continue
        text = str(value)
        if text != "runtime/default" and not text.startswith("localhost/"):
            image = pod.image_of(str(key)[len(_APPARMOR_ANNOTATION):])
            out.append(Violation("metadata.annotations", f"metadata.annotations[{key}]", (text,), image,
                                 annotation=True))
    return out


def _app_armor_1_30(pod: _Pod) -> list[Violation]:
    out = _app_armor_annotations(pod)
    profile = pod.security("appArmorProfile", "type")
    if profile is not None and profile not in _GOOD_SECCOMP:
        out.append(_pod_violation("securityContext.appArmorProfile.type", profile))
    for c in pod.containers():
        profile = c.security("appArmorProfile", "type")
        if profile is not None and profile not in _GOOD_SECCOMP:
            out.append(c.violation("securityContext.appArmorProfile.type", profile))
    return out


def _se_linux(types: Sequence[str]) -> Rule:
    def rule(pod: _Pod) -> list[Violation]:
        out = []
        targets: list[tuple[Any, Callable[..., Violation]]] = [(pod.security("seLinuxOptions"), _pod_violation)]
        targets += [(c.security("seLinuxOptions"), c.violation) for c in pod.containers()]
        for options, make in targets:
            if not isinstance(options, Mapping):
                continue
            if options.get("type") not in (None, *types):
                out.append(make("securityContext.seLinuxOptions.type", options["type"]))
            for name in ("user", "role"):
                if options.get(name) not in (None, ""):
                    out.append(make(f"securityContext.seLinuxOptions.{name}", options[name]))
        return out

    return rule


def _proc_mount(pod: _Pod) -> list[Violation]:
    out = []
    for c in pod.containers():
        value = c.security("procMount")
        if value not in (None, "Default"):
            out.append(c.violation("securityContext.procMount", value))
    return out


def _seccomp_baseline_annotations(pod: _Pod) -> list[Violation]:
    out = []
    for key, value in pod.annotations.items():
        if value != "unconfined":
            continue
        if key == _SECCOMP_POD_ANNOTATION:
            out.append(Violation("metadata.annotations", f"metadata.annotations[{key}]", (value,), annotation=True))
        elif str(key).startswith(_SECCOMP_CONTAINER_ANNOTATION):
            image = pod.image_of(str(key)[len(_SECCOMP_CONTAINER_ANNOTATION):])
            path = f"metadata.annotations[{key}]"
            out.append(Violation("metadata.annotations", path, (value,), image, annotation=True))
    return out


def _seccomp_baseline_1_19(pod: _Pod) -> list[Violation]:
    out = []
    if pod.security("seccompProfile", "type") == "Unconfined":
        out.append(_pod_violation("securityContext.seccompProfile.type", "Unconfined"))
    for c in pod.containers():
        if c.security("seccompProfile", "type") == "Unconfined":
            out.append(c.violation("securityContext.seccompProfile.type", "Unconfined"))
    return out


def _sysctls(allowed: Sequence[str]) -> Rule:
    def rule(pod: _Pod) -> list[Violation]:
        sysctls = pod.security("sysctls")
        out = []
        for index, sysctl in enumerate(sysctls if isinstance(sysctls, list) else []):
            name = _get(sysctl, "name")
            if name not in allowed:
                path = f"spec.securityContext.sysctls[{index}].name"
                out.append(Violation("spec.securityContext.sysctls[*].name", path, (name,)))
        return out

    return rule


def _windows_host_process(pod: _Pod) -> list[Violation]:
    out = []
    if pod.security("windowsOptions", "hostProcess") is True:
        out.append(_pod_violation("securityContext.windowsOptions.hostProcess", True))
    for c in pod.containers():
        if c.security("windowsOptions", "hostProcess") is True:
            out.append(c.violation("securityContext.windowsOptions.hostProcess", True))
    return out


def _restricted_volumes(pod: _Pod) -> list[Violation]:
    out = []
    for index, volume in enumerate(_volumes(pod)):
        sources = [k for k, v in volume.items() if k != "name" and v is not None]
        if any(source in _ALLOWED_VOLUMES for source in sources):
            continue
        kind = sources[0] if sources else "unknown"
        out.append(Violation("spec.volumes[*]", f"spec.volumes[{index}]", (kind,)))
    return out


def _skip_windows(rule: Rule) -> Rule:
    def windows_aware(pod: _Pod) -> list[Violation]:
        return [] if pod.windows else rule(pod)

    return windows_aware


def _allow_privilege_escalation(pod: _Pod) -> list[Violation]:
    out = []
    for c in pod.containers():
        value = c.security("allowPrivilegeEscalation")
        if value is not False:
            out.append(c.violation("securityContext.allowPrivilegeEscalation", value, missing=value is None))
    return out


def _run_as_non_root(pod: _Pod) -> list[Violation]:
    out = []
    pod_value = pod.security("runAsNonRoot")
    if pod_value is False:
        out.append(_pod_violation("securityContext.runAsNonRoot", False))
    for c in pod.containers():
        value = c.security("runAsNonRoot")
        if value is False:
            out.append(c.violation("securityContext.runAsNonRoot", False))
        elif value is None and pod_value is not True:
            out.append(c.violation("securityContext.runAsNonRoot", None, missing=True))
    return out


def _run_as_user(pod: _Pod) -> list[Violation]:
    out = []
    if _is_zero(pod.security("runAsUser")):
        out.append(_pod_violation("securityContext.runAsUser", 0))
    for c in pod.containers():
        if _is_zero(c.security("runAsUser")):
            out.append(c.violation("securityContext.runAsUser", 0))
    return out


def _is_zero(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value == 0


def _seccomp_restricted(pod: _Pod) -> list[Violation]:
    out = []
    pod_value = pod.security("seccompProfile", "type")
    pod_set = pod.security("seccompProfile") is not None
    if pod_set and pod_value not in _GOOD_SECCOMP:
        out.append(_pod_violation("securityContext.seccompProfile.type", pod_value))
    pod_good = pod_set and pod_value in _GOOD_SECCOMP
    for c in pod.containers():
        if c.security("seccompProfile") is not None:
            value = c.security("seccompProfile", "type")
            if value not in _GOOD_SECCOMP:
                out.append(c.violation("securityContext.seccompProfile.type", value))
        elif not pod_good:
            out.append(c.violation("securityContext.seccompProfile.type", None, missing=True))
    return out


def _capabilities_restricted(pod: _Pod) -> list[Violation]:
    out = []
    for c in pod.containers():
        dropped = c.security("capabilities", "drop")
        if not (isinstance(dropped, list) and "ALL" in dropped):
            values = tuple(dropped) if isinstance(dropped, list) else (None,)
            out.append(c.violation("securityContext.capabilities.drop", *values, missing=not dropped))
        added = c.security("capabilities", "add")
        bad = [cap for cap in added if cap != "NET_BIND_SERVICE"] if isinstance(added, list) else []
        if bad:
            out.append(c.violation("securityContext.capabilities.add", *bad))
    return out


@dataclass(frozen=True)
class Check:
    """A Pod Security Standards check: ``id``, ``level`` and its rule per minimum version (oldest first)."""

    id: str
    level: str
    reason: str
    versions: tuple[tuple[tuple[int, int], Rule], ...]

    def rule_for(self, version: tuple[int, int]) -> Rule | None:
        """The newest rule not newer than ``version`` (None: the check did not exist yet)."""
        chosen = None
        for minimum, rule in self.versions:
            if minimum <= version:
                chosen = rule
        return chosen


#: Pod Security Admission's default checks, in its order.
CHECKS: tuple[Check, ...] = (
    Check("allowPrivilegeEscalation", RESTRICTED, "allowPrivilegeEscalation != false",
          (((1, 8), _allow_privilege_escalation), ((1, 25), _skip_windows(_allow_privilege_escalation)))),
    Check("appArmorProfile", BASELINE, "forbidden AppArmor profile",
          (((1, 0), _app_armor_annotations), ((1, 30), _app_armor_1_30))),
    Check("capabilities_baseline", BASELINE, "non-default capabilities", (((1, 0), _capabilities_baseline),)),
    Check("capabilities_restricted", RESTRICTED, "unrestricted capabilities",
          (((1, 22), _capabilities_restricted), ((1, 25), _skip_windows(_capabilities_restricted)))),
    Check("hostNamespaces", BASELINE, "host namespaces", (((1, 0), _host_namespaces),)),
    Check("hostPathVolumes", BASELINE, "hostPath volumes", (((1, 0), _host_path_volumes),)),
    Check("hostPorts", BASELINE, "hostPort", (((1, 0), _host_ports),)),
    Check("privileged", BASELINE, "privileged", (((1, 0), _privileged),)),
    Check("procMount", BASELINE, "procMount", (((1, 0), _proc_mount),)),
    Check("restrictedVolumes", RESTRICTED, "restricted volume types", (((1, 0), _restricted_volumes),)),
    Check("runAsNonRoot", RESTRICTED, "runAsNonRoot != true", (((1, 0), _run_as_non_root),)),
    Check("runAsUser", RESTRICTED, "runAsUser=0", (((1, 23), _run_as_user),)),
    Check("seLinuxOptions", BASELINE, "seLinuxOptions",
          (((1, 0), _se_linux(_SELINUX_TYPES_1_0)), ((1, 31), _se_linux(_SELINUX_TYPES_1_31)))),
    Check("seccompProfile_baseline", BASELINE, "seccompProfile",
          (((1, 0), _seccomp_baseline_annotations), ((1, 19), _seccomp_baseline_1_19))),
    Check("seccompProfile_restricted", RESTRICTED, "seccompProfile",
          (((1, 19), _seccomp_restricted), ((1, 25), _skip_windows(_seccomp_restricted)))),
    Check("sysctls", BASELINE, "forbidden sysctls",
          (((1, 0), _sysctls(_SYSCTLS_1_0)), ((1, 27), _sysctls(_SYSCTLS_1_27)), ((1, 29), _sysctls(_SYSCTLS_1_29)),
           ((1, 32), _sysctls(_SYSCTLS_1_32)))),
    Check("windowsHostProcess", BASELINE, "hostProcess", (((1, 0), _windows_host_process),)),
)


# ---------------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------------


def parse_version(version: str | None) -> tuple[int, int]:
    """``latest`` (or empty) or ``v1.N``."""
    if not version or version == "latest":
        return LATEST
    match = _VERSION.fullmatch(version)
    if match is None:
        raise PodSecurityError(f'invalid pod security version "{version}": expected "latest" or "v1.<minor>"')
    return (1, int(match.group(1)))


@dataclass(frozen=True)
class Exclude:
    """One ``exclude`` entry of a podSecurity rule (or ``podSecurity`` entry of a PolicyException)."""

    control_name: str
    images: tuple[str, ...] = ()
    restricted_field: str = ""
    values: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Exclude:
        """Parse ``{controlName, images, restrictedField, values}``."""
        control = str(data.get("controlName") or "")
        if control not in CONTROLS:
            known = ", ".join(sorted(CONTROLS))
            raise PodSecurityError(f'unknown podSecurity controlName "{control}"; expected one of {known}')
        return cls(
            control,
            tuple(str(i) for i in data.get("images") or ()),
            _pod_relative(str(data.get("restrictedField") or "")),
            tuple(str(v) for v in data.get("values") or ()),
        )

    def removes(self, check_id: str, violation: Violation) -> bool:
        """Whether this entry exempts ``violation`` of the check ``check_id``."""
        if check_id not in CONTROLS[self.control_name]:
            return False
        if self.images:
            if violation.image is None or not any(wildcard_match(i, violation.image) for i in self.images):
                return False
        elif violation.image is not None and not violation.annotation:
            return False
        if self.restricted_field and self.restricted_field != violation.field:
            return False
        if self.values:
            return all(any(wildcard_match(v, _text(value)) for v in self.values) for value in violation.values)
        return True


def _text(value: Any) -> str:
    return format_value(value) if not isinstance(value, str) else value


def _pod_relative(field_path: str) -> str:
    for prefix in ("spec.jobTemplate.spec.template.", "spec.template."):
        if field_path.startswith(prefix):
            return field_path[len(prefix):]
    return field_path


def evaluate(
    level: str, version: str | None, metadata: Mapping[str, Any], spec: Mapping[str, Any],
    excludes: Sequence[Exclude] = (),
) -> list[CheckResult]:
    """The checks of ``level`` at ``version`` that the pod (``metadata``, ``spec``) fails after ``excludes``."""
    if level not in LEVELS:
        raise PodSecurityError(f'invalid pod security level "{level}": expected one of {", ".join(LEVELS)}')
    at = parse_version(version)
    if level == PRIVILEGED:
        return []
    pod = _Pod(metadata, spec)
    failed = []
    for check in CHECKS:
        if level == BASELINE and check.level != BASELINE:
            continue
        rule = check.rule_for(at)
        if rule is None:
            continue
        left = tuple(v for v in rule(pod) if not any(e.removes(check.id, v) for e in excludes))
        if left:
            failed.append(CheckResult(check.id, check.reason, left))
    return failed


def pod_of(resource: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any], str]:
    """(metadata, spec, path prefix) of the pod a Pod, pod controller or CronJob describes."""
    kind = resource.get("kind")
    if kind == "Pod":
        template: Any = resource
        prefix = ""
    elif kind in _CONTROLLERS:
        template = _get(resource, "spec", "template")
        prefix = "spec.template."
    elif kind == "CronJob":
        template = _get(resource, "spec", "jobTemplate", "spec", "template")
        prefix = "spec.jobTemplate.spec.template."
    else:
        raise PodSecurityError("could not find correct resource type")
    template = template if isinstance(template, Mapping) else {}
    metadata = template.get("metadata")
    spec = template.get("spec")
    return (metadata if isinstance(metadata, Mapping) else {}, spec if isinstance(spec, Mapping) else {}, prefix)


def format_checks(checks: Sequence[CheckResult], prefix: str = "") -> str:
    """Kyverno's list of failed checks: ``(Forbidden reason: <reason>, field error list: [<errors>])`` each."""
    return "".join(
        f"(Forbidden reason: {c.reason}, field error list: [{', '.join(v.error_text(prefix) for v in c.violations)}])"
        for c in checks
    )


def validate_pod_security(
    rule: str,
    resource: Mapping[str, Any],
    pod_security: Mapping[str, Any],
    *,
    exception_excludes: Sequence[Mapping[str, Any]] = (),
    exception_keys: Sequence[str] = (),
) -> RuleOutcome:
    """Evaluate a ``validate.podSecurity`` rule on ``resource``.

    ``exception_excludes`` are the ``podSecurity`` entries of the matching PolicyExceptions (``exception_keys``
    their ``namespace/name``): when they exempt every violation left, the rule is skipped.
    """
    level = str(pod_security.get("level") or "")
    version = pod_security.get("version")
    try:
        excludes = [Exclude.from_dict(e) for e in pod_security.get("exclude") or ()]
        metadata, spec, prefix = pod_of(resource)
    except PodSecurityError as exc:
        return RuleOutcome(ERROR, f"Error while getting new resource: {exc}")
    try:
        failed = evaluate(level, str(version) if version is not None else None, metadata, spec, excludes)
        if failed and exception_excludes:
            extra = [Exclude.from_dict(e) for e in exception_excludes]
            if not evaluate(level, str(version) if version is not None else None, metadata, spec, [*excludes, *extra]):
                keys = ", ".join(exception_keys)
                return RuleOutcome(SKIP, f"rule is skipped due to policy exception {keys}".rstrip())
    except PodSecurityError as exc:
        return RuleOutcome(ERROR, f"failed to parse pod security api version: {exc}")
    if not failed:
        return RuleOutcome(PASS, f"Validation rule '{rule}' passed.")
    shown_version = version if version is not None else ""
    message = (
        f"Validation rule '{rule}' failed. It violates PodSecurity \"{level}:{shown_version}\": "
        f"{format_checks(failed, prefix)}"
    )
    return RuleOutcome(FAIL, message)
