"""Agreement with Kyverno: our policies over the test resources of their kyverno/policies counterparts.

For each of our Pod Security, best-practice and RBAC policies that has a counterpart in
``../shared/conformance/kyverno-policies`` (``pod-security-vpol``, ``best-practices-vpol``, and the RBAC
policies of ``other-vpol``), every (resource, expected result) pair of the counterpart's ``kyverno-test.yaml`` is
evaluated with OUR policy and compared with the result the real Kyverno CLI confirmed. At least 99% must agree, and
every disagreement must be listed in DISAGREEMENTS with the reason; a disagreement that disappears must be removed
from the table too, so that it stays accurate.

Configuration: restrict-image-registries takes its allowed registries from the Namespace annotation
pykyverno.io/allowed-registries; the counterpart hard-codes eu.foo.io and bar.io, so the agreement run gives the
resources' namespace exactly that annotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pykyverno.engine.documents import expand_lists, read_documents
from pykyverno.engine.objects import normalize_manifest
from pykyverno.server.testrunner.testfile import parse_test_file
from tests.conformance._suite import find_shared

from .harness import evaluate

CONFORMANCE = find_shared() / "conformance" / "kyverno-policies"
MIN_AGREEMENT = 0.99

#: Their policy folder -> our policy.
COUNTERPARTS: dict[str, str] = {
    "pod-security-vpol/baseline/disallow-capabilities": "disallow-capabilities",
    "pod-security-vpol/baseline/disallow-host-path": "disallow-host-path",
    "pod-security-vpol/baseline/disallow-host-ports": "disallow-host-ports",
    "pod-security-vpol/baseline/disallow-host-process": "disallow-host-process",
    "pod-security-vpol/baseline/disallow-selinux": "disallow-selinux",
    "pod-security-vpol/baseline/restrict-sysctls": "restrict-sysctls",
    "pod-security-vpol/restricted/disallow-privilege-escalation": "disallow-privilege-escalation",
    "pod-security-vpol/restricted/require-run-as-non-root-user": "require-run-as-non-root-user",
    "pod-security-vpol/restricted/require-run-as-nonroot": "require-run-as-nonroot",
    "pod-security-vpol/restricted/restrict-volume-types": "restrict-volume-types",
    "best-practices-vpol/disallow-cri-sock-mount": "disallow-cri-sock-mount",
    "best-practices-vpol/disallow-empty-ingress-host": "disallow-empty-ingress-host",
    "best-practices-vpol/disallow-latest-tag": "disallow-latest-tag",
    "best-practices-vpol/require-drop-all": "disallow-capabilities-strict",
    "best-practices-vpol/require-drop-cap-net-raw": "require-drop-cap-net-raw",
    "best-practices-vpol/require-labels": "require-labels",
    "best-practices-vpol/require-pod-requests-limits": "require-requests-limits",
    "best-practices-vpol/restrict-image-registries": "restrict-image-registries",
    "best-practices-vpol/restrict-node-port": "restrict-nodeport",
    "best-practices-vpol/restrict-service-external-ips": "restrict-service-external-ips",
    "other-vpol/restrict-binding-system-groups": "restrict-binding-system-groups",
    "other-vpol/restrict-clusterrole-nodesproxy": "restrict-clusterrole-nodesproxy",
    "other-vpol/restrict-sa-automount-sa-token": "restrict-sa-automount-sa-token",
}

#: (their folder, kind, resource) -> (Kyverno's result, ours, why). Only real differences of intent belong here.
DISAGREEMENTS: dict[tuple[str, str, str], tuple[str, str, str]] = {
    ("best-practices-vpol/require-drop-all", "Pod", "add-capabilities"): (
        "pass",
        "fail",
        "Our counterpart of require-drop-all is the Restricted control disallow-capabilities-strict, which also "
        "forbids adding back capabilities other than NET_BIND_SERVICE (the Pod Security Standard); this Pod drops "
        "ALL but adds SYS_TIME.",
    ),
}

REGISTRY_NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "default", "annotations": {"pykyverno.io/allowed-registries": "eu.foo.io/, bar.io/"}},
}


@dataclass(frozen=True)
class Pair:
    """One expected (resource, result) of a counterpart test and our verdict."""

    folder: str
    kind: str
    resource: str
    expected: str
    actual: str
    message: str


def _resources(paths: list[Path]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in paths:
        out.extend(normalize_manifest(doc.data) for doc in expand_lists(read_documents(path)))
    return out


def _pairs(folder: str, ours: str) -> list[Pair]:
    pairs = []
    for test in parse_test_file(CONFORMANCE / folder / ".kyverno-test" / "kyverno-test.yaml"):
        resources = _resources(test.paths("resources"))
        for row in test.rows:
            for ref in row.resources:
                namespace, _, name = ref.rpartition("/")
                found = [
                    obj for obj in resources
                    if obj["metadata"].get("name") == name and obj.get("kind") == row.kind
                    and (not namespace or obj["metadata"].get("namespace") == namespace)
                ]
                assert found, f"{folder}: resource {row.kind}/{ref} not found"
                for obj in found:
                    outcome = evaluate(ours, obj, operation=row.operation,
                                       namespaces={"default": REGISTRY_NAMESPACE})
                    pairs.append(Pair(folder, row.kind, ref, row.result, outcome.result, outcome.message))
    return pairs


@pytest.fixture(scope="module")
def pairs() -> list[Pair]:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"the Kyverno conformance corpus is absent ({CONFORMANCE}); set PYKYVERNO_CONFORMANCE")
    out: list[Pair] = []
    for folder, ours in COUNTERPARTS.items():
        out.extend(_pairs(folder, ours))
    return out


def test_agreement_with_kyverno(pairs: list[Pair]) -> None:
    disagreements = {(p.folder, p.kind, p.resource): p for p in pairs if p.actual != p.expected}
    undocumented = {
        key: f"expected {p.expected}, ours {p.actual}: {p.message}"
        for key, p in disagreements.items() if key not in DISAGREEMENTS
    }
    assert not undocumented, undocumented
    for key, (expected, actual, reason) in DISAGREEMENTS.items():
        assert key in disagreements, f"{key} agrees now; remove it from DISAGREEMENTS"
        assert (disagreements[key].expected, disagreements[key].actual) == (expected, actual) and reason
    agreement = 1 - len(disagreements) / len(pairs)
    assert len(pairs) > 600
    assert agreement >= MIN_AGREEMENT, f"agreement {agreement:.2%} over {len(pairs)} pairs"


def test_every_counterpart_is_exercised(pairs: list[Pair]) -> None:
    for folder in COUNTERPARTS:
        ours = [p for p in pairs if p.folder == folder]
        assert {p.expected for p in ours} == {"pass", "fail"}, folder
        assert any(p.actual == p.expected for p in ours), folder
