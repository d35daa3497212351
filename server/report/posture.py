"""The posture analyser: high-risk elements read from the scanned objects, explanations of failing results, and the
figures of the report, gathered while a scan runs and written under the scan document's ``posture`` key.

:class:`PostureCollector` sees each scanned object once (:meth:`PostureCollector.observe`) and keeps only what the
report needs: risky workloads and RBAC objects, who owns whom (so that the Pods of a Deployment are counted once, on
the Deployment), service-account settings, and the fields each failed validation read. Nothing here does I/O.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pykyverno.engine.common.annotation_keys import CATEGORY, DESCRIPTION, SEVERITY, TITLE
from pykyverno.engine.results import RuleResult

from . import rbac, workloads
from .explain import FieldRead, explain_finding, remediation_of
from .score import FORMULA, WEIGHTS, combine, figures
from .workloads import Risk

if TYPE_CHECKING:
    from ..scan.model import ScanReport

Key = tuple[str, str, str]  # (kind, namespace, name)

#: The report's sections of high-risk elements, and the risk kinds each holds.
SECTIONS: dict[str, frozenset[str]] = {
    "privileged": frozenset({"privileged", "host-pid", "host-ipc", "host-network", "capabilities", "host-port"}),
    "mounts": frozenset({"runtime-socket", "sensitive-host-path", "host-path", "sa-token"}),
    "rbac": frozenset({"wildcard", "escalation", "system-group", "cluster-admin", "risky-role"}),
}
#: Findings of one policy in one cluster whose fields are recorded: reading them costs about a third of an
#: evaluation, and past a few hundred findings of a policy more of them teach nothing new (explain_violation gives
#: them for any resource).
EXPLAIN_PER_POLICY = 500
_LEVEL_RANK = {"critical": 0, "high": 1, "medium": 2}
#: Policy annotations copied into the report.
_ANNOTATIONS = {"title": TITLE, "category": CATEGORY, "severity": SEVERITY, "description": DESCRIPTION}


def _key(obj: dict[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind") or ""), str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _controller(obj: dict[str, Any]) -> Key | None:
    """The object's controlling owner, as a key in the object's namespace."""
    meta = obj.get("metadata") or {}
    for ref in meta.get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("kind") or ""), str(meta.get("namespace") or ""), str(ref.get("name") or "")
    return None


@dataclass
class _Workload:
    owner: Key | None
    risks: list[Risk]
    account: str
    automount: bool | None


@dataclass
class PostureCollector:
    """What one cluster's scan saw, reduced to what the report needs."""

    kinds: Counter[str] = field(default_factory=Counter)
    workloads: dict[Key, _Workload] = field(default_factory=dict)
    accounts: dict[tuple[str, str], bool | None] = field(default_factory=dict)
    roles: dict[Key, list[Risk]] = field(default_factory=dict)
    bindings: list[dict[str, Any]] = field(default_factory=list)
    bootstrap: int = 0
    #: Fields read by each failing, warning or erroring result, by ``id()`` of the result (results outlive this).
    explained: dict[int, tuple[FieldRead, ...]] = field(default_factory=dict)
    #: Each distinct list of fields once: most findings of a policy read the same fields with the same values.
    _fieldsets: dict[tuple[FieldRead, ...], tuple[FieldRead, ...]] = field(default_factory=dict, repr=False)
    policy_info: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Findings explained so far per policy (bounded by :data:`EXPLAIN_PER_POLICY`).
    explained_per_policy: Counter[str] = field(default_factory=Counter)
    _analysis_cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def observe(self, obj: dict[str, Any], evaluated: Sequence[tuple[Any, RuleResult]]) -> None:
        """Take in one scanned object and its results, each with the compiled policy that produced it."""
        kind = str(obj.get("kind") or "")
        self.kinds[kind] += 1
        spec = workloads.pod_spec(obj)
        if spec is not None:
            automount = spec.get("automountServiceAccountToken")
            self.workloads[_key(obj)] = _Workload(
                _controller(obj),
                workloads.privilege_risks(spec) + workloads.mount_risks(spec),
                workloads.service_account(spec),
                automount if isinstance(automount, bool) else None,
            )
        elif kind == "ServiceAccount":
            setting = obj.get("automountServiceAccountToken")
            key = _key(obj)
            self.accounts[(key[1], key[2])] = setting if isinstance(setting, bool) else None
        elif kind in rbac.ROLE_KINDS or kind in rbac.BINDING_KINDS:
            self._observe_rbac(kind, obj)
        described = self.policy_info
        for policy, result in evaluated:
            if result.policy not in described:
                self._describe_policy(policy, result)
            if result.result in ("fail", "warn", "error") and \
                    self.explained_per_policy[result.policy] < EXPLAIN_PER_POLICY:
                self.explained_per_policy[result.policy] += 1
                fields = tuple(explain_finding(policy, result, obj, self._analysis_cache))
                self.explained[id(result)] = self._fieldsets.setdefault(fields, fields)

    def _observe_rbac(self, kind: str, obj: dict[str, Any]) -> None:
        if rbac.is_bootstrap(obj):
            self.bootstrap += 1
            if kind in rbac.BINDING_KINDS:
                self.bindings.append(_binding_facts(obj, bootstrap=True))
            return
        if kind in rbac.ROLE_KINDS:
            risks = rbac.role_risks(obj)
            if risks:
                self.roles[_key(obj)] = risks
        else:
            self.bindings.append(_binding_facts(obj, bootstrap=False))

    def _describe_policy(self, policy: Any, result: RuleResult) -> None:
        if result.policy in self.policy_info:
            return
        metadata = getattr(getattr(policy, "policy", None), "metadata", None)
        annotations = getattr(metadata, "annotations", None) or {}
        info = {name: " ".join(str(annotations.get(key) or "").split()) for name, key in _ANNOTATIONS.items()}
        info["kind"] = result.policy_kind
        info["remediation"] = remediation_of(policy)
        self.policy_info[result.policy] = info

    def estimated_bytes(self) -> int:
        """A cheap estimate of the memory this collector holds (for caches that keep scans)."""
        fields = sum(96 + sum(120 + len(path) + len(value) for path, _, value in fieldset)
                     for fieldset in self._fieldsets)
        return (120 * len(self.explained) + fields + 400 * len(self.workloads) + 200 * len(self.accounts)
                + 600 * (len(self.roles) + len(self.bindings)) + 1000 * len(self.policy_info))

    # ------------------------------------------------------------------------------------------- the document
    def high_risk(self) -> dict[str, Any]:
        """The high-risk elements by section, with what was examined."""
        elements: dict[str, list[dict[str, Any]]] = {name: [] for name in SECTIONS}
        bound, bound_namespaces, everyone_bound = self._bound_accounts()
        rbac_known = self.kinds.get("ClusterRoleBinding", 0) > 0
        counted = self._fold_instances()
        for key, workload in sorted(self.workloads.items()):
            if key not in counted:
                continue
            risks = list(workload.risks)
            token = self._token_risk(key, workload, rbac_known, bound, bound_namespaces, everyone_bound)
            if token is not None:
                risks.append(token)
            for section, kinds in SECTIONS.items():
                chosen = [r for r in risks if r.kind in kinds]
                if chosen:
                    elements[section].append(_element(key, chosen, counted[key]))
        risky_roles = {key: _worst(risks) for key, risks in self.roles.items()}
        for key, risks in sorted(self.roles.items()):
            elements["rbac"].append(_element(key, risks, 1))
        for binding in self.bindings:
            if binding["bootstrap"]:
                continue
            risks = rbac.binding_risks(binding["object"], risky_roles)
            if risks:
                elements["rbac"].append(_element(_key(binding["object"]), risks, 1))
        for listed in elements.values():
            listed.sort(key=lambda e: (_LEVEL_RANK[e["level"]], e["namespace"], e["kind"], e["name"]))
        by_risk = Counter(r["kind"] for listed in elements.values() for element in listed for r in element["risks"])
        return {
            **elements,
            "byRisk": dict(sorted(by_risk.items())),
            "examined": {
                "workloads": len(self.workloads),
                "serviceAccounts": len(self.accounts),
                "rbacObjects": sum(self.kinds.get(k, 0) for k in (*rbac.ROLE_KINDS, *rbac.BINDING_KINDS)),
                "rbacDefaultsSkipped": self.bootstrap,
                "bindingsKnown": rbac_known,
            },
        }

    def _fold_instances(self) -> dict[Key, int]:
        """Workloads to report, each with the number of scanned workloads it stands for: a Pod or ReplicaSet whose
        controller was scanned too is counted on the controller, unless it carries risks the controller lacks."""
        counted: dict[Key, int] = {}
        for key, workload in self.workloads.items():
            top = key
            seen = {key}
            while (owner := self.workloads[top].owner) is not None and owner in self.workloads and owner not in seen:
                seen.add(owner)
                top = owner
            own = {(r.kind, r.detail) for r in workload.risks}
            covered = {(r.kind, r.detail) for r in self.workloads[top].risks}
            target = top if own <= covered else key
            counted[target] = counted.get(target, 0) + 1
        return counted

    def _bound_accounts(self) -> tuple[set[tuple[str, str]], set[str], bool]:
        accounts: set[tuple[str, str]] = set()
        namespaces: set[str] = set()
        everyone = False
        for binding in self.bindings:
            found, found_namespaces, all_accounts = rbac.bound_service_accounts(binding["object"])
            if binding["bootstrap"] and all_accounts:
                continue  # the default discovery bindings name system:authenticated and grant nothing that matters
            accounts |= found
            namespaces |= found_namespaces
            everyone = everyone or all_accounts
        return accounts, namespaces, everyone

    def _token_risk(self, key: Key, workload: _Workload, rbac_known: bool, bound: set[tuple[str, str]],
                    bound_namespaces: set[str], everyone: bool) -> Risk | None:
        namespace = key[1]
        account_setting = self.accounts.get((namespace, workload.account))
        if not workloads.token_mounted({"automountServiceAccountToken": workload.automount}, account_setting):
            return None
        if rbac_known:
            if (namespace, workload.account) in bound or namespace in bound_namespaces or everyone:
                return None
            why = f"no RoleBinding or ClusterRoleBinding grants service account {workload.account} anything"
        elif workload.account == "default":
            why = "it runs as the namespace's default service account, with no identity of its own"
        else:
            return None
        return Risk("sa-token", "medium", f"the API token is mounted, but {why} (set automountServiceAccountToken "
                                          "to false)")

    def to_dict(self, results: Sequence[RuleResult], include_explanations: bool = True,
                computed: dict[str, Any] | None = None) -> dict[str, Any]:
        """This cluster's part of the ``posture`` document; ``explanations`` maps the index of a result in the
        cluster's ``results`` to the fields its expression read (``[path, present, value]``), for the failing,
        warning and erroring results explained (the first :data:`EXPLAIN_PER_POLICY` of each policy)."""
        out = {**(computed if computed is not None else figures(results)), "highRisk": self.high_risk()}
        if include_explanations:
            explained = self.explained
            out["explanations"] = {
                str(i): fields for i, r in enumerate(results) if (fields := explained.get(id(r))) is not None
            }
        return out


def _binding_facts(obj: dict[str, Any], bootstrap: bool) -> dict[str, Any]:
    """The parts of a binding the analysis reads (a binding is small; the rest of the object is not kept)."""
    meta = obj.get("metadata") or {}
    kept = {
        "kind": obj.get("kind"),
        "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")},
        "subjects": obj.get("subjects"),
        "roleRef": obj.get("roleRef"),
    }
    return {"object": kept, "bootstrap": bootstrap}


def _worst(risks: Iterable[Risk]) -> str:
    return min((r.level for r in risks), key=lambda level: _LEVEL_RANK[level])


def _element(key: Key, risks: list[Risk], instances: int) -> dict[str, Any]:
    return {
        "kind": key[0],
        "namespace": key[1],
        "name": key[2],
        "level": _worst(risks),
        "instances": instances,
        "risks": [r.to_dict() for r in sorted(risks, key=lambda r: _LEVEL_RANK[r.level])],
    }


def scope_of(report: ScanReport) -> dict[str, Any]:
    """What the scan covered and when (from its request)."""
    request = report.request
    return {
        "generatedAt": report.started_at,
        "contexts": [c.context for c in report.clusters],
        "snapshot": request.snapshot if request else "",
        "policySets": list(request.policy_sets) if request else [],
        "namespaces": list(request.namespaces) if request else [],
        "excludeNamespaces": list(request.exclude_namespaces) if request else [],
        "clusterScoped": request.include_cluster_scoped if request else True,
    }


def posture_document(report: ScanReport, include_explanations: bool = True) -> dict[str, Any]:
    """The scan document's ``posture`` key: scope, how the score is computed, the policies' descriptions, and per
    cluster (in the order of ``clusters``) its figures and high-risk elements."""
    policies: dict[str, dict[str, str]] = {}
    for cluster in report.clusters:
        for name, info in cluster.posture.policy_info.items():
            policies.setdefault(name, info)
    per_cluster = [figures(c.results, c.omitted) for c in report.clusters]
    return {
        "scope": scope_of(report),
        "scoring": {"formula": FORMULA, "weights": dict(WEIGHTS), "counted": ["pass", "fail"]},
        "explainedPerPolicy": EXPLAIN_PER_POLICY,
        "policies": dict(sorted(policies.items())),
        "overall": combine(per_cluster),
        "clusters": [c.posture.to_dict(c.results, include_explanations, computed)
                     for c, computed in zip(report.clusters, per_cluster, strict=True)],
    }


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
