"""The ``lint_policy`` answer: the core lint report (``server/core/lint.py``) as the tool's model."""

from __future__ import annotations

from pykyverno.engine.diagnostics import Diagnostic

from ..core.isolation import run_untrusted
from ..core.lint import lint
from .models import CostEstimate, LintDiagnostic, LintResult


def lint_diagnostic(d: Diagnostic) -> LintDiagnostic:
    """One diagnostic in the tool's shape (caret lines without their ``|`` margin)."""
    snippet = "\n".join(line[3:] if line.startswith(" | ") else line for line in d.snippet.splitlines())
    return LintDiagnostic(
        severity=d.severity, document=(d.document or 0) + 1, policy=d.name, kind=d.kind, path=d.path, line=d.line,
        column=d.column, expression_line=d.expression_line, expression_column=d.expression_column,
        message=" ".join(d.message.split()), snippet=snippet,
    )


def suggestion(d: Diagnostic) -> str:
    """A piece of advice as one line naming the policy and field."""
    who = f"{d.kind} {d.name!r}: " if d.name else ""
    return f"{who}{d.path + ': ' if d.path else ''}{d.message}"


def lint_answer(text: str) -> LintResult:
    """Lint ``policy_yaml`` (an agent's: compiled isolated, see :mod:`~pykyverno.server.core.isolation`)."""
    report = run_untrusted(lint, text, "policy_yaml")
    return LintResult(
        valid=report.valid,
        policies=report.policies,
        errors=[lint_diagnostic(d) for d in report.errors],
        warnings=[lint_diagnostic(d) for d in report.diagnostics if d.severity == "warning"],
        costs=[CostEstimate(path=c.path, cost=c.cost, limit=c.limit, level=c.level, reason=c.reason)
               for c in report.costs],
        suggestions=[suggestion(d) for d in report.advice],
    )
