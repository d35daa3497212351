"""The seed article's deletion guard, through the CLI: DELETE of critical-db is denied without the annotation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pykyverno.server.cli import main

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed"

DATABASE = """
apiVersion: db.example.com/v1
kind: Database
metadata:
  name: {name}
  namespace: data
{annotations}
spec:
  engine: postgres
"""


def write_database(tmp_path: Path, name: str, allow: bool) -> Path:
    annotations = "  annotations:\n    kyverno.io/allow-delete: 'true'" if allow else ""
    path = tmp_path / f"{name}.yaml"
    path.write_text(DATABASE.format(name=name, annotations=annotations))
    return path


def run(capsys: pytest.CaptureFixture[str], resource: Path) -> tuple[int, dict[str, object]]:
    policy = SEED / "protect-critical-database-deletion.yaml"
    code = main(["apply", str(policy), "--resource", str(resource), "--operation", "DELETE", "-o", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_delete_without_annotation_is_denied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, write_database(tmp_path, "critical-db", allow=False))
    assert code == 1
    results = out["results"]
    assert isinstance(results, list)
    [result] = results
    assert result["result"] == "fail"
    assert "Deletion of critical database instance critical-db is not allowed" in result["message"]


def test_delete_with_annotation_is_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, write_database(tmp_path, "critical-db", allow=True))
    assert code == 0
    assert [r["result"] for r in out["results"]] == ["pass"]  # type: ignore[attr-defined]


def test_other_databases_are_not_guarded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, write_database(tmp_path, "scratch-db", allow=False))
    assert code == 0
    assert out["results"] == []
    assert out["summary"] == {"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0}
