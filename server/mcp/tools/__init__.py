"""The MCP tools, one module per subject (contexts, scan, policies, reports), grouped into toolsets that
``pykyverno serve --toolsets`` enables. Every tool is read-only; none writes to a cluster. Each tool returns a
``CallToolResult`` whose structured content is a pydantic model (declared as its output schema) and whose text is
compact markdown for the model to read.

Tool modules are thin adapters over ``server/core``, ``server/scan`` and ``server/policysets``; they read state from
``server/mcp/state.py``, share only ``common`` and ``params``, and never import each other or ``server/commands``.
To add tools: declare them in a module's ``TOOLS`` (a :class:`~.common.ToolSpec` names the toolset) and list the
module's ``TOOLS`` in :data:`ALL_TOOLS`; a new toolset also gets a line in :data:`TOOLSETS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mcp.server.mcpserver import MCPServer

from . import contexts, migrate, policies, reports, scan
from .common import ToolSpec, add_tools

#: Every toolset, with what it is for (shown by ``pykyverno serve --help``).
TOOLSETS: dict[str, str] = {
    "contexts": "list_contexts, switch_context",
    "scan": "scan_namespace, scan_cluster",
    "explain": "explain_violation, list_policy_sets, describe_policy",
    "manifests": "scan_manifests, evaluate_policy, lint_policy (offline: manifests and policy authoring)",
    "reports": "get_policy_reports (PolicyReports Kyverno wrote in a cluster)",
    "migrate": "migrate_policy (kyverno.io/v1 policies rewritten as CEL policies)",
}
#: The toolsets served when none are chosen: the workflow list contexts -> switch -> scan -> explain.
DEFAULT_TOOLSETS: tuple[str, ...] = ("contexts", "scan", "explain")

ALL_TOOLS: tuple[ToolSpec, ...] = (*contexts.TOOLS, *scan.TOOLS, *policies.TOOLS, *reports.TOOLS,
                                   *migrate.TOOLS)


def check_toolsets(names: Iterable[str]) -> tuple[str, ...]:
    """The toolsets named (``all`` for every one), deduplicated; :class:`ValueError` for an unknown name."""
    chosen: list[str] = []
    for name in names:
        if name == "all":
            chosen.extend(TOOLSETS)
        elif name in TOOLSETS:
            chosen.append(name)
        else:
            raise ValueError(f"unknown toolset {name!r}; toolsets: {', '.join(TOOLSETS)}, all")
    return tuple(dict.fromkeys(chosen))


def register_tools(server: MCPServer[Any], toolsets: Iterable[str] = DEFAULT_TOOLSETS,
                   meta: Callable[[ToolSpec], dict[str, Any] | None] | None = None) -> list[str]:
    """Register the tools of ``toolsets`` on ``server`` (``meta`` may add ``_meta`` per tool); return their names."""
    if meta is None:
        return add_tools(server, ALL_TOOLS, check_toolsets(toolsets))
    return add_tools(server, ALL_TOOLS, check_toolsets(toolsets), meta)


__all__ = ["ALL_TOOLS", "DEFAULT_TOOLSETS", "TOOLSETS", "check_toolsets", "register_tools"]
