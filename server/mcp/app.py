"""The MCP server: the lifespan that builds :class:`~.state.AppState`, and every tool, resource and prompt registered.

This is the only module that imports the toolsets; they read their state from :mod:`.state`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp_types import Tool

from ..policysets import PolicyCatalog
from ..redaction import install_log_masking
from . import prompts, resources
from .apps import apps_extension
from .schemas import compact_input, compact_output
from .state import AppState, ServerSettings, build_state
from .tools import check_toolsets, register_tools, writes

log = logging.getLogger("pykyverno.mcp")

SERVER_NAME = "pykyverno"
INSTRUCTIONS = """\
pykyverno checks Kubernetes resources against Kyverno policies (bundled pod-security, best-practice and RBAC sets,
or your own). Flow: list_contexts -> (switch_context, or `context` on each call) -> scan_namespace or scan_cluster
-> explain_violation on a finding -> fix. Tools are read-only; secret values are redacted."""
#: With --allow-writes the server says what the write tools do and how their confirmation works instead.
WRITE_INSTRUCTIONS = INSTRUCTIONS.split(" Tools are read-only")[0] + """ Writes are enabled: check_kyverno, then
install_policy_set (Audit first), draft_policy_exception / create_policy_exception, publish_reports. Each write tool
answers a dry-run plan and a `confirm` value first; show the plan to the user and call again with confirm=<value> only
when they agree. Secret values are redacted everywhere."""


class PolicyServer(MCPServer[AppState]):
    """The MCP server, whose ``tools/list`` advertises compact schemas (see :mod:`.schemas`)."""

    async def list_tools(self) -> list[Tool]:
        """Every tool, with compact input and output schemas."""
        return [tool.model_copy(update={"input_schema": compact_input(tool.input_schema),
                                        "output_schema": compact_output(tool.output_schema)})
                for tool in await super().list_tools()]

def make_lifespan(settings: ServerSettings, catalog: PolicyCatalog) -> Callable[[MCPServer[AppState]], Any]:
    """The lifespan: builds :class:`AppState` at startup and closes the cluster clients at shutdown."""

    @asynccontextmanager
    async def lifespan(server: MCPServer[AppState]) -> AsyncIterator[AppState]:
        state = build_state(settings, catalog)
        if state.registry_error:
            log.warning("cluster tools are unavailable: %s", state.registry_error)
        try:
            yield state
        finally:
            if state.registry is not None:
                state.registry.close()

    return lifespan


def build_server(settings: ServerSettings | None = None) -> MCPServer[AppState]:
    """The MCP server with the tools of the chosen toolsets, and every resource and prompt, registered.

    :raises ValueError: when a ``--policy`` path or a toolset does not exist (checked before anything starts).
    """
    settings = settings or ServerSettings()
    toolsets = check_toolsets(settings.toolsets)  # fails fast on unknown names
    install_log_masking()  # no log record of the server shows a credential or a secret value it has seen
    catalog = PolicyCatalog(settings.policy_paths)  # fails fast on missing paths; shared by every session

    server = PolicyServer(
        SERVER_NAME,
        title="pykyverno policy governance",
        instructions=WRITE_INSTRUCTIONS if settings.allow_writes else INSTRUCTIONS,
        version=_version(),
        lifespan=make_lifespan(settings, catalog),
        log_level="WARNING",
        extensions=[apps_extension()],
    )
    register_tools(server, toolsets)
    if settings.allow_writes:
        writes.register(server)  # the write tools exist only when writes are enabled (whatever the toolsets)
    resources.register(server, catalog)
    prompts.register(server)
    return server


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("pykyverno")
    except Exception:  # pragma: no cover - not installed
        return "0"
