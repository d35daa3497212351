"""The evaluation sandbox: hostile CEL and hostile functions end with clear errors within their limits, the pool
recovers, ordinary calls stay fast, and the parent process does not grow."""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest

from pykyverno.engine.cel import CelCompileError, CelEvalError
from pykyverno.server import sandbox
from pykyverno.server.sandbox import (
    EvaluationCancelled,
    EvaluationMemoryError,
    EvaluationTimeout,
    Limits,
    RemoteError,
    ResultTooLarge,
    Sandbox,
    WorkerCrashed,
)
from tests.server import sandbox_probes as probes

POLICY = """\
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata:
  name: no-latest
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [pods]
  validations:
    - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
      message: no latest tag
"""
PODS = """\
apiVersion: v1
kind: Pod
metadata: {name: good, namespace: shop}
spec: {containers: [{name: app, image: 'nginx:1.27'}]}
---
apiVersion: v1
kind: Pod
metadata: {name: bad, namespace: shop}
spec: {containers: [{name: app, image: 'nginx:latest'}]}
"""
#: 9,999 iterations (under cel-cpp's budget) of a linear search through 60,000 elements: about 10 s of native CPU
#: that the static cost estimate cannot see (the list's size is unknown at compile time).
CPU_BURN = "lists.range(9999).all(x, !((-1 - x) in object.big))"
CPU_BURN_DATA = {"object": {"big": list(range(60_000))}}
#: Each element of the result copies a 1 MiB string: 9 GiB for 9,000 items.
MEMORY_BURN = "size(object.items.map(x, object.s + 'x')) > 0"
MEMORY_BURN_DATA = {"object": {"items": list(range(9000)), "s": "a" * (1024 * 1024)}}


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def pool() -> Iterator[Sandbox]:
    box = Sandbox(Limits(timeout=3.0, memory=512 * 1024**2, result_bytes=8 * 1024**2, workers=2, warm=1))
    box.prewarm()
    yield box
    box.close()


def test_ordinary_cel_and_policies_give_their_results(pool: Sandbox) -> None:
    assert pool.run(probes.evaluate_cel, "object.a + 1", {"object": {"a": 41}}) == 42
    outcomes = pool.run(probes.evaluate_policy, POLICY, PODS)
    assert outcomes == [("no-latest", "pass"), ("no-latest", "fail")]


def test_the_functions_own_errors_come_back_as_themselves(pool: Sandbox) -> None:
    with pytest.raises(ValueError, match="bad input"):
        pool.run(probes.fail, "bad input")
    with pytest.raises(CelCompileError, match="undeclared reference"):
        pool.run(probes.evaluate_cel, "nosuchvariable + 1")
    with pytest.raises(CelEvalError, match="no such key"):
        pool.run(probes.evaluate_cel, "object.missing == 1")
    with pytest.raises(RecursionError):
        pool.run(probes.recurse, 100_000)
    with pytest.raises(RemoteError, match="NeedsTwoArguments: p: bad; worse"):
        pool.run(probes.fail_unrebuildable)
    assert pool.run(probes.evaluate_cel, "true") is True  # the worker survived all of these


def test_a_cpu_bound_evaluation_is_stopped_at_its_time_limit(pool: Sandbox) -> None:
    first = pool.run(probes.process_id)
    started = time.monotonic()
    with pytest.raises(EvaluationTimeout, match=r"evaluation exceeded its time limit of 3 s"):
        pool.run(probes.evaluate_cel, CPU_BURN, CPU_BURN_DATA)
    assert time.monotonic() - started < 4.5
    assert pool.run(probes.evaluate_cel, "1 + 1") == 2  # a fresh worker answers
    assert pool.run(probes.process_id) != first or pool.limits.workers > 1


def test_other_calls_are_answered_while_a_hostile_one_runs(pool: Sandbox) -> None:
    errors: list[BaseException] = []

    def hostile() -> None:
        try:
            pool.run(probes.evaluate_cel, CPU_BURN, CPU_BURN_DATA)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=hostile)
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert pool.run(probes.evaluate_policy, POLICY, PODS)[0] == ("no-latest", "pass")
    assert time.monotonic() - started < 2.0
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], EvaluationTimeout)


@pytest.fixture(scope="module")
def roomy() -> Iterator[Sandbox]:
    """A pool whose time limit cannot be reached first on a busy machine, for the memory tests."""
    box = Sandbox(Limits(timeout=60.0, memory=512 * 1024**2, result_bytes=8 * 1024**2, workers=1, warm=0))
    yield box
    box.close()


def test_memory_hungry_evaluations_end_with_a_memory_error(roomy: Sandbox) -> None:
    with pytest.raises(EvaluationMemoryError, match=r"evaluation exceeded its memory limit of 512 MiB"):
        roomy.run(probes.allocate, 2048)
    with pytest.raises(EvaluationMemoryError, match=r"memory limit of 512 MiB"):
        roomy.run(probes.evaluate_cel, MEMORY_BURN, MEMORY_BURN_DATA)
    assert roomy.run(probes.allocate, 64) == 64  # well within the limit, in a fresh worker


def test_a_crashed_worker_is_reported_and_replaced(pool: Sandbox) -> None:
    with pytest.raises(WorkerCrashed, match="SIGSEGV"):
        pool.run(probes.crash)
    assert pool.run(probes.evaluate_cel, "2 * 3") == 6


def test_results_larger_than_the_limit_are_refused(pool: Sandbox) -> None:
    with pytest.raises(ResultTooLarge, match="exceeds the limit of 8 MiB"):
        pool.run(probes.big_result, 16)
    assert len(pool.run(probes.big_result, 1)) == 1024 * 1024


def test_the_parent_does_not_grow_with_hostile_calls(roomy: Sandbox) -> None:
    roomy.run(probes.evaluate_cel, "1 + 1")
    before = _rss_kib()
    for _ in range(3):
        with pytest.raises(EvaluationMemoryError):
            roomy.run(probes.allocate, 2048)
        with pytest.raises(ResultTooLarge):
            roomy.run(probes.big_result, 16)
    assert _rss_kib() - before < 40 * 1024


def test_cancelling_an_async_caller_kills_its_worker(pool: Sandbox) -> None:
    async def cancelled_call() -> float:
        started = time.monotonic()
        with anyio.move_on_after(0.5):
            await pool.run_async(probes.sleep_then, 30, "late")
        return time.monotonic() - started

    assert anyio.run(cancelled_call) < 1.5
    # The abandoned thread notices the cancellation and kills the worker; the pool keeps working.
    assert pool.run(probes.sleep_then, 0, "ok") == "ok"


def test_cancelling_the_task_of_a_worker_thread_kills_its_worker(pool: Sandbox) -> None:
    """The MCP tools call the sandbox from ``anyio.to_thread.run_sync`` threads: a cancelled tool call stops."""

    async def cancelled_call() -> float:
        started = time.monotonic()
        with anyio.move_on_after(0.5), pytest.raises(EvaluationCancelled):
            await anyio.to_thread.run_sync(lambda: pool.run(probes.sleep_then, 30, "late"))
        return time.monotonic() - started

    assert anyio.run(cancelled_call) < 1.5
    assert pool.run(probes.sleep_then, 0, "ok") == "ok"


def test_a_cancel_event_stops_a_blocking_call(pool: Sandbox) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with pytest.raises(EvaluationCancelled):
        pool.run(probes.sleep_then, 30, "late", cancel=cancel)


def test_warm_calls_are_fast(pool: Sandbox) -> None:
    pool.run(probes.evaluate_cel, "object.a == 1", {"object": {"a": 1}})
    started = time.perf_counter()
    calls = 50
    for _ in range(calls):
        pool.run(probes.evaluate_cel, "object.a == 1", {"object": {"a": 1}})
    per_call = (time.perf_counter() - started) / calls
    assert per_call < 0.05, f"{per_call * 1000:.1f} ms per isolated call"


def test_host_handlers_answer_the_workers_calls(pool: Sandbox) -> None:
    seen: list[tuple[str, int]] = []

    def lookup(name: str, count: int) -> dict[str, object]:
        seen.append((name, count))
        return {"name": name, "items": list(range(count))}

    def missing(name: str) -> None:
        raise LookupError(f"{name} not found")

    host: dict[str, Callable[..., Any]] = {"lookup": lookup, "missing": missing}
    assert pool.run(probes.ask_host, "lookup", "pods", 3, host=host) == {"name": "pods", "items": [0, 1, 2]}
    assert seen == [("pods", 3)], "the handler ran in the parent"
    assert pool.run(probes.ask_host, "missing", "web", host=host) == ("LookupError", "web not found")
    assert pool.run(probes.ask_host, "nosuch", host=host) == ("RemoteError",
                                                              "LookupError: no host handler 'nosuch' for this call")
    assert pool.run(probes.ask_host, "lookup", "pods", 1) == ("RemoteError",
                                                              "LookupError: no host handler 'lookup' for this call")
    with pytest.raises(RuntimeError, match="outside an isolated call"):
        probes.ask_host_then_burn("lookup")


def test_time_spent_in_host_calls_counts_against_the_limit(pool: Sandbox) -> None:
    started = time.monotonic()
    with pytest.raises(EvaluationTimeout):
        pool.run(probes.ask_host_then_burn, "slow", host={"slow": lambda: time.sleep(2.0)})
    assert time.monotonic() - started < 4.5
    assert pool.run(probes.evaluate_cel, "1 + 2") == 3


def test_run_isolated_uses_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.ENV_TIMEOUT, "1.5")
    monkeypatch.setenv(sandbox.ENV_MEMORY, "256Mi")
    sandbox.configure(Limits.from_env())
    try:
        assert sandbox.default_sandbox().limits.timeout == 1.5
        assert sandbox.run_isolated(probes.evaluate_cel, "'a' + 'b'") == "ab"
        with pytest.raises(EvaluationTimeout, match=r"time limit of 1\.5 s"):
            sandbox.run_isolated(probes.sleep_then, 10, None)
        custom = Limits(timeout=5, memory=128 * 1024**2, warm=0)
        with pytest.raises(EvaluationMemoryError, match="128 MiB"):
            sandbox.run_isolated(probes.allocate, 1024, limits=custom)
    finally:
        sandbox.shutdown()
        sandbox.configure(Limits())


def test_non_picklable_functions_are_refused() -> None:
    with pytest.raises(TypeError, match="picklable top-level function"):
        sandbox.run_isolated(lambda: 1)


def test_limits_from_flags_and_environment() -> None:
    parser = argparse.ArgumentParser()
    sandbox.add_arguments(parser)
    args = parser.parse_args(["--eval-timeout", "7", "--eval-memory", "2Gi"])
    limits = sandbox.limits_from_args(args, environ={sandbox.ENV_WORKERS: "4", sandbox.ENV_TIMEOUT: "9"})
    assert (limits.timeout, limits.memory, limits.workers) == (7.0, 2 * 1024**3, 4)
    assert Limits.from_env({sandbox.ENV_MEMORY: "1.5G"}).memory == 1_500_000_000
    with pytest.raises(ValueError, match="not a size"):
        sandbox.parse_size("lots")
    with pytest.raises(ValueError, match="must be positive"):
        Limits.from_env({sandbox.ENV_TIMEOUT: "0"})
    with pytest.raises(SystemExit):
        parser.parse_args(["--eval-memory", "-1"])


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--eval-memory", "lots", "argument --eval-memory: not a size: 'lots' (use bytes or a suffix such as 512Mi"),
    ("--eval-workers", "0", "argument --eval-workers: must be positive, got '0'"),
    ("--eval-timeout", "-1", "argument --eval-timeout: must be positive, got '-1'"),
])
def test_bad_flags_are_usage_errors_naming_the_flag(capsys: pytest.CaptureFixture[str], flag: str, value: str,
                                                    message: str) -> None:
    parser = argparse.ArgumentParser()
    sandbox.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args([flag, value])
    assert message in capsys.readouterr().err
