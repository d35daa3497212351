"""The posture score and the figures a report shows, computed once from a cluster's results.

Score of a set of results (a cluster, a namespace)::

    score = 100 * (1 - failWeight / (passWeight + failWeight))

where each ``pass`` or ``fail`` result weighs by its policy's severity (:data:`WEIGHTS`). ``warn`` results come
from policies marked ``policies.kyverno.io/scored: "false"`` and are left out, as Kyverno's reports leave them out;
``error`` and ``skip`` results did not judge the resource and are left out too (errors make a scan incomplete, which
the report says separately). No pass or fail result: no score (``null``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from pykyverno.engine.results import RESULTS, RuleResult

WEIGHTS: dict[str, int] = {"critical": 10, "high": 6, "medium": 3, "low": 1, "info": 1, "unset": 3}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info", "unset")
FORMULA = "score = 100 * (1 - failWeight / (passWeight + failWeight))"
UNCATEGORISED = "Uncategorised"
TOP_OFFENDERS = 10


def severity_of(result: RuleResult) -> str:
    """The result's severity, ``unset`` when its policy declares none."""
    return result.severity if result.severity in WEIGHTS else "unset"


def _score(passed: int, failed: int) -> dict[str, Any]:
    total = passed + failed
    value = round(100.0 * (1 - failed / total), 1) if total else None
    return {"score": value, "passWeight": passed, "failWeight": failed}


def score(results: Iterable[RuleResult]) -> dict[str, Any]:
    """``{"score", "passWeight", "failWeight"}`` of the results (score ``None`` when nothing was judged)."""
    passed = failed = 0
    for r in results:
        if r.result == "pass":
            passed += WEIGHTS[severity_of(r)]
        elif r.result == "fail":
            failed += WEIGHTS[severity_of(r)]
    return _score(passed, failed)


def _severity_counts() -> dict[str, int]:
    return {s: 0 for s in SEVERITY_ORDER}


def figures(results: Iterable[RuleResult], omitted: Mapping[tuple[str, str, str, str, str], int] | None = None,
            ) -> dict[str, Any]:
    """Every figure of one cluster the report shows: scores, failing results by severity and category, the
    namespace-by-category heat map, counts per policy, and the top offending resources (one pass). ``omitted``
    counts results a scan left out to save memory (passing and skipped ones), by (namespace, policy, result,
    severity, category)."""
    weights: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # namespace -> [pass weight, fail weight]
    fail_by_severity = _severity_counts()
    by_category: dict[str, dict[str, int]] = defaultdict(_severity_counts)
    heatmap: dict[str, Counter[str]] = defaultdict(Counter)
    per_policy: dict[str, Counter[str]] = defaultdict(Counter)
    offenders: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in results:
        namespace = r.resource.namespace
        per_policy[r.policy][r.result] += 1
        if r.result == "pass":
            weights[namespace][0] += WEIGHTS[severity_of(r)]
            continue
        if r.result != "fail":
            weights.setdefault(namespace, [0, 0])  # a namespace with only warn, error or skip results has a row
            continue
        severity = severity_of(r)
        weight = WEIGHTS[severity]
        weights[namespace][1] += weight
        category = r.category or UNCATEGORISED
        fail_by_severity[severity] += 1
        by_category[category][severity] += 1
        heatmap[namespace][category] += 1
        key = (r.resource.kind, namespace, r.resource.name)
        entry = offenders.get(key)
        if entry is None:
            entry = offenders[key] = {"kind": key[0], "namespace": key[1], "name": key[2], "fail": 0, "weight": 0,
                                      "failBySeverity": _severity_counts()}
        entry["fail"] += 1
        entry["weight"] += weight
        entry["failBySeverity"][severity] += 1
    for (namespace, policy, outcome, severity, _), n in (omitted or {}).items():
        per_policy[policy][outcome] += n
        if outcome == "pass":
            weights[namespace][0] += WEIGHTS[severity if severity in WEIGHTS else "unset"] * n
        elif outcome == "fail":  # never omitted today; counted all the same should that change
            weights[namespace][1] += WEIGHTS[severity if severity in WEIGHTS else "unset"] * n
        else:
            weights.setdefault(namespace, [0, 0])
    top = sorted(offenders.values(), key=lambda e: (-e["weight"], -e["fail"], e["kind"], e["namespace"], e["name"]))
    passed = sum(w[0] for w in weights.values())
    failed = sum(w[1] for w in weights.values())
    return {
        **_score(passed, failed),
        "failBySeverity": fail_by_severity,
        "failByCategory": {c: by_category[c] for c in sorted(by_category)},
        "namespaceScores": {ns: _score(*weights[ns]) for ns in sorted(weights)},
        "heatmap": {ns: dict(sorted(heatmap[ns].items())) for ns in sorted(heatmap)},
        "policies": {p: {k: per_policy[p].get(k, 0) for k in RESULTS} for p in sorted(per_policy)},
        "topOffenders": top[:TOP_OFFENDERS],
    }


def combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The scan-wide figures from each cluster's :func:`figures`: weights, severities, categories and policy
    counts add up; the score is computed again from the summed weights."""
    passed = sum(p["passWeight"] for p in parts)
    failed = sum(p["failWeight"] for p in parts)
    severity = _severity_counts()
    categories: dict[str, dict[str, int]] = defaultdict(_severity_counts)
    policies: dict[str, dict[str, int]] = defaultdict(lambda: {k: 0 for k in RESULTS})
    for part in parts:
        for name, n in part["failBySeverity"].items():
            severity[name] += n
        for category, counts in part["failByCategory"].items():
            for name, n in counts.items():
                categories[category][name] += n
        for policy, counts in part["policies"].items():
            for name, n in counts.items():
                policies[policy][name] += n
    return {
        **_score(passed, failed),
        "failBySeverity": severity,
        "failByCategory": {c: categories[c] for c in sorted(categories)},
        "policies": {p: policies[p] for p in sorted(policies)},
    }
