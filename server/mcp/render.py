"""Compact markdown for every tool answer (tables come from :mod:`pykyverno.server.output`).

The markdown is what a model reads first: short tables, the most severe findings, and an explicit way to continue.
The full data is in the structured content.
"""

from __future__ import annotations

import json
from typing import Any

from ..output import markdown_table
from .models import (
    ContextList,
    EvaluateResult,
    Explanation,
    LintResult,
    PolicyDescription,
    PolicyReportsResult,
    PolicySetList,
    ScanResult,
    SwitchResult,
)

_COUNTS = ("pass", "fail", "warn", "error", "skip")
MESSAGE_CHARS = 140


def _short(text: str, limit: int = MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(k, 0)} {k}" for k in _COUNTS)


def _severity_cell(counts: dict[str, int]) -> str:
    return " ".join(f"{k}:{v}" for k, v in counts.items() if v) or "-"


def contexts(answer: ContextList) -> str:
    """list_contexts."""
    rows = [(("* " if c.selected else "") + c.name, c.server, c.user, c.namespace, "yes" if c.current else "")
            for c in answer.contexts]
    text = markdown_table(("CONTEXT", "SERVER", "USER", "NAMESPACE", "KUBECONFIG CURRENT"), rows) if rows else \
        "No usable contexts."
    note = f"Selected for this session: `{answer.selected}` (marked *)." if answer.selected else \
        "No context selected: tools use the kubeconfig's current context."
    if not answer.session_scoped:
        note += (" This connection keeps no session (stateless HTTP): switch_context is refused; pass `context` to "
                 "each tool.")
    return f"{text}\n\n{note}"


def switched(answer: SwitchResult) -> str:
    """switch_context."""
    base = f"Context `{answer.context}` ({answer.server or 'no server URL'}) is now this session's default."
    return f"{base} {answer.note}".strip()


def policy_sets(answer: PolicySetList) -> str:
    """list_policy_sets."""
    rows = [(s.name + (" (default)" if s.default else ""), str(len(s.policies)), _short(s.description, 110),
             ", ".join(s.policies)) for s in answer.sets]
    return markdown_table(("SET", "POLICIES", "DESCRIPTION", "NAMES"), rows)


def description(d: PolicyDescription) -> str:
    """describe_policy."""
    lines = [f"## {d.name} — {d.title or d.kind}",
             f"Kind: {d.kind}; set: {d.set or '-'}; severity: {d.severity or 'unset'}; category: {d.category or '-'}; "
             f"actions: {', '.join(d.validation_actions) or 'default'}; "
             f"background scans: {'yes' if d.background else 'no'}"]
    if d.description:
        lines.append(f"\n{d.description}")
    lines.append("\nMatches: " + ("; ".join(d.matches) or "nothing declared"))
    if d.autogen:
        lines.append("Also checks (autogen): " + ", ".join(d.autogen))
    if d.checks:
        lines.append("\nChecks:")
        lines.extend(f"{i}. {c.message or '(no message)'} — `{_short(c.expression, 200)}`"
                     for i, c in enumerate(d.checks))
    if d.remediation:
        lines.append(f"\nHow to fix: {d.remediation}")
    if d.load_problems:
        lines.append("\nLoad problems: " + "; ".join(_short(p, 300) for p in d.load_problems))
    return "\n".join(lines)


#: Rows of each summary table shown in the text (the structured content has them all).
NAMESPACE_ROWS = 25
POLICY_ROWS = 20
NOT_SCANNED_ROWS = 10
POLICY_ISSUES = 5


def _left_out(shown: int, total: int, what: str, field: str) -> str:
    """A note for a table cut to ``shown`` of ``total`` rows ("" when nothing was cut)."""
    if total <= shown:
        return ""
    return f"\n\n({total - shown} more {what} not shown here: structuredContent.{field} has all {total})"


def scan(answer: ScanResult, tool: str) -> str:
    """scan_namespace / scan_cluster / scan_manifests. The first line says what was scanned; every cut table says
    how many rows it left out and where they are; later pages carry only their findings."""
    objects = sum(c.objects for c in answer.clusters)
    page = f" (page from result {answer.offset + 1})" if not answer.summary_tables else ""
    parts = [f"Scanned {answer.scope}{page}." + (" **INCOMPLETE**: " + "; ".join(answer.incomplete_reasons) + "."
                                                  if answer.incomplete else ""),
             f"## Compliance scan `{answer.scan_id}`" + (" (cancelled: partial)" if answer.cancelled else ""),
             f"{len(answer.clusters)} context(s), {objects} object(s), {answer.policies} policies "
             f"({', '.join(answer.policy_sets)}): {_counts(answer.totals)}"]
    parts.extend(f"Note: {n}." for n in answer.notes)
    for c in answer.clusters:
        if c.error:
            parts.append(f"**Context `{c.context}` was not scanned:** {c.error}")
    if answer.summary_tables:
        parts.extend(_summary_tables(answer))
    if answer.results:
        rows = [(f.severity or "-", f.result, f.policy, _resource(f.resource, len(answer.clusters) > 1, f.context),
                 _short(f.message)) for f in answer.results]
        first, last = answer.offset + 1, answer.offset + len(answer.results)
        parts.append(f"### Findings {first}-{last} of {answer.total_results}\n\n" + markdown_table(
            ("SEVERITY", "RESULT", "POLICY", "RESOURCE", "MESSAGE"), rows))
    elif answer.total_results == 0:
        parts.append("No failing results." if not answer.incomplete else
                     "No failing results in what was scanned (the scan is incomplete: see above).")
    if answer.next_cursor:
        parts.append(f"{answer.left_out} more finding(s) left out of this answer: call {tool} with "
                     f"cursor=\"{answer.next_cursor}\" (pages of {answer.limit}; pass `limit` to change). "
                     "Use explain_violation on a finding to see why it fails and how to fix it.")
    elif answer.total_results:
        parts.append("Use explain_violation on a finding to see why it fails and how to fix it.")
    if answer.report_uri:
        parts.append(f"HTML posture report: {answer.report_uri}")
    elif answer.summary_tables:
        parts.append("No HTML report resource: this scan was too large for the server to keep.")
    return "\n\n".join(parts)


def _summary_tables(answer: ScanResult) -> list[str]:
    parts = []
    ns_rows = [(n.context, n.namespace or "(cluster)", *(str(n.counts.get(k, 0)) for k in _COUNTS),
                _severity_cell(n.fail_by_severity)) for n in answer.namespaces]
    if ns_rows:
        parts.append("### By namespace\n\n" + markdown_table(
            ("CONTEXT", "NAMESPACE", "PASS", "FAIL", "WARN", "ERROR", "SKIP", "FAILING BY SEVERITY"),
            ns_rows[:NAMESPACE_ROWS]) + _left_out(NAMESPACE_ROWS, len(ns_rows), "namespaces", "namespaces"))
    failing = [p for p in answer.by_policy if p.counts.get("fail") or p.counts.get("warn") or p.counts.get("error")]
    if failing:
        rows = [(p.policy, p.severity or "-", *(str(p.counts.get(k, 0)) for k in ("fail", "warn", "error", "pass")))
                for p in failing[:POLICY_ROWS]]
        parts.append("### Failing policies\n\n" + markdown_table(
            ("POLICY", "SEVERITY", "FAIL", "WARN", "ERROR", "PASS"), rows)
            + _left_out(POLICY_ROWS, len(failing), "failing policies", "byPolicy"))
    if answer.not_scanned:
        rows = [(n.context, n.resource, n.namespace or "(all)", n.reason, _short(n.message, 100))
                for n in answer.not_scanned[:NOT_SCANNED_ROWS]]
        parts.append("### Not scanned\n\n" + markdown_table(("CONTEXT", "RESOURCE", "NAMESPACE", "REASON", "MESSAGE"),
                                                           rows)
                     + _left_out(NOT_SCANNED_ROWS, len(answer.not_scanned), "unscanned types", "notScanned"))
    if answer.policy_issues:
        parts.append("Policy problems: " + "; ".join(_short(i, 200) for i in answer.policy_issues[:POLICY_ISSUES])
                     + _left_out(POLICY_ISSUES, len(answer.policy_issues), "policy problems", "policyIssues"))
    return parts


def _resource(ref: Any, with_context: bool, context: str) -> str:
    where = f"{ref.namespace}/" if ref.namespace else ""
    text = f"{ref.kind}/{where}{ref.name}"
    return f"{context}: {text}" if with_context else text


def explanation(e: Explanation) -> str:
    """explain_violation."""
    target = _resource(e.resource, bool(e.context), e.context or "")
    head = f"## {e.policy} on {target} ({e.operation}): **{e.result.upper()}**"
    if e.severity:
        head += f" (severity {e.severity})"
    lines = [f"Explained on {e.scope}." if e.scope else "", head]
    if e.note:
        lines.append(e.note)
    if e.validation_index is not None:
        lines.append(f"Validation {e.validation_index} failed: `{_short(e.expression, 400)}`")
    if e.message:
        lines.append(f"Message: {e.message}")
    if e.fields:
        rows = [(f.path, json.dumps(f.value, default=str) if f.present else "(missing)") for f in e.fields]
        lines.append("Fields the expression reads:\n\n" + markdown_table(("FIELD", "VALUE"), rows))
    if e.remediation and e.result in ("fail", "warn"):
        lines.append(f"How to fix: {e.remediation}")
    if e.patch:
        lines.append("Suggested JSON patch:\n\n```json\n" + json.dumps([p.model_dump() for p in e.patch], indent=1)
                     + "\n```\n" + e.patch_note)
    return "\n\n".join(line for line in lines if line)


def evaluation(r: EvaluateResult) -> str:
    """evaluate_policy."""
    parts = [f"Policies: {', '.join(r.policies) or '(none)'}; results: {_counts(r.summary)}"]
    if r.results:
        rows = [(x.policy, _resource(x.resource, False, ""), x.result,
                 "" if x.validation_index is None else str(x.validation_index), _short(x.message))
                for x in r.results[:50]]
        parts.append(markdown_table(("POLICY", "RESOURCE", "RESULT", "VALIDATION", "MESSAGE"), rows)
                     + _left_out(len(rows), len(r.results), "results", "results"))
    else:
        parts.append("No policy matched any resource (check matchConstraints against the resources' kinds and "
                     "the operation).")
    for p in r.patched:
        target = _resource(p.resource, False, "")
        if p.changed:
            parts.append(f"{p.policy} changed {target}:\n\n```diff\n{p.diff}\n```")
        else:
            parts.append(f"{p.policy} matched {target} but changed nothing.")
    if r.generated:
        parts.append(f"{len(r.generated)} generated resource(s) in structured content.")
    if r.issues:
        parts.append("Problems:\n" + "\n".join(f"- {_short(i, 400)}" for i in r.issues[:20]))
    return "\n\n".join(parts)


def lint(r: LintResult) -> str:
    """lint_policy."""
    parts = ["Valid: " + ("yes" if r.valid else "no") + (f" (policies: {', '.join(r.policies)})" if r.policies else "")]
    if r.errors:
        lines = []
        for e in r.errors[:30]:
            where = f"{e.path}" + (f" at {e.line}:{e.column}" if e.line is not None else "")
            who = f"doc {e.document} {e.kind} {e.policy}".strip()
            snippet = e.snippet.replace("\n", "\n  ")
            lines.append(f"- {who}: {where}: {e.message}" + (f"\n  ```\n  {snippet}\n  ```" if e.snippet else ""))
        parts.append("Errors:\n" + "\n".join(lines) + _left_out(len(lines), len(r.errors), "errors", "errors"))
    costly = [c for c in r.costs if c.level != "low"]
    if costly:
        parts.append("Cost:\n" + "\n".join(f"- {c.path}: {c.level} ({c.reason})" for c in costly))
    elif r.costs:
        parts.append(f"Cost: all {len(r.costs)} expressions low.")
    if r.suggestions:
        parts.append("Suggestions:\n" + "\n".join(f"- {s}" for s in r.suggestions))
    return "\n\n".join(parts)


def reports(r: PolicyReportsResult) -> str:
    """get_policy_reports."""
    head = f"Read the PolicyReports of {r.scope}." if r.scope else ""
    if not r.available:
        return f"{head}\n\n{r.note}".strip()
    parts = [head, f"{r.reports} report(s) in `{r.context}` ({r.api_version}): {_counts(r.summary)}"]
    if r.results:
        rows = [(x.severity or "-", x.result, x.policy, ", ".join(_resource(res, False, "") for res in x.resources[:2]),
                 _short(x.message)) for x in r.results]
        parts.append(markdown_table(("SEVERITY", "RESULT", "POLICY", "RESOURCE", "MESSAGE"), rows))
    if r.next_cursor:
        parts.append(f"Results {r.offset + 1}-{r.offset + len(r.results)} of {r.total_results}: {r.left_out} more "
                     f"left out of this answer; call get_policy_reports with cursor=\"{r.next_cursor}\" for the "
                     "next page, or narrow with namespace/policy.")
    if r.note:
        parts.append(r.note)
    return "\n\n".join(parts)
