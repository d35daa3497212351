"""Toolsets and the size of ``tools/list``: ``pykyverno serve`` answers ``tools/list`` within 15,000 characters by
default (measured on the raw JSON-RPC line over stdio), serves opt-in toolsets on request, and refuses unknown
ones."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from mcp import Client

from pykyverno.server.cli import main
from pykyverno.server.mcp import ServerSettings, build_server
from pykyverno.server.mcp.schemas import compact_input, compact_output
from pykyverno.server.mcp.tools import ALL_TOOLS, DEFAULT_TOOLSETS, TOOLSETS

from .test_transports import child_env

pytestmark = pytest.mark.anyio

#: The budget of the default ``tools/list`` answer (issue 15).
TOOLS_LIST_BUDGET = 15_000
DEFAULT_TOOLS = {"list_contexts", "switch_context", "scan_namespace", "scan_cluster", "explain_violation",
                 "list_policy_sets", "describe_policy"}


def raw_tools_list(*serve_args: str) -> tuple[str, dict[str, Any]]:
    """The raw ``tools/list`` response line of ``pykyverno serve`` over stdio (after the initialize handshake)."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    ]
    with subprocess.Popen([sys.executable, "-m", "pykyverno.server.cli", "serve", *serve_args],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env=child_env(KUBECONFIG="/nonexistent")) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            for message in messages:
                proc.stdin.write(json.dumps(message) + "\n")
                proc.stdin.flush()
            while True:
                line = proc.stdout.readline()
                assert line, "the server closed stdout without answering tools/list"
                answer = json.loads(line)
                if answer.get("id") == 2:
                    return line.rstrip("\n"), answer
        finally:
            proc.terminate()


def test_default_tools_list_fits_the_budget() -> None:
    line, answer = raw_tools_list()
    names = {t["name"] for t in answer["result"]["tools"]}
    assert names == DEFAULT_TOOLS
    print(f"\ndefault tools/list answer: {len(line)} characters, {len(names)} tools")
    assert len(line) <= TOOLS_LIST_BUDGET
    full_line, full = raw_tools_list("--toolsets", "all")
    print(f"--toolsets all: {len(full_line)} characters, {len(full['result']['tools'])} tools")
    assert {t["name"] for t in full["result"]["tools"]} == {s.fn.__name__ for s in ALL_TOOLS}


def test_toolsets_flag_and_environment() -> None:
    _, answer = raw_tools_list("--toolsets", "contexts,manifests")
    assert {t["name"] for t in answer["result"]["tools"]} == {"list_contexts", "switch_context", "scan_manifests",
                                                              "evaluate_policy", "lint_policy"}


def test_unknown_toolset_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--toolsets", "scan,writess"]) == 2
    assert "unknown toolset 'writess'" in capsys.readouterr().err


def test_every_tool_belongs_to_a_known_toolset_and_defaults_exist() -> None:
    assert {s.toolset for s in ALL_TOOLS} == set(TOOLSETS)
    assert set(DEFAULT_TOOLSETS) <= set(TOOLSETS)
    with pytest.raises(ValueError, match="unknown toolset"):
        build_server(ServerSettings(in_cluster=False, toolsets=("nope",)))


async def test_compact_schemas_still_describe_the_answers() -> None:
    """Structured content of real answers validates against the advertised (compact) output schema, and the input
    schema keeps each parameter's description and type."""
    jsonschema = pytest.importorskip("jsonschema")
    async with Client(build_server(ServerSettings(in_cluster=False))) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        result = await c.call_tool("list_policy_sets", {})
    jsonschema.validate(result.structured_content, tools["list_policy_sets"].output_schema)
    explain = tools["explain_violation"].input_schema["properties"]
    assert explain["kind"]["type"] == "string" and explain["kind"]["description"]
    assert "title" not in explain["kind"] and "anyOf" not in explain["context"]


def test_compaction_rules() -> None:
    optional = {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}], "default": None, "title": "X",
                "description": "d"}
    assert compact_input({"properties": {"title": optional}, "title": "Args", "type": "object"}) == {
        "properties": {"title": {"type": "string", "maxLength": 5, "description": "d"}}, "type": "object"}
    output = {"type": "object", "required": ["a"], "$defs": {"M": {}}, "properties": {
        "a": {"type": "string", "title": "A"}, "b": {"$ref": "#/$defs/M"}, "c": {"type": "array", "items": {}},
        "d": {"anyOf": [{"type": "string"}, {"type": "null"}]}, "e": {}}}
    assert compact_output(output) == {"type": "object", "required": ["a"], "properties": {
        "a": {"type": "string"}, "b": {"type": "object"}, "c": {"type": "array"}, "d": {"type": ["string", "null"]},
        "e": {}}}
