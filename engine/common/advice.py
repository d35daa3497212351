"""Lint advice on policy documents: things that load but that an author most likely wants to change.

Each rule takes a document and returns ``info`` or ``warning`` diagnostics with the field path they are about; a kind
lists the rules that apply to it in its spec (``KindSpec.lint``). Rules read the raw document defensively: a field of
the wrong shape is the schema's business (an error reported by the loader), never a crash here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..diagnostics import Diagnostic
from ..documents import Document
from .annotation_keys import REMEDIATION, SEVERITY
from .autogen import autogen_variants


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _advice(doc: Document, message: str, path: str = "", severity: str = "info") -> Diagnostic:
    return Diagnostic(message, "warning" if severity == "warning" else "info", path=path).located(doc)


def annotations_advice(doc: Document) -> list[Diagnostic]:
    """Severity and remediation annotations, which reports, scans and ``explain_violation`` show."""
    present = _mapping(_mapping(doc.data.get("metadata")).get("annotations"))
    out = []
    if SEVERITY not in present:
        out.append(_advice(doc, f"add the annotation {SEVERITY} (low, medium, high or critical) so that "
                           "reports and scans rank its findings", "metadata"))
    if REMEDIATION not in present:
        out.append(_advice(doc, f"add the annotation {REMEDIATION} telling how to fix a violation; "
                           "explain_violation shows it to agents and users", "metadata"))
    return out


def actions_advice(doc: Document) -> list[Diagnostic]:
    """``validationActions``: explicit, and not Deny with Warn."""
    spec = _mapping(doc.data.get("spec"))
    actions = [str(a) for a in _list(spec.get("validationActions"))]
    if {"Deny", "Warn"} <= set(actions):
        return [_advice(doc, "validationActions may not combine Deny and Warn; use [Deny] to block or [Warn] "
                        "(optionally with Audit) to inform", "spec.validationActions", "warning")]
    if not actions:
        return [_advice(doc, "set spec.validationActions explicitly ([Audit] while rolling out, [Deny] to enforce; "
                        "without it Kyverno denies)", "spec")]
    return []


def match_advice(doc: Document) -> list[Diagnostic]:
    """Resource rules that match nothing, and Pod rules that lose autogen."""
    spec = _mapping(doc.data.get("spec"))
    constraints = spec.get("matchConstraints")
    if not isinstance(constraints, Mapping):
        return []
    rules = [r for r in _list(constraints.get("resourceRules")) if isinstance(r, Mapping)]
    if not rules:
        return [_advice(doc, "spec.matchConstraints.resourceRules is empty, so the policy matches nothing; name the "
                        "apiGroups, apiVersions, resources and operations it is for", "spec.matchConstraints",
                        "warning")]
    pod_rule = any("pods" in _list(r.get("resources")) for r in rules)
    if not pod_rule or autogen_variants(dict(spec)):
        return []
    controllers = _mapping(_mapping(spec.get("autogen")).get("podControllers")).get("controllers")
    why = ("autogen is turned off (autogen.podControllers.controllers is empty)" if controllers == []
           else "autogen does not apply (it needs exactly one resource rule on core v1 pods, without resourceNames, "
           "excludes or objectSelector)")
    return [_advice(doc, f"the policy checks Pods but {why}, so Deployments, StatefulSets, Jobs and CronJobs are only "
                    "caught when their Pods are created; keep a single Pod rule to get autogen",
                    "spec.matchConstraints")]


def messages_advice(doc: Document) -> list[Diagnostic]:
    """Validations without a message show only their expression in findings."""
    spec = _mapping(doc.data.get("spec"))
    return [
        _advice(doc, "no message or messageExpression; the finding will only show the expression",
                f"spec.validations[{i}]")
        for i, validation in enumerate(_list(spec.get("validations")))
        if isinstance(validation, Mapping) and not (validation.get("message") or validation.get("messageExpression"))
    ]


def background_advice(doc: Document) -> list[Diagnostic]:
    """A policy background scans skip."""
    spec = _mapping(doc.data.get("spec"))
    if _mapping(_mapping(spec.get("evaluation")).get("background")).get("enabled", True) is False:
        return [_advice(doc, "evaluation.background.enabled is false, so background scans (and scan_namespace) skip "
                        "it; it only runs at admission", "spec.evaluation.background.enabled")]
    return []


#: The advice for validating kinds (ValidatingPolicy, ImageValidatingPolicy).
VALIDATING_POLICY_ADVICE = (annotations_advice, actions_advice, match_advice, messages_advice, background_advice)
