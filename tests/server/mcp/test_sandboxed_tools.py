"""Agent-supplied policies are evaluated in sandbox workers: a runaway evaluation in evaluate_policy, lint_policy or
explain_violation ends with an ``isError`` naming its limit, the server keeps answering (over real HTTP, within 2 s,
while the evaluation runs), its memory stays bounded, and lookups and settings still work from a worker."""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from pykyverno.engine.cel import lookup_limit, set_lookup_limit
from pykyverno.server import sandbox
from pykyverno.server.core import isolation
from tests.engine.cel.test_library_limits import ANCHOR_BOMB, _bytes_literal, _gzip_of_zeros

from .conftest import Clusters
from .test_hostile_input import LAUGHS
from .test_tools import ok, text
from .test_transports import HttpServer, child_env, get

pytestmark = pytest.mark.anyio

POLICY = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: hostile}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps, pods]}
  validations:
    - expression: "%s"
      message: checked
"""
#: About 10 s of native CPU the static estimate cannot see (the list's size is unknown when compiling).
CPU_BURN = "lists.range(9999).all(x, !((-1 - x) in object.data.big))"
#: Each of 9,000 elements copies a 1 MiB string: 9 GiB.
MEMORY_BURN = "size(object.data.items.map(x, object.data.s + 'x')) > 0"


def configmap(**data: Any) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"},
                       "data": data})


CPU_RESOURCE = configmap(big=list(range(60_000)))
MEMORY_RESOURCE = configmap(items=list(range(9000)), s="a" * (1024 * 1024))
FINE_RESOURCE = configmap(team="web")
#: 100 MB of zeros, gzipped, base64-encoded and gzipped again: a literal of about 1 KB.
GZIP_BOMB = ("size(gzip.decompress(base64.decode(gzip.decompress("
             + _bytes_literal(gzip.compress(base64.b64encode(_gzip_of_zeros(100 * 1024 * 1024)), mtime=0))
             + ")))) > 0")


def error_text(result: CallToolResult) -> str:
    assert result.is_error is True, text(result)
    return text(result)


def rss_kib(pid: int | str = "self") -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def limits() -> Iterator[sandbox.Limits]:
    chosen = sandbox.Limits(timeout=2.0, memory=256 * 1024**2, workers=2, warm=1)
    sandbox.configure(chosen)
    yield chosen
    sandbox.configure(sandbox.Limits.from_env())


@pytest.fixture
def isolated_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the tools ran through the sandbox."""
    calls: list[str] = []
    real = sandbox.run_isolated

    def spy(func: Any, settings: Any, task: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(task.__name__)
        return real(func, settings, task, *args, **kwargs)

    monkeypatch.setattr(isolation, "run_isolated", spy)
    return calls


# ----------------------------------------------------------------------------- in memory
async def test_every_tool_with_agent_policy_yaml_evaluates_in_a_worker(client: Client, limits: sandbox.Limits,
                                                                        isolated_calls: list[str]) -> None:
    policy = POLICY % "object.data.team == 'web'"
    assert ok(await client.call_tool("evaluate_policy", {"policy_yaml": policy, "resources_yaml": FINE_RESOURCE}))[
        "summary"]["pass"] == 1
    assert ok(await client.call_tool("lint_policy", {"policy_yaml": policy}))["valid"] is True
    explained = ok(await client.call_tool("explain_violation", {"policy_yaml": policy,
                                                                "manifest_yaml": FINE_RESOURCE}))
    assert explained["result"] == "pass"
    assert isolated_calls == ["evaluate_policy_text", "lint", "explain_policy_text"]
    await client.call_tool("explain_violation", {"policy": "disallow-privilege-escalation", "kind": "Pod",
                                                 "name": "bad", "namespace": "shop"})
    assert len(isolated_calls) == 3, "bundled policies are trusted and evaluate in process"


async def test_a_cpu_bound_evaluation_is_an_error_naming_the_time_limit(client: Client,
                                                                         limits: sandbox.Limits) -> None:
    started = time.monotonic()
    result = await client.call_tool("evaluate_policy", {"policy_yaml": POLICY % CPU_BURN,
                                                        "resources_yaml": CPU_RESOURCE})
    elapsed = time.monotonic() - started
    message = error_text(result)
    assert "time limit of 2 s" in message and "--eval-timeout" in message and "PYKYVERNO_EVAL_TIMEOUT" in message
    assert "evaluate fewer resources per call" in message, "what the policy's author can do"
    assert elapsed < limits.timeout + 3
    fine = ok(await client.call_tool("evaluate_policy", {"policy_yaml": POLICY % "object.data.team == 'web'",
                                                         "resources_yaml": FINE_RESOURCE}))
    assert fine["summary"]["pass"] == 1, "the next call gets a fresh worker"


async def test_a_memory_bomb_is_an_error_naming_the_memory_limit(client: Client, limits: sandbox.Limits) -> None:
    before = rss_kib()
    for _ in range(3):
        message = error_text(await client.call_tool("evaluate_policy", {"policy_yaml": POLICY % MEMORY_BURN,
                                                                        "resources_yaml": MEMORY_RESOURCE}))
        assert "memory limit of 256 MiB" in message and "--eval-memory" in message
    assert rss_kib() - before < 100 * 1024, "the server process does not grow with the bomb"


async def test_explain_with_a_hostile_policy_on_a_cluster_object_is_stopped(client: Client,
                                                                           limits: sandbox.Limits) -> None:
    burn = ("cel.bind(big, lists.range(size(object.metadata.name) * 20000),"
            " lists.range(9999).all(x, !((-1 - x) in big)))")
    message = error_text(await client.call_tool("explain_violation", {
        "policy_yaml": POLICY % burn, "kind": "Pod", "name": "bad", "namespace": "shop"}))
    assert "time limit" in message


async def test_lookups_from_a_worker_go_through_the_servers_cluster_client(client: Client,
                                                                          limits: sandbox.Limits) -> None:
    team = "resource.Get('v1', 'namespaces', '', object.metadata.namespace).metadata.labels.exists(k, k == 'team')"
    for namespace, expected in (("shop", "pass"), ("tools", "fail")):
        pod = "good" if namespace == "shop" else "debug"
        answer = ok(await client.call_tool("explain_violation", {
            "policy_yaml": POLICY % team, "kind": "Pod", "name": pod, "namespace": namespace}))
        assert answer["result"] == expected, answer


async def test_the_servers_lookup_limit_applies_in_the_worker(client: Client, limits: sandbox.Limits) -> None:
    reads = " && ".join(f"resource.List('v1', 'pods', 'ns{i}').items.size() >= 0" for i in range(3))
    previous = lookup_limit()
    set_lookup_limit(2)
    try:
        answer = ok(await client.call_tool("explain_violation", {
            "policy_yaml": POLICY % reads, "kind": "Pod", "name": "bad", "namespace": "shop"}))
    finally:
        set_lookup_limit(previous)
    assert answer["result"] == "error" and "already made 2 distinct lookups" in answer["message"], answer


# ----------------------------------------------------------------------------- a real server over HTTP
@pytest.fixture
def limited_server(clusters: Clusters) -> Iterator[HttpServer]:
    server = HttpServer(["--allow-unauthenticated-loopback", "--eval-timeout", "4", "--eval-memory", "256Mi"],
                        child_env(KUBECONFIG=str(clusters.kubeconfig)))
    yield server
    server.stop()


async def _timed_call(url: str, tool: str, arguments: dict[str, Any]) -> tuple[float, CallToolResult]:
    http = httpx2.AsyncClient(timeout=60)
    async with http, Client(streamable_http_client(url, http_client=http)) as c:
        started = time.monotonic()
        result = await c.call_tool(tool, arguments)
        return time.monotonic() - started, result


def _healthz_times(base: str, stop: threading.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.monotonic()
        status, _ = get(f"{base}/healthz")
        assert status == 200
        out.append(time.monotonic() - started)
        time.sleep(0.1)


async def test_the_server_answers_while_a_hostile_evaluation_runs(limited_server: HttpServer) -> None:
    url = limited_server.url
    assert ok((await _timed_call(url, "list_policy_sets", {}))[1])["sets"]  # warm: imports done, one worker up
    hostile: list[tuple[float, CallToolResult]] = []
    healthz: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=_healthz_times, args=(limited_server.base, stop, healthz), daemon=True)

    async def run_hostile() -> None:
        hostile.append(await _timed_call(url, "evaluate_policy", {"policy_yaml": POLICY % CPU_BURN,
                                                                  "resources_yaml": CPU_RESOURCE}))

    listed: list[float] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(run_hostile)
        await anyio.sleep(1.0)  # the evaluation is running in its worker by now
        poller.start()
        for _ in range(3):
            elapsed, result = await _timed_call(url, "list_policy_sets", {})
            assert ok(result)["sets"]
            listed.append(elapsed)
            await anyio.sleep(0.3)
    stop.set()
    poller.join(5)
    elapsed, result = hostile[0]
    assert "time limit of 4 s" in error_text(result)
    assert elapsed < 4 + 3, f"the hostile call ended {elapsed:.1f}s after it started"
    assert healthz and max(healthz) < 2.0, healthz
    assert max(listed) < 2.0, listed
    print(f"\nwhile a hostile evaluation ran: healthz max {max(healthz) * 1000:.0f} ms over {len(healthz)} probes, "
          f"list_policy_sets max {max(listed) * 1000:.0f} ms; the evaluation ended after {elapsed:.1f} s")


def _doubling_variables(count: int) -> str:
    """A policy whose variables each double the previous one (21 of them: 2 million copies of the input)."""
    lines = ["  variables:", "    - {name: v0, expression: object.data.s}"]
    lines += [f"    - {{name: v{i}, expression: 'variables.v{i - 1} + variables.v{i - 1}'}}" for i in range(1, count)]
    return POLICY.replace("  validations:", "\n".join(lines) + "\n  validations:") % f"size(variables.v{count - 1}) > 0"


def _doubling_binds(count: int) -> str:
    expression = "object.data.s"
    for i in range(count):
        expression = f"cel.bind(x{i}, {expression}, x{i} + x{i})"
    return POLICY % f"size({expression}) > 0"


#: Every memory item of issue 11: (tool, arguments, what the answer says). An ``isError`` answer, or an evaluation
#: result ``error`` (a CEL library's limit), must name the limit.
MEMORY_ITEMS: list[tuple[str, dict[str, Any], str]] = [
    ("scan_manifests", {"manifests_yaml": LAUGHS}, "excessive aliasing"),
    ("evaluate_policy", {"policy_yaml": POLICY % "yaml.parse(object.data.text) != null",
                         "resources_yaml": configmap(text=ANCHOR_BOMB)}, "excessive aliasing"),
    ("evaluate_policy", {"policy_yaml": POLICY % "size(lists.range(int(object.data.n))) > 0",
                         "resources_yaml": configmap(n="100000000")}, "exceeds the limit of 100000 elements"),
    ("evaluate_policy", {"policy_yaml": _doubling_variables(21), "resources_yaml": configmap(s="abc")},
     "copies of its input"),
    ("evaluate_policy", {"policy_yaml": _doubling_binds(10), "resources_yaml": configmap(s="abc")},
     "copies of its input"),
    ("evaluate_policy", {"policy_yaml": POLICY % GZIP_BOMB.replace("\\", "\\\\"),  # escaped for YAML
                         "resources_yaml": FINE_RESOURCE}, "exceeds the limit of 3145728 bytes"),
    ("evaluate_policy", {"policy_yaml": POLICY % "random('a{50000000}') != ''", "resources_yaml": FINE_RESOURCE},
     "invalid repeat count"),
    ("evaluate_policy", {"policy_yaml": POLICY % MEMORY_BURN, "resources_yaml": MEMORY_RESOURCE},
     "memory limit of 256 MiB"),
]


def _refusal(result: CallToolResult) -> str:
    """The error text of an answer that refused the input or whose evaluation failed."""
    if result.is_error:
        return text(result)
    answer = ok(result)
    assert answer["summary"]["error"] == 1, answer
    return str(answer["results"][0]["message"])


async def test_the_server_stays_small_across_every_memory_item(limited_server: HttpServer) -> None:
    url = limited_server.url
    assert ok((await _timed_call(url, "list_policy_sets", {}))[1])["sets"]
    before = rss_kib(limited_server.proc.pid)
    peak = before
    for tool, arguments, expected in MEMORY_ITEMS:
        elapsed, result = await _timed_call(url, tool, arguments)
        assert expected in _refusal(result), (tool, expected)
        assert elapsed < 4 + 3
        peak = max(peak, rss_kib(limited_server.proc.pid))
    assert ok((await _timed_call(url, "list_policy_sets", {}))[1])["sets"], "the server still answers"
    _, fine = await _timed_call(url, "evaluate_policy", {"policy_yaml": POLICY % "object.data.team == 'web'",
                                                         "resources_yaml": FINE_RESOURCE})
    assert ok(fine)["summary"]["pass"] == 1, "and still evaluates"
    assert get(f"{limited_server.base}/healthz")[0] == 200
    print(f"\nserver RSS across {len(MEMORY_ITEMS)} memory items: {before // 1024} MiB before, {peak // 1024} MiB "
          "at most")
    assert peak - before < 150 * 1024


def test_the_serve_flags_reach_the_sandbox(tmp_path: Path) -> None:
    from pykyverno.server.cli import build_parser

    args = build_parser().parse_args(["serve", "--eval-timeout", "7", "--eval-memory", "300Mi", "--eval-workers", "3"])
    assert sandbox.limits_from_args(args, {}) == sandbox.Limits(timeout=7.0, memory=300 * 1024**2, workers=3)
