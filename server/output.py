"""Rendering results: tables, markdown, PolicyReports. Redaction of secrets happens here, once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pykyverno.engine.results import RuleResult, summarize

REPORT_API_VERSION = "wgpolicyk8s.io/v1alpha2"
#: Findings are listed most severe first, then by result.
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4, "": 5}
RESULT_ORDER = {"fail": 0, "error": 1, "warn": 2, "pass": 3, "skip": 4}


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A left-aligned plain-text table (like kubectl's)."""
    all_rows = [list(header), *[list(map(str, r)) for r in rows]]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in all_rows)


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
        (str(i), r.policy, r.rule, str(r.resource), r.result.upper(), r.message[:160]) for i, r in enumerate(results, 1)
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


def finding_rows(report: Any, limit: int | None = None) -> list[tuple[str, ...]]:
    """Failing, warning and erroring results, most severe first."""
    rows = []
    for cluster in report.clusters:
        for r in cluster.findings():
            if r.result in ("fail", "warn", "error"):
                rows.append(
                    (
                        SEVERITY_ORDER.get(r.severity, 5),
                        cluster.context,
                        r.policy,
                        str(r.resource),
                        r.severity or "-",
                        r.result,
                        " ".join(r.message.split())[:200],
                    )
                )
    rows.sort(key=lambda row: (row[0], row[1], row[2], row[3]))
    trimmed: list[tuple[str, ...]] = [tuple(str(cell) for cell in row[1:]) for row in rows]
    return trimmed[:limit] if limit is not None else trimmed


def failure_rows(report: Any) -> list[tuple[str, ...]]:
    """Resource types that could not be listed."""
    return [
        (f.context, f.resource, f.namespace or "(all)", f.reason, " ".join(f.message.split())[:160])
        for c in report.clusters
        for f in c.failures
    ]


def render_scan(report: Any, fmt: str = "table", limit: int | None = None) -> str:
    """The scan report as a text or markdown table (summary, findings, listing failures)."""
    table = markdown_table if fmt == "markdown" else text_table
    parts = []
    title = "## Compliance summary" if fmt == "markdown" else "COMPLIANCE SUMMARY"
    parts.append(f"{title}\n\n{table(SUMMARY_HEADER, scan_summary_rows(report))}")
    findings = finding_rows(report, limit)
    total = sum(1 for c in report.clusters for _ in c.findings())
    if findings:
        heading = "## Findings" if fmt == "markdown" else "FINDINGS"
        more = f"\n\n({total - len(findings)} more not shown)" if total > len(findings) else ""
        parts.append(f"{heading}\n\n{table(FINDING_HEADER, findings)}{more}")
    failures = failure_rows(report)
    if failures:
        heading = "## Not scanned" if fmt == "markdown" else "NOT SCANNED"
        parts.append(f"{heading}\n\n{table(FAILURE_HEADER, failures)}")
    for issue in report.policy_issues:
        parts.append(f"policy problem: {issue}")
    counts = report.summary()
    objects = sum(c.objects for c in report.clusters)
    parts.append(
        f"{len(report.clusters)} cluster(s), {objects} object(s), {len(report.policies)} policies: "
        + ", ".join(f"{counts[k]} {k}" for k in ("pass", "fail", "warn", "error", "skip"))
        + (" (cancelled)" if report.cancelled else "")
        + (" (deadline reached)" if getattr(report, "deadline_reached", False) else "")
        + (" -- INCOMPLETE: see NOT SCANNED" if failures or any(c.error for c in report.clusters) else "")
    )
    return "\n\n".join(parts)
