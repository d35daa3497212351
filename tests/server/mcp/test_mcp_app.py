"""The MCP App (extension io.modelcontextprotocol/ui) and the report resource, through the MCP client: scan tools
point at the ``ui://`` view in ``_meta.ui``; the view is served as ``text/html;profile=mcp-app`` without network
dependencies; each scan answer links its HTML report (``pykyverno://reports/{scan_id}``), which the client reads.
In headless Chromium, a host page that speaks the ext-apps postMessage protocol (ui/initialize, tool-result,
resources/read) loads the view, hands it a real scan answer, and the view shows the real report."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from pykyverno.server.mcp import ServerSettings, build_server
from pykyverno.server.mcp.apps import APP_URI

from .test_tools import BAD_POD, error, ok

SCAN_TOOLS = {"scan_namespace", "scan_cluster", "scan_manifests"}


async def _app_and_report() -> dict[str, Any]:
    async with Client(build_server(ServerSettings(in_cluster=False))) as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        resources = {str(r.uri): r for r in (await c.list_resources()).resources}
        view = (await c.read_resource(APP_URI)).contents[0]
        result = await c.call_tool("scan_manifests", {"manifests_yaml": BAD_POD, "limit": 3})
        data = ok(result)
        links = [b for b in result.content if b.type == "resource_link"]
        report = (await c.read_resource(data["reportUri"])).contents[0]
        missing = await c.call_tool("scan_manifests", {"cursor": data["nextCursor"]}) if data["nextCursor"] else None
        return {"tools": tools, "resources": resources, "view": view, "result": result, "data": data, "links": links,
                "report": report, "capabilities": c.server_capabilities, "page2": missing}


@pytest.mark.anyio
async def test_scan_tools_point_at_the_view_and_link_their_report() -> None:
    got = await _app_and_report()
    for name, tool in got["tools"].items():
        ui = (tool.meta or {}).get("ui")
        assert (ui == {"resourceUri": APP_URI}) == (name in SCAN_TOOLS), name
    assert got["capabilities"].extensions == {EXTENSION_ID: {}}
    listed = got["resources"][APP_URI]
    assert listed.mime_type == APP_MIME_TYPE
    view = got["view"]
    assert view.mime_type == "text/html;profile=mcp-app" and view.meta == {"ui": {"prefersBorder": True}}
    html = view.text
    assert "ui/initialize" in html and "ui/notifications/tool-result" in html and "resources/read" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the view loads nothing from the network"
    assert "csp" not in view.meta["ui"], "no external domain is requested"

    data, [link] = got["data"], got["links"]
    assert data["reportUri"] == f"pykyverno://reports/{data['scanId']}" == str(link.uri)
    assert link.mime_type == "text/html" and data["scope"] in (link.description or "")
    report = got["report"]
    assert report.mime_type == "text/html" and "<title>Security posture report</title>" in report.text
    assert "disallow-privilege-escalation" in report.text
    assert f"HTML posture report: {data['reportUri']}" in got["result"].content[0].text


@pytest.mark.anyio
async def test_an_unknown_report_is_an_error() -> None:
    async with Client(build_server(ServerSettings(in_cluster=False))) as c:
        with pytest.raises(Exception, match="no kept scan 's99-1'"):
            await c.read_resource("pykyverno://reports/s99-1")
        assert "pass manifests_yaml" in error(await c.call_tool("scan_manifests", {}))


HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>host</title></head><body>
<iframe id="view" sandbox="allow-scripts" style="width:900px;height:700px"></iframe>
<script>
const TOOL_RESULT = __RESULT__;
const REPORT = __REPORT__;
window.hostLog = [];
const frame = document.getElementById("view");
function reply(message) { frame.contentWindow.postMessage(Object.assign({jsonrpc: "2.0"}, message), "*"); }
window.addEventListener("message", (event) => {
  if (event.source !== frame.contentWindow) return;
  const m = event.data;
  window.hostLog.push(m);
  if (m.method === "ui/initialize") {
    reply({id: m.id, result: {protocolVersion: m.params.protocolVersion, hostInfo: {name: "test-host", version: "1"},
                              hostCapabilities: {serverResources: {}}, hostContext: {theme: "light"}}});
  } else if (m.method === "ui/notifications/initialized") {
    reply({method: "ui/notifications/tool-result", params: TOOL_RESULT});
  } else if (m.method === "resources/read") {
    if (m.params.uri === REPORT.uri) reply({id: m.id, result: {contents: [REPORT]}});
    else reply({id: m.id, error: {code: -32002, message: "unknown resource " + m.params.uri}});
  }
});
frame.srcdoc = __VIEW__;
</script></body></html>"""


def script_json(value: Any) -> str:
    """``value`` as a JavaScript literal inside an inline script (no ``</script>`` can end it early)."""
    return json.dumps(value).replace("</", "<\\/")


def test_a_host_renders_the_view_with_a_real_scan(tmp_path: Path) -> None:
    holder: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: holder.update(anyio.run(_app_and_report)))
    worker.start()
    worker.join(120)
    got = holder
    result = got["result"].model_dump(mode="json", by_alias=True, exclude_none=True)
    report = got["report"].model_dump(mode="json", by_alias=True, exclude_none=True)
    page_html = (HOST_PAGE.replace("__RESULT__", script_json(result)).replace("__REPORT__", script_json(report))
                 .replace("__VIEW__", script_json(got["view"].text)))
    host = tmp_path / "host.html"
    host.write_text(page_html)

    from playwright.sync_api import sync_playwright

    from tests.server.report.conftest import CHROMIUM, CHROMIUM_ARGS

    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(host.as_uri())
            view = page.frame_locator("#view")
            view.locator("h1, h2").first.wait_for(timeout=15_000)
            frame = next(f for f in page.frames if f != page.main_frame)
            assert frame.title() == "Security posture report"
            assert "disallow-privilege-escalation" in frame.content()
            log = page.evaluate("window.hostLog")
            page.screenshot(path=str(tmp_path / "mcp-app.png"))
        finally:
            browser.close()
    methods = [m.get("method") for m in log]
    assert methods[:3] == ["ui/initialize", "ui/notifications/initialized", "resources/read"]
    assert log[0]["params"]["appCapabilities"] == {} and log[0]["params"]["protocolVersion"]
    assert log[2]["params"] == {"uri": got["data"]["reportUri"]}
    assert "ui/notifications/size-changed" in methods
    assert [u for u in requests if not u.startswith(("file:", "about:", "data:"))] == [], "no network request"
    assert errors == []
