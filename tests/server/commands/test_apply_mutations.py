"""`pykyverno apply` with mutating and generating policies: --diff, --print-patched, --output-dir, chaining."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pykyverno.server.cli import main

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed"
RUN_AS_NON_ROOT = SEED / "add-pod-run-as-non-root.yaml"
NETWORK_POLICY = SEED / "add-networkpolicy.yaml"

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: team}
spec:
  containers: [{name: c, image: nginx:1.25}]
---
apiVersion: v1
kind: Pod
metadata: {name: opted-out, namespace: team}
spec:
  securityContext: {runAsNonRoot: false}
  containers: [{name: c, image: nginx:1.25}]
---
apiVersion: v1
kind: Namespace
metadata: {name: team}
"""

REQUIRE_NON_ROOT = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: require-non-root}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: object.spec.?securityContext.?runAsNonRoot.orValue(false) == true
"""


@pytest.fixture
def pods(tmp_path: Path) -> Path:
    path = tmp_path / "pods.yaml"
    path.write_text(PODS)
    return path


def test_print_patched_keeps_an_explicit_false(pods: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(RUN_AS_NON_ROOT), "-r", str(pods), "--print-patched"]) == 0
    [patched] = list(yaml.safe_load_all(capsys.readouterr().out))
    assert patched["metadata"]["name"] == "plain", "only the Pod that changed is printed"
    assert patched["spec"]["securityContext"] == {"runAsNonRoot": True}


def test_diff_shows_the_mutation(pods: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["apply", str(RUN_AS_NON_ROOT), "-r", str(pods), "--diff"])
    out = capsys.readouterr().out
    assert "--- Pod/team/plain (original)" in out and "+++ Pod/team/plain (mutated)" in out
    assert "+    runAsNonRoot: true" in out
    assert "opted-out" not in out


def test_output_dir_gets_mutated_and_generated(pods: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    main(["apply", str(RUN_AS_NON_ROOT), str(NETWORK_POLICY), "-r", str(pods), "--output-dir", str(out_dir)])
    capsys.readouterr()
    files = sorted(p.name for p in out_dir.iterdir())
    assert files == ["networkpolicy-team-default-deny.yaml", "pod-team-plain.yaml"]
    generated = yaml.safe_load((out_dir / "networkpolicy-team-default-deny.yaml").read_text())
    assert generated["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_validation_sees_the_mutated_object(pods: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "require.yaml"
    policy.write_text(REQUIRE_NON_ROOT)
    main(["apply", str(RUN_AS_NON_ROOT), str(policy), "-r", str(pods), "-o", "yaml"])
    out = yaml.safe_load(capsys.readouterr().out)
    verdicts = {
        (r["policy"], r["resources"][0]["name"]): r["result"]
        for r in out["results"]
        if r["policy"] == "require-non-root"
    }
    assert verdicts == {("require-non-root", "plain"): "pass", ("require-non-root", "opted-out"): "fail"}
