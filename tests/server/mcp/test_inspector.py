"""End to end with a third-party client: the MCP Inspector CLI (``tools/inspector``, pinned by its lockfile and
installed by ``.ci/run``) drives ``pykyverno serve`` over stdio against the fake API server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import Clusters

INSPECTOR_DIR = Path(__file__).resolve().parents[3] / "tools" / "inspector"
INSPECTOR = INSPECTOR_DIR / "node_modules" / ".bin" / "mcp-inspector"

pytestmark = pytest.mark.skipif(not (INSPECTOR_DIR / "node_modules").is_dir(),
                                reason="tools/inspector/node_modules is absent (run `npm ci` in tools/inspector)")


def inspector(kubeconfig: Path, *method: str) -> tuple[int, Any, str]:
    node = shutil.which("node")
    assert node, "node is required to run the MCP Inspector"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    cache = os.environ.get("PYKYVERNO_CACHE_DIR", "")  # the test session's start-up cache (tests/conftest.py)
    command = [str(INSPECTOR), "--cli", "-e", f"KUBECONFIG={kubeconfig}", "-e", f"PYKYVERNO_CACHE_DIR={cache}",
               sys.executable, "-m", "pykyverno.server.cli", "serve", *method]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    try:
        payload = json.loads(proc.stdout)
    except ValueError:
        payload = None
    return proc.returncode, payload, proc.stderr


def test_inspector_lists_tools(clusters: Clusters) -> None:
    code, payload, stderr = inspector(clusters.kubeconfig, "--method", "tools/list")
    assert code == 0, stderr
    tools = {t["name"]: t for t in payload["tools"]}
    assert set(tools) == {"list_contexts", "switch_context", "scan_namespace", "scan_cluster", "list_policy_sets",
                          "describe_policy", "explain_violation"}, "the default toolsets"
    scan = tools["scan_namespace"]
    assert scan["annotations"]["readOnlyHint"] is True and scan["annotations"]["openWorldHint"] is True
    assert scan["inputSchema"]["required"] == ["namespace"] and "scanId" in scan["outputSchema"]["properties"]


def test_inspector_calls_a_scan(clusters: Clusters) -> None:
    code, payload, stderr = inspector(clusters.kubeconfig, "--method", "tools/call", "--tool-name", "scan_namespace",
                                      "--tool-arg", "namespace=shop", "--tool-arg", "limit=3")
    assert code == 0, stderr
    assert payload["isError"] is False
    data = payload["structuredContent"]
    assert data["clusters"][0]["context"] == "alpha" and len(data["results"]) == 3 and data["nextCursor"]
    assert "## Compliance scan" in payload["content"][0]["text"]


def test_inspector_sees_error_results(clusters: Clusters) -> None:
    code, payload, _ = inspector(clusters.kubeconfig, "--method", "tools/call", "--tool-name", "scan_namespace",
                                 "--tool-arg", "namespace=nope")
    assert code == 5 and payload["isError"] is True
    assert "does not exist in context 'alpha'" in payload["content"][0]["text"]


def test_inspector_sees_names_that_do_not_exist(clusters: Clusters) -> None:
    """The false-clean cells a single stdio call can show (each Inspector call starts its own server)."""
    cells = [
        (["--tool-name", "scan_cluster", "--tool-arg", 'namespaces=["shopp"]'], "namespace 'shopp' does not exist"),
        (["--tool-name", "get_policy_reports", "--tool-arg", "namespace=shopp"], "did you mean 'shop'?"),
        (["--tool-name", "get_policy_reports", "--tool-arg", "policy=require-label"], "'require-labels'"),
        (["--tool-name", "scan_namespace", "--tool-arg", "namespace=shop", "--tool-arg", "context=alpah"],
         "context 'alpah' does not exist; did you mean 'alpha'?"),
    ]
    for args, says in cells:
        code, payload, stderr = inspector(clusters.kubeconfig, "--toolsets", "all", "--method", "tools/call", *args)
        assert payload is not None and code != 0, stderr
        assert payload["isError"] is True and says in payload["content"][0]["text"], (args, payload)
