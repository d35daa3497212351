"""``pykyverno scan --workers N``: evaluation spread over forked processes gives exactly what one process gives (same
results in the same order, posture, failures, exit code), keeps deadlines, and a worker that dies makes the scan
fail loudly. The CLI runs as a child process (workers are only forked by a process without threads; pytest may run
some), against a generated snapshot and against the fake API server over HTTPS."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import trustme

from bench.workload import generate_pods, write_snapshot
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import ContextSpec, write_kubeconfig

PODS = 2500
POLICY_SET = "pod-security-restricted"
STARTED = re.compile(r"evaluating in (\d+) worker processes \(pids ([\d, ]+)\)")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_snapshot(generate_pods(PODS, seed=11), tmp_path_factory.mktemp("workers") / "pods.json")


def _scan(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pykyverno.server.cli", "-v", "scan", *args], capture_output=True,
                          text=True, timeout=600, env=env)


def _stable(document: dict[str, Any]) -> dict[str, Any]:
    """The scan document without what differs between any two runs (timings, the time of the scan)."""
    for cluster in document["clusters"]:
        cluster.pop("timing")
    document["posture"]["scope"].pop("generatedAt")
    return document


def _compare(one: subprocess.CompletedProcess[str], two: subprocess.CompletedProcess[str], workers: int) -> None:
    assert f"evaluating in {workers} worker processes" in two.stderr, two.stderr[-2000:]
    assert "worker processes" not in one.stderr
    assert one.returncode == two.returncode
    a, b = _stable(json.loads(one.stdout)), _stable(json.loads(two.stdout))
    results_a = [r for c in a["clusters"] for r in c["results"]]
    results_b = [r for c in b["clusters"] for r in c["results"]]
    assert Counter(json.dumps(r, sort_keys=True) for r in results_a) == \
        Counter(json.dumps(r, sort_keys=True) for r in results_b)  # the same results...
    assert results_a == results_b  # ...in the same order
    assert a == b  # and everything else: summaries, failures, posture (explanations included)


def test_a_large_snapshot_scans_the_same_with_two_workers(snapshot: Path) -> None:
    args = ["--snapshot", str(snapshot), "--policy-set", POLICY_SET, "-o", "json"]
    one, two = _scan(*args), _scan(*args, "--workers", "2")  # the default is one process
    assert one.returncode == 1, one.stderr[-2000:]  # findings, nothing incomplete
    results = json.loads(one.stdout)["clusters"][0]["results"]
    assert len(results) == PODS * 17 and {r["result"] for r in results} == {"pass", "fail"}
    _compare(one, two, 2)


def test_a_cluster_scan_lists_in_pages_and_scans_the_same_with_workers(tmp_path: Path) -> None:
    pods = generate_pods(1800, seed=5)
    namespaces = sorted({p["metadata"]["namespace"] for p in pods})
    objects = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"team": n}}}
               for n in namespaces] + pods
    ca = trustme.CA()
    with FakeCluster(objects, tls=True, ca=ca, tokens={"scan": "scan"}) as cluster:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"fake": ContextSpec(cluster.url, token="scan", ca=ca)})
        env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
        args = ["--policy-set", POLICY_SET, "--policy-set", "best-practices", "-o", "json"]
        one, three = _scan(*args, "--workers", "1", env=env), _scan(*args, "--workers", "3", env=env)
        pages = [r for r in cluster.requests if r.path.endswith("/pods")]
    assert one.returncode == 1, one.stderr[-2000:]
    assert json.loads(one.stdout)["clusters"][0]["scannedTypes"]["v1/pods"] == 1800
    assert len(pages) >= 2 * 4  # 500 a page: pieces of a type are evaluated while the next page is listed
    _compare(one, three, 3)


def test_the_deadline_holds_with_workers(snapshot: Path) -> None:
    done = _scan("--snapshot", str(snapshot), "--policy-set", POLICY_SET, "-o", "json", "--workers", "2",
                 "--scan-timeout", "0.3")
    assert done.returncode == 3, done.stderr[-2000:]
    document = json.loads(done.stdout)
    cluster = document["clusters"][0]
    assert document["incomplete"] and document["deadlineReached"]
    late = [f for f in cluster["failures"] if f["reason"] == "DeadlineExceeded"]
    assert len(late) == 1, cluster["failures"]
    found = re.fullmatch(r"(\d+) of (\d+) listed object\(s\) not evaluated: the scan deadline .*", late[0]["message"])
    assert found and int(found[2]) == PODS and int(found[1]) > 0
    # Every object is either evaluated (with all its results) or counted as not evaluated: none is lost.
    assert cluster["objects"] + int(found[1]) == PODS
    assert len(cluster["results"]) == cluster["objects"] * 17


def test_a_worker_that_dies_makes_the_scan_incomplete(snapshot: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pykyverno.server.cli", "-v", "scan", "--snapshot", str(snapshot), "--policy-set",
         POLICY_SET, "-o", "json", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        started = STARTED.search(line)
        if started:
            victim = int(started[2].split(",")[0])
            time.sleep(0.2)  # it holds chunks by now (each worker is handed several at once)
            os.kill(victim, signal.SIGKILL)
            break
    out, err = process.communicate(timeout=600)
    assert started, "".join(lines)
    assert process.returncode == 3, err[-2000:]
    document = json.loads(out)
    cluster = document["clusters"][0]
    lost = [f for f in cluster["failures"] if f["reason"] == "WorkerFailed"]
    assert document["incomplete"] and len(lost) == 1, cluster["failures"]
    found = re.fullmatch(rf"(\d+) of {PODS} listed object\(s\) not evaluated: worker process {victim} was killed by "
                         r"signal 9 \(SIGKILL\)", lost[0]["message"])
    assert found, lost[0]["message"]
    # The other worker evaluated the rest: every object is accounted for, with all of its results.
    assert cluster["objects"] + int(found[1]) == PODS
    assert len(cluster["results"]) == cluster["objects"] * 17


def test_a_negative_worker_count_is_a_usage_error(snapshot: Path) -> None:
    done = _scan("--snapshot", str(snapshot), "--policy-set", POLICY_SET, "--workers", "-1")
    assert done.returncode == 2 and "--workers" in done.stderr and "-1" in done.stderr


LOOKUP_POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: lookup}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "resource.Get('v1', 'configmaps', object.metadata.namespace, 'cfg').data.a == object.metadata.name"
"""


def test_lookups_answered_by_the_parent_while_chunks_queue_up(tmp_path: Path) -> None:
    # Many lookups per worker while further chunks are queued for it: each answer must be read from the pipe, never
    # confused with a chunk set aside (which spun forever once one was waiting).
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "ns"},
             "spec": {"containers": [{"name": "c", "image": "nginx"}]}} for i in range(1500)]
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "ns"},
              "data": {"a": "p7"}}
    snapshot = tmp_path / "snap.json"
    snapshot.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [config, *pods]}))
    policy = tmp_path / "lookup.yaml"
    policy.write_text(LOOKUP_POLICY)
    args = ["--snapshot", str(snapshot), "--policy", str(policy), "-o", "json", "--scan-timeout", "120"]
    one, two = _scan(*args), _scan(*args, "--workers", "2")
    assert one.returncode == 1, one.stderr[-2000:]
    results = [r["result"] for r in json.loads(one.stdout)["clusters"][0]["results"]]
    assert Counter(results) == {"pass": 1, "fail": 1499}
    _compare(one, two, 2)
