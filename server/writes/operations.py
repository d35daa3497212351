"""What the CLI and the MCP write tools both do around a change set: the scan that ``Enforce`` needs, the objects a
PolicyException is drafted for, and the check that a scan is complete enough to publish.

Both front ends call these and then hand the change set to :class:`~.flow.WriteFlow`; neither imports the other.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pykyverno.engine.policyset import PolicySet

from ..core.errors import InputError
from ..core.names import require_known
from ..kube import APIResourceInfo, KubeClient
from ..policysets import find_policy
from ..policysets.catalog import policy_document
from ..scan import ClusterSource, Scanner, ScanReport, ScanRequest
from .policysets import InstallError, denial_counts

#: Objects of one kind and namespace read to check that a drafted exception leaves them alone.
MAX_NEIGHBOURS = 2000


class TargetError(InputError):
    """A resource named for an exception cannot be found or named that way."""


@dataclass(frozen=True)
class TargetRef:
    """A resource as a user names it: ``Kind/name`` or ``Kind/namespace/name`` (kind, plural or short name)."""

    kind: str
    name: str
    namespace: str = ""

    @classmethod
    def parse(cls, text: str) -> TargetRef:
        """``Deployment/team-b/logger`` or ``Namespace/team-b``; :class:`TargetError` for anything else."""
        parts = text.strip().split("/")
        if len(parts) == 2 and all(parts):
            return cls(parts[0], parts[1])
        if len(parts) == 3 and all(parts):
            return cls(parts[0], parts[2], parts[1])
        raise TargetError(f"resource {text!r}: expected Kind/name or Kind/namespace/name, e.g. Deployment/team-b/web")

    def __str__(self) -> str:
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)


def find_kind(client: KubeClient, kind: str) -> APIResourceInfo:
    """The served type a user means by ``kind`` (kind, plural, singular or short name; core and apps win a tie)."""
    wanted = kind.strip().lower()
    served = [r for r in client.discover().preferred()
              if wanted in (r.kind.lower(), r.resource, r.singular, *r.short_names)]
    if not served:
        require_known("kind", kind, sorted({r.kind for r in client.discover().preferred()}),
                      where=f"in context {client.context!r}")
    preferred = [r for r in served if r.group in ("", "apps", "batch")] or served
    if len({r.group for r in preferred}) > 1:
        raise TargetError(f"kind {kind!r} is served by several API groups "
                          f"({', '.join(sorted(r.group or 'core' for r in preferred))}): name the kind exactly")
    return preferred[0]


def fetch_targets(client: KubeClient, refs: Sequence[TargetRef]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The named objects, and their neighbours: the other objects of their kinds in their namespaces, and the Pods,
    ReplicaSets and Jobs there (what a drafted exception must leave alone, apart from what the targets create).

    :raises TargetError: a kind the cluster does not serve, a namespaced kind without a namespace.
    :raises KubeError: an object that does not exist (``NotFound``), a denied read.
    """
    targets: list[dict[str, Any]] = []
    kinds: dict[str, APIResourceInfo] = {}
    for ref in refs:
        res = find_kind(client, ref.kind)
        if res.namespaced and not ref.namespace:
            raise TargetError(f"resource {ref}: {res.kind} is namespaced, name it as {res.kind}/<namespace>/{ref.name}")
        obj = client.get(res.group, res.version, res.resource, ref.name,
                         namespace=ref.namespace if res.namespaced else None)
        obj.setdefault("apiVersion", res.api_version)
        obj.setdefault("kind", res.kind)
        targets.append(obj)
        kinds[res.kind] = res
    namespaces = sorted({ref.namespace for ref in refs if ref.namespace})
    discovery = client.discover()
    for kind, group in (("Pod", ""), ("ReplicaSet", "apps"), ("Job", "batch")):
        created = discovery.by_kind(group, kind, "v1")
        if kind not in kinds and created is not None:
            kinds[kind] = created
    wanted = {(str(t.get("kind")), str((t.get("metadata") or {}).get("namespace") or ""),
               str((t.get("metadata") or {}).get("name"))) for t in targets}
    others: list[dict[str, Any]] = []
    for res in kinds.values():
        for scope in (namespaces if res.namespaced else [None]):
            seen = 0
            for obj in client.list(res.group, res.version, res.resource, namespace=scope):
                meta = obj.get("metadata") or {}
                if (res.kind, str(meta.get("namespace") or ""), str(meta.get("name"))) in wanted:
                    continue
                obj.setdefault("apiVersion", res.api_version)
                obj.setdefault("kind", res.kind)
                others.append(obj)
                seen += 1
                if seen >= MAX_NEIGHBOURS:
                    break
    return targets, others


def bundled_policy(name: str) -> dict[str, Any]:
    """The document of the bundled policy ``name`` (:class:`~pykyverno.server.policysets.PolicySetError` if none)."""
    return policy_document(find_policy(name).path, name)


def enforce_denials(client: KubeClient, policies: PolicySet, *, timeout: float | None,
                    cancel: threading.Event | None = None) -> dict[str, int]:
    """Scan the whole cluster with ``policies``: per validating policy, how many existing objects fail it (what
    ``Enforce`` would deny at their next update).

    :raises InstallError: the scan is incomplete (a failure would hide objects that Enforce then denies).
    """
    scanner = Scanner(policies.policies, policies.exceptions)
    scan = scanner.scan_source(ClusterSource(client), ScanRequest(contexts=(client.context,), timeout=timeout),
                               cancel=cancel)
    problems = [scan.error] if scan.error else [f"{f.resource}: {f.message}" for f in scan.failures]
    if problems:
        raise InstallError(f"Enforce needs a complete scan of context {client.context!r} to count what it would "
                           f"deny, and the scan was incomplete ({'; '.join(problems[:5])}); install in Audit mode or "
                           "fix access first")
    counts = {p.name: 0 for p in scanner.policies if p.spec.validation_actions}
    counts.update(denial_counts(scan.results))
    return counts


def publishable(report: ScanReport) -> list[str]:
    """Why ``report`` must not be published (empty when it may): a report written from an incomplete or cancelled
    scan would show objects that were not scanned as clean."""
    problems = []
    if report.cancelled:
        problems.append("the scan was cancelled")
    for cluster in report.clusters:
        if cluster.error:
            problems.append(f"{cluster.context}: {cluster.error}")
        problems += [f"{cluster.context}: {f.resource}: {f.message}" for f in cluster.failures[:5]]
    return problems


__all__ = ["MAX_NEIGHBOURS", "TargetError", "TargetRef", "bundled_policy", "enforce_denials",
           "fetch_targets", "find_kind", "publishable"]
