"""pykyverno's MCP server: policy tools for AI agents over stdio and streamable HTTP.

Build it with :func:`build_server` (tools, resources and prompts registered; state in a typed lifespan) and run it
with :mod:`.transport` (``pykyverno serve``).
"""

from .app import build_server
from .state import AppState, ServerSettings

__all__ = ["AppState", "ServerSettings", "build_server"]
