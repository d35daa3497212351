"""Running untrusted work (agent-supplied policies) in worker processes with time and memory limits.

cel-cpp evaluates without releasing the GIL and cannot be interrupted, so an expression that runs for minutes or
allocates gigabytes would stall or bloat the whole server. :func:`run_isolated` runs a picklable top-level function
in a separate worker process instead:

* a wall-clock limit: past it the worker is killed and the caller gets :class:`EvaluationTimeout`;
* a memory limit: the worker's address space may grow at most ``memory`` bytes above its idle size (``RLIMIT_AS``);
  the parent also samples its resident size and kills it past the limit. Either way the caller gets
  :class:`EvaluationMemoryError`;
* a result limit: the pickled result may not exceed ``result_bytes``, so the parent never grows with a result;
* a crash of the worker (a signal, an abort in native code) becomes :class:`WorkerCrashed`.

A killed worker is replaced, and a small pool of warm workers keeps ordinary calls fast: workers are forked from a
``forkserver`` that has already imported the engine, and keep their compile caches between calls. Exceptions the
function raises come back as themselves (when they can be pickled), so callers handle them as if the call had been
local.

A worker has none of the parent's state (cluster clients, caches, the request's secret ledger). A call may pass
``host`` handlers: functions of the parent that the worker calls by name with :func:`call_host` (the parent answers
them while it waits, e.g. ``resource.Get`` lookups through its own client and redaction). Their time counts
against the call's time limit.

Limits come from :class:`Limits`, built from the environment (``PYKYVERNO_EVAL_TIMEOUT``, ``PYKYVERNO_EVAL_MEMORY``,
``PYKYVERNO_EVAL_WORKERS``) or from command-line flags (:func:`add_arguments`, :func:`limits_from_args`).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import re
import resource
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import Any, TypeVar

import anyio

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Modules the forkserver imports once, so that every worker starts with the engine loaded and its environments built.
PRELOAD = ("pykyverno.server.sandbox_preload", "pykyverno.server.sandbox")
#: How often a waiting caller checks the worker's memory and its own cancellation (seconds).
_POLL_INTERVAL = 0.05
#: Seconds a new worker may take to report ready.
_START_TIMEOUT = 30.0
_PR_SET_PDEATHSIG = 1

ENV_TIMEOUT = "PYKYVERNO_EVAL_TIMEOUT"
ENV_MEMORY = "PYKYVERNO_EVAL_MEMORY"
ENV_WORKERS = "PYKYVERNO_EVAL_WORKERS"

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?|[kmgt])?[bB]?\s*$")
_UNITS = {"": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4,
          "ki": 1024, "mi": 1024**2, "gi": 1024**3, "ti": 1024**4}


def parse_size(text: str) -> int:
    """Bytes from ``"1073741824"``, ``"512Mi"``, ``"2Gi"``, ``"1.5G"``; raise ValueError otherwise."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (use bytes or a suffix such as 512Mi, 2Gi)")
    number, unit = match.groups()
    value = int(float(number) * _UNITS[(unit or "").lower()])
    if value <= 0:
        raise ValueError(f"a size must be positive, got {text!r}")
    return value


def format_size(value: int) -> str:
    """``1073741824`` -> ``1 GiB`` (exact binary units when they fit, else bytes)."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if value % factor == 0:
            return f"{value // factor} {unit}"
    return f"{value} bytes"


@dataclass(frozen=True)
class Limits:
    """What one isolated call may use, and how many workers run."""

    #: Wall-clock seconds one call may take.
    timeout: float = 30.0
    #: Bytes of address space a worker may add above its idle size during one call.
    memory: int = 1024**3
    #: Largest pickled result the parent accepts.
    result_bytes: int = 64 * 1024**2
    #: Workers that may run at the same time (callers beyond that wait, within their own time limit).
    workers: int = 2
    #: Idle workers kept started.
    warm: int = 1
    #: Calls after which a worker is replaced (bounds slow growth of its caches).
    max_calls: int = 500

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("the evaluation time limit must be positive")
        if self.memory <= 0 or self.result_bytes <= 0:
            raise ValueError("memory limits must be positive")
        if self.workers < 1 or self.warm < 0 or self.max_calls < 1:
            raise ValueError("workers must be at least 1, warm at least 0")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """Defaults, overridden by ``PYKYVERNO_EVAL_TIMEOUT`` (seconds), ``PYKYVERNO_EVAL_MEMORY`` (bytes or
        ``512Mi``/``2Gi``) and ``PYKYVERNO_EVAL_WORKERS``."""
        env = os.environ if environ is None else environ
        limits = cls()
        if env.get(ENV_TIMEOUT):
            limits = replace(limits, timeout=_positive_float(env[ENV_TIMEOUT], ENV_TIMEOUT))
        if env.get(ENV_MEMORY):
            limits = replace(limits, memory=parse_size(env[ENV_MEMORY]))
        if env.get(ENV_WORKERS):
            workers = int(_positive_float(env[ENV_WORKERS], ENV_WORKERS))
            limits = replace(limits, workers=workers, warm=min(limits.warm, workers))
        return limits


def _positive_float(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}: not a number: {text!r}") from None
    if value <= 0:
        raise ValueError(f"{name}: must be positive, got {text!r}")
    return value


def _flag_type(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """``convert`` for argparse: its ValueError message becomes the flag's error message."""

    def checked(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
        return value

    return checked


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--eval-timeout``, ``--eval-memory`` and ``--eval-workers`` (defaults from the environment)."""
    parser.add_argument("--eval-timeout", type=_flag_type(float), default=None, metavar="SECONDS",
                        help=f"wall-clock limit of one isolated evaluation (default 30; env {ENV_TIMEOUT})")
    parser.add_argument("--eval-memory", type=_flag_type(parse_size), default=None, metavar="SIZE",
                        help="memory one isolated evaluation may add, e.g. 512Mi or 2Gi"
                        f" (default 1Gi; env {ENV_MEMORY})")
    parser.add_argument("--eval-workers", type=_flag_type(int), default=None, metavar="N",
                        help=f"isolated evaluations that may run at once (default 2; env {ENV_WORKERS})")


def limits_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Limits:
    """:class:`Limits` from the environment, overridden by the flags :func:`add_arguments` defines."""
    limits = Limits.from_env(environ)
    if getattr(args, "eval_timeout", None) is not None:
        limits = replace(limits, timeout=args.eval_timeout)
    if getattr(args, "eval_memory", None) is not None:
        limits = replace(limits, memory=args.eval_memory)
    if getattr(args, "eval_workers", None) is not None:
        limits = replace(limits, workers=args.eval_workers, warm=min(limits.warm, args.eval_workers))
    return limits


# -- errors ---------------------------------------------------------------------------------------------------------


class SandboxError(Exception):
    """An isolated call did not produce a result; ``str()`` says why, for the user."""


class EvaluationTimeout(SandboxError):
    """The call ran past its wall-clock limit and its worker was killed."""


class EvaluationMemoryError(SandboxError):
    """The call went past its memory limit; its worker was killed (or failed to allocate)."""


class ResultTooLarge(SandboxError):
    """The call's result was larger than the parent accepts."""


class WorkerCrashed(SandboxError):
    """The worker process died during the call (a signal or an abort in native code)."""


class EvaluationCancelled(SandboxError):
    """The caller was cancelled; its worker was killed."""


class RemoteError(SandboxError):
    """The function raised an exception that could not be sent back as itself."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


# -- the worker process ---------------------------------------------------------------------------------------------


def _status_kib(pid: int | str, field: str) -> int:
    """A ``Vm*`` field of ``/proc/<pid>/status`` in KiB (0 when the process is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent (the forkserver) exits."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


#: In a worker, during a call: the pipe to the parent, for :func:`call_host`.
_host_conn: Connection | None = None


def call_host(name: str, *args: Any) -> Any:
    """From a function running in a worker: call the parent's ``host`` handler ``name`` (see :meth:`Sandbox.run`)
    with ``args``; return its result or raise what it raised (a :class:`RemoteError` when that cannot travel)."""
    conn = _host_conn
    if conn is None:
        raise RuntimeError(f"call_host({name!r}) outside an isolated call")
    conn.send_bytes(pickle.dumps(("call", (name, args)), protocol=pickle.HIGHEST_PROTOCOL))
    kind, value = pickle.loads(conn.recv_bytes())
    if kind == "ok":
        return value
    if kind == "raise":
        raise pickle.loads(value)
    raise RemoteError(*value)


def _exception_reply(exc: BaseException) -> bytes:
    """``exc`` pickled as a ``raise`` reply, or as an ``error`` reply (type name, message) when it cannot be rebuilt."""
    try:
        pickled = pickle.dumps(exc)
        pickle.loads(pickled)  # some exceptions pickle but cannot be rebuilt (required __init__ arguments)
        return pickle.dumps(("raise", pickled))
    except Exception:
        return pickle.dumps(("error", (type(exc).__name__, str(exc))))


def _worker_main(conn: Connection, memory: int, result_bytes: int) -> None:
    """Serve calls on ``conn`` until it closes. Runs in the worker process."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    base = _status_kib("self", "VmSize") * 1024
    limit = base + memory
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send_bytes(pickle.dumps(("ready", base)))
    while True:
        try:
            request = conn.recv_bytes()
        except (EOFError, OSError):
            return
        conn.send_bytes(_serve(request, result_bytes, conn))


def _serve(request: bytes, result_bytes: int, conn: Connection | None = None) -> bytes:
    """Run one pickled ``(func, args, kwargs)`` request; return the pickled reply."""
    global _host_conn
    _host_conn = conn
    try:
        func, args, kwargs = pickle.loads(request)
        result = func(*args, **kwargs)
        reply = pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(("memory", None))
    except BaseException as exc:  # everything the function raises goes back to the caller
        reply = _exception_reply(exc)
    finally:
        _host_conn = None
    if len(reply) > result_bytes:
        return pickle.dumps(("too_large", len(reply)))
    return reply


# -- the parent side ------------------------------------------------------------------------------------------------


def _async_caller_cancelled() -> bool:
    """Whether this thread runs for an async task (``anyio.to_thread.run_sync``) that has been cancelled: an MCP
    tool call the client cancelled stops its worker at once instead of at the time limit."""
    try:
        anyio.from_thread.check_cancelled()
    except RuntimeError:  # not an AnyIO worker thread
        return False
    except BaseException:  # the backend's cancellation exception
        return True
    return False



class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context: multiprocessing.context.BaseContext, limits: Limits) -> None:
        self.limits = limits
        parent_end, child_end = context.Pipe()
        self.conn: Connection = parent_end
        self.process = context.Process(  # type: ignore[attr-defined]
            target=_worker_main, args=(child_end, limits.memory, limits.result_bytes), daemon=True,
            name="pykyverno-sandbox",
        )
        self.process.start()
        child_end.close()
        self.calls = 0
        self.base_rss = 0
        self.base_vm = 0
        if not self.conn.poll(_START_TIMEOUT):
            self.kill()
            raise SandboxError("the evaluation worker did not start")
        try:
            kind, self.base_vm = pickle.loads(self.conn.recv_bytes())
        except (EOFError, OSError):
            self.kill()
            raise SandboxError("the evaluation worker failed to start") from None
        assert kind == "ready"
        self.base_rss = _status_kib(self.process.pid, "VmRSS") * 1024

    @property
    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def rss_growth(self) -> int:
        """Bytes of resident memory above the idle size (0 when the process is gone)."""
        rss = _status_kib(self.process.pid, "VmRSS") * 1024
        return max(0, rss - self.base_rss) if rss else 0

    def kill(self) -> None:
        """Kill the process and reap it."""
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()

    def stop(self) -> None:
        """Ask the process to exit (closing its pipe), then make sure it has."""
        with contextlib.suppress(Exception):
            self.conn.close()
        with contextlib.suppress(Exception):
            self.process.join(1)
        if self.process.is_alive():
            self.kill()

    def exit_description(self) -> str:
        code = self.process.exitcode
        if code is None:
            return "still running"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
            return f"killed by signal {-code}"
        return f"exit code {code}"


class Sandbox:
    """A pool of worker processes that run calls under one set of :class:`Limits`."""

    def __init__(self, limits: Limits | None = None, preload: tuple[str, ...] = PRELOAD) -> None:
        self.limits = limits or Limits.from_env()
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._idle: list[_Worker] = []
        self._running = 0
        self._starting = 0
        self._closed = False
        self._lock = threading.Condition()

    # -- pool management

    def prewarm(self) -> None:
        """Start workers until ``warm`` are idle (blocking)."""
        while True:
            with self._lock:
                if self._closed or len(self._idle) + self._starting >= self.limits.warm:
                    return
                self._starting += 1
            self._start_into_pool()

    def _start_into_pool(self) -> None:
        try:
            worker = _Worker(self._context, self.limits)
        except Exception:
            log.warning("could not start an evaluation worker", exc_info=True)
            with self._lock:
                self._starting -= 1
                self._lock.notify_all()
            return
        with self._lock:
            self._starting -= 1
            if self._closed:
                worker.stop()
                return
            self._idle.append(worker)
            self._lock.notify_all()

    def _refill_later(self) -> None:
        """Start replacement workers in the background so the next call finds one warm."""
        with self._lock:
            missing = self.limits.warm - len(self._idle) - self._starting
            if self._closed or missing <= 0:
                return
            self._starting += missing
        for _ in range(missing):
            threading.Thread(target=self._start_into_pool, name="pykyverno-sandbox-start", daemon=True).start()

    def _acquire(self, deadline: float, cancel: threading.Event | None) -> _Worker:
        with self._lock:
            while True:
                if self._closed:
                    raise SandboxError("the evaluation sandbox is shut down")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive:
                        self._running += 1
                        return worker
                    worker.kill()
                if self._running + self._starting < self.limits.workers:
                    self._running += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise EvaluationTimeout(self._timeout_message("waiting for a free worker"))
                if cancel is not None and cancel.is_set():
                    raise EvaluationCancelled("the evaluation was cancelled")
                self._lock.wait(min(remaining, _POLL_INTERVAL))
        try:
            return _Worker(self._context, self.limits)
        except BaseException:
            with self._lock:
                self._running -= 1
                self._lock.notify_all()
            raise

    def _release(self, worker: _Worker, healthy: bool) -> None:
        recycle = not healthy or worker.calls >= self.limits.max_calls
        if not recycle and worker.rss_growth() > self.limits.memory // 2:
            recycle = True  # it kept too much from earlier calls
        with self._lock:
            self._running -= 1
            if not recycle and not self._closed and len(self._idle) < self.limits.workers:
                self._idle.append(worker)
                worker = None  # type: ignore[assignment]
            self._lock.notify_all()
        if worker is not None:
            (worker.kill if not healthy else worker.stop)()
            self._refill_later()

    def close(self) -> None:
        """Stop every idle worker; calls still running finish (or time out) and their workers stop afterwards."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._lock.notify_all()
        for worker in idle:
            worker.stop()

    # -- calls

    def run(self, func: Callable[..., T], *args: Any, cancel: threading.Event | None = None,
            host: Mapping[str, Callable[..., Any]] | None = None, **kwargs: Any) -> T:
        """Call ``func(*args, **kwargs)`` in a worker; return its result or raise what it raised.

        ``host`` handlers answer the worker's :func:`call_host` calls, in this thread, while the call runs.
        Raises a :class:`SandboxError` subclass when the call breaks a limit, crashes its worker, or is cancelled
        through ``cancel``.
        """
        try:
            request = pickle.dumps((func, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise TypeError(f"run_isolated needs a picklable top-level function and arguments: {exc}") from None
        deadline = time.monotonic() + self.limits.timeout
        worker = self._acquire(deadline, cancel)
        healthy = False
        try:
            worker.calls += 1
            try:
                worker.conn.send_bytes(request)
            except (OSError, EOFError):
                raise WorkerCrashed(f"the evaluation worker died before the call ({worker.exit_description()})") \
                    from None
            kind, value = self._wait(worker, deadline, cancel, host or {})
            healthy = kind != "memory"  # a worker that ran out of memory may be in a bad state: replace it
        finally:
            self._release(worker, healthy)
        result: T = self._unpack(kind, value)
        return result

    def _wait(self, worker: _Worker, deadline: float, cancel: threading.Event | None,
              host: Mapping[str, Callable[..., Any]]) -> tuple[str, Any]:
        """The worker's final reply (kind, value), answering its host calls meanwhile."""
        peak_vm = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                worker.kill()
                raise EvaluationTimeout(self._timeout_message("running"))
            try:
                if worker.conn.poll(min(remaining, _POLL_INTERVAL)):
                    kind, value = pickle.loads(worker.conn.recv_bytes())
                    if kind != "call":
                        return kind, value
                    worker.conn.send_bytes(self._answer_host(host, *value))
                    continue
            except (EOFError, OSError):
                worker.kill()
                raise self._death(worker, peak_vm) from None
            if (cancel is not None and cancel.is_set()) or _async_caller_cancelled():
                worker.kill()
                raise EvaluationCancelled("the evaluation was cancelled")
            if worker.rss_growth() > self.limits.memory:
                worker.kill()
                raise EvaluationMemoryError(self._memory_message())
            peak_vm = max(peak_vm, _status_kib(worker.process.pid, "VmSize") * 1024)

    @staticmethod
    def _answer_host(host: Mapping[str, Callable[..., Any]], name: str, args: tuple[Any, ...]) -> bytes:
        """The pickled reply to a worker's :func:`call_host`."""
        handler = host.get(name)
        if handler is None:
            return pickle.dumps(("error", ("LookupError", f"no host handler {name!r} for this call")))
        try:
            return pickle.dumps(("ok", handler(*args)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            return _exception_reply(exc)

    def _death(self, worker: _Worker, peak_vm: int) -> SandboxError:
        """The error for a worker that died without answering."""
        worker.process.join(1)
        near_limit = peak_vm >= worker.base_vm + self.limits.memory * 0.9
        if worker.process.exitcode == -signal.SIGKILL or near_limit:
            return EvaluationMemoryError(self._memory_message())
        return WorkerCrashed(f"the evaluation crashed its worker process ({worker.exit_description()})")

    def _unpack(self, kind: str, value: Any) -> Any:
        if kind == "ok":
            return value
        if kind == "memory":
            raise EvaluationMemoryError(self._memory_message())
        if kind == "too_large":
            raise ResultTooLarge(
                f"the evaluation's result ({format_size(value)}) exceeds the limit of"
                f" {format_size(self.limits.result_bytes)}"
            )
        if kind == "raise":
            try:
                exc = pickle.loads(value)
            except Exception:
                exc = None
            if isinstance(exc, BaseException):
                raise exc
            raise RemoteError("Exception", "the evaluation failed with an error that could not be read back")
        type_name, message = value
        raise RemoteError(type_name, message)

    def _timeout_message(self, state: str) -> str:
        return (
            f"evaluation exceeded its time limit of {self.limits.timeout:g} s ({state}); the worker was stopped"
            f" (raise it with --eval-timeout or {ENV_TIMEOUT})"
        )

    def _memory_message(self) -> str:
        return (
            f"evaluation exceeded its memory limit of {format_size(self.limits.memory)}; the worker was stopped"
            f" (raise it with --eval-memory or {ENV_MEMORY})"
        )

    async def run_async(self, func: Callable[..., T], *args: Any,
                        host: Mapping[str, Callable[..., Any]] | None = None, **kwargs: Any) -> T:
        """:meth:`run` from async code, in a thread; cancelling the caller kills the worker."""
        cancel = threading.Event()

        def call() -> T:
            return self.run(func, *args, cancel=cancel, host=host, **kwargs)

        try:
            return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            cancel.set()
            raise


# -- the shared default sandbox -------------------------------------------------------------------------------------

_default: Sandbox | None = None
_default_limits: Limits | None = None
_others: dict[Limits, Sandbox] = {}
_default_lock = threading.Lock()


def configure(limits: Limits) -> None:
    """Set the limits of the shared sandbox (for the CLI flags); an existing pool is replaced."""
    global _default, _default_limits
    with _default_lock:
        old, _default, _default_limits = _default, None, limits
    if old is not None:
        old.close()


def default_sandbox() -> Sandbox:
    """The shared sandbox (created on first use, with the configured limits or those of the environment)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox(_default_limits or Limits.from_env())
        return _default


def prewarm_later() -> None:
    """Start the shared sandbox's forkserver and warm workers in the background (a server calls this at start, so
    that the first isolated call does not wait for them)."""
    threading.Thread(target=lambda: default_sandbox().prewarm(), name="pykyverno-sandbox-prewarm", daemon=True).start()


def _sandbox_for(limits: Limits | None) -> Sandbox:
    sandbox = default_sandbox()
    if limits is None or limits == sandbox.limits:
        return sandbox
    with _default_lock:
        other = _others.get(limits)
        if other is None:
            other = _others[limits] = Sandbox(limits)
        return other


def run_isolated(func: Callable[..., T], *args: Any, limits: Limits | None = None,
                 host: Mapping[str, Callable[..., Any]] | None = None, **kwargs: Any) -> T:
    """Run ``func(*args, **kwargs)`` in a worker process under ``limits`` (default: the shared sandbox's).

    ``func`` must be a top-level function and its arguments picklable (policy YAML as text, options as plain
    values); ``host`` handlers answer its :func:`call_host` calls. Returns the result, re-raises the function's own
    exceptions, and raises :class:`SandboxError` subclasses for a breached limit or a crashed worker.
    """
    return _sandbox_for(limits).run(func, *args, host=host, **kwargs)


async def run_isolated_async(func: Callable[..., T], *args: Any, limits: Limits | None = None,
                             host: Mapping[str, Callable[..., Any]] | None = None, **kwargs: Any) -> T:
    """:func:`run_isolated` for async callers (MCP tools): runs in a thread, and cancellation kills the worker."""
    return await _sandbox_for(limits).run_async(func, *args, host=host, **kwargs)


@atexit.register
def shutdown() -> None:
    """Stop every worker of the shared sandboxes."""
    global _default
    with _default_lock:
        pools = [p for p in (_default, *_others.values()) if p is not None]
        _default = None
        _others.clear()
    for pool in pools:
        pool.close()
