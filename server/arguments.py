"""Argument types shared by the CLI commands (``server/commands``) and ``pykyverno serve`` (``server/mcp/serve.py``)."""

from __future__ import annotations

import argparse
from typing import Any


def seconds_arg(text: str) -> float:
    """A finite number of seconds, 0 or more (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def add_context_filters(parser: Any) -> None:
    """``--context-allow`` / ``--context-deny``: the kubeconfig contexts a command may use (fnmatch patterns)."""
    parser.add_argument("--context-allow", action="append", default=[], metavar="PATTERN",
                        help="only these contexts may be used (fnmatch pattern, repeatable)")
    parser.add_argument("--context-deny", action="append", default=[], metavar="PATTERN",
                        help="these contexts may never be used (fnmatch pattern, repeatable; wins over "
                        "--context-allow)")


def add_exit_flags(parser: Any) -> None:
    """``--audit-warn``, ``--warn-exit-code`` and ``--warn-no-pass``, as ``kyverno apply`` has them (``apply``,
    ``scan``); see :func:`pykyverno.server.exit_codes.results_exit_code`."""
    parser.add_argument("--audit-warn", action="store_true",
                        help="report failures of Audit-only policies as warn (they no longer make the exit code 1)")
    parser.add_argument("--warn-exit-code", type=int, default=0, metavar="N",
                        help="exit with N when there are warnings but no failure or error (default 0)")
    parser.add_argument("--warn-no-pass", action="store_true",
                        help="also exit with the --warn-exit-code when no result passed")
