"""Our sets cover every check of kyverno-mcp's three embedded sets (pod-security, rbac-best-practices,
kubernetes-best-practices; 32 legacy ClusterPolicies)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pykyverno.server.policysets import policy_locations, resolve_set
from tests.conformance._suite import find_shared

SPEC = Path(os.environ.get("PYKYVERNO_SPEC", find_shared() / "spec")) / "mcp-and-clients.md"

#: kyverno-mcp set -> {their policy: (our set, our policy)}.
MCP_TO_OURS: dict[str, dict[str, tuple[str, str]]] = {
    "pod-security": {
        "disallow-capabilities": ("pod-security-baseline", "disallow-capabilities"),
        "disallow-capabilities-strict": ("pod-security-restricted", "disallow-capabilities-strict"),
        "disallow-host-namespaces": ("pod-security-baseline", "disallow-host-namespaces"),
        "disallow-host-path": ("pod-security-baseline", "disallow-host-path"),
        "disallow-host-ports": ("pod-security-baseline", "disallow-host-ports"),
        "disallow-host-process": ("pod-security-baseline", "disallow-host-process"),
        "disallow-privilege-escalation": ("pod-security-restricted", "disallow-privilege-escalation"),
        "disallow-privileged-containers": ("pod-security-baseline", "disallow-privileged-containers"),
        "disallow-proc-mount": ("pod-security-baseline", "disallow-proc-mount"),
        "disallow-selinux": ("pod-security-baseline", "disallow-selinux"),
        "require-run-as-non-root-user": ("pod-security-restricted", "require-run-as-non-root-user"),
        "require-run-as-nonroot": ("pod-security-restricted", "require-run-as-nonroot"),
        "restrict-apparmor-profiles": ("pod-security-baseline", "restrict-apparmor-profiles"),
        "restrict-seccomp": ("pod-security-baseline", "restrict-seccomp"),
        "restrict-seccomp-strict": ("pod-security-restricted", "restrict-seccomp-strict"),
        "restrict-sysctls": ("pod-security-baseline", "restrict-sysctls"),
        "restrict-volume-types": ("pod-security-restricted", "restrict-volume-types"),
    },
    "rbac-best-practices": {
        "restrict-automount-sa-token": ("rbac-best-practices", "restrict-automount-sa-token"),
        "restrict-binding-system-groups": ("rbac-best-practices", "restrict-binding-system-groups"),
        "restrict-clusterrole-nodesproxy": ("rbac-best-practices", "restrict-clusterrole-nodesproxy"),
        "restrict-escalation-verbs-roles": ("rbac-best-practices", "restrict-escalation-verbs-roles"),
        "restrict-wildcard-resources": ("rbac-best-practices", "restrict-wildcard-resources"),
    },
    "kubernetes-best-practices": {
        "disallow-default-namespace": ("best-practices", "disallow-default-namespace"),
        "disallow-empty-ingress-host": ("best-practices", "disallow-empty-ingress-host"),
        "disallow-latest-tag": ("best-practices", "disallow-latest-tag"),
        "require-labels": ("best-practices", "require-labels"),
        "require-pod-antiaffinity": ("best-practices", "require-pod-antiaffinity"),
        "require-pod-probes": ("best-practices", "require-pod-probes"),
        "require-requests-limits": ("best-practices", "require-requests-limits"),
        "require-ro-rootfs": ("best-practices", "require-ro-rootfs"),
        "require-rolling-update-strategy": ("best-practices", "require-rolling-update-strategy"),
        "restrict-nodeport": ("best-practices", "restrict-nodeport"),
    },
}


def test_mapping_has_all_32() -> None:
    assert [len(v) for v in MCP_TO_OURS.values()] == [17, 5, 10]


def test_every_mcp_check_maps_to_a_bundled_policy_of_the_named_set() -> None:
    locations = policy_locations()
    for mcp_set, mapping in MCP_TO_OURS.items():
        for theirs, (our_set, ours) in mapping.items():
            assert ours in locations, f"{mcp_set}/{theirs}: {ours} is not bundled"
            assert locations[ours].path in resolve_set(our_set), f"{mcp_set}/{theirs}: {ours} not in {our_set}"


def test_pod_security_scan_with_restricted_covers_all_17() -> None:
    names = {p.stem for p in resolve_set("pod-security-restricted")}
    assert {ours for _, ours in MCP_TO_OURS["pod-security"].values()} <= names


def test_mapping_matches_the_spec_table() -> None:
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} is absent")
    text = SPEC.read_text(encoding="utf-8")
    section = text[text.index("### 1.3"): text.index("### 1.4")]
    for mcp_set, mapping in MCP_TO_OURS.items():
        row = next(line for line in section.splitlines() if line.startswith(f"| {mcp_set} |"))
        names_cell = row.split("|")[3]
        names = set(re.findall(r"[a-z][a-z0-9-]+[a-z0-9]", re.sub(r"\([^)]*\)", "", names_cell)))
        assert names == set(mapping), f"{mcp_set}: spec lists {sorted(names ^ set(mapping))} differently"
