"""What ``apply``, ``scan`` and ``test`` print on standard output: the rich view on a terminal, the plain text of
:mod:`pykyverno.server.output` elsewhere (unchanged, so that scripts and pipes read what they always read)."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
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
    finding_total,
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
#: Findings the terminal view lists (rich lays a row out in about a millisecond; nobody reads 10,000 rows on a
#: screen): the rest are counted in a note that says how to list them all.
MAX_TERMINAL_FINDINGS = 1000
#: The widest word a message column makes room for (longer ones, such as a long path, are folded).
MAX_WORD = 60
COUNTED = ("pass", "fail", "warn", "error", "skip")


def _cell(text: object, style: str = "") -> Text:
    """A table cell: masked before rich sees it (wrapping could split a secret across lines), never cut."""
    return Text(mask_text(one_line(str(text))), style=style)


def _result(result: str) -> Text:
    return _cell(result.upper(), RESULT_STYLES.get(result, ""))


def _severity(severity: str) -> Text:
    return _cell(severity or "-", SEVERITY_STYLES.get(severity, "dim"))


def summary_bar(counts: Mapping[str, int], width: int = 80) -> Text:
    """A bar whose coloured parts are the shares of each result, followed by the counts (the bar shrinks so that
    the counts stay on the line in a ``width`` wide terminal)."""
    total = sum(counts.get(k, 0) for k in COUNTED)
    words = sum(len(f"{counts.get(k, 0)} {k}  ") for k in COUNTED)
    bar_width = min(BAR_WIDTH, width - words - 2)
    bar = Text()
    if total and bar_width >= 10:
        widths = {k: round(bar_width * counts.get(k, 0) / total) for k in COUNTED}
        for key in COUNTED:
            if counts.get(key, 0) and not widths[key]:
                widths[key] = 1  # a single failure is never rounded away
            bar.append("█" * widths[key], RESULT_STYLES[key])
        bar.append("  ")
    for key in COUNTED:
        bar.append(f"{counts.get(key, 0)} {key}", RESULT_STYLES[key] if counts.get(key, 0) else "dim")
        bar.append("  ")
    bar.rstrip()
    return bar


def _table(*headers: str, rows: Sequence[Sequence[Text]] = (), prose: Sequence[str] = ("MESSAGE", "REASON"),
           sections: Sequence[int] = (), width: int | None = None) -> Table | Group:
    """A table of ``rows``: identifier columns are as wide as their longest value (a name is never split); the
    prose columns (messages) take the rest and wrap between words, at least as wide as their longest word (up to
    :data:`MAX_WORD`), so that a value is never cut in the middle. A rule follows each row index in ``sections``.
    Columns empty in every row are left out; when the rest does not fit in ``width``, each row is printed as a
    block (identifiers on one line, the prose wrapped below) instead of a table that would crop them."""
    keep = [i for i, _ in enumerate(headers) if not rows or any(i < len(r) and r[i].plain for r in rows)]
    headers = tuple(headers[i] for i in keep)
    rows = [tuple(r[i] for i in keep) for r in rows]
    minimums = []
    for i, header in enumerate(headers):
        values = [row[i].plain for row in rows]
        if header in prose:
            longest_word = max((len(w) for v in values for w in v.split()), default=0)
            minimums.append(min(max(longest_word, 10), MAX_WORD))
        else:
            minimums.append(max([len(header), *(len(v) for v in values)]))
    if width is not None and rows and sum(minimums) + 3 * (len(minimums) - 1) > width:
        return _blocks(headers, rows, prose, sections)
    table = Table(show_header=True, header_style="bold", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False,
                  expand=False)
    for header, minimum in zip(headers, minimums, strict=True):
        if header in prose:
            table.add_column(header, overflow="fold", ratio=1, min_width=minimum)
        else:
            table.add_column(header, no_wrap=True, min_width=minimum, overflow="fold")
    ends = set(sections)
    for index, row in enumerate(rows):
        table.add_row(*row, end_section=index in ends)
    return table


def _blocks(headers: Sequence[str], rows: Sequence[Sequence[Text]], prose: Sequence[str],
            sections: Sequence[int]) -> Group:
    """Rows as blocks for a narrow terminal: the identifiers of a row on one line, each prose cell indented below."""
    items: list[Any] = []
    ends = set(sections)
    for index, row in enumerate(rows):
        head = Text("  ").join(
            Text(f"{header.lower()} ") + cell if cell.plain.isdigit() and header != "ID" else cell
            for header, cell in zip(headers, row, strict=True) if header not in prose and cell.plain
        )
        items.append(head)
        items += [Padding(cell, (0, 0, 0, 4)) for header, cell in zip(headers, row, strict=True) if header in prose]
        if index in ends:
            items.append(Text(""))
    return Group(*items)


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
    wanted = [r for r in results if table or r.result in ("fail", "error", "warn")]
    shown = wanted[:MAX_TERMINAL_FINDINGS]
    rows = _table("ID", "POLICY", "RULE", "RESOURCE", "RESULT", "MESSAGE", rows=[
        (_cell(i), _cell(r.policy, "bold"), _cell(r.rule), _cell(r.resource), _result(r.result), _cell(r.message))
        for i, r in enumerate(shown, 1)
    ], width=console.width)
    items: list[Any] = [Text(header, style="bold")]
    if shown:
        items.append(rows)
    if len(wanted) > len(shown):
        items.append(Text(f"({len(wanted) - len(shown)} more result(s) not shown: a terminal lists the first "
                          f"{len(shown)}; a pipe, -o json or -p gets every one)", style="dim"))
    items.append(summary_bar(counts, console.width))
    if problems:
        items.append(Text(f"INCOMPLETE: {problems} input problem(s), listed on standard error", style="bold red"))
    _print(console, *items)


# ----------------------------------------------------------------------------------------------------------- scan


def print_scan(report: Any, keep: FindingFilter) -> str | None:
    """The scan's table view: printed with colour when standard output is a terminal (returns None), else the plain
    text to write (returned, for ``--output-file`` and pipes)."""
    if not colour_wanted(sys.stdout):
        return render_scan(report, "table", keep=keep)
    from ..scan.gc_tuning import scan_gc  # loaded with the scan whose report this is (the package is slow to import)

    with scan_gc():  # the report's objects are not walked again and again by collections of the young generation
        _print_scan(report, keep)
    return None


def _print_scan(report: Any, keep: FindingFilter) -> None:
    console = stdout_console()
    items: list[Any] = [Text("Compliance summary", style="bold underline"),
                        summary_bar(report.summary(), console.width)]
    summary_rows = [
        (*(_cell(c) for c in row[:3]), _cell(row[3], "bold red" if row[3] not in ("0", "-") else ""),
         *(_cell(c) for c in row[4:7]), _cell(row[7], "bold red" if row[7].startswith("ERROR:") else ""))
        for row in scan_summary_rows(report)
    ]
    items.append(_table(*SUMMARY_HEADER, rows=summary_rows, prose=(SUMMARY_HEADER[-1],), width=console.width))
    items.extend(_scan_findings(report, keep, console.width))
    failures = failure_rows(report)
    if failures:
        table = _table(*FAILURE_HEADER, rows=[
            (*(_cell(c) for c in row[:3]), _cell(row[3], "bold red"), _cell(row[4])) for row in failures
        ], width=console.width)
        items += [Text("Not scanned", style="bold red underline"), table]
    items += [Text(f"policy problem: {mask_text(issue)}", style="bold red") for issue in report.policy_issues]
    totals = scan_totals_line(report)
    items.append(Text(mask_text(totals), style="bold red" if "INCOMPLETE" in totals else "bold"))
    _print(console, *items)


def _scan_findings(report: Any, keep: FindingFilter, width: int) -> list[Any]:
    if keep.summary:
        failing = failing_policies(report)
        if not failing:
            return []
        table = _table(*FAILING_HEADER, rows=[
            (_cell(policy, "bold"), _severity(severity), _cell(fail, "red" if fail else "dim"),
             _cell(error, "magenta" if error else "dim"))
            for policy, severity, fail, error in failing
        ], width=width)
        return [Text("Failing policies", style="bold underline"), table,
                Text("(--summary: run without it to list each finding)", style="dim")]
    found = findings(report, keep)
    total = finding_total(report)
    note = hidden_note(total, len(found), keep)
    if not found:
        return [Text(note, style="dim")] if note else []
    listed = len(found)
    if listed > MAX_TERMINAL_FINDINGS:
        found = found[:MAX_TERMINAL_FINDINGS]
        more = (f"({listed - len(found)} more finding(s) not shown: a terminal lists the {len(found)} most severe; "
                "--summary, --severity or --fail-only narrow the list, and a pipe or --output-file gets every one)")
        note = f"{more}\n{note}" if note else more
    several = len(report.clusters) > 1
    headers = ["SEVERITY", "POLICY", *(["CONTEXT"] if several else []), "RESOURCE", "RESULT", "MESSAGE"]
    rows: list[tuple[Text, ...]] = []
    sections: list[int] = []
    previous = None
    for context, r in found:
        group = (r.severity, r.policy)
        if previous is not None and group != previous:
            sections.append(len(rows) - 1)
        first = group != previous
        rows.append((_severity(r.severity) if first else Text(""), _cell(r.policy, "bold") if first else Text(""),
                     *([_cell(context, "dim")] if several else []), _cell(r.resource), _result(r.result),
                     _cell(r.message)))
        previous = group
    table = _table(*headers, rows=rows, sections=sections, width=width)
    items: list[Any] = [Text(f"Findings ({listed}), grouped by policy", style="bold underline"), table]
    if note:
        items.append(Text(note, style="dim"))
    return items


# ----------------------------------------------------------------------------------------------------------- test


def print_test_table(rows: Sequence[Sequence[str]], plain: str) -> None:
    """The ``test`` table (``rows`` with a header row first): coloured on a terminal, ``plain`` elsewhere."""
    if not colour_wanted(sys.stdout):
        print(plain)
        return
    cells = [
        (*(_cell(c) for c in row[:6]), _cell(row[6], "green" if row[6] == "Pass" else "bold red"), _cell(row[7]))
        for row in rows[1 : MAX_TERMINAL_FINDINGS + 1]
    ]
    console = stdout_console()
    console.print(_table(*rows[0], rows=cells, width=console.width))
    if len(rows) - 1 > len(cells):
        console.print(Text(f"({len(rows) - 1 - len(cells)} more case(s) not shown: a terminal lists the first "
                           f"{len(cells)}; --fail-only narrows the list, a pipe or -o json gets every one)",
                           style="dim"))
