"""Masking where text leaves the process: answers, CLI output streams and log records.

:func:`mask_text` applies the credential patterns (:mod:`.text`) and then the remembered values of the request and
the process (:mod:`.ledger`). :func:`mask_data` does it to every string of a JSON-like structure,
:class:`MaskingWriter` to a text stream (the CLI's stdout and stderr), :func:`install_log_masking` to every log
record created from then on (message, arguments and exception text).
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
from .text import mask_patterns


def mask_text(text: str) -> str:
    """``text`` with credential patterns and every remembered secret value masked."""
    if not text:
        return text
    text = mask_patterns(text)
    for ledger in ledgers():
        if len(ledger):
            text = ledger.mask(text)
    return text


def mask_data(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, tuples, strings...) with every string masked (keys too)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_text(k) if isinstance(k, str) else k: mask_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_data(v) for v in value)
    return value


class MaskingWriter(io.TextIOBase):
    """A text stream that masks what is written to ``target``. Complete lines are masked and passed on at once;
    a partial line waits for its end, or for :meth:`flush` (progress lines ending in ``\\r``)."""

    def __init__(self, target: TextIO) -> None:
        super().__init__()
        self.target = target
        self._pending = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            cut = self._pending.rfind("\n")
            if cut >= 0:
                ready, self._pending = self._pending[:cut + 1], self._pending[cut + 1:]
                self.target.write(mask_text(ready))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                ready, self._pending = self._pending, ""
                self.target.write(mask_text(ready))
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


__all__ = ["MaskingWriter", "install_log_masking", "mask_data", "mask_text", "masked_stdio"]
