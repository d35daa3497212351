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
