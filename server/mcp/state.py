"""The MCP server's state: settings, the :class:`AppState` the lifespan yields, and per-session scratch state (the
context an agent selected with ``switch_context``). Tools read state from here; this module imports no tool.

State lives in :class:`AppState`, never in module globals. The selected context is kept per MCP session (connection
state), never written to the kubeconfig.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from ..core.errors import InputError
from ..kube import ClientRegistry, ClientSettings
from ..kube.errors import KubeError
from ..policysets import PolicyCatalog
from ..writes import WriteFlow
from .scan_cache import DEFAULT_MAX_BYTES, ScanCache

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
    #: The write tools are listed (``--allow-writes`` / ``PYKYVERNO_ALLOW_WRITES``); off: none exists.
    allow_writes: bool = False

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
    #: The dry-run / confirm flow of the write tools and its pending confirmation tokens (None: writes are off).
    writes: WriteFlow | None = None

    def require_registry(self) -> ClientRegistry:
        """The registry, or an :class:`InputError` saying how to configure cluster access."""
        if self.registry is None or not self.registry.kubeconfig.names():
            raise InputError(
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
    return AppState(registry, catalog, settings, scans, error, writes=WriteFlow() if settings.allow_writes else None)


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
