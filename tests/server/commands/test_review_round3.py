"""Review findings on the CLI (round 3): standard input policies, nothing to evaluate, documents without a kind,
unwritable output paths, ``migrate -``, incomplete scans in ``report diff``, unknown excluded namespaces."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakeapi import FakeCluster
from tests.fakeapi.kubeconfig import write_standard_kubeconfig
from tests.server.commands.test_false_clean_matrix import BAD_POD, NAMESPACE, POLICY, files, run

__all__ = ["files"]


class _Stdin:
    """A stand-in for ``sys.stdin`` with a ``buffer``."""

    def __init__(self, text: str) -> None:
        self.buffer = io.BytesIO(text.encode())


def test_policy_from_stdin_scans_with_that_policy_only(files: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(POLICY))
    code, out, _ = run(capsys, "scan", "--snapshot", str(files / "pods.yaml"), "--policy", "-", "-o", "json")
    assert code == 1 and json.loads(out)["policies"] == ["disallow-latest"]


LEGACY = """\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-app}
spec:
  rules:
  - name: needs-app-label
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: the app label is required
      pattern: {metadata: {labels: {app: "?*"}}}
"""


def test_migrate_reads_standard_input(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(LEGACY))
    code, out, _ = run(capsys, "migrate", "-")
    assert code == 0 and "kind: ValidatingPolicy" in out and "name: require-app" in out
    monkeypatch.setattr("sys.stdin", _Stdin(LEGACY))
    code, _, _ = run(capsys, "migrate", "-", "--output-dir", str(tmp_path / "out"))
    assert code == 0 and "ValidatingPolicy" in (tmp_path / "out" / "stdin.yaml").read_text()


def test_unwritable_output_paths_are_usage_errors_naming_the_path(files: Path, capsys: Any) -> None:
    policy, pods = str(files / "policy.yaml"), str(files / "pods.yaml")
    (files / "a-file").write_text("")
    missing = str(files / "no" / "such" / "x.html")
    scan = ["scan", "--snapshot", pods, "--policy", policy]
    code, _, err = run(capsys, *scan, "-o", "html", "--output-file", missing)
    assert code == 2 and f"cannot write {missing}" in err and "does not exist" in err
    code, _, err = run(capsys, *scan, "-o", "json", "--output-file", str(files))
    assert code == 2 and "it is a directory" in err
    code, _, _ = run(capsys, *scan, "-o", "json", "--output-file", str(files / "scan.json"))
    assert code == 1
    code, _, err = run(capsys, "report", "html", str(files / "scan.json"), "--output-file", missing)
    assert code == 2 and missing in err
    code, _, err = run(capsys, "apply", policy, "-r", pods, "--output-dir", str(files / "a-file"))
    assert code == 2 and "a-file" in err
    (files / "legacy.yaml").write_text(LEGACY)
    code, _, err = run(capsys, "migrate", str(files / "legacy.yaml"), "--output-dir", str(files / "a-file" / "x"))
    assert code == 2 and "a-file" in err and "Traceback" not in err


@pytest.mark.parametrize("content", ["", "---\n", "apiVersion: v1\nkind: List\nitems: []\n", None],
                         ids=["empty file", "only ---", "empty List", "empty folder"])
def test_nothing_to_evaluate_is_incomplete_naming_the_path(files: Path, capsys: Any, content: str | None) -> None:
    target = files / "nothing"
    if content is None:
        target.mkdir()
    else:
        target.write_text(content)
    policy = str(files / "policy.yaml")
    code, out, err = run(capsys, "scan", "--snapshot", str(target), "--policy", policy)
    assert code == 3 and f"no resources found in {target}" in out + err
    code, out, err = run(capsys, "apply", policy, "-r", str(target))
    assert code == 3 and f"no resources found in {target}" in out + err


def test_excluding_an_unknown_namespace_is_a_note_with_close_matches(
    files: Path, fake_cluster: Callable[..., FakeCluster], capsys: Any
) -> None:
    policy = str(files / "policy.yaml")
    code, out, err = run(capsys, "scan", "--snapshot", str(files / "snapshot"), "--policy", policy,
                         "--exclude-namespace", "shopp", "-o", "json")
    assert code == 1 and "web" in out, "the scan runs as without the flag"
    assert "note: --exclude-namespace 'shopp' excludes nothing" in err and "did you mean 'shop'?" in err
    kubeconfig = str(write_standard_kubeconfig(files / "kubeconfig", fake_cluster([NAMESPACE, BAD_POD]),
                                                 fake_cluster([])).path)
    code, out, err = run(capsys, "scan", "--kubeconfig", kubeconfig, "--policy", policy,
                         "--exclude-namespace", "shopp", "--exclude-namespace", "shop", "-o", "json")
    assert code == 0 and "note: --exclude-namespace 'shopp' excludes nothing" in err and "'shop'?" in err
    assert "excludes nothing: namespace 'shop' " not in err


NOT_OBJECTS = """\
apiVersion: v1
metadata: {name: no-kind}
---
kind: Pod
metadata: {name: no-api-version}
spec: {containers: [{name: c, image: "nginx:latest"}]}
"""


def test_apply_names_documents_that_are_not_kubernetes_objects(files: Path, capsys: Any, monkeypatch: Any) -> None:
    """A document without kind (or apiVersion) is neither dropped silently nor evaluated as a guess: it is named,
    and the run is incomplete, as scan --snapshot skips it."""
    (files / "odd.yaml").write_text(NOT_OBJECTS)
    policy = str(files / "policy.yaml")
    code, out, err = run(capsys, "apply", policy, "-r", str(files / "odd.yaml"), str(files / "pods.yaml"), "-o", "json")
    assert code == 3 and "web" in out, "the other resources are evaluated"
    assert f"{files / 'odd.yaml'} (document 1): not a Kubernetes object: no kind" in err
    assert f"{files / 'odd.yaml'} (document 2): not a Kubernetes object: no apiVersion" in err
    assert "no-api-version" not in out
    monkeypatch.setattr("sys.stdin", _Stdin(NOT_OBJECTS))
    code, _, err = run(capsys, "apply", policy, "-r", "-")
    assert code == 3 and "<stdin> (document 1): not a Kubernetes object: no kind" in err
    code, out, _ = run(capsys, "scan", "--snapshot", str(files / "odd.yaml"), "--policy", policy, "-o", "json")
    assert code == 3 and json.loads(out)["incomplete"] is True
