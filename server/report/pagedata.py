"""The findings of a scan document in the compact form the report's script reads: every string once in a table,
rows of small integers. Passing results are not listed (the report aggregates them per policy and namespace)."""

from __future__ import annotations

from typing import Any

#: Results listed in the findings table, in the order they sort.
LISTED = ("fail", "error", "warn", "skip")
SEVERITIES = ("critical", "high", "medium", "low", "info", "unset")


class Strings:
    """An interning table: each distinct string gets one index."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self.items)
            self.items.append(text)
        return found


def _explanations(doc: dict[str, Any]) -> dict[tuple[int, str, str, str, str, str], list[list[Any]]]:
    out = {}
    for index, cluster in enumerate(doc.get("posture", {}).get("clusters", [])):
        for item in cluster.get("explanations", []):
            ref = item["resource"]
            out[(index, item["policy"], item["rule"], ref["kind"], ref["namespace"], ref["name"])] = item["fields"]
    return out


def findings_payload(doc: dict[str, Any]) -> dict[str, Any]:
    """``{"strings", "policies", "clusters", "fields", "rows"}``: a row is ``[cluster, namespace, kind, name,
    policy, result, severity, message, [field...]]`` with strings, policies, results, severities and fields as
    indices into their tables (``results``/``severities`` are fixed: :data:`LISTED`, :data:`SEVERITIES`)."""
    strings = Strings()
    posture = doc.get("posture", {})
    described = posture.get("policies", {})
    policies: list[list[Any]] = []
    policy_index: dict[str, int] = {}
    fields: list[list[int]] = []
    field_index: dict[tuple[str, bool, str], int] = {}
    explanations = _explanations(doc)
    rows: list[tuple[tuple[Any, ...], list[Any]]] = []

    def policy_of(name: str, result: dict[str, Any]) -> int:
        if name not in policy_index:
            info = described.get(name, {})
            policy_index[name] = len(policies)
            policies.append([
                strings(name),
                strings(info.get("title") or ""),
                strings(info.get("category") or result.get("category") or ""),
                strings(info.get("remediation") or ""),
                strings(info.get("description") or ""),
            ])
        return policy_index[name]

    def field_of(path: str, present: bool, value: str) -> int:
        key = (path, present, value)
        if key not in field_index:
            field_index[key] = len(fields)
            fields.append([strings(path), int(present), strings(value)])
        return field_index[key]

    for c, cluster in enumerate(doc.get("clusters", [])):
        for result in cluster.get("results", []):
            if result.get("result") not in LISTED:
                continue
            ref = (result.get("resources") or [{}])[0]
            kind, namespace, name = str(ref.get("kind", "")), str(ref.get("namespace", "")), str(ref.get("name", ""))
            severity = result.get("severity") if result.get("severity") in SEVERITIES else "unset"
            found = explanations.get((c, result["policy"], result.get("rule", ""), kind, namespace, name), [])
            row = [
                c, strings(namespace), strings(kind), strings(name), policy_of(result["policy"], result),
                LISTED.index(result["result"]), SEVERITIES.index(severity), strings(result.get("message") or ""),
                [field_of(str(p), bool(present), str(value)) for p, present, value in found],
            ]
            order = (SEVERITIES.index(severity), LISTED.index(result["result"]), c, namespace, kind, name,
                     result["policy"])
            rows.append((order, row))
    rows.sort(key=lambda item: item[0])
    return {
        "strings": strings.items,
        "clusters": [c.get("context", "") for c in doc.get("clusters", [])],
        "policies": policies,
        "fields": fields,
        "results": list(LISTED),
        "severities": list(SEVERITIES),
        "rows": [row for _, row in rows],
    }
