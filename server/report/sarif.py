"""SARIF 2.1.0 for CI: one rule per policy (described by the policy's annotations), one result per failing
(policy, resource) located at the file and line of the resource's document, so code-scanning UIs put the finding on
the pull request. Results that ended in an error are tool notifications, and make the run unsuccessful: a SARIF log
never reads clean when something could not be evaluated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from pykyverno.engine.results import RuleResult

from ..policysets.describe import CATEGORY, DESCRIPTION, REMEDIATION, SEVERITY, TITLE
from .locate import Key, Location

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://kyverno.io/docs/"
#: SARIF level of a failing result by policy severity.
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
#: ``security-severity`` (a CVSS-like 0-10 score code-scanning UIs sort by) per policy severity.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}


def _words(value: Any) -> str:
    return " ".join(str(value or "").split())


def tool_version() -> str:
    """The installed pykyverno version."""
    try:
        return metadata.version("pykyverno")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "0"


def rule_of(name: str, document: Mapping[str, Any] | None, fallback_severity: str, fallback_category: str,
            ) -> dict[str, Any]:
    """The reportingDescriptor of a policy."""
    annotations = ((document or {}).get("metadata") or {}).get("annotations") or {}
    title = _words(annotations.get(TITLE)) or name
    description = _words(annotations.get(DESCRIPTION)) or title
    remediation = _words(annotations.get(REMEDIATION))
    severity = _words(annotations.get(SEVERITY)) or fallback_severity
    category = _words(annotations.get(CATEGORY)) or fallback_category
    help_text = remediation or description
    markdown = f"**{title}**\n\n{description}"
    if remediation:
        markdown += f"\n\n**How to fix:** {remediation}"
    rule: dict[str, Any] = {
        "id": name,
        "name": "".join(part.capitalize() for part in name.replace(".", "-").split("-")) or name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": markdown},
        "helpUri": INFORMATION_URI,
        "defaultConfiguration": {"level": LEVELS.get(severity, "warning")},
        "properties": {"tags": ["security", "kubernetes", *([category] if category else [])],
                       "precision": "high"},
    }
    if severity in SECURITY_SEVERITY:
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[severity]
    return rule


def artifact_uri(path: Path, base: Path) -> tuple[str, str | None]:
    """(uri, uriBaseId): relative to ``base`` (as ``%SRCROOT%``) when the file is under it, else a file URI."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(base.resolve()).as_posix(), "%SRCROOT%"
    except ValueError:
        return resolved.as_uri(), None


def _fingerprint(r: RuleResult) -> str:
    key = "\x00".join((r.policy, r.rule, r.resource.kind, r.resource.namespace, r.resource.name))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _location(r: RuleResult, where: Location | None, base: Path) -> dict[str, Any]:
    logical = {"fullyQualifiedName": str(r.resource), "kind": "resource", "name": r.resource.name}
    location: dict[str, Any] = {"logicalLocations": [logical]}
    if where is not None:
        uri, base_id = artifact_uri(where.path, base)
        artifact: dict[str, Any] = {"uri": uri}
        if base_id:
            artifact["uriBaseId"] = base_id
        location["physicalLocation"] = {"artifactLocation": artifact, "region": {"startLine": where.line}}
    return location


def sarif_log(
    results: Iterable[RuleResult],
    locations: Mapping[Key, Location],
    documents: Mapping[str, Mapping[str, Any]],
    *,
    base: Path | None = None,
    problems: Iterable[str] = (),
) -> dict[str, Any]:
    """The SARIF log of an evaluation: ``locations`` maps (kind, namespace, name) to where each resource is written,
    ``documents`` maps policy names to their source documents (for the rules' descriptions), ``problems`` are inputs
    that could not be read."""
    base = base or Path.cwd()
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    sarif_results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = [
        {"level": "error", "message": {"text": problem}} for problem in problems
    ]
    for r in results:
        where = locations.get((r.resource.kind, r.resource.namespace, r.resource.name))
        if r.result == "error":
            notification: dict[str, Any] = {
                "level": "error",
                "message": {"text": f"{r.policy} could not evaluate {r.resource}: {r.message}"},
                "locations": [_location(r, where, base)],
            }
            notifications.append(notification)
            continue
        if r.result not in ("fail", "warn"):
            continue
        if r.policy not in rule_index:
            rule_index[r.policy] = len(rules)
            rules.append(rule_of(r.policy, documents.get(r.policy), r.severity, r.category))
        level = "warning" if r.result == "warn" else LEVELS.get(r.severity, "warning")
        sarif_results.append({
            "ruleId": r.policy,
            "ruleIndex": rule_index[r.policy],
            "kind": "fail",
            "level": level,
            "message": {"text": f"{r.resource}: {_words(r.message) or 'fails ' + r.policy}"},
            "locations": [_location(r, where, base)],
            "partialFingerprints": {"pykyverno/resource/v1": _fingerprint(r)},
            "properties": {"resource": str(r.resource), "result": r.result,
                           **({"rule": r.rule} if r.rule else {})},
        })
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "pykyverno", "version": tool_version(), "informationUri": INFORMATION_URI,
                                "rules": rules}},
            "invocations": [{"executionSuccessful": not notifications,
                             "toolExecutionNotifications": notifications}],
            "results": sarif_results,
            "columnKind": "unicodeCodePoints",
        }],
    }
