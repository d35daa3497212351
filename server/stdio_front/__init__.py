"""A front end for ``pykyverno serve`` over stdio that answers a client's opening requests while the MCP SDK loads.

``import mcp`` alone takes about half a second of CPU (its types package builds hundreds of pydantic models), longer
than the whole start-up budget. This package uses the standard library only: :mod:`.front` owns stdin/stdout from
the process start and hands every line to the SDK once it runs; :mod:`.cache` holds the SDK's earlier answers to the
same opening lines, keyed so that an answer is reused only for the identical request after identical lines, code and
settings. The SDK side of the hand-off is :func:`pykyverno.server.mcp.transport.serve_stdio`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .cache import AnswerCache, cache_dir, context_digest
from .front import StdioFront


def open_front(settings: Mapping[str, Any], code_dirs: Iterable[Path]) -> StdioFront | None:
    """A started :class:`StdioFront` for a server with ``settings`` (every option that shapes it) whose code lives
    in ``code_dirs``; None when stdin/stdout cannot be taken over or there is no cache folder (the SDK then serves
    them itself)."""
    directory = cache_dir()
    if directory is None:
        return None
    front = StdioFront(AnswerCache(directory), context_digest(code_dirs, settings))
    return front if front.start() else None


__all__ = ["StdioFront", "open_front"]
