"""``pykyverno lint``: every schema and CEL error of policy files with its line and column, unknown fields, cost
estimates and advice (``server/core/lint.py``, the checks of the MCP tool ``lint_policy``)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from pykyverno.engine.diagnostics import Diagnostic
from pykyverno.engine.documents import iter_files

from ..core.lint import LintReport, lint
from ..exit_codes import EXIT_FAILURES, EXIT_OK, EXIT_USAGE
from ..redaction import mask_data
from .inputs import STDIN_NAME, read_stdin, split_stdin


def add_parser(sub: Any) -> None:
    """Register the ``lint`` subcommand."""
    p = sub.add_parser("lint", help="check policy files: schema and CEL errors with positions, costs, advice")
    p.add_argument("paths", nargs="+", metavar="PATH", help="policy files or folders ('-' for standard input)")
    p.add_argument("-o", "--output-format", default="text", choices=["text", "json"])
    p.set_defaults(run=run)


def _where(d: Diagnostic) -> str:
    where = f"document {(d.document or 0) + 1}" + (f", {d.path}" if d.path else "")
    if d.line is not None:
        where += f" (line {d.line}, column {d.column})"
    if d.expression_line is not None:
        where += f" [expression line {d.expression_line}, column {d.expression_column}]"
    return where


def _text(name: str, report: LintReport) -> str:
    status = "ok" if report.valid else f"{len(report.errors)} error(s)"
    lines = [f"{name}: {status} ({', '.join(report.policies) or 'no policy loaded'})"]
    for d in report.diagnostics:
        label = "suggestion" if d.severity == "info" else d.severity
        lines.append(f"  {label}: {_where(d)}: {d.message}")
        if d.snippet:
            lines.append("    " + d.snippet.replace("\n", "\n    "))
    lines.extend(f"  cost {c.level}: {c.path}: {c.reason}" for c in report.costs if c.level != "low")
    return "\n".join(lines)


def _json(report: LintReport) -> dict[str, Any]:
    return {
        "valid": report.valid,
        "policies": report.policies,
        "errors": [dataclasses.asdict(d) for d in report.errors],
        "advice": [dataclasses.asdict(d) for d in report.advice],
        "costs": [dataclasses.asdict(c) for c in report.costs],
    }


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno lint``; exit 1 when any file has an error, 2 when a file cannot be read."""
    reports = []
    paths, with_stdin = split_stdin(args.paths, "PATH")
    if with_stdin:
        reports.append((STDIN_NAME, lint(read_stdin(), STDIN_NAME)))
    for path in iter_files(paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: {path}: cannot read file: {exc}", file=sys.stderr)
            return EXIT_USAGE
        reports.append((str(path), lint(text, str(path))))
    if not reports:
        print("error: no policy file found", file=sys.stderr)
        return EXIT_USAGE
    if args.output_format == "json":
        print(json.dumps(mask_data({name: _json(report) for name, report in reports}), indent=2))
    else:
        print("\n".join(_text(name, report) for name, report in reports))
    return EXIT_OK if all(report.valid for _, report in reports) else EXIT_FAILURES
