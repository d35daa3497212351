"""What changed between two scans (two saved ``-o json`` documents): findings fixed, new and unchanged, and each
cluster's score before and after.

A finding is a ``fail``, ``warn`` or ``error`` result, identified by its cluster, policy, rule and resource. Clusters
pair by context name; two single-cluster scans pair whatever their names (a snapshot renamed between runs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..output import text_table
from .charts import SEVERITY_COLOURS, e, fig, format_score
from .html import is_incomplete
from .page import badge, page

FINDING_RESULTS = ("fail", "warn", "error")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITY_COLOURS)}
#: Fixed and new findings listed on the HTML page at most (the JSON form lists them all).
HTML_ROWS = 5000

Key = tuple[str, str, str, str, str, str]  # (cluster, policy, rule, kind, namespace, name)


class DiffInputError(ValueError):
    """A document that is not a pykyverno scan."""


@dataclass
class Finding:
    """One finding, with the result it had in each scan that has it."""

    cluster: str
    policy: str
    rule: str
    kind: str
    namespace: str
    name: str
    severity: str
    message: str
    old_result: str = ""
    new_result: str = ""
    #: For a fixed finding: ``passes`` when the resource now passes, ``gone`` when it was not scanned again.
    why: str = ""

    @property
    def resource(self) -> str:
        """``Kind/namespace/name``."""
        return f"{self.kind}/{self.namespace + '/' if self.namespace else ''}{self.name}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = {"cluster": self.cluster, "policy": self.policy, "rule": self.rule,
               "resource": {"kind": self.kind, "namespace": self.namespace, "name": self.name},
               "severity": self.severity, "message": self.message}
        if self.old_result:
            out["oldResult"] = self.old_result
        if self.new_result:
            out["newResult"] = self.new_result
        if self.why:
            out["why"] = self.why
        return out


@dataclass
class ScanDiff:
    """The comparison of two scans."""

    old: dict[str, Any]
    new: dict[str, Any]
    clusters: list[dict[str, Any]] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    added: list[Finding] = field(default_factory=list)
    unchanged: list[Finding] = field(default_factory=list)
    #: Why a compared scan did not cover everything (one sentence per incomplete scan); empty when both did.
    incomplete: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "incomplete": self.incomplete,
            "before": self.old,
            "after": self.new,
            "clusters": self.clusters,
            "counts": {"fixed": len(self.fixed), "new": len(self.added), "unchanged": len(self.unchanged)},
            "fixed": [f.to_dict() for f in self.fixed],
            "new": [f.to_dict() for f in self.added],
            "unchanged": [f.to_dict() for f in self.unchanged],
        }


def check_scan(doc: Any, label: str) -> dict[str, Any]:
    """The document, when it is a scan document with results (else :class:`DiffInputError` naming ``label``)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("clusters"), list):
        raise DiffInputError(f"{label} is not a pykyverno scan document (no 'clusters' list); save scans with "
                             "`pykyverno scan -o json`")
    for i, cluster in enumerate(doc["clusters"]):
        if not isinstance(cluster, dict) or "context" not in cluster:
            raise DiffInputError(f"{label}: clusters[{i}] has no 'context'")
        if "results" not in cluster:
            raise DiffInputError(f"{label}: clusters[{i}] has no 'results'; save the scan with results "
                                 "(`pykyverno scan -o json`)")
    return doc


def _results(cluster: dict[str, Any], label: str) -> Iterable[tuple[Key, dict[str, Any]]]:
    for j, r in enumerate(cluster["results"]):
        try:
            ref = (r.get("resources") or [{}])[0]
            key = (str(cluster["context"]), str(r["policy"]), str(r.get("rule") or ""), str(ref.get("kind", "")),
                   str(ref.get("namespace", "")), str(ref.get("name", "")))
        except (AttributeError, KeyError, IndexError, TypeError):
            raise DiffInputError(f"{label}: {cluster['context']} results[{j}] is not a policy result") from None
        yield key, r


def _summary(doc: dict[str, Any]) -> dict[str, Any]:
    scope = (doc.get("posture") or {}).get("scope") or {}
    return {"generatedAt": scope.get("generatedAt", ""), "contexts": [c["context"] for c in doc["clusters"]],
            "summary": doc.get("summary", {})}


def incomplete_reason(doc: dict[str, Any], label: str) -> str:
    """Why the scan ``doc`` did not cover everything, as a sentence naming ``label``; empty when it did."""
    if not is_incomplete(doc) and not doc.get("policyIssues"):
        return ""
    reasons = [f"{c['context']} not scanned" for c in doc["clusters"] if isinstance(c, dict) and c.get("error")]
    reasons += [f"{c['context']}: some resource types not listed" for c in doc["clusters"]
                if isinstance(c, dict) and c.get("failures")]
    if doc.get("policyIssues"):
        reasons.append(f"{len(doc['policyIssues'])} policy problem(s)")
    if (doc.get("summary") or {}).get("error"):
        reasons.append(f"{doc['summary']['error']} evaluation error(s)")
    if doc.get("cancelled"):
        reasons.append("cancelled")
    if doc.get("deadlineReached"):
        reasons.append("ran out of time")
    why = "; ".join(reasons) or "parts of its scope were not read or evaluated"
    return (f"{label} is incomplete ({why}): findings missing from it may only be unevaluated, so the fixed and new "
            "findings below may be wrong")


def _score(doc: dict[str, Any], index: int) -> float | None:
    clusters = (doc.get("posture") or {}).get("clusters") or []
    return clusters[index].get("score") if index < len(clusters) else None


def diff_scans(old_doc: Any, new_doc: Any) -> ScanDiff:
    """Compare two scan documents (raise :class:`DiffInputError` when one is not a scan)."""
    old_doc, new_doc = check_scan(old_doc, "the old scan"), check_scan(new_doc, "the new scan")
    old_clusters = {c["context"]: i for i, c in enumerate(old_doc["clusters"])}
    new_clusters = {c["context"]: i for i, c in enumerate(new_doc["clusters"])}
    pairs: list[tuple[int | None, int | None]]
    if len(old_clusters) == 1 and len(new_clusters) == 1:
        pairs = [(0, 0)]
    else:
        names = list(dict.fromkeys([*old_clusters, *new_clusters]))
        pairs = [(old_clusters.get(n), new_clusters.get(n)) for n in names]
    out = ScanDiff(_summary(old_doc), _summary(new_doc))
    reasons = (incomplete_reason(old_doc, "the old scan"), incomplete_reason(new_doc, "the new scan"))
    out.incomplete = [reason for reason in reasons if reason]
    for old_i, new_i in pairs:
        old_c = old_doc["clusters"][old_i] if old_i is not None else None
        new_c = new_doc["clusters"][new_i] if new_i is not None else None
        name = (new_c or old_c or {}).get("context", "")
        out.clusters.append({
            "oldContext": old_c["context"] if old_c else None,
            "newContext": new_c["context"] if new_c else None,
            "oldScore": _score(old_doc, old_i) if old_i is not None else None,
            "newScore": _score(new_doc, new_i) if new_i is not None else None,
            "oldSummary": old_c.get("summary") if old_c else None,
            "newSummary": new_c.get("summary") if new_c else None,
        })
        _compare(name, old_c, new_c, out)
    for found in (out.fixed, out.added, out.unchanged):
        found.sort(key=lambda f: (SEVERITY_RANK.get(f.severity, 5), f.cluster, f.namespace, f.kind, f.name, f.policy))
    return out


def _finding(name: str, key: Key, r: dict[str, Any]) -> Finding:
    severity = r.get("severity") if r.get("severity") in SEVERITY_COLOURS else "unset"
    return Finding(name, key[1], key[2], key[3], key[4], key[5], str(severity), str(r.get("message") or ""))


def _compare(name: str, old_c: dict[str, Any] | None, new_c: dict[str, Any] | None, out: ScanDiff) -> None:
    def rekey(key: Key) -> Key:
        return (name, *key[1:])  # paired clusters compare under one name

    old = {rekey(k): r for k, r in _results(old_c, "the old scan")} if old_c else {}
    new = {rekey(k): r for k, r in _results(new_c, "the new scan")} if new_c else {}
    new_resources = {k[3:] for k in new}
    for key, r in old.items():
        if r.get("result") not in FINDING_RESULTS:
            continue
        now = new.get(key)
        if now is not None and now.get("result") in FINDING_RESULTS:
            finding = _finding(name, key, now)
            finding.old_result, finding.new_result = r["result"], now["result"]
            out.unchanged.append(finding)
        else:
            finding = _finding(name, key, r)
            finding.old_result = r["result"]
            if now is None:
                finding.why = "gone" if key[3:] not in new_resources else "unevaluated"
            else:
                finding.why = "exception" if now.get("result") == "skip" else "passes"
            out.fixed.append(finding)
    for key, r in new.items():
        if r.get("result") in FINDING_RESULTS and (key not in old or old[key].get("result") not in FINDING_RESULTS):
            finding = _finding(name, key, r)
            finding.new_result = r["result"]
            out.added.append(finding)


# ----------------------------------------------------------------------------------------------------- rendering
_WHY = {"passes": "now passes", "gone": "resource no longer scanned", "exception": "now covered by an exception",
        "unevaluated": "policy no longer evaluated on it"}


def render_text(diff: ScanDiff) -> str:
    """The diff as plain text: scores per cluster, every fixed and new finding, unchanged ones counted per policy."""
    lines = [f"Scan diff: {diff.old['generatedAt'] or 'old scan'} -> {diff.new['generatedAt'] or 'new scan'}", ""]
    lines += [f"INCOMPLETE: {reason}" for reason in diff.incomplete] + ([""] if diff.incomplete else [])
    rows = []
    for c in diff.clusters:
        old_fail = (c["oldSummary"] or {}).get("fail", "-")
        new_fail = (c["newSummary"] or {}).get("fail", "-")
        label = c["newContext"] or c["oldContext"]
        if c["oldContext"] and c["newContext"] and c["oldContext"] != c["newContext"]:
            label = f"{c['oldContext']} -> {c['newContext']}"
        rows.append((label, format_score(c["oldScore"]), format_score(c["newScore"]), str(old_fail), str(new_fail)))
    lines.append(text_table(("CLUSTER", "SCORE BEFORE", "SCORE AFTER", "FAIL BEFORE", "FAIL AFTER"), rows))
    for title, found, extra in (("NEW", diff.added, "new_result"), ("FIXED", diff.fixed, "why")):
        lines += ["", f"{title} ({len(found)})"]
        if found:
            table = [(f.severity, f.cluster, f.policy, f.resource,
                      getattr(f, extra) if extra == "new_result" else _WHY.get(f.why, f.why),
                      " ".join(f.message.split())[:120]) for f in found]
            lines += ["", text_table(("SEVERITY", "CLUSTER", "POLICY", "RESOURCE",
                                      "RESULT" if extra == "new_result" else "WHY", "MESSAGE"), table)]
    by_policy: Counter[str] = Counter(f.policy for f in diff.unchanged)
    lines += ["", f"UNCHANGED ({len(diff.unchanged)})"]
    if by_policy:
        counted = [(policy, str(n)) for policy, n in sorted(by_policy.items(), key=lambda t: (-t[1], t[0]))]
        lines += ["", text_table(("POLICY", "FINDINGS"), counted)]
    lines += ["", f"{len(diff.fixed)} fixed, {len(diff.added)} new, {len(diff.unchanged)} unchanged"
              + (" -- INCOMPLETE: see above" if diff.incomplete else "")]
    return "\n".join(str(line) for line in lines)


def _delta(old: float | None, new: float | None) -> str:
    if old is None or new is None:
        return ""
    change = round(new - old, 1)
    cls = "up" if change > 0 else "down" if change < 0 else "flat"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    return f'<span class="delta {cls}">{arrow} {abs(change):.1f}</span>'


def _rows(found: list[Finding], kind: str, group: str, multi: bool) -> str:
    rows = []
    for f in found[:HTML_ROWS]:
        where = f'<span class="muted">{e(f.cluster)} / </span>' if multi else ""
        detail = _WHY.get(f.why, f.why) if kind == "fixed" else \
            (f.new_result if kind == "new" else f"{f.old_result} → {f.new_result}")
        rows.append(f"<tr><td>{badge(f.severity)}</td><td>{where}{e(f.resource)}</td><td class=\"policy\">"
                    f"{e(f.policy)}</td><td>{e(detail)}</td><td>{e(f.message)}</td></tr>")
    more = (f'<p class="muted">{len(found) - HTML_ROWS} more {kind} findings are in the JSON form of this diff '
            "(<code>-o json</code>).</p>") if len(found) > HTML_ROWS else ""
    if not found:
        return f'<p class="muted">No {kind} finding.</p>'
    head = "".join(f"<th>{h}</th>" for h in ("severity", "object", "policy", group, "message"))
    return f'<table class="diff {kind}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>{more}'


def render_html(diff: ScanDiff) -> str:
    """The diff as a self-contained HTML page."""
    counts = (("fixed", len(diff.fixed), "good"), ("new", len(diff.added), "poor"),
              ("unchanged", len(diff.unchanged), "none"))
    tiles = "".join(f'<div class="tile {cls}"><span class="n"{fig(["counts", k])}>{n:,}</span>'
                    f'<span class="k">{k}</span></div>' for k, n, cls in counts)
    score_rows = []
    for i, c in enumerate(diff.clusters):
        old_fail = (c["oldSummary"] or {}).get("fail", "\u2013")
        new_fail = (c["newSummary"] or {}).get("fail", "\u2013")
        score_rows.append(
            f"<tr><td>{e(c['newContext'] or c['oldContext'])}</td>"
            f"<td class=\"n\"><span{fig(['clusters', i, 'oldScore'])}>{format_score(c['oldScore'])}</span></td>"
            f"<td class=\"n\"><span{fig(['clusters', i, 'newScore'])}>{format_score(c['newScore'])}</span></td>"
            f"<td>{_delta(c['oldScore'], c['newScore'])}</td>"
            f'<td class="n">{e(old_fail)}</td><td class="n">{e(new_fail)}</td></tr>'
        )
    head = "".join(f"<th>{h}</th>" for h in ("cluster", "score before", "score after", "change", "failing before",
                                               "failing after"))
    multi = len(diff.clusters) > 1
    by_policy: Counter[str] = Counter(f.policy for f in diff.unchanged)
    unchanged = "".join(f"<tr><td>{e(p)}</td><td class=\"n\">{n}</td></tr>"
                        for p, n in sorted(by_policy.items(), key=lambda t: (-t[1], t[0])))
    items = "".join(f"<li>{e(reason)}</li>" for reason in diff.incomplete)
    banner = f'<div class="banner incomplete" role="alert"><h2>Incomplete scan</h2><ul>{items}</ul></div>' \
        if diff.incomplete else ""
    body = (
        banner
        + f'<section id="summary"><h2>What changed</h2><div class="tiles">{tiles}</div>'
        f'<table class="scores"><thead><tr>{head}</tr></thead><tbody>{"".join(score_rows)}</tbody></table></section>'
        f'<section id="new"><h2>New findings</h2>{_rows(diff.added, "new", "result", multi)}</section>'
        f'<section id="fixed"><h2>Fixed findings</h2>{_rows(diff.fixed, "fixed", "why", multi)}</section>'
        f'<section id="unchanged"><h2>Unchanged findings</h2>'
        + (f'<table class="policies"><thead><tr><th>policy</th><th>findings</th></tr></thead><tbody>{unchanged}'
           "</tbody></table>" if unchanged else '<p class="muted">No finding in both scans.</p>')
        + "</section>"
    )
    subtitle = (f'<p class="meta">{e(diff.old["generatedAt"] or "old scan")} → '
                f'{e(diff.new["generatedAt"] or "new scan")}</p>')
    return page("Security posture: what changed", body, None, subtitle)
