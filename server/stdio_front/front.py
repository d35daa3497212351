"""The stdio front end: owns stdin and stdout from the process start, while the MCP SDK (about half a second of
imports) loads behind it.

It reads the client's lines as the SDK's stdio transport does (UTF-8, undecodable bytes replaced, universal
newlines) and queues every one of them, in order, for the SDK. While the SDK is loading it answers, from
:mod:`.cache`, the opening requests the SDK has answered before after the very same lines (``initialize``,
``tools/list``, ``server/discover``, ``ping``); everything else waits in the queue. When the SDK runs, it reads the
queue from the first line on, so it sees the whole conversation, the answered requests included; its responses to
those are swallowed here (and compared: an entry that differs from the SDK's answer is replaced and logged). Every
other message passes both ways unchanged: ids, notifications, cancellations, server-to-client requests.

Like the SDK's transport, the front end moves the wire off file descriptors 0 and 1 (which then read the null device
and write to stderr) so that a stray print or child process cannot corrupt the stream; :meth:`StdioFront.close`
puts them back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import queue
import sys
import threading
import time
from io import TextIOWrapper
from typing import Any

from .cache import ANSWERABLE, PASSIVE, AnswerCache, valid_answer

log = logging.getLogger("pykyverno.mcp.front")

RequestId = int | str


class StdioFront:
    """The stdio wire of one server process (see the module docstring)."""

    def __init__(self, cache: AnswerCache | None, context: bytes) -> None:
        self._cache = cache
        self._prefix = hashlib.sha256(context)
        #: Every line so far was an answerable request or a passive notification: the next request has a key.
        self._clean = cache is not None
        #: ...and every request so far was answered here: the next one may be answered here too.
        self._answering = cache is not None
        self._ready = False
        self._ids: set[RequestId] = set()
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        #: Requests answered here: id -> (key, the answer given); the SDK's own answer is swallowed.
        self._given: dict[RequestId, tuple[str, str]] = {}
        #: Requests with a key that the SDK answers: id -> key under which its answer is kept.
        self._to_record: dict[RequestId, str] = {}
        self._started = time.perf_counter()
        self._fds: list[tuple[int, int]] = []
        self._in: TextIOWrapper | None = None
        self._out: TextIOWrapper | None = None
        self.answered = 0

    def start(self) -> bool:
        """Take over stdin and stdout and start reading; False (nothing changed) when they are not plain file
        descriptors 0 and 1 of ``sys.stdin``/``sys.stdout``."""
        if not (_backed_by(sys.stdin, 0) and _backed_by(sys.stdout, 1)):
            return False
        try:
            wire_in = self._claim(0, os.open(os.devnull, os.O_RDONLY))
            wire_out = self._claim(1, os.dup(2))
        except OSError as exc:
            log.debug("stdio front end not started: %s", exc)
            self.close()
            return False
        self._in = TextIOWrapper(os.fdopen(wire_in, "rb", closefd=False), encoding="utf-8", errors="replace")
        self._out = TextIOWrapper(os.fdopen(wire_out, "wb", closefd=False), encoding="utf-8")
        threading.Thread(target=self._read, name="pykyverno-mcp-stdin", daemon=True).start()
        return True

    def _claim(self, fd: int, diversion: int) -> int:
        """Move the wire on ``fd`` to a private descriptor and point ``fd`` at ``diversion``."""
        try:
            wire = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
            os.dup2(diversion, fd)
        finally:
            os.close(diversion)
        self._fds.append((fd, wire))
        return wire

    def close(self) -> None:
        """Point descriptors 0 and 1 back at the wire."""
        while self._fds:
            fd, wire = self._fds.pop()
            with contextlib.suppress(OSError):
                os.dup2(wire, fd)

    # the client's side

    def _read(self) -> None:
        assert self._in is not None
        try:
            for line in self._in:
                self._route(line)
                self._lines.put(line)
        except Exception as exc:  # a broken stdin ends the conversation as EOF does
            log.debug("stdin: %s", exc)
        finally:
            self._lines.put(None)

    def _route(self, line: str) -> None:
        """Answer ``line`` here when the cache has the SDK's answer to it; note what to record otherwise."""
        if not self._clean:
            if self._to_record:
                self._drop_reused(line)
            return
        message = _opening_message(line)
        if message is None:
            self._end_opening()
            return
        method, request_id = message
        self._prefix.update(len(line).to_bytes(8, "big") + line.encode("utf-8"))
        if request_id is None:
            return
        if request_id in self._ids:  # a reused id could pair an answer with the wrong request
            with self._lock:
                self._to_record.pop(request_id, None)
            self._end_opening()
            return
        self._ids.add(request_id)
        key = self._prefix.hexdigest()
        if self._answering and not self._ready:
            assert self._cache is not None
            answer = self._cache.load(key, request_id)
            if answer is not None:
                with self._lock:
                    self._given[request_id] = (key, answer)
                self._write(answer, quiet=True)
                self.answered += 1
                log.debug("answered %s (id %r) from the start-up cache after %.3f s", method, request_id,
                          time.perf_counter() - self._started)
                return
            self._answering = False
        with self._lock:
            self._to_record[request_id] = key

    def _end_opening(self) -> None:
        self._clean = self._answering = False

    def _drop_reused(self, line: str) -> None:
        """A later message that reuses the id of a request whose answer is still to be recorded: record neither."""
        try:
            message = json.loads(line)
        except ValueError:
            return
        request_id = message.get("id") if isinstance(message, dict) else None
        if isinstance(request_id, int | str):
            with self._lock:
                self._to_record.pop(request_id, None)

    def next_line(self) -> str | None:
        """The client's next line for the SDK, in order from the first one (None at the end of stdin)."""
        return self._lines.get()

    # the SDK's side

    def mark_ready(self) -> None:
        """The SDK reads from now on: no more answers from the cache."""
        self._ready = True
        log.debug("MCP SDK ready after %.3f s (%d answered from the start-up cache, %d lines waiting)",
                  time.perf_counter() - self._started, self.answered, self._lines.qsize())

    def deliver(self, text: str, response_id: RequestId | None) -> None:
        """Write the SDK's message ``text`` to the client, unless it answers a request answered here already."""
        if response_id is not None:
            with self._lock:
                given = self._given.pop(response_id, None)
                key = self._to_record.pop(response_id, None) if given is None else None
            if given is not None:
                self._check(response_id, text, *given)
                return
            if key is not None and self._cache is not None and valid_answer(text, response_id):
                self._cache.store(key, text)
        self._write(text)

    def _check(self, response_id: RequestId, text: str, key: str, answer: str) -> None:
        if text == answer:
            return
        assert self._cache is not None
        log.warning("the start-up cache answered request %r otherwise than the MCP SDK does now; entry replaced",
                    response_id)
        if valid_answer(text, response_id):
            self._cache.store(key, text)
        else:
            self._cache.forget(key)

    def _write(self, text: str, quiet: bool = False) -> None:
        assert self._out is not None
        with self._write_lock:
            try:
                self._out.write(text + "\n")
                self._out.flush()
            except OSError:
                if not quiet:
                    raise
                log.debug("stdout closed")


def _backed_by(stream: Any, fd: int) -> bool:
    try:
        return bool(stream.buffer.fileno() == fd)
    except (AttributeError, OSError, ValueError):
        return False


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _opening_message(line: str) -> tuple[str, RequestId | None] | None:
    """``(method, id)`` of a request the cache may answer, ``(method, None)`` of a passive notification, else None
    (anything else ends the opening: other methods, responses, malformed or ambiguous JSON, odd ids)."""
    try:
        message = json.loads(line, object_pairs_hook=_no_duplicates)
    except ValueError:
        return None
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return None
    method = message.get("method")
    if "id" not in message:
        return (method, None) if method in PASSIVE else None
    request_id = message["id"]
    if method not in ANSWERABLE or type(request_id) not in (int, str):
        return None
    if isinstance(request_id, int) and abs(request_id) >= 2**53:
        return None
    return method, request_id


__all__ = ["StdioFront"]
