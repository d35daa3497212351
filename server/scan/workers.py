"""Evaluation of a scan spread over forked worker processes (``pykyverno scan --workers N``).

Compiled policies (cel-cpp programs) cannot be pickled and take ~0.5-1 s per process to compile again, so workers
are forked from the scanning process once its policies are compiled and before any thread is started (forking a
process with live threads can leave locks held in the child). The parent keeps listing and coordinating; it sends
each worker chunks of objects (pickled: unlike JSON encoders, pickle keeps every value as it is, NaN included, so
that a worker evaluates exactly what one process would) and gets back, per chunk, the results as a :class:`ResultStore`
(failures whole, passes as compact records), the count of objects evaluated per type and what the posture report
needs (:class:`ChunkPosture`). The parent merges chunks in the order it sent them, so that results, posture and
failures are those of one process. ``resource.*`` lookups of the policies are answered by the parent, from the
source being scanned, exactly as in one process (a worker asks and waits; it never reaches the cluster itself).

The parent never blocks on a worker: one thread multiplexes every pipe (:func:`select.select`), so a worker writing
a large answer while the parent writes it the next chunk cannot deadlock. A worker that dies loses the chunks it
held: they come back as :class:`ChunkLost` (the scan then lists them as not evaluated, naming the worker), never as
fewer results.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import select
import signal
import struct
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Iterator, MutableSequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pykyverno.engine.cel import LookupUnavailable, Providers, using_providers
from pykyverno.engine.cel.providers import ResourceProvider
from pykyverno.engine.common.policy_exception import PolicyException
from pykyverno.engine.results import RuleResult

from ..report.posture import EXPLAIN_PER_POLICY, PostureCollector
from .gc_tuning import SCAN_THRESHOLD
from .model import ClusterScan, ScanRequest
from .policy_exceptions import exceptions_from
from .result_store import ResultStore
from .sources import ResourceType

log = logging.getLogger(__name__)

#: Objects per chunk sent to a worker: large enough that the per-message cost (~0.1 ms) is noise, small enough that
#: a deadline or a cancellation stops the scan within a fraction of a second and that both workers stay busy.
CHUNK_OBJECTS = 200
#: Chunks a worker holds at once (one evaluated, the next ones waiting), so that it never waits for the parent.
IN_FLIGHT = 3
#: Below this many objects a scan stays in one process: forking and warming up workers costs more than it saves
#: (measured: see README, "Several cores").
MIN_OBJECTS = 1000

_HEADER = struct.Struct("<I")


class Evaluator(Protocol):
    """What a worker needs of the scanner it was forked from (:class:`~.runner.Scanner`)."""

    exceptions: list[PolicyException]

    def _evaluate(self, obj: dict[str, Any], rtype: ResourceType, namespaces: dict[str, dict[str, Any]],
                  scan: ClusterScan, request: ScanRequest, results: MutableSequence[RuleResult],
                  exceptions: list[PolicyException]) -> None: ...


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class ChunkPosture:
    """What the posture collector learnt from one chunk, in a form that crosses processes: ``explained`` names
    each explained result by its position in the chunk's results (ids do not survive the trip)."""

    kinds: Counter[str]
    workloads: dict[Any, Any]
    accounts: dict[Any, Any]
    roles: dict[Any, Any]
    bindings: list[Any]
    bootstrap: int
    policy_info: dict[str, dict[str, str]]
    explained: list[tuple[int, Any]]


@dataclass
class ChunkDone:
    """A chunk evaluated by a worker: ``evaluated`` of its objects (fewer when the deadline passed)."""

    seq: int
    evaluated: int
    results: ResultStore
    scanned: Counter[str]
    posture: ChunkPosture


@dataclass
class ChunkLost:
    """A chunk whose worker died or failed: none of its objects count as evaluated."""

    seq: int
    objects: int
    reason: str


Outcome = ChunkDone | ChunkLost


def merge_posture(collector: PostureCollector, part: ChunkPosture, results: ResultStore) -> None:
    """Add a chunk's posture to ``collector``, as if its objects had been observed here, in order. Explanations
    keep the bound per policy: the worker explained the first findings of each policy in its chunk, and chunks are
    merged in the order they were sent, so the first ones overall are kept."""
    collector.kinds.update(part.kinds)
    collector.workloads.update(part.workloads)
    collector.accounts.update(part.accounts)
    collector.roles.update(part.roles)
    collector.bindings.extend(part.bindings)
    collector.bootstrap += part.bootstrap
    for name, info in part.policy_info.items():
        collector.policy_info.setdefault(name, info)
    for position, fields in part.explained:
        result = results[position]  # a finding is kept whole: this is the very object now in the scan's results
        if collector.explained_per_policy[result.policy] < EXPLAIN_PER_POLICY:
            collector.explained_per_policy[result.policy] += 1
            collector.explained[id(result)] = fields


# ------------------------------------------------------------------------------------------------ framing
def _frame(message: Any) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload)) + payload


def _read_exact(fd: int, size: int) -> bytes:
    parts: list[bytes] = []
    while size:
        data = os.read(fd, min(size, 1 << 20))
        if not data:
            raise EOFError
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


class _Channel:
    """The worker's end of its two pipes (blocking)."""

    def __init__(self, tasks: int, answers: int) -> None:
        self.tasks = tasks
        self.answers = answers
        self.pending: deque[Any] = deque()

    def send(self, message: Any) -> None:
        data = memoryview(_frame(message))
        while data:
            data = data[os.write(self.answers, data):]

    def receive(self) -> Any:
        """The next message: one set aside while waiting for an answer first, else the next from the pipe."""
        if self.pending:
            return self.pending.popleft()
        return self.read()

    def read(self) -> Any:
        """The next message from the pipe (never one set aside)."""
        (size,) = _HEADER.unpack(_read_exact(self.tasks, _HEADER.size))
        return pickle.loads(_read_exact(self.tasks, size))


class _ParentResources:
    """``resource.*`` answered by the parent (from the source it scans), as :class:`SourceResources` would."""

    def __init__(self, channel: _Channel) -> None:
        self.channel = channel

    def get(self, api_version: str, resource: str, namespace: str, name: str) -> dict[str, Any]:
        """One object, read by the parent."""
        return self._ask("get", (api_version, resource, namespace, name))  # type: ignore[no-any-return]

    def list(self, api_version: str, resource: str, namespace: str,
             labels: dict[str, str] | None = None) -> dict[str, Any]:
        """A list object, read by the parent."""
        return self._ask("list", (api_version, resource, namespace, labels))  # type: ignore[no-any-return]

    def post(self, api_version: str, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Scans never write: the object as it would be created."""
        return obj

    def _ask(self, method: str, args: tuple[Any, ...]) -> Any:
        self.channel.send(("lookup", method, args))
        while True:
            # From the pipe itself: what was set aside earlier is never the answer, and taking it again would spin.
            message = self.channel.read()
            if message[0] == "answer":
                break
            self.channel.pending.append(message)  # a chunk sent meanwhile: it waits its turn
        _, ok, value = message
        if ok:
            return value
        kind, text = value
        raise (LookupUnavailable if kind == "unavailable" else LookupError)(text)


@dataclass
class _SourceState:
    """What a worker knows of the source being scanned, and what it carries from chunk to chunk."""

    context: str
    request: ScanRequest
    namespaces: dict[str, dict[str, Any]]
    exceptions: list[PolicyException]
    deadline: float | None
    providers: Providers
    explained_per_policy: Counter[str] = field(default_factory=Counter)
    policy_info: dict[str, dict[str, str]] = field(default_factory=dict)
    analysis_cache: dict[Any, Any] = field(default_factory=dict)


def _evaluate_chunk(scanner: Evaluator, state: _SourceState, seq: int, rtype: ResourceType,
                    objects: list[dict[str, Any]]) -> ChunkDone:
    # A collector per chunk, except what must run across chunks: the per-policy bound of explanations (this worker
    # already explained that many findings before this chunk), the policies already described, the analysis cache.
    posture = PostureCollector(explained_per_policy=state.explained_per_policy, policy_info=state.policy_info,
                               _analysis_cache=state.analysis_cache)
    described = set(state.policy_info)
    scan = ClusterScan(context=state.context, posture=posture)
    results = ResultStore()
    evaluated = 0
    with using_providers(state.providers):
        for obj in objects:
            if state.deadline is not None and time.monotonic() >= state.deadline:
                break
            scanner._evaluate(obj, rtype, state.namespaces, scan, state.request, results, state.exceptions)
            evaluated += 1
    positions = {id(r): i for i, r in enumerate(results.compact_items()) if isinstance(r, RuleResult)}
    part = ChunkPosture(
        kinds=posture.kinds, workloads=posture.workloads, accounts=posture.accounts, roles=posture.roles,
        bindings=posture.bindings, bootstrap=posture.bootstrap,
        policy_info={k: v for k, v in state.policy_info.items() if k not in described},
        explained=[(positions[key], fields) for key, fields in posture.explained.items()],
    )
    return ChunkDone(seq, evaluated, results, scan.scanned, part)


def _worker_main(scanner: Evaluator, channel: _Channel) -> None:
    state: _SourceState | None = None
    while True:
        message = channel.receive()
        kind = message[0]
        if kind == "stop":
            return
        if kind == "begin":
            _, context, request, namespaces, exception_lists, deadline = message
            exceptions = list(scanner.exceptions)
            for label, objects in exception_lists:
                exceptions += exceptions_from(context, label, objects, warn=False)
            state = _SourceState(context, request, namespaces, exceptions, deadline,
                                 Providers(resource=_ParentResources(channel)))
        elif kind == "chunk":
            _, seq, rtype, objects = message
            assert state is not None
            try:
                done = _evaluate_chunk(scanner, state, seq, rtype, objects)
            except Exception:  # a bug, not a policy's fault: the parent lists the chunk as not evaluated
                channel.send(("failed", seq, traceback.format_exc(limit=8)))
            else:
                channel.send(("done", done))


def _run_worker(scanner: Evaluator, tasks: int, answers: int) -> None:
    """The body of a forked worker; never returns (``os._exit``: no atexit handler or finaliser of the parent's
    objects runs here)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops the workers
        gc.set_threshold(max(SCAN_THRESHOLD, gc.get_threshold()[0]), *gc.get_threshold()[1:])  # see gc_tuning
        _worker_main(scanner, _Channel(tasks, answers))
    except EOFError:  # the parent went away
        code = 0
    except BaseException:
        traceback.print_exc()
        code = 70
    finally:
        os._exit(code)


# ------------------------------------------------------------------------------------------------ the parent's side
@dataclass
class _Worker:
    pid: int
    tasks: int
    answers: int
    outgoing: bytearray = field(default_factory=bytearray)
    incoming: bytearray = field(default_factory=bytearray)
    held: dict[int, int] = field(default_factory=dict)  # seq -> objects
    alive: bool = True


class WorkerLost(Exception):
    """Raised nowhere outside this module: a worker's pipe closed."""


@dataclass
class _Chunk:
    seq: int
    objects: int
    frame: bytes


class WorkerPool:
    """Forked evaluators of one :class:`Scanner`'s compiled policies (see the module docstring). Use from one
    thread at a time: :meth:`begin` a source, :meth:`submit` chunks, collect :meth:`outcomes`."""

    def __init__(self, scanner: Evaluator, count: int) -> None:
        if threading.active_count() > 1:
            raise RuntimeError("worker processes must be forked before any thread starts")
        self.workers: list[_Worker] = []
        self.waiting: deque[_Chunk] = deque()
        self.done: list[Outcome] = []
        self.resources: ResourceProvider | None = None
        self.lock = threading.Lock()
        gc.freeze()  # the children never walk (and so never copy) what exists now
        try:
            for _ in range(count):
                tasks_r, tasks_w = os.pipe()
                answers_r, answers_w = os.pipe()
                pid = os.fork()
                if pid == 0:  # the child
                    for other in self.workers:
                        os.close(other.tasks)
                        os.close(other.answers)
                    os.close(tasks_w)
                    os.close(answers_r)
                    _run_worker(scanner, tasks_r, answers_w)
                os.close(tasks_r)
                os.close(answers_w)
                os.set_blocking(tasks_w, False)
                os.set_blocking(answers_r, False)
                self.workers.append(_Worker(pid, tasks_w, answers_r))
        except OSError:
            self.close()
            raise

    @property
    def size(self) -> int:
        """Workers alive."""
        return sum(w.alive for w in self.workers)

    def begin(self, context: str, request: ScanRequest, namespaces: dict[str, dict[str, Any]],
              exception_lists: list[tuple[str, list[dict[str, Any]]]], deadline: float | None,
              resources: ResourceProvider) -> None:
        """Start a source: what every worker needs to evaluate its objects (``resource.*`` is answered here by
        ``resources``)."""
        self.resources = resources
        frame = _frame(("begin", context, request, namespaces, exception_lists, deadline))
        for worker in self.workers:
            if worker.alive:
                worker.outgoing += frame

    def submit(self, seq: int, rtype: ResourceType, objects: list[dict[str, Any]]) -> None:
        """Queue a chunk (waiting, while answering workers, when enough are queued already: memory stays
        bounded)."""
        self.waiting.append(_Chunk(seq, len(objects), _frame(("chunk", seq, rtype, objects))))
        while len(self.waiting) > len(self.workers) and self.size:
            self.pump(0.05)
        self.pump(0)

    @property
    def busy(self) -> bool:
        """Whether chunks are still queued or held by workers."""
        return bool(self.waiting) or any(w.held for w in self.workers if w.alive)

    def outcomes(self) -> list[Outcome]:
        """The chunks finished (or lost) since the last call, in no particular order."""
        done, self.done = self.done, []
        return done

    def pump(self, timeout: float) -> None:
        """Hand out chunks, write what is pending, read what arrived (answering lookups): at most ``timeout``
        seconds of waiting."""
        self._hand_out()
        live = [w for w in self.workers if w.alive]
        if not live:
            return
        writers = [w.tasks for w in live if w.outgoing]
        readers = [w.answers for w in live]
        try:
            readable, writable, _ = select.select(readers, writers, [], timeout)
        except InterruptedError:
            return
        for worker in live:
            if worker.tasks in writable:
                self._write(worker)
            if worker.alive and worker.answers in readable:
                self._read(worker)
        self._hand_out()

    def _hand_out(self) -> None:
        while self.waiting:
            live = [w for w in self.workers if w.alive and len(w.held) < IN_FLIGHT]
            if not live:
                if not self.size:  # nobody left to evaluate them
                    while self.waiting:
                        chunk = self.waiting.popleft()
                        self.done.append(ChunkLost(chunk.seq, chunk.objects, "no worker process is left"))
                return
            worker = min(live, key=lambda w: len(w.held))
            chunk = self.waiting.popleft()
            worker.held[chunk.seq] = chunk.objects
            worker.outgoing += chunk.frame
            self._write(worker)

    def _write(self, worker: _Worker) -> None:
        try:
            while worker.outgoing:
                written = os.write(worker.tasks, worker.outgoing[: 1 << 20])
                del worker.outgoing[:written]
        except BlockingIOError:
            return
        except OSError:  # broken pipe: the worker is gone; its read end reports how
            self._lost(worker)

    def _read(self, worker: _Worker) -> None:
        try:
            while True:
                data = os.read(worker.answers, 1 << 20)
                if not data:
                    self._lost(worker)
                    return
                worker.incoming += data
                if len(data) < 1 << 20:
                    break
        except BlockingIOError:
            pass
        except OSError:
            self._lost(worker)
            return
        buffer = worker.incoming
        while len(buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer)
            if len(buffer) < _HEADER.size + size:
                break
            message = pickle.loads(memoryview(buffer)[_HEADER.size:_HEADER.size + size])
            del buffer[:_HEADER.size + size]
            self._handle(worker, message)

    def _handle(self, worker: _Worker, message: Any) -> None:
        kind = message[0]
        if kind == "done":
            done: ChunkDone = message[1]
            worker.held.pop(done.seq, None)
            self.done.append(done)
        elif kind == "failed":
            _, seq, text = message
            objects = worker.held.pop(seq, 0)
            log.error("worker process %d failed on a chunk:\n%s", worker.pid, text)
            last = text.strip().splitlines()[-1] if text.strip() else "unknown error"
            self.done.append(ChunkLost(seq, objects, f"worker process {worker.pid} failed: {last}"))
        elif kind == "lookup":
            worker.outgoing += _frame(("answer", *self._answer(message[1], message[2])))
            self._write(worker)

    def _answer(self, method: str, args: tuple[Any, ...]) -> tuple[bool, Any]:
        assert self.resources is not None
        try:
            if method == "get":
                return True, self.resources.get(*args)
            return True, self.resources.list(*args)
        except LookupUnavailable as exc:
            return False, ("unavailable", str(exc.args[0]) if exc.args else str(exc))
        except LookupError as exc:
            return False, ("missing", str(exc.args[0]) if exc.args else str(exc))
        except Exception as exc:  # the source failed in a way it does not translate: not an answer
            return False, ("unavailable", f"{args[1]} could not be read: {exc}")

    def _lost(self, worker: _Worker) -> None:
        if not worker.alive:
            return
        worker.alive = False
        how = _reap(worker.pid)
        log.warning("worker process %d %s (holding %d chunk(s))", worker.pid, how, len(worker.held))
        for seq, objects in worker.held.items():
            self.done.append(ChunkLost(seq, objects, f"worker process {worker.pid} {how}"))
        worker.held.clear()
        for fd in (worker.tasks, worker.answers):
            with contextlib.suppress(OSError):
                os.close(fd)

    def close(self) -> None:
        """Stop every worker (asked to; killed when it does not stop within a second) and reap it."""
        for worker in self.workers:
            if worker.alive:
                try:
                    os.set_blocking(worker.tasks, True)
                    os.write(worker.tasks, _frame(("stop",)))
                except OSError:
                    pass
        stop_by = time.monotonic() + 1.0
        for worker in self.workers:
            if not worker.alive:
                continue
            worker.alive = False
            while time.monotonic() < stop_by:
                if os.waitpid(worker.pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.005)
            else:
                _kill(worker.pid)
            for fd in (worker.tasks, worker.answers):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def pids(self) -> Iterator[int]:
        """Process ids of the workers alive (for tests and diagnostics)."""
        return (w.pid for w in self.workers if w.alive)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _reap(pid: int) -> str:
    """How a worker whose pipe closed ended (it is reaped)."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "ended"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return f"was killed by signal {number} ({name})"
    return f"exited with code {os.waitstatus_to_exitcode(status)}"
