"""The MCP tools, one module per toolset (contexts, scan, policies, reports). Every tool is read-only; none writes to
a cluster. Each tool returns a ``CallToolResult`` whose structured content is a pydantic model (declared as its
output schema) and whose text is compact markdown for the model to read.

Toolsets are thin adapters over ``server/core``, ``server/scan`` and ``server/policysets``; they read state from
``server/mcp/state.py``, share only ``common`` and ``params``, and never import each other or ``server/commands``.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer

from . import contexts, migrate, policies, reports, scan


def register_tools(server: MCPServer[Any]) -> None:
    """Register every toolset on ``server``."""
    for module in (contexts, scan, policies, reports, migrate):
        module.register(server)


__all__ = ["register_tools"]
