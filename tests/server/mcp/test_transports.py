"""``pykyverno serve`` as a real process: a stdio session, streamable HTTP with and without the token, /healthz, and
clear startup errors (in process, without tracebacks)."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import trustme
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from pykyverno.server.cli import main
from pykyverno.server.mcp.transport import HttpOptions, is_loopback, transport_security

from .conftest import Clusters
from .test_tools import ok

pytestmark = pytest.mark.anyio

TOKEN = "0123456789abcdef0123456789abcdef"
SERVE = [sys.executable, "-m", "pykyverno.server.cli", "serve"]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


# ----------------------------------------------------------------------------- stdio
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_session(clusters: Clusters, tmp_path: Path, mode: str) -> None:
    """The same session twice: the second one opens through the stdio front end's start-up cache."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "pykyverno.server.cli", "serve"],
                                   env={"KUBECONFIG": str(clusters.kubeconfig), "PYKYVERNO_CACHE_DIR": str(tmp_path)})
    listed = []
    for _ in range(2):
        started = time.perf_counter()
        async with Client(params, mode=mode) as c:
            tools = (await c.list_tools()).tools
            first_answer = time.perf_counter() - started
            assert "scan_namespace" in {t.name for t in tools}
            contexts = ok(await c.call_tool("list_contexts", {}))
            assert contexts["current"] == "alpha"
            assert ok(await c.call_tool("switch_context", {"context": "beta"}))["remembered"] is True
            data = ok(await c.call_tool("scan_namespace", {"namespace": "team-b", "limit": 5}))
            assert data["clusters"][0]["context"] == "beta" and data["totals"]["fail"] > 0
        listed.append([t.model_dump() for t in tools])
        print(f"\nstdio ({mode}): process start to first tools/list answer: {first_answer:.2f}s")
        assert first_answer < 30
    assert listed[0] == listed[1]
    assert len(list((tmp_path / "mcp-start").iterdir())) == 2  # the opening's two answers, kept by the first run


# ----------------------------------------------------------------------------- HTTP
class HttpServer:
    """A ``pykyverno serve --transport http`` child process on a free port."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([*SERVE, "--transport", "http", "--port", "0", *args], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 30
        self.banner = ""
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.banner += line
            m = re.search(r"listening on (https?://[^ ]+/mcp)", line)
            if m:
                self.url = m.group(1)
                return
        self.stop()
        raise AssertionError(f"server did not start: {self.banner}")

    @property
    def base(self) -> str:
        return self.url.removesuffix("/mcp")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out


@pytest.fixture
def http_server(clusters: Clusters, tmp_path: Path) -> Iterator[HttpServer]:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    server = HttpServer(["--token-file", str(token_file)], child_env(KUBECONFIG=str(clusters.kubeconfig)))
    yield server
    stdout = server.stop()
    assert stdout == "", "nothing but MCP goes to stdout"


def get(url: str, headers: dict[str, str] | None = None, context: ssl.SSLContext | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def test_http_session_with_token(http_server: HttpServer) -> None:
    assert "auth: bearer token" in http_server.banner
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    async with http, Client(streamable_http_client(http_server.url, http_client=http), mode="legacy") as c:
        assert "explain_violation" in {t.name for t in (await c.list_tools()).tools}
        assert ok(await c.call_tool("switch_context", {"context": "beta"}))["remembered"] is True
        assert ok(await c.call_tool("list_contexts", {}))["selected"] == "beta", "the HTTP session keeps it"
        data = ok(await c.call_tool("scan_namespace", {"namespace": "team-b"}))
        assert data["clusters"][0]["context"] == "beta"


async def test_http_modern_stateless_requests(http_server: HttpServer) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    async with http, Client(streamable_http_client(http_server.url, http_client=http)) as c:
        result = await c.call_tool("switch_context", {"context": "beta"})
        assert result.is_error is True
        message = result.content[0].text  # type: ignore[union-attr]
        assert "cannot remember 'beta'" in message and 'context="beta"' in message
        scanned = await c.call_tool("scan_namespace", {"namespace": "team-b", "context": "beta"})
        assert ok(scanned)["totals"]["fail"] > 0
        assert scanned.content[0].text.startswith("Scanned context `beta`; namespace `team-b`")  # type: ignore[union-attr]


async def test_http_without_or_with_wrong_token_is_401(http_server: HttpServer) -> None:
    status, body = get(http_server.url)
    assert status == 401 and "bearer token" in body
    status, _ = get(http_server.url, {"Authorization": "Bearer wrong-token-wrong-token"})
    assert status == 401
    http = httpx2.AsyncClient(timeout=10)
    with pytest.raises(Exception):  # noqa: B017 - the client surfaces the 401 as a transport error
        async with http, Client(streamable_http_client(http_server.url, http_client=http), mode="legacy") as c:
            await c.list_tools()


async def test_healthz_needs_no_token(http_server: HttpServer) -> None:
    status, body = get(f"{http_server.base}/healthz")
    assert status == 200 and '"status":"ok"' in body.replace(" ", "")


def test_dns_rebinding_protection_rejects_foreign_host(http_server: HttpServer) -> None:
    status, _ = get(http_server.url, {"Authorization": f"Bearer {TOKEN}", "Host": "evil.example:80"})
    assert status in (403, 421)


def test_https_with_certificate_files(tmp_path: Path, clusters: Clusters) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    server = HttpServer(["--tls-cert", str(cert_file), "--tls-key", str(key_file)],
                        child_env(KUBECONFIG=str(clusters.kubeconfig), PYKYVERNO_MCP_TOKEN=TOKEN))
    try:
        assert server.url.startswith("https://")
        context = ssl.create_default_context()
        ca.configure_trust(context)
        assert get(f"{server.base}/healthz", context=context)[0] == 200
        assert get(server.url, context=context)[0] == 401
    finally:
        server.stop()


# ----------------------------------------------------------------------------- startup errors
def serve_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["serve", "--transport", "http", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    return err


def test_startup_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert "needs a bearer token" in serve_error(capsys)
    assert "only works on a loopback address" in serve_error(capsys, "--allow-unauthenticated-loopback",
                                                             "--host", "0.0.0.0")
    assert "cannot read --token-file" in serve_error(capsys, "--token-file", str(tmp_path / "missing"))
    short = tmp_path / "short"
    short.write_text("abc")
    assert "shorter than 16" in serve_error(capsys, "--token-file", str(short))
    token = tmp_path / "token"
    token.write_text(TOKEN)
    assert "does not exist" in serve_error(capsys, "--token-file", str(token), "--tls-cert", str(tmp_path / "c"),
                                           "--tls-key", str(tmp_path / "k"))
    (tmp_path / "c").write_text("not a certificate")
    (tmp_path / "k").write_text("not a key")
    assert "cannot load the TLS certificate" in serve_error(capsys, "--token-file", str(token), "--tls-cert",
                                                            str(tmp_path / "c"), "--tls-key", str(tmp_path / "k"))
    assert "both --tls-cert and --tls-key" in serve_error(capsys, "--token-file", str(token), "--tls-cert",
                                                          str(tmp_path / "c"))
    assert "policy path(s) not found" in serve_error(capsys, "--token-file", str(token), "--policy",
                                                     str(tmp_path / "nope.yaml"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert f"port {port} on 127.0.0.1 is already in use" in serve_error(
            capsys, "--token-file", str(token), "--port", str(port))


def test_transport_security_settings() -> None:
    loopback = transport_security(HttpOptions(host="127.0.0.1"))
    assert loopback.enable_dns_rebinding_protection and "127.0.0.1:*" in loopback.allowed_hosts
    open_bind = transport_security(HttpOptions(host="0.0.0.0", token=TOKEN))
    assert open_bind.enable_dns_rebinding_protection is False
    named = transport_security(HttpOptions(host="0.0.0.0", token=TOKEN, allowed_hosts=("mcp.kagent:8080",)))
    assert named.enable_dns_rebinding_protection and named.allowed_hosts == ["mcp.kagent:8080"]
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("0.0.0.0")


def test_module_entry_point_prints_help() -> None:
    out: Any = subprocess.run([*SERVE, "--help"], capture_output=True, text=True, env=child_env(), timeout=60)
    assert out.returncode == 0 and "--token-file" in out.stdout and "--enable-writes" not in out.stdout
