"""Scans apply the PolicyExceptions the cluster holds (as Kyverno's background scan does); exceptions that cannot
be listed make the scan incomplete rather than silently stricter or laxer."""

from __future__ import annotations

from pykyverno.server.policysets import load_set
from pykyverno.server.scan import ClusterSource, Scanner, ScanRequest
from tests.server.writes.conftest import Cluster

EXCEPTION = {
    "apiVersion": "policies.kyverno.io/v1", "kind": "PolicyException",
    "metadata": {"name": "privileged-shell", "namespace": "team-a"},
    "spec": {"policyRefs": [{"name": "disallow-privileged-containers", "kind": "ValidatingPolicy"}],
             "matchConditions": [{"name": "the-shell", "expression": "object.metadata.name == 'root-shell'"}]},
}


def _results(cluster: Cluster) -> tuple[dict[str, str], list[str]]:
    scanner = Scanner(load_set("pod-security-baseline").policies)
    scan = scanner.scan_source(ClusterSource(cluster.client()), ScanRequest(namespaces=("team-a",)))
    results = {r.resource.name: r.result for r in scan.results if r.policy == "disallow-privileged-containers"}
    return results, [f"{f.resource}: {f.message}" for f in scan.failures]


def test_cluster_exceptions_apply_and_unreadable_ones_make_the_scan_incomplete(cluster: Cluster) -> None:
    results, failures = _results(cluster)
    assert results["root-shell"] == "fail" and failures == []
    cluster.fake.add_objects([EXCEPTION])
    results, failures = _results(cluster)
    assert results == {"root-shell": "skip", "web-1": "pass"} and failures == []
    cluster.fake.deny(verb="list", resource="policyexceptions.*")
    results, failures = _results(cluster)
    assert any("policyexceptions" in f and "403" in f for f in failures), failures
