"""Toolset ``contexts``: which clusters the server can reach, and the session's default context."""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult
from pydantic import Field

from .. import render
from ..errors import ToolInputError, tool_errors
from ..models import ContextList, ContextModel, SwitchResult
from ..state import known_context, resolve_context, select_context, selected_context, session_store, state_of
from .common import LOCAL, ToolSpec, respond


@tool_errors("list_contexts")
async def list_contexts(ctx: Context) -> Annotated[CallToolResult, ContextList]:
    """List the Kubernetes contexts this server can use (from its kubeconfig, plus in-cluster when running in a
    pod): name, API server URL, user, default namespace, the kubeconfig's current context and the one selected for
    this session. Call it first when the user names a cluster, or before scanning several clusters. Never returns
    credentials."""
    state = state_of(ctx)
    registry = state.require_registry()
    infos = registry.contexts()
    selected = selected_context(ctx)
    current = registry.kubeconfig.current_context
    models = [ContextModel(name=c.name, cluster=c.cluster, server=c.server, user=c.user, namespace=c.namespace,
                           current=c.current, selected=c.name == (selected or current), source=c.source)
              for c in infos]
    answer = ContextList(contexts=models, selected=selected or (current if current in registry.available() else None),
                         current=current, session_scoped=session_store(ctx) is not None)
    return respond(answer, render.contexts(answer))


@tool_errors("switch_context")
async def switch_context(
    context: Annotated[str, Field(description="context name from list_contexts", min_length=1, max_length=253)],
    ctx: Context,
) -> Annotated[CallToolResult, SwitchResult]:
    """Select the default context for the rest of this MCP session; tools still accept `context` per call. The
    kubeconfig is never modified. On a connection without a session (stateless HTTP) this is an error: pass
    `context` to each tool instead."""
    state = state_of(ctx)
    registry = state.require_registry()
    name = known_context(registry, context)
    previous = selected_context(ctx)
    if not select_context(ctx, name):
        current = registry.kubeconfig.current_context
        raise ToolInputError(
            f"switch_context cannot remember {name!r}: this connection keeps no MCP session (protocol 2026-07-28 "
            "over stateless HTTP), so every later call without `context` would use the kubeconfig's current context "
            f"({current!r}). Pass context=\"{name}\" on every call instead (scan_namespace, explain_violation, "
            f"get_policy_reports; contexts=[\"{name}\"] for scan_cluster).")
    info = registry.kubeconfig.info(name)
    answer = SwitchResult(context=name, previous=previous, server=info.server if info else "", remembered=True)
    return respond(answer, render.switched(answer))


#: The tools of this module, each with the toolset that enables it.
TOOLS = (
    ToolSpec(list_contexts, "List Kubernetes contexts", LOCAL, "contexts"),
    ToolSpec(switch_context, "Select the session's context", LOCAL, "contexts"),
)


__all__ = ["TOOLS", "list_contexts", "resolve_context", "switch_context"]
