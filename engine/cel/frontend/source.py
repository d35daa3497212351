"""Source locations and cel-go style error text (``ERROR: <input>:1:5: message`` plus the caret line)."""

from __future__ import annotations


class SyntaxProblem(Exception):
    """A problem found by the front end at a source offset; turned into a CelCompileError by ``prepare``."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def line_and_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and 0-based column of ``offset`` in ``source`` (columns count code points, as cel-go does)."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    line_start = source.rfind("\n", 0, offset) + 1
    return line, offset - line_start


def caret_message(source: str, offset: int, message: str) -> str:
    """Format ``message`` at ``offset`` the way cel-go reports compile errors::

        ERROR: <input>:1:5: message
         | source line
         | ....^
    """
    line, column = line_and_column(source, offset)
    text_line = source.split("\n")[line - 1] if source else ""
    return f"ERROR: <input>:{line}:{column + 1}: {message}\n | {text_line}\n | {'.' * column}^"
