"""Diagnostics: one structured record per problem, from the YAML reader and the CEL front end to every output.

A :class:`Diagnostic` names the file, the document, the field path, the line and column in the file, and for CEL
the position inside the expression. Readers fill what they know; :meth:`Diagnostic.located` places a diagnostic in
its document (file, index, kind, name, and the line and column of its field path). Outputs (``lint``, ``apply``,
the MCP tools) read these fields; none of them parses messages. Every engine error gives its diagnostics
(:meth:`~pykyverno.engine.errors.EngineError.diagnostics`).

Imports nothing of the engine: errors and readers depend on it, not the other way round.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol


class Located(Protocol):
    """What a diagnostic is placed in: a parsed document with its origin (``engine.documents.Document``)."""

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def source(self) -> str: ...

    @property
    def index(self) -> int: ...


Severity = Literal["error", "warning", "info"]
PathSegment = str | int

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def path_segments(path: str) -> tuple[PathSegment, ...]:
    """``spec.validations[2].expression`` -> ``("spec", "validations", 2, "expression")``."""
    return tuple(int(index) if index else name for name, index in _SEGMENT.findall(path))


def format_path(segments: Sequence[PathSegment]) -> str:
    """The inverse of :func:`path_segments`."""
    out = ""
    for segment in segments:
        out += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if out else segment)
    return out


@dataclass(frozen=True)
class Diagnostic:
    """One problem (or piece of advice) about an input, located as precisely as its reader knows."""

    message: str
    severity: Severity = "error"
    #: The file (or ``<string>``, ``policy_yaml``...) and the 0-based index of the YAML document in it.
    file: str = ""
    document: int | None = None
    #: The field path inside the document (``spec.validations[0].expression``); ``""`` for the whole document.
    path: str = ""
    #: 1-based line and column of the field (or of the problem) in the file; a field that is missing is placed at its
    #: nearest enclosing field.
    line: int | None = None
    column: int | None = None
    #: Kind and name of the document the problem is in.
    kind: str = ""
    name: str = ""
    #: For CEL problems: the expression, the 1-based line and column inside it, and the caret lines.
    expression: str = ""
    expression_line: int | None = None
    expression_column: int | None = None
    snippet: str = ""

    @property
    def origin(self) -> str:
        """``file.yaml (document 2)``."""
        if self.document is None:
            return self.file
        return f"{self.file} (document {self.document + 1})" if self.file else f"document {self.document + 1}"

    def located_message(self) -> str:
        """``path: message`` with the position inside the expression and the caret lines, when known."""
        text = f"{self.path}: {self.message}" if self.path else self.message
        if self.expression_line is not None:
            text += f" (expression line {self.expression_line}, column {self.expression_column})"
        return f"{text}\n{self.snippet}" if self.snippet else text

    def __str__(self) -> str:
        label = f"{self.kind} {self.name!r}: " if self.kind and self.name else (f"{self.kind}: " if self.kind else "")
        where = f"{self.origin}: " if self.origin else ""
        return f"{where}{label}{self.located_message()}"

    def located(self, doc: Located) -> Diagnostic:
        """This diagnostic placed in ``doc``: file, document index, kind, name and the position of its field."""
        data = doc.data
        metadata = data.get("metadata")
        name = str(metadata.get("name") or "") if isinstance(metadata, dict) else ""
        line, column = self.line, self.column
        if line is None:
            segments = tuple(path_segments(self.path))
            for end in range(len(segments), -1, -1):  # a missing field is placed at its nearest present parent
                position = document_position(doc, segments[:end])
                if position is not None:
                    line, column = position
                    break
        return dataclasses.replace(
            self,
            file=self.file or doc.source,
            document=doc.index if self.document is None else self.document,
            kind=self.kind or str(data.get("kind") or ""),
            name=self.name or name,
            line=line,
            column=column,
        )


def document_position(doc: Located, path: Sequence[PathSegment]) -> tuple[int, int] | None:
    """The 1-based (line, column) of ``path`` in ``doc`` (``Document.position``), or None when unknown."""
    position = getattr(doc, "position", None)  # documents read without positions (bulk snapshots) have none
    return position(path) if callable(position) else None
