"""Kyverno's ``match`` / ``exclude`` for ClusterPolicy rules (``pkg/engine/utils`` ``MatchesResourceDescription``).

A rule matches when ``match.any`` has one matching filter (or every ``match.all`` filter matches, or the inline
filter matches) and ``exclude`` does not exclude it. A filter matches when every field it sets matches: kinds
(``Kind``, ``version/Kind``, ``group/version/Kind``, with ``*``/``?`` wildcards and ``/subresource``), name(s),
namespaces, annotations, label selector, namespace selector, operations, and the user (roles, clusterRoles,
subjects).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..common.labels import MalformedLabels, labels_of
from ..common.wildcard import wildcard_match
from ..request import AdmissionContext
from ..resources import DEFAULT_CATALOG
from .model import MatchResources, ResourceDescription, ResourceFilter, Subject

_VERSION = re.compile(r"^v\d+((alpha|beta)\d+)?$")
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True)
class KindSelector:
    """A parsed ``kinds`` entry: group, version, kind and subresource patterns (``*`` when not given)."""

    group: str
    version: str
    kind: str
    subresource: str

    @classmethod
    def parse(cls, text: str) -> KindSelector:
        """``Pod``, ``v1/Pod``, ``apps/v1/Deployment``, ``Pod/exec``, ``v1/Pod/exec``, ``apps/v1/Deployment/scale``."""
        parts = text.split("/")
        if len(parts) == 1:
            return cls("*", "*", parts[0], "")
        if len(parts) == 2:
            if parts[0] == "*" or _VERSION.match(parts[0]):
                return cls("*", parts[0], parts[1], "")
            return cls("*", "*", parts[0], parts[1])
        if len(parts) == 3:
            if parts[0] == "*" or _VERSION.match(parts[0]):
                return cls("*", parts[0], parts[1], parts[2])
            return cls(parts[0], parts[1], parts[2], "")
        return cls(parts[0], parts[1], parts[2], "/".join(parts[3:]))

    def matches(self, group: str, version: str, kind: str, subresource: str = "") -> bool:
        """Whether the resource's group/version/kind (and subresource) fall under this selector."""
        if self.kind == "*" and not self.subresource:
            return True
        return (
            wildcard_match(self.group, group)
            and wildcard_match(self.version, version)
            and wildcard_match(self.kind, kind)
            and wildcard_match(self.subresource, subresource)
        )


def kinds_match(kinds: list[str], group: str, version: str, kind: str, subresource: str = "") -> bool:
    """Whether any ``kinds`` entry selects the resource type."""
    return any(KindSelector.parse(k).matches(group, version, kind, subresource) for k in kinds)


def wildcard_selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A LabelSelector where ``matchLabels`` keys and values may hold wildcards (Kyverno's ``ReplaceInSelector``)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        key, value = str(key), str(value)
        if not any(wildcard_match(key, k) and wildcard_match(value, str(v)) for k, v in labels.items()):
            return False
    for expression in selector.get("matchExpressions") or []:
        key = str(expression.get("key", ""))
        operator = str(expression.get("operator", ""))
        values = [str(v) for v in expression.get("values") or []]
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


@dataclass(frozen=True)
class MatchSubject:
    """What a rule is matched against: the resource, the request and the requesting user."""

    obj: Mapping[str, Any]
    group: str
    version: str
    kind: str
    operation: str
    subresource: str = ""
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    #: Why the namespace's labels could not be read (not a map): a namespaceSelector then cannot be decided.
    namespace_labels_problem: str = ""
    username: str = ""
    groups: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    cluster_roles: tuple[str, ...] = ()
    #: Whether the request carries user information; without it ``match`` ignores subjects and roles.
    has_user_info: bool = True

    @classmethod
    def of(cls, ctx: AdmissionContext) -> MatchSubject:
        """The match subject of an admission request."""
        res = ctx.resource()
        try:
            namespace_labels, problem = labels_of(ctx.namespace_object, f"namespace {res.namespace}"), ""
        except MalformedLabels as malformed:
            namespace_labels, problem = {}, str(malformed)
        info = ctx.user_info or {}
        group, version, kind = res.group, res.version, res.kind
        if ctx.subresource:  # a subresource request is matched by its parent's kind (``Deployment/scale``)
            parent = _kind_of_plural(ctx.plural)
            if parent is not None:
                group, version, kind = parent
        return cls(
            obj=ctx.subject,
            group=group,
            version=version,
            kind=kind,
            operation=ctx.operation,
            subresource=ctx.subresource,
            namespace_labels=namespace_labels,
            namespace_labels_problem=problem,
            username=str(info.get("username") or ""),
            groups=tuple(str(g) for g in info.get("groups") or ()),
            roles=ctx.roles or tuple(str(r) for r in info.get("roles") or ()),
            cluster_roles=ctx.cluster_roles or tuple(str(r) for r in info.get("clusterRoles") or ()),
            has_user_info=bool(info or ctx.roles or ctx.cluster_roles),
        )

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The object's metadata."""
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, Mapping) else {}

    @property
    def name(self) -> str:
        """``metadata.name`` (or ``generateName``)."""
        return str(self.metadata.get("name") or self.metadata.get("generateName") or "")

    @property
    def namespace(self) -> str:
        """The namespace the rule sees: a Namespace's own name, else ``metadata.namespace``."""
        if self.kind == "Namespace" and self.group == "":
            return self.name
        return str(self.metadata.get("namespace") or "")


def _description_matches(desc: ResourceDescription, subject: MatchSubject) -> bool:
    if desc.kinds and not kinds_match(desc.kinds, subject.group, subject.version, subject.kind, subject.subresource):
        return False
    if desc.name and not wildcard_match(desc.name, subject.name):
        return False
    if desc.names and not any(wildcard_match(n, subject.name) for n in desc.names):
        return False
    if desc.namespaces and not any(wildcard_match(n, subject.namespace) for n in desc.namespaces):
        return False
    if desc.annotations:
        found = subject.metadata.get("annotations") or {}
        if not isinstance(found, dict):  # a snapshot may hold anything: no annotation match can be decided
            raise MalformedLabels("the object: metadata.annotations is not a map")
        annotations = {str(k): str(v) for k, v in found.items()}
        for key, value in desc.annotations.items():
            if not any(wildcard_match(key, k) and wildcard_match(value, v) for k, v in annotations.items()):
                return False
    if desc.selector is not None:
        labels = {str(k): str(v) for k, v in labels_of(subject.obj).items()}
        if not wildcard_selector_matches(desc.selector, labels):
            return False
    namespace_selector = desc.namespace_selector
    if namespace_selector is not None and subject.kind != "Namespace":
        if subject.namespace_labels_problem:
            raise MalformedLabels(subject.namespace_labels_problem)
        if not wildcard_selector_matches(namespace_selector, dict(subject.namespace_labels)):
            return False
    return not desc.operations or subject.operation in desc.operations


def _subjects_match(subjects: list[Subject], subject: MatchSubject) -> bool:
    identities = (*subject.groups, subject.username)
    for item in subjects:
        if item.kind == "ServiceAccount":
            account = subject.username.removeprefix(SERVICE_ACCOUNT_PREFIX)
            if subject.username.startswith(SERVICE_ACCOUNT_PREFIX) and account == f"{item.namespace}:{item.name}":
                return True
        elif item.kind in ("User", "Group") and item.name in identities:
            return True
    return False


def _kind_of_plural(plural: str) -> tuple[str, str, str] | None:
    for resource_type in DEFAULT_CATALOG.types():
        if resource_type.plural == plural:
            return resource_type.group, resource_type.version, resource_type.kind
    return None


def filter_matches(item: ResourceFilter, subject: MatchSubject, *, user_info: bool = True) -> bool:
    """Whether one filter (resource description and, when ``user_info``, user information) selects the subject."""
    if not _description_matches(item.resources, subject):
        return False
    if not user_info:
        return True
    if item.roles and not set(item.roles) & set(subject.roles):
        return False
    if item.cluster_roles and not set(item.cluster_roles) & set(subject.cluster_roles):
        return False
    return not item.subjects or _subjects_match(item.subjects, subject)


def rule_matches(match: MatchResources, exclude: MatchResources | None, subject: MatchSubject) -> bool:
    """Kyverno's match-then-exclude decision for one rule."""
    users = subject.has_user_info
    if match.any:
        if not any(not f.is_empty() and filter_matches(f, subject, user_info=users) for f in match.any):
            return False
    elif match.all:
        if not all(not f.is_empty() and filter_matches(f, subject, user_info=users) for f in match.all):
            return False
    else:
        inline = match.inline()
        if inline.is_empty() or not filter_matches(inline, subject, user_info=users):
            return False
    return exclude is None or not excluded(exclude, subject)


def excluded(exclude: MatchResources, subject: MatchSubject) -> bool:
    """Whether ``exclude`` removes the subject (empty filters exclude nothing)."""
    if exclude.any:
        return any(not f.is_empty() and filter_matches(f, subject) for f in exclude.any)
    if exclude.all:
        return all(not f.is_empty() and filter_matches(f, subject) for f in exclude.all)
    inline = exclude.inline()
    return not inline.is_empty() and filter_matches(inline, subject)
