"""Installing and uninstalling a bundled policy set (or given policy documents) in a cluster.

- Each policy is written in the version the cluster serves (:mod:`.versions`), labelled
  ``app.kubernetes.io/managed-by: pykyverno`` and ``pykyverno.io/policy-set: <the set the file belongs to>``, and
  annotated with ``pykyverno.io/source-hash`` (a digest of the bundled document) so that ``check_kyverno`` can tell
  an outdated copy from the current one.
- Mode ``Audit`` (the default) sets ``validationActions: [Audit]``; ``Enforce`` sets ``[Deny]`` and is refused
  unless the caller passes, for every validating policy of the set, how many existing objects its scan found failing
  (they would be denied at their next update); the plan shows those counts.
- Installing a set includes the sets it includes (``pod-security-restricted`` brings ``pod-security-baseline``);
  uninstalling a set removes the policies of that set only, found by their labels, so nothing pykyverno did not
  install is deleted; policies that left a set since the last install are removed by the next install.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pykyverno.engine.reader import load_yaml_all
from pykyverno.engine.registry import REGISTRY
from pykyverno.engine.results import RuleResult

from ..kube import Discovery, KubeClient
from ..kube.errors import ClusterError
from ..policysets import get_set, policy_locations, resolve_set
from .flow import Changeset
from .model import MANAGED_BY, MANAGED_BY_LABEL, ObjectRef
from .versions import POLICY_GROUP, VersionError, for_cluster

SET_LABEL = "pykyverno.io/policy-set"
SOURCE_HASH = "pykyverno.io/source-hash"
MODES = ("Audit", "Enforce")
#: Kinds whose ``validationActions`` the mode sets.
ACTION_KINDS = frozenset(kind for spec in REGISTRY.specs() if spec.validation_actions for kind in spec.kinds)
CUSTOM_SET = "custom"
#: The kinds install_policy_set writes (cluster-scoped policies.kyverno.io policies); the writes RBAC overlay grants
#: exactly these (and PolicyExceptions and reports).
INSTALLABLE_KINDS = frozenset(spec.name for spec in REGISTRY.specs() if spec.group == POLICY_GROUP)


class InstallError(ValueError):
    """The install cannot be planned: unknown set, wrong mode, missing scan counts, nothing served."""


@dataclass(frozen=True)
class SetPolicy:
    """One policy document of a set, with the set its file belongs to."""

    set_name: str
    document: dict[str, Any]

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return str((self.document.get("metadata") or {}).get("name") or "")

    @property
    def kind(self) -> str:
        """``kind``."""
        return str(self.document.get("kind") or "")


def source_hash(document: Mapping[str, Any]) -> str:
    """A short digest of a policy document as bundled (before conversion and labels)."""
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]


def set_policies(set_name: str) -> list[SetPolicy]:
    """The policies of a bundled set and of the sets it includes, each with its own set's name."""
    get_set(set_name)  # a clear error for an unknown set
    owner = {loc.path: loc.set_name for loc in policy_locations().values()}
    out = []
    for path in resolve_set(set_name):
        for doc in load_yaml_all(path.read_text(encoding="utf-8"), str(path)):
            if isinstance(doc, dict) and doc.get("kind"):
                out.append(SetPolicy(owner.get(path, set_name), doc))
    return out


def denial_counts(results: Iterable[RuleResult]) -> dict[str, int]:
    """Per policy, how many distinct objects a scan found failing: what ``Enforce`` would deny at their next update."""
    failing: dict[str, set[tuple[str, str, str, str]]] = {}
    for r in results:
        if r.result == "fail":
            ref = r.resource
            failing.setdefault(r.policy, set()).add((ref.api_version, ref.kind, ref.namespace, ref.name))
    return {policy: len(objects) for policy, objects in failing.items()}


def prepare(policy: SetPolicy, mode: str, discovery: Discovery, *, context: str = "") -> dict[str, Any]:
    """The object to apply: converted, labelled, annotated, with the mode's validation actions."""
    doc = for_cluster(discovery, policy.document, context=context)
    meta = doc.setdefault("metadata", {})
    meta["labels"] = {**(meta.get("labels") or {}), MANAGED_BY_LABEL: MANAGED_BY, SET_LABEL: policy.set_name}
    meta["annotations"] = {**(meta.get("annotations") or {}), SOURCE_HASH: source_hash(policy.document)}
    if policy.kind in ACTION_KINDS:
        doc.setdefault("spec", {})["validationActions"] = ["Deny"] if mode == "Enforce" else ["Audit"]
    return doc


def installed_policies(client: KubeClient, label_selector: str) -> list[dict[str, Any]]:
    """Every policies.kyverno.io object (preferred version of each kind) matching ``label_selector``."""
    out: list[dict[str, Any]] = []
    for res in client.discover().preferred():
        if res.group == POLICY_GROUP and res.kind != "PolicyException" and res.listable:
            out.extend(client.list(res.group, res.version, res.resource, label_selector=label_selector))
    return out


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InstallError(f"mode must be Audit or Enforce, not {mode!r}")


def _enforce_notes(policies: Sequence[SetPolicy], denials: Mapping[str, int] | None) -> list[str]:
    validating = sorted({p.name for p in policies if p.kind in ACTION_KINDS})
    if denials is None:
        raise InstallError("Enforce needs a scan first: scan the cluster with this set and pass, for each policy, "
                           "how many existing objects fail it (they would be denied at their next update); "
                           "install in Audit mode meanwhile")
    missing = [name for name in validating if name not in denials]
    if missing:
        raise InstallError(f"Enforce needs scan counts for every validating policy of the set; missing: "
                           f"{', '.join(missing)}")
    total = sum(int(denials[name]) for name in validating)
    notes = [f"Enforce: {total} existing object(s) fail these policies and would be denied at their next create or "
             "update (existing objects are not removed)."]
    notes += [f"  {name}: {int(denials[name])} object(s) would be denied" for name in validating if denials[name]]
    return notes


def install_changeset(client: KubeClient, set_name: str | None, *, mode: str = "Audit",
                      denials: Mapping[str, int] | None = None,
                      documents: Sequence[dict[str, Any]] = ()) -> Changeset:
    """What installing ``set_name`` (or the given policy ``documents``, labelled as set ``custom``) writes.

    :raises InstallError: unknown set or mode, Enforce without scan counts, a kind the cluster does not serve.
    """
    _check_mode(mode)
    if set_name is None and not documents:
        raise InstallError("name a policy set or give policy documents to install")
    policies = set_policies(set_name) if set_name else []
    policies += [SetPolicy(CUSTOM_SET, dict(d)) for d in documents]
    if not policies:
        raise InstallError(f"policy set {set_name!r} holds no policies")
    for policy in policies:
        group = str(policy.document.get("apiVersion") or "").rpartition("/")[0]
        if group != POLICY_GROUP or policy.kind not in INSTALLABLE_KINDS:
            raise InstallError(f"cannot install {policy.document.get('apiVersion')} {policy.kind} {policy.name!r}: "
                               f"install_policy_set writes {POLICY_GROUP} {', '.join(sorted(INSTALLABLE_KINDS))}")
    notes = _enforce_notes(policies, denials) if mode == "Enforce" else [
        "Audit mode: violations are reported (PolicyReports), nothing is denied."]
    discovery = client.discover()
    objects = []
    for policy in policies:
        try:
            objects.append(prepare(policy, mode, discovery, context=client.context))
        except VersionError as exc:
            raise InstallError(str(exc)) from None
    versions = sorted({o["apiVersion"] for o in objects} - {p.document.get("apiVersion") for p in policies})
    if versions:
        notes.append(f"Converted to {', '.join(versions)}: the version this cluster serves.")
    wanted = {(p.kind, p.name) for p in policies}
    deletes = []
    for set_label in sorted({p.set_name for p in policies}):
        try:
            present = installed_policies(client, f"{MANAGED_BY_LABEL}={MANAGED_BY},{SET_LABEL}={set_label}")
        except ClusterError as exc:
            notes.append(f"Could not list installed policies of set {set_label} ({exc.message}); policies that "
                         "left the set are not removed.")
            continue
        deletes += [ObjectRef.of(o) for o in present if (o.get("kind"), ObjectRef.of(o).name) not in wanted]
    if deletes:
        notes.append(f"{len(deletes)} policy(ies) installed earlier are no longer in the set and are removed.")
    return Changeset(apply=objects, delete=deletes, notes=notes)


def uninstall_changeset(client: KubeClient, set_name: str) -> Changeset:
    """What uninstalling ``set_name`` deletes: the policies labelled with it by pykyverno, nothing else."""
    if set_name != CUSTOM_SET:
        get_set(set_name)
    if not any(r.group == POLICY_GROUP for r in client.discover().resources):
        raise InstallError(f"context {client.context!r} does not serve Kyverno's policy API ({POLICY_GROUP}): "
                           f"there is no policy of set {set_name} to uninstall, and no way to tell; is Kyverno "
                           "installed? (run check_kyverno)")
    present = installed_policies(client, f"{MANAGED_BY_LABEL}={MANAGED_BY},{SET_LABEL}={set_name}")
    notes = []
    if not present:
        notes.append(f"No policy of set {set_name} installed by pykyverno was found.")
    if set_name != CUSTOM_SET:
        included = get_set(set_name).includes
        if included:
            notes.append(f"Included sets ({', '.join(included)}) are left in place; uninstall them separately.")
    return Changeset(delete=sorted(ObjectRef.of(o) for o in present), notes=notes)


def modes_of(policies: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many policies run in each mode (Enforce when ``Deny`` is among the actions, else Audit or Warn)."""
    counts: Counter[str] = Counter()
    for p in policies:
        if p.get("kind") not in ACTION_KINDS:
            continue
        actions = (p.get("spec") or {}).get("validationActions") or []
        counts["Enforce" if "Deny" in actions else "Warn" if actions == ["Warn"] else "Audit"] += 1
    return dict(counts)


__all__ = [
    "ACTION_KINDS",
    "CUSTOM_SET",
    "INSTALLABLE_KINDS",
    "MODES",
    "SET_LABEL",
    "SOURCE_HASH",
    "InstallError",
    "SetPolicy",
    "denial_counts",
    "install_changeset",
    "installed_policies",
    "modes_of",
    "prepare",
    "set_policies",
    "source_hash",
    "uninstall_changeset",
]
