"""`pykyverno lint`: the CEL error with its field path and caret, advice, and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pykyverno.server.cli import main

BROKEN = """
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: broken}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: object.spec.containers.all(c, c.image ==)
"""


def test_lint_reports_position_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    assert main(["lint", str(path)]) == 1
    out = capsys.readouterr().out
    assert "spec.validations[0].expression" in out and "[expression line 1, column 41]" in out
    assert "^" in out and "policies.kyverno.io/severity" in out
    assert main(["lint", str(path), "-o", "json"]) == 1
    report = json.loads(capsys.readouterr().out)[str(path)]
    assert report["valid"] is False and report["errors"][0]["path"] == "spec.validations[0].expression"


def test_lint_accepts_the_bundled_policies(capsys: pytest.CaptureFixture[str]) -> None:
    sets = Path(__file__).resolve().parents[3] / "server" / "policysets" / "pod-security-baseline"
    files = [str(p) for p in sorted(sets.glob("*.yaml")) if p.name != "set.yaml"]
    assert main(["lint", *files]) == 0
    assert capsys.readouterr().out.count(": ok (") == len(files)
