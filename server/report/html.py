"""The self-contained HTML posture report of a scan document (the ``-o json`` document of ``pykyverno scan``).

One file, no network: styles, script and data are inline and a Content-Security-Policy forbids every fetch. Charts
are SVG drawn in Python (:mod:`.charts`); the one script (``assets/report.js``) only filters, searches and pages the
findings table from the data inlined as JSON. Every number comes from the document and carries ``data-figure`` with
its path in it, so a test can hold the page to the JSON.

The same function serves an MCP App (a ``ui://`` resource): the page needs nothing but its own text.
"""

from __future__ import annotations

from typing import Any

from . import charts
from .charts import SEVERITY_COLOURS, e, format_score
from .page import RESULT_KEYS, badge, link, num, object_link, page, section_html, severity_chips, table_html
from .pagedata import findings_payload
from .riskview import SECTION_SHORT, SECTION_TITLES, high_risk_section


def is_incomplete(doc: dict[str, Any]) -> bool:
    """Whether something could not be scanned or evaluated (the scan's exit code 3)."""
    return bool(
        doc.get("incomplete")
        or doc.get("cancelled")
        or any(c.get("error") or c.get("failures") for c in doc.get("clusters", []))
        or doc.get("summary", {}).get("error", 0)
    )


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
    return section_html(
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
    return section_html(
        "scoring", "How the score is computed",
        f'<div class="two"><div><p class="formula">{e(scoring.get("formula", ""))}</p>'
        "<p>Each <em>pass</em> or <em>fail</em> result weighs by its policy's severity; a namespace's score counts "
        "the results of its objects, a cluster's all of its results. <em>warn</em> results (policies marked "
        "<code>policies.kyverno.io/scored: \"false\"</code>) are not counted, nor are <em>skip</em> (an exception "
        "applies) and <em>error</em> (not judged: the scan says it is incomplete). 90 and above reads "
        f"<span class=\"band good\">good</span>, 70 to 90 <span class=\"band fair\">fair</span>, below 70 "
        f"<span class=\"band poor\">poor</span>.</p><ul>{''.join(worked)}</ul></div>"
        f'<div>{table_html(("severity", "weight"), [weight_cells], "weights")}</div></div>',
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
        f'{table_html(("cluster", "resource type", "namespace", "reason", "status", "message"), failures, "failures")}'
        if failures else '<p class="ok-text">Every resource type the policies match was listed in every cluster.</p>'
    )
    scanned = "".join(per_cluster)
    return section_html("scope", "Scope",
                        f'<table class="facts">{rows}</table><h3>Objects scanned</h3>{scanned}{not_scanned}')


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
                f"<tr><td>{where}{link(label, i, ns)}</td><td class=\"score\">{charts.score_bar(score)} "
                f"{num(format_score(score), 'posture', 'clusters', i, 'namespaceScores', ns, 'score')}</td>{cells}"
                f"<td>{charts.mini_stack(severity)} "
                f"{severity_chips(severity, 'clusters', i, 'namespaces', ns, 'failBySeverity')}</td></tr>"
            )
    table = table_html(("namespace", "score", *RESULT_KEYS, "failing by severity"), rows, "namespaces")
    return section_html("namespaces", "Namespaces", table + _heatmap(doc))


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
                tds.append(f'<td class="heat h{level}" title="{e(cat)}">{link(figure, i, ns, category=cat)}</td>')
            rows.append(f"<tr><th>{label}</th>{''.join(tds)}</tr>")
    head = "".join(f'<th class="cat">{e(c)}</th>' for c in categories)
    return ('<h3>Failing results: namespace &times; category</h3><div class="heatwrap"><table class="heatmap">'
            f"<thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            '<p class="muted small">Darker cells hold more failing results; select a cell to list them.</p>')


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
            f"<tr><td class=\"n\">{rank}</td><td>{where}{object_link(i, o['kind'], o['namespace'], o['name'])}</td>"
            f"<td class=\"n\">{num(o['fail'], *path, 'fail')}</td><td class=\"n\">{num(o['weight'], *path, 'weight')}"
            f"</td><td>{charts.mini_stack(o['failBySeverity'])} "
            f"{severity_chips(o['failBySeverity'], *path, 'failBySeverity')}</td></tr>"
        )
    body = table_html(("#", "object", "failing", "weight", "by severity"), rows, "offenders") if rows else \
        '<p class="ok-text">No object fails a policy.</p>'
    return section_html("offenders", "Top offending workloads", body,
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
    return section_html(
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
    header = ("policy", "severity", "category", "pass / fail", *RESULT_KEYS)
    return section_html("policies", "Results per policy", table_html(header, rows, "policies") + note,
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
        high_risk_section(doc),
        _offenders(doc),
        _namespaces(doc),
        _findings(doc),
        _policies(doc),
        _scope(doc),
        _scoring(doc),
    ])
    return page("Security posture report", body, findings_payload(doc), subtitle)
