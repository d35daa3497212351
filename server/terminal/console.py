"""When to use colour, and the consoles that write it."""

from __future__ import annotations

import os
import sys
from typing import TextIO

from rich.console import Console


def colour_wanted(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """Whether ``stream`` gets the rich view: it is a terminal, ``NO_COLOR`` is unset or empty (no-color.org) and
    ``TERM`` is not ``dumb``."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _console(stream: TextIO) -> Console:
    # The stream is the CLI's masking writer: rich must write through it, never to the file descriptor.
    return Console(file=stream, force_terminal=True, highlight=False, soft_wrap=False,
                   emoji=False)


def stdout_console() -> Console:
    """A console on the current standard output (call only when :func:`colour_wanted` says so)."""
    return _console(sys.stdout)


def stderr_console() -> Console:
    """A console on the current standard error (progress)."""
    return _console(sys.stderr)
