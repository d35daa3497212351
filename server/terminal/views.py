"""What ``apply``, ``scan`` and ``test`` print on standard output: the rich view on a terminal, the plain text of
:mod:`pykyverno.server.output` elsewhere (unchanged, so that scripts and pipes read what they always read)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from pykyverno.engine.results import RuleResult

from ..output import (
    FAILING_HEADER,
    FAILURE_HEADER,
    SUMMARY_HEADER,
    FindingFilter,
    failing_policies,
    failure_rows,
    findings,
    hidden_note,
    one_line,
    render_scan,
    results_table,
    scan_summary_rows,
    scan_totals_line,
)
from ..redaction import mask_text
from .console import colour_wanted, stdout_console

RESULT_STYLES = {"pass": "green", "fail": "bold red", "warn": "yellow", "error": "bold magenta", "skip": "dim"}
SEVERITY_STYLES = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan",
                   "info": "dim"}
#: Width of the summary bar, in cells.
BAR_WIDTH = 40
COUNTED = ("pass", "fail", "warn", "error", "skip")


def _cell(text: object, style: str = "") -> Text:
    """A table cell: masked before rich sees it (wrapping could split a secret across lines), never cut."""
    return Text(mask_text(one_line(str(text))), style=style)


def _result(result: str) -> Text:
    return _cell(result.upper(), RESULT_STYLES.get(result, ""))


def _severity(severity: str) -> Text:
    return _cell(severity or "-", SEVERITY_STYLES.get(severity, "dim"))


def summary_bar(counts: Mapping[str, int]) -> Text:
    """A bar whose coloured parts are the shares of each result, followed by the counts."""
    total = sum(counts.get(k, 0) for k in COUNTED)
    bar = Text()
    if total:
        widths = {k: round(BAR_WIDTH * counts.get(k, 0) / total) for k in COUNTED}
        for key in COUNTED:
            if counts.get(key, 0) and not widths[key]:
                widths[key] = 1  # a single failure is never rounded away
            bar.append("█" * widths[key], RESULT_STYLES[key])
        bar.append("  ")
    for key in COUNTED:
        bar.append(f"{counts.get(key, 0)} {key}", RESULT_STYLES[key] if counts.get(key, 0) else "dim")
        bar.append("  ")
    return bar


def _table(*headers: str) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, expand=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def _print(console: Console, *items: Any) -> None:
    for item in items:
        console.print(item)


# ---------------------------------------------------------------------------------------------------------- apply


def print_apply(results: Sequence[RuleResult], counts: Mapping[str, int], policies: int, resources: int, *,
                table: bool, problems: int = 0) -> None:
    """The results of ``apply``: every result with ``table``, else the ones that are not ``pass``/``skip``."""
    header = f"Applying {policies} policy(ies) to {resources} resource(s)..."
    if not colour_wanted(sys.stdout):
        print(header)
        if table:
            print(results_table(results))
        else:
            for r in results:
                if r.result in ("fail", "error", "warn"):
                    print(f"policy {r.policy} -> resource {r.resource}: {r.result.upper()}: {r.message}")
        print("\n" + ", ".join(f"{k}: {counts[k]}" for k in COUNTED))
        return
    console = stdout_console()
    shown = [r for r in results if table or r.result in ("fail", "error", "warn")]
    rows = _table("ID", "POLICY", "RULE", "RESOURCE", "RESULT", "MESSAGE")
    for i, r in enumerate(shown, 1):
        rows.add_row(_cell(i), _cell(r.policy, "bold"), _cell(r.rule), _cell(r.resource), _result(r.result),
                     _cell(r.message))
    items: list[Any] = [Text(header, style="bold")]
    if shown:
        items.append(rows)
    items.append(summary_bar(counts))
    if problems:
        items.append(Text(f"INCOMPLETE: {problems} input problem(s), listed on standard error", style="bold red"))
    _print(console, *items)


# ----------------------------------------------------------------------------------------------------------- scan


def print_scan(report: Any, keep: FindingFilter) -> str | None:
    """The scan's table view: printed with colour when standard output is a terminal (returns None), else the plain
    text to write (returned, for ``--output-file`` and pipes)."""
    if not colour_wanted(sys.stdout):
        return render_scan(report, "table", keep=keep)
    console = stdout_console()
    items: list[Any] = [Text("Compliance summary", style="bold underline"), summary_bar(report.summary())]
    summary = _table(*SUMMARY_HEADER)
    for row in scan_summary_rows(report):
        error = row[-1].startswith("ERROR:")
        summary.add_row(*(_cell(c) for c in row[:3]), _cell(row[3], "bold red" if row[3] not in ("0", "-") else ""),
                        *(_cell(c) for c in row[4:7]), _cell(row[7], "bold red" if error else ""))
    items.append(summary)
    items.extend(_scan_findings(report, keep))
    failures = failure_rows(report)
    if failures:
        table = _table(*FAILURE_HEADER)
        for row in failures:
            table.add_row(*(_cell(c) for c in row[:3]), _cell(row[3], "bold red"), _cell(row[4]))
        items += [Text("Not scanned", style="bold red underline"), table]
    items += [Text(f"policy problem: {mask_text(issue)}", style="bold red") for issue in report.policy_issues]
    totals = scan_totals_line(report)
    items.append(Text(mask_text(totals), style="bold red" if "INCOMPLETE" in totals else "bold"))
    _print(console, *items)
    return None


def _scan_findings(report: Any, keep: FindingFilter) -> list[Any]:
    if keep.summary:
        failing = failing_policies(report)
        if not failing:
            return []
        table = _table(*FAILING_HEADER)
        for policy, severity, fail, error in failing:
            table.add_row(_cell(policy, "bold"), _severity(severity), _cell(fail, "red" if fail else "dim"),
                          _cell(error, "magenta" if error else "dim"))
        return [Text("Failing policies", style="bold underline"), table,
                Text("(--summary: run without it to list each finding)", style="dim")]
    found = findings(report, keep)
    total = sum(1 for c in report.clusters for r in c.results if r.result in ("fail", "warn", "error"))
    note = hidden_note(total, len(found), keep)
    if not found:
        return [Text(note, style="dim")] if note else []
    table = _table("SEVERITY", "POLICY", "CONTEXT", "RESOURCE", "RESULT", "MESSAGE")
    previous = None
    for context, r in found:
        group = (r.severity, r.policy)
        if previous is not None and group != previous:
            table.add_section()
        table.add_row(_severity(r.severity) if group != previous else Text(""),
                      _cell(r.policy, "bold") if group != previous else Text(""),
                      _cell(context, "dim"), _cell(r.resource), _result(r.result), _cell(r.message))
        previous = group
    items: list[Any] = [Text(f"Findings ({len(found)}), grouped by policy", style="bold underline"), table]
    if note:
        items.append(Text(note, style="dim"))
    return items


# ----------------------------------------------------------------------------------------------------------- test


def print_test_table(rows: Sequence[Sequence[str]], plain: str) -> None:
    """The ``test`` table (``rows`` with a header row first): coloured on a terminal, ``plain`` elsewhere."""
    if not colour_wanted(sys.stdout):
        print(plain)
        return
    table = _table(*rows[0])
    for row in rows[1:]:
        style = "green" if row[6] == "Pass" else "bold red"
        table.add_row(*(_cell(c) for c in row[:6]), _cell(row[6], style), _cell(row[7]))
    stdout_console().print(Group(table))
