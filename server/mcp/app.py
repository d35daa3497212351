"""The MCP server: state in a typed lifespan, one module per toolset, resources and prompts.

State lives in :class:`AppState` (yielded by the lifespan), never in module globals. The context an agent selects
with ``switch_context`` is kept per MCP session (connection state), never written to the kubeconfig.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from ..kube import ClientRegistry, ClientSettings
from ..kube.errors import KubeError
from ..redaction import install_log_masking
from .catalog import PolicyCatalog
from .errors import ToolInputError
from .scan_cache import DEFAULT_MAX_BYTES, ScanCache

log = logging.getLogger("pykyverno.mcp")

SERVER_NAME = "pykyverno"
INSTRUCTIONS = """\
pykyverno checks Kubernetes resources against Kyverno CEL policies (bundled best-practice and pod-security sets,
or your own). Typical flow: list_contexts -> (switch_context) -> scan_namespace or scan_cluster -> explain_violation
for a finding -> fix. To author a policy: lint_policy, then evaluate_policy against sample manifests. All tools are
read-only; no tool writes to a cluster. Secret values are redacted everywhere."""

_SELECTED = "pykyverno.selected_context"


@dataclass(frozen=True)
class ServerSettings:
    """How the server was started (from ``pykyverno serve`` flags)."""

    kubeconfig: str | None = None
    context_allow: tuple[str, ...] = ()
    context_deny: tuple[str, ...] = ()
    policy_paths: tuple[str, ...] = ()
    timeout: float = 10.0
    in_cluster: bool = True
    #: Findings shown per answer when the agent gives no ``limit``.
    default_limit: int = 20
    #: Scans kept for ``cursor`` paging, for how long (seconds), and the estimated memory they may hold together.
    scan_cache_size: int = 8
    scan_cache_ttl: float = 1800.0
    scan_cache_bytes: int = DEFAULT_MAX_BYTES
    #: Seconds one scan tool call may take (discovery, listing and evaluation); None: no limit.
    scan_timeout: float | None = 300.0

    def client_settings(self) -> ClientSettings:
        """The cluster client settings (timeouts, context allow/deny lists)."""
        return ClientSettings(
            timeout=self.timeout,
            allow=frozenset(self.context_allow) if self.context_allow else None,
            deny=frozenset(self.context_deny),
        )


@dataclass
class AppState:
    """Everything tools share: cluster clients, policies, settings, recent scans."""

    registry: ClientRegistry | None
    policies: PolicyCatalog
    settings: ServerSettings
    scans: ScanCache
    #: Why there is no registry (no kubeconfig, unreadable kubeconfig), for error messages.
    registry_error: str = ""
    #: Session state of single-client transports where the protocol keeps no connection (stdio, in-memory).
    local_session: dict[str, Any] = field(default_factory=dict)

    def require_registry(self) -> ClientRegistry:
        """The registry, or a :class:`ToolInputError` saying how to configure cluster access."""
        if self.registry is None or not self.registry.kubeconfig.names():
            raise ToolInputError(
                f"no cluster access is configured ({self.registry_error or 'no kubeconfig found'}). Restart the "
                "server with --kubeconfig or KUBECONFIG, or use the offline tools (evaluate_policy, lint_policy, "
                "describe_policy)."
            )
        return self.registry


def build_state(settings: ServerSettings, catalog: PolicyCatalog | None = None) -> AppState:
    """Read the kubeconfig (never written) and prepare the policy catalog."""
    catalog = catalog or PolicyCatalog(settings.policy_paths)
    registry: ClientRegistry | None = None
    error = ""
    try:
        registry = ClientRegistry.from_kubeconfig(
            settings.kubeconfig, settings=settings.client_settings(), in_cluster=settings.in_cluster
        )
        if not registry.kubeconfig.names():
            error = "the kubeconfig has no contexts and no in-cluster service account was found"
    except KubeError as exc:
        error = exc.message
    scans = ScanCache(settings.scan_cache_size, settings.scan_cache_ttl, settings.scan_cache_bytes)
    return AppState(registry, catalog, settings, scans, error)


def state_of(ctx: Context) -> AppState:
    """The :class:`AppState` of the request."""
    state = ctx.request_context.lifespan_context
    if not isinstance(state, AppState):  # pragma: no cover - wiring error
        raise RuntimeError("the MCP server was started without its lifespan")
    return state


def session_store(ctx: Context) -> dict[str, Any] | None:
    """Per-session scratch state, or None when the transport keeps no session (modern stateless HTTP).

    Handshake-era connections (stdio, the Inspector, streamable HTTP with ``Mcp-Session-Id``) keep a connection
    object per client. A modern (2026-07-28) request carries no session; over stdio and in-memory there is a single
    client per server run, so the lifespan state serves as its session.
    """
    rc = ctx.request_context
    connection = getattr(rc.session, "_connection", None)
    if connection is not None and rc.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        store = getattr(connection, "state", None)
        if isinstance(store, dict):
            return store
    if rc.request is None:
        return state_of(ctx).local_session
    return None


def selected_context(ctx: Context) -> str | None:
    """The context this session selected with ``switch_context`` (None: the kubeconfig's current context)."""
    store = session_store(ctx)
    value = store.get(_SELECTED) if store is not None else None
    return value if isinstance(value, str) else None


def select_context(ctx: Context, name: str) -> bool:
    """Remember ``name`` for this session; False when the transport keeps no session."""
    store = session_store(ctx)
    if store is None:
        return False
    store[_SELECTED] = name
    return True


def resolve_context(ctx: Context, context: str | None) -> str:
    """The context a tool uses: the argument, else the session's selection, else the current context."""
    registry = state_of(ctx).require_registry()
    return registry.resolve(context or selected_context(ctx))


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
    from . import prompts, resources
    from .tools import register_tools

    settings = settings or ServerSettings()
    install_log_masking()  # no log record of the server shows a credential or a secret value it has seen
    catalog = PolicyCatalog(settings.policy_paths)  # fails fast on missing paths; shared by every session

    server: MCPServer[AppState] = MCPServer(
        SERVER_NAME,
        title="pykyverno policy governance",
        instructions=INSTRUCTIONS,
        version=_version(),
        lifespan=make_lifespan(settings, catalog),
        log_level="WARNING",
    )
    register_tools(server)
    resources.register(server, catalog)
    prompts.register(server)
    return server


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("pykyverno")
    except Exception:  # pragma: no cover - not installed
        return "0"
