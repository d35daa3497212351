"""``pykyverno policies list`` and ``pykyverno policies show``."""

from __future__ import annotations

import json

import pytest
import yaml

from pykyverno.server.cli import main


def test_list_sets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "list"]) == 0
    out = capsys.readouterr().out
    assert "pod-security-restricted  6 (+11 included)" in out
    assert "examples" in out and "EXPERIMENTAL" in out


def test_list_sets_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "list", "-o", "json"]) == 0
    sets = {s["name"]: s for s in json.loads(capsys.readouterr().out)["sets"]}
    assert sets["pod-security-restricted"]["policiesWithIncludes"] == 17
    assert sets["examples"]["experimental"] is False


def test_list_policies_of_a_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "list", "pod-security-restricted", "-o", "yaml"]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    names = [p["name"] for p in data["policies"]]
    assert len(names) == 17 and "disallow-privileged-containers" in names and "restrict-volume-types" in names


def test_show_policy_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "show", "restrict-image-registries"]) == 0
    out = capsys.readouterr().out
    assert "Severity: high" in out and "Remediation:" in out
    assert "through autogen: DaemonSet, Deployment, ReplicaSet, StatefulSet, Job, CronJob" in out
    assert "cel: size(variables.disallowed) == 0" in out


def test_show_policy_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "show", "restrict-nodeport", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["matches"] == ["services (core/v1) on CREATE, UPDATE"] and data["autogen"] == []
    assert data["checks"] == [{"message": "Services of type NodePort are not allowed.",
                               "expression": "object.spec.?type.orValue('ClusterIP') != 'NodePort'"}]


def test_show_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "show", "pod-security-restricted"]) == 0
    out = capsys.readouterr().out
    assert "Includes: pod-security-baseline" in out and "Policies (17)" in out


def test_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "show", "nope"]) == 2
    assert "policy or policy set 'nope' does not exist" in capsys.readouterr().err
    assert main(["policies", "list", "nope"]) == 2
    assert "available sets: ai-agent-safeguards, best-practices" in capsys.readouterr().err
    assert main(["policies", "list", "best-practice"]) == 2
    assert "did you mean 'best-practices'" in capsys.readouterr().err
    assert main(["policies"]) == 2
