"""Reports written to files are masked like everything the CLI prints: a credential in a policy message never
reaches an HTML page, a SARIF log or a saved scan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pykyverno.server.cli import main

POLICY = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: echo-note
  annotations: {policies.kyverno.io/severity: high}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "false"
    messageExpression: "'note: ' + object.metadata.annotations['note']"
"""

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: chatty
  namespace: apps
  annotations:
    note: 'connect with password=hunter2-secret {"env": "DB_PASS=hunter2-again\\nLOG=1"}'
spec:
  containers: [{name: c, image: "busybox:1"}]
"""


@pytest.mark.parametrize("fmt", ["html", "sarif", "json", "table"])
def test_files_are_masked(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "pod.yaml").write_text(POD)
    out = tmp_path / f"out.{fmt}"
    main(["scan", "--snapshot", str(manifests), "--policy", str(tmp_path / "policy.yaml"), "-o", fmt,
          "--output-file", str(out)])
    text = out.read_text()
    assert "hunter2" not in text
    assert "note: connect with password=<redacted>" in text.replace("\\u003c", "<")
    if fmt in ("sarif", "json"):
        json.loads(text)  # masked as data: still valid JSON
    if fmt == "html":
        block = text.split('<script type="application/json" id="report-data">')[1].split("</script>")[0]
        assert any("password=<redacted>" in s for s in json.loads(block)["strings"])
    main(["report", "html", str(out), "--output-file", str(tmp_path / "again.html")]) if fmt == "json" else None
    if fmt == "json":
        assert "hunter2" not in (tmp_path / "again.html").read_text()
    assert "hunter2" not in capsys.readouterr().out
