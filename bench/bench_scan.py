"""Scan benchmark: a fake cluster of thousands of Pods and Deployments over loopback HTTPS, and the same objects as a
snapshot, scanned with the bundled Pod Security and best-practice sets. Prints the split between listing and
evaluation (listing and evaluation overlap: pages are evaluated while the next is listed; the fake server runs in a
child process so that its CPU does not hide that) with one worker process and with several. Run from the repository
root: ``python bench/bench_scan.py [--pods 5000] [--workers 1 --workers 2]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_engine import as_controller, generate_pod
from bench.measure import cpu_load
from pykyverno.server.core.policies import resolve_policies
from pykyverno.server.kube import ClientRegistry, ClientSettings
from pykyverno.server.scan import Scanner, ScanRequest, SnapshotSource, source_factories
from pykyverno.server.scan.workers import default_workers
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
        f"listing done after {cluster.list_seconds:.2f} s, evaluation {cluster.eval_seconds:.2f} s "
        f"({cluster.eval_seconds * 1e3 / max(cluster.objects, 1):.2f} ms/object); failures: {len(cluster.failures)}"
    )


def serve(pods: int, deployments: int, ready: Path) -> None:
    """The fake API server over HTTPS, in this (child) process, until standard input closes: its URL and CA go to
    ``ready`` (JSON) once it listens."""
    ca = trustme.CA()
    with FakeCluster(objects(pods, deployments), tls=True, ca=ca, tokens={"bench": "bench"}) as cluster:
        partial = ready.with_suffix(".partial")
        partial.write_text(json.dumps({"url": cluster.url, "ca": ca.cert_pem.bytes().decode()}))
        partial.rename(ready)
        sys.stdin.read()


def fake_server(pods: int, deployments: int, tmp: Path) -> tuple[subprocess.Popen[bytes], str, bytes]:
    """Start :func:`serve` in a child process (so that its CPU is not the scanner's and listing can overlap
    evaluation) and return it with its URL and CA."""
    ready = tmp / "server.json"
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(ready), "--pods", str(pods),
                              "--deployments", str(deployments)], stdin=subprocess.PIPE)
    while not ready.exists():
        if child.poll() is not None:
            raise SystemExit("the fake API server did not start")
        time.sleep(0.05)
    info = json.loads(ready.read_text())
    return child, info["url"], info["ca"].encode()


def cpu_of_tree() -> float:
    """CPU seconds of this process and of the children it reaped (scan workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--workers", type=int, action="append",
                        help="worker processes to compare (repeatable; default: 1 and the usable cores)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.pods, args.deployments, args.serve)
        return
    counts = args.workers or sorted({1, default_workers()})
    data = objects(args.pods, args.deployments)
    policies = resolve_policies(SETS, [])
    scanner = Scanner(policies.policies, policies.exceptions)
    print(f"{len(policies.names())} policies from {', '.join(SETS)}; {len(data)} objects; {cpu_load()}")

    snapshot = SnapshotSource("bench-snapshot", objects=data)
    for workers in counts:
        started, cpu = time.perf_counter(), cpu_of_tree()
        result = scanner.scan([(snapshot.name, lambda: snapshot)], ScanRequest(snapshot="bench", workers=workers))
        report(f"snapshot, --workers {workers}, CPU {cpu_of_tree() - cpu:.2f} s", time.perf_counter() - started,
               result)

    with tempfile.TemporaryDirectory() as tmp:
        server, url, ca = fake_server(args.pods, args.deployments, Path(tmp))
        try:
            kubeconfig = write_kubeconfig(Path(tmp) / "kc", {"bench": ContextSpec(url, token="bench", ca=ca)})
            registry = ClientRegistry.from_kubeconfig(str(kubeconfig), settings=ClientSettings(timeout=30))
            for workers in counts:
                request = ScanRequest(contexts=("bench",), workers=workers)
                started, cpu = time.perf_counter(), cpu_of_tree()
                result = scanner.scan(source_factories(request, registry), request)
                report(f"fake cluster over loopback HTTPS (server in a child process), --workers {workers}, "
                       f"CPU {cpu_of_tree() - cpu:.2f} s", time.perf_counter() - started, result)
            registry.close()
        finally:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(30)
    size = len(yaml.safe_dump_all(data))
    print(f"(snapshot YAML would be {size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
