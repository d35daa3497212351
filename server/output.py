"""Rendering results: tables, markdown, PolicyReports. Redaction of secrets happens here, once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from pykyverno.engine.results import RuleResult, summarize

REPORT_API_VERSION = "wgpolicyk8s.io/v1alpha2"
#: Findings are listed most severe first, then by result.
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4, "": 5}
RESULT_ORDER = {"fail": 0, "error": 1, "warn": 2, "pass": 3, "skip": 4}
#: Results a findings table lists.
FINDING_RESULTS = ("fail", "warn", "error")


def one_line(text: str) -> str:
    """``text`` on one line (whitespace runs as one space), never shortened: a table never cuts a value."""
    return " ".join(text.split())


@dataclass(frozen=True)
class FindingFilter:
    """Which findings a scan table lists (``--fail-only``, ``--severity``, ``--summary``); the counts always
    include every result, and ``error`` results are never hidden (they say something could not be evaluated)."""

    fail_only: bool = False
    #: The least severity listed (``""``: every one).
    min_severity: str = ""
    #: Only the summary and the failing policies, no finding per resource.
    summary: bool = False

    def keeps(self, result: RuleResult) -> bool:
        """Whether ``result`` is a finding this filter lists."""
        if result.result not in FINDING_RESULTS:
            return False
        if result.result == "error":
            return True
        if self.fail_only and result.result != "fail":
            return False
        rank = SEVERITY_ORDER.get(result.severity, SEVERITY_ORDER[""])
        return not self.min_severity or rank <= SEVERITY_ORDER[self.min_severity]

    def describe(self) -> str:
        """The flags in force, for the note that says what was left out."""
        flags = ["--fail-only"] if self.fail_only else []
        flags += [f"--severity {self.min_severity}"] if self.min_severity else []
        return " and ".join(flags)


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A left-aligned plain-text table (like kubectl's)."""
    all_rows = [tuple(header), *[tuple(map(str, r)) for r in rows]]
    widths = [max(map(len, column)) for column in zip(*all_rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)  # each cell left-aligned in its column's width (str.ljust)
    return "\n".join([line.format(*r).rstrip() for r in all_rows])


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A GitHub-flavoured markdown table; pipes in cells are escaped."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(map(cell, r)) + " |" for r in rows)
    return "\n".join(lines)


def results_table(results: Sequence[RuleResult]) -> str:
    """Kyverno's apply table: ID, POLICY, RULE, RESOURCE, RESULT, MESSAGE."""
    rows = [
        (str(i), r.policy, r.rule, str(r.resource), r.result.upper(), one_line(r.message))
        for i, r in enumerate(results, 1)
    ]
    return text_table(("ID", "POLICY", "RULE", "RESOURCE", "RESULT", "MESSAGE"), rows)


def policy_report_parts(results: Iterable[RuleResult]) -> Iterator[tuple[dict[str, Any], list[RuleResult]]]:
    """One PolicyReport per namespace and one ClusterPolicyReport for cluster-scoped resources, each without its
    ``results`` and with the results that go there."""
    by_namespace: dict[str, list[RuleResult]] = defaultdict(list)
    for r in results:
        by_namespace[r.resource.namespace].append(r)
    for namespace in sorted(by_namespace):
        items = by_namespace[namespace]
        metadata: dict[str, Any] = {"name": f"pykyverno-{namespace}" if namespace else "pykyverno-cluster"}
        if namespace:
            metadata["namespace"] = namespace
        report = {
            "apiVersion": REPORT_API_VERSION,
            "kind": "PolicyReport" if namespace else "ClusterPolicyReport",
            "metadata": metadata,
            "summary": summarize(items),
        }
        yield report, items


def policy_reports(results: Iterable[RuleResult]) -> list[dict[str, Any]]:
    """One PolicyReport per namespace and one ClusterPolicyReport for cluster-scoped resources."""
    return [{**report, "results": [r.to_report() for r in items]} for report, items in policy_report_parts(results)]


def _finding_results(cluster: Any) -> Iterable[RuleResult]:
    """A scanned cluster's failing, warning and erroring results (read without rebuilding the passes a scan keeps
    compact, when it has :meth:`~pykyverno.server.scan.ClusterScan.findings`)."""
    found = getattr(cluster, "findings", None)
    return found() if found is not None else (r for r in cluster.results if r.result in FINDING_RESULTS)


def finding_total(report: Any) -> int:
    """How many failing, warning and erroring results the report's clusters hold."""
    return sum(1 for cluster in report.clusters for _ in _finding_results(cluster))


def _severity_cell(counts: dict[str, int]) -> str:
    parts = [f"{name}:{n}" for name, n in counts.items() if n]
    return " ".join(parts) or "-"


def scan_summary_rows(report: Any) -> list[tuple[str, ...]]:
    """Rows of (context, namespace, pass, fail, warn, error, skip, failing by severity)."""
    rows: list[tuple[str, ...]] = []
    for cluster in report.clusters:
        if cluster.error:
            rows.append((cluster.context, "-", "-", "-", "-", "-", "-", f"ERROR: {cluster.error}"))
            continue
        for namespace, counts in cluster.by_namespace().items():
            rows.append(
                (
                    cluster.context,
                    namespace or "(cluster)",
                    *(str(counts[k]) for k in ("pass", "fail", "warn", "error", "skip")),
                    _severity_cell(counts["failBySeverity"]),
                )
            )
        if not cluster.results:
            rows.append((cluster.context, "(none)", "0", "0", "0", "0", "0", "-"))
    return rows


SUMMARY_HEADER = ("CONTEXT", "NAMESPACE", "PASS", "FAIL", "WARN", "ERROR", "SKIP", "FAILING BY SEVERITY")
FINDING_HEADER = ("CONTEXT", "POLICY", "RESOURCE", "SEVERITY", "RESULT", "MESSAGE")
FAILURE_HEADER = ("CONTEXT", "RESOURCE TYPE", "NAMESPACE", "REASON", "MESSAGE")
FAILING_HEADER = ("POLICY", "SEVERITY", "FAIL", "ERROR")


def _sorted_findings(report: Any, keep: FindingFilter | None) -> list[tuple[str, str, RuleResult]]:
    """(context, resource as text, result) of the findings ``keep`` lists, in the order of :func:`findings`."""
    keep = keep or FindingFilter()
    names: dict[int, str] = {}  # each resource's text once (its findings share the reference)
    found = [(SEVERITY_ORDER.get(r.severity, 5), r.policy, cluster.context, names.get(id(r.resource))
              or names.setdefault(id(r.resource), str(r.resource)), r)
             for cluster in report.clusters for r in _finding_results(cluster) if keep.keeps(r)]
    found.sort(key=itemgetter(0, 1, 2, 3))
    return [(context, resource, r) for _, _, context, resource, r in found]


def findings(report: Any, keep: FindingFilter | None = None) -> list[tuple[str, RuleResult]]:
    """(context, result) of the failing, warning and erroring results ``keep`` lists, most severe first, then by
    policy (so that a policy's findings stay together), context and resource."""
    return [(context, r) for context, _, r in _sorted_findings(report, keep)]


def finding_rows(report: Any, limit: int | None = None, keep: FindingFilter | None = None) -> list[tuple[str, ...]]:
    """Failing, warning and erroring results, most severe first (messages whole, on one line)."""
    found = _sorted_findings(report, keep)
    if limit is not None:
        found = found[:limit]
    lines: dict[str, str] = {}  # each distinct message made one line once (a policy's failures share a few)
    rows: list[tuple[str, ...]] = []
    for context, resource, r in found:
        message = lines.get(r.message)
        if message is None:
            message = lines[r.message] = one_line(r.message)
        rows.append((context, r.policy, resource, r.severity or "-", r.result, message))
    return rows


def failing_policies(report: Any) -> list[tuple[str, str, int, int]]:
    """(policy, severity, failing results, erroring results) of every policy with a fail or error, worst first."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cluster in report.clusters:
        for r in _finding_results(cluster):
            if r.result in ("fail", "error"):
                counts[(r.policy, r.severity)][0 if r.result == "fail" else 1] += 1
    rows = [(policy, severity, fail, error) for (policy, severity), (fail, error) in counts.items()]
    rows.sort(key=lambda row: (SEVERITY_ORDER.get(row[1], 5), -row[2], row[0]))
    return rows


def failure_rows(report: Any) -> list[tuple[str, ...]]:
    """Resource types that could not be listed."""
    return [
        (f.context, f.resource, f.namespace or "(all)", f.reason, one_line(f.message))
        for c in report.clusters
        for f in c.failures
    ]


def hidden_note(total: int, shown: int, keep: FindingFilter) -> str:
    """What a filtered findings table left out, and how to see it (empty when nothing was left out)."""
    if total <= shown:
        return ""
    return f"({total - shown} finding(s) not listed because of {keep.describe()}; the counts include them)"


def scan_totals_line(report: Any) -> str:
    """The last line of a scan table: clusters, objects, policies, counts, and whether it is incomplete."""
    counts = report.summary()
    objects = sum(c.objects for c in report.clusters)
    reasons = [
        *(["see NOT SCANNED"] if any(c.failures or c.error for c in report.clusters) else []),
        *(["some policies did not load (policy problem above)"] if report.policy_issues else []),
    ]
    return (
        f"{len(report.clusters)} cluster(s), {objects} object(s), {len(report.policies)} policies: "
        + ", ".join(f"{counts[k]} {k}" for k in ("pass", "fail", "warn", "error", "skip"))
        + (" (cancelled)" if report.cancelled else "")
        + (" (deadline reached)" if getattr(report, "deadline_reached", False) else "")
        + (f" -- INCOMPLETE: {'; '.join(reasons)}" if reasons else "")
    )


def render_scan(report: Any, fmt: str = "table", limit: int | None = None, keep: FindingFilter | None = None) -> str:
    """The scan report as a text or markdown table (summary, findings, listing failures)."""
    from .scan.gc_tuning import scan_gc  # loaded with the scan whose report this is (the package is slow to import)

    with scan_gc():  # the report's objects are not walked again and again by collections of the young generation
        return _render_scan(report, fmt, limit, keep or FindingFilter())


def _render_scan(report: Any, fmt: str, limit: int | None, keep: FindingFilter) -> str:
    table = markdown_table if fmt == "markdown" else text_table
    parts = []
    title = "## Compliance summary" if fmt == "markdown" else "COMPLIANCE SUMMARY"
    parts.append(f"{title}\n\n{table(SUMMARY_HEADER, scan_summary_rows(report))}")
    if keep.summary:
        failing = failing_policies(report)
        if failing:
            heading = "## Failing policies" if fmt == "markdown" else "FAILING POLICIES"
            summary_rows = [(policy, severity or "-", str(fail), str(error))
                            for policy, severity, fail, error in failing]
            note = "(--summary: run without it to list each finding)"
            parts.append(f"{heading}\n\n{table(FAILING_HEADER, summary_rows)}\n\n{note}")
    else:
        rows = finding_rows(report, None, keep)
        listed = len(rows)
        rows = rows[:limit] if limit is not None else rows
        total = finding_total(report)
        notes = [n for n in (
            f"({listed - len(rows)} more not shown)" if listed > len(rows) else "",
            hidden_note(total, listed, keep),
        ) if n]
        if rows:
            heading = "## Findings" if fmt == "markdown" else "FINDINGS"
            parts.append(f"{heading}\n\n{table(FINDING_HEADER, rows)}" + "".join(f"\n\n{n}" for n in notes))
        elif notes:
            parts.append("\n\n".join(notes))
    failures = failure_rows(report)
    if failures:
        heading = "## Not scanned" if fmt == "markdown" else "NOT SCANNED"
        parts.append(f"{heading}\n\n{table(FAILURE_HEADER, failures)}")
    for issue in report.policy_issues:
        parts.append(f"policy problem: {issue}")
    parts.append(scan_totals_line(report))
    return "\n\n".join(parts)
