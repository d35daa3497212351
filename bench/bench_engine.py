"""Engine benchmark: CEL expressions and whole ValidatingPolicies over generated workloads, against plain Python.

Run: ``python bench/bench_engine.py [--pods 3000]``. Prints figures; it asserts nothing.

1. A Pod-security style set of CEL expressions, compiled once, evaluated over generated Pods: microseconds per
   evaluation, and the same checks hand-written in Python in the same run.
2. Full policy evaluation (index lookup, matching, variables, validations, autogen variants) of the bundled
   Pod Security sets over a mix of Pods, Deployments and CronJobs: microseconds per (resource, policy) pair.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from pykyverno.engine.cel import environment_for
from pykyverno.engine.index import PolicyIndex
from pykyverno.engine.request import AdmissionContext
from pykyverno.engine.vpol import SPEC as VALIDATING_POLICY
from pykyverno.server.policysets import load_sets

CONTAINERS = (
    "object.spec.containers + object.spec.?initContainers.orValue([]) + object.spec.?ephemeralContainers.orValue([])"
)
CHECKS: dict[str, str] = {
    "host-network": "!object.spec.?hostNetwork.orValue(false)",
    "host-pid": "!object.spec.?hostPID.orValue(false)",
    "host-ipc": "!object.spec.?hostIPC.orValue(false)",
    "privileged": f"({CONTAINERS}).all(c, !c.?securityContext.?privileged.orValue(false))",
    "privilege-escalation": f"({CONTAINERS}).all(c, c.?securityContext.?allowPrivilegeEscalation.orValue(true) == false)",
    "run-as-non-root": f"object.spec.?securityContext.?runAsNonRoot.orValue(false) || ({CONTAINERS}).all(c, c.?securityContext.?runAsNonRoot.orValue(false))",
    "capabilities": f"({CONTAINERS}).all(c, c.?securityContext.?capabilities.?add.orValue([]).all(cap, cap in ['NET_BIND_SERVICE', 'CHOWN', 'KILL']))",
    "drop-all": f"({CONTAINERS}).all(c, 'ALL' in c.?securityContext.?capabilities.?drop.orValue([]))",
    "host-path": "object.spec.?volumes.orValue([]).all(v, !has(v.hostPath))",
    "host-ports": f"({CONTAINERS}).all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0))",
    "seccomp": "object.spec.?securityContext.?seccompProfile.?type.orValue('RuntimeDefault') in ['RuntimeDefault', 'Localhost']",
    "proc-mount": f"({CONTAINERS}).all(c, c.?securityContext.?procMount.orValue('Default') == 'Default')",
    "read-only-root": f"({CONTAINERS}).all(c, c.?securityContext.?readOnlyRootFilesystem.orValue(false))",
    "latest-tag": f"({CONTAINERS}).all(c, !c.image.endsWith(':latest'))",
    "registry": f"({CONTAINERS}).all(c, c.image.matches('^(registry\\\\.example\\\\.com|ghcr\\\\.io)/'))",
    "limits": f"({CONTAINERS}).all(c, has(c.resources) && has(c.resources.limits) && 'memory' in c.resources.limits)",
    "probes": "object.spec.containers.all(c, has(c.livenessProbe) && has(c.readinessProbe))",
    "sysctls": "object.spec.?securityContext.?sysctls.orValue([]).all(s, s.name in ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range'])",
    "volume-types": "object.spec.?volumes.orValue([]).all(v, has(v.configMap) || has(v.secret) || has(v.emptyDir) || has(v.persistentVolumeClaim) || has(v.projected))",
    "automount": "object.spec.?automountServiceAccountToken.orValue(true) == false",
}


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod["spec"]
    found: list[dict[str, Any]] = spec["containers"] + spec.get("initContainers", []) + spec.get("ephemeralContainers", [])
    return found


def _sc(c: dict[str, Any]) -> dict[str, Any]:
    return c.get("securityContext") or {}


PYTHON_CHECKS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "host-network": lambda p: not p["spec"].get("hostNetwork", False),
    "host-pid": lambda p: not p["spec"].get("hostPID", False),
    "host-ipc": lambda p: not p["spec"].get("hostIPC", False),
    "privileged": lambda p: all(not _sc(c).get("privileged", False) for c in _containers(p)),
    "privilege-escalation": lambda p: all(
        _sc(c).get("allowPrivilegeEscalation", True) is False for c in _containers(p)
    ),
    "run-as-non-root": lambda p: (
        (p["spec"].get("securityContext") or {}).get("runAsNonRoot", False)
        or all(_sc(c).get("runAsNonRoot", False) for c in _containers(p))
    ),
    "capabilities": lambda p: all(
        cap in ("NET_BIND_SERVICE", "CHOWN", "KILL")
        for c in _containers(p)
        for cap in (_sc(c).get("capabilities") or {}).get("add", [])
    ),
    "drop-all": lambda p: all("ALL" in (_sc(c).get("capabilities") or {}).get("drop", []) for c in _containers(p)),
    "host-path": lambda p: all("hostPath" not in v for v in p["spec"].get("volumes", [])),
    "host-ports": lambda p: all(port.get("hostPort", 0) == 0 for c in _containers(p) for port in c.get("ports", [])),
    "seccomp": lambda p: (
        ((p["spec"].get("securityContext") or {}).get("seccompProfile") or {}).get("type", "RuntimeDefault")
        in ("RuntimeDefault", "Localhost")
    ),
    "proc-mount": lambda p: all(_sc(c).get("procMount", "Default") == "Default" for c in _containers(p)),
    "read-only-root": lambda p: all(_sc(c).get("readOnlyRootFilesystem", False) for c in _containers(p)),
    "latest-tag": lambda p: all(not c["image"].endswith(":latest") for c in _containers(p)),
    "registry": lambda p: all(c["image"].startswith(("registry.example.com/", "ghcr.io/")) for c in _containers(p)),
    "limits": lambda p: all("memory" in ((c.get("resources") or {}).get("limits") or {}) for c in _containers(p)),
    "probes": lambda p: all("livenessProbe" in c and "readinessProbe" in c for c in p["spec"]["containers"]),
    "sysctls": lambda p: all(
        s["name"] in ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range")
        for s in (p["spec"].get("securityContext") or {}).get("sysctls", [])
    ),
    "volume-types": lambda p: all(
        any(k in v for k in ("configMap", "secret", "emptyDir", "persistentVolumeClaim", "projected"))
        for v in p["spec"].get("volumes", [])
    ),
    "automount": lambda p: p["spec"].get("automountServiceAccountToken", True) is False,
}


def generate_pod(rng: random.Random, i: int) -> dict[str, Any]:
    """A Pod with a random mix of good and bad settings."""
    containers = []
    for j in range(rng.randint(1, 3)):
        sc: dict[str, Any] = {}
        if rng.random() < 0.5:
            sc = {
                "allowPrivilegeEscalation": False,
                "runAsNonRoot": True,
                "readOnlyRootFilesystem": rng.random() < 0.8,
                "capabilities": {"drop": ["ALL"], "add": rng.sample(["NET_BIND_SERVICE", "SYS_ADMIN", "CHOWN"], 1)},
            }
        elif rng.random() < 0.2:
            sc = {"privileged": True}
        container: dict[str, Any] = {
            "name": f"c{j}",
            "image": rng.choice(["ghcr.io/acme/app:1.2", "nginx:latest", "registry.example.com/x/y:3", "busybox"]),
            "securityContext": sc,
            "ports": [{"containerPort": 8080, **({"hostPort": 80} if rng.random() < 0.05 else {})}],
        }
        if rng.random() < 0.6:
            container["resources"] = {"limits": {"memory": "128Mi", "cpu": "100m"}}
        if rng.random() < 0.6:
            container["livenessProbe"] = container["readinessProbe"] = {"httpGet": {"path": "/", "port": 8080}}
        containers.append(container)
    spec: dict[str, Any] = {"containers": containers}
    if rng.random() < 0.1:
        spec["hostNetwork"] = True
    if rng.random() < 0.3:
        spec["volumes"] = [{"name": "v", rng.choice(["emptyDir", "hostPath", "configMap"]): {}}]
    if rng.random() < 0.5:
        spec["securityContext"] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{i}", "namespace": f"ns-{i % 20}"},
        "spec": spec,
    }


def as_controller(pod: dict[str, Any], kind: str) -> dict[str, Any]:
    """Wrap a Pod spec in a Deployment or CronJob."""
    template = {"metadata": {"labels": {"app": pod["metadata"]["name"]}}, "spec": pod["spec"]}
    meta = dict(pod["metadata"])
    if kind == "Deployment":
        return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": {"replicas": 2, "template": template}}
    return {
        "apiVersion": "batch/v1",
        "kind": kind,
        "metadata": meta,
        "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": template}}},
    }


def bench_expressions(pods: list[dict[str, Any]]) -> None:
    env = environment_for(VALIDATING_POLICY.cel)
    programs = {name: env.compile(src) for name, src in CHECKS.items()}
    started = time.perf_counter()
    cel_verdicts = []
    for pod in pods:
        activation = env.activation({"object": pod})
        cel_verdicts.append(tuple(programs[name].evaluate(activation) for name in CHECKS))
    cel_seconds = time.perf_counter() - started
    started = time.perf_counter()
    py_verdicts = [tuple(PYTHON_CHECKS[name](pod) for name in CHECKS) for pod in pods]
    py_seconds = time.perf_counter() - started
    agree = sum(a == b for a, b in zip(cel_verdicts, py_verdicts, strict=True))
    evaluations = len(pods) * len(CHECKS)
    print(f"[cel] {len(CHECKS)} checks x {len(pods)} pods = {evaluations} evaluations")
    print(
        f"[cel] cel-expr-python: {cel_seconds * 1e6 / evaluations:.2f} us/evaluation, {cel_seconds * 1e3 / len(pods):.3f} ms/pod"
    )
    print(
        f"[cel] plain Python:    {py_seconds * 1e6 / evaluations:.2f} us/evaluation, {py_seconds * 1e3 / len(pods):.3f} ms/pod"
    )
    print(f"[cel] ratio CEL/Python: {cel_seconds / py_seconds:.1f}x; verdicts agree on {agree}/{len(pods)} pods")


def bench_policies(pods: list[dict[str, Any]]) -> None:
    policies = load_sets(["pod-security-restricted"])
    if policies.issues:
        print(f"[policy] {len(policies.issues)} policy load issue(s), first: {policies.issues[0]}", file=sys.stderr)
    index = PolicyIndex(policies.policies)
    kinds = ["Pod", "Deployment", "CronJob"]
    workloads = [p if i % 3 == 0 else as_controller(p, kinds[i % 3]) for i, p in enumerate(pods)]
    started = time.perf_counter()
    pairs = 0
    results = 0
    for obj in workloads:
        ctx = AdmissionContext(object=obj)
        for policy in index.candidates(obj):
            pairs += 1
            if policy.evaluate(ctx) is not None:
                results += 1
    seconds = time.perf_counter() - started
    names = len(policies.names())
    print(
        f"[policy] {names} Pod Security policies ({len(policies.policies)} with autogen variants), "
        f"{len(workloads)} workloads (Pods, Deployments, CronJobs)"
    )
    print(
        f"[policy] {pairs} (resource, policy) pairs from the index, {results} results in {seconds:.2f} s: "
        f"{seconds * 1e6 / max(pairs, 1):.1f} us/pair, {seconds * 1e3 / len(workloads):.2f} ms/workload"
    )
    started = time.perf_counter()
    for obj in workloads:
        pod = (
            obj
            if obj["kind"] == "Pod"
            else {"spec": (obj["spec"].get("template") or obj["spec"]["jobTemplate"]["spec"]["template"])["spec"]}
        )
        for check in PYTHON_CHECKS.values():
            check(pod)
    py_seconds = time.perf_counter() - started
    print(
        f"[policy] hand-written Python, same workloads, {len(PYTHON_CHECKS)} checks: "
        f"{py_seconds * 1e3 / len(workloads):.3f} ms/workload; ratio {seconds / py_seconds:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pods = [generate_pod(rng, i) for i in range(args.pods)]
    bench_expressions(pods)
    bench_policies(pods)


if __name__ == "__main__":
    main()
