"""Issue 11, item 13: the HTTP transport against hostile connections, over real sockets to ``pykyverno serve``.

Half-open and trickling connections are closed after the header timeout, stalled bodies after the idle timeout,
connections beyond the cap are answered 503; ``/healthz`` says ``ok`` and nothing else; plain HTTP on a network
address needs TLS or an explicit flag; ``Host`` and ``Origin`` are parsed strictly.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme

from pykyverno.server.mcp.transport import HttpOptions, StartupError, check_http_options, valid_host, valid_origin

from .test_transports import TOKEN, HttpServer, child_env, get, serve_error

INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpServer]:
    tmp_path = tmp_path_factory.mktemp("hardening")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    http = HttpServer(["--token-file", str(token_file), "--header-timeout", "1", "--idle-timeout", "1",
                       "--max-connections", "40"], child_env(KUBECONFIG=str(tmp_path / "none")))
    yield http
    http.stop()


def address(server: HttpServer) -> tuple[str, int]:
    parts = urlsplit(server.url)
    assert parts.hostname and parts.port
    return parts.hostname, parts.port


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """Whether the server closes ``sock`` within ``within`` seconds (EOF or reset), reading any answer."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def raw_request(server: HttpServer, head: str, body: str = "") -> tuple[int, str]:
    with socket.create_connection(address(server), timeout=10) as sock:
        sock.sendall((head + body).encode())
        data = b""
        while chunk := sock.recv(65536):  # every request says Connection: close
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1].decode(errors="replace")


def post(host: str, origin: str | None = None) -> str:
    extra = f"Origin: {origin}\r\n" if origin else ""
    return (f"POST /mcp HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
            "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            f"{extra}Content-Length: {len(INITIALIZE)}\r\nConnection: close\r\n\r\n")


# ----------------------------------------------------------------------------- timeouts and the cap
def test_half_open_connections_are_closed_after_the_header_timeout(server: HttpServer) -> None:
    sockets = [socket.create_connection(address(server)) for _ in range(30)]
    try:
        for sock in sockets:
            sock.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        started = time.monotonic()
        assert all(closed_by_server(sock, 4.0) for sock in sockets)
        assert time.monotonic() - started < 4.0
    finally:
        for sock in sockets:
            sock.close()
    assert get(f"{server.base}/healthz")[0] == 200


def test_tls_connections_that_never_finish_the_handshake_are_closed(tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    tls = HttpServer(["--tls-cert", str(cert_file), "--tls-key", str(key_file), "--header-timeout", "1"],
                     child_env(KUBECONFIG=str(tmp_path / "none"), PYKYVERNO_MCP_TOKEN=TOKEN))
    try:
        sockets = [socket.create_connection(address(tls)) for _ in range(10)]  # TCP only: no ClientHello
        try:
            assert all(closed_by_server(sock, 4.0) for sock in sockets)
        finally:
            for sock in sockets:
                sock.close()
    finally:
        tls.stop()


def test_trickled_headers_do_not_keep_a_connection(server: HttpServer) -> None:
    with socket.create_connection(address(server)) as sock:
        started = time.monotonic()
        closed = False
        for ch in "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a" * 40:
            try:
                sock.sendall(ch.encode())
            except OSError:
                closed = True
                break
            time.sleep(0.1)
        assert closed or closed_by_server(sock, 1.0)
        assert time.monotonic() - started < 3.5, "each byte must not restart the header clock"


def test_a_stalled_body_is_closed_after_the_idle_timeout(server: HttpServer) -> None:
    with socket.create_connection(address(server)) as sock:
        sock.sendall((post("127.0.0.1") + INITIALIZE[:10]).replace(
            f"Content-Length: {len(INITIALIZE)}", "Content-Length: 5000").encode())
        assert closed_by_server(sock, 4.0)


def test_connections_beyond_the_cap_are_answered_503(server: HttpServer) -> None:
    sockets = [socket.create_connection(address(server)) for _ in range(60)]
    try:
        refused = 0
        for sock in sockets:
            sock.settimeout(0.5)
            with contextlib.suppress(TimeoutError):
                refused += sock.recv(100).startswith(b"HTTP/1.1 503")
        assert refused >= 20
    finally:
        for sock in sockets:
            sock.close()
    time.sleep(0.3)
    assert get(f"{server.base}/healthz")[0] == 200


def test_a_normal_session_still_works(server: HttpServer) -> None:
    status, body = raw_request(server, post(f"127.0.0.1:{address(server)[1]}"), INITIALIZE)
    assert status == 200 and "protocolVersion" in body


# ----------------------------------------------------------------------------- /healthz
def test_healthz_tells_nothing_but_ok(server: HttpServer) -> None:
    status, body = get(f"{server.base}/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}


# ----------------------------------------------------------------------------- Host and Origin
@pytest.mark.parametrize("host", ["127.0.0.1:1@evil", "127.0.0.1:1@evil.example:80", "127.0.0.1:80/evil",
                                  "127.0.0.1:80 evil", "127.0.0.1:80:81", "", "localhost:x"])
def test_malformed_host_is_refused(server: HttpServer, host: str) -> None:
    assert raw_request(server, post(host), INITIALIZE)[0] == 400


def test_two_host_headers_are_refused(server: HttpServer) -> None:
    head = post("127.0.0.1").replace("Host: 127.0.0.1\r\n", "Host: 127.0.0.1\r\nHost: evil.example\r\n")
    assert raw_request(server, head, INITIALIZE)[0] == 400


@pytest.mark.parametrize("origin", ["http://127.0.0.1:1@evil", "http://127.0.0.1:8080/path", "javascript:x"])
def test_malformed_origin_is_refused(server: HttpServer, origin: str) -> None:
    assert raw_request(server, post("127.0.0.1", origin), INITIALIZE)[0] == 403


def test_host_and_origin_grammar() -> None:
    for good in ("127.0.0.1", "127.0.0.1:8080", "[::1]:8080", "pykyverno.pykyverno.svc:8080", "localhost", "a"):
        assert valid_host(good), good
    for bad in ("127.0.0.1:1@evil", "a b", "a:b", "x/y", "-a", "[::1", "a:123456"):
        assert not valid_host(bad), bad
    assert valid_origin("https://mcp.example:443") and not valid_origin("https://u:p@mcp.example")


# ----------------------------------------------------------------------------- plain HTTP on a network address
def test_plain_http_on_a_network_address_needs_tls_or_an_explicit_flag(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text(TOKEN)
    message = serve_error(capsys, "--token-file", str(token), "--host", "0.0.0.0")
    assert "refusing to serve plain HTTP on '0.0.0.0'" in message and "--allow-insecure-http" in message
    check_http_options(HttpOptions(host="0.0.0.0", token=TOKEN, allow_insecure_http=True))
    check_http_options(HttpOptions(host="127.0.0.1", token=TOKEN))
    with pytest.raises(StartupError, match="--header-timeout"):
        check_http_options(HttpOptions(token=TOKEN, header_timeout=0))
