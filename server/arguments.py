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
