"""Reading Kubernetes documents from files, directories and strings, with their origin and positions for messages.

Text is read by :mod:`.reader` (bounded and strict: duplicate keys, recursive or excessive aliases, too deep nesting
and over-long integers are refused with their line). Every document carries the line where it starts and, unless
``positions=False`` (bulk snapshots, where speed and memory matter), the position of any field inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import LoadError
from .reader import DEFAULT_LIMITS, Locator, ParsedDocument, RefusedDocument, gc_paused, json_documents, yaml_documents

#: Texts longer than this are refused rather than parsed (a guard against accidental huge inputs).
MAX_FILE_BYTES = DEFAULT_LIMITS.max_bytes
_YAML_SUFFIXES = (".yaml", ".yml", ".json")
_JSON_START = re.compile(r"\s*[\[{]")


@dataclass(frozen=True)
class Document:
    """One parsed document (a mapping), where it came from, and where its fields are written."""

    data: dict[str, Any]
    source: str
    index: int
    #: 1-based line where the document starts in its text (0 when it was not read from text; the items of a JSON
    #: ``List`` have the List's line, their :meth:`position` is exact).
    line: int = 0
    locator: Locator | None = field(default=None, repr=False, compare=False)

    @property
    def origin(self) -> str:
        """``file.yaml (document 2)`` style location."""
        return f"{self.source} (document {self.index + 1})"

    def position(self, path: Sequence[str | int]) -> tuple[int, int] | None:
        """1-based (line, column) of the key (in mappings) or item (in lists) at ``path``, e.g.
        ``("spec", "validations", 2, "expression")``; ``()`` is the document itself. None when the path is not in
        the document or positions were not kept."""
        return self.locator.position(path) if self.locator is not None else None


def parse_documents(
    text: str, source: str = "<string>", *, positions: bool = True, errors: list[LoadError] | None = None
) -> list[Document]:
    """Every non-empty document of a YAML stream or a JSON text (``List`` kinds are kept as one document).

    Text that starts like JSON (``{`` or ``[``) and is JSON is read as JSON (a top-level array gives one document per
    item); anything else as YAML. A document that cannot be used raises :class:`LoadError` naming the document and
    line, or, when ``errors`` is given, is added to it and the other documents are still read.
    """
    _check_size(len(text), source, "text is {size} characters")
    if _JSON_START.match(text):
        with gc_paused():
            parsed = list(json_documents(text, DEFAULT_LIMITS, positions=positions))
        if not any(isinstance(p, RefusedDocument) and p.ends_stream for p in parsed):
            return _documents(parsed, source, errors)
    return _documents(yaml_documents(text, DEFAULT_LIMITS, positions=positions), source, errors)


def read_documents(
    path: str | Path, *, positions: bool = True, errors: list[LoadError] | None = None
) -> list[Document]:
    """All documents of one file (``.json`` files are JSON, others YAML or JSON, as :func:`parse_documents` reads
    them); :class:`LoadError` naming the file on any problem, or, for problems of single documents when ``errors``
    is given, added to it."""
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}", source=str(file)) from None
    _check_size(size, str(file), "file is {size} bytes")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"cannot read file: {exc}", source=str(file)) from None
    if file.suffix == ".json":
        return _documents(json_documents(text, DEFAULT_LIMITS, positions=positions), str(file), errors)
    return parse_documents(text, str(file), positions=positions, errors=errors)


def _check_size(size: int, source: str, what: str) -> None:
    if size > MAX_FILE_BYTES:
        raise LoadError(f"{what.format(size=size)}, over the {MAX_FILE_BYTES} byte limit", source=source)


def _documents(
    parsed: Iterable[ParsedDocument | RefusedDocument], source: str, errors: list[LoadError] | None
) -> list[Document]:
    documents = []
    with gc_paused():
        read = list(parsed)
    for item in read:
        try:
            document = _document(item, source)
        except LoadError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        if document is not None:
            documents.append(document)
    return documents


def _document(item: ParsedDocument | RefusedDocument, source: str) -> Document | None:
    if isinstance(item, RefusedDocument):
        raise LoadError(item.message, source=source, document=item.index, line=item.line, column=item.column)
    if item.data is None:
        return None
    if not isinstance(item.data, dict):
        raise LoadError(f"expected a mapping (a Kubernetes object), found {type(item.data).__name__} at line "
                        f"{item.line}", source=source, document=item.index, line=item.line)
    document = Document(item.data, source, item.index, item.line, item.locator)
    _check_metadata(document)
    return document


def _check_metadata(document: Document) -> None:
    """Every reader downstream relies on ``metadata`` being a mapping when it is present."""
    metadata = document.data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        where = document.position(("metadata",))
        raise LoadError(
            f"metadata must be a mapping, found {type(metadata).__name__}"
            + (f" at line {where[0]}, column {where[1]}" if where else ""),
            source=document.source, document=document.index, line=where[0] if where else None,
            column=where[1] if where else None,
        )


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand directories (recursively, sorted) into their YAML/JSON files; files are yielded as given."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in _YAML_SUFFIXES)
        else:
            yield p


def expand_lists(documents: Iterable[Document]) -> Iterator[Document]:
    """Flatten ``kind: List`` / ``*List`` documents (e.g. ``kubectl get -o yaml`` output) into their items; each
    item keeps the document's origin and gets its own positions, and its own line in YAML (in JSON, the List's)."""
    for doc in documents:
        kind = doc.data.get("kind")
        items = doc.data.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            for number, item in enumerate(items):
                locator = doc.locator.child("items", number) if doc.locator is not None else None
                # A JSON text is scanned for positions only when one is asked for: its items keep the List's line.
                where = locator.position(()) if locator is not None and not locator.deferred else None
                line = where[0] if where else doc.line
                if not isinstance(item, dict):
                    raise LoadError(f"items[{number}] must be a mapping (a Kubernetes object), found "
                                    f"{type(item).__name__} at line {line}", source=doc.source, document=doc.index,
                                    line=line)
                item_doc = Document(item, doc.source, doc.index, line, locator)
                _check_metadata(item_doc)
                yield item_doc
        else:
            yield doc
