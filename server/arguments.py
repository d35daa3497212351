"""Argument types shared by the CLI commands (``server/commands``) and ``pykyverno serve`` (``server/mcp/serve.py``)."""

from __future__ import annotations

import argparse


def seconds_arg(text: str) -> float:
    """A finite number of seconds, 0 or more (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value
