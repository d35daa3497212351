"""Measuring child processes: wall time from start to exit, peak RSS (of that child alone, from ``wait4``), the time
an MCP server over stdio takes to answer its first ``tools/list`` (raw JSON-RPC and through the SDK client), and
summaries of repeated samples (median and spread)."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: MCP protocol version of the raw handshake (a session-era version every server of the 2.x SDK accepts).
PROTOCOL_VERSION = "2025-06-18"


@dataclass(frozen=True)
class ChildRun:
    """One child process: exit code, wall seconds from spawn to exit, CPU seconds (user + system, of the child and of
    the processes it started and reaped: ``pykyverno scan --workers N`` reaps its workers), peak resident set
    (bytes) of the child alone, stderr text, and the peaks of its whole process tree (the child and its descendants,
    sampled every :data:`TREE_SAMPLE_SECONDS`): ``tree_peak_pss`` counts each page once, shared pages split between
    the processes sharing them (what the tree costs the machine); ``tree_peak_rss`` sums resident sets (counting a
    page shared by forked workers once per process: an upper bound). On a shared machine CPU seconds vary much less
    than wall seconds."""

    code: int
    seconds: float
    cpu_seconds: float
    peak_rss: int
    stderr: str
    tree_peak_pss: int = 0
    tree_peak_rss: int = 0
    #: Most processes seen in the tree at once.
    tree_processes: int = 1


#: How often the launcher samples the memory of the child's process tree.
TREE_SAMPLE_SECONDS = 0.02

#: Runs argv[2:] and writes its exit code, CPU seconds, peak RSS (bytes) and the tree's sampled peaks to the file
#: argv[1]. Linux keeps the larger of a process's own peak and that of the memory it replaced on exec, which for a
#: child spawned straight from a large process (pytest, this benchmark holding its workload) is the parent's: a small
#: launcher forks it instead, so the peak measured is the child's own (plus the launcher's ~10 MB at most). While it
#: waits, the launcher sums Pss and Rss (``/proc/PID/smaps_rollup``) over the child and its descendants.
_LAUNCHER = """
import json, os, sys, time
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)

def tree(root):
    found, todo = [], [root]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return found

def memory(pids):
    pss = rss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return pss, rss

peak_pss = peak_rss = 0
most = 1
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    pids = tree(pid)
    pss, rss = memory(pids)
    peak_pss, peak_rss, most = max(peak_pss, pss), max(peak_rss, rss), max(most, len(pids))
    time.sleep(0.02)  # TREE_SAMPLE_SECONDS
with open(sys.argv[1], "w") as out:
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024,
               peak_pss, peak_rss, most], out)
"""


def run_child(cmd: Sequence[str], env: dict[str, str], stdout: Path | None = None, timeout: float = 600) -> ChildRun:
    """Run ``cmd`` to completion with stdout to a file (or discarded) and stderr to a temporary file; CPU seconds
    and peak RSS are those of this child (``wait4`` in a small launcher, see :data:`_LAUNCHER`), with the sampled
    peaks of its process tree beside them."""
    with tempfile.TemporaryFile() as err, open(stdout or os.devnull, "wb") as out, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as figures:
        started = time.perf_counter()
        launcher = [sys.executable, "-c", _LAUNCHER, figures.name, *cmd]
        proc = subprocess.Popen(launcher, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        seconds = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        text = Path(figures.name).read_text()
    code, cpu, peak, tree_pss, tree_rss, most = json.loads(text) if text else (proc.returncode or -9, 0.0, 0, 0, 0, 1)
    return ChildRun(code, seconds, cpu, peak, stderr, max(tree_pss, 0), max(tree_rss, peak), most)


def _reap(proc: subprocess.Popen[bytes], timeout: float = 10) -> resource.struct_rusage:
    """Wait for ``proc`` (killing it after ``timeout`` seconds) and return its own resource usage."""
    deadline = time.perf_counter() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.002)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage


@dataclass(frozen=True)
class McpAnswer:
    """Seconds from process start to the first ``tools/list`` answer, CPU seconds of the server process (start to
    exit, which follows the answer when its stdin closes), and that answer's size."""

    seconds: float
    cpu_seconds: float
    tools: int
    wire_chars: int
    result_chars: int


def mcp_raw_first_tools_list(cmd: Sequence[str], env: dict[str, str], timeout: float = 60) -> McpAnswer:
    """Start an MCP server over stdio, send ``initialize``, ``notifications/initialized`` and ``tools/list`` at once
    (as raw JSON-RPC lines), and time the arrival of the ``tools/list`` answer. ``wire_chars`` is the length of the
    answer's line; ``result_chars`` that of its ``result`` as ``json.dumps`` writes it by default (with spaces after
    separators; the issue's 45,907 was probably counted so)."""
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL_VERSION, "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    ]
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages).encode())
            proc.stdin.flush()
            while True:
                line = proc.stdout.readline()
                if not line:
                    err.seek(0)
                    raise RuntimeError(f"MCP server exited before answering tools/list: {err.read().decode()[-2000:]}")
                answer = json.loads(line)
                if answer.get("id") == 2:
                    seconds = time.perf_counter() - started
                    break
                if time.perf_counter() - started > timeout:
                    raise TimeoutError("no tools/list answer")
        finally:
            proc.stdin.close()
            proc.stdout.close()
            usage = _reap(proc)
            cpu = usage.ru_utime + usage.ru_stime
    if "result" not in answer:
        raise RuntimeError(f"tools/list failed: {answer.get('error')}")
    result = answer["result"]
    return McpAnswer(seconds, cpu, len(result.get("tools", [])), len(line.decode().rstrip("\n")),
                     len(json.dumps(result)))



def mcp_sdk_first_tools_list(cmd: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning the server through the official SDK client (``mcp.Client`` over stdio, its default
    mode) to the first ``list_tools`` answer, and the CPU seconds of the server process (from
    ``RUSAGE_CHILDREN``, which counts it once the client has reaped it)."""
    import anyio
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(command=cmd[0], args=list(cmd[1:]), env=env)

    async def first_answer() -> float:
        with tempfile.TemporaryFile("w+") as errlog:
            started = time.perf_counter()
            async with Client(stdio_client(params, errlog=errlog)) as client:
                await client.list_tools()
                return time.perf_counter() - started

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = float(anyio.run(first_answer))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


@dataclass(frozen=True)
class Summary:
    """Median, minimum and maximum of repeated samples (kept, so that runs can be pooled)."""

    median: float
    low: float
    high: float
    count: int
    samples: tuple[float, ...] = ()

    @property
    def spread(self) -> float:
        """(max - min) / median: how noisy the samples were."""
        return (self.high - self.low) / self.median if self.median else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"median": self.median, "min": self.low, "max": self.high, "n": self.count, "samples": list(self.samples)}


def summarize(samples: Sequence[float]) -> Summary:
    """Median, min and max of non-empty ``samples``."""
    return Summary(statistics.median(samples), min(samples), max(samples), len(samples), tuple(samples))


def cpu_load() -> str:
    """The 1/5/15-minute load averages and the CPUs this process may use, for the record."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {len(os.sched_getaffinity(0))} CPUs"
