"""Review findings on the CLI (round 3): standard input policies, nothing to evaluate, documents without a kind,
unwritable output paths, ``migrate -``, incomplete scans in ``report diff``, unknown excluded namespaces."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

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
