"""Masking where text leaves the process: answers, CLI output streams and log records.

:func:`mask_text` masks the credential patterns (:mod:`.text`) and the remembered values of the request and of the
process (:mod:`.ledger`) in free text, without breaking its syntax (:mod:`.spans`); structured values are masked as
data before they are serialised (:func:`~.data.mask_data`). :class:`MaskingWriter` masks a text stream (the CLI's
stdout and stderr), line by line, and a long line in pieces, :func:`install_log_masking` every log record created
from then on (message, arguments and exception text).
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from .ledger import ledgers
from .spans import is_markup, merge, replace, safe_parts
from .text import Finding, pattern_findings

#: A line longer than this is masked and written in pieces (keeping :data:`STREAM_TAIL` characters for the next).
STREAM_CHUNK = 1 << 22
#: What a piece keeps back for the next one: more than any credential pattern's name and value spans.
STREAM_TAIL = 1 << 16


def findings(text: str) -> list[Finding]:
    """Every secret in ``text``: credential patterns and remembered values (unsorted; they may overlap)."""
    found = pattern_findings(text)
    for ledger in ledgers():
        if len(ledger):
            found += (Finding(start, start, end) for start, end in ledger.spans(text))
    return found


def mask_text(text: str, markup: bool | None = None) -> str:
    """``text`` with credential patterns and every remembered secret value masked, its syntax kept (JSON stays
    JSON, markup stays markup; ``markup`` by default when the text :func:`~.spans.is_markup`; see :mod:`.spans`).
    Linear in the length of ``text``."""
    if not text:
        return text
    markup = is_markup(text) if markup is None else markup
    return replace(text, safe_parts(text, [(f.start, f.end) for f in findings(text)], markup), markup)


def mask_prefix(text: str, keep: int, markup: bool = False) -> tuple[str, str]:
    """(the masked start of ``text``, the rest), for a stream that has more to come: the rest holds at least the
    last ``keep`` characters and everything a secret that reaches into them began with (a name and its value stay
    together, a value that may go on is kept whole)."""
    cut = len(text) - keep
    if cut <= 0:
        return "", text
    found = findings(text)
    parts = safe_parts(text, [(f.start, f.end) for f in found], markup)
    whole = [*merge((f.context, f.end) for f in found), *parts]  # what must not be cut
    previous = -1
    while cut != previous:
        previous = cut
        for start, end in whole:
            if start < cut < end:
                cut = start
        while cut > 0 and text[cut - 1] == "\\":  # an escape stays in one piece
            cut -= 1
    return replace(text[:cut], [p for p in parts if p[1] <= cut], markup), text[cut:]


class MaskingWriter(io.TextIOBase):
    """A text stream that masks what is written to ``target``. Complete lines are masked and passed on at once;
    a partial line waits for its end, or for :meth:`flush` (progress lines ending in ``\\r``); a line longer than
    :data:`STREAM_CHUNK` is passed on in pieces (:func:`mask_prefix`), so memory stays flat and time linear. A
    stream whose first text is markup (an XML or HTML document) is masked as markup throughout."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target
        self._pending: list[str] = []
        self._size = 0
        self._limit = STREAM_CHUNK  # doubled while a secret spans all that waits, so that each try is worth it
        self._markup: bool | None = None  # decided by the first text that is not blank
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def _is_markup(self, text: str) -> bool:
        if self._markup is None and text.strip():
            self._markup = is_markup(text)
        return bool(self._markup)

    def write(self, text: str) -> int:
        with self._lock:
            self._pending.append(text)
            self._size += len(text)
            if "\n" in text:
                pending = "".join(self._pending)
                cut = pending.rfind("\n") + 1
                self._keep(pending[cut:])
                ready = pending[:cut]
                self.target.write(mask_text(ready, self._is_markup(ready)))
            elif self._size > self._limit:
                pending = "".join(self._pending)
                ready, rest = mask_prefix(pending, STREAM_TAIL, self._is_markup(pending))
                self._keep(rest)
                self._limit = STREAM_CHUNK if ready else 2 * self._limit
                self.target.write(ready)
        return len(text)

    def write_masked(self, text: str) -> int:
        """Pass on ``text``, which its writer masked already, as it is (after what waits, masked): a long structured
        output masks each distinct piece of its text once (see :mod:`pykyverno.server.output_stream`) rather than
        having all of it searched again here."""
        with self._lock:
            if self._pending:
                ready = "".join(self._pending)
                self._keep("")
                self.target.write(mask_text(ready, self._is_markup(ready)))
            self.target.write(text)
        return len(text)

    def _keep(self, rest: str) -> None:
        self._pending = [rest] if rest else []
        self._size = len(rest)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                ready = "".join(self._pending)
                self._keep("")
                self.target.write(mask_text(ready, self._is_markup(ready)))
        self.target.flush()

    def isatty(self) -> bool:
        return self.target.isatty()

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.target, "encoding", "utf-8")

    @property
    def buffer(self) -> Any:
        """The target's binary buffer (raw writes bypass masking: only protocol streams use it)."""
        return getattr(self.target, "buffer", None)


@contextmanager
def masked_stdio() -> Iterator[None]:
    """Mask everything printed on ``sys.stdout``/``sys.stderr`` inside the block."""
    import sys

    out, err = sys.stdout, sys.stderr
    masked_out, masked_err = MaskingWriter(out), MaskingWriter(err)
    sys.stdout, sys.stderr = masked_out, masked_err
    try:
        yield
    finally:
        for stream in (masked_out, masked_err):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        sys.stdout, sys.stderr = out, err


def _mask_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = mask_text(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(mask_text(a) if isinstance(a, str) else _masked_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: mask_text(v) if isinstance(v, str) else _masked_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)


def _masked_arg(value: Any) -> Any:
    """A non-string log argument: exceptions and other objects are formatted with ``%s``; mask that text."""
    if isinstance(value, int | float | bool) or value is None:
        return value
    try:
        text = str(value)
    except Exception:  # a broken __str__: leave it to the logging module
        return value
    masked = mask_text(text)
    return value if masked == text else masked


_installed = False
_install_lock = threading.Lock()


def install_log_masking() -> None:
    """Mask every log record created from now on, in every logger and handler (idempotent)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                _mask_record(record)
            except Exception:  # never lose a record because masking failed: drop its text instead
                record.msg, record.args = "(log message withheld: it could not be checked for secrets)", None
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


__all__ = ["STREAM_CHUNK", "STREAM_TAIL", "MaskingWriter", "findings", "install_log_masking", "mask_prefix",
           "mask_text", "masked_stdio"]
