"""Errors of the policy engine.

::

    EngineError                     anything the engine reports
    ├── LoadError                   a file or YAML document cannot be read (names file and document index)
    ├── PolicyValidationError       a policy document breaks the schema (names the field path)
    ├── PolicyCompileError          CEL in a policy does not compile (wraps CelCompileError with its path)
    └── ResourceError               a resource document is unusable (missing kind, apiVersion or name)

CEL-level errors live in ``engine/cel/errors.py``; evaluation errors never raise out of ``evaluate``, they become
``error`` results.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class of engine errors; ``str()`` is a message fit for a user."""


class LoadError(EngineError):
    """A file or a YAML document in it cannot be read; ``line`` and ``column`` (1-based) when the problem has a
    position (the message names them too)."""

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        document: int | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source = source
        self.document = document
        self.line = line
        self.column = column
        where = source
        if document is not None:
            where = f"{source} (document {document + 1})" if source else f"document {document + 1}"
        super().__init__(f"{where}: {message}" if where else message)


class PolicyValidationError(EngineError):
    """A policy does not follow its schema."""


class PolicyCompileError(EngineError):
    """One or more expressions of a policy do not compile; ``errors`` lists each with its field path."""

    def __init__(self, policy: str, errors: list[str]) -> None:
        self.policy = policy
        self.errors = errors
        joined = "\n".join(f"  - {e}" for e in errors)
        super().__init__(f"policy {policy!r} has {len(errors)} invalid expression(s):\n{joined}")


class ResourceError(EngineError):
    """A resource document cannot be evaluated."""
