"""Hostile YAML through the MCP tools (issue 11, items 2, 4, 10, 11, 12): a clear tool error naming the line, never
a crash, and the server keeps answering; JSON text works in every YAML-or-JSON parameter."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml
from mcp import Client
from mcp_types import CallToolResult

from pykyverno.server.mcp import ServerSettings, build_server

pytestmark = pytest.mark.anyio

RECURSIVE_POD = """apiVersion: v1
kind: Pod
metadata: &m {name: p, namespace: apps, self: *m}
spec: {containers: [{name: c, image: nginx}]}
"""
LAUGHS = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n" + "\n".join(
    [f"a: &a [{', '.join(['lol'] * 9)}]"]
    + [f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]" for prev, name in zip("abcdefgh", "bcdefghi", strict=True)]
) + "\n"
POD: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"},
                       "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}
POLICY: dict[str, Any] = {
    "apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy", "metadata": {"name": "require-team"},
    "spec": {
        "validationActions": ["Audit"],
        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                                                "operations": ["CREATE", "UPDATE"], "resources": ["pods"]}]},
        "validations": [{"expression": "'team' in object.metadata.?labels.orValue({})", "message": "team needed"}],
    },
}
EXCEPTION: dict[str, Any] = {
    "apiVersion": "policies.kyverno.io/v1", "kind": "PolicyException",
    "metadata": {"name": "allow", "namespace": "apps"},
    "spec": {"policyRefs": [{"name": "require-team", "kind": "ValidatingPolicy"}],
             "matchConditions": [{"name": "all", "expression": "true"}]},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def local_client() -> AsyncIterator[Client]:
    async with Client(build_server(ServerSettings(in_cluster=False, kubeconfig="/nonexistent"))) as client:
        yield client


def text(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)


def tool_error(result: CallToolResult) -> str:
    assert result.is_error is True, text(result)
    return text(result)


def ok(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error is False, text(result)
    assert result.structured_content is not None
    content: dict[str, Any] = result.structured_content
    return content


async def still_answers(client: Client) -> None:
    assert ok(await client.call_tool("list_policy_sets", {}))["sets"]


async def test_recursive_anchor_is_a_tool_error_in_every_yaml_parameter(local_client: Client) -> None:
    policy = yaml.safe_dump(POLICY)
    lines = len(policy.splitlines())
    calls = [
        ("scan_manifests", {"manifests_yaml": RECURSIVE_POD}, "line 3, column 11"),
        ("evaluate_policy", {"policy_yaml": policy, "resources_yaml": RECURSIVE_POD}, "line 3, column 11"),
        ("evaluate_policy", {"policy_yaml": policy + "x: &x [*x]\n", "resources_yaml": yaml.safe_dump(POD)},
         f"line {lines + 1}, column 4"),
        ("explain_violation", {"policy_yaml": policy, "manifest_yaml": RECURSIVE_POD}, "line 3, column 11"),
        ("lint_policy", {"policy_yaml": RECURSIVE_POD}, "line 3, column 11"),
    ]
    for tool, arguments, where in calls:
        result = await local_client.call_tool(tool, arguments)
        message = text(result)
        assert f"recursive alias to the node at {where}" in message, (tool, message)
        if tool == "lint_policy":
            assert ok(result)["valid"] is False
        else:
            assert result.is_error is True
        await still_answers(local_client)


async def test_billion_laughs_is_refused_quickly(local_client: Client) -> None:
    started = time.perf_counter()
    message = tool_error(await local_client.call_tool("scan_manifests", {"manifests_yaml": LAUGHS}))
    assert "excessive aliasing" in message and time.perf_counter() - started < 5
    await still_answers(local_client)


async def test_duplicate_keys_deep_nesting_and_long_integers_are_tool_errors(local_client: Client) -> None:
    policy = yaml.safe_dump(POLICY)
    duplicate = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nkind: Secret\n"
    message = tool_error(await local_client.call_tool("evaluate_policy", {"policy_yaml": policy,
                                                                          "resources_yaml": duplicate}))
    assert "resources_yaml (document 1): duplicate key 'kind' at line 4, column 1" in message
    deep = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    message = tool_error(await local_client.call_tool("scan_manifests", {"manifests_yaml": deep}))
    assert "nesting deeper than 200 levels at line 1" in message
    long_int = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {priority: " + "9" * 5000 + "}\n"
    message = tool_error(await local_client.call_tool("explain_violation", {"policy_yaml": policy,
                                                                            "manifest_yaml": long_int}))
    assert "integer of 5000 digits" in message and "line 4" in message
    await still_answers(local_client)


async def test_json_text_works_in_every_yaml_or_json_parameter(local_client: Client) -> None:
    policy, pod = json.dumps(POLICY), json.dumps(POD)
    data = ok(await local_client.call_tool("evaluate_policy", {
        "policy_yaml": policy, "resources_yaml": pod, "old_resources_yaml": pod, "operation": "UPDATE",
        "exceptions_yaml": json.dumps(EXCEPTION)}))
    assert [r["result"] for r in data["results"]] == ["skip"]
    data = ok(await local_client.call_tool("evaluate_policy", {"policy_yaml": policy, "resources_yaml": pod,
                                                               "old_resources_yaml": None, "exceptions_yaml": None}))
    assert [r["result"] for r in data["results"]] == ["fail"]
    data = ok(await local_client.call_tool("explain_violation", {"policy_yaml": policy, "manifest_yaml": pod}))
    assert data["policy"] == "require-team" and data["result"] == "fail"
    data = ok(await local_client.call_tool("scan_manifests", {"manifests_yaml": json.dumps([POD, POD])}))
    assert data["totals"]
    data = ok(await local_client.call_tool("lint_policy", {"policy_yaml": policy}))
    assert data["valid"] is True
    message = tool_error(await local_client.call_tool("explain_violation", {
        "policy_yaml": policy, "manifest_yaml": '{"kind": "Pod", "kind": "Secret"}'}))
    assert "duplicate key 'kind' at line 1, column 17" in message
