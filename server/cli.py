"""``pykyverno``: the command-line entry point (test, apply, scan, policies, lint, serve, report, and the writes:
install, uninstall, exception)."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from .core.errors import InputError
from .exit_codes import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from .redaction import install_log_masking, masked_stdio, secret_scope

#: Each subcommand's module: only the one a command line names is imported (a command does not pay for the
#: imports of the others: the MCP SDK, the Kubernetes client...); help and unknown commands import them all.
_COMMAND_MODULES = {
    "test": "pykyverno.server.commands.test_cmd",
    "apply": "pykyverno.server.commands.apply_cmd",
    "scan": "pykyverno.server.commands.scan_cmd",
    "policies": "pykyverno.server.commands.policies_cmd",
    "serve": "pykyverno.server.serve",
    "lint": "pykyverno.server.commands.lint_cmd",
    "report": "pykyverno.server.commands.report_cmd",
    "install": "pykyverno.server.commands.install_cmd",
    "uninstall": "pykyverno.server.commands.uninstall_cmd",
    "exception": "pykyverno.server.commands.exception_cmd",
    "migrate": "pykyverno.server.commands.migrate_cmd",
}
#: Options before the subcommand that take a value.
_GLOBAL_VALUE_OPTIONS = ("--cel-cost-limit",)


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names, when it is a known one (``None`` for help, or anything else)."""
    tokens = iter(argv)
    for token in tokens:
        if token in _GLOBAL_VALUE_OPTIONS:
            next(tokens, None)
        elif not token.startswith("-"):
            return token if token in _COMMAND_MODULES else None
        elif token in ("-h", "--help"):
            return None
    return None


def package_version() -> str:
    """The installed version of pykyverno (``unknown`` when run from a source tree that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version  # only --version needs it (0.1 s to import)

    try:
        return version("pykyverno")
    except PackageNotFoundError:
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``: the version is read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"pykyverno {package_version()}")
        parser.exit()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand (or with ``command`` only)."""
    parser = argparse.ArgumentParser(
        prog="pykyverno",
        description="Kubernetes policy governance: Kyverno CEL policies offline, on clusters, and for AI agents.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    parser.add_argument(
        "--cel-cost-limit",
        type=int,
        default=int(os.environ.get("PYKYVERNO_CEL_COST_LIMIT", "0") or 0) or None,
        metavar="N",
        help="also refuse CEL expressions whose estimated cost (lists of unknown size as 25 elements) exceeds N "
        "(default: no such limit, as in Kyverno; what cannot complete within Kubernetes' runtime limit of 1000000 "
        "per expression is always refused; env PYKYVERNO_CEL_COST_LIMIT)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in _COMMAND_MODULES.items():
        if command is None or name == command:
            importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    parser = build_parser(_named_command(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    install_log_masking()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    from pykyverno.engine.cel import set_cost_limit, set_lookup_limit

    if args.cel_cost_limit is not None:
        try:
            set_cost_limit(args.cel_cost_limit)
        except ValueError as exc:
            print(f"error: --cel-cost-limit: {exc}", file=sys.stderr)
            return EXIT_USAGE
    lookups = os.environ.get("PYKYVERNO_MAX_LOOKUPS", "").strip()
    if lookups:
        try:
            set_lookup_limit(int(lookups))
        except ValueError:
            print(f"error: PYKYVERNO_MAX_LOOKUPS={lookups!r}: expected a positive number", file=sys.stderr)
            return EXIT_USAGE
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        with secret_scope(), masked_stdio():  # one request: what it reads from Secrets is masked in all it prints
            code: int = args.run(args)
    except InputError as exc:  # a name that does not exist, input that cannot be used: the message says which
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so briefly, keep the traceback for -v
        logging.getLogger("pykyverno").debug("unexpected error", exc_info=True)
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return EXIT_INTERNAL
    return code


if __name__ == "__main__":
    sys.exit(main())
