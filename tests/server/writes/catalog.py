"""The tools a server with writes enabled adds, and which of them write (for the manifests' tests)."""

from __future__ import annotations

import os
from functools import cache

import anyio
from mcp import Client

from pykyverno.server.mcp import ServerSettings, build_server


async def _read(writes: bool) -> dict[str, bool]:
    settings = ServerSettings(kubeconfig=os.devnull, in_cluster=False, allow_writes=writes)
    async with Client(build_server(settings)) as client:
        tools = (await client.list_tools()).tools
    return {t.name: bool(t.annotations is not None and t.annotations.read_only_hint is False) for t in tools}


@cache
def tools_with_writes() -> dict[str, bool]:
    """Every tool of a server started with --allow-writes -> whether it writes (readOnlyHint false)."""
    return anyio.run(_read, True)
