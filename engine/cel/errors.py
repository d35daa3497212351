"""Errors raised by the CEL layer (a branch of the engine's error tree, see ``engine/errors.py``).

::

    CelError                      anything that went wrong with a CEL expression
    ├── CelCompileError           the expression does not parse, type-check, or exceeds a static limit
    │   └── CelCostError          its estimated cost exceeds the configured limit
    └── CelEvalError              evaluation produced an error value (no such key, bad overload, budget...)

Every error carries the ``expression`` and, when the caller knows it, the ``path`` of the field that held it
(``spec.validations[2].expression``). Compile errors keep cel-go's text (``ERROR: <input>:1:5: message`` and caret
lines); :meth:`CelError.problems` reads it once, here, into positions, so that no caller parses messages.
"""

from __future__ import annotations

import re

from ..diagnostics import Diagnostic
from ..errors import EngineError

_PROBLEM = re.compile(r"^ERROR: <input>:(\d+):(\d+): (.*)$")


#: One located problem of a compile error: 1-based line and column inside the expression, message, caret lines.
CelProblem = tuple[int, int, str, str]


class CelError(EngineError):
    """Base class of CEL errors; ``str()`` gives a message fit for a user."""

    def __init__(self, message: str, *, expression: str = "", path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.path = path

    def problems(self) -> list[CelProblem]:
        """The located problems of the message (cel-go's ``ERROR: <input>:L:C:`` blocks); empty when unlocated."""
        lines = self.message.splitlines()
        found: list[CelProblem] = []
        for i, text in enumerate(lines):
            match = _PROBLEM.match(text.strip())
            if match is None:
                continue
            carets = []
            for follow in lines[i + 1 : i + 3]:
                if not follow.startswith(" | "):
                    break
                carets.append(follow)
            line, column, message = int(match.group(1)), int(match.group(2)), match.group(3).strip()
            found.append((line, column, message, "\n".join(carets)))
        return found

    def diagnostics(self) -> list[Diagnostic]:
        """One diagnostic per problem, with the field path and the position inside the expression."""
        problems = self.problems()
        if not problems:
            return [Diagnostic(" ".join(self.message.split()), path=self.path, expression=self.expression)]
        return [
            Diagnostic(message, path=self.path, expression=self.expression, expression_line=line,
                       expression_column=column, snippet=snippet)
            for line, column, message, snippet in problems
        ]

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message}"


class CelCompileError(CelError):
    """The expression cannot be compiled; the message includes cel-go style caret lines."""


class CelCostError(CelCompileError):
    """The expression's estimated cost exceeds the limit, as the API server would refuse it."""


class CelEvalError(CelError):
    """Evaluating the expression produced an error value."""
