"""Reading YAML documents from files, directories and strings, with their origin for error messages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import LoadError

#: Documents larger than this are refused rather than parsed (a guard against accidental huge inputs).
MAX_FILE_BYTES = 64 * 1024 * 1024
_YAML_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Document:
    """One parsed YAML document and where it came from."""

    data: dict[str, Any]
    source: str
    index: int

    @property
    def origin(self) -> str:
        """``file.yaml (document 2)`` style location."""
        return f"{self.source} (document {self.index + 1})"


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings (Kubernetes semantics) and rejects duplicate-free merges."""


# YAML 1.1 timestamps and dates stay strings, as Kubernetes' YAML decoder does.
_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_documents(text: str, source: str = "<string>") -> list[Document]:
    """Parse every non-empty document of a YAML (or JSON) stream; ``List`` kinds are kept as one document."""
    try:
        raw = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        raise LoadError(f"invalid YAML{where}: {problem}", source=source, line=line, column=column) from None
    documents = []
    for index, data in enumerate(raw):
        if data is None:
            continue
        if not isinstance(data, dict):
            raise LoadError(
                f"expected a mapping (a Kubernetes object), found {type(data).__name__}", source=source, document=index
            )
        _check_metadata(data, source, index)
        documents.append(Document(data, source, index))
    return documents


def _check_metadata(data: dict[str, Any], source: str, index: int) -> None:
    """Every reader downstream relies on ``metadata`` being a mapping when it is present."""
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise LoadError(f"metadata must be a mapping, found {type(metadata).__name__}", source=source, document=index)


def read_documents(path: str | Path) -> list[Document]:
    """Read all documents of one file; raise :class:`LoadError` naming the file on any problem."""
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}", source=str(file)) from None
    if size > MAX_FILE_BYTES:
        raise LoadError(f"file is {size} bytes, over the {MAX_FILE_BYTES} byte limit", source=str(file))
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadError(f"cannot read file: {exc}", source=str(file)) from None
    if file.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise LoadError(
                f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                source=str(file),
                line=exc.lineno,
                column=exc.colno,
            ) from None
        items = data if isinstance(data, list) else [data]
        found = [Document(item, str(file), i) for i, item in enumerate(items) if isinstance(item, dict)]
        for doc in found:
            _check_metadata(doc.data, doc.source, doc.index)
        return found
    return parse_documents(text, str(file))


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand directories (recursively, sorted) into their YAML/JSON files; files are yielded as given."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in _YAML_SUFFIXES)
        else:
            yield p


def expand_lists(documents: Iterable[Document]) -> Iterator[Document]:
    """Flatten ``kind: List`` / ``*List`` documents (e.g. ``kubectl get -o yaml`` output) into their items."""
    for doc in documents:
        kind = doc.data.get("kind")
        items = doc.data.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            for item in items:
                if isinstance(item, dict):
                    _check_metadata(item, doc.source, doc.index)
                    yield Document(item, doc.source, doc.index)
        else:
            yield doc
