"""Running the MCP server: stdio, or streamable HTTP at ``/mcp`` with bearer-token auth, TLS and ``/healthz``.

Misconfiguration (no token, unreadable token file, bad certificate paths, port in use) stops the start with a
:class:`StartupError` whose message says what to change; nothing is ever written to stdout except the MCP stream.
"""

from __future__ import annotations

import errno
import hmac
import ipaddress
import json
import logging
import os
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

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
        return JSONResponse({"status": "ok", "server": server.name, "version": server.version})

    if not any(getattr(r, "path", None) == HEALTH_PATH for r in server._custom_starlette_routes):
        server.custom_route(HEALTH_PATH, methods=["GET"], include_in_schema=False)(healthz)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=transport_security(options),
                                     host=options.host)
    return BearerAuth(app, options.token)


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


def serve_http(server: MCPServer[Any], options: HttpOptions) -> None:
    """Serve streamable HTTP until interrupted (uvicorn; logs to stderr, no access log on stdout)."""
    import uvicorn

    check_http_options(options)
    app = build_http_app(server, options)
    sock = bind(options.host, options.port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                            ssl_certfile=options.tls_cert, ssl_keyfile=options.tls_key, log_level="warning")
    if not is_loopback(options.host) and not options.allowed_hosts:
        log.warning("no --allowed-host given for %s: Host-header (DNS-rebinding) checks are off; the bearer token "
                    "still protects /mcp", options.host)
    auth = "bearer token" if options.token else "NONE (loopback only)"
    host = f"[{options.host}]" if ":" in options.host else options.host
    print(f"pykyverno MCP server listening on {options.scheme}://{host}:{port}{MCP_PATH} (auth: {auth}; "
          f"health: {HEALTH_PATH})", file=sys.stderr, flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def serve_stdio(server: MCPServer[Any]) -> None:
    """Serve MCP over stdin/stdout."""
    server.run("stdio")


__all__ = [
    "HEALTH_PATH",
    "MCP_PATH",
    "TOKEN_ENV",
    "BearerAuth",
    "HttpOptions",
    "StartupError",
    "bind",
    "build_http_app",
    "check_http_options",
    "is_loopback",
    "read_token",
    "serve_http",
    "serve_stdio",
    "transport_security",
]
