"""`pykyverno apply` and `pykyverno test` on real files: outputs, exit codes, and bad inputs reported clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pykyverno.server.cli import main

POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: require-team
  annotations: {{policies.kyverno.io/severity: low, policies.kyverno.io/category: Labels}}
spec:
  validationActions: [{action}]
  matchConstraints:
    resourceRules: [{{apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}}]
  validations:
  - expression: "'team' in object.metadata.?labels.orValue({{}})"
    message: team label required
"""

RESOURCES = """
apiVersion: v1
kind: ConfigMap
metadata: {name: good, labels: {team: a}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bad, namespace: apps}
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "audit.yaml").write_text(POLICY.format(action="Audit"))
    (tmp_path / "deny.yaml").write_text(POLICY.format(action="Deny"))
    (tmp_path / "res.yaml").write_text(RESOURCES)
    return tmp_path, tmp_path / "res.yaml"


def test_apply_json_and_exit_codes(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder, resources = files
    # As the Kyverno CLI: a failure exits 1 whatever the policy's action (issue 13); --audit-warn makes Audit
    # failures warnings, which exit 0 unless --warn-exit-code says otherwise.
    assert main(["apply", str(folder / "audit.yaml"), "-r", str(resources), "-o", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["summary"] == {"pass": 1, "fail": 1, "warn": 0, "error": 0, "skip": 0}
    bad = next(r for r in out["results"] if r["result"] == "fail")
    assert bad["resources"] == [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "apps", "name": "bad"}]
    assert bad["severity"] == "low" and bad["category"] == "Labels" and bad["source"] == "KyvernoValidatingPolicy"
    good = next(r for r in out["results"] if r["result"] == "pass")
    assert good["resources"][0]["namespace"] == "default", "namespaced manifests default to 'default'"
    assert main(["apply", str(folder / "deny.yaml"), "-r", str(resources), "-o", "json"]) == 1
    assert main(["apply", str(folder / "audit.yaml"), "-r", str(resources), "--audit-warn", "-o", "json"]) == 0
    assert main(["apply", str(folder / "deny.yaml"), "-r", str(resources), "--audit-warn", "-o", "json"]) == 1
    args = ["apply", str(folder / "audit.yaml"), "-r", str(resources), "--audit-warn", "--warn-exit-code", "4"]
    assert main(args) == 4
    capsys.readouterr()


def test_apply_audit_warn_table_and_policy_report(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder, resources = files
    main(["apply", str(folder / "audit.yaml"), "-r", str(resources), "--audit-warn", "-o", "yaml"])
    out = yaml.safe_load(capsys.readouterr().out)
    assert out["summary"]["warn"] == 1 and out["summary"]["fail"] == 0
    main(["apply", str(folder / "audit.yaml"), "-r", str(resources), "--table"])
    text = capsys.readouterr().out
    assert "POLICY" in text and "require-team" in text and "ConfigMap/apps/bad" in text and "FAIL" in text
    main(["apply", str(folder / "audit.yaml"), "-r", str(resources), "--policy-report"])
    reports = list(yaml.safe_load_all(capsys.readouterr().out))
    assert [r["kind"] for r in reports] == ["PolicyReport", "PolicyReport"]
    assert {r["metadata"]["namespace"] for r in reports} == {"apps", "default"}


def test_apply_reports_bad_inputs_and_keeps_going(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder, resources = files
    broken = folder / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: [unclosed\n")
    code = main(["apply", str(folder / "audit.yaml"), str(broken), "-r", str(resources), str(folder / "nope.yaml"),
                 "-o", "json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["summary"]["fail"] == 1 and code == 3, "results beside unreadable inputs are not a complete answer"
    assert any("broken.yaml" in e and "invalid YAML at line" in e for e in out["errors"])
    assert any("nope.yaml" in e and "cannot read file" in e for e in out["errors"])
    assert "Traceback" not in captured.err


TEST_FILE = """
apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: labels}
policies: [audit.yaml]
resources: [res.yaml]
results:
- {policy: require-team, isValidatingPolicy: true, kind: ConfigMap, resources: [good], result: pass}
- {policy: require-team, isValidatingPolicy: true, kind: ConfigMap, resources: [apps/bad], result: fail}
- {policy: require-team, isValidatingPolicy: true, kind: ConfigMap, resources: [bad], result: pass}
- {policy: missing-policy, isValidatingPolicy: true, kind: ConfigMap, resources: [good], result: pass}
"""


def test_test_command_json_and_junit(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ = files
    (folder / "kyverno-test.yaml").write_text(TEST_FILE)
    assert main(["test", str(folder), "-o", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["summary"] == {"total": 4, "passed": 2, "failed": 2}
    failed = [r for r in out["results"] if not r["passed"]]
    assert {(r["resource"], r["expected"], r["actual"]) for r in failed} == {
        ("bad", "pass", "fail"),
        ("good", "pass", "missing"),
    }
    assert any("not found in the test's policies" in r["reason"] for r in failed)
    main(["test", str(folder), "-o", "junit"])
    junit = capsys.readouterr().out
    assert junit.count("<testcase") == 4 and junit.count("<failure") == 2
    main(["test", str(folder), "--fail-only", "-t", "resource=good"])
    table = capsys.readouterr().out
    assert "missing-policy" in table and "Test summary: 1 passed, 1 failed" in table


CLUSTER_POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: no-default-configmaps}
spec:
  validationFailureAction: Enforce
  rules:
  - name: not-in-default
    match:
      any:
      - resources: {kinds: [ConfigMap]}
    exclude:
      any:
      - clusterRoles: [cluster-admin]
    validate:
      cel:
        expressions:
        - expression: object.metadata.namespace != 'default'
          message: not in default
"""


@pytest.mark.parametrize(("cluster_roles", "expected"), [([], "fail"), (["cluster-admin"], None)])
def test_userinfo_cluster_roles_reach_cluster_policy_matching(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cluster_roles: list[str], expected: str | None
) -> None:
    (tmp_path / "cpol.yaml").write_text(CLUSTER_POLICY)
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    userinfo = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "UserInfo", "clusterRoles": cluster_roles,
                "userInfo": {"username": "alice"}}
    (tmp_path / "user.yaml").write_text(yaml.safe_dump(userinfo))
    main(["apply", str(tmp_path / "cpol.yaml"), "-r", str(tmp_path / "cm.yaml"), "-u", str(tmp_path / "user.yaml"),
          "-o", "json"])
    results = json.loads(capsys.readouterr().out)["results"]
    assert [r["result"] for r in results] == ([expected] if expected else [])


def test_test_command_without_test_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(tmp_path)]) == 3
    assert f"no kyverno-test.yaml found under {tmp_path}" in capsys.readouterr().err


def test_apply_with_a_bundled_set_and_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n")
    main(["apply", "--policy-set", "best-practices", "-r", str(pod), "-o", "json"])
    by_set = json.loads(capsys.readouterr().out)
    folder = Path(__file__).resolve().parents[3] / "server" / "policysets" / "best-practices"
    main(["apply", str(folder), "-r", str(pod), "-o", "json"])
    captured = capsys.readouterr()
    by_folder = json.loads(captured.out)
    assert by_set["summary"] == by_folder["summary"] and by_set["summary"]["fail"] > 0
    assert by_folder["errors"] == [], "the set manifest (kind PolicySet) is not a policy and not an error"
    assert main(["apply", "-r", str(pod)]) == 2
