"""The leak test (issue 11, "Done when"): markers seeded into Secrets, ConfigMaps, env, args, annotations, URLs and
the kubeconfig of a fake cluster (:mod:`.seed`) never appear in any answer of any MCP tool, any output of any CLI
command in any format, or any log line at DEBUG; and every structured output still parses after masking. The text
mask alone (the last line of defence) is also run on compact JSON of the seeded objects and on a 50 MB line.

The cases are tables, checked against what the server and the CLI offer: a tool in ``tools/list`` without a case,
a CLI command without a case, or an output format (a ``choices`` value of an output option, or a format flag) that
no case uses, fails the test, so new tools and formats are covered when they are added.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx2
import pytest
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from pykyverno.server.cli import build_parser, main
from pykyverno.server.mcp import ServerSettings, build_server
from pykyverno.server.redaction import MaskingWriter, mask_text, secret_scope
from tests.fakeapi import FakeCluster

from .seed import HOSTILE_POLICY, LEGACY_POLICY, MUTATING_POLICY, Seeded, leaks, objects, seed

CONTEXTS = ("alpha", "url-creds", "basic", "exec")
#: Flags that choose an output format without a ``choices`` list (checked to exist in the parser).
FORMAT_FLAGS = {"apply": ("-t", "-p", "--print-patched", "--diff")}
MAX_PAGES = 3


@pytest.fixture
def seeded(fake_cluster: Callable[..., FakeCluster], tmp_path: Path) -> Seeded:
    return seed(fake_cluster(objects(), writable=True), tmp_path)  # writable: the write tools' dry runs


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# ============================================================================ MCP
def mcp_cases(s: Seeded, policy_sets: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Argument sets per tool. Every tool of ``tools/list`` must have at least one."""
    dump = s.dump.read_text()
    documents = [yaml.safe_dump(o) for o in yaml.safe_load(dump)["items"]]
    targets = [("secrets", "db", "shop"), ("secrets", "registry", "shop"), ("secrets", "tls", "shop"),
               ("configmaps", "app", "shop"), ("Pod", "agent", "shop"), ("Deployment", "web", "shop"),
               ("RemoteMCPServer", "remote", "kagent"), ("PolicyReport", "pol-shop", "shop"), ("secrets", ".", "shop"),
               ("secrets", "..", "shop")]
    explain: list[dict[str, Any]] = []
    for context in CONTEXTS:
        explain += [{"policy_yaml": HOSTILE_POLICY, "kind": k, "name": n, "namespace": ns, "context": context}
                    for k, n, ns in targets]
    explain += [{"policy": p, "kind": k, "name": n, "namespace": ns} for p, k, n, ns in (
        ("ai-remote-mcp-endpoint", "RemoteMCPServer", "remote", "kagent"),
        ("ai-agent-no-secret-env", "Pod", "agent", "shop"), ("ai-agent-no-secret-env", "Deployment", "web", "shop"),
        ("disallow-latest-tag", "Pod", "agent", "shop"))]
    explain += [{"policy_yaml": HOSTILE_POLICY, "manifest_yaml": d} for d in documents]
    explain += [{"policy": "ai-remote-mcp-endpoint", "manifest_yaml": d} for d in documents if "RemoteMCP" in d]
    scans = {"policy_sets": policy_sets, "include_passing": True, "limit": 50}
    exception = {"policy": "disallow-latest-tag", "resources": ["Deployment/shop/web", "Pod/shop/agent"],
                 "reason": "leak test"}
    return {
        "list_contexts": [{}],
        "switch_context": [{"context": c} for c in CONTEXTS],
        "scan_namespace": [{"namespace": "shop", "context": c, **scans} for c in CONTEXTS]
        + [{"namespace": "kagent", **scans}, {"namespace": "shop", "policy_sets": policy_sets, "limit": 2}],
        "scan_cluster": [{"all_contexts": True, **scans}, {"contexts": ["url-creds", "exec"], **scans}],
        "scan_manifests": [{"manifests_yaml": dump, **scans}],
        "list_policy_sets": [{}],
        "describe_policy": [{"policy": "ai-remote-mcp-endpoint"}, {"policy": "ai-agent-no-secret-env"}],
        "explain_violation": explain,
        "evaluate_policy": [{"policy_yaml": HOSTILE_POLICY, "resources_yaml": dump},
                            {"policy_yaml": MUTATING_POLICY, "resources_yaml": dump, "old_resources_yaml": dump,
                             "operation": "UPDATE"},
                            {"policy_yaml": HOSTILE_POLICY, "resources_yaml": dump, "exceptions_yaml": dump}],
        "lint_policy": [{"policy_yaml": HOSTILE_POLICY}, {"policy_yaml": dump}],
        "migrate_policy": [{"policy_yaml": LEGACY_POLICY, "resources_yaml": dump}],
        "get_policy_reports": [{"context": c, "results": ["fail", "pass", "warn", "error", "skip"]} for c in CONTEXTS]
        + [{"namespace": "shop", "policy": "db-check"}],
        # the write tools (the servers run with --allow-writes): dry runs, their plans show live objects
        "check_kyverno": [{"context": c} for c in CONTEXTS],
        "draft_policy_exception": [exception],
        "create_policy_exception": [exception],
        "install_policy_set": [{"set": "best-practices"}],
        "uninstall_policy_set": [{"set": "best-practices"}],
        "publish_reports": [{"namespaces": ["shop"], "sets": policy_sets}, {"context": "url-creds"}],
    }


def answer_text(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content) + "\n" + json.dumps(result.structured_content)


async def run_mcp_cases(client: Client, s: Seeded) -> tuple[list[str], int]:
    """Call every case (and follow scan cursors); return the leaks found (``tool args: places``) and the calls."""
    tools = sorted(t.name for t in (await client.list_tools()).tools)
    sets = [x["name"] for x in (await client.call_tool("list_policy_sets", {})).structured_content["sets"]]
    cases = mcp_cases(s, sets)
    missing = [t for t in tools if not cases.get(t)]
    assert not missing, f"tools without a leak case: {missing}; add cases to mcp_cases"
    assert not set(cases) - set(tools), f"cases for tools that do not exist: {set(cases) - set(tools)}"
    found, calls = [], 0
    for tool in tools:
        for args in cases[tool]:
            pending: list[dict[str, Any]] = [args]
            pages = 0
            while pending:
                current = pending.pop()
                result = await client.call_tool(tool, current)
                calls += 1
                where = leaks(answer_text(result))
                if where:
                    found.append(f"{tool} {json.dumps(current)[:160]}: {where}")
                cursor = (result.structured_content or {}).get("nextCursor")
                if cursor and pages < MAX_PAGES:
                    pages += 1
                    pending.append({**args, "cursor": cursor, "limit": 2})
    resources = (await client.list_resources()).resources
    for resource in resources:
        contents = (await client.read_resource(str(resource.uri))).contents
        where = leaks(" ".join(getattr(c, "text", "") for c in contents))
        if where:
            found.append(f"resource {resource.uri}: {where}")
    return found, calls


@pytest.mark.anyio
async def test_no_marker_in_any_mcp_answer_or_log(seeded: Seeded, caplog: pytest.LogCaptureFixture) -> None:
    started = time.perf_counter()
    with caplog.at_level(logging.DEBUG):
        async with Client(build_server(ServerSettings(kubeconfig=str(seeded.kubeconfig), timeout=3.0,
                                                      allow_writes=True))) as client:
            found, calls = await run_mcp_cases(client, seeded)
    assert not found, "markers leaked:\n" + "\n".join(found)
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    assert not leaks(logged), f"markers in logs: {leaks(logged)}"
    assert "DEBUG" in caplog.text, "debug logging was captured"
    assert calls > 60
    print(f"\nleak test (MCP in memory): {calls} calls in {time.perf_counter() - started:.1f}s")


# ============================================================================ CLI
def cli_cases(s: Seeded) -> list[list[str]]:
    """argv lists (every format of every command)."""
    hostile = s.folder / "leak-everything.yaml"
    hostile.write_text(HOSTILE_POLICY)
    mutating = s.folder / "label-everything.yaml"
    mutating.write_text(MUTATING_POLICY)
    suite = s.folder / "suite"
    suite.mkdir(exist_ok=True)
    (suite / "kyverno-test.yaml").write_text(yaml.safe_dump({
        "apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test", "metadata": {"name": "leak"},
        "policies": [str(hostile)], "resources": [str(s.dump)],
        "results": [{"policy": "leak-everything", "resources": ["db", "app", "agent"], "kind": k, "result": "pass"}
                    for k in ("Secret", "ConfigMap", "Pod")]}))
    sets = ["--policy-set", "ai-agent-safeguards", "--policy-set", "best-practices"]
    cluster = ["scan", "--kubeconfig", str(s.kubeconfig), "--all-contexts", *sets, "--policy", str(hostile)]
    snapshot = ["scan", "--snapshot", str(s.dump), *sets, "--policy", str(hostile)]
    apply = ["apply", str(hostile), str(mutating), "--policy-set", "ai-agent-safeguards", "-r", str(s.dump)]
    cases: list[list[str]] = [cluster]
    for fmt in ("table", "markdown", "json", "yaml", "policyreport"):
        cases += [[*cluster, "-o", fmt], [*snapshot, "-o", fmt], [*cluster, "-n", "shop", "--context", "url-creds",
                                                                     "-o", fmt]]
    saved = s.folder / "saved-scan.json"
    cases += [[*cluster, "-o", "html"], [*snapshot, "-o", "html"], [*snapshot, "-o", "sarif"],
              [*cluster, "-o", "json", "--output-file", str(saved)], ["report", "html", str(saved)],
              *(["report", "diff", str(saved), str(saved), *fmt] for fmt in ([], ["-o", "text"], ["-o", "html"],
                                                                           ["-o", "json"])),
              [*apply, "-o", "sarif"]]
    cases += [apply, [*apply, "-t"], [*apply, "-p"], [*apply, "-o", "json"], [*apply, "-o", "yaml"],
              [*apply, "--print-patched"], [*apply, "--diff"], [*apply, "--audit-warn", "-t"]]
    cases += [["test", str(suite), *fmt] for fmt in ([], ["-o", "table"], ["-o", "json"], ["-o", "junit"])]
    cases += [["lint", str(hostile), *fmt] for fmt in ([], ["-o", "text"], ["-o", "json"])]
    legacy = s.folder / "legacy-leak.yaml"
    legacy.write_text(LEGACY_POLICY)
    cases += [["migrate", str(legacy), "--check", str(s.dump), *fmt] for fmt in ([], ["-o", "table"], ["-o", "json"])]
    cases += [["policies", "list", *fmt] for fmt in ([], ["-o", "json"], ["-o", "yaml"])]
    cases += [["policies", "show", "ai-remote-mcp-endpoint", *fmt] for fmt in ([], ["-o", "json"], ["-o", "yaml"])]
    kube = ["--kubeconfig", str(s.kubeconfig), "--context", "alpha"]
    for write_format in ([], ["-o", "text"], ["-o", "json"], ["-o", "yaml"]):
        cases += [["install", "--policy", str(hostile), *kube, *write_format],
                  ["uninstall", "custom", *kube, *write_format],
                  ["exception", "disallow-latest-tag", "Deployment/shop/web", "--reason", "leak test", *kube,
                   *write_format]]
    cases += [[*cluster, "-n", "shop", "--publish-reports"]]
    cases += [["serve", "--transport", "http"]]  # run as a real process with its MCP table: see run_serve
    return cases


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def format_options(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                                                    list[list[str]]]]:
    """(command path, the argv fragments a case must include) for every command: one per output choice and format
    flag, plus the default (no format option)."""
    children = _subparsers(parser)
    if children:
        for name, child in children.items():
            yield from format_options(child, (*path, name))
        return
    variants: list[list[str]] = []
    for action in parser._actions:
        if action.choices and any(word in action.dest for word in ("output", "format")):
            variants += [[action.option_strings[0], str(c)] for c in action.choices]
            if action.default is not None:
                variants.append([])
    for flag in FORMAT_FLAGS.get(path[0] if path else "", ()):
        assert flag in parser._option_string_actions, f"format flag {flag} of {path} no longer exists"
        variants.append([flag])
    yield path, variants or [[]]


def _covered(case: list[str], path: tuple[str, ...], variant: list[str]) -> bool:
    if case[:len(path)] != list(path):
        return False
    if not variant:
        return not any(a in case for a in ("-o", "--output", "--output-format", *FORMAT_FLAGS.get(path[0], ())))
    return any(case[i:i + len(variant)] == variant or (len(variant) == 2 and case[i] in _aliases(variant[0])
                                                       and case[i + 1:i + 2] == variant[1:])
               for i in range(len(case)))


def _aliases(option: str) -> tuple[str, ...]:
    parser_options = {"-o": ("-o", "--output", "--output-format")}
    return parser_options.get(option, (option,))


def test_cli_cases_cover_every_command_and_format(seeded: Seeded) -> None:
    cases = cli_cases(seeded)
    uncovered = [(path, variant) for path, variants in format_options(build_parser()) for variant in variants
                 if not any(_covered(c, path, variant) for c in cases)]
    assert not uncovered, f"commands/formats without a leak case: {uncovered}; add them to cli_cases"


def output_format(argv: list[str]) -> str:
    """The structured format a CLI case prints (``""`` for text)."""
    for i, arg in enumerate(argv[:-1]):
        if arg in ("-o", "--output", "--output-format") and argv[i + 1] in ("json", "sarif", "yaml", "policyreport",
                                                                              "junit", "html"):
            return argv[i + 1]
    return "yaml" if "-p" in argv or "--print-patched" in argv else ""


def unparsable(fmt: str, text: str) -> str:
    """Why ``text`` is not valid ``fmt`` (``""`` when it is): masking must never break a structured output."""
    try:
        if fmt in ("json", "sarif"):
            json.loads(text)
        elif fmt in ("yaml", "policyreport"):
            list(yaml.safe_load_all(text))
        elif fmt == "junit":
            ElementTree.fromstring(text.encode())
        elif fmt == "html":  # a whole page, and its data (the diff page has none)
            assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>"), "not a whole page"
            data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
            if data is not None:
                json.loads(data.group(1))
    except (ValueError, yaml.YAMLError, ElementTree.ParseError, AssertionError) as exc:
        return f"{fmt} output does not parse: {str(exc)[:300]}"
    return ""


def test_no_marker_in_any_cli_output_or_log(seeded: Seeded, capsys: pytest.CaptureFixture[str],
                                            caplog: pytest.LogCaptureFixture) -> None:
    """...and every structured output (JSON, YAML, SARIF, PolicyReports, JUnit, the HTML report's data) still
    parses after masking (regression: ``scan -o json`` printed invalid JSON)."""
    found, codes, broken = [], [], []
    started = time.perf_counter()
    for argv in cli_cases(seeded):
        if argv[0] == "serve":
            continue
        with caplog.at_level(logging.DEBUG):
            codes.append(main(["-vv", *argv]))
        out, err = capsys.readouterr()
        where = leaks(out + err + caplog.text)
        caplog.clear()
        if where:
            found.append(f"{' '.join(argv)[:200]}: {where}")
        assert "Traceback" not in err and "internal error" not in out + err, (argv, err[-2000:])
        fmt = output_format(argv)
        written = Path(argv[argv.index("--output-file") + 1]).read_text() if "--output-file" in argv else out
        problem = unparsable(fmt, written) if fmt else ""
        if problem:
            broken.append(f"{' '.join(argv)[:200]}: {problem}")
    assert not found, "markers leaked:\n" + "\n".join(found)
    assert not broken, "structured outputs broken:\n" + "\n".join(broken)
    assert set(codes) <= {0, 1, 3}, f"a run failed to run (usage error or internal error): {codes}"
    print(f"\nleak test (CLI): {len(cli_cases(seeded))} runs in {time.perf_counter() - started:.1f}s")


# ============================================================================ compact JSON, a 50 MB line
def test_the_text_mask_alone_covers_compact_json_and_a_50_mb_line(seeded: Seeded,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """The last line of defence on its own: the seeded objects as the cluster holds them (every marker in them),
    printed as compact JSON, are masked by the text pass with what a scan of the cluster remembered; and so is a
    50 MB single line of them written to the CLI's stream in pieces. Both parse; no marker is left."""
    hostile = seeded.folder / "leak-everything.yaml"
    hostile.write_text(HOSTILE_POLICY)
    raw = [o for o in objects() if o["kind"] != "CustomResourceDefinition"]
    with secret_scope():  # the scan's request is this scope: what it remembers stays for the checks below
        assert main(["scan", "--kubeconfig", str(seeded.kubeconfig), "--context", "alpha", "--policy", str(hostile),
                     "-o", "json"]) in (0, 1, 3)
        capsys.readouterr()
        compact = json.dumps({"apiVersion": "v1", "kind": "List", "items": raw}, separators=(",", ":"))
        assert leaks(compact), "the raw objects hold the markers"
        masked = mask_text(compact)
        assert not leaks(masked), f"markers left in compact JSON: {leaks(masked)}"
        assert [o["kind"] for o in json.loads(masked)["items"]] == [o["kind"] for o in raw]

        item = ",".join(json.dumps(o, separators=(",", ":")) for o in raw)
        line = '{"items":[' + ",".join([item] * (50_000_000 // len(item))) + "]}"
        sink = io.StringIO()
        writer = MaskingWriter(sink)
        started = time.process_time()
        for at in range(0, len(line), 65536):
            writer.write(line[at:at + 65536])
        writer.write("\n")
        writer.flush()
        spent = time.process_time() - started
    out = sink.getvalue()
    assert not leaks(out), f"markers left in the 50 MB line: {leaks(out)}"
    json.loads(out, object_pairs_hook=lambda pairs: None)  # parses (without building 50 MB of objects)
    print(f"\nleak test: a {len(line) / 1e6:.0f} MB line masked in {spent:.1f} s CPU")


# ============================================================================ serve, a real process at DEBUG
class ServeProcess:
    """``pykyverno -vv serve --transport http`` on a free port; stderr goes to a file (debug logs are long)."""

    def __init__(self, s: Seeded) -> None:
        self.log = s.folder / "serve.log"
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")}
        with self.log.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pykyverno.server.cli", "-vv", "serve", "--transport", "http", "--port", "0",
                 "--allow-writes", "--allow-unauthenticated-loopback", "--kubeconfig", str(s.kubeconfig),
                 "--timeout", "3"],
                env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"listening on (https?://\S+/mcp)", self.log.read_text())
            if found:
                self.url = found.group(1)
                return
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out


@pytest.mark.anyio
async def test_no_marker_from_the_serve_command_nor_its_debug_log(seeded: Seeded) -> None:
    server = ServeProcess(seeded)
    try:
        http = httpx2.AsyncClient(timeout=60)
        async with http, Client(streamable_http_client(server.url, http_client=http)) as client:
            found, calls = await run_mcp_cases(client, seeded)
    finally:
        stdout = server.stop()
    log = server.log.read_text()
    assert not found, "markers leaked over HTTP:\n" + "\n".join(found)
    assert not leaks(stdout + log), f"markers in the server's output or debug log: {leaks(stdout + log)}"
    assert "DEBUG" in log and calls > 60


def run_serve(_: Callable[..., Awaitable[None]]) -> None:  # pragma: no cover - documents the serve case above
    """The ``serve`` CLI case runs in :func:`test_no_marker_from_the_serve_command_nor_its_debug_log`."""
