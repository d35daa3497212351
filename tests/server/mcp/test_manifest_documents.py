"""evaluate_policy on a resource document that is not a Kubernetes object (no kind or apiVersion): an isError
naming the document, never a silently smaller evaluation."""

from __future__ import annotations

import pytest
from mcp import Client

from .test_tools import GOOD_POD, MUTATING_POLICY, error

pytestmark = pytest.mark.anyio


async def test_evaluate_names_documents_without_kind_or_api_version(client: Client) -> None:
    no_kind = "apiVersion: v1\nmetadata: {name: no-kind}\n"
    no_api_version = "kind: Pod\nmetadata: {name: no-api-version}\nspec: {containers: [{name: c, image: nginx}]}\n"
    said = error(await client.call_tool("evaluate_policy", {
        "policy_yaml": MUTATING_POLICY, "resources_yaml": GOOD_POD + "---\n" + no_kind + "---\n" + no_api_version}))
    assert "resources_yaml (document 2): not a Kubernetes object: no kind" in said
    assert "resources_yaml (document 3): not a Kubernetes object: no apiVersion" in said
