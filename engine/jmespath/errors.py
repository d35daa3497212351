"""Errors of Kyverno's JMESPath.

::

    JMESPathError            any failure of a query; ``str()`` is the message Kyverno would give
    ├── QuerySyntaxError     the expression does not parse
    ├── NotFoundError        a field lookup on an object that lacks the key (``Unknown key "k" in path``)
    └── FunctionError        a function refused its arguments or failed (``JMESPath function 'f': ...``)
"""

from __future__ import annotations


class JMESPathError(Exception):
    """A JMESPath query failed."""


class QuerySyntaxError(JMESPathError):
    """The expression is not valid JMESPath."""


class NotFoundError(JMESPathError):
    """A field lookup on an object lacking the key, as Kyverno's go-jmespath fork reports it."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f'Unknown key "{key}" in path')


class FunctionError(JMESPathError):
    """A function call failed."""


def function_error(function: str, message: str) -> FunctionError:
    """Kyverno's ``JMESPath function '<f>': <message>``."""
    return FunctionError(f"JMESPath function '{function}': {message}")


def argument_type_error(function: str, position: int, expected: str) -> FunctionError:
    """Kyverno's wrong-argument-type message (``position`` is 1-based)."""
    return function_error(function, f"{position} argument is expected of {expected} type")
