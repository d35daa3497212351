"""Hostile files through the CLI (issue 11, items 2, 9, 10, 11): `apply`, `scan` and `test` report the bad document
(file, document, line) and go on with the rest; nothing crashes (no SIGSEGV, no exit 70); `--output-dir` never
writes outside its folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pykyverno.server.cli import main

RECURSIVE_POD = """apiVersion: v1
kind: Pod
metadata: &m {name: p, namespace: apps, self: *m}
spec: {containers: [{name: c, image: nginx}]}
"""
GOOD_POD = """apiVersion: v1
kind: Pod
metadata: {name: good, namespace: apps}
spec: {containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]}
"""
POLICY = """apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: no-privileged}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: "object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false))"
    message: no privileged containers
"""
TEST_FILE = """apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata: {name: t}
policies: [policy.yaml]
resources: [resources.yaml]
results:
- policy: no-privileged
  resources: [good]
  kind: Pod
  result: fail
"""


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process: a crash (SIGSEGV) must fail the test, not the test run."""
    return subprocess.run([sys.executable, "-m", "pykyverno.server.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "resources.yaml").write_text(RECURSIVE_POD + "---\n" + GOOD_POD)
    (tmp_path / "kyverno-test.yaml").write_text(TEST_FILE)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "a-recursive.yaml").write_text(RECURSIVE_POD)
    (snapshot / "b-good.yaml").write_text(GOOD_POD)
    return tmp_path


def test_recursive_anchor_in_apply_is_reported_and_the_rest_evaluated(folder: Path) -> None:
    run = cli("apply", "policy.yaml", "-r", "resources.yaml", "-o", "json", cwd=folder)
    # The other document is evaluated, and the run says it is incomplete (issue 13: never exit 0 beside errors).
    assert run.returncode == 3, (run.returncode, run.stderr[-2000:])
    out = json.loads(run.stdout)
    assert out["errors"] == ["resources.yaml (document 1): recursive alias to the node at line 3, column 11 "
                             "(an alias used inside the node its anchor names)"]
    assert [(r["resources"][0]["name"], r["result"]) for r in out["results"]] == [("good", "fail")]


def test_recursive_anchor_in_a_policy_file_is_reported(folder: Path) -> None:
    (folder / "policy.yaml").write_text(POLICY + "  x: &x [*x]\n")
    run = cli("apply", "policy.yaml", "-r", "resources.yaml", cwd=folder)
    assert run.returncode == 3 and "policy.yaml (document 1): recursive alias to the node at line 11" in run.stderr


def test_recursive_anchor_in_a_snapshot_scan_is_a_failure_of_the_scan(folder: Path) -> None:
    run = cli("scan", "--snapshot", "snapshot", "--policy", "policy.yaml", "-o", "json", cwd=folder)
    assert run.returncode not in (0, 70) and run.returncode > 0, (run.returncode, run.stderr[-2000:])
    out = json.loads(run.stdout)
    text = json.dumps(out)
    assert "a-recursive.yaml (document 1): recursive alias to the node at line 3, column 11" in text
    assert '"good"' in text, "the readable file is still scanned"


def test_recursive_anchor_in_kyverno_test_resources(folder: Path) -> None:
    run = cli("test", ".", cwd=folder)
    assert run.returncode == 3, (run.returncode, run.stderr[-2000:])  # an unreadable document: incomplete
    assert "recursive alias to the node at line 3, column 11" in run.stdout + run.stderr


def test_deep_nesting_and_long_integers_do_not_abort_a_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    (snapshot / "a-deep.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata:\n"
                                          + "".join("  " * i + f" k{i}:\n" for i in range(1, 5000)))
    (snapshot / "b-deep.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "x": '
                                          + "[" * 100_000 + "]" * 100_000 + "}")
    (snapshot / "c-long.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: l, namespace: apps}\n"
                                          "spec: {priority: " + "1" * 5000 + "}\n")
    (snapshot / "d-good.yaml").write_text(GOOD_POD)
    (tmp_path / "policy.yaml").write_text(POLICY)
    code = main(["scan", "--snapshot", str(snapshot), "--policy", str(tmp_path / "policy.yaml"), "-o", "json"])
    out = capsys.readouterr().out
    assert code not in (0, 70)
    assert "a-deep.yaml (document 1): invalid YAML at line" in out
    assert "b-deep.json (document 1): nesting deeper than 200 levels at line 1" in out
    assert "c-long.yaml (document 1): an integer of 5000 digits is longer than the 4300 allowed at line 4" in out
    assert json.loads(out)["summary"]["fail"] == 1, "the good Pod is still scanned"


def test_duplicate_keys_are_refused_by_apply(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "dup.yaml").write_text(GOOD_POD + "kind: Secret\n")
    code = main(["apply", str(folder / "policy.yaml"), "-r", str(folder / "dup.yaml"), "-o", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 3 and out["results"] == []
    assert out["errors"] == [f"{folder / 'dup.yaml'} (document 1): duplicate key 'kind' at line 5, column 1"]


ESCAPING_GENERATOR = """apiVersion: policies.kyverno.io/v1alpha1
kind: GeneratingPolicy
metadata: {name: escape}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [namespaces]}]
  variables:
  - name: downstream
    expression: >-
      [{"kind": dyn("../../escaped"), "apiVersion": dyn("v1"),
        "metadata": dyn({"name": "../../../x/y", "namespace": ".."})}]
  generate:
  - expression: generator.Apply(object.metadata.name, variables.downstream)
"""


def test_output_dir_never_writes_outside_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    (work / "gen.yaml").write_text(ESCAPING_GENERATOR)
    (work / "ns.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n")
    main(["apply", str(work / "gen.yaml"), "-r", str(work / "ns.yaml"), "--output-dir", str(work / "out")])
    capsys.readouterr()
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["a/b/gen.yaml", "a/b/ns.yaml", "a/b/out/_.._escaped-team-_.._.._x_y.yaml"]
    assert yaml.safe_load((work / "out" / "_.._escaped-team-_.._.._x_y.yaml").read_text())["kind"] == "../../escaped"
