"""Scan benchmark: a fake cluster of thousands of Pods and Deployments over loopback HTTPS, and the same objects as a
snapshot, scanned with the bundled Pod Security and best-practice sets. Prints the split between listing and
evaluation. Run from the repository root: ``python bench/bench_scan.py [--pods 5000]``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import trustme
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_engine import as_controller, generate_pod
from pykyverno.server.core.policies import resolve_policies
from pykyverno.server.kube import ClientRegistry, ClientSettings
from pykyverno.server.scan import Scanner, ScanRequest, SnapshotSource, source_factories
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import ContextSpec, write_kubeconfig

SETS = ["pod-security-baseline", "pod-security-restricted", "best-practices"]


def objects(pods: int, deployments: int, seed: int = 3) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out: list[dict[str, object]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns-{i}", "labels": {"team": f"t{i}"}}}
        for i in range(20)
    ]
    out += [generate_pod(rng, i) for i in range(pods)]
    out += [as_controller(generate_pod(rng, pods + i), "Deployment") for i in range(deployments)]
    return out


def report(label: str, seconds: float, scan: object) -> None:
    cluster = scan.clusters[0]  # type: ignore[attr-defined]
    print(
        f"[{label}] {cluster.objects} objects, {len(cluster.results)} results in {seconds:.2f} s: "
        f"listing {cluster.list_seconds:.2f} s, evaluation {cluster.eval_seconds:.2f} s "
        f"({cluster.eval_seconds * 1e3 / max(cluster.objects, 1):.2f} ms/object); failures: {len(cluster.failures)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--deployments", type=int, default=1000)
    args = parser.parse_args()
    data = objects(args.pods, args.deployments)
    policies = resolve_policies(SETS, [])
    scanner = Scanner(policies.policies, policies.exceptions)
    print(f"{len(policies.names())} policies from {', '.join(SETS)}; {len(data)} objects")

    snapshot = SnapshotSource("bench-snapshot", objects=data)
    started = time.perf_counter()
    result = scanner.scan([(snapshot.name, lambda: snapshot)], ScanRequest(snapshot="bench"))
    report("snapshot", time.perf_counter() - started, result)

    ca = trustme.CA()
    with FakeCluster(data, tls=True, ca=ca, tokens={"bench": "bench"}) as cluster, tempfile.TemporaryDirectory() as tmp:
        kubeconfig = write_kubeconfig(Path(tmp) / "kc", {"bench": ContextSpec(cluster.url, token="bench", ca=ca)})
        registry = ClientRegistry.from_kubeconfig(str(kubeconfig), settings=ClientSettings(timeout=30))
        request = ScanRequest(contexts=("bench",))
        started = time.perf_counter()
        result = scanner.scan(source_factories(request, registry), request)
        report("fake cluster over loopback HTTPS", time.perf_counter() - started, result)
        registry.close()
    size = len(yaml.safe_dump_all(data))
    print(f"(snapshot YAML would be {size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
