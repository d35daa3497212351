"""SARIF 2.1.0 from `apply -o sarif` and `scan --snapshot ... -o sarif`: the log validates against a schema of the
specification's objects (tests/server/report/sarif-2.1.0-subset.schema.json, written from the specification), has
one rule per policy described by its annotations and one result per failing (policy, resource), and each result
points at the file and line where the resource's document starts."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pykyverno.server.cli import main

SCHEMA = json.loads((Path(__file__).parent / "sarif-2.1.0-subset.schema.json").read_text())

POLICIES = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: no-privileged
  annotations:
    policies.kyverno.io/title: No privileged containers
    policies.kyverno.io/severity: critical
    policies.kyverno.io/category: Pod Security
    policies.kyverno.io/description: A privileged container owns the node.
    pykyverno.io/remediation: Set securityContext.privileged to false.
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false))
    message: privileged containers are not allowed
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: pinned-images
  annotations: {policies.kyverno.io/severity: low}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: object.spec.containers.all(c, !c.image.endsWith(':latest'))
    message: pin images
---
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: broken
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: object.metadata.labels['team'] == 'x'
    message: needs a team
"""

PODS = """\
# Pods for the SARIF test: comments and blank lines shift the documents.

apiVersion: v1
kind: Pod
metadata:
  name: fine
  labels: {team: x}
spec:
  containers: [{name: c, image: "nginx:1.27"}]
---
# the next document starts below this comment
apiVersion: v1
kind: Pod
metadata:
  name: root
  labels: {team: x}
spec:
  containers:
  - name: c
    image: nginx:latest
    securityContext: {privileged: true}
"""

LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: listed, namespace: apps, labels: {team: x}}
  spec:
    containers: [{name: c, image: "busybox:latest"}]
- apiVersion: v1
  kind: Pod
  metadata: {name: listed-2, namespace: apps}
  spec:
    containers: [{name: c, image: "busybox:1"}]
"""

JSON_PODS = [
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "from-json", "labels": {"team": "x"}},
     "spec": {"containers": [{"name": "c", "image": "redis:latest", "securityContext": {"privileged": True}}]}},
]


@pytest.fixture
def inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "policies.yaml").write_text(POLICIES)
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    (manifests / "pods.yaml").write_text(PODS)
    (manifests / "list.yaml").write_text(LIST)
    (manifests / "more.json").write_text(json.dumps(JSON_PODS, indent=2))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def document_at(path: Path, line: int) -> dict[str, Any]:
    """The YAML document (or List item, or JSON array element) that starts at ``line`` of the file, read from the
    file's text independently of the code under test."""
    lines = path.read_text().splitlines()
    first = lines[line - 1]
    if path.suffix == ".json":
        depth, chunk = 0, []
        for text in lines[line - 1:]:
            chunk.append(text)
            depth += text.count("{") - text.count("}")
            if depth == 0:
                break
        loaded: dict[str, Any] = json.loads("\n".join(chunk).rstrip().rstrip(","))
        return loaded
    if first.lstrip().startswith("- "):
        indent = len(first) - len(first.lstrip())
        chunk = [first.replace("- ", "  ", 1)]
        for text in lines[line:]:
            if (text.strip().startswith("- ") and len(text) - len(text.lstrip()) == indent) or text == "---":
                break
            chunk.append(text)
        return dict(yaml.safe_load(textwrap.dedent("\n".join(chunk))))
    chunk = []
    for text in lines[line - 1:]:
        if text == "---":
            break
        chunk.append(text)
    assert not first.startswith(("#", " ")) and first.strip(), f"line {line} of {path} does not start a document"
    return dict(yaml.safe_load("\n".join(chunk)))


def check_log(log: dict[str, Any], base: Path) -> list[dict[str, Any]]:
    """Schema-valid, rules indexed right, and each located result points at its resource's document."""
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        path = base / uri if physical["artifactLocation"].get("uriBaseId") == "%SRCROOT%" else Path(uri[7:])
        document = document_at(path, physical["region"]["startLine"])
        kind, name = location["logicalLocations"][0]["fullyQualifiedName"].split("/")[0], \
            location["logicalLocations"][0]["name"]
        assert (document["kind"], document["metadata"]["name"]) == (kind, name), result
    found: list[dict[str, Any]] = run["results"]
    return found


def test_apply_sarif(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["apply", "policies.yaml", "-r", "manifests", "-o", "sarif"])
    assert code == 1, "a Deny policy fails, as kyverno apply exits"
    log = json.loads(capsys.readouterr().out)
    results = check_log(log, inputs)
    located = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r for r in results}
    assert set(located) == {
        ("no-privileged", "root"), ("pinned-images", "root"), ("pinned-images", "listed"),
        ("no-privileged", "from-json"), ("pinned-images", "from-json"),
    }
    root = located[("no-privileged", "root")]
    assert root["level"] == "error" and root["kind"] == "fail"
    assert root["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "manifests/pods.yaml", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 12}}
    assert located[("pinned-images", "listed")]["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert located[("pinned-images", "root")]["level"] == "note"
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {"no-privileged", "pinned-images"}, "one rule per policy with a failing result"
    strict = rules["no-privileged"]
    assert strict["shortDescription"]["text"] == "No privileged containers"
    assert strict["fullDescription"]["text"] == "A privileged container owns the node."
    assert strict["help"]["text"] == "Set securityContext.privileged to false."
    assert strict["properties"]["security-severity"] == "9.5" and "Pod Security" in strict["properties"]["tags"]
    # The policy that errors on Pods without labels is reported as a tool notification, not as a clean pass.
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert any("broken could not evaluate Pod/apps/listed-2" in n["message"]["text"]
               for n in invocation["toolExecutionNotifications"])


def test_snapshot_scan_sarif(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--snapshot", "manifests", "--policy", "policies.yaml", "-o", "sarif"])
    assert code == 1, "an erroring policy exits 1, as a failing one does (as kyverno apply; issue 13)"
    log = json.loads(capsys.readouterr().out)
    results = check_log(log, inputs)
    names = {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]) for r in results}
    assert ("no-privileged", "root") in names and ("pinned-images", "listed") in names
    [root] = [r for r in results if r["ruleId"] == "no-privileged" and "root" in r["message"]["text"]]
    assert root["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Pod/root", \
        "a snapshot keeps the namespace as written (none)"


def test_unreadable_input_is_a_notification(inputs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (inputs / "manifests" / "broken.yaml").write_text("kind: [unclosed\n")
    main(["apply", "policies.yaml", "-r", "manifests", "-o", "sarif"])
    captured = capsys.readouterr()
    log = json.loads(captured.out)
    check_log(log, inputs)
    [invocation] = log["runs"][0]["invocations"]
    assert any("broken.yaml" in n["message"]["text"] for n in invocation["toolExecutionNotifications"])
    assert invocation["executionSuccessful"] is False


def test_sarif_of_a_cluster_scan_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--context", "x", "-o", "sarif"]) == 2
    assert "-o sarif locates findings in files" in capsys.readouterr().err


def test_schema_rejects_what_the_specification_forbids() -> None:
    """The schema used above is strict: it fails logs that break the specification."""
    good = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [
        {"ruleId": "r", "level": "error", "message": {"text": "m"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.yaml"}, "region": {"startLine": 1}}}]}]}]}
    jsonschema.validate(good, SCHEMA)
    for broken in (
        {**good, "version": "2.0.0"},
        {"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]},
        {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [{"level": "fatal",
                                                                                      "message": {"text": "m"}}]}]},
        {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [
            {"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a"},
                                                                            "region": {"startLine": 0}}}]}]}]},
        {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": [{"message": {}}]}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)
