"""Where each resource of a set of manifest files is written: file and line of its document, for SARIF.

Lines come from ``Document.line`` (the engine's document reader records where each document starts) and, for the
items of a ``kind: List`` document, ``Document.position(("items", i))``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pykyverno.engine.documents import Document, iter_files, read_documents
from pykyverno.engine.errors import EngineError
from pykyverno.engine.objects import normalize_manifest, object_key

Key = tuple[str, str, str]  # (kind, namespace, name)


@dataclass(frozen=True)
class Location:
    """A file and the 1-based line where a resource's document starts."""

    path: Path
    line: int


def _entries(doc: Document) -> Iterable[tuple[dict[str, Any], int]]:
    """Each resource of a document with its line (a List's items each with their own)."""
    kind = doc.data.get("kind")
    items = doc.data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                found = doc.position(("items", index))
                yield item, found[0] if found else max(doc.line, 1)
    else:
        yield doc.data, max(doc.line, 1)


def locate(paths: Iterable[str | Path], normalize: bool = True) -> dict[Key, Location]:
    """(kind, namespace, name) of every resource in the files and folders to where it is written; namespaced kinds
    without a namespace get ``default`` when ``normalize`` is true (as ``apply`` sees them). Unreadable files are
    skipped here: the command that reads the resources reports them."""
    found: dict[Key, Location] = {}
    for file in iter_files(paths):
        try:
            documents = read_documents(file)
        except EngineError:
            continue
        for doc in documents:
            for obj, line in _entries(doc):
                key = object_key(normalize_manifest(obj) if normalize else obj)
                found.setdefault(key, Location(file, line))
    return found
