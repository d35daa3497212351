"""The MCP tools, one module per toolset. Every tool is read-only; none writes to a cluster.

Each tool returns a ``CallToolResult`` whose structured content is a pydantic model (declared as its output schema)
and whose text is compact markdown for the model to read.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from ...redaction import mask_data, mask_text
from ..answer_cap import cap_answer
from ..models import Out

#: Tools that read only the server's own data (policies, YAML the agent sends).
LOCAL = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
#: Tools that read from Kubernetes clusters (external systems whose state changes between calls).
CLUSTER = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)


def respond(model: Out, markdown: str) -> CallToolResult:
    """A tool answer: markdown text plus the model as structured content, both masked (credential patterns and
    the secret values this request has seen; see :mod:`pykyverno.server.redaction`), then capped in size (see
    :func:`~pykyverno.server.mcp.answer_cap.cap_answer`)."""
    text, structured = cap_answer(mask_text(markdown), mask_data(model.model_dump(mode="json", by_alias=True)),
                                  type(model).__name__)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)


def add_tool(server: MCPServer[Any], fn: Callable[..., Any], title: str, annotations: ToolAnnotations) -> None:
    """Register ``fn`` with its docstring, folded to one paragraph, as the description agents read."""
    description = " ".join(inspect.cleandoc(fn.__doc__ or "").split())
    server.tool(title=title, description=description, annotations=annotations)(fn)


def register_tools(server: MCPServer[Any]) -> None:
    """Register every toolset on ``server``."""
    from . import contexts, policies, reports, scan

    for module in (contexts, scan, policies, reports):
        module.register(server)


__all__ = ["CLUSTER", "LOCAL", "add_tool", "register_tools", "respond"]
