"""Explaining a result: the fields of the object its expression reads (with their current values), and a JSON patch
where one can be derived from the requirements the expression states. What an expression reads and requires comes
from the CEL front end's analysis (``engine/cel/frontend/analysis.py``); this module applies it to an object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pykyverno.engine.cel import Providers, using_providers
from pykyverno.engine.cel.frontend.analysis import WILDCARD, Pattern, Requirement, Segment, analyze
from pykyverno.engine.cel.providers import ResourceProvider
from pykyverno.engine.common.annotation_keys import REMEDIATION
from pykyverno.engine.common.kind import CompiledPolicy
from pykyverno.engine.common.options import EvaluationOptions
from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.loader import load_documents
from pykyverno.engine.policyset import PolicySet
from pykyverno.engine.request import AdmissionContext, admission_request
from pykyverno.engine.results import RuleResult

from .errors import InputError
from .evaluate import load_problems
from .manifests import yaml_documents

MAX_FIELDS = 40
MAX_VALUE_CHARS = 300
PLACEHOLDER = "<value>"


# ----------------------------------------------------------------------------- reading values
def format_path(segments: tuple[Segment, ...]) -> str:
    """``spec.containers[0].securityContext`` / ``metadata.labels['app.kubernetes.io/name']``."""
    out = ""
    for seg in segments:
        if isinstance(seg, int):
            out += f"[{seg}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", seg):
            out += f".{seg}" if out else seg
        else:
            out += f"[{seg!r}]"
    return out


def pointer(segments: tuple[Segment, ...]) -> str:
    """The RFC 6901 JSON pointer of a concrete path."""
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in segments)


def expand(
    obj: Any, pattern: Pattern, *, null_is_missing: bool = False
) -> Iterator[tuple[tuple[Segment, ...], bool, Any]]:
    """Concrete paths of ``pattern`` in ``obj``: (path, present, value). A missing step (or a null one, with
    ``null_is_missing``) ends that branch, reported at the first missing segment."""

    def walk(node: Any, i: int, path: tuple[Segment, ...]) -> Iterator[tuple[tuple[Segment, ...], bool, Any]]:
        if i == len(pattern):
            yield path, True, node
            return
        seg = pattern[i]
        if seg == WILDCARD:
            if isinstance(node, list):
                for idx, item in enumerate(node):
                    yield from walk(item, i + 1, (*path, idx))
            return
        if isinstance(seg, int):
            if isinstance(node, list) and 0 <= seg < len(node):
                yield from walk(node[seg], i + 1, (*path, seg))
            else:
                yield (*path, seg), False, None
            return
        if isinstance(node, dict) and seg in node and not (null_is_missing and node[seg] is None):
            yield from walk(node[seg], i + 1, (*path, seg))
        else:
            yield (*path, seg), False, None

    yield from walk(obj, 0, ())


def compact(value: Any) -> Any:
    """The value, or a truncated JSON string when it is large."""
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)[:MAX_VALUE_CHARS]
    if len(text) <= MAX_VALUE_CHARS:
        return value
    return text[: MAX_VALUE_CHARS - 1] + "…"


def field_values(obj: dict[str, Any], patterns: list[Pattern]) -> list[tuple[str, bool, Any]]:
    """(path, present, value) for each pattern, at most :data:`MAX_FIELDS`."""
    out: list[tuple[str, bool, Any]] = []
    seen: set[str] = set()
    for pattern in patterns:
        for path, present, value in expand(obj, pattern):
            text = format_path(path)
            if text in seen:
                continue
            seen.add(text)
            out.append((text, present, compact(value) if present else None))
            if len(out) >= MAX_FIELDS:
                return out
    return out


# ----------------------------------------------------------------------------- patches
def _nested(rest: tuple[Segment, ...], value: Any) -> Any:
    for seg in reversed(rest):
        value = {seg: value}
    return value


def patch_for(obj: dict[str, Any], requirements: list[Requirement]) -> list[dict[str, Any]]:
    """JSON patch operations that make ``obj`` meet the requirements (only where it does not already)."""
    ops: dict[str, dict[str, Any]] = {}
    for req in requirements:
        target = PLACEHOLDER if req.present_only else req.value
        for op in _ops(obj, req.pattern, target, req.present_only):
            known = ops.get(op["path"])
            if known is None:
                ops[op["path"]] = op
            elif isinstance(known.get("value"), dict) and isinstance(op.get("value"), dict):
                known["value"] = _merge(known["value"], op["value"])
    return list(ops.values())


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else \
            out.get(key, value)
    return out


def _ops(obj: Any, pattern: Pattern, value: Any, present_only: bool) -> Iterator[dict[str, Any]]:
    for path, present, current in expand(obj, pattern, null_is_missing=True):
        if present:
            if not present_only and current != value:
                yield {"op": "replace", "path": pointer(path), "value": value}
            continue
        rest = pattern[len(path):]
        parent = next(expand(obj, path[:-1]), ((), False, None))[2]
        if isinstance(path[-1], int) or not isinstance(parent, dict) or any(
            s == WILDCARD or isinstance(s, int) for s in rest
        ):
            continue  # a list item, or a path through a list, cannot be added without knowing the list
        yield {"op": "add", "path": pointer(path), "value": _nested(rest, value)}


def patch_note(ops: list[dict[str, Any]]) -> str:
    """A sentence about how to use the suggested patch."""
    if not ops:
        return ""
    note = "Suggested from the expression's shape; review it, apply it to the manifest (or kubectl patch --type json)"
    if any(op.get("value") == PLACEHOLDER or PLACEHOLDER in json.dumps(op.get("value"), default=str) for op in ops):
        note += f", and replace {PLACEHOLDER} with a real value"
    return note + ", then run explain_violation or evaluate_policy again to confirm."


# ----------------------------------------------------------------------------- explaining a result
@dataclass
class Explained:
    """Why a result came out as it did: the fields its expression reads with their values, a patch where one can be
    derived, and a note for results that need no fix."""

    result: RuleResult | None
    policy: CompiledPolicy | None
    fields: list[tuple[str, bool, Any]] = field(default_factory=list)
    patch: list[dict[str, Any]] = field(default_factory=list)
    patch_note: str = ""
    note: str = ""


#: Explanations report what they could not evaluate (see :func:`first_result`).
EXPLAIN_OPTIONS = EvaluationOptions(report_unanswered=True)


def first_result(
    policies: Sequence[CompiledPolicy],
    exceptions: list[PolicyException],
    ctx: AdmissionContext,
    providers: Providers,
) -> tuple[RuleResult | None, CompiledPolicy | None]:
    """The first result of the policy (or one of its autogen variants) on the request, and the variant that gave it.
    A lookup the source cannot answer gives an ``error`` result even under ``failurePolicy: Ignore``: an
    explanation never says "does not apply" about a policy it could not evaluate."""
    with using_providers(providers):
        for policy in policies:
            result = policy.evaluate(ctx, exceptions, EXPLAIN_OPTIONS)
            if result is not None:
                return result, policy
    return None, None


def explain(result: RuleResult | None, policy: CompiledPolicy | None, obj: dict[str, Any]) -> Explained:
    """Explain a result on ``obj``: read fields, suggested patch (for failures), notes."""
    out = Explained(result, policy)
    if result is None or policy is None:
        return out
    if result.result in ("pass", "skip"):
        out.note = "The resource passes this policy." if result.result == "pass" else \
            f"Skipped: {result.message or 'a PolicyException applies'}."
        return out
    found = analyze(result.expression, dict(policy.variables.sources))
    out.fields = field_values(obj, found.reads)
    if result.result in ("fail", "warn"):
        out.patch = patch_for(obj, found.requirements)
        out.patch_note = patch_note(out.patch) or (
            "No patch could be derived from this expression; follow the remediation and the message.")
    if policy.autogen:
        out.note = f"Evaluated through autogen for pod controllers ({policy.autogen}): paths are in the template."
    return out


def policies_from_text(text: str, selector: str | None) -> tuple[list[CompiledPolicy], PolicySet, dict[str, Any]]:
    """The policy named ``selector`` (or the only one) of ``policy_yaml`` text, with what was loaded and its source
    document; :class:`InputError` when it does not load or cannot be chosen."""
    loaded = load_documents(yaml_documents(text, "policy_yaml"))
    names = loaded.names()
    if not names:
        problems = "; ".join(str(i) for i in loaded.issues) or "no policy document found"
        raise InputError(f"policy_yaml does not load: {problems}. Call lint_policy for positions and fixes.")
    name = selector or names[0]
    if selector is None and len(names) > 1:
        raise InputError(f"policy_yaml holds several policies ({', '.join(names)}); pass `policy` to choose one")
    compiled = [p for p in loaded.policies if p.name == name]
    if not compiled:
        raise InputError(f"policy_yaml has no policy named {name!r}; it has {', '.join(names)}")
    unloadable = load_problems(loaded, {name})
    if unloadable:
        raise InputError(f"policy_yaml does not load as written: {'; '.join(unloadable)}. Call lint_policy for "
                         "positions and fixes.")
    return compiled, loaded, loaded.sources.get(name, {})


@dataclass
class PolicyTextExplanation:
    """:func:`explain_policy_text`'s answer: the explanation and what the answer says about the policy."""

    explained: Explained
    policy_name: str
    policy_kind: str
    document: dict[str, Any]
    remediation: str


def explain_policy_text(
    policy_yaml: str,
    selector: str | None,
    obj: dict[str, Any],
    namespace_object: dict[str, Any] | None,
    operation: str = "CREATE",
    resources: ResourceProvider | None = None,
) -> PolicyTextExplanation:
    """Explain the result of a policy given as YAML text (an agent's: the MCP tool runs this isolated, see
    :mod:`.isolation`) on ``obj`` under ``operation``, with ``resources`` answering ``resource.*`` lookups."""
    compiled, loaded, document = policies_from_text(policy_yaml, selector)
    annotations = (document.get("metadata") or {}).get("annotations") or {}
    request = admission_request(obj, operation, namespace_object=namespace_object)
    result, variant = first_result(compiled, loaded.exceptions, request, Providers(resource=resources))
    explained = explain(result, variant, obj)
    explained.policy = None  # compiled programs stay in the worker; the answer needs the result only
    return PolicyTextExplanation(explained, compiled[0].name, str(document.get("kind") or ""), document,
                                 " ".join(str(annotations.get(REMEDIATION) or "").split()))
