"""``pykyverno migrate``: rewrite kyverno.io/v1 ClusterPolicies/Policies as CEL policies and prove it.

Without ``--output-dir`` the converted policies are printed as YAML, preceded by comment lines saying what each
rule became (or why it was not converted). With it, each source file gets a ``<name>.yaml`` of its converted
policies in DIR, plus ``migration-map.json`` (policy -> rule -> new policy). ``--check`` runs the originals and the
conversions on Test files (or resources) and lists where their verdicts differ. Exit 0 when every rule converted
and every checked pair agrees, 1 otherwise, 2 for unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pykyverno.engine.documents import parse_documents
from pykyverno.engine.errors import EngineError

from ..core.errors import InputError
from ..core.migrate import dump_policies
from ..core.migrate_check import MigrationReport, PairCheck, migrate_sources, read_policy_files
from ..exit_codes import EXIT_FAILURES, EXIT_OK, EXIT_USAGE
from ..output_files import make_output_dir, write_output_file
from ..redaction import mask_data, mask_text
from .inputs import STDIN_NAME, read_stdin, split_stdin

MAP_FILE = "migration-map.json"


def add_parser(sub: Any) -> None:
    """Register the ``migrate`` subcommand."""
    p = sub.add_parser("migrate", help="convert kyverno.io/v1 ClusterPolicies to CEL policies, and check them")
    p.add_argument("paths", nargs="+", metavar="POLICY_PATH", help="ClusterPolicy/Policy files or folders")
    p.add_argument("--output-dir", metavar="DIR", help="write the converted policies and migration-map.json here")
    p.add_argument("--check", nargs="+", default=[], metavar="TEST_OR_RESOURCE_PATH",
                   help="compare the original and converted policies on Test files (or resource manifests)")
    p.add_argument("-o", "--output-format", default="table", choices=["table", "json"])
    p.set_defaults(run=run)


def _rule_lines(report: MigrationReport) -> list[str]:
    lines = []
    for rule in report.migration.rules:
        where = f"{rule.policy}/{rule.rule} ({rule.rule_type})"
        outcome = f"-> {rule.converted_to}" if rule.converted_to else f"NOT CONVERTED: {rule.reason}"
        lines.append(f"{where} {outcome}")
    for exception in report.migration.exceptions:
        outcome = f"-> {exception.converted_to}" if exception.converted_to else f"NOT CONVERTED: {exception.reason}"
        lines.append(f"PolicyException {exception.policy} {outcome}")
    return lines


def _pair_line(pair: PairCheck) -> str:
    expected = f", Kyverno expects {pair.expected}" if pair.expected else ""
    verdicts = f"original {pair.original}, converted {pair.converted}{expected}"
    return f"{pair.policy}/{pair.rule} on {pair.resource}: {verdicts}"


def _summary_line(report: MigrationReport) -> str:
    s = report.summary()
    text = f"{s['converted']}/{s['rules']} rule(s) converted"
    if report.check is not None:
        text += f"; {s['agree']}/{s['pairs']} checked pair(s) agree"
    return text


def _write(report: MigrationReport, sources: list[tuple[str, list[dict[str, Any]]]], folder: Path) -> list[str]:
    make_output_dir(folder)
    written = []
    by_name = {str(d["metadata"]["name"]): d for d in report.migration.documents}
    for origin, documents in sources:
        names = [r.converted_to for r in report.migration.rules if r.converted_to and any(
            (d.get("metadata") or {}).get("name") == r.policy.rsplit("/", 1)[-1] for d in documents)]
        converted = [by_name[n] for n in names if n in by_name]
        if not converted:
            continue
        target = folder / f"{'stdin' if origin == STDIN_NAME else Path(origin).stem}.yaml"
        write_output_file(target, dump_policies(converted))
        written.append(str(target))
    mapping = folder / MAP_FILE
    write_output_file(mapping, json.dumps(report.migration.name_map(), indent=2) + "\n")
    written.append(str(mapping))
    return written


def _table(report: MigrationReport, written: list[str], to_stdout: bool) -> str:
    lines: list[str] = []
    if to_stdout:
        lines.extend(f"# {line}" for line in _rule_lines(report))
        lines.append(dump_policies(report.migration.documents).rstrip()
                     if report.migration.documents else "# nothing converted")
    else:
        lines.extend(_rule_lines(report))
        lines.extend(f"wrote {path}" for path in written)
    prefix = "# " if to_stdout else ""
    if report.check is not None:
        differences = report.check.differences
        lines.append(f"{prefix}verdicts that differ between original and converted: {len(differences)}")
        lines.extend(f"{prefix}  {_pair_line(p)}" for p in differences)
        others = [p for p in report.check.pairs if not p.agrees and p.same]
        lines.extend(f"{prefix}  {_pair_line(p)} (the original differs from Kyverno too)" for p in others)
    lines.extend(f"{prefix}problem: {p}" for p in report.to_dict(False)["problems"])
    lines.append(f"{prefix}{_summary_line(report)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Execute ``pykyverno migrate``."""
    try:
        files, with_stdin = split_stdin(args.paths, "PATH")
        sources = read_policy_files([Path(p) for p in files])
        if with_stdin:
            sources.append((STDIN_NAME, [doc.data for doc in parse_documents(read_stdin(), STDIN_NAME)]))
        for path in args.check:
            if not Path(path).exists():
                raise EngineError(f"{path}: no such file or directory")
        report = migrate_sources(sources, [Path(p) for p in args.check])
    except (EngineError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not report.migration.rules:
        print("error: no kyverno.io/v1 ClusterPolicy or Policy found in " + ", ".join(args.paths), file=sys.stderr)
        return EXIT_USAGE
    written = _write(report, sources, Path(args.output_dir)) if args.output_dir else []
    if args.output_format == "json":
        answer = report.to_dict(with_documents=not args.output_dir)
        if written:
            answer["written"] = written
        print(json.dumps(mask_data(answer), indent=2))
    else:
        print(mask_text(_table(report, written, to_stdout=not args.output_dir)))
    return EXIT_OK if report.clean else EXIT_FAILURES
