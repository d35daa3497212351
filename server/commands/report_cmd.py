"""``pykyverno report``: the HTML report of a saved scan, and what changed between two saved scans; plus the
writers ``scan`` and ``apply`` use for ``-o html`` / ``-o sarif`` and ``--output-file``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pykyverno.engine.errors import LoadError
from pykyverno.engine.reader import load_json
from pykyverno.engine.results import RuleResult

from ..exit_codes import EXIT_FAILURES, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from ..output_files import write_output_file
from ..redaction import mask_data, mask_text
from ..report.diff import DiffInputError, check_scan, diff_scans
from ..report.diff import render_html as render_diff_html
from ..report.diff import render_text as render_diff_text
from ..report.html import render_html
from ..report.locate import locate
from ..report.sarif import sarif_log

#: ``report diff``: the new scan has findings the old one did not.
EXIT_NEW_FINDINGS = EXIT_FAILURES


def add_parser(sub: Any) -> None:
    """Register the ``report`` subcommand."""
    p = sub.add_parser("report", help="render saved scans: the HTML report, and what changed between two scans")
    commands = p.add_subparsers(dest="report_command", metavar="COMMAND", required=True)
    html = commands.add_parser("html", help="the HTML posture report of a saved scan (pykyverno scan -o json)")
    html.add_argument("scan", metavar="SCAN.json", help="a saved scan ('-' for standard input)")
    html.add_argument("--output-file", metavar="FILE", help="write the report to FILE instead of standard output")
    html.set_defaults(run=run_html)
    diff = commands.add_parser("diff", help="findings fixed, new and unchanged between two saved scans; exits 1 "
                                            "when there are new findings")
    diff.add_argument("old", metavar="OLD.json", help="the earlier scan")
    diff.add_argument("new", metavar="NEW.json", help="the later scan")
    diff.add_argument("-o", "--output", default="text", choices=["text", "html", "json"])
    diff.add_argument("--output-file", metavar="FILE", help="write the diff to FILE instead of standard output")
    diff.set_defaults(run=run_diff)


def write_output(text: str, output_file: str | None, masked: bool) -> None:
    """Print ``text`` (the CLI masks its standard output), or write it to ``output_file`` (and say so on stderr),
    masked as text unless it was made from masked data (``masked``)."""
    if not output_file:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    if not masked:
        text = mask_text(text)
    write_output_file(output_file, text if text.endswith("\n") else text + "\n")
    print(f"wrote {output_file}", file=sys.stderr)


def _read_scan(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffInputError(f"{path}: cannot read file: {exc}") from None
    try:
        return load_json(text, path)
    except LoadError as exc:
        raise DiffInputError(f"{exc} (save scans with `pykyverno scan -o json`)") from None


def run_html(args: argparse.Namespace) -> int:
    """Execute ``pykyverno report html``."""
    try:
        doc = mask_data(check_scan(_read_scan(args.scan), args.scan))
    except DiffInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if "posture" not in doc:
        print(f"error: {args.scan} has no 'posture' key: it was saved by an older pykyverno; scan again to get "
              "the report's figures", file=sys.stderr)
        return EXIT_USAGE
    write_output(render_html(doc), args.output_file, masked=True)
    return EXIT_OK


def run_diff(args: argparse.Namespace) -> int:
    """Execute ``pykyverno report diff``: exit 1 when the new scan has findings the old one did not."""
    try:
        diff = diff_scans(mask_data(_read_scan(args.old)), mask_data(_read_scan(args.new)))
    except DiffInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.output == "json":
        text = json.dumps(diff.to_dict(), indent=2)
    elif args.output == "html":
        text = render_diff_html(diff)
    else:
        text = render_diff_text(diff)
    write_output(text, args.output_file, masked=True)
    for reason in diff.incomplete:  # said on stderr too, for whoever reads only the exit code and the log
        print(f"error: {reason}", file=sys.stderr)
    if diff.incomplete:
        return EXIT_INCOMPLETE
    return EXIT_NEW_FINDINGS if diff.added else EXIT_OK


def sarif_text(results: Iterable[RuleResult], resource_paths: Iterable[str], documents: Mapping[str, Any],
               problems: Iterable[str], normalize: bool) -> str:
    """The SARIF log of results on resources read from ``resource_paths``."""
    log = sarif_log(results, locate(resource_paths, normalize=normalize), documents, problems=problems)
    return json.dumps(mask_data(log), indent=2)
