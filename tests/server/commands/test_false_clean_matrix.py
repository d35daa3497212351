"""Never a false clean (issue 13), CLI half: one planted violation, and separately one thing that cannot be read or
evaluated, through every CLI path (``apply``, ``scan --snapshot``, ``scan`` against the fake API server, ``lint``,
``test``) and every output format. Each cell must show the violation or name the problem with a non-zero exit; a
cell that exits 0 is a failing test.

Cells (path x planted problem -> expected exit, and what the output must name):

- violation (Audit policy fails) x apply/scan-snapshot/scan-cluster x table/json/yaml/markdown/sarif... -> 1, the
  policy and resource; with ``--audit-warn`` -> 0 (warn), with ``--warn-exit-code 4`` -> 4.
- broken CEL policy, missing policy file, unsupported ClusterPolicy rule x apply/scan/lint -> non-zero, the file (or
  the policy and rule) and the line.
- broken PolicyException x apply/scan/lint -> non-zero, naming the exception's file and expression.
- unreadable resource document x apply/test/scan-snapshot -> 3, naming the file and document.
- unknown namespace (snapshot, fake cluster), context, policy set, policy -> 2, the name and the close match.
- a type the cluster forbids (403) x scan-cluster -> 3, the type.
- ``apply`` without resources -> 2.
"""

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

POLICY = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: disallow-latest
  annotations: {policies.kyverno.io/severity: high}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: object.spec.containers.all(c, !c.image.endsWith(':latest'))
    message: images must be pinned
"""
BAD_CEL = POLICY.replace("disallow-latest", "broken-cel").replace(
    "object.spec.containers.all(c, !c.image.endsWith(':latest'))", "object.spec.containers.all(c, c.image ==")
UNSUPPORTED = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: legacy-verify}
spec:
  rules:
  - name: verify
    match: {any: [{resources: {kinds: [Pod]}}]}
    verifyImages:
    - imageReferences: ["*"]
"""
BAD_EXCEPTION = """
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: broken-exception, namespace: shop}
spec:
  policyRefs: [{name: disallow-latest, kind: ValidatingPolicy}]
  matchConditions:
  - {name: c, expression: "object.metadata.name =="}
"""
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
BAD_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}}
GOOD_POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db", "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "image": "postgres:16"}]}}
BROKEN_DOCUMENT = "apiVersion: v1\nkind: Pod\nmetadata: {name: broken\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "bad-cel.yaml").write_text(BAD_CEL)
    (tmp_path / "unsupported.yaml").write_text(UNSUPPORTED)
    (tmp_path / "exception.yaml").write_text(BAD_EXCEPTION)
    (tmp_path / "pods.yaml").write_text(yaml.safe_dump_all([NAMESPACE, BAD_POD, GOOD_POD]))
    (tmp_path / "broken.yaml").write_text(BROKEN_DOCUMENT)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "pods.yaml").write_text(yaml.safe_dump_all([NAMESPACE, BAD_POD, GOOD_POD]))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


# ------------------------------------------------------------------------------------------ a planted violation

APPLY_FORMATS: list[list[str]] = [[], ["-t"], ["-o", "json"], ["-o", "yaml"], ["-o", "sarif"], ["-p"]]
SCAN_FORMATS = ["table", "markdown", "json", "yaml", "policyreport", "sarif", "html"]


@pytest.mark.parametrize("fmt", APPLY_FORMATS, ids=lambda f: " ".join(f) or "default")
def test_apply_violation_exits_1_in_every_format(files: Path, capsys: Any, fmt: list[str]) -> None:
    code, out, _ = run(capsys, "apply", str(files / "policy.yaml"), "-r", str(files / "pods.yaml"), *fmt)
    assert code == 1 and "disallow-latest" in out and "web" in out


@pytest.mark.parametrize("fmt", SCAN_FORMATS)
def test_snapshot_scan_violation_exits_1_in_every_format(files: Path, capsys: Any, fmt: str) -> None:
    code, out, _ = run(capsys, "scan", "--snapshot", str(files / "snapshot"), "--policy", str(files / "policy.yaml"),
                       "-o", fmt)
    assert code == 1 and "disallow-latest" in out and "web" in out


def test_audit_warn_and_warn_exit_code_as_kyverno(files: Path, capsys: Any) -> None:
    base = ["apply", str(files / "policy.yaml"), "-r", str(files / "pods.yaml"), "-o", "json"]
    code, out, _ = run(capsys, *base, "--audit-warn")
    assert code == 0 and json.loads(out)["summary"]["warn"] == 1
    assert run(capsys, *base, "--audit-warn", "--warn-exit-code", "4")[0] == 4
    scan = ["scan", "--snapshot", str(files / "snapshot"), "--policy", str(files / "policy.yaml"), "-o", "json"]
    code, out, _ = run(capsys, *scan, "--audit-warn", "--warn-exit-code", "4")
    assert code == 4 and json.loads(out)["summary"]["warn"] == 1, "scan agrees with apply"
    # --warn-no-pass: nothing passed (the only pod fails, as a warning) -> the warning exit code
    (files / "bad-only.yaml").write_text(yaml.safe_dump(BAD_POD))
    only_bad = ["apply", str(files / "policy.yaml"), "-r", str(files / "bad-only.yaml"), "--audit-warn"]
    assert run(capsys, *only_bad, "--warn-no-pass", "--warn-exit-code", "5")[0] == 5


def test_cluster_scan_violation_and_forbidden_type(
    files: Path, fake_cluster: Callable[..., FakeCluster], capsys: Any
) -> None:
    alpha, beta = fake_cluster([NAMESPACE, BAD_POD, GOOD_POD]), fake_cluster([])
    kubeconfig = str(write_standard_kubeconfig(files / "kubeconfig", alpha, beta).path)
    base = ["scan", "--kubeconfig", kubeconfig, "--policy", str(files / "policy.yaml")]
    for fmt in ("table", "json", "markdown"):
        code, out, _ = run(capsys, *base, "-o", fmt)
        assert code == 1 and "web" in out, fmt
    alpha.deny(resource="pods")
    code, out, _ = run(capsys, *base, "-o", "table")
    assert code == 3 and "NOT SCANNED" in out and "pods" in out and "INCOMPLETE" in out


# ------------------------------------------------------------------------------------- what cannot be evaluated


@pytest.mark.parametrize("command", ["apply", "scan", "lint"])
@pytest.mark.parametrize(("file", "named"), [
    ("bad-cel.yaml", "spec.validations[0].expression"),
    ("missing.yaml", "cannot read file"),
    ("unsupported.yaml", "verifyImages"),
    ("exception.yaml", "spec.matchConditions[0].expression"),
])
def test_what_does_not_load_is_never_clean(files: Path, capsys: Any, command: str, file: str, named: str) -> None:
    path = str(files / file)
    if command == "apply":
        policies = [str(files / "policy.yaml"), *([] if file == "exception.yaml" else [path])]
        args = ["apply", *policies, "-r", str(files / "pods.yaml"), "--audit-warn", "-o", "json"]
        args += ["-e", path] if file == "exception.yaml" else []
    elif command == "scan":
        args = ["scan", "--snapshot", str(files / "snapshot"), "--policy", str(files / "policy.yaml"),
                "--policy", path, "--audit-warn"]
    else:
        args = ["lint", path]
    code, out, err = run(capsys, *args)
    assert code != 0, (command, file)
    assert file in out + err and named in out + err, (out, err)
    if command != "lint":
        assert code == 3, "results beside a policy that did not load are incomplete"


@pytest.mark.parametrize("fmt", SCAN_FORMATS)
def test_scan_with_a_broken_policy_is_incomplete_in_every_format(files: Path, capsys: Any, fmt: str) -> None:
    code, out, err = run(capsys, "scan", "--snapshot", str(files / "snapshot"), "--policy", str(files / "policy.yaml"),
                         "--policy", str(files / "bad-cel.yaml"), "-o", fmt)
    assert code == 3 and "bad-cel.yaml" in out + err and "web" in out


@pytest.mark.parametrize("fmt", APPLY_FORMATS, ids=lambda f: " ".join(f) or "default")
def test_apply_with_a_broken_policy_is_incomplete_in_every_format(files: Path, capsys: Any, fmt: list[str]) -> None:
    code, out, err = run(capsys, "apply", str(files / "policy.yaml"), str(files / "bad-cel.yaml"),
                         "-r", str(files / "pods.yaml"), *fmt)
    assert code == 3 and "bad-cel.yaml" in err and "web" in out


def test_scan_with_only_broken_policies_is_not_0_policies_clean(files: Path, capsys: Any) -> None:
    for file in ("missing.yaml", "bad-cel.yaml"):
        code, out, err = run(capsys, "scan", "--snapshot", str(files / "snapshot"), "--policy", str(files / file))
        assert code == 3 and file in err and "0 policies" not in out


def test_lint_names_the_unsupported_rule_with_its_line(files: Path, capsys: Any) -> None:
    code, out, _ = run(capsys, "lint", str(files / "unsupported.yaml"))
    assert code == 1 and "spec.rules[0] (line 7" in out and "'verify'" in out and ": ok" not in out


@pytest.mark.parametrize("command", ["apply", "scan", "test"])
def test_unreadable_resource_documents_make_the_run_incomplete(files: Path, capsys: Any, command: str) -> None:
    if command == "apply":
        args = ["apply", str(files / "policy.yaml"), "-r", str(files / "pods.yaml"), str(files / "broken.yaml")]
    elif command == "scan":
        (files / "snapshot" / "broken.yaml").write_text(BROKEN_DOCUMENT)
        args = ["scan", "--snapshot", str(files / "snapshot"), "--policy", str(files / "policy.yaml")]
    else:
        (files / "kyverno-test.yaml").write_text(yaml.safe_dump({
            "apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "t"},
            "policies": ["policy.yaml"], "resources": ["pods.yaml", "broken.yaml"],
            "results": [{"policy": "disallow-latest", "isValidatingPolicy": True, "kind": "Pod",
                         "resources": ["shop/web"], "result": "fail"}],
        }))
        args = ["test", str(files)]
    code, out, err = run(capsys, *args)
    assert code == 3 and "broken.yaml" in out + err and "document 1" in out + err


# ------------------------------------------------------------------------------------------ names that do not exist


def test_unknown_names_are_errors_with_close_matches(
    files: Path, fake_cluster: Callable[..., FakeCluster], capsys: Any
) -> None:
    snapshot = ["scan", "--snapshot", str(files / "snapshot"), "--policy", str(files / "policy.yaml")]
    code, out, err = run(capsys, *snapshot, "-n", "shopp")
    assert (code, out) == (2, "") and "namespace 'shopp' does not exist" in err and "'shop'" in err
    code, _, err = run(capsys, "scan", "--demo", "--policy-set", "best-practises")
    assert code == 2 and "policy set 'best-practises' does not exist" in err and "'best-practices'" in err
    code, _, err = run(capsys, "apply", "--policy-set", "pod-security-baseline2", "-r", str(files / "pods.yaml"))
    assert code == 2 and "'pod-security-baseline'" in err
    code, _, err = run(capsys, "policies", "show", "disallow-latest-tags")
    assert code == 2 and "'disallow-latest-tag'" in err
    alpha, beta = fake_cluster([NAMESPACE, BAD_POD]), fake_cluster([])
    kubeconfig = str(write_standard_kubeconfig(files / "kubeconfig", alpha, beta).path)
    cluster = ["scan", "--kubeconfig", kubeconfig, "--policy", str(files / "policy.yaml")]
    code, out, err = run(capsys, *cluster, "-n", "shopp")
    assert (code, out) == (2, "") and "namespace 'shopp' does not exist in context 'alpha'" in err and "'shop'" in err
    code, out, err = run(capsys, *cluster, "--context", "alpah")
    assert (code, out) == (2, "") and "context 'alpah' does not exist" in err and "'alpha'" in err
    code, out, _ = run(capsys, *cluster, "-n", "shop", "-o", "json")
    assert code == 1 and "web" in out, "an existing namespace is scanned"
    # several contexts (two that answer, two that cannot): a namespace none of them has is an error; one that some
    # lack is scanned where it exists, and the others are named
    code, out, err = run(capsys, *cluster, "--all-contexts", "-n", "shopp")
    assert (code, out) == (2, "") and "namespace 'shopp' does not exist in any of the contexts alpha, beta" in err
    code, out, err = run(capsys, *cluster, "--all-contexts", "-n", "shop", "-o", "json")
    assert code == 3 and "namespace 'shop' does not exist in 'beta'" in err and "web" in out


def test_apply_without_resources_is_a_usage_error(files: Path, capsys: Any) -> None:
    code, out, err = run(capsys, "apply", str(files / "policy.yaml"))
    assert (code, out) == (2, "") and "no resources" in err


BACKGROUND_OFF = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: foreground-only
spec:
  background: false
  rules:
  - name: needs-app-label
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: the app label is required
      pattern:
        metadata:
          labels:
            app: "?*"
"""


def test_scan_with_only_foreground_policies_says_why_nothing_ran(files: Path, capsys: Any) -> None:
    """A policy with background evaluation off is skipped by scans, as Kyverno's background scan does; a scan left
    with nothing to run is an error naming the policy and why, never "0 policies" and exit 0."""
    (files / "foreground.yaml").write_text(BACKGROUND_OFF)
    foreground = str(files / "foreground.yaml")
    code, _, err = run(capsys, "scan", "--snapshot", str(files / "snapshot"), "--policy", foreground)
    assert code == 3
    assert "foreground-only: background evaluation is off" in err
    code, _, err = run(capsys, "scan", "--snapshot", str(files / "snapshot"), "--policy",
                       str(files / "foreground.yaml"), "--policy", str(files / "policy.yaml"))
    assert code == 1
    assert "note: not scanned: foreground-only" in err
