"""What the real pykyverno MCP server exposes, read through an in-memory MCP client session."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import Any

import anyio
from mcp import Client

from pykyverno.server.mcp import ServerSettings, build_server


@dataclass(frozen=True)
class ServerCatalog:
    """Tool names with their input parameter names, and the resource URI templates."""

    tools: dict[str, frozenset[str]]
    resource_templates: tuple[str, ...]
    resources: tuple[str, ...]

    @property
    def parameters(self) -> frozenset[str]:
        """Every parameter name of every tool."""
        return frozenset().union(*self.tools.values())


def _settings() -> ServerSettings:
    """No cluster at all: the tools used here work offline, and no developer kubeconfig is ever read."""
    return ServerSettings(kubeconfig=os.devnull, in_cluster=False)


async def _read_catalog() -> ServerCatalog:
    async with Client(build_server(_settings())) as client:
        tools = (await client.list_tools()).tools
        templates = (await client.list_resource_templates()).resource_templates
        resources = (await client.list_resources()).resources
    return ServerCatalog(
        tools={t.name: frozenset(t.input_schema.get("properties", {})) for t in tools},
        resource_templates=tuple(t.uri_template for t in templates),
        resources=tuple(str(r.uri) for r in resources),
    )


@cache
def server_catalog() -> ServerCatalog:
    """The catalog of the server built by :func:`pykyverno.server.mcp.build_server` (read once per test run)."""
    return anyio.run(_read_catalog)


async def _call(name: str, arguments: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    async with Client(build_server(_settings())) as client:
        result = await client.call_tool(name, arguments)
    return bool(result.is_error), dict(result.structured_content or {})


def call_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Call a tool of a fresh in-memory server; return its structured content (AssertionError on a tool error)."""
    is_error, content = anyio.run(_call, name, arguments)
    assert not is_error, f"{name} returned an error: {content}"
    return content
