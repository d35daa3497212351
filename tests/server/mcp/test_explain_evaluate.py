"""Claims that must be true (issue 13): evaluate_policy says whether a mutation changed each object (a flag and a
diff in the text); explain_violation picks the manifest document by kind, name and namespace, takes the admission
operation, and gives no fix for a result that needs none; names such as `null` and `true` arrive as written."""

from __future__ import annotations

import pytest
from mcp import Client

from .test_tools import BAD_POD, GOOD_POD, MUTATING_POLICY, error, ok, text

pytestmark = pytest.mark.anyio

ANNOTATED_POD = """
apiVersion: v1
kind: Pod
metadata: {name: done, namespace: apps, annotations: {owner: platform}}
spec:
  containers: [{name: main, image: nginx:1.27.3}]
"""
SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: bad, namespace: apps}
spec: {ports: [{port: 80}]}
"""
DATABASE = """
apiVersion: db.example.com/v1
kind: Database
metadata: {name: critical-db, namespace: data}
spec: {size: 1}
"""


async def test_evaluate_says_which_objects_a_mutation_changed(client: Client) -> None:
    result = await client.call_tool("evaluate_policy", {"policy_yaml": MUTATING_POLICY,
                                                        "resources_yaml": GOOD_POD + "---" + ANNOTATED_POD})
    data = ok(result)
    by_name = {p["resource"]["name"]: p for p in data["patched"]}
    assert by_name["good"]["changed"] is True and "+  annotations:" in by_name["good"]["diff"]
    assert "+    owner: platform" in by_name["good"]["diff"]
    assert by_name["done"]["changed"] is False and by_name["done"]["diff"] == ""
    said = text(result)
    assert "add-owner changed Pod/apps/good:" in said and "```diff" in said
    assert "add-owner matched Pod/apps/done but changed nothing." in said
    assert "changed Pod/apps/done" not in said


async def test_explain_chooses_the_document(client: Client) -> None:
    manifests = BAD_POD + "---" + SERVICE
    data = ok(await client.call_tool("explain_violation", {
        "policy": "disallow-privilege-escalation", "manifest_yaml": manifests, "kind": "Pod"}))
    assert data["resource"]["kind"] == "Pod" and data["result"] == "fail"
    assert data["scope"] == "manifest_yaml (no cluster): Pod/apps/bad"
    message = error(await client.call_tool("explain_violation", {
        "policy": "disallow-privilege-escalation", "manifest_yaml": manifests, "name": "bad"}))
    assert "holds 2 documents with name='bad' (Pod/apps/bad, Service/apps/bad)" in message
    message = error(await client.call_tool("explain_violation", {
        "policy": "disallow-privilege-escalation", "manifest_yaml": manifests, "kind": "Pod", "namespace": "prod"}))
    assert "no document of manifest_yaml has kind='Pod', namespace='prod'" in message and "Pod/apps/bad" in message


async def test_explain_takes_the_operation(client: Client) -> None:
    args = {"policy": "protect-critical-resource-deletion", "manifest_yaml": DATABASE}
    created = ok(await client.call_tool("explain_violation", args))
    assert created["result"] == "not-applicable" and created["operation"] == "CREATE" and "on CREATE" in created["note"]
    deleted = await client.call_tool("explain_violation", {**args, "operation": "DELETE"})
    data = ok(deleted)
    assert data["result"] == "fail" and data["operation"] == "DELETE"
    assert "(DELETE): **FAIL**" in text(deleted) and "How to fix: If the deletion is intended" in text(deleted)


async def test_no_fix_for_a_pass(client: Client) -> None:
    passing = await client.call_tool("explain_violation", {"policy": "disallow-privilege-escalation",
                                                           "manifest_yaml": GOOD_POD})
    data = ok(passing)
    assert data["result"] == "pass" and data["remediation"] == "" and data["patch"] == []
    assert "How to fix" not in text(passing)


async def test_names_like_json_literals_arrive_as_written(client: Client) -> None:
    pods = "\n---\n".join(GOOD_POD.replace("name: good", f"name: {n!r}") for n in ("null", "true", "other"))
    for name in ("null", "true"):
        data = ok(await client.call_tool("explain_violation", {"policy": "disallow-privilege-escalation",
                                                               "manifest_yaml": pods, "name": name}))
        assert data["resource"]["name"] == name
    message = error(await client.call_tool("get_policy_reports", {"namespace": "null"}))
    assert "namespace 'null' does not exist in context 'alpha'" in message
    message = error(await client.call_tool("explain_violation", {"policy": "require-labels", "kind": "Pod",
                                                                 "name": "null", "namespace": "shop"}))
    assert "Pod 'null' does not exist in namespace 'shop'" in message


MISSPELT_PATTERN = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: misspelt}
spec:
  rules:
  - name: no-latest
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: no latest
      patern: {spec: {containers: [{image: "!*:latest"}]}}
"""


async def test_a_policy_that_does_not_load_as_written_is_an_error(client: Client) -> None:
    message = error(await client.call_tool("evaluate_policy", {"policy_yaml": MISSPELT_PATTERN,
                                                               "resources_yaml": GOOD_POD}))
    assert "rule 'no-latest': unsupported rule type: validate" in message
    message = error(await client.call_tool("explain_violation", {"policy_yaml": MISSPELT_PATTERN,
                                                                 "manifest_yaml": GOOD_POD}))
    assert "rule 'no-latest': unsupported rule type: validate" in message
