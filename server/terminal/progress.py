"""Progress of a long scan on standard error: a rich progress bar on a terminal, plain lines (no escape codes) when
asked for with ``--progress`` on anything else, nothing otherwise."""

from __future__ import annotations

import sys
import threading
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from .console import stderr_console


class ScanProgress:
    """A context manager whose :meth:`update` is the scanner's progress callback (``None`` when disabled)."""

    def __init__(self, *, terminal: bool, plain: bool) -> None:
        self.terminal = terminal
        self.plain = plain and not terminal
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._lock = threading.Lock()

    @property
    def callback(self) -> ScanProgress | None:
        """Self when progress is shown, else None (the scanner then skips the bookkeeping)."""
        return self if self.terminal or self.plain else None

    def __enter__(self) -> ScanProgress:
        if self.terminal:
            self._bar = Progress(
                TextColumn("[bold]scanning[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                TextColumn("{task.description}"), console=stderr_console(), transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("", total=None)
        return self

    def __call__(self, done: float, total: float, message: str) -> None:
        """One step: ``done`` of ``total`` (clusters, or objects of one cluster), and what happened."""
        with self._lock:
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, completed=done, total=total, description=message)
            elif self.plain:
                print(f"[{done:.0f}/{total:.0f}] {message}", file=sys.stderr, flush=True)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
