"""``pykyverno serve``: run the MCP server over stdio (default) or streamable HTTP. It lives beside the CLI commands,
not among them, because it is the one command that starts ``server/mcp`` (imported only when it runs).

Every tool is read-only unless ``--allow-writes`` (or ``PYKYVERNO_ALLOW_WRITES=true``) lists the write tools.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import sandbox
from .arguments import add_context_filters, seconds_arg
from .exit_codes import EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from .stdio_front import StdioFront


def add_parser(sub: Any) -> None:
    """Register the ``serve`` subcommand."""
    p = sub.add_parser("serve", help="run the MCP server (stdio or streamable HTTP) for AI agents")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="default: stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="HTTP port (default 8080; 0 picks a free port)")
    p.add_argument("--token-file", metavar="F", help="file holding the HTTP bearer token (else $PYKYVERNO_MCP_TOKEN)")
    p.add_argument("--allow-unauthenticated-loopback", action="store_true",
                   help="serve HTTP without a token (only on a loopback --host; for local tests)")
    p.add_argument("--tls-cert", metavar="F", help="PEM certificate for HTTPS")
    p.add_argument("--tls-key", metavar="F", help="PEM private key for HTTPS")
    p.add_argument("--allowed-host", action="append", default=[], metavar="HOST[:PORT]",
                   help="Host header accepted on a non-loopback bind (DNS-rebinding protection; repeatable)")
    p.add_argument("--allow-insecure-http", action="store_true",
                   help="serve plain HTTP on a non-loopback --host (only behind a TLS proxy or on a private network)")
    p.add_argument("--header-timeout", type=seconds_arg, default=10.0, metavar="SECONDS",
                   help="seconds a connection may take to send request headers (default 10)")
    p.add_argument("--idle-timeout", type=seconds_arg, default=30.0, metavar="SECONDS",
                   help="seconds a request body may stall before the connection is closed (default 30)")
    p.add_argument("--max-connections", type=int, default=100, metavar="N",
                   help="open HTTP connections served at once; more are answered 503 (default 100)")
    p.add_argument("--kubeconfig", metavar="F", help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")
    add_context_filters(p)
    p.add_argument("--allow-writes", action="store_true",
                   help="list the write tools (install_policy_set, create_policy_exception, publish_reports...; each "
                   "a dry run first, executed only with its confirmation token); also $PYKYVERNO_ALLOW_WRITES=true")
    p.add_argument("--policy", action="append", default=[], metavar="PATH",
                   help="policy file or folder to load besides the bundled sets (repeatable)")
    p.add_argument("--timeout", type=float, default=10.0, help="per-request cluster timeout in seconds (default 10)")
    p.add_argument("--scan-timeout", type=seconds_arg, default=300.0, metavar="SECONDS",
                   help="deadline of one scan tool call (default 300; 0: none); the rest is reported as not scanned")
    p.add_argument("--toolsets", metavar="NAMES", default=os.environ.get("PYKYVERNO_TOOLSETS", ""),
                   help="comma-separated toolsets to serve (else $PYKYVERNO_TOOLSETS; default: contexts,scan,explain): "
                        "contexts, scan, explain, manifests (scan_manifests, evaluate_policy, lint_policy), reports "
                        "(get_policy_reports), migrate (migrate_policy), or all")
    p.add_argument("--no-start-cache", action="store_true",
                   help="stdio: do not answer a client's opening requests (initialize, tools/list) from the answers "
                   "the server gave to the same requests before, while it loads (see PYKYVERNO_CACHE_DIR)")
    p.add_argument("--scan-cache-mb", type=seconds_arg, default=128.0, metavar="MIB",
                   help="memory the scans kept for cursor paging may hold together (estimated; default 128)")
    sandbox.add_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno serve``."""
    try:  # agent-supplied policies are evaluated in worker processes under these limits
        sandbox.configure(sandbox.limits_from_args(args))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        allow_writes = args.allow_writes or env_flag("PYKYVERNO_ALLOW_WRITES")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sandbox.prewarm_later()
    front = start_front(args, allow_writes)
    try:
        return _serve(args, allow_writes, front)
    finally:
        if front is not None:
            front.close()


def start_front(args: argparse.Namespace, allow_writes: bool) -> StdioFront | None:
    """The stdio front end (see :mod:`.stdio_front`), started before the MCP SDK is imported; None over HTTP, with
    ``--no-start-cache``, or when a ``--policy`` path is missing (the server then refuses to start, as without it)."""
    if args.transport != "stdio" or args.no_start_cache or not all(Path(p).exists() for p in args.policy):
        return None
    import pykyverno.engine

    from .stdio_front import open_front

    options = {k: v for k, v in vars(args).items() if k != "run"}
    options["allow_writes"] = allow_writes
    engine = Path(pykyverno.engine.__file__ or "").parent
    return open_front(options, (Path(__file__).parent, engine))


def _serve(args: argparse.Namespace, allow_writes: bool, front: StdioFront | None) -> int:
    from .mcp import ServerSettings, build_server
    from .mcp.tools import DEFAULT_TOOLSETS
    from .mcp.transport import HttpOptions, StartupError, read_token, serve_http, serve_stdio

    settings = ServerSettings(
        kubeconfig=args.kubeconfig,
        context_allow=tuple(args.context_allow),
        context_deny=tuple(args.context_deny),
        policy_paths=tuple(args.policy),
        timeout=args.timeout,
        scan_timeout=args.scan_timeout or None,
        scan_cache_bytes=int(args.scan_cache_mb * 1024 * 1024),
        toolsets=tuple(n.strip() for n in args.toolsets.split(",") if n.strip()) or DEFAULT_TOOLSETS,
        allow_writes=allow_writes,
    )
    try:
        server = build_server(settings)
        if args.transport == "stdio":
            serve_stdio(server, front)
            return EXIT_OK
        options = HttpOptions(
            host=args.host,
            port=args.port,
            token=read_token(args.token_file),
            allow_unauthenticated_loopback=args.allow_unauthenticated_loopback,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            allowed_hosts=tuple(args.allowed_host),
            allow_insecure_http=args.allow_insecure_http,
            header_timeout=args.header_timeout,
            idle_timeout=args.idle_timeout,
            max_connections=args.max_connections,
        )
        serve_http(server, options)
    except (StartupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def env_flag(name: str) -> bool:
    """A boolean environment variable: true/1/yes/on or false/0/no/off/unset (anything else is a ValueError)."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name}={value!r}: expected true or false")
