"""The MCP App (extension ``io.modelcontextprotocol/ui``): an interactive posture report beside scan answers.

The scan tools carry ``_meta.ui.resourceUri`` = :data:`APP_URI`. A host that renders MCP Apps loads that ``ui://``
resource (``text/html;profile=mcp-app``, ``assets/posture-app.html``) in a sandboxed frame and hands it the tool's
result; the view reads the answer's report resource (``pykyverno://reports/{scan_id}``, see :mod:`.resources`)
through the host and shows it. Hosts without MCP Apps ignore ``_meta.ui`` and keep the markdown and structured
content, unchanged.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from mcp.server.apps import Apps

APP_URI = "ui://pykyverno/posture-report.html"
#: The ``_meta`` of a tool whose answers the view can show.
APP_META: dict[str, Any] = {"ui": {"resourceUri": APP_URI}}


def app_html() -> str:
    """The view's HTML (no network: no external script, style, font or image)."""
    return (resources.files(__package__) / "assets" / "posture-app.html").read_text(encoding="utf-8")


def apps_extension() -> Apps:
    """The MCP Apps extension with the view registered (advertised in the server's capabilities)."""
    apps = Apps()
    apps.add_html_resource(APP_URI, app_html(), name="posture-report-app", title="Posture report",
                           description="Interactive security posture report of a scan answer (MCP Apps view).",
                           prefers_border=True)
    return apps


__all__ = ["APP_META", "APP_URI", "app_html", "apps_extension"]
