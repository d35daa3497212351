"""Loading a report page in headless Chromium and holding it to its scan document."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .figures import mismatches

LISTED = ("fail", "error", "warn", "skip")


@dataclass
class Loaded:
    """A page loaded in Chromium, with what it logged and requested."""

    page: Any
    url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    ready_ms: int = 0

    def matching(self) -> int:
        """How many findings the current filters match."""
        return int(self.page.get_attribute("#f-count", "data-matching"))

    def rows(self) -> int:
        """Finding rows rendered in the table."""
        return int(self.page.locator("#findings-body tr.finding").count())

    def figures(self) -> list[tuple[str, str]]:
        """(data-figure, shown text) of every tagged element."""
        found: list[list[str]] = self.page.evaluate(
            "() => [...document.querySelectorAll('[data-figure]')]"
            ".map(el => [el.dataset.figure, el.dataset.value ?? el.textContent])"
        )
        return [(a, b) for a, b in found]


def load(browser: Any, path: Path, width: int = 1360) -> Loaded:
    """Open the file in a fresh context; every request other than the page itself is recorded and aborted."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    loaded = Loaded(page, path.resolve().as_uri())

    def on_console(message: Any) -> None:
        if message.type in ("error", "warning"):
            loaded.errors.append(f"console {message.type}: {message.text}")

    def on_route(route: Any) -> None:
        if route.request.url != loaded.url:
            loaded.requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: loaded.errors.append(f"page error: {exc}"))
    page.on("request", lambda request: request.url != loaded.url and loaded.requests.append(request.url))
    context.route("**/*", on_route)
    page.goto(loaded.url)
    page.wait_for_selector("html[data-ready=true]", timeout=15000)
    loaded.ready_ms = int(page.get_attribute("html", "data-ready-ms") or 0)
    return loaded


def listed(doc: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(cluster index, result) of every result the findings table lists."""
    return [(i, r) for i, c in enumerate(doc["clusters"]) for r in c.get("results", []) if r["result"] in LISTED]


def check_figures(loaded: Loaded, doc: dict[str, Any], required: list[list[Any]]) -> None:
    """Every tagged figure equals the document, and the ``required`` figures are on the page."""
    tagged = loaded.figures()
    assert tagged, "the page tags its figures"
    assert mismatches(doc, tagged) == []
    import json

    present = {tuple(json.loads(a)) for a, _ in tagged}
    missing = [path for path in required if tuple(path) not in present]
    assert missing == [], f"figures not on the page: {missing}"


def required_figures(doc: dict[str, Any]) -> list[list[Any]]:
    """The figures a report must show: scan and cluster totals, scores, namespace rows, high-risk counts."""
    paths: list[list[Any]] = [["summary", k] for k in ("pass", "fail", "warn", "error", "skip")]
    for i, cluster in enumerate(doc["clusters"]):
        if cluster["error"]:
            continue
        paths += [["clusters", i, "summary", k] for k in ("pass", "fail", "warn", "error", "skip")]
        paths += [["clusters", i, "objects"], ["posture", "clusters", i, "score"]]
        for ns in cluster["namespaces"]:
            paths += [["clusters", i, "namespaces", ns, k] for k in ("pass", "fail")]
            paths.append(["posture", "clusters", i, "namespaceScores", ns, "score"])
        risk = doc["posture"]["clusters"][i]["highRisk"]
        for section in ("privileged", "mounts", "rbac"):
            if section != "rbac" or risk["examined"]["rbacObjects"]:  # else the page says "not examined"
                paths.append(["posture", "clusters", i, "highRisk", section, "#len"])
        paths += [["posture", "clusters", "*", "highRisk", s, "#len"] for s in ("privileged", "mounts", "rbac")]
    paths += [["posture", "overall", "failBySeverity", s] for s in ("critical", "high", "medium", "low")]
    return paths


def check_filters(loaded: Loaded, doc: dict[str, Any]) -> None:
    """The filters and the search change the rows, to exactly the findings they select."""
    page = loaded.page
    findings = listed(doc)
    assert loaded.matching() == len(findings)
    assert loaded.rows() == min(len(findings), 100)

    def severity(r: dict[str, Any]) -> str:
        return str(r.get("severity") or "unset")

    page.select_option("#f-severity", "critical")
    assert loaded.matching() == sum(severity(r) == "critical" for _, r in findings) > 0
    assert loaded.rows() == loaded.matching()
    page.select_option("#f-severity", "")
    page.select_option("#f-result", "fail")
    assert loaded.matching() == sum(r["result"] == "fail" for _, r in findings)
    page.select_option("#f-result", "")
    namespace = next(r["resources"][0].get("namespace", "") for _, r in findings if r["resources"][0].get("namespace"))
    page.select_option("#f-ns", "=" + namespace)
    assert loaded.matching() == sum(r["resources"][0].get("namespace", "") == namespace for _, r in findings)
    page.select_option("#f-ns", "")
    policy = findings[-1][1]["policy"]
    page.select_option("#f-policy", policy)
    assert loaded.matching() == sum(r["policy"] == policy for _, r in findings)
    page.click("#f-reset")
    query = findings[0][1]["resources"][0]["name"]
    page.fill("#f-q", query)
    expected = sum(query.lower() in haystack(doc, i, r) for i, r in findings)
    page.wait_for_function(f"() => document.querySelector('#f-count').dataset.matching === '{expected}'")
    assert 0 < loaded.rows() <= expected
    page.fill("#f-q", "no-such-thing-anywhere")
    page.wait_for_function("() => document.querySelector('#f-count').dataset.matching === '0'")
    assert loaded.rows() == 0
    page.click("#f-reset")
    assert loaded.matching() == len(findings)


def haystack(doc: dict[str, Any], cluster: int, r: dict[str, Any]) -> str:
    """What the search looks in, as the page's script builds it."""
    ref = r["resources"][0]
    namespace = ref.get("namespace", "")
    resource = f"{ref['kind']}/{namespace + '/' if namespace else ''}{ref['name']}"
    title = doc["posture"]["policies"].get(r["policy"], {}).get("title", "")
    parts = [resource, f"{ref['kind']}/{ref['name']}", r["policy"], title, r.get("message", ""),
             doc["clusters"][cluster]["context"]]
    return "\x00".join(parts).lower()


def check_details(loaded: Loaded, doc: dict[str, Any]) -> None:
    """Selecting a finding shows its message, the fields its policy read, and the remediation."""
    page = loaded.page
    page.click("#findings-body tr.finding >> nth=0")
    details = page.locator("#findings-body tr.details")
    assert details.count() == 1
    text = details.inner_text()
    first = listed(doc)
    policy_names = [r["policy"] for _, r in first]
    shown_policy = page.locator("#findings-body tr.finding td.policy >> nth=0").inner_text()
    assert shown_policy in policy_names
    remediation = doc["posture"]["policies"][shown_policy]["remediation"]
    assert remediation and remediation in text
    assert "fields the policy read" in text.lower() and page.locator("#findings-body tr.details td.path").count() > 0
    page.click("#findings-body tr.finding >> nth=0")
    assert page.locator("#findings-body tr.details").count() == 0


def check_charts(loaded: Loaded, clusters_with_scores: int) -> None:
    """Gauges per cluster, the severity and category charts, and the heat map are drawn."""
    page = loaded.page
    assert page.locator("svg.gauge").count() >= clusters_with_scores
    assert page.locator(".fig-severity svg.chart rect").count() > 0
    assert page.locator(".fig-category svg.chart rect").count() > 0
    assert page.locator("table.heatmap td.heat a").count() > 0
    assert page.locator("svg.mini").count() > 0


def check_print(loaded: Loaded, pdf: Path) -> None:
    """In print, navigation and filters are hidden, and the page makes a PDF."""
    page = loaded.page
    page.emulate_media(media="print")
    hidden = page.evaluate("() => ['.toc', '#filters'].map(s => getComputedStyle(document.querySelector(s)).display)")
    assert hidden == ["none", "none"]
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
    page.emulate_media(media="screen")


def screenshots(loaded: Loaded, folder: Path, name: str) -> list[Path]:
    """The whole page, its top, and the findings with a row opened."""
    page = loaded.page
    paths = [folder / f"{name}-full.png", folder / f"{name}-top.png", folder / f"{name}-findings.png"]
    page.screenshot(path=str(paths[0]), full_page=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(paths[1]))
    page.click("#findings-body tr.finding >> nth=0")
    page.locator("#findings").screenshot(path=str(paths[2]))
    page.click("#findings-body tr.finding >> nth=0")
    return paths
