"""``tools/list`` as a reviewed snapshot: any change of a tool name, annotation, input or output schema shows up as
a diff of ``snapshots/tools_list.json``. Regenerate with ``PYKYVERNO_UPDATE_SNAPSHOTS=1 pytest <this file>``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from pykyverno.server.mcp import ServerSettings, build_server

pytestmark = pytest.mark.anyio

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools_list.json"


async def current_tools() -> list[dict[str, Any]]:
    async with Client(build_server(ServerSettings(in_cluster=False))) as c:
        tools = (await c.list_tools()).tools
    return [
        {
            "name": t.name,
            "title": t.title,
            "description": t.description,
            "annotations": t.annotations.model_dump(mode="json", by_alias=True, exclude_none=True)
            if t.annotations else None,
            "inputSchema": t.input_schema,
            "outputSchema": t.output_schema,
            "meta": t.meta,
        }
        for t in sorted(tools, key=lambda t: t.name)
    ]


async def test_tools_list_matches_snapshot() -> None:
    tools = await current_tools()
    rendered = json.dumps(tools, indent=2, sort_keys=True) + "\n"
    if os.environ.get("PYKYVERNO_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered)
    assert SNAPSHOT.is_file(), "snapshot missing: run with PYKYVERNO_UPDATE_SNAPSHOTS=1"
    assert rendered == SNAPSHOT.read_text(), "tools/list changed: review the diff and regenerate the snapshot"


async def test_every_tool_is_read_only_documented_and_typed() -> None:
    for tool in await current_tools():
        annotations = tool["annotations"]
        assert annotations["readOnlyHint"] is True and annotations["destructiveHint"] is False, tool["name"]
        assert "openWorldHint" in annotations, tool["name"]
        assert tool["outputSchema"] and tool["outputSchema"]["type"] == "object", tool["name"]
        for name, prop in tool["inputSchema"].get("properties", {}).items():
            assert prop.get("description"), f"{tool['name']}.{name} has no description"
