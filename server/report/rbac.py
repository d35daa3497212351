"""Misconfigured authorisations, read from RBAC objects: wildcard rules, escalation verbs, bindings to system groups
and bindings that hand out cluster-admin.

Pure functions on plain dicts. Kubernetes' own bootstrap roles and bindings (label
``kubernetes.io/bootstrapping: rbac-defaults``) are left out: they are meant to be powerful, and listing
``cluster-admin`` in every report would hide what a team changed.
"""

from __future__ import annotations

from typing import Any

from .workloads import Risk

ROLE_KINDS = frozenset({"Role", "ClusterRole"})
BINDING_KINDS = frozenset({"RoleBinding", "ClusterRoleBinding"})
BOOTSTRAP_LABEL = ("kubernetes.io/bootstrapping", "rbac-defaults")

#: Subjects that stand for everyone, or for every workload of the cluster.
SYSTEM_SUBJECTS: dict[str, tuple[str, str]] = {
    "system:anonymous": ("critical", "every unauthenticated request"),
    "system:unauthenticated": ("critical", "every unauthenticated request"),
    "system:authenticated": ("high", "every authenticated user and service account"),
    "system:serviceaccounts": ("high", "every service account of the cluster"),
}

#: (resource patterns, verbs, level, what it allows). A rule matches when one of its resources and one of its verbs
#: (or a wildcard) are in the sets.
ESCALATIONS: tuple[tuple[frozenset[str], frozenset[str], str, str], ...] = (
    (frozenset({"roles", "clusterroles"}), frozenset({"escalate"}), "high", "grant permissions it does not hold"),
    (frozenset({"roles", "clusterroles"}), frozenset({"bind"}), "high", "bind any role to anyone"),
    (frozenset({"users", "groups", "serviceaccounts", "uids", "userextras/scopes"}), frozenset({"impersonate"}),
     "high", "impersonate other identities"),
    (frozenset({"serviceaccounts/token"}), frozenset({"create"}), "high", "mint service-account tokens"),
    (frozenset({"pods/exec", "pods/attach"}), frozenset({"create", "get"}), "medium", "run commands in containers"),
    (frozenset({"nodes/proxy"}), frozenset({"get", "create", "update", "patch"}), "high", "reach the kubelet API"),
    (frozenset({"secrets"}), frozenset({"get", "list", "watch"}), "medium", "read Secrets"),
)


def is_bootstrap(obj: dict[str, Any]) -> bool:
    """Whether the object is one of Kubernetes' default RBAC objects."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return isinstance(labels, dict) and labels.get(BOOTSTRAP_LABEL[0]) == BOOTSTRAP_LABEL[1]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _rules(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in obj.get("rules") or [] if isinstance(r, dict)]


def role_risks(obj: dict[str, Any]) -> list[Risk]:
    """Wildcards and escalation verbs in the rules of a Role or ClusterRole."""
    risks: list[Risk] = []
    scope = "in every namespace" if obj.get("kind") == "ClusterRole" else "in its namespace"
    for index, rule in enumerate(_rules(obj)):
        verbs = set(_strings(rule.get("verbs")))
        resources = set(_strings(rule.get("resources")))
        where = f"rule {index + 1}"
        if not resources and rule.get("nonResourceURLs"):
            continue
        if "*" in verbs and "*" in resources:
            risks.append(Risk("wildcard", "critical", f"{where}: every verb on every resource {scope}"))
            continue
        if "*" in verbs:
            risks.append(Risk("wildcard", "high", f"{where}: every verb on {', '.join(sorted(resources))}"))
        if "*" in resources:
            risks.append(Risk("wildcard", "high", f"{where}: {', '.join(sorted(verbs))} on every resource {scope}"))
        if "*" in verbs or "*" in resources:
            continue  # a wildcard holds every escalation below; it is reported once, above
        for patterns, dangerous, level, allows in ESCALATIONS:
            hit_resources, hit_verbs = sorted(resources & patterns), sorted(verbs & dangerous)
            if hit_resources and hit_verbs:
                risks.append(Risk("escalation", level,
                                  f"{where}: {'/'.join(hit_verbs)} {', '.join(hit_resources)} can {allows}"))
    return risks


def binding_risks(obj: dict[str, Any], risky_roles: dict[tuple[str, str, str], str]) -> list[Risk]:
    """Bindings to system groups, to cluster-admin, or to a role found risky (``risky_roles``: (kind, namespace,
    name) of roles to the level of their worst risk)."""
    risks: list[Risk] = []
    subjects = [s for s in obj.get("subjects") or [] if isinstance(s, dict)]
    for subject in subjects:
        name = str(subject.get("name") or "")
        if name in SYSTEM_SUBJECTS and subject.get("kind") in ("Group", "User"):
            level, who = SYSTEM_SUBJECTS[name]
            risks.append(Risk("system-group", level, f"grants its role to {name} ({who})"))
    ref = obj.get("roleRef") or {}
    role_kind, role_name = str(ref.get("kind") or ""), str(ref.get("name") or "")
    namespace = str((obj.get("metadata") or {}).get("namespace") or "") if role_kind == "Role" else ""
    who = ", ".join(f"{s.get('kind')} {s.get('name')}" for s in subjects[:5]) or "no subject"
    if len(subjects) > 5:
        who += f" and {len(subjects) - 5} more"
    if role_kind == "ClusterRole" and role_name == "cluster-admin":
        risks.append(Risk("cluster-admin", "high", f"grants cluster-admin to {who}"))
    elif (role_kind, namespace, role_name) in risky_roles:
        level = risky_roles[(role_kind, namespace, role_name)]
        risks.append(Risk("risky-role", level, f"grants {role_kind} {role_name} (see above) to {who}"))
    return risks


def bound_service_accounts(obj: dict[str, Any]) -> tuple[set[tuple[str, str]], set[str], bool]:
    """What a binding gives permissions to: (namespace, name) of service accounts, namespaces all of whose
    accounts are bound (``system:serviceaccounts:NS``), and whether every account is (``system:serviceaccounts``)."""
    accounts: set[tuple[str, str]] = set()
    namespaces: set[str] = set()
    everyone = False
    own_namespace = str((obj.get("metadata") or {}).get("namespace") or "")
    for subject in obj.get("subjects") or []:
        if not isinstance(subject, dict):
            continue
        name = str(subject.get("name") or "")
        if subject.get("kind") == "ServiceAccount":
            accounts.add((str(subject.get("namespace") or own_namespace), name))
        elif subject.get("kind") == "Group" and name in ("system:serviceaccounts", "system:authenticated"):
            everyone = True
        elif subject.get("kind") == "Group" and name.startswith("system:serviceaccounts:"):
            namespaces.add(name.removeprefix("system:serviceaccounts:"))
    return accounts, namespaces, everyone
