"""``draft_policy_exception``: a PolicyException scoped as narrowly as possible, checked with our own engine.

For a CEL policy (``policies.kyverno.io``), the exception names the policy in ``policyRefs`` and matches exactly the
target resources through one CEL ``matchCondition`` (apiVersion, kind, namespace and name of each target). A pod
controller target (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) also covers what it creates, since
Kyverno evaluates those at admission too: its ReplicaSets or Jobs (by owner reference) and its Pods (by the
controller's ``matchLabels`` in its namespace and an owner reference leading to the controller: Pods get generated
names, and labels alone could be set by anyone who may create Pods there). It expires
(``expiresAt``), and records the reason and the failing validation in ``properties`` (Kyverno's CEL exceptions
cannot single out one validation of a policy).

The draft is then loaded with :mod:`pykyverno.engine` next to the policy and evaluated: every target must fail the
policy without it and be skipped with it, and among the other objects given, only the targets' own Pods and
ReplicaSets/Jobs may change result. Otherwise no draft is returned (:class:`ExceptionError`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from pykyverno.engine import AdmissionContext, PolicyIndex, load_documents
from pykyverno.engine.documents import Document
from pykyverno.engine.errors import EngineError
from pykyverno.engine.registry import REGISTRY
from pykyverno.engine.results import ResourceRef

from .flow import Changeset
from .model import MANAGED_BY, MANAGED_BY_LABEL

POLICY_GROUP = "policies.kyverno.io"
#: The validating kinds whose findings a drafted exception excuses.
EXCEPTION_KINDS = frozenset(kind for spec in REGISTRY.specs() if spec.validation_actions for kind in spec.kinds)
#: Controllers whose Pods the exception also covers: kind -> the kind of the intermediate object they own.
POD_CONTROLLERS = {"Deployment": "ReplicaSet", "StatefulSet": "", "DaemonSet": "", "ReplicaSet": "", "Job": "",
                   "CronJob": "Job"}
DEFAULT_NAMESPACE = "kyverno"
_DURATION = re.compile(r"(\d+)([wdhms])")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_BlockDumper.add_representer(str, _str)


class ExceptionError(ValueError):
    """No safe exception can be drafted (unsupported policy, bad input, or a draft that misses or overreaches)."""


@dataclass
class ExceptionDraft:
    """A drafted PolicyException and what checking it with the engine showed."""

    document: dict[str, Any]
    targets: list[str]
    #: Every object whose result the exception changes (targets first, then what they create).
    covers: list[str]
    validation: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def yaml(self) -> str:
        """The PolicyException as YAML (the match condition as a block, one resource per line)."""
        return yaml.dump(self.document, Dumper=_BlockDumper, sort_keys=False, width=120)

    def changeset(self) -> Changeset:
        """The write that installs this exception (through the dry-run/confirm flow)."""
        return Changeset(apply=[self.document], notes=[f"PolicyException for {', '.join(self.targets)}; expires "
                                                       f"{self.document['spec']['expiresAt']}."])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"yaml": self.yaml, "exception": self.document, "targets": self.targets, "covers": self.covers,
                "validation": self.validation, "warnings": self.warnings}


def parse_duration(value: str | timedelta) -> timedelta:
    """``7d``, ``12h``, ``1w2d``, ``90m`` (or a timedelta) as a positive timedelta."""
    if isinstance(value, timedelta):
        delta = value
    else:
        text = value.strip().lower()
        if not text or _DURATION.sub("", text):
            raise ExceptionError(f"invalid duration {value!r}: use e.g. 7d, 12h, 1w2d or 90m")
        delta = timedelta()
        for amount, unit in _DURATION.findall(text):
            delta += timedelta(**{_UNITS[unit]: int(amount)})
    if delta <= timedelta(0):
        raise ExceptionError("the exception must expire in the future (a positive duration)")
    return delta


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _identity(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    meta = _meta(obj)
    return (str(obj.get("apiVersion") or ""), str(obj.get("kind") or ""), str(meta.get("namespace") or ""),
            str(meta.get("name") or ""))


def _target_condition(obj: Mapping[str, Any]) -> str:
    api_version, kind, namespace, name = _identity(obj)
    parts = [f"object.apiVersion == {_quote(api_version)}", f"object.kind == {_quote(kind)}"]
    if namespace:
        parts.append(f"object.metadata.?namespace.orValue('') == {_quote(namespace)}")
    parts.append(f"object.metadata.name == {_quote(name)}")
    return " && ".join(parts)


def _pod_labels(obj: Mapping[str, Any]) -> dict[str, str] | None:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        labels = ((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("metadata")
                  or {}).get("labels")
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) and labels else None
    if obj.get("kind") == "Job":
        return {"batch.kubernetes.io/job-name": str(_meta(obj).get("name") or "")}
    selector = (spec.get("selector") or {}).get("matchLabels")
    return {str(k): str(v) for k, v in selector.items()} if isinstance(selector, Mapping) and selector else None


def _created_conditions(obj: Mapping[str, Any], warnings: list[str]) -> list[str]:
    """Conditions matching what a pod controller creates: its owned ReplicaSets/Jobs and its Pods."""
    _, kind, namespace, name = _identity(obj)
    out = []
    owned = POD_CONTROLLERS.get(kind, "")
    if owned:
        out.append(f"object.kind == {_quote(owned)} && object.metadata.?namespace.orValue('') == {_quote(namespace)}"
                   f" && object.metadata.?ownerReferences.orValue([]).exists(r, r.kind == {_quote(kind)} && "
                   f"r.name == {_quote(name)})")
    labels = _pod_labels(obj)
    if labels is None:
        warnings.append(f"{kind}/{namespace}/{name}: no pod labels to recognise its Pods by; they are not covered "
                        "(pass the whole object, with its spec, to cover them)")
        return out
    if ((obj.get("spec") or {}).get("selector") or {}).get("matchExpressions"):
        warnings.append(f"{kind}/{namespace}/{name}: Pods are matched on the selector's matchLabels only")
    label_tests = " && ".join(f"object.metadata.?labels[?{_quote(k)}].orValue('') == {_quote(v)}"
                              for k, v in sorted(labels.items()))
    out.append(f"object.kind == 'Pod' && object.metadata.?namespace.orValue('') == {_quote(namespace)} && "
               f"{label_tests} && {_pod_owner_test(kind, name)}")
    return out


def _pod_owner_test(kind: str, name: str) -> str:
    """The Pod's owner reference must lead to the controller, not only its labels (anyone may set labels).

    A Deployment's Pods are owned by its ReplicaSet ``<name>-<pod-template-hash>``; a CronJob's by its Job
    ``<name>-<scheduled time>``; the other controllers own their Pods directly.
    """
    if kind == "Deployment":
        owner = (f"r.kind == 'ReplicaSet' && object.metadata.?labels[?'pod-template-hash'].orValue('') != '' && "
                 f"r.name == {_quote(name + '-')} + object.metadata.labels['pod-template-hash']")
    elif kind == "CronJob":
        owner = f"r.kind == 'Job' && r.name.matches({_quote('^' + re.escape(name) + '-[0-9]+$')})"
    else:
        owner = f"r.kind == {_quote(kind)} && r.name == {_quote(name)}"
    return f"object.metadata.?ownerReferences.orValue([]).exists(r, {owner})"


def _name(policy: str, targets: Sequence[Mapping[str, Any]]) -> str:
    if len(targets) == 1:
        raw = f"{policy}-{_identity(targets[0])[3]}"
    else:
        digest = hashlib.sha256(repr(sorted(_identity(t) for t in targets)).encode()).hexdigest()[:8]
        raw = f"{policy}-{digest}"
    cleaned = re.sub(r"[^a-z0-9.-]+", "-", raw.lower()).strip("-.")
    return cleaned[:253].rstrip("-.")


def _validation_text(policy: Mapping[str, Any], index: int | None) -> str:
    validations = (policy.get("spec") or {}).get("validations") or []
    if index is None or not 0 <= index < len(validations):
        return ""
    v = validations[index]
    what = v.get("message") or v.get("messageExpression") or v.get("expression") or ""
    return f"validations[{index}]: {' '.join(str(what).split())}"[:500]


def _results(policy_doc: dict[str, Any], exception: dict[str, Any] | None,
             objects: Sequence[dict[str, Any]]) -> list[tuple[str, str, int | None]]:
    """(result, message, validation index) of the policy on each object (``none`` when it does not apply)."""
    docs = [Document(policy_doc, "policy", 0)]
    if exception is not None:
        docs.append(Document(exception, "exception", 0))
    loaded = load_documents(docs)
    if loaded.issues:
        raise ExceptionError("; ".join(str(i) for i in loaded.issues))
    name = str(_meta(policy_doc).get("name") or "")
    index = PolicyIndex([p for p in loaded.policies if p.name == name])
    out = []
    for obj in objects:
        found: tuple[str, str, int | None] = ("none", "", None)
        for compiled in index.candidates(obj):
            result = compiled.evaluate(AdmissionContext(operation="CREATE", object=obj), loaded.exceptions)
            if result is not None:
                found = (result.result, result.message, result.validation_index)
                break
        out.append(found)
    return out


def draft_policy_exception(policy: dict[str, Any], targets: Sequence[dict[str, Any]], *, reason: str,
                           expires_in: str | timedelta, others: Sequence[dict[str, Any]] = (),
                           namespace: str | None = None, name: str | None = None, include_created: bool = True,
                           now: datetime | None = None) -> ExceptionDraft:
    """Draft and check a PolicyException for ``targets`` (whole objects: apiVersion, kind, metadata, spec).

    ``others`` are objects the exception must leave alone (e.g. the rest of a scanned namespace), apart from the
    Pods and ReplicaSets/Jobs the targets create. ``namespace`` defaults to the targets' namespace (or ``kyverno``).

    :raises ExceptionError: unsupported policy, bad arguments, a target that does not fail, or a draft that does
        not skip every target or changes another object's result.
    """
    api_version, kind = str(policy.get("apiVersion") or ""), str(policy.get("kind") or "")
    policy_name = str(_meta(policy).get("name") or "")
    if api_version.rpartition("/")[0] != POLICY_GROUP or kind not in EXCEPTION_KINDS:
        raise ExceptionError(f"cannot draft an exception for {api_version} {kind}: only policies.kyverno.io "
                             f"validating policies ({', '.join(sorted(EXCEPTION_KINDS))}) are supported")
    if not targets:
        raise ExceptionError("name at least one resource to except")
    if not reason.strip():
        raise ExceptionError("a reason is required: it is recorded in the exception")
    for t in targets:
        if not all(_identity(t)[i] for i in (0, 1, 3)):
            raise ExceptionError(f"every resource needs apiVersion, kind and metadata.name: {_identity(t)}")
    expires_at = (now or datetime.now(UTC)) + parse_duration(expires_in)
    warnings: list[str] = []
    conditions = [f"({_target_condition(t)})" for t in targets]
    if include_created:
        for t in targets:
            if t.get("kind") in POD_CONTROLLERS:
                conditions += [f"({c})" for c in _created_conditions(t, warnings)]
    namespaces = {_identity(t)[2] for t in targets}
    ns = namespace or (namespaces.pop() if len(namespaces) == 1 and "" not in namespaces else DEFAULT_NAMESPACE)
    before = _results(policy, None, list(targets))
    validation = _validation_text(policy, next((b[2] for b in before if b[0] == "fail"), None))
    properties = {"reason": " ".join(reason.split())[:1000], "created-by": "pykyverno"}
    if validation:
        properties["validation"] = validation
    document: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": "PolicyException",
        "metadata": {"name": name or _name(policy_name, targets), "namespace": ns,
                     "labels": {MANAGED_BY_LABEL: MANAGED_BY}},
        "spec": {
            "policyRefs": [{"name": policy_name, "kind": kind}],
            "matchConditions": [{"name": "only-the-excepted-resources", "expression": " ||\n".join(conditions)}],
            "expiresAt": expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "properties": properties,
        },
    }
    try:
        after = _results(policy, document, list(targets))
        others_before = _results(policy, None, list(others))
        others_after = _results(policy, document, list(others))
    except EngineError as exc:
        raise ExceptionError(f"the drafted exception does not load in the engine: {exc}") from None
    covers: list[str] = []
    for t, (was, _, _), (now_result, _, _) in zip(targets, before, after, strict=True):
        ref = str(ResourceRef.of(t))
        if was == "none":
            raise ExceptionError(f"policy {policy_name} does not apply to {ref}: there is nothing to except")
        if was != "fail":
            warnings.append(f"{ref} does not fail {policy_name} now (result {was}); the exception changes nothing "
                            "for it until it does")
        if now_result != "skip":
            raise ExceptionError(f"the drafted exception does not skip {ref} (result {now_result}): not returned")
        covers.append(ref)
    created = {"Pod", "ReplicaSet", "Job"}
    for obj, (was, _, _), (now_result, _, _) in zip(others, others_before, others_after, strict=True):
        if was == now_result:
            continue
        ref = str(ResourceRef.of(obj))
        if not include_created or obj.get("kind") not in created:
            raise ExceptionError(f"the drafted exception would also change {ref} ({was} -> {now_result}): "
                                 "not returned")
        covers.append(ref)
    return ExceptionDraft(document, [str(ResourceRef.of(t)) for t in targets], covers, validation, warnings)


__all__ = ["DEFAULT_NAMESPACE", "ExceptionDraft", "ExceptionError", "draft_policy_exception", "parse_duration"]
