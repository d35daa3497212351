"""The parts every report page is built of: the page itself (inline style, script and data, and a
Content-Security-Policy that forbids every request), numbers tagged with their place in the scan document, badges,
links that filter the findings table, tables and sections."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from .charts import e, fig

RESULT_KEYS = ("pass", "fail", "warn", "error", "skip")


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


def resource_name(kind: str, namespace: str, name: str) -> str:
    where = f"{namespace}/" if namespace else ""
    return f"{kind}/{where}{name}"


def severity_chips(counts: dict[str, int], *path: object) -> str:
    chips = [f'<span class="chip sev-{s}">{num(n, *path, s)} {s}</span>' for s, n in counts.items() if n]
    return " ".join(chips) or '<span class="muted">none</span>'


def link(inner: str, cluster: int, namespace: str, query: str = "", category: str = "", cls: str = "") -> str:
    """A link that lists the matching findings (the script reads the data attributes)."""
    extra = (f' data-q="{e(query)}"' if query else "") + (f' data-category="{e(category)}"' if category else "")
    return (f'<a href="#findings" class="filter-link {cls}" data-cluster="{cluster}" data-ns="{e(namespace)}"{extra}>'
            f"{inner}</a>")


def object_link(cluster: int, kind: str, namespace: str, name: str) -> str:
    return link(e(resource_name(kind, namespace, name)), cluster, namespace, f"{kind}/{name}", cls="resource")


def table_html(header: Sequence[str], rows: Iterable[str], cls: str = "") -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def section_html(anchor: str, title: str, body: str, intro: str = "") -> str:
    lead = f'<p class="intro">{e(intro)}</p>' if intro else ""
    return f'<section id="{anchor}"><h2>{e(title)}</h2>{lead}{body}</section>'


# ------------------------------------------------------------------------------------------------------ sections
