"""Running the MCP server: stdio, or streamable HTTP at ``/mcp`` with bearer-token auth, TLS and ``/healthz``.

Misconfiguration (no token, unreadable token file, bad certificate paths, port in use, plain HTTP on a network
address) stops the start with a :class:`StartupError` whose message says what to change; nothing is ever written to
stdout except the MCP stream.

Connections are guarded below the ASGI app (:class:`GuardedH11Protocol`): request headers must arrive within
``header_timeout`` seconds of the connection (or of the previous response), a request body may not stall for more
than ``idle_timeout`` seconds, and connections beyond ``max_connections`` are answered 503 and closed, so that
half-open connections cannot pile up. ``Host`` and ``Origin`` headers are parsed strictly before any other check.
``/healthz`` answers ``{"status": "ok"}`` and nothing else.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import h11
import mcp_types
import uvicorn
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared._context_streams import create_context_streams
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCResponse
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..stdio_front import StdioFront

log = logging.getLogger("pykyverno.mcp")

TOKEN_ENV = "PYKYVERNO_MCP_TOKEN"
MIN_TOKEN_LENGTH = 16
MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class StartupError(Exception):
    """The server cannot start as configured; the message says how to fix it."""


@dataclass(frozen=True)
class HttpOptions:
    """Options of the streamable HTTP transport."""

    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    allow_unauthenticated_loopback: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    #: Serve plain HTTP on a non-loopback address (behind a TLS-terminating proxy or on a private network).
    allow_insecure_http: bool = False
    #: Seconds a connection may take to send a request's headers.
    header_timeout: float = 10.0
    #: Seconds a request body may stall.
    idle_timeout: float = 30.0
    #: Open connections served at once; more are answered 503 and closed.
    max_connections: int = 100

    @property
    def scheme(self) -> str:
        """``https`` when TLS files are given."""
        return "https" if self.tls_cert else "http"


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts local connections."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The bearer token from ``token_file`` (first line, stripped) or ``$PYKYVERNO_MCP_TOKEN``."""
    env = os.environ if environ is None else environ
    if token_file:
        try:
            text = Path(token_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise StartupError(f"cannot read --token-file {token_file!r}: {exc.strerror or exc}") from None
        token = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not token:
            raise StartupError(f"--token-file {token_file!r} is empty")
        return token
    value = env.get(TOKEN_ENV, "").strip()
    return value or None


def check_http_options(options: HttpOptions) -> None:
    """Refuse unsafe or broken HTTP settings before binding anything."""
    if options.token is None:
        if not options.allow_unauthenticated_loopback:
            raise StartupError(
                "the HTTP transport needs a bearer token: pass --token-file FILE or set PYKYVERNO_MCP_TOKEN "
                "(e.g. generate one with `openssl rand -hex 32`); for a local test only, "
                "--allow-unauthenticated-loopback with --host 127.0.0.1 disables authentication")
        if not is_loopback(options.host):
            raise StartupError(
                f"--allow-unauthenticated-loopback only works on a loopback address, not {options.host!r}; bind "
                "127.0.0.1 or give a token")
    elif len(options.token) < MIN_TOKEN_LENGTH:
        raise StartupError(f"the bearer token is shorter than {MIN_TOKEN_LENGTH} characters; use a random token "
                           "(e.g. `openssl rand -hex 32`)")
    if bool(options.tls_cert) != bool(options.tls_key):
        raise StartupError("TLS needs both --tls-cert and --tls-key")
    if options.tls_cert and options.tls_key:
        for flag, path in (("--tls-cert", options.tls_cert), ("--tls-key", options.tls_key)):
            if not Path(path).is_file():
                raise StartupError(f"{flag} {path!r} does not exist or is not a file")
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(options.tls_cert, options.tls_key)
        except (ssl.SSLError, OSError) as exc:
            raise StartupError(f"cannot load the TLS certificate and key ({options.tls_cert}, {options.tls_key}): "
                               f"{getattr(exc, 'reason', None) or exc}; they must be PEM files of a matching pair") \
                from None
    if not 0 <= options.port <= 65535:
        raise StartupError(f"--port {options.port} is not a TCP port")
    if not is_loopback(options.host) and not options.tls_cert and not options.allow_insecure_http:
        raise StartupError(
            f"refusing to serve plain HTTP on {options.host!r}: the bearer token and every answer would cross the "
            "network unencrypted. Give --tls-cert and --tls-key, bind 127.0.0.1, or pass --allow-insecure-http if "
            "a TLS-terminating proxy, a service mesh or a private network protects the traffic")
    if not (options.header_timeout > 0 and options.idle_timeout > 0):
        raise StartupError("--header-timeout and --idle-timeout must be more than 0 seconds")
    if options.max_connections < 1:
        raise StartupError(f"--max-connections {options.max_connections} must be at least 1")


def transport_security(options: HttpOptions) -> TransportSecuritySettings:
    """DNS-rebinding protection settings, always explicit.

    Loopback binds accept loopback Host headers only. Other binds accept the ``--allowed-host`` values; without
    any, Host checking is off (requests still need the bearer token, which a rebinding page does not have).
    """
    if is_loopback(options.host):
        hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*", *options.allowed_hosts]
    elif options.allowed_hosts:
        hosts = list(options.allowed_hosts)
    else:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    origins = [f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                     allowed_origins=origins)


#: ``host[:port]`` as RFC 9110 allows in a Host header: a registered name, IPv4 or a bracketed IPv6 literal, and
#: digits for the port. Anything else (userinfo ``a@b``, paths, spaces, several ports) is refused.
_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]{1,5})?")
_ORIGIN = re.compile(r"https?://" + _HOST.pattern)


def valid_host(value: str) -> bool:
    """Whether ``value`` is a well-formed ``Host`` header value (``host[:port]``)."""
    return _HOST.fullmatch(value) is not None


def valid_origin(value: str) -> bool:
    """Whether ``value`` is a well-formed ``Origin`` (``http(s)://host[:port]``, no path or userinfo)."""
    return _ORIGIN.fullmatch(value) is not None


class StrictHeaders:
    """ASGI middleware: a request whose ``Host`` (one, well-formed) or ``Origin`` header is malformed is refused
    before anything else looks at it (the SDK's Host check matches ``127.0.0.1:*`` by prefix, so a Host such as
    ``127.0.0.1:1@evil`` would pass it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        hosts = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k.lower() == b"host"]
        origins = [v.decode("latin-1") for k, v in scope.get("headers") or [] if k.lower() == b"origin"]
        if len(hosts) != 1 or not valid_host(hosts[0]):
            await _reject(send, 400, "invalid_host", "the Host header must be one host[:port]")
            return
        if len(origins) > 1 or (origins and not valid_origin(origins[0])):
            await _reject(send, 403, "invalid_origin", "the Origin header must be one scheme://host[:port]")
            return
        await self.app(scope, receive, send)


async def _reject(send: Send, status: int, error: str, message: str) -> None:
    body = json.dumps({"error": error, "message": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with connection guards (see the module docstring); :func:`guarded_protocol` sets
    the limits."""

    header_timeout: float = 10.0
    idle_timeout: float = 30.0
    max_connections: int = 100
    _last_refusal_log = 0.0

    _guard: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            now = time.monotonic()
            if now - GuardedH11Protocol._last_refusal_log > 10:
                GuardedH11Protocol._last_refusal_log = now
                log.warning("refusing connections beyond --max-connections %d", self.max_connections)
            body = b'{"error":"busy","message":"too many open connections; retry later"}'
            self.transport.write(b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
                                 b"retry-after: 1\r\nconnection: close\r\ncontent-length: "
                                 + str(len(body)).encode() + b"\r\n\r\n" + body)
            self.transport.close()
            return
        self._arm(self.header_timeout)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._arm(self.idle_timeout)  # the body keeps flowing: each chunk restarts the idle clock
        elif state is not h11.IDLE:
            self._disarm()  # the whole request is in: the app answers (and may stream) without a clock
        # IDLE: the headers are still incomplete; the header clock keeps running from the connection's start

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm(self.header_timeout)  # the next request's headers must come in time too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._guard = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _expire(self) -> None:
        self._guard = None
        if not self.transport.is_closing() and self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            self.transport.close()


def guarded_protocol(options: HttpOptions) -> type[GuardedH11Protocol]:
    """A :class:`GuardedH11Protocol` class with the limits of ``options``."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {
        "header_timeout": options.header_timeout, "idle_timeout": options.idle_timeout,
        "max_connections": options.max_connections})


class BearerAuth:
    """ASGI middleware: every HTTP request except ``open_paths`` needs ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str | None, open_paths: tuple[str, ...] = (HEALTH_PATH,)) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if self.token is None or kind == "lifespan" or (kind == "http" and scope.get("path") in self.open_paths):
            await self.app(scope, receive, send)
            return
        if kind != "http":  # websockets or anything else: never served unauthenticated, and not served at all here
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        header = b""
        for key, value in scope.get("headers") or []:
            if key.lower() == b"authorization":
                header = value
                break
        scheme, _, presented = header.partition(b" ")
        if scheme.lower() == b"bearer" and hmac.compare_digest(presented.strip(), self.token):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "unauthorized",
                           "message": "missing or wrong bearer token (Authorization: Bearer <token>)"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def build_http_app(server: MCPServer[Any], options: HttpOptions) -> ASGIApp:
    """The ASGI app: ``/mcp`` (streamable HTTP) behind bearer auth, and an open ``/healthz``."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})  # nothing else: the probe is unauthenticated

    if not any(getattr(r, "path", None) == HEALTH_PATH for r in server._custom_starlette_routes):
        server.custom_route(HEALTH_PATH, methods=["GET"], include_in_schema=False)(healthz)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=transport_security(options),
                                     host=options.host)
    return StrictHeaders(BearerAuth(app, options.token))


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a :class:`StartupError` naming the problem (port in use, permission, bad host)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise StartupError(f"cannot resolve --host {host!r}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise StartupError(f"port {port} on {host} is already in use; choose another --port or stop the other "
                               "process") from None
        if exc.errno == errno.EACCES:
            raise StartupError(f"no permission to listen on {host}:{port} (ports below 1024 need privileges); "
                               "choose a port above 1024") from None
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class GuardedServer(uvicorn.Server):
    """uvicorn's server with a TLS handshake timeout (asyncio's default is 60 s, and uvicorn sets none): a
    connection that never finishes its handshake never reaches the protocol's header clock."""

    def __init__(self, config: uvicorn.Config, *, handshake_timeout: float) -> None:
        super().__init__(config)
        self.handshake_timeout = handshake_timeout

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening, with ``ssl_handshake_timeout`` on TLS listeners."""
        loop = asyncio.get_running_loop()
        create_server = loop.create_server

        async def with_handshake_timeout(*args: Any, **kwargs: Any) -> asyncio.Server:
            if kwargs.get("ssl") is not None:
                kwargs.setdefault("ssl_handshake_timeout", self.handshake_timeout)
            return await create_server(*args, **kwargs)

        loop.create_server = with_handshake_timeout  # type: ignore[method-assign]
        try:
            await super().startup(sockets=sockets)
        finally:
            del loop.create_server  # drops the instance attribute: the loop's own method is back


def serve_http(server: MCPServer[Any], options: HttpOptions) -> None:
    """Serve streamable HTTP until interrupted (uvicorn; logs to stderr, no access log on stdout)."""
    check_http_options(options)
    app = build_http_app(server, options)
    sock = bind(options.host, options.port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", http=guarded_protocol(options),
                            ssl_certfile=options.tls_cert, ssl_keyfile=options.tls_key, log_level="warning")
    if not is_loopback(options.host) and not options.allowed_hosts:
        log.warning("no --allowed-host given for %s: Host-header (DNS-rebinding) checks are off; the bearer token "
                    "still protects /mcp", options.host)
    auth = "bearer token" if options.token else "NONE (loopback only)"
    host = f"[{options.host}]" if ":" in options.host else options.host
    print(f"pykyverno MCP server listening on {options.scheme}://{host}:{port}{MCP_PATH} (auth: {auth}; "
          f"health: {HEALTH_PATH})", file=sys.stderr, flush=True)
    GuardedServer(config, handshake_timeout=options.header_timeout).run(sockets=[sock])


def serve_stdio(server: MCPServer[Any], front: StdioFront | None = None) -> None:
    """Serve MCP over stdin/stdout: through ``front`` when the stdio front end holds them (it has answered what it
    could while the SDK loaded), else with the SDK's own stdio transport."""
    if front is None:
        server.run("stdio")
    else:
        anyio.run(serve_behind_front, server, front)


async def serve_behind_front(server: MCPServer[Any], front: StdioFront) -> None:
    """Run ``server`` on the client's lines as ``front`` queued them (from the first one), and hand every message
    it sends to ``front``: the SDK's stdio transport, with the front end in place of the file descriptors."""
    lowlevel = server._lowlevel_server
    read_writer, read_stream = create_context_streams[SessionMessage | Exception](0)
    write_stream, write_reader = create_context_streams[SessionMessage](0)

    async def client_to_server() -> None:
        try:
            async with read_writer:
                while (line := await anyio.to_thread.run_sync(front.next_line, abandon_on_cancel=True)) is not None:
                    try:
                        message = mcp_types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                    except Exception as exc:  # as the SDK's transport: the server answers the malformed line
                        await read_writer.send(exc)
                        continue
                    await read_writer.send(SessionMessage(message))
        except anyio.ClosedResourceError:  # pragma: no cover - the server closed its end first
            await anyio.lowlevel.checkpoint()

    async def server_to_client() -> None:
        try:
            async with write_reader:
                async for session_message in write_reader:
                    message = session_message.message
                    text = message.model_dump_json(by_alias=True, exclude_unset=True)
                    answers = message.id if isinstance(message, JSONRPCResponse | JSONRPCError) else None
                    await anyio.to_thread.run_sync(front.deliver, text, answers)
        except anyio.ClosedResourceError:  # pragma: no cover
            await anyio.lowlevel.checkpoint()

    front.mark_ready()
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(client_to_server)
        tasks.start_soon(server_to_client)
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


__all__ = [
    "HEALTH_PATH",
    "MCP_PATH",
    "TOKEN_ENV",
    "BearerAuth",
    "GuardedH11Protocol",
    "HttpOptions",
    "StartupError",
    "StrictHeaders",
    "bind",
    "build_http_app",
    "check_http_options",
    "guarded_protocol",
    "is_loopback",
    "read_token",
    "serve_behind_front",
    "serve_http",
    "serve_stdio",
    "transport_security",
    "valid_host",
    "valid_origin",
]
