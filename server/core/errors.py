"""Errors of the core operations."""

from __future__ import annotations


class InputError(Exception):
    """Input an operation cannot use; the message says what is wrong and what to do instead. The CLI prints it with
    a usage exit code; the MCP tools return it as an ``isError`` result."""
