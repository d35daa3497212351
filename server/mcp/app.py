"""The MCP server: state in a typed lifespan, one module per toolset, resources and prompts.

State lives in :class:`AppState` (yielded by the lifespan), never in module globals. The context an agent selects
with ``switch_context`` is kept per MCP session (connection state), never written to the kubeconfig.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from ..kube import ClientRegistry, ClientSettings
from ..kube.errors import KubeError
from ..redaction import install_log_masking
from ..scan import ScanReport
from .catalog import PolicyCatalog
from .errors import ToolInputError

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
    #: Scans kept for ``cursor`` paging, and for how long (seconds).
    scan_cache_size: int = 8
    scan_cache_ttl: float = 1800.0

    def client_settings(self) -> ClientSettings:
        """The cluster client settings (timeouts, context allow/deny lists)."""
        return ClientSettings(
            timeout=self.timeout,
            allow=frozenset(self.context_allow) if self.context_allow else None,
            deny=frozenset(self.context_deny),
        )


class ScanCache:
    """Recent scan reports by id, so that an agent can page through one scan without running it again."""

    def __init__(self, size: int, ttl: float) -> None:
        self.size = max(1, size)
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, str, ScanReport, list[str]]] = OrderedDict()
        self._lock = threading.Lock()
        self._counter = 0

    def put(self, tool: str, report: ScanReport, policy_sets: list[str]) -> str:
        """Store a report (and the sets it used); return its id."""
        with self._lock:
            self._counter += 1
            scan_id = f"s{self._counter}-{int(time.time()) % 100000}"
            self._items[scan_id] = (time.monotonic(), tool, report, list(policy_sets))
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return scan_id

    def get(self, scan_id: str, tool: str) -> tuple[ScanReport, list[str]]:
        """The report of ``scan_id`` and its policy sets.

        :raises ToolInputError: when it expired or belongs to another tool.
        """
        with self._lock:
            item = self._items.get(scan_id)
            if item is not None and time.monotonic() - item[0] > self.ttl:
                del self._items[scan_id]
                item = None
        if item is None:
            raise ToolInputError(
                "this cursor has expired (the server keeps only the most recent scans); run the scan again "
                "without `cursor`"
            )
        if item[1] != tool:
            raise ToolInputError(f"this cursor belongs to {item[1]}; pass it to {item[1]}, not {tool}")
        return item[2], item[3]


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
    return AppState(registry, catalog, settings, ScanCache(settings.scan_cache_size, settings.scan_cache_ttl), error)


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
