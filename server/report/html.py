"""The self-contained HTML posture report of a scan document (the ``-o json`` document of ``pykyverno scan``).

One file, no network: styles, script and data are inline and a Content-Security-Policy forbids every fetch. Charts
are SVG drawn in Python (:mod:`.charts`); the one script (``assets/report.js``) only filters, searches and pages the
findings table from the data inlined as JSON. Every number comes from the document and carries ``data-figure`` with
its path in it, so a test can hold the page to the JSON.

The same function serves an MCP App (a ``ui://`` resource): the page needs nothing but its own text.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from . import charts
from .charts import SEVERITY_COLOURS, e, fig, format_score
from .pagedata import findings_payload
from .posture import SECTIONS as SECTION_KINDS

RESULT_KEYS = ("pass", "fail", "warn", "error", "skip")
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


def num(value: object, *path: object, cls: str = "") -> str:
    """A number of the document, tagged with its path (integers with thousands separators)."""
    klass = f' class="{cls}"' if cls else ""
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    return f"<span{klass}{fig(path)}>{e(text)}</span>"


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no ``</script>``, no ``<!--``, no U+2028/2029 surprises."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'")


def is_incomplete(doc: dict[str, Any]) -> bool:
    """Whether something could not be scanned or evaluated (the scan's exit code 3)."""
    return bool(
        doc.get("incomplete")
        or doc.get("cancelled")
        or any(c.get("error") or c.get("failures") for c in doc.get("clusters", []))
        or doc.get("summary", {}).get("error", 0)
    )


def page(title: str, body: str, data: dict[str, Any] | None = None, subtitle: str = "") -> str:
    """A complete report page: inline style, inline data and script, strict CSP."""
    script = _asset("report.js")
    data_block = (f'<script type="application/json" id="report-data">{_script_json(data)}</script>'
                  if data is not None else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_csp(script)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light"><link rel="icon" href="data:,">'
        f"<title>{e(title)}</title><style>{_asset('report.css')}</style></head><body>"
        f'<header class="masthead"><div class="brand">pykyverno · Kubernetes policy governance</div>'
        f"<h1>{e(title)}</h1>{subtitle}</header><main>{body}</main>"
        '<footer>Made by <strong>pykyverno</strong> from the scan\'s JSON document; every figure on this page is a '
        "figure of that document. Self-contained: no request leaves this page.</footer>"
        f"{data_block}<script>{script}</script></body></html>\n"
    )


# --------------------------------------------------------------------------------------------------- small parts
def badge(level: str) -> str:
    """A severity (or risk level) badge."""
    return f'<span class="badge sev-{e(level)}">{e(level)}</span>'


def _resource(kind: str, namespace: str, name: str) -> str:
    where = f"{namespace}/" if namespace else ""
    return f"{kind}/{where}{name}"


def _severity_chips(counts: dict[str, int], *path: object) -> str:
    chips = [f'<span class="chip sev-{s}">{num(n, *path, s)} {s}</span>' for s, n in counts.items() if n]
    return " ".join(chips) or '<span class="muted">none</span>'


def _link(inner: str, cluster: int, namespace: str, query: str = "", category: str = "", cls: str = "") -> str:
    """A link that lists the matching findings (the script reads the data attributes)."""
    extra = (f' data-q="{e(query)}"' if query else "") + (f' data-category="{e(category)}"' if category else "")
    return (f'<a href="#findings" class="filter-link {cls}" data-cluster="{cluster}" data-ns="{e(namespace)}"{extra}>'
            f"{inner}</a>")


def _object_link(cluster: int, kind: str, namespace: str, name: str) -> str:
    return _link(e(_resource(kind, namespace, name)), cluster, namespace, f"{kind}/{name}", cls="resource")


def _table(header: Sequence[str], rows: Iterable[str], cls: str = "") -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _section(anchor: str, title: str, body: str, intro: str = "") -> str:
    lead = f'<p class="intro">{e(intro)}</p>' if intro else ""
    return f'<section id="{anchor}"><h2>{e(title)}</h2>{lead}{body}</section>'


# ------------------------------------------------------------------------------------------------------ sections
def _incomplete_banner(doc: dict[str, Any]) -> str:
    items = []
    for i, cluster in enumerate(doc.get("clusters", [])):
        if cluster.get("error"):
            items.append(f"<li><strong>{e(cluster['context'])}</strong>: not scanned at all: {e(cluster['error'])}"
                         "</li>")
        elif cluster.get("failures"):
            items.append(f"<li><strong>{e(cluster['context'])}</strong>: "
                         f"{num(len(cluster['failures']), 'clusters', i, 'failures', '#len')} resource type(s) or "
                         "page(s) could not be listed; their objects are not in any figure below</li>")
    errors = doc.get("summary", {}).get("error", 0)
    if errors:
        items.append(f"<li>{num(errors, 'summary', 'error')} evaluation(s) ended in an error (listed with result "
                     "<em>error</em> in the findings)</li>")
    if doc.get("cancelled"):
        items.append("<li>The scan was cancelled before it finished</li>")
    if doc.get("deadlineReached"):
        items.append("<li>The scan ran out of time (<code>--scan-timeout</code>); what it had not reached is listed "
                     "as not scanned</li>")
    return ('<div class="banner incomplete" role="alert"><h2>Incomplete scan</h2><p>Parts of the scope could not '
            f'be read or evaluated, so this report does not cover them:</p><ul>{"".join(items)}</ul>'
            '<p><a href="#scope">What was and was not scanned</a></p></div>')


def _policy_issue_banner(doc: dict[str, Any]) -> str:
    issues = doc.get("policyIssues") or []
    if not issues:
        return ""
    items = "".join(f"<li>{e(i)}</li>" for i in issues[:20])
    more = f"<li>… and {len(issues) - 20} more</li>" if len(issues) > 20 else ""
    return (f'<div class="banner warning" role="alert"><h2>{num(len(issues), "policyIssues", "#len")} policy '
            f"document(s) could not be loaded</h2><p>Their checks did not run:</p><ul>{items}{more}</ul></div>")


def _cluster_card(i: int, cluster: dict[str, Any], posture: dict[str, Any]) -> str:
    name = e(cluster["context"])
    if cluster.get("error"):
        return (f'<article class="card cluster failed"><h3>{name}</h3><p class="status bad">Not scanned</p>'
                f'<p class="error-text">{e(cluster["error"])}</p></article>')
    status = ('<p class="status warn">Incomplete</p>' if cluster.get("failures")
              else '<p class="status ok">Complete</p>')
    summary = cluster["summary"]
    counts = "".join(
        f'<div class="count res-{k}"><span class="n">{num(summary[k], "clusters", i, "summary", k)}</span>'
        f'<span class="k">{k}</span></div>' for k in RESULT_KEYS
    )
    risk = posture.get("highRisk", {})
    risks = "".join(
        f'<li><a href="#risk-{s}"><span class="n">'
        f'{num(len(risk.get(s, [])), "posture", "clusters", i, "highRisk", s, "#len")}</span> '
        f"{e(SECTION_SHORT[s])}</a></li>"
        if s != "rbac" or risk.get("examined", {}).get("rbacObjects") else
        '<li class="muted"><span class="n">&ndash;</span> authorisations not examined</li>'
        for s in SECTION_TITLES
    )
    return (
        f'<article class="card cluster"><h3 title="{e(cluster.get("server", ""))}">{name}</h3>{status}'
        f'<div class="card-body">{charts.gauge(posture.get("score"), ["posture", "clusters", i, "score"])}'
        f'<div><p class="objects">{num(cluster["objects"], "clusters", i, "objects")} objects scanned</p>'
        f'<ul class="risk-counts">{risks}</ul></div></div><div class="counts">{counts}</div></article>'
    )


def _overview(doc: dict[str, Any]) -> str:
    posture = doc.get("posture", {})
    clusters = doc.get("clusters", [])
    cards = "".join(_cluster_card(i, c, posture["clusters"][i]) for i, c in enumerate(clusters))
    overall = posture.get("overall", {})
    severity = overall.get("failBySeverity", {})
    severity_chart = charts.bar_chart(
        [(s, severity.get(s, 0), SEVERITY_COLOURS[s],
          ["posture", "overall", "failBySeverity", s]) for s in SEVERITY_COLOURS
         if s != "unset" or severity.get(s)],
        "Failing results by severity",
    )
    categories = overall.get("failByCategory", {})
    ordered = sorted(categories, key=lambda c: -sum(categories[c].values()))
    category_chart = charts.stacked_bars(
        [(c, categories[c], ["posture", "overall", "failByCategory", c]) for c in ordered],
        "Failing results by category",
    ) if ordered else '<p class="muted">No failing result.</p>'
    total = ""
    summary = doc.get("summary", {})
    if len(clusters) > 1:
        counts = "".join(
            f'<div class="count res-{k}"><span class="n">{num(summary.get(k, 0), "summary", k)}</span>'
            f'<span class="k">{k}</span></div>' for k in RESULT_KEYS
        )
        total = (f'<article class="card overall"><h3>All clusters</h3>'
                 f'{charts.gauge(overall.get("score"), ["posture", "overall", "score"])}'
                 f'<div class="counts">{counts}</div></article>')
    line = ", ".join(f"{num(summary.get(k, 0), 'summary', k)} {k}" for k in RESULT_KEYS)
    layout = "overview single" if len(clusters) == 1 else "overview multi"
    return _section(
        "overview", "Overview",
        f'<div class="{layout}"><div class="cards">{total}{cards}</div>'
        f'<figure class="fig-severity"><figcaption>Failing results by severity</figcaption>{severity_chart}</figure>'
        '<figure class="fig-category"><figcaption>Failing results by category</figcaption>'
        f"{category_chart}</figure></div>"
        f'<p class="totals">Results over the whole scan: {line}.</p>',
    )


def _scoring(doc: dict[str, Any]) -> str:
    posture = doc.get("posture", {})
    scoring = posture.get("scoring", {})
    weights = scoring.get("weights", {})
    weight_cells = "".join(f"<tr><td>{badge(s)}</td><td>{num(w, 'posture', 'scoring', 'weights', s)}</td></tr>"
                           for s, w in weights.items())
    worked = []
    for i, cluster in enumerate(doc.get("clusters", [])):
        p = posture["clusters"][i]
        if p.get("score") is None:
            worked.append(f"<li><strong>{e(cluster['context'])}</strong>: no pass or fail result, no score</li>")
            continue
        worked.append(
            f"<li><strong>{e(cluster['context'])}</strong>: 100 &times; (1 &minus; "
            f"{num(p['failWeight'], 'posture', 'clusters', i, 'failWeight')} &divide; "
            f"({num(p['passWeight'], 'posture', 'clusters', i, 'passWeight')} + {e(p['failWeight'])})) = "
            f"<strong>{num(format_score(p['score']), 'posture', 'clusters', i, 'score')}</strong></li>"
        )
    return _section(
        "scoring", "How the score is computed",
        f'<div class="two"><div><p class="formula">{e(scoring.get("formula", ""))}</p>'
        "<p>Each <em>pass</em> or <em>fail</em> result weighs by its policy's severity; a namespace's score counts "
        "the results of its objects, a cluster's all of its results. <em>warn</em> results (policies marked "
        "<code>policies.kyverno.io/scored: \"false\"</code>) are not counted, nor are <em>skip</em> (an exception "
        "applies) and <em>error</em> (not judged: the scan says it is incomplete). 90 and above reads "
        f"<span class=\"band good\">good</span>, 70 to 90 <span class=\"band fair\">fair</span>, below 70 "
        f"<span class=\"band poor\">poor</span>.</p><ul>{''.join(worked)}</ul></div>"
        f'<div>{_table(("severity", "weight"), [weight_cells], "weights")}</div></div>',
    )


def _scope(doc: dict[str, Any]) -> str:
    posture = doc.get("posture", {})
    scope = posture.get("scope", {})
    sets = ", ".join(scope.get("policySets") or []) or "policy files given with --policy"
    namespaces = ", ".join(scope.get("namespaces") or []) or "all"
    excluded = ", ".join(scope.get("excludeNamespaces") or []) or "none"
    facts = [
        ("Generated", e(scope.get("generatedAt", ""))),
        ("Clusters", e(", ".join(c["context"] for c in doc.get("clusters", [])))),
        ("Snapshot", e(scope.get("snapshot") or "")) if scope.get("snapshot") else None,
        ("Namespaces", e(namespaces) + ("" if scope.get("clusterScoped", True) else
                                        " (cluster-scoped objects left out)")),
        ("Excluded namespaces", e(excluded)),
        ("Policy sets", e(sets)),
        ("Policies", f"{num(len(doc.get('policies', [])), 'policies', '#len')} (those Kyverno runs in background "
                     "scans)"),
    ]
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in (f for f in facts if f))
    per_cluster = []
    failures = []
    for i, cluster in enumerate(doc.get("clusters", [])):
        types = "".join(f"<li><code>{e(t)}</code> {num(n, 'clusters', i, 'scannedTypes', t)}</li>"
                        for t, n in cluster.get("scannedTypes", {}).items())
        timing = cluster.get("timing", {})
        state = ("not scanned: " + e(cluster["error"])) if cluster.get("error") else \
            f"{num(cluster['objects'], 'clusters', i, 'objects')} objects in " \
            f"{num(len(cluster.get('scannedTypes', {})), 'clusters', i, 'scannedTypes', '#len')} types, listed in " \
            f"{e(timing.get('listSeconds', 0))} s, evaluated in {e(timing.get('evalSeconds', 0))} s"
        per_cluster.append(f"<details><summary><strong>{e(cluster['context'])}</strong> "
                           f"<span class=\"muted\">{e(cluster.get('server', ''))}</span>: {state}</summary>"
                           f'<ul class="types">{types}</ul></details>')
        for f in cluster.get("failures", []):
            failures.append(f"<tr><td>{e(cluster['context'])}</td><td><code>{e(f['resource'])}</code></td>"
                            f"<td>{e(f['namespace'] or '(all)')}</td><td>{e(f['reason'])}</td>"
                            f"<td>{e(f['status'] if f.get('status') is not None else '')}</td>"
                            f"<td>{e(f['message'])}</td></tr>")
        if cluster.get("error"):
            failures.append(f"<tr><td>{e(cluster['context'])}</td><td>(the whole cluster)</td><td></td>"
                            f"<td>Unreachable</td><td></td><td>{e(cluster['error'])}</td></tr>")
    not_scanned = (
        f'<h3 class="bad">Not scanned</h3>'
        f'{_table(("cluster", "resource type", "namespace", "reason", "status", "message"), failures, "failures")}'
        if failures else '<p class="ok-text">Every resource type the policies match was listed in every cluster.</p>'
    )
    return _section("scope", "Scope",
                    f'<table class="facts">{rows}</table><h3>Objects scanned</h3>{"".join(per_cluster)}{not_scanned}')


def _namespaces(doc: dict[str, Any]) -> str:
    posture = doc.get("posture", {})
    rows = []
    multi = len(doc.get("clusters", [])) > 1
    for i, cluster in enumerate(doc.get("clusters", [])):
        scores = posture["clusters"][i].get("namespaceScores", {})
        for ns, counts in cluster.get("namespaces", {}).items():
            score = scores.get(ns, {}).get("score")
            label = e(ns or "(cluster-scoped)")
            where = f'<span class="muted">{e(cluster["context"])} /</span> ' if multi else ""
            cells = "".join(f"<td class=\"n\">{num(counts[k], 'clusters', i, 'namespaces', ns, k)}</td>"
                            for k in RESULT_KEYS)
            severity = {k: v for k, v in counts["failBySeverity"].items()}
            rows.append(
                f"<tr><td>{where}{_link(label, i, ns)}</td><td class=\"score\">{charts.score_bar(score)} "
                f"{num(format_score(score), 'posture', 'clusters', i, 'namespaceScores', ns, 'score')}</td>{cells}"
                f"<td>{charts.mini_stack(severity)} "
                f"{_severity_chips(severity, 'clusters', i, 'namespaces', ns, 'failBySeverity')}</td></tr>"
            )
    table = _table(("namespace", "score", *RESULT_KEYS, "failing by severity"), rows, "namespaces")
    return _section("namespaces", "Namespaces", table + _heatmap(doc))


def _heatmap(doc: dict[str, Any]) -> str:
    posture = doc.get("posture", {})
    clusters = doc.get("clusters", [])
    categories = sorted({cat for p in posture.get("clusters", []) for ns in p.get("heatmap", {}).values()
                         for cat in ns})
    if not categories:
        return ""
    top = max((n for p in posture["clusters"] for ns in p.get("heatmap", {}).values() for n in ns.values()),
              default=1)
    multi = len(clusters) > 1
    rows = []
    for i, cluster in enumerate(clusters):
        for ns, cells in posture["clusters"][i].get("heatmap", {}).items():
            label = (f'<span class="muted">{e(cluster["context"])} /</span> ' if multi else "") + \
                e(ns or "(cluster-scoped)")
            tds = []
            for cat in categories:
                n = cells.get(cat, 0)
                if not n:
                    tds.append('<td class="heat zero">·</td>')
                    continue
                level = min(5, 1 + int(4 * n / top))
                figure = num(n, "posture", "clusters", i, "heatmap", ns, cat)
                tds.append(f'<td class="heat h{level}" title="{e(cat)}">{_link(figure, i, ns, category=cat)}</td>')
            rows.append(f"<tr><th>{label}</th>{''.join(tds)}</tr>")
    head = "".join(f'<th class="cat">{e(c)}</th>' for c in categories)
    return ('<h3>Failing results: namespace &times; category</h3><div class="heatwrap"><table class="heatmap">'
            f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            '<p class="muted small">Darker cells hold more failing results; select a cell to list them.</p>')


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
                           f"{_object_link(i, element['kind'], element['namespace'], element['name'])}{extra}</td>"
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


def _high_risk(doc: dict[str, Any]) -> str:
    parts = []
    for section, title in SECTION_TITLES.items():
        rows, total = _risk_rows(doc, section)
        counts = num(sum(len(p.get("highRisk", {}).get(section, [])) for p in doc["posture"]["clusters"]),
                     "posture", "clusters", "*", "highRisk", section, "#len")
        header = ("level", "object", "what was found")
        body = _table(header, rows[:RISK_ROWS_OPEN], "risks-table") if rows else '<p class="ok-text">None found.</p>'
        if len(rows) > RISK_ROWS_OPEN:
            body += (f"<details class=\"more\"><summary>Show {len(rows) - RISK_ROWS_OPEN} more</summary>"
                     f'{_table(header, rows[RISK_ROWS_OPEN:], "risks-table")}</details>')
        if total > len(rows):
            body += (f'<p class="muted">The {len(rows)} most severe are listed; the scan\'s JSON document lists all '
                     f"{total} under <code>posture.clusters[].highRisk.{section}</code>.</p>")
        parts.append(f'<div class="risk-section" id="risk-{section}"><h3>{e(title)} <span class="count-pill">'
                     f"{counts}</span></h3><p class=\"intro\">{e(SECTION_INTROS[section])}</p>"
                     f"{_risk_counts(doc, section)}{body}"
                     f'<p class="muted small">{" ".join(_risk_notes(doc, section))}</p></div>')
    return _section("high-risk", "High-risk elements", "".join(parts),
                    "Read from the objects themselves, whatever the policies: what an attacker inside a pod, or "
                    "holding a credential, could use to take the node or the cluster.")


def _offenders(doc: dict[str, Any]) -> str:
    posture = doc.get("posture", {})
    multi = len(doc.get("clusters", [])) > 1
    entries = [(i, j, o) for i, p in enumerate(posture.get("clusters", []))
               for j, o in enumerate(p.get("topOffenders", []))]
    entries.sort(key=lambda t: (-t[2]["weight"], -t[2]["fail"], t[0], t[1]))
    rows = []
    for rank, (i, j, o) in enumerate(entries[:10], 1):
        path = ("posture", "clusters", i, "topOffenders", j)
        where = f'<span class="muted">{e(doc["clusters"][i]["context"])} / </span>' if multi else ""
        rows.append(
            f"<tr><td class=\"n\">{rank}</td><td>{where}{_object_link(i, o['kind'], o['namespace'], o['name'])}</td>"
            f"<td class=\"n\">{num(o['fail'], *path, 'fail')}</td><td class=\"n\">{num(o['weight'], *path, 'weight')}"
            f"</td><td>{charts.mini_stack(o['failBySeverity'])} "
            f"{_severity_chips(o['failBySeverity'], *path, 'failBySeverity')}</td></tr>"
        )
    body = _table(("#", "object", "failing", "weight", "by severity"), rows, "offenders") if rows else \
        '<p class="ok-text">No object fails a policy.</p>'
    return _section("offenders", "Top offending workloads", body,
                    "The objects with the heaviest failing results (each weighs by its severity, as in the score).")


def _filters(doc: dict[str, Any]) -> str:
    multi = len(doc.get("clusters", [])) > 1
    cluster_select = ('<label>Cluster <select id="f-cluster"><option value="">all</option>' + "".join(
        f'<option value="{i}">{e(c["context"])}</option>' for i, c in enumerate(doc.get("clusters", []))
    ) + "</select></label>") if multi else ""
    return (
        '<form class="filters" id="filters" role="search">'
        '<label class="search">Search <input type="search" id="f-q" placeholder="resource, policy, message…" '
        'autocomplete="off"></label>'
        f"{cluster_select}"
        '<label>Severity <select id="f-severity"><option value="">all</option>'
        + "".join(f'<option value="{s}">{s}</option>' for s in SEVERITY_COLOURS)
        + '</select></label><label>Result <select id="f-result"><option value="">all</option>'
        + "".join(f'<option value="{r}">{r}</option>' for r in ("fail", "error", "warn", "skip"))
        + '</select></label><label>Namespace <select id="f-ns"><option value="">all</option></select></label>'
        '<label>Policy <select id="f-policy"><option value="">all</option></select></label>'
        '<button type="button" id="f-reset">Reset</button></form>'
        '<p class="filter-state"><span id="f-count"></span> <span id="f-category"></span></p>'
    )


def _findings(doc: dict[str, Any]) -> str:
    listed = sum(doc.get("summary", {}).get(k, 0) for k in ("fail", "error", "warn", "skip"))
    return _section(
        "findings", "Findings",
        f"{_filters(doc)}"
        '<table class="findings" id="findings-table"><thead><tr><th>severity</th><th>result</th><th>object</th>'
        '<th>policy</th><th>message</th></tr></thead><tbody id="findings-body"></tbody></table>'
        '<p><button type="button" id="f-more" hidden>Show more</button></p>'
        f'<noscript><p class="muted">The findings table needs JavaScript; the {listed} findings are in the scan\'s '
        "JSON output.</p></noscript>",
        "Every failing, erroring, warning and skipped result; passing results are counted per policy below. Select "
        "a row for the fields the policy read and how to fix it.",
    )


def _policies(doc: dict[str, Any]) -> str:
    posture = doc.get("posture", {})
    described = posture.get("policies", {})
    counts = posture.get("overall", {}).get("policies", {})
    rank = {s: i for i, s in enumerate(SEVERITY_COLOURS)}

    def order(name: str) -> tuple[bool, int, int, str]:
        severity = described.get(name, {}).get("severity") or "unset"
        return (not counts[name].get("fail"), rank.get(severity, 5), -counts[name].get("fail", 0), name)

    rows = []
    for name in sorted(counts, key=order):
        info = described.get(name, {})
        tally = counts[name]
        cells = "".join(f"<td class=\"n\">{num(tally[k], 'posture', 'overall', 'policies', name, k)}</td>"
                        for k in RESULT_KEYS)
        rows.append(f"<tr><td><strong>{e(name)}</strong> <span class=\"muted small\">{e(info.get('title', ''))}"
                    f"</span></td><td>{badge(info.get('severity') or 'unset')}</td><td>{e(info.get('category', ''))}"
                    f"</td><td>{charts.pass_fail(tally.get('pass', 0), tally.get('fail', 0))}</td>{cells}</tr>")
    silent = [p for p in doc.get("policies", []) if p not in counts]
    note = (f'<p class="muted small">{len(silent)} polic{"y" if len(silent) == 1 else "ies"} matched no scanned '
            f"object: {e(', '.join(silent))}.</p>") if silent else ""
    return _section("policies", "Results per policy",
                    _table(("policy", "severity", "category", "pass / fail", *RESULT_KEYS), rows, "policies") + note,
                    "Passing results are aggregated here rather than listed.")


def _nav() -> str:
    links = [("overview", "Overview"), ("high-risk", "High-risk elements"), ("offenders", "Top offenders"),
             ("namespaces", "Namespaces"), ("findings", "Findings"), ("policies", "Policies"), ("scope", "Scope"),
             ("scoring", "Score")]
    return '<nav class="toc">' + "".join(f'<a href="#{a}">{t}</a>' for a, t in links) + "</nav>"


def render_html(doc: dict[str, Any]) -> str:
    """The HTML report of a scan document (``ScanReport.to_dict()``, or a saved ``-o json`` file)."""
    clusters = doc.get("clusters", [])
    names = ", ".join(c.get("context", "") for c in clusters)
    scope = doc.get("posture", {}).get("scope", {})
    objects = sum(c.get("objects", 0) for c in clusters)
    subtitle = (f'<p class="meta">{e(names)} · generated {e(scope.get("generatedAt", ""))} · '
                f"{num(len(clusters), 'clusters', '#len')} cluster{'s' if len(clusters) != 1 else ''} · "
                f"{num(objects, 'clusters', '*', 'objects')} objects · "
                f"{num(len(doc.get('policies', [])), 'policies', '#len')} policies</p>")
    body = "".join([
        _incomplete_banner(doc) if is_incomplete(doc) else "",
        _policy_issue_banner(doc),
        _nav(),
        _overview(doc),
        _high_risk(doc),
        _offenders(doc),
        _namespaces(doc),
        _findings(doc),
        _policies(doc),
        _scope(doc),
        _scoring(doc),
    ])
    return page("Security posture report", body, findings_payload(doc), subtitle)
