"""The high-risk section of the HTML report: privileged and host-namespace workloads, sensitive mounts and
misconfigured authorisations, most severe first, each with what was found and what was examined."""

from __future__ import annotations

from typing import Any

from .charts import e
from .page import badge, num, object_link, section_html, table_html
from .posture import SECTIONS as SECTION_KINDS

SECTION_SHORT = {
    "privileged": "privileged or host-namespace workloads",
    "mounts": "sensitive mounts",
    "rbac": "risky authorisations",
}
SECTION_TITLES = {
    "privileged": "Privileged and host-namespace workloads",
    "mounts": "Sensitive volume mounts",
    "rbac": "Misconfigured authorisations",
}
SECTION_INTROS = {
    "privileged": "Containers running privileged, pods sharing the node's PID, IPC or network namespace, containers "
                  "adding capabilities that reach the kernel or other processes (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, "
                  "…), and host ports. Pods and ReplicaSets are counted on the controller that owns them.",
    "mounts": "hostPath volumes (container-runtime sockets and the node's credentials or configuration first), and "
              "service-account tokens mounted into pods whose account is granted nothing, or that run as the "
              "namespace's default account.",
    "rbac": "Roles with wildcard verbs or resources, rules that let a holder escalate (escalate, bind, impersonate, "
            "token creation, exec, kubelet proxy, reading Secrets), bindings to system groups such as "
            "system:anonymous or system:authenticated, and bindings of cluster-admin or of the roles above. "
            "Kubernetes' own default roles and bindings are left out.",
}


#: High-risk elements listed per section at most (most severe first); the JSON lists them all.
RISK_ROWS = 200
#: Of those, shown before a "show more" fold.
RISK_ROWS_OPEN = 15
RISK_LABELS = {
    "privileged": "privileged", "host-pid": "host PID", "host-ipc": "host IPC", "host-network": "host network",
    "capabilities": "capabilities", "host-port": "host port", "runtime-socket": "runtime socket",
    "sensitive-host-path": "sensitive hostPath", "host-path": "hostPath", "sa-token": "unneeded token",
    "wildcard": "wildcard", "escalation": "escalation", "system-group": "system group",
    "cluster-admin": "cluster-admin", "risky-role": "risky role binding",
}
_LEVELS = {"critical": 0, "high": 1, "medium": 2}


def _risk_notes(doc: dict[str, Any], section: str) -> list[str]:
    notes = []
    for i, cluster in enumerate(doc.get("clusters", [])):
        if cluster.get("error"):
            continue
        examined = doc["posture"]["clusters"][i].get("highRisk", {}).get("examined", {})
        path = ("posture", "clusters", i, "highRisk", "examined")
        name = f"<strong>{e(cluster['context'])}</strong>"
        if section == "rbac" and not examined.get("rbacObjects"):
            notes.append(f"{name}: no Role, ClusterRole or binding was part of this scan (no selected policy matches "
                         "them, or none could be listed), so authorisations were not examined.")
        elif section == "rbac":
            notes.append(f"{name}: {num(examined['rbacObjects'], *path, 'rbacObjects')} RBAC objects examined "
                         f"({num(examined.get('rbacDefaultsSkipped', 0), *path, 'rbacDefaultsSkipped')} of them "
                         "Kubernetes defaults).")
        else:
            notes.append(f"{name}: {num(examined.get('workloads', 0), *path, 'workloads')} workloads examined.")
            if section == "mounts" and not examined.get("bindingsKnown"):
                notes.append("Bindings were not scanned, so only tokens of default service accounts are flagged.")
    return notes


def _risk_rows(doc: dict[str, Any], section: str) -> tuple[list[str], int]:
    """The rows of one section, most severe first, at most :data:`RISK_ROWS`; and how many there are in all."""
    multi = len(doc.get("clusters", [])) > 1
    ranked: list[tuple[int, int, str]] = []
    for i, cluster in enumerate(doc.get("clusters", [])):
        for n, element in enumerate(doc["posture"]["clusters"][i].get("highRisk", {}).get(section, [])):
            where = f"{e(cluster['context'])} / " if multi else ""
            extra = (f' <span class="muted small">(and {element["instances"] - 1} owned object'
                     f'{"s" if element["instances"] > 2 else ""})</span>') if element["instances"] > 1 else ""
            details = "".join(f"<li>{badge(r['level'])} {e(r['detail'])}</li>" for r in element["risks"])
            ranked.append((_LEVELS.get(element["level"], 3), n,
                           f"<tr><td>{badge(element['level'])}</td><td><span class=\"muted\">{where}</span>"
                           f"{object_link(i, element['kind'], element['namespace'], element['name'])}{extra}</td>"
                           f'<td><ul class="risks">{details}</ul></td></tr>'))
    ranked.sort(key=lambda t: (t[0], t[1]))
    return [row for _, _, row in ranked[:RISK_ROWS]], len(ranked)


def _risk_counts(doc: dict[str, Any], section: str) -> str:
    chips = []
    for i in range(len(doc.get("clusters", []))):
        by_risk = doc["posture"]["clusters"][i].get("highRisk", {}).get("byRisk", {})
        prefix = f"{e(doc['clusters'][i]['context'])}: " if len(doc["clusters"]) > 1 else ""
        for kind, n in by_risk.items():
            if kind in SECTION_KINDS[section]:
                chips.append(f'<span class="risk-chip">{prefix}{e(RISK_LABELS.get(kind, kind))} '
                             f"<strong>{num(n, 'posture', 'clusters', i, 'highRisk', 'byRisk', kind)}</strong></span>")
    return f'<p class="risk-chips">{"".join(chips)}</p>' if chips else ""


def high_risk_section(doc: dict[str, Any]) -> str:
    """The high-risk section of the report of a scan document."""
    parts = []
    for section, title in SECTION_TITLES.items():
        rows, total = _risk_rows(doc, section)
        counts = num(sum(len(p.get("highRisk", {}).get(section, [])) for p in doc["posture"]["clusters"]),
                     "posture", "clusters", "*", "highRisk", section, "#len")
        header = ("level", "object", "what was found")
        body = table_html(header, rows[:RISK_ROWS_OPEN], "risks-table") if rows else \
            '<p class="ok-text">None found.</p>'
        if len(rows) > RISK_ROWS_OPEN:
            body += (f"<details class=\"more\"><summary>Show {len(rows) - RISK_ROWS_OPEN} more</summary>"
                     f'{table_html(header, rows[RISK_ROWS_OPEN:], "risks-table")}</details>')
        if total > len(rows):
            body += (f'<p class="muted">The {len(rows)} most severe are listed; the scan\'s JSON document lists all '
                     f"{total} under <code>posture.clusters[].highRisk.{section}</code>.</p>")
        parts.append(f'<div class="risk-section" id="risk-{section}"><h3>{e(title)} <span class="count-pill">'
                     f"{counts}</span></h3><p class=\"intro\">{e(SECTION_INTROS[section])}</p>"
                     f"{_risk_counts(doc, section)}{body}"
                     f'<p class="muted small">{" ".join(_risk_notes(doc, section))}</p></div>')
    return section_html("high-risk", "High-risk elements", "".join(parts),
                        "Read from the objects themselves, whatever the policies: what an attacker inside a pod, or "
                        "holding a credential, could use to take the node or the cluster.")
