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


def findings_payload(doc: dict[str, Any]) -> dict[str, Any]:
    """The listed findings as tables of indices. A row is ``[cluster, object, policy, result, severity, message,
    fieldset]``: ``object`` indexes ``objects`` (``[namespace, kind, name]`` as strings), ``fieldset`` indexes
    ``fieldsets`` (lists of ``fields`` entries ``[path, present, value]``; -1 when the scan did not record them),
    ``result`` and ``severity`` index the fixed :data:`LISTED` and :data:`SEVERITIES`, and every string indexes
    ``strings``."""
    strings = Strings()
    described = doc.get("posture", {}).get("policies", {})
    policies: list[list[int]] = []
    policy_index: dict[str, int] = {}
    objects: list[list[int]] = []
    object_index: dict[tuple[str, str, str], int] = {}
    fields: list[list[int]] = []
    field_index: dict[tuple[str, bool, str], int] = {}
    fieldsets: list[list[int]] = [[]]
    fieldset_index: dict[tuple[int, ...], int] = {(): 0}
    explained = [c.get("explanations", {}) for c in doc.get("posture", {}).get("clusters", [])]
    rows: list[tuple[tuple[Any, ...], list[int]]] = []

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

    def object_of(namespace: str, kind: str, name: str) -> int:
        key = (namespace, kind, name)
        if key not in object_index:
            object_index[key] = len(objects)
            objects.append([strings(namespace), strings(kind), strings(name)])
        return object_index[key]

    def fieldset_of(found: list[list[Any]]) -> int:
        entries = []
        for path, present, value in found:
            key = (str(path), bool(present), str(value))
            if key not in field_index:
                field_index[key] = len(fields)
                fields.append([strings(key[0]), int(key[1]), strings(key[2])])
            entries.append(field_index[key])
        if tuple(entries) not in fieldset_index:
            fieldset_index[tuple(entries)] = len(fieldsets)
            fieldsets.append(entries)
        return fieldset_index[tuple(entries)]

    for c, cluster in enumerate(doc.get("clusters", [])):
        fields_of = explained[c] if c < len(explained) else {}
        for index, result in enumerate(cluster.get("results", [])):
            if result.get("result") not in LISTED:
                continue
            ref = (result.get("resources") or [{}])[0]
            kind, namespace, name = str(ref.get("kind", "")), str(ref.get("namespace", "")), str(ref.get("name", ""))
            severity = result.get("severity") if result.get("severity") in SEVERITIES else "unset"
            found = fields_of.get(str(index))
            row = [
                c, object_of(namespace, kind, name), policy_of(result["policy"], result),
                LISTED.index(result["result"]), SEVERITIES.index(severity), strings(result.get("message") or ""),
                fieldset_of(found) if found is not None else -1,
            ]
            order = (row[4], row[3], c, namespace, kind, name, result["policy"])
            rows.append((order, row))
    rows.sort(key=lambda item: item[0])
    return {
        "strings": strings.items,
        "clusters": [c.get("context", "") for c in doc.get("clusters", [])],
        "policies": policies,
        "objects": objects,
        "fields": fields,
        "fieldsets": fieldsets,
        "results": list(LISTED),
        "severities": list(SEVERITIES),
        "rows": [row for _, row in rows],
        "explainedPerPolicy": doc.get("posture", {}).get("explainedPerPolicy", 0),
    }
