"""The MCP server: the lifespan that builds :class:`~.state.AppState`, and every tool, resource and prompt registered.

This is the only module that imports the toolsets; they read their state from :mod:`.state`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer

from ..policysets import PolicyCatalog
from ..redaction import install_log_masking
from . import prompts, resources
from .state import AppState, ServerSettings, build_state
from .tools import register_tools, writes

log = logging.getLogger("pykyverno.mcp")

SERVER_NAME = "pykyverno"
INSTRUCTIONS = """\
pykyverno checks Kubernetes resources against Kyverno CEL policies (bundled best-practice and pod-security sets,
or your own). Typical flow: list_contexts -> (switch_context) -> scan_namespace or scan_cluster -> explain_violation
for a finding -> fix. To author a policy: lint_policy, then evaluate_policy against sample manifests. All tools are
read-only; no tool writes to a cluster. Secret values are redacted everywhere."""
#: With --allow-writes the server says what the write tools do and how their confirmation works instead.
WRITE_INSTRUCTIONS = INSTRUCTIONS.split(" All tools are")[0] + """ Writes are enabled: check_kyverno, then
install_policy_set (Audit first), draft_policy_exception / create_policy_exception, publish_reports. Each write tool
answers a dry-run plan and a `confirm` value first; show the plan to the user and call again with confirm=<value> only
when they agree. Secret values are redacted everywhere."""

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
    """The MCP server with every tool, resource and prompt registered.

    :raises ValueError: when a ``--policy`` path does not exist (checked before anything starts).
    """
    settings = settings or ServerSettings()
    install_log_masking()  # no log record of the server shows a credential or a secret value it has seen
    catalog = PolicyCatalog(settings.policy_paths)  # fails fast on missing paths; shared by every session

    server: MCPServer[AppState] = MCPServer(
        SERVER_NAME,
        title="pykyverno policy governance",
        instructions=WRITE_INSTRUCTIONS if settings.allow_writes else INSTRUCTIONS,
        version=_version(),
        lifespan=make_lifespan(settings, catalog),
        log_level="WARNING",
    )
    register_tools(server)
    if settings.allow_writes:
        writes.register(server)  # the write tools exist only when writes are enabled
    resources.register(server, catalog)
    prompts.register(server)
    return server


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("pykyverno")
    except Exception:  # pragma: no cover - not installed
        return "0"
