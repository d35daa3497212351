"""kyverno.io/v1 ``context[].apiCall`` entries in scans: Kubernetes API GETs are answered from the cluster being
scanned; a call the source cannot answer is an ``error`` naming it, and the scan is incomplete (exit 3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pykyverno.server.cli import main
from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig


def _pod(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}


def _policy(url_path: str, limit: int) -> dict[str, Any]:
    return {
        "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "pod-count"},
        "spec": {"rules": [{
            "name": "count",
            "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "context": [{"name": "n", "apiCall": {"urlPath": url_path, "jmesPath": "items | length(@)"}}],
            "validate": {"message": "{{ n }} pods in shop", "deny": {"conditions": {"any": [
                {"key": "{{ n }}", "operator": "GreaterThan", "value": limit}]}}},
        }]},
    }


def _scan(tmp_path: Path, policy: dict[str, Any], objects: list[dict[str, Any]],
          capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    (tmp_path / "snapshot.yaml").write_text(yaml.safe_dump_all(objects))
    (tmp_path / "cpy.yaml").write_text(yaml.safe_dump(policy))
    code = main(["scan", "--snapshot", str(tmp_path / "snapshot.yaml"), "--policy", str(tmp_path / "cpy.yaml"),
                 "-o", "json"])
    return code, json.loads(capsys.readouterr().out)


def _results(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for c in data["clusters"] for r in c["results"]]


def test_api_call_is_answered_from_the_scanned_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _scan(tmp_path, _policy("/api/v1/namespaces/shop/pods", 1), [_pod("a"), _pod("b")], capsys)
    results = _results(data)
    assert [r["result"] for r in results] == ["fail", "fail"]
    assert results[0]["message"].startswith("2 pods in shop")
    assert data["incomplete"] is False and code == 1


def test_api_call_under_the_limit_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _scan(tmp_path, _policy("/api/v1/namespaces/shop/pods", 5), [_pod("a")], capsys)
    assert [r["result"] for r in _results(data)] == ["pass"] and code == 0


def test_unanswerable_api_call_is_an_error_and_the_scan_incomplete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data = _scan(tmp_path, _policy("/api/v1/namespaces/shop/pods/a/log", 1), [_pod("a")], capsys)
    results = _results(data)
    assert [r["result"] for r in results] == ["error"]
    assert "APICall: n" in results[0]["message"] and "{{" not in results[0]["message"]
    failures = [f for c in data["clusters"] for f in c["failures"] if f["reason"] == "LookupUnavailable"]
    assert failures and "apiCall GET /api/v1/namespaces/shop/pods/a/log" in failures[0]["message"]
    assert data["incomplete"] is True and code == 3


def test_cluster_scan_answers_api_calls(
    tmp_path: Path, fake_cluster: Callable[..., FakeCluster], capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    cluster = fake_cluster([namespace, _pod("a"), _pod("b")])
    kubeconfig = write_standard_kubeconfig(tmp_path / "kubeconfig", cluster, fake_cluster([])).path
    (tmp_path / "cpy.yaml").write_text(yaml.safe_dump(_policy("/api/v1/namespaces/shop/pods", 1)))
    code = main(["scan", "--kubeconfig", str(kubeconfig), "--context", "alpha", "-n", "shop",
                 "--policy", str(tmp_path / "cpy.yaml"), "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert [r["result"] for r in _results(data)] == ["fail", "fail"] and code == 1


def _empty_deny(policy: dict[str, Any]) -> dict[str, Any]:
    policy["spec"]["rules"][0]["validate"]["deny"] = {}
    return policy


def test_message_needing_an_unanswered_call_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = _empty_deny(_policy("/api/v1/namespaces/shop/pods/a/log", 1))
    code, data = _scan(tmp_path, policy, [_pod("a")], capsys)
    results = _results(data)
    assert [r["result"] for r in results] == ["error"] and "{{" not in results[0]["message"]
    assert code == 3


def test_offline_apply_never_prints_the_raw_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cpy.yaml").write_text(yaml.safe_dump(_empty_deny(_policy("/api/v1/namespaces/shop/pods", 1))))
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(_pod("a")))
    code = main(["apply", str(tmp_path / "cpy.yaml"), "-r", str(tmp_path / "pod.yaml")])
    out = capsys.readouterr().out
    # The Kyverno CLI does not load apiCall entries offline; the deny still holds, but the message is not the template
    assert code == 1 and "FAIL" in out and "{{" not in out and 'Unknown key "n"' in out
