"""The one way the commands write output files and folders: a path that cannot be written is an
:class:`~pykyverno.server.core.errors.InputError` naming it (a usage error), never an unexpected ``OSError``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .core.errors import InputError


def _cannot_write(path: Path | str, exc: OSError) -> InputError:
    reason = exc.strerror or type(exc).__name__
    if isinstance(exc, IsADirectoryError):
        reason = "it is a directory"
    elif isinstance(exc, FileNotFoundError) and not Path(path).parent.is_dir():
        reason = f"the folder {Path(path).parent} does not exist"
    return InputError(f"cannot write {path}: {reason}")


@contextmanager
def open_output(path: Path | str) -> Iterator[TextIO]:
    """``path`` opened for writing text (UTF-8); :class:`InputError` naming it when it cannot be."""
    try:
        handle = Path(path).open("w", encoding="utf-8")  # noqa: SIM115 - closed by the ``with`` below
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    with handle:
        yield handle


def write_output_file(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path``; :class:`InputError` naming the path when it cannot be written."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def make_output_dir(path: Path | str) -> Path:
    """``path`` as a folder (created with its parents when missing); :class:`InputError` naming it when it cannot
    be created or is a file."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"cannot write into {path}: it is a file, not a folder") from None
    except OSError as exc:
        raise InputError(f"cannot create the folder {path}: {exc.strerror or type(exc).__name__}") from None
    return folder
