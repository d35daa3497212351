"""Every other place that reads YAML or JSON from users goes through the bounded reader (issue 11, items 2, 4, 10):
recursive anchors, alias bombs, deep nesting and long integers are clear errors there too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pykyverno.engine.cpol.json6902 import JsonPatchError, parse_operations
from pykyverno.engine.jmespath.datafns import parse_json, parse_yaml
from pykyverno.engine.jmespath.errors import FunctionError
from pykyverno.server.cli import main
from pykyverno.server.redaction import LAST_APPLIED, redact
from pykyverno.server.redaction.ledger import secret_scope

DEEP_JSON = "[" * 100_000 + "]" * 100_000
LAUGHS = "\n".join(
    [f"a: &a [{', '.join(['lol'] * 9)}]"]
    + [f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]" for prev, name in zip("abcdefgh", "bcdefghi", strict=True)]
) + "\n"


def test_jmespath_parse_functions_refuse_hostile_text() -> None:
    with pytest.raises(FunctionError, match="recursive alias"):
        parse_yaml("a: &a [1, *a]")
    with pytest.raises(FunctionError, match="excessive aliasing"):
        parse_yaml(LAUGHS)
    with pytest.raises(FunctionError, match="nesting deeper than 200 levels"):
        parse_json(DEEP_JSON)
    assert parse_json('{"a": 1, "a": 2}') == {"a": 2.0}, "Go's json.Unmarshal keeps the last duplicate"


def test_patches_json6902_refuse_recursive_anchors() -> None:
    with pytest.raises(JsonPatchError, match=r"failed to decode patches: .*recursive alias"):
        parse_operations("- &op {op: add, path: /metadata/x, value: *op}\n")
    assert parse_operations("- {op: add, path: /a, value: 1}\n") == [{"op": "add", "path": "/a", "value": 1}]


def test_redaction_of_a_hostile_last_applied_copy_does_not_crash() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "c", "annotations": {LAST_APPLIED: DEEP_JSON, "keep": "x"}}}
    with secret_scope():
        redacted = redact(obj)
    assert redacted["metadata"]["annotations"].get("keep") == "x"


def test_report_of_a_hostile_saved_scan_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scan = tmp_path / "scan.json"
    scan.write_text('{"summary": ' + DEEP_JSON + "}")
    code = main(["report", "diff", str(scan), str(scan)])
    err = capsys.readouterr().err
    assert code not in (0, 70) and "scan.json (document 1): nesting deeper than 200 levels at line 1" in err
    scan.write_text(json.dumps({"summary": {}}).replace("{}", '{"a": 1, "a": 2}'))
    code = main(["report", "html", str(scan)])
    assert code not in (0, 70) and "duplicate key 'a'" in capsys.readouterr().err
