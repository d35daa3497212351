"""pykyverno's MCP server: policy tools for AI agents over stdio and streamable HTTP.

Build it with :func:`build_server` (tools, resources and prompts registered; state in a typed lifespan) and run it
with :mod:`.transport` (``pykyverno serve``). ``state`` holds settings and session state, ``tools`` one module per
toolset, ``models`` and ``render`` the structured and text answers, ``errors`` the two error channels.

May import ``server/core``, ``server/scan``, ``server/policysets``, ``server/kube``, ``server/redaction``,
``server/output`` and the engine; never ``server/commands``.
"""

from .app import build_server
from .state import AppState, ServerSettings

__all__ = ["AppState", "ServerSettings", "build_server"]
