"""Rendering results: tables, markdown, PolicyReports. Redaction of secrets happens here, once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from pykyverno.engine.results import RuleResult, summarize

REPORT_API_VERSION = "wgpolicyk8s.io/v1alpha2"


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


def policy_reports(results: Iterable[RuleResult]) -> list[dict[str, Any]]:
    """One PolicyReport per namespace and one ClusterPolicyReport for cluster-scoped resources."""
    by_namespace: dict[str, list[RuleResult]] = defaultdict(list)
    for r in results:
        by_namespace[r.resource.namespace].append(r)
    reports = []
    for namespace in sorted(by_namespace):
        items = by_namespace[namespace]
        metadata: dict[str, Any] = {"name": f"pykyverno-{namespace}" if namespace else "pykyverno-cluster"}
        if namespace:
            metadata["namespace"] = namespace
        reports.append(
            {
                "apiVersion": REPORT_API_VERSION,
                "kind": "PolicyReport" if namespace else "ClusterPolicyReport",
                "metadata": metadata,
                "summary": summarize(items),
                "results": [r.to_report() for r in items],
            }
        )
    return reports
