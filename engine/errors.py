"""Errors of the policy engine: one tree, rooted at :class:`EngineError`.

::

    EngineError                     anything the engine reports; str() is a message fit for a user
    ├── LoadError                   a file or YAML document cannot be read (names file and document index)
    ├── PolicyValidationError       a policy document breaks the schema (names the field path)
    ├── PolicyCompileError          expressions of a policy do not compile (one Diagnostic per expression)
    ├── EvaluationError             a step of an evaluation failed (mutation, template, parameters, JSON patch);
    │                               caught inside ``evaluate`` and turned into an ``error`` result
    └── CelError                    (engine/cel/errors.py) anything that went wrong with a CEL expression
        ├── CelCompileError         the expression does not parse, type-check, or exceeds a static limit
        │   └── CelCostError        its estimated cost exceeds the configured limit
        └── CelEvalError            evaluation produced an error value

Loading never raises for a bad document: the loader turns these errors into
:class:`~pykyverno.engine.diagnostics.Diagnostic` entries of the policy set. Evaluation never raises either: errors
become ``error`` results (or no result under ``failurePolicy: Ignore``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .diagnostics import Diagnostic


class EngineError(Exception):
    """Base class of engine errors; ``str()`` is a message fit for a user."""

    def diagnostics(self) -> list[Diagnostic]:
        """The structured diagnostics the error carries (one per expression, schema field or file problem)."""
        return [Diagnostic(str(self))]


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
        self.reason = message
        #: 1-based position of the problem in the file, when the reader knows it.
        self.line = line
        self.column = column
        where = source
        if document is not None:
            where = f"{source} (document {document + 1})" if source else f"document {document + 1}"
        super().__init__(f"{where}: {message}" if where else message)

    def diagnostics(self) -> list[Diagnostic]:
        """The problem, with the file, document and position the reader knows."""
        return [Diagnostic(self.reason, file=self.source, document=self.document, line=self.line, column=self.column)]


class PolicyValidationError(EngineError):
    """A policy does not follow its schema; ``problems`` lists each (field path, message), e.g.
    (``spec.validations[0].expression``, ``Field required``)."""

    def __init__(self, message: str = "", *, path: str = "", problems: Sequence[tuple[str, str]] = ()) -> None:
        self.problems = tuple(problems) or ((path, message),)
        super().__init__("; ".join(f"{where}: {what}" if where else what for where, what in self.problems))

    def diagnostics(self) -> list[Diagnostic]:
        """One diagnostic per schema problem, at its field path."""
        return [Diagnostic(message, path=path) for path, message in self.problems]


class PolicyCompileError(EngineError):
    """One or more expressions of a policy do not compile; one diagnostic per expression, each with its field path
    and its position inside the expression."""

    def __init__(self, policy: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.policy = policy
        self.expression_errors = tuple(diagnostics)
        joined = "\n".join(f"  - {d.located_message()}" for d in self.expression_errors)
        super().__init__(f"policy {policy!r} has {len(self.expression_errors)} invalid expression(s):\n{joined}")

    def diagnostics(self) -> list[Diagnostic]:
        """One diagnostic per expression that does not compile."""
        return list(self.expression_errors)


class EvaluationError(EngineError):
    """A step of an evaluation failed; the evaluation turns it into an ``error`` result with this message."""
