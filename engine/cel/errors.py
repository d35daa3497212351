"""Errors raised by the CEL layer.

::

    CelError                      anything that went wrong with a CEL expression
    ├── CelCompileError           the expression does not parse, type-check, or exceeds a static limit
    │   └── CelCostError          its estimated cost exceeds the configured limit
    └── CelEvalError              evaluation produced an error value (no such key, bad overload, budget...)

Every error carries the ``expression`` and, when the caller knows it, the ``path`` of the field that held it
(``spec.validations[2].expression``). Callers that know more (policy name, file) wrap these errors; they never
need to parse the message.
"""

from __future__ import annotations


class CelError(Exception):
    """Base class of CEL errors; ``str()`` gives a message fit for a user."""

    def __init__(self, message: str, *, expression: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.path = path

    def with_path(self, path: str) -> CelError:
        """Return the same error located at ``path`` (prefixing a path that is already set)."""
        new_path = f"{path}.{self.path}" if self.path and not self.path.startswith("[") else f"{path}{self.path}"
        clone = type(self)(self.message, expression=self.expression, path=new_path)
        return clone

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message}"


class CelCompileError(CelError):
    """The expression cannot be compiled; the message includes cel-go style caret lines."""


class CelCostError(CelCompileError):
    """The expression's estimated cost exceeds the limit, as the API server would refuse it."""


class CelEvalError(CelError):
    """Evaluating the expression produced an error value."""
