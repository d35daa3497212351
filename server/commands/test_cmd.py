"""``pykyverno test``: run Kyverno CLI Test files (``kyverno-test.yaml``) and compare with the expected results."""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from pykyverno.engine.errors import EngineError

from ..exit_codes import EXIT_FAILURES, EXIT_INCOMPLETE, EXIT_OK
from ..output import one_line
from ..redaction import mask_data, mask_text
from ..terminal import print_test_table
from ..testrunner import CaseOutcome, TestRun, discover, parse_test_file, run_test
from ..testrunner.testfile import DEFAULT_FILE_NAME


def add_parser(sub: Any) -> None:
    """Register the ``test`` subcommand."""
    p = sub.add_parser("test", help="run kyverno-test.yaml files and compare with expected results")
    p.add_argument("paths", nargs="+", metavar="PATH", help="test files or folders to search")
    p.add_argument("-f", "--file-name", default=DEFAULT_FILE_NAME, help="test file name (default %(default)s)")
    p.add_argument(
        "-t", "--test-case-selector", default="", help='filter cases, e.g. "policy=disallow-*,resource=bad*"'
    )
    p.add_argument("--fail-only", action="store_true", help="show only failed cases")
    p.add_argument("-o", "--output-format", default="table", choices=["table", "json", "junit"])
    p.add_argument("--per-folder", action="store_true", help="print the pass rate per folder and policy kind")
    p.set_defaults(run=run)


def _selector(text: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        out[key.strip()] = value.strip() or "*"
    return out


def _selected(outcome: CaseOutcome, selector: dict[str, str]) -> bool:
    fields = {"policy": outcome.policy, "rule": outcome.rule, "resource": outcome.resource}
    return all(fnmatch.fnmatchcase(fields.get(k, ""), pattern) for k, pattern in selector.items())


def collect(paths: list[str], file_name: str = DEFAULT_FILE_NAME) -> tuple[list[TestRun], list[str]]:
    """Discover and run every test; return the runs and the files that could not be read."""
    runs: list[TestRun] = []
    problems: list[str] = []
    try:
        files = list(discover(paths, file_name))
    except EngineError as exc:
        return runs, [str(exc)]
    if not files:
        return runs, [f"no {file_name} found under {', '.join(paths)}"]
    for file in files:
        try:
            tests = parse_test_file(file)
        except EngineError as exc:
            problems.append(str(exc))
            continue
        for test in tests:
            runs.append(run_test(test))
    return runs, problems


def summary(outcomes: list[CaseOutcome]) -> dict[str, int]:
    """Counts of passed and failed cases."""
    passed = sum(1 for o in outcomes if o.passed)
    return {"total": len(outcomes), "passed": passed, "failed": len(outcomes) - passed}


def rates_by_folder(outcomes: list[CaseOutcome], root: Path | None = None) -> dict[tuple[str, str], Counter[str]]:
    """Pass/fail counts per (top folder, policy kind)."""
    table: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for o in outcomes:
        path = Path(o.test_file)
        try:
            rel = path.relative_to(root) if root else path
        except ValueError:
            rel = path
        folder = "/".join(rel.parts[:2]) if len(rel.parts) > 2 else str(rel.parent)
        table[(folder, o.policy_kind or "?")]["passed" if o.passed else "failed"] += 1
    return table


def _rows(outcomes: list[CaseOutcome]) -> list[tuple[str, ...]]:
    """The header and one row per case (reasons whole: a table never cuts a value)."""
    rows: list[tuple[str, ...]] = [("ID", "POLICY", "RULE", "RESOURCE", "EXPECTED", "ACTUAL", "RESULT", "REASON")]
    for i, o in enumerate(outcomes, 1):
        rows.append(
            (
                str(i),
                o.policy,
                o.rule,
                f"{o.kind}/{o.resource}",
                o.expected,
                o.actual,
                "Pass" if o.passed else "Fail",
                one_line(o.reason),
            )
        )
    return rows


def _table(outcomes: list[CaseOutcome]) -> str:
    rows = _rows(outcomes)
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [row[c].ljust(widths[c]) for c in range(len(widths))] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _attr(text: str) -> str:
    """An XML attribute value, masked before it is quoted (see :mod:`pykyverno.server.redaction`)."""
    return quoteattr(mask_text(text, markup=False))


def _junit(runs: list[TestRun]) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for run in runs:
        failures = sum(1 for o in run.outcomes if not o.passed)
        parts.append(
            f'  <testsuite name={_attr(run.test.label)} tests="{len(run.outcomes)}" failures="{failures}">'
        )
        for o in run.outcomes:
            name = _attr(f"{o.policy} {o.rule} {o.kind}/{o.resource}".replace("  ", " "))
            parts.append(f"    <testcase name={name} classname={_attr(run.test.name or 'test')}>")
            if not o.passed:
                parts.append(
                    f"      <failure message={_attr(f'expected {o.expected}, got {o.actual}')}>"
                    f"{_attr(o.reason)[1:-1]}</failure>"
                )
            parts.append("    </testcase>")
        parts.append("  </testsuite>")
    parts.append("</testsuites>")
    return "\n".join(parts)


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno test``."""
    runs, problems = collect(args.paths, args.file_name)
    selector = _selector(args.test_case_selector)
    outcomes = [o for r in runs for o in r.outcomes if _selected(o, selector)]
    shown = [o for o in outcomes if not o.passed] if args.fail_only else outcomes
    counts = summary(outcomes)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    issues = [f"{r.test.path}: {issue}" for r in runs for issue in r.issues]
    for issue in issues:  # a document that was not read: the cases that need it cannot be trusted
        print(f"error: {issue}", file=sys.stderr)
    if args.output_format == "json":
        payload = {
            "summary": counts,
            "results": [o.to_dict() for o in shown],
            "problems": problems + [i for r in runs for i in r.issues],
        }
        print(json.dumps(mask_data(payload), indent=2))
    elif args.output_format == "junit":
        print(_junit(runs))
    else:
        if shown:
            print_test_table(_rows(shown), _table(shown))
        if args.per_folder:
            root = Path(args.paths[0]) if len(args.paths) == 1 and Path(args.paths[0]).is_dir() else None
            print()
            for (folder, kind), c in sorted(rates_by_folder(outcomes, root).items()):
                total = c["passed"] + c["failed"]
                print(f"{folder:48} {kind:28} {c['passed']:5}/{total:<5} {100.0 * c['passed'] / total:6.1f}%")
        print(f"\nTest summary: {counts['passed']} passed, {counts['failed']} failed (of {counts['total']} cases)")
    if problems or issues:
        return EXIT_INCOMPLETE
    return EXIT_OK if counts["failed"] == 0 else EXIT_FAILURES
