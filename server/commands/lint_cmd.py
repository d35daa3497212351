"""``pykyverno lint``: schema and CEL errors with positions, cost estimates and advice for policy files.

The same checks as the MCP tool ``lint_policy`` (the engine's loader and compiler: lint is compile).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pykyverno.engine.documents import iter_files

from ..mcp.lint import lint
from ..redaction import mask_data


def add_parser(sub: Any) -> None:
    """Register the ``lint`` subcommand."""
    p = sub.add_parser("lint", help="check policy files: schema and CEL errors with positions, costs, advice")
    p.add_argument("paths", nargs="+", metavar="PATH", help="policy files or folders")
    p.add_argument("-o", "--output-format", default="text", choices=["text", "json"])
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno lint``; exit 1 when any file has an error."""
    reports = []
    for path in iter_files(args.paths):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"error: {path}: cannot read file: {exc}", file=sys.stderr)
            return 2
        reports.append((str(path), lint(text, str(path))))
    if not reports:
        print("error: no policy file found", file=sys.stderr)
        return 2
    if args.output_format == "json":
        print(json.dumps(mask_data({p: r.model_dump(by_alias=True) for p, r in reports}), indent=2))
    else:
        for name, result in reports:
            status = "ok" if result.valid else f"{len(result.errors)} error(s)"
            print(f"{name}: {status} ({', '.join(result.policies) or 'no policy loaded'})")
            for error in result.errors:
                where = f"document {error.document}" + (f", {error.path}" if error.path else "")
                position = f" (line {error.line}, column {error.column})" if error.line else ""
                print(f"  error: {where}{position}: {error.message}")
                if error.snippet:
                    print("    " + error.snippet.replace("\n", "\n    "))
            for cost in result.costs:
                if cost.level != "low":
                    print(f"  cost {cost.level}: {cost.path}: {cost.reason}")
            for suggestion in result.suggestions:
                print(f"  suggestion: {suggestion}")
    return 0 if all(r.valid for _, r in reports) else 1
