"""What every toolset uses to declare and answer its tools (toolsets import this, never each other)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, ResourceLink, TextContent, ToolAnnotations

from ...redaction import mask_data, mask_text
from ..answer_cap import cap_answer
from ..models import Out

#: Tools that read only the server's own data (policies, YAML the agent sends).
LOCAL = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
#: Tools that read from Kubernetes clusters (external systems whose state changes between calls).
CLUSTER = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=True)


def respond(model: Out, markdown: str, *links: ResourceLink) -> CallToolResult:
    """A tool answer: markdown text plus the model as structured content, both masked (credential patterns and
    the secret values this request has seen; see :mod:`pykyverno.server.redaction`), then capped in size (see
    :func:`~pykyverno.server.mcp.answer_cap.cap_answer`); ``links`` follow the text as resource links."""
    text, structured = cap_answer(mask_text(markdown), mask_data(model.model_dump(mode="json", by_alias=True)),
                                  type(model).__name__)
    return CallToolResult(content=[TextContent(type="text", text=text), *links], structured_content=structured)


@dataclass(frozen=True)
class ToolSpec:
    """A tool as a toolset declares it: the function (its docstring is the description agents read), a title, its
    annotations, and the toolset that enables it (``pykyverno serve --toolsets``)."""

    fn: Callable[..., Any]
    title: str
    annotations: ToolAnnotations
    toolset: str
    #: Extra ``_meta`` of the tool (e.g. the MCP Apps ``ui`` entry), added when the server offers it.
    meta: dict[str, Any] | None = None


def add_tool(server: MCPServer[Any], fn: Callable[..., Any], title: str, annotations: ToolAnnotations,
             meta: dict[str, Any] | None = None) -> None:
    """Register ``fn`` with its docstring, folded to one paragraph, as the description agents read."""
    description = " ".join(inspect.cleandoc(fn.__doc__ or "").split())
    server.tool(title=title, description=description, annotations=annotations, meta=meta)(fn)


def add_tools(server: MCPServer[Any], specs: Iterable[ToolSpec], toolsets: Iterable[str],
              meta: Callable[[ToolSpec], dict[str, Any] | None] = lambda spec: spec.meta) -> list[str]:
    """Register the tools of ``specs`` whose toolset is one of ``toolsets``; return their names."""
    enabled = set(toolsets)
    names = []
    for spec in specs:
        if spec.toolset in enabled:
            add_tool(server, spec.fn, spec.title, spec.annotations, meta(spec))
            names.append(spec.fn.__name__)
    return names


__all__ = ["CLUSTER", "LOCAL", "ToolSpec", "add_tool", "add_tools", "respond"]
