"""Regressions of issue 11 through the MCP tools: Secrets read through a name of ``.`` (item 1), a value that
escaped entry redaction (the last line of defence), credentials of kubeconfig server URLs (item 6), and repeated
or runaway lookups from CEL (item 8)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import CallToolResult

from pykyverno.server.mcp import ServerSettings, build_server
from pykyverno.server.redaction import REDACTED, objects
from tests.fakeapi import FakeCluster

from .conftest import SECRET_VALUE, Clusters

pytestmark = pytest.mark.anyio

SECRET_TEXT = base64.b64decode(SECRET_VALUE).decode()  # super-secret-value


def dumped(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content) + json.dumps(result.structured_content)


def policy(expression: str, message_expression: str, resources: str = "pods") -> str:
    return f"""
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {{name: peek}}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [{resources}]}}]
  validations:
  - expression: {json.dumps(expression)}
    messageExpression: {json.dumps(message_expression)}
"""


async def test_explain_refuses_a_name_of_dot(client: Client, clusters: Clusters) -> None:
    """Item 1: ``secrets/.`` became a LIST of every Secret of the namespace, shown unredacted."""
    clusters.alpha.clear_requests()
    for name in (".", ".."):
        result = await client.call_tool("explain_violation", {
            "policy_yaml": policy("true", "'x'", "secrets"), "kind": "secrets", "name": name, "namespace": "shop"})
        assert result.is_error and "invalid object name" in dumped(result)
        assert SECRET_VALUE not in dumped(result) and SECRET_TEXT not in dumped(result)
    assert not [r for r in clusters.alpha.requests if "/secrets" in r.path], "no Secret request was sent"


async def test_cel_lookups_cannot_list_secrets_through_a_dot(client: Client) -> None:
    """Item 1 from CEL: ``resource.Get('v1', 'secrets', 'shop', '.')`` returned the SecretList."""
    for call in ("resource.Get('v1', 'secrets', 'shop', '.').items[0].data.password",
                 "resource.Get('v1', 'secrets', 'shop', '..').items[0].data.password",
                 "resource.List('v1', 'secrets', 'shop').items[0].data.password",
                 "resource.Get('v1', 'secrets', 'shop', 'db').data.password"):
        result = await client.call_tool("explain_violation", {
            "policy_yaml": policy("false", call), "kind": "Pod", "name": "bad", "namespace": "shop"})
        assert SECRET_VALUE not in dumped(result) and SECRET_TEXT not in dumped(result), call


async def test_values_that_escape_entry_redaction_are_still_masked(client: Client,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The last line of defence: with Secret redaction broken on purpose, the values it remembers stay masked."""
    original = objects._redact_secret

    def remember_only(obj: dict[str, Any]) -> dict[str, Any]:
        original(obj)  # remembers every value...
        return obj  # ...but lets the object through unredacted

    monkeypatch.setattr(objects, "_redact_secret", remember_only)
    cases = [("false", "resource.Get('v1', 'secrets', 'shop', 'db').data.password"),
             ("false", "'cut: ' + resource.Get('v1', 'secrets', 'shop', 'db').data.password.substring(0, 20)"),
             ("ip(resource.Get('v1', 'secrets', 'shop', 'db').data.password).family() == 4", "'x'")]  # error text
    for expression, message in cases:
        result = await client.call_tool("explain_violation", {
            "policy_yaml": policy(expression, message), "kind": "Pod", "name": "bad", "namespace": "shop"})
        assert SECRET_VALUE not in dumped(result) and SECRET_VALUE[:16] not in dumped(result), message
        assert REDACTED in dumped(result)


async def test_kubeconfig_server_urls_never_show_credentials(tmp_path: Path, clusters: Clusters) -> None:
    """Item 6: ``?access_token=…`` and ``user:password@`` of a server URL showed in list_contexts, switch_context
    and the scan's ``server`` field."""
    port = clusters.alpha.url.rsplit(":", 1)[1]
    kubeconfig = clusters.kubeconfig.read_text().replace(
        clusters.alpha.url, f"https://admin:url-password-1@127.0.0.1:{port}/?access_token=url-token-123456")
    path = tmp_path / "kubeconfig-with-url-credentials"
    path.write_text(kubeconfig)
    async with Client(build_server(ServerSettings(kubeconfig=str(path), timeout=3.0))) as c:
        answers = [await c.call_tool("list_contexts", {}), await c.call_tool("switch_context", {"context": "alpha"}),
                   await c.call_tool("scan_namespace", {"namespace": "shop", "limit": 2})]
    for answer in answers:
        assert not answer.is_error, dumped(answer)
        assert "url-password-1" not in dumped(answer) and "url-token-123456" not in dumped(answer)
    assert json.loads(json.dumps(answers[2].structured_content))["clusters"][0]["server"] == \
        f"https://127.0.0.1:{port}/?access_token={REDACTED}"
    requested = [r.path + str(r.query) for r in clusters.alpha.requests]
    assert requested and not any("url-token" in r for r in requested), "the query string is not sent either"


async def test_repeated_lookups_are_cached_and_distinct_ones_capped(client: Client, clusters: Clusters) -> None:
    """Item 8: ``lists.range(100).map(i, size(resource.List(...).items))`` made 100 full LISTs."""
    clusters.alpha.clear_requests()
    repeated = "lists.range(100).map(i, size(resource.List('v1', 'pods', '').items)).sum() > 0"
    result = await client.call_tool("explain_violation", {
        "policy_yaml": policy(repeated, "'ok'"), "kind": "Pod", "name": "bad", "namespace": "shop"})
    assert not result.is_error and result.structured_content["result"] == "pass", dumped(result)
    pod_lists = [r for r in clusters.alpha.requests if r.path == "/api/v1/pods"]
    assert len(pod_lists) == 1, f"one LIST for a hundred identical lookups, got {len(pod_lists)}"
    distinct = "lists.range(1000).all(i, resource.List('v1', 'pods', '', {'n': string(i)}).items.size() == 0)"
    result = await client.call_tool("explain_violation", {
        "policy_yaml": policy(distinct, "'ok'"), "kind": "Pod", "name": "bad", "namespace": "shop"})
    assert result.structured_content["result"] == "error", dumped(result)
    assert "64 distinct lookups" in dumped(result) and "PYKYVERNO_MAX_LOOKUPS" in dumped(result)
    pod_lists = [r for r in clusters.alpha.requests if r.path == "/api/v1/pods"]
    assert len(pod_lists) <= 1 + 64


def test_fake_cluster_type_is_used(clusters: Clusters) -> None:
    assert isinstance(clusters.alpha, FakeCluster)
