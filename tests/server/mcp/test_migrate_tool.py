"""The ``migrate_policy`` MCP tool: converted YAML, rules not converted, verdicts compared on manifests."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from mcp import Client
from mcp_types import CallToolResult

pytestmark = pytest.mark.anyio

POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-team}
spec:
  validationFailureAction: Enforce
  rules:
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    validate:
      message: a team label is required
      pattern: {metadata: {labels: {team: "?*"}}}
  - name: add-owner
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate: {patchStrategicMerge: {metadata: {labels: {+(owner): me}}}}
"""

PODS = """
apiVersion: v1
kind: Pod
metadata: {name: good, namespace: default, labels: {team: a}}
spec: {containers: [{name: c, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: default}
spec: {containers: [{name: c, image: nginx}]}
"""


def content(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error is False, result.content
    assert result.structured_content is not None
    return dict(result.structured_content)


async def test_migrate_policy_converts_and_checks_on_manifests(client: Client) -> None:
    answer = content(await client.call_tool("migrate_policy", {"policy_yaml": POLICY, "resources_yaml": PODS}))
    assert answer["summary"] == {"rules": 2, "converted": 1, "pairs": 2, "agree": 2}
    [converted] = list(yaml.safe_load_all(answer["convertedYaml"]))
    assert converted["kind"] == "ValidatingPolicy" and converted["metadata"]["name"] == "require-team-team"
    assert converted["spec"]["validationActions"] == ["Deny"]
    not_converted = [r for r in answer["rules"] if not r["convertedTo"]]
    assert [(r["rule"], r["reason"]) for r in not_converted] == [
        ("add-owner", "the strategic merge key '+(owner)' (anchor or directive) is not translated")]
    assert answer["differences"] == []


async def test_migrate_policy_refuses_documents_without_legacy_policies(client: Client) -> None:
    result = await client.call_tool("migrate_policy", {"policy_yaml": PODS})
    assert result.is_error is True
    assert "no kyverno.io/v1 ClusterPolicy" in "".join(getattr(c, "text", "") for c in result.content)
